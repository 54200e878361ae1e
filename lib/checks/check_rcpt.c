/*
 * check_rcpt.c - recipient validation, at RCPT, after relay authorization
 *
 * For each recipient, in this order (the first that decides wins):
 *   1. the pattern rules (recipients.patterns, pattern.h): a rule on the
 *      recipient or the sender; accept makes the recipient valid (role
 *      accounts), a match that cannot be decided takes recipients.tempfail;
 *   2. an alias entry for the address itself (alias.h) makes it valid
 *      when each final address in a domain with a list is on that list,
 *      so an alias never opens a way to an unknown user;
 *   3. the domain's list (recipients.lists, rcptlist.h) or callout
 *      (recipients.callout, callout.h): unknown takes recipients.unknown
 *      (550 5.1.1), a backend that cannot answer recipients.tempfail
 *      (451 4.3.0), never a 5xx.
 * A domain with neither is not validated here.  Nor is a routed local
 * part (user%remote@local, remote!user@local, "user@remote"@local): only
 * a trusted or authenticated client gets here with one (check_relay.c
 * refused everyone else), and the MTA relays it as the route says, so it
 * names no local mailbox to look up.  A source route alone is ignored:
 * <@a:user@local> is validated as user@local.  Each verdict is for this
 * recipient only: the others of the transaction go on.  Trusted and
 * authenticated clients are not exempt: an unknown local user is unknown
 * to everyone.  The detail of a verdict (the backend's answer) is kept in
 * the msg for the log line, valid until the next recipient.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "callout.h"
#include "check.h"

static const struct rcpt_domain *
domain_of(const struct policy *p, const char *d)
{
	for (size_t i = 0; i < p->nrcpt_domains; i++)
		if (strcmp(p->rcpt_domains[i].domain, d) == 0)
			return &p->rcpt_domains[i];
	return NULL;
}

/* is each final address of addr's aliases in a listed domain on its list? */
static bool
alias_targets_known(const struct policy *p, const char *addr, char *why, size_t whylen)
{
	struct alias_list out = { 0 };
	const char *err;
	bool ok = alias_expand(p->rcpt_aliases, addr, p->rcpt_separators, &out, &err) > 0;

	if (!ok)
		snprintf(why, whylen, "alias expansion failed: %s", err ? err : "no entry");
	for (size_t i = 0; ok && i < out.n; i++) {
		char *at = strrchr(out.v[i], '@');
		const struct rcpt_domain *d;
		*at = '\0';
		d = domain_of(p, at + 1);
		if (d != NULL && d->list != NULL && !rcptlist_lookup(d->list, out.v[i], p->rcpt_separators)) {
			snprintf(why, whylen, "alias target %s@%s not in the list", out.v[i], at + 1);
			ok = false;
		}
	}
	alias_list_free(&out);
	return ok;
}

static void
callout(struct conn *c, const struct rcpt_domain *d, const char *addr, const char *prefix,
	struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	struct callout_opts o = {
		.timeout_ms = p->callout_timeout,
		.positive_ttl = p->callout_positive_ttl,
		.negative_ttl = p->callout_negative_ttl,
		.max_conns = p->callout_max_conns,
		.helo = c->cfg->me_hostnames.n ? c->cfg->me_hostnames.v[0] : "localhost",
	};
	bool cached;

	switch (callout_probe(d->callout, addr, &o, m->rcpt_why, sizeof(m->rcpt_why), &cached)) {
	case CALLOUT_ACCEPT:
		return;
	case CALLOUT_REJECT:
		verdict_set(v, "recipient_unknown", &p->rcpt_unknown, prefix, m->rcpt_why);
		return;
	case CALLOUT_TEMPFAIL:
		verdict_set(v, "recipient_verify", &p->rcpt_tempfail, prefix, m->rcpt_why);
		return;
	}
}

static void
rcpt_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	char prefix[sizeof(m->rcpt_text) + 4], addr[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	const struct pattern_rule *r;
	const struct rcpt_domain *d;

	(void)st;
	if (!m->rcpt_parsed || m->rcpt.null || m->rcpt.domain[0] == '\0')
		return;
	snprintf(prefix, sizeof(prefix), "<%s>: ", m->rcpt_text);
	snprintf(addr, sizeof(addr), "%s@%s", m->rcpt.local, m->rcpt.domain);
	switch (pattern_match(p->rcpt_patterns, m->sender_text, addr, &r)) {
	case 1:
		snprintf(m->rcpt_why, sizeof(m->rcpt_why), "%s /%s/ (line %d)",
			 r->on == PATTERN_RCPT ? "rcpt" : "sender", r->entry.key, r->entry.line);
		access_verdict(&r->entry, "recipient_pattern", &p->rcpt_pattern_reply, prefix,
			       m->rcpt_why, v);
		return;
	case -1:
		snprintf(m->rcpt_why, sizeof(m->rcpt_why), "pattern /%s/ (line %d) hit the match limit",
			 r->entry.key, r->entry.line);
		verdict_set(v, "recipient_verify", &p->rcpt_tempfail, prefix, m->rcpt_why);
		return;
	}
	if (m->rcpt.routing & ~ADDR_R_SOURCE_ROUTE)
		return;
	if (alias_has(p->rcpt_aliases, addr, p->rcpt_separators)) {
		if (!alias_targets_known(p, addr, m->rcpt_why, sizeof(m->rcpt_why)))
			verdict_set(v, "recipient_unknown", &p->rcpt_unknown, prefix, m->rcpt_why);
		return;
	}
	if ((d = domain_of(p, m->rcpt.domain)) == NULL)
		return;
	if (d->list != NULL) {
		if (!rcptlist_lookup(d->list, m->rcpt.local, p->rcpt_separators))
			verdict_set(v, "recipient_unknown", &p->rcpt_unknown, prefix, "not in the recipient list");
		return;
	}
	callout(c, d, m->rcpt_text, prefix, v);
}

const struct check check_rcpt = {
	.name = "rcpt",
	.stages = STAGE_BIT(STAGE_RCPT),
	.exemptable = false,
	.run = rcpt_run,
};
