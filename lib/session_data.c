/*
 * session_data.c - the message itself: header fields, body, end of message
 * (see session.h)
 *
 * Header fields: DKIM gets each one as it arrives; From fields are parsed
 * for DMARC; the first Received fields are kept (forwarder.h);
 * Authentication-Results fields are counted, and the indexes of
 * those that claim our authserv-id kept, to be deleted at the end whatever
 * the policy checks (a forged one is dangerous downstream even when we
 * add none).  The index list grows with the message, bounded by the MTA's
 * own header size limit (Postfix 100 KB, Sendmail 32 KB): a message past
 * AR_TRACK_MAX such fields is refused for now rather than passed with a
 * forged field left in.
 *
 * End of message: the DKIM results, then DMARC (not for trusted or
 * authenticated clients), then the verdict: a From field DMARC cannot
 * evaluate takes dmarc.malformed_from, a temporary failure
 * dmarc.temperror, a fail the published policy as dmarc.on_reject and
 * dmarc.on_quarantine say.  One log line gives every result.  With
 * dmarc.history set, a DMARC pass or fail under a published record adds a
 * row to that file for aggregate reports (dmarc_history.h); a row that
 * cannot be written is logged, and the message goes on as it would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check.h"
#include "dmarc_history.h"
#include "fwdlearn.h"
#include "log.h"
#include "session.h"
#include "xalloc.h"

#define AR_TRACK_MAX 10000

static bool
skip_auth(const struct conn *c)
{
	return c->trusted || c->msg.auth[0] != '\0';
}

static void
data_start(struct conn *c)
{
	struct msg *m = &c->msg;

	m->in_data = true;
	m->auth_skip = skip_auth(c);
	if (c->pol->dkim_enabled && !m->auth_skip)
		m->au.dkim = dkimv_start(c->qid, (unsigned)c->pol->dkim_max_signatures);
}

void
session_header(struct conn *c, const char *name, const char *value)
{
	struct auth_msg *a = &c->msg.au;

	if (!c->msg.in_data)
		data_start(c);
	if (name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "Authentication-Results") == 0) {
		a->ar_seen++;
		if (authres_claims(value, c->cfg->authserv_id)) {
			if (a->nforged >= AR_TRACK_MAX) {
				a->headers_over = true;
			} else {
				if (a->nforged == a->capforged) {
					a->capforged = a->capforged ? a->capforged * 2 : 4;
					a->ar_forged = xreallocarray(a->ar_forged, a->capforged,
								     sizeof(*a->ar_forged));
				}
				a->ar_forged[a->nforged++] = a->ar_seen;
			}
		}
	} else if (strcasecmp(name, "Received") == 0) {
		if (c->msg.nreceived < FWD_RECEIVED_KEPT)
			snprintf(c->msg.received[c->msg.nreceived++], sizeof(c->msg.received[0]), "%s",
				 value);
	} else if (strcasecmp(name, "DKIM-Signature") == 0) {
		a->sig_fields++;
	} else if (strcasecmp(name, "From") == 0) {
		a->from_fields++;
		from_field_domains(value, a);
	}
	dkimv_header(a->dkim, name, value);
}

void
session_eoh(struct conn *c)
{
	if (!c->msg.in_data)
		data_start(c);
	trace_at(c->trace, STAGE_DATA, "dkim");
	dkimv_eoh(c, c->msg.au.dkim);
}

void
session_body(struct conn *c, const unsigned char *buf, size_t len)
{
	dkimv_body(c->msg.au.dkim, buf, len);
}

static void
log_results(const struct conn *c, const struct auth_msg *a)
{
	char line[1024];
	size_t used = 0;
	struct verdict ok = { .action = ACTION_CONTINUE, .rule = "auth" };

#define ADD(...)                                                                           \
	do {                                                                               \
		if (used < sizeof(line))                                                   \
			used += (size_t)snprintf(line + used, sizeof(line) - used, __VA_ARGS__); \
	} while (0)
	line[0] = '\0';
	if (a->spf_mailfrom.result != AUTH_UNSET)
		ADD(" spf=%s", auth_result_name(a->spf_mailfrom.result));
	if (a->spf_helo.result != AUTH_UNSET)
		ADD(" spf_helo=%s", auth_result_name(a->spf_helo.result));
	for (int i = 0; i < a->nsigs && i < DKIM_SIGS_KEPT; i++)
		if (a->sigs[i].result != AUTH_UNSET)
			ADD(" dkim=%s/%s", auth_result_name(a->sigs[i].result), a->sigs[i].d);
	if (a->dmarc.result != AUTH_UNSET)
		ADD(" dmarc=%s/%s", auth_result_name(a->dmarc.result), a->dmarc.from_domain);
	if (a->dmarc.override != NULL)
		ADD(" override=%s", a->dmarc.override);
	if (a->nforged > 0)
		ADD(" forged_authres=%zu", a->nforged);
#undef ADD
	if (line[0] == '\0' || !c->cfg->log_accepts)
		return;
	ok.reason = line + 1;
	session_log(c, STAGE_EOM, &ok, NULL);
}

/* the verdict of DMARC's facts, and a quarantine or tag in e */
static void
dmarc_decide(struct conn *c, struct verdict *v, struct eom_edits *e)
{
	const struct policy *p = c->pol;
	struct dmarc_fact *d = &c->msg.au.dmarc;
	const char *how = NULL;

	if (d->from_unusable) {
		/* no usable From: RFC 7489 6.6.1 */
		verdict_set(v, "dmarc_malformed_from", &p->dmarc_malformed, NULL, d->reason);
		return;
	}
	if (d->result == AUTH_TEMPERROR) {
		verdict_set(v, "dmarc_temperror", &p->dmarc_temperror, NULL, d->reason);
		return;
	}
	if (d->result != AUTH_FAIL || d->disposition == NULL)
		return;
	if (c->fwd != FWD_NONE && d->aligned_body_changed) {
		/* RFC 7489 7.2: a forwarder changed the body of a message whose
		 * aligned signature's header hash verified: forwarding explains
		 * the fail; nothing is applied */
		d->override = "forwarded";
		d->disposition = "none";
		trace_fact(c->trace, "dmarc", "fail overridden: forwarded (an aligned signature whose body was changed)");
		return;
	}
	if (strcmp(d->disposition, "reject") == 0)
		how = p->dmarc_on_reject;
	else if (strcmp(d->disposition, "quarantine") == 0)
		how = p->dmarc_on_quarantine;
	if (how == NULL)
		return;
	if (strcmp(how, "reject") == 0) {
		char prefix[sizeof(d->from_domain) + 4];
		snprintf(prefix, sizeof(prefix), "%s: ", d->from_domain);
		verdict_set_action(v, "dmarc", ACTION_REJECT, &p->dmarc_reject_reply, prefix, d->reason);
		return;
	}
	if (p->dryrun)
		return; /* nothing held or marked in a dry run; the results line tells */
	if (strcmp(how, "quarantine") == 0)
		snprintf(e->quarantine, sizeof(e->quarantine), "DMARC policy of %s (p=%s)",
			 d->from_domain, d->policy);
	else {
		size_t n = strlen(d->from_domain) + 64;
		e->tag = xmalloc(n);
		snprintf(e->tag, n, "fail policy=%s header.from=%s", d->disposition, d->from_domain);
	}
}

/* The disposition we applied, for the report (RFC 7489 7.2.1): a local
 * choice weaker than the policy asked (tag, quarantine for reject, a dry
 * run) is given as local_policy, pct= sampling as sampled_out. */
static void
dmarc_applied(const struct conn *c, const struct verdict *v, const struct eom_edits *e,
	      struct dmarc_row *r)
{
	const struct dmarc_fact *d = &c->msg.au.dmarc;
	const char *applied = "none";

	if (d->result == AUTH_FAIL) {
		if (v->action == ACTION_REJECT && v->rule != NULL && strcmp(v->rule, "dmarc") == 0)
			applied = "reject";
		else if (e->quarantine[0] != '\0')
			applied = "quarantine";
	}
	snprintf(r->disposition, sizeof(r->disposition), "%s", applied);
	if (d->override != NULL)
		snprintf(r->reason, sizeof(r->reason), "%s", d->override);
	else if (d->result == AUTH_FAIL && strcmp(applied, d->disposition) != 0)
		snprintf(r->reason, sizeof(r->reason), "local_policy");
	else if (d->sampled_out)
		snprintf(r->reason, sizeof(r->reason), "sampled_out");
}

static void
dmarc_history_add(const struct conn *c, const struct verdict *v, const struct eom_edits *e)
{
	const struct auth_msg *a = &c->msg.au;
	const struct dmarc_fact *d = &a->dmarc;
	struct dmarc_row r;
	char why[512];

	if ((d->result != AUTH_PASS && d->result != AUTH_FAIL) || d->policy_domain[0] == '\0' ||
	    !c->have_ip)
		return;
	memset(&r, 0, sizeof(r));
	r.time = (long long)time(NULL);
	snprintf(r.source_ip, sizeof(r.source_ip), "%s", c->addr_text);
	snprintf(r.header_from, sizeof(r.header_from), "%s", d->from_domain);
	snprintf(r.policy_domain, sizeof(r.policy_domain), "%s", d->policy_domain);
	snprintf(r.p, sizeof(r.p), "%s", d->pub_p);
	snprintf(r.sp, sizeof(r.sp), "%s", d->pub_sp);
	r.pct = d->pub_pct;
	r.adkim = d->pub_adkim_strict ? 's' : 'r';
	r.aspf = d->pub_aspf_strict ? 's' : 'r';
	snprintf(r.fo, sizeof(r.fo), "%s", d->pub_fo);
	snprintf(r.rua, sizeof(r.rua), "%s", d->pub_rua);
	snprintf(r.dkim_eval, sizeof(r.dkim_eval), "%s", d->dkim_aligned_pass ? "pass" : "fail");
	snprintf(r.spf_eval, sizeof(r.spf_eval), "%s", d->spf_aligned_pass ? "pass" : "fail");
	dmarc_applied(c, v, e, &r);
	/* RFC 7489 appendix C: there is always an SPF result; the MAIL FROM
	 * domain (the HELO name for a null sender) even when SPF did not run */
	if (a->spf_mailfrom.result != AUTH_UNSET && a->spf_mailfrom.domain[0] != '\0') {
		snprintf(r.spf_domain, sizeof(r.spf_domain), "%s", a->spf_mailfrom.domain);
		snprintf(r.spf_result, sizeof(r.spf_result), "%s",
			 auth_result_name(a->spf_mailfrom.result));
	} else {
		snprintf(r.spf_domain, sizeof(r.spf_domain), "%s",
			 c->msg.sender_parsed && !c->msg.sender.null ? c->msg.sender.domain : c->helo);
		snprintf(r.spf_result, sizeof(r.spf_result), "none");
	}
	snprintf(r.spf_scope, sizeof(r.spf_scope), "mfrom");
	snprintf(r.envelope_from, sizeof(r.envelope_from), "%s", r.spf_domain);
	for (int i = 0; i < a->nsigs && i < DKIM_SIGS_KEPT && r.ndkim < 8; i++) {
		struct dmarc_row_dkim *k = &r.dkim[r.ndkim];
		if (a->sigs[i].result == AUTH_UNSET || a->sigs[i].d[0] == '\0')
			continue;
		snprintf(k->result, sizeof(k->result), "%s", auth_result_name(a->sigs[i].result));
		snprintf(k->domain, sizeof(k->domain), "%s", a->sigs[i].d);
		snprintf(k->selector, sizeof(k->selector), "%s", a->sigs[i].s);
		r.ndkim++;
	}
	if (dmarc_history_append(c->cfg->dmarc_history, &r, why, sizeof(why)) < 0)
		log_msg(LOG_ERR, "%s: dmarc.history: %s", c->qid[0] ? c->qid : "NOQUEUE", why);
}

static void
eom_stage(struct conn *c, struct verdict *v, struct eom_edits *e)
{
	struct msg *m = &c->msg;
	struct auth_msg *a = &m->au;
	const struct policy *p = c->pol;
	struct verdict fv;

	memset(v, 0, sizeof(*v));
	memset(e, 0, sizeof(*e));
	if (!m->in_data)
		data_start(c);
	if (a->headers_over) {
		static const struct reply r = { 451, "4.3.0", "Too many header fields", 0 };
		verdict_set_action(v, "header_limit", ACTION_TEMPFAIL, &r, NULL,
				   "too many Authentication-Results fields");
		/* not through the dry run: a forged field must never pass */
		session_log(c, STAGE_EOM, v, NULL);
		return;
	}
	trace_at(c->trace, STAGE_EOM, "dkim");
	dkimv_finish(c, a->dkim, a);
	if (p->dkim_enabled && !m->auth_skip && a->dkim == NULL && a->sig_fields > 0)
		a->dkim_incomplete = true; /* no handle to verify with (logged): never a fail */
	if (p->dkim_enabled && !m->auth_skip) {
		trace_dkim(c->trace, a);
		fwdlearn_evidence(c);
	}
	/* a forwarder's origin (its SPF fact is the one DMARC uses), and the
	 * SPF verdict spf.defer held */
	forwarder_eom(c, &fv);
	if (p->dmarc_enabled && !m->auth_skip) {
		trace_at(c->trace, STAGE_EOM, "dmarc");
		dmarc_evaluate(c, a, (int)arc4random_uniform(100));
		trace_dmarc(c->trace, &a->dmarc);
		if (fv.action == ACTION_CONTINUE)
			dmarc_decide(c, v, e);
		else
			*v = fv; /* the refusal SPF or DNSBL would have given earlier */
		if (*c->cfg->dmarc_history != '\0' && !session_tracing(c))
			dmarc_history_add(c, v, e);
	}
	if (v->action == ACTION_CONTINUE && fv.action != ACTION_CONTINUE)
		*v = fv;
	if (v->action == ACTION_CONTINUE) {
		trace_at(c->trace, STAGE_EOM, "ratelimit");
		ratelimit_eom(c, v); /* a message refused for another reason is not counted */
		trace_check(c->trace, v);
	}
	trace_at(c->trace, STAGE_EOM, "session");
	log_results(c, a);
	if (session_settle(c, STAGE_EOM, v, NULL)) {
		free(e->tag);
		e->tag = NULL;
		e->quarantine[0] = '\0';
		return;
	}
	e->ar_delete = a->ar_forged;
	e->nar_delete = a->nforged;
	if (p->auth_header)
		e->authres = authres_build(c, a, c->cfg->authserv_id);
	if (p->spf_received && a->spf_mailfrom.received[0] != '\0')
		e->received_spf = xstrdup(a->spf_mailfrom.received);
	session_accepted(c, STAGE_EOM, "message");
}

void
session_eom(struct conn *c, struct verdict *v, struct eom_edits *e)
{
	int64_t t0 = session_stage_begin();

	eom_stage(c, v, e);
	session_stage_end(STAGE_EOM, t0);
}

void
eom_edits_free(struct eom_edits *e)
{
	free(e->authres);
	free(e->received_spf);
	free(e->tag);
	memset(e, 0, sizeof(*e));
}
