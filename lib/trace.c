/*
 * trace.c - the event sink of a traced session (see trace.h)
 */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct trace *
trace_new(void)
{
	struct trace *t = xcalloc(1, sizeof(*t));

	t->check = "session";
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
trace_free(struct trace *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct trace_event *e = &t->ev[i];
		free(e->text1);
		free(e->text2);
		free(e->text3);
		free(e->zone);
		for (int k = 0; k < e->nrr; k++)
			free(e->rr[k]);
		free(e->rr);
	}
	free(t->ev);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* an event; it takes over rr (nrr strings) */
static void
add_rr(struct trace *t, enum trace_kind kind, const char *t1, const char *t2, const char *t3,
       char **rr, int nrr)
{
	struct trace_event *e;

	pthread_mutex_lock(&t->lock);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->ev = xreallocarray(t->ev, t->cap, sizeof(*t->ev));
	}
	e = &t->ev[t->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->stage = t->stage;
	e->check = t->check;
	e->text1 = dup_or_null(t1);
	e->text2 = dup_or_null(t2);
	e->text3 = dup_or_null(t3);
	e->rr = rr;
	e->nrr = nrr;
	pthread_mutex_unlock(&t->lock);
}

static void
add(struct trace *t, enum trace_kind kind, const char *t1, const char *t2, const char *t3)
{
	add_rr(t, kind, t1, t2, t3, NULL, 0);
}

void
trace_ev_at(struct trace *t, int stage, const char *check)
{
	if (t == NULL)
		return;
	t->stage = stage;
	t->check = check;
}

void
trace_ev_check(struct trace *t, const struct verdict *v)
{
	if (t == NULL)
		return;
	add(t, TRACE_CHECK, action_name(v->action), v->rule, v->reason);
}

void
trace_ev_skip(struct trace *t, const char *why)
{
	if (t == NULL)
		return;
	add(t, TRACE_SKIP, why, NULL, NULL);
}

void
trace_ev_dns(struct trace *t, const struct dns_batch *b)
{
	if (t == NULL)
		return;
	for (int i = 0; i < dns_batch_count(b); i++) {
		const struct dns_answer *a = dns_batch_answer(b, i);
		int type = 0;
		const char *zone = NULL, *q = dns_batch_question(b, i, &type, &zone);
		char status[64], **rr = NULL;

		snprintf(status, sizeof(status), "%s%s%s", dns_status_name(a->status),
			 a->why ? "/" : "", a->why ? a->why : "");
		if (a->nrr > 0) {
			rr = xreallocarray(NULL, (size_t)a->nrr, sizeof(*rr));
			for (int k = 0; k < a->nrr; k++)
				rr[k] = xstrdup(a->rr[k]);
		}
		add_rr(t, TRACE_DNS, q, dns_type_name(type), status, rr, a->nrr);
		if (zone != NULL) {
			pthread_mutex_lock(&t->lock);
			t->ev[t->n - 1].zone = xstrdup(zone);
			pthread_mutex_unlock(&t->lock);
		}
	}
}

void
trace_ev_fact(struct trace *t, const char *label, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	add(t, TRACE_FACT, label, buf, NULL);
}

static void
spf_one(struct trace *t, const char *label, const struct spf_fact *f)
{
	if (f->result == AUTH_UNSET)
		return;
	trace_ev_fact(t, label, "%s for %s (domain %s)%s%s", auth_result_name(f->result),
		   f->identity[0] ? f->identity : "<>", f->domain[0] ? f->domain : "-",
		   f->explanation[0] ? ": " : "", f->explanation);
}

void
trace_ev_spf(struct trace *t, const struct auth_msg *a)
{
	if (t == NULL)
		return;
	spf_one(t, "spf.helo", &a->spf_helo);
	spf_one(t, "spf.mailfrom", &a->spf_mailfrom);
}

void
trace_ev_dkim(struct trace *t, const struct auth_msg *a)
{
	if (t == NULL)
		return;
	if (a->sig_fields == 0)
		trace_ev_fact(t, "dkim", "no DKIM-Signature field");
	for (int i = 0; i < a->nsigs && i < DKIM_SIGS_KEPT; i++)
		trace_ev_fact(t, "dkim", "%s d=%s s=%s a=%s%s%s", auth_result_name(a->sigs[i].result),
			   a->sigs[i].d, a->sigs[i].s, a->sigs[i].a, a->sigs[i].reason ? ": " : "",
			   a->sigs[i].reason ? a->sigs[i].reason : "");
	if (a->dkim_incomplete)
		trace_ev_fact(t, "dkim", "the signatures could not be checked for now");
}

void
trace_ev_dmarc(struct trace *t, const struct dmarc_fact *d)
{
	if (t == NULL || d->result == AUTH_UNSET)
		return;
	trace_ev_fact(t, "dmarc", "%s header.from=%s policy=%s disposition=%s: %s",
		   auth_result_name(d->result), d->from_domain[0] ? d->from_domain : "-",
		   d->policy ? d->policy : "-", d->disposition ? d->disposition : "-",
		   d->reason ? d->reason : "");
}

void
trace_log(void *arg, int prio, const char *line)
{
	(void)prio;
	if (arg != NULL)
		add(arg, TRACE_LOG, line, NULL, NULL);
}
