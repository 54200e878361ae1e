/*
 * check_spf.c - SPF (RFC 7208) at MAIL: the HELO identity, then MAIL FROM
 *
 * The results are facts for DMARC and the Authentication-Results header
 * (auth.h) whatever the rules say.  A HELO identity that fails takes
 * spf.fail (RFC 7208 2.3: a conclusive HELO result may decide); otherwise
 * the MAIL FROM result takes its rule: fail, softfail, neutral, none,
 * permerror or temperror (pass never rejects).  The null sender's
 * identity is postmaster@HELO (RFC 7208 2.4), the HELO check's own
 * result.  A sender the address parser refuses is checked for its
 * domain all the same (none when it has none).  A fail reply carries the domain's explanation after the
 * configured text.  Trusted and authenticated clients are not checked
 * unless spf.trusted; allowlisted ones are not either.
 *
 * Held until the end of message (spf_held; forwarder_eom weighs it): the
 * MAIL FROM rule with spf.defer (not a temperror, not the HELO fail), and
 * for a forwarder (forwarder.h), whose origin's SPF replaces the fact.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "check.h"

static const struct rule *
rule_for(const struct policy *p, enum auth_result r, const char **name)
{
	switch (r) {
	case AUTH_FAIL:
		*name = "spf_fail";
		return &p->spf_fail;
	case AUTH_SOFTFAIL:
		*name = "spf_softfail";
		return &p->spf_softfail;
	case AUTH_NEUTRAL:
		*name = "spf_neutral";
		return &p->spf_neutral;
	case AUTH_NONE:
		*name = "spf_none";
		return &p->spf_none;
	case AUTH_PERMERROR:
		*name = "spf_permerror";
		return &p->spf_permerror;
	case AUTH_TEMPERROR:
		*name = "spf_temperror";
		return &p->spf_temperror;
	default:
		return NULL;
	}
}

static void
decide(struct conn *c, const struct spf_fact *f, const char *identity, struct verdict *v)
{
	const struct policy *p = c->pol;
	const char *name = NULL;
	const struct rule *r = rule_for(p, f->result, &name);
	struct reply reply;
	char prefix[sizeof(c->msg.sender_text) + 4];

	if (r == NULL || r->action == ACTION_ACCEPT || r->action == ACTION_CONTINUE)
		return;
	reply = r->reply;
	if (f->result == AUTH_FAIL && f->explanation[0] != '\0') {
		size_t n = strlen(reply.text);
		snprintf(reply.text + n, sizeof(reply.text) - n, ": %s", f->explanation);
	}
	snprintf(prefix, sizeof(prefix), "<%s>: ", c->msg.sender_text);
	verdict_set_action(v, name, r->action, &reply, c->msg.sender.null ? NULL : prefix, identity);
	/* spf.trusted asked for exempt clients to be checked: they get the verdict */
	v->binds_exempt = p->spf_trusted;
}

static void
spf_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	struct auth_msg *a = &m->au;
	const char *helo = c->helo_seen ? c->helo : "";

	(void)st;
	if (!p->spf_enabled || !c->have_ip || c->allowlisted)
		return;
	if ((c->trusted || m->auth[0] != '\0') && !p->spf_trusted)
		return;
	a->spf_deadline = auth_now_ms() + c->cfg->resolver_timeout;
	if (p->spf_helo && helo[0] != '\0')
		spf_check_helo(c, c->addr_text, helo, &a->spf_helo);
	if (!m->sender_parsed) {
		/* an address doorman's parser refuses still has an SPF result: its
		 * domain's, or none when there is no domain to check (RFC 7208 4.3) */
		spf_check_mailfrom(c, c->addr_text, helo, m->sender_text, &a->spf_mailfrom);
	} else if (m->sender.null && a->spf_helo.result != AUTH_UNSET) {
		a->spf_mailfrom = a->spf_helo;
		snprintf(a->spf_mailfrom.identity, sizeof(a->spf_mailfrom.identity), "postmaster@%s", helo);
	} else {
		spf_check_mailfrom(c, c->addr_text, helo, m->sender.null ? "" : m->sender_text,
				   &a->spf_mailfrom);
	}
	trace_spf(c->trace, a);
	if (a->spf_helo.result == AUTH_FAIL) {
		decide(c, &a->spf_helo, "helo", v);
		return;
	}
	if (c->fwd != FWD_NONE && !c->trusted && m->auth[0] == '\0') {
		/* a forwarder: the origin's SPF is weighed at end of message */
		trace_skip(c->trace, "forwarder: the rule is weighed for the origin at end of message");
		m->spf_held = true;
		return;
	}
	if (p->spf_defer && a->spf_mailfrom.result != AUTH_TEMPERROR) {
		trace_skip(c->trace, "spf.defer: the rule is weighed at end of message");
		m->spf_held = true;
		return;
	}
	decide(c, &a->spf_mailfrom, "mailfrom", v);
}

void
spf_decide_mailfrom(struct conn *c, struct verdict *v)
{
	decide(c, &c->msg.au.spf_mailfrom, "mailfrom", v);
}

const struct check check_spf = {
	.name = "spf",
	.stages = STAGE_BIT(STAGE_MAIL),
	.exemptable = false, /* spf.trusted decides */
	.run = spf_run,
};
