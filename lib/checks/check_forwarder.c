/*
 * check_forwarder.c - mail from a forwarder (issue 12.4), and the SPF
 * verdict held until the end of the message (spf.defer)
 *
 * NAME
 *	check_forwarder - at connect: is the client a forwarder?
 *	forwarder_eom - at end of message: the origin's SPF and DNSBL, and
 *	the SPF verdict held since MAIL
 *
 * DESCRIPTION
 *	At connect, before the DNSBL check: a client in forwarders.networks
 *	is a listed forwarder, else one fwdlearn_known() answers for is a
 *	learned one (one store read); trusted clients are neither (they skip
 *	the check).  For a forwarder, the DNSBL check asks nothing at connect
 *	and check_spf keeps the MAIL FROM fact without applying its rule.
 *	An authenticated client is never treated as one (its mail is its
 *	own).
 *
 *	At end of message (session_data.c, after the DKIM results, before
 *	DMARC), for a forwarder: the origin Y its own Received field names
 *	(forwarder_origin).  With Y, the MAIL FROM SPF is evaluated for Y
 *	with the HELO name that field records, and that fact replaces the
 *	client's (DMARC and Authentication-Results use it); the DNSBL score
 *	is Y's.  Without Y, the client's own results.  The spf and dnsbl
 *	rules are then weighed for those: a refusal is given at end of data.
 *	For any client whose MAIL FROM verdict spf.defer held, the rule is
 *	weighed now; with spf.defer, a refusal is overridden by a DKIM pass
 *	whose d= is aligned (relaxed) with the MAIL FROM domain.
 *
 * DIAGNOSTICS
 *	forwarder=listed|learned client=X origin=Y|- spf=R dnsbl_score=N for
 *	a forwarder's message (rule=forwarder, with log.accepts); spf=R
 *	overridden=dkim/D (rule=spf) for a held refusal a DKIM pass
 *	overrode; a refusal is the session's
 *	line with rule=spf_* or rule=dnsbl.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "check.h"
#include "fwdlearn.h"
#include "log.h"

static void
forwarder_run(struct conn *c, enum stage st, struct verdict *v)
{
	(void)st;
	(void)v;
	c->fwd = FWD_NONE;
	if (!c->have_ip || c->trusted)
		return;
	if (cidrlist_match(&c->cfg->fwd_networks, &c->ip) >= 0)
		c->fwd = FWD_LISTED;
	else if (fwdlearn_known(c))
		c->fwd = FWD_LEARNED;
	if (c->fwd != FWD_NONE)
		trace_fact(c->trace, "forwarder", "%s is a %s forwarder", c->addr_text,
		           forwarder_kind_name(c->fwd));
}

/* the first DKIM pass whose d= is aligned (relaxed) with domain, or NULL */
static const char *
aligned_dkim_pass(const struct auth_msg *a, const char *domain)
{
	if (domain == NULL || domain[0] == '\0')
		return NULL;
	for (int i = 0; i < a->nsigs && i < DKIM_SIGS_KEPT; i++)
		if (a->sigs[i].result == AUTH_PASS && dmarc_aligned(a->sigs[i].d, domain, false))
			return a->sigs[i].d;
	return NULL;
}

static void
log_line(const struct conn *c, const char *rule, const char *text)
{
	struct verdict ok = {.action = ACTION_CONTINUE, .rule = rule, .reason = text};

	if (c->cfg->log_accepts)
		session_log(c, STAGE_EOM, &ok, NULL);
}

static void
dryrun_logged(const struct conn *c, struct verdict *v)
{
	if (v->action != ACTION_DRYRUN)
		return;
	session_log(c, STAGE_EOM, v, NULL);
	memset(v, 0, sizeof(*v));
}

/* a forwarder's message: the origin's SPF and DNSBL, their verdicts */
static void
forwarder_origin_eom(struct conn *c, struct verdict *spf_v, struct verdict *bl_v)
{
	struct msg *m = &c->msg;
	struct auth_msg *a = &m->au;
	const struct policy *p = c->pol;
	struct received_from r;
	struct dnsbl_result res;
	const struct ipaddr *subject = &c->ip;
	const char *subject_text = c->addr_text;
	char line[512];

	if (forwarder_origin(c, &r) == 0) {
		ip_format(&r.addr, m->spf_origin, sizeof(m->spf_origin));
		subject = &r.addr;
		subject_text = m->spf_origin;
		if (a->spf_mailfrom.result != AUTH_UNSET) {
			/* as check_spf.c asks for the client: the null sender is
			 * postmaster@ the origin's HELO name */
			const char *sender =
			    m->sender_parsed && m->sender.null ? "" : m->sender_text;

			a->spf_deadline = auth_now_ms() + c->cfg->resolver_timeout;
			spf_check_mailfrom(c, m->spf_origin, r.helo, sender, &a->spf_mailfrom);
		}
	}
	trace_fact(c->trace, "forwarder", "%s forwarder %s, origin %s", forwarder_kind_name(c->fwd),
	           c->addr_text, m->spf_origin[0] ? m->spf_origin : "none (its own results apply)");
	if (a->spf_mailfrom.result != AUTH_UNSET)
		trace_spf(c->trace, a);
	dnsbl_lookup(c, subject, &res);
	c->dnsbl_score = res.score;
	if (!c->allowlisted && res.score > p->dnsbl_allow_threshold)
		dnsbl_decide(c, &res, subject_text, bl_v);
	if (m->spf_held)
		spf_decide_mailfrom(c, spf_v);
	snprintf(line, sizeof(line), "forwarder=%s client=%s origin=%s spf=%s dnsbl_score=%d",
	         forwarder_kind_name(c->fwd), c->addr_text, m->spf_origin[0] ? m->spf_origin : "-",
	         a->spf_mailfrom.result != AUTH_UNSET ? auth_result_name(a->spf_mailfrom.result)
	                                              : "-",
	         res.score);
	log_line(c, "forwarder", line);
}

void
forwarder_eom(struct conn *c, struct verdict *v)
{
	struct msg *m = &c->msg;
	struct auth_msg *a = &m->au;
	struct verdict spf_v, bl_v;
	const char *d;

	memset(v, 0, sizeof(*v));
	memset(&spf_v, 0, sizeof(spf_v));
	memset(&bl_v, 0, sizeof(bl_v));
	if (m->auth_skip)
		return;
	trace_at(c->trace, STAGE_EOM, "forwarder");
	if (c->fwd != FWD_NONE)
		forwarder_origin_eom(c, &spf_v, &bl_v);
	else if (m->spf_held)
		spf_decide_mailfrom(c, &spf_v);
	if (spf_v.action != ACTION_CONTINUE && c->pol->spf_defer &&
	    (d = aligned_dkim_pass(a, a->spf_mailfrom.domain)) != NULL) {
		char line[400];

		snprintf(line, sizeof(line), "spf=%s overridden=dkim/%s",
		         auth_result_name(a->spf_mailfrom.result), d);
		trace_fact(c->trace, "spf", "held %s overridden by the aligned DKIM pass of %s",
		           auth_result_name(a->spf_mailfrom.result), d);
		log_line(c, "spf", line);
		memset(&spf_v, 0, sizeof(spf_v));
	}
	/* a rule in dry run is logged where it fires and decides nothing (as
	 * in the session's stages); the connect check's verdict before the
	 * MAIL one */
	dryrun_logged(c, &bl_v);
	dryrun_logged(c, &spf_v);
	*v = bl_v.action != ACTION_CONTINUE ? bl_v : spf_v;
	trace_check(c->trace, v);
}

const struct check check_forwarder = {
    .name = "forwarder",
    .stages = STAGE_BIT(STAGE_CONNECT),
    .exemptable = true, /* trusted clients are never forwarders */
    .run = forwarder_run,
};
