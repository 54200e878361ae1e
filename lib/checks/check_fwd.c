/*
 * check_fwd.c - bounces to our BATV and SRS addresses, at RCPT
 *
 * NAME
 *	check_fwd - check the tag of a BATV or SRS recipient, and untag it
 *
 * DESCRIPTION
 *	Runs at RCPT after relay authorization and before recipient
 *	validation (its place in check.c), so the address validated, kept
 *	and delivered is the untagged one.
 *	BATV (batv.domains, batv.keys): a recipient in one of those domains
 *	with a prvs= tag that verifies and has not expired is delivered
 *	untagged, whatever the sender.  A bounce (null sender) to an address
 *	of those domains without such a tag takes batv.action (550 5.7.1 by
 *	default, dryrun while rolling out): we sent no mail it can answer.
 *	"postmaster" is never refused (RFC 5321 4.5.1).
 *	SRS (srs.enabled): a recipient at srs.domain whose local part is an
 *	SRS0/SRS1 address is checked (hash, age); a valid one is delivered
 *	to the address it hides (the original sender), any other takes
 *	srs.action (550 5.7.1).
 *	Trusted and authenticated clients (session_exempt) are never refused
 *	here, but their valid tags are untagged too.  The rewriting itself
 *	is a recipient change at end of message (session_alias.c).
 *
 * DIAGNOSTICS
 *	A refusal is the session's verdict line with rule=batv or rule=srs
 *	and reason batv=untagged|bad|expired or srs=bad|expired; an untagged
 *	recipient logs batv=valid or srs=valid with the new address.
 *
 * THREADS
 *	Reentrant.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "batv.h"
#include "check.h"
#include "log.h"
#include "srs.h"

/* the recipient becomes addr ("local@domain" or a local part of domain) */
static int
retarget(struct conn *c, const char *local, const char *domain)
{
	char text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	struct addr a;
	const char *why;

	snprintf(text, sizeof(text), "%s%s%s", local, domain ? "@" : "", domain ? domain : "");
	if (addr_parse(text, &a, &why) < 0 || a.null || a.domain[0] == '\0')
		return -1;
	c->msg.rcpt = a;
	c->msg.rcpt_rewritten = true;
	return 0;
}

static void
fired(struct conn *c, const char *name, const struct rule *rule, const char *result, struct verdict *v)
{
	struct msg *m = &c->msg;

	snprintf(m->rcpt_why, sizeof(m->rcpt_why), "%s=%s", name, result);
	if (!session_exempt(c))
		verdict_set(v, name, rule, NULL, m->rcpt_why);
}

static void
untagged_log(const struct conn *c, const char *name)
{
	char addr[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8];

	addr_format(&c->msg.rcpt, addr, sizeof(addr));
	log_msg(LOG_INFO, "%s%s%s%s=valid rcpt=<%s> delivered_to=<%s>", c->qid[0] ? "qid=" : "", c->qid,
		c->qid[0] ? " " : "", name, c->msg.rcpt_text, addr);
}

static void
check_batv(struct conn *c, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	char orig[ADDR_LOCAL_MAX + 1];
	enum batv_result r;

	if (p->batv_keys == NULL || !domlist_match(&p->batv_domains, m->rcpt.domain))
		return;
	r = batv_check(p->batv_keys, m->rcpt.local, m->rcpt.domain, batv_day((long)time(NULL)),
		       p->batv_max_age, orig, sizeof(orig));
	if (r == BATV_VALID) {
		char dom[ADDR_DOMAIN_MAX + 1];
		snprintf(dom, sizeof(dom), "%s", m->rcpt.domain);
		if (retarget(c, orig, dom) == 0)
			untagged_log(c, "batv");
		return;
	}
	if (!m->sender.null || strcasecmp(m->rcpt.local, "postmaster") == 0)
		return;
	fired(c, "batv", &p->batv, batv_result_name(r), v);
}

static void
check_srs(struct conn *c, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	char orig[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	enum srs_result r;

	if (p->srs_secrets == NULL || strcasecmp(m->rcpt.domain, p->srs_domain) != 0 ||
	    !srs_is_srs(m->rcpt.local))
		return;
	r = srs_reverse(p->srs_secrets, m->rcpt.local, (long)time(NULL), p->srs_max_age, orig,
			sizeof(orig));
	if (r == SRS_VALID && retarget(c, orig, NULL) == 0) {
		untagged_log(c, "srs");
		return;
	}
	fired(c, "srs", &p->srs, r == SRS_VALID ? "bad" : srs_result_name(r), v);
}

static void
fwd_run(struct conn *c, enum stage st, struct verdict *v)
{
	(void)st;
	if (!c->msg.rcpt_parsed || c->msg.rcpt.domain[0] == '\0')
		return;
	check_srs(c, v);
	if (v->action == ACTION_CONTINUE && !c->msg.rcpt_rewritten)
		check_batv(c, v);
}

const struct check check_fwd = {
	.name = "fwd",
	.stages = STAGE_BIT(STAGE_RCPT),
	.exemptable = false,
	.run = fwd_run,
};
