/*
 * session_fwd.c - the envelope sender of a message we send on: SRS or BATV
 *
 * At end of message, after alias rewriting (session_alias.c) has said
 * whether an alias sent the message to a domain that is not local:
 *   - SRS (srs.enabled): the sender of such a message becomes an SRS
 *     address of srs.domain (srs.h), so the destination's SPF sees our
 *     domain and its bounces come back to us (check_fwd.c checks them and
 *     sends them on to the original sender).  A null sender, and a sender
 *     of one of our own local domains (our SPF already covers us), stay.
 *   - BATV (batv.sign): the sender of an authenticated user, in one of
 *     batv.domains and not tagged yet, gets a prvs= tag (batv.h), so the
 *     bounces of our mail verify at our MX and forged ones do not.
 * The change is the milter's change-sender action, made by milter.c.
 *
 * DIAGNOSTICS
 *	One line per change: rule=srs or rule=batv, "sender rewritten to".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "batv.h"
#include "session.h"
#include "srs.h"

static void
changed(struct conn *c, const char *rule, const char *to)
{
	char reason[600];
	struct verdict ok = { .action = ACTION_ACCEPT, .rule = rule, .reason = reason };

	snprintf(reason, sizeof(reason), "sender rewritten to %s", to);
	session_log(c, STAGE_EOM, &ok, NULL);
}

int
session_new_sender(struct conn *c, char *out, size_t len)
{
	const struct policy *p = c->pol;
	const struct msg *m = &c->msg;
	const struct addr *s = &m->sender;
	char buf[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 64];

	if (!m->sender_parsed || s->null || s->quoted || s->domain[0] == '\0' || s->routing != 0)
		return 0;
	if (m->srs_needed && p->srs_secrets != NULL &&
	    !domlist_match(&c->cfg->local_domains, s->domain) &&
	    srs_forward(p->srs_secrets, s->local, s->domain, p->srs_domain, p->srs_separator[0],
			(long)time(NULL), buf, sizeof(buf)) == 0) {
		snprintf(out, len, "<%s>", buf);
		changed(c, "srs", out);
		return 1;
	}
	if (p->batv_sign && p->batv_keys != NULL && m->auth[0] != '\0' &&
	    domlist_match(&p->batv_domains, s->domain) &&
	    batv_check(p->batv_keys, s->local, s->domain, 0, 0, buf, sizeof(buf)) == BATV_UNTAGGED &&
	    batv_sign(p->batv_keys, s->local, s->domain, batv_day((long)time(NULL)), p->batv_max_age, buf,
		      sizeof(buf)) == 0) {
		snprintf(out, len, "<%s@%s>", buf, s->domain);
		changed(c, "batv", out);
		return 1;
	}
	return 0;
}
