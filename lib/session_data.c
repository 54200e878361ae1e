/*
 * session_data.c - the message itself: header fields, body, end of message
 * (see session.h)
 *
 * Header fields: DKIM gets each one as it arrives; From fields are parsed
 * for DMARC; Authentication-Results fields are counted, and the indexes of
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
 * dmarc.on_quarantine say.  One log line gives every result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	const struct dmarc_fact *d = &c->msg.au.dmarc;
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

void
session_eom(struct conn *c, struct verdict *v, struct eom_edits *e)
{
	struct msg *m = &c->msg;
	struct auth_msg *a = &m->au;
	const struct policy *p = c->pol;

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
	if (p->dkim_enabled && !m->auth_skip)
		trace_dkim(c->trace, a);
	if (p->dmarc_enabled && !m->auth_skip) {
		trace_at(c->trace, STAGE_EOM, "dmarc");
		dmarc_evaluate(c, a, (int)arc4random_uniform(100));
		trace_dmarc(c->trace, &a->dmarc);
		dmarc_decide(c, v, e);
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
}

void
eom_edits_free(struct eom_edits *e)
{
	free(e->authres);
	free(e->received_spf);
	free(e->tag);
	memset(e, 0, sizeof(*e));
}
