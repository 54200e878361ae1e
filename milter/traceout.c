/*
 * traceout.c - the report of doorman -t (tracecmd.h), for people or JSON
 *
 * For people: one block per step (connect, helo, mail, each rcpt, data,
 * eom), each event on a line tagged with the check it came from, then the
 * step's verdict; at the end the decision, the reply, the header fields
 * that would be added and the exit status.  JSON (-j): one object,
 *	{ "client", "policy", "config", "store",
 *	  "steps": [ { "stage", "arg", "checks": [{check, result, rule, reason}],
 *	               "dns": [{check, query, zone, type, status, answers: []}],
 *	               "facts": [{check, label, text}], "log": [],
 *	               "verdict": {action, rule, reason, reply}, "held" } ],
 *	  "message", "decision": {action, rule, reason, reply, stage, accepted},
 *	  "header": {name: value}, "quarantine", "sender" (SRS or BATV's new
 *	  envelope sender, or null), "exit" }
 * Every string goes through one escaping function: what a client sent
 * (a HELO name, an address) cannot break the object.
 */
#include <stdio.h>
#include <string.h>

#include "session.h"
#include "tracecmd.h"

static const char *
result_word(const struct verdict *v)
{
	return v->action == ACTION_CONTINUE ? "accept" : action_name(v->action);
}

/* a step that lets the session go on: "accept" for a recipient or the
 * message, "continue" before (the MTA is told nothing yet) */
static const char *
step_word(const struct trace_step *s)
{
	if (s->v.action != ACTION_CONTINUE)
		return action_name(s->v.action);
	return s->stage == STAGE_RCPT || s->stage == STAGE_EOM ? "accept" : "continue";
}

/* ---- for people ---- */

static void
text_verdict(const struct trace_step *s, FILE *out)
{
	char reply[REPLY_LINE_MAX + 1];

	if (s->v.action == ACTION_REJECT || s->v.action == ACTION_TEMPFAIL) {
		reply_format(&s->v.reply, reply, sizeof(reply));
		fprintf(out, "  => %s (rule %s): %s\n", action_name(s->v.action),
			s->v.rule ? s->v.rule : "-", reply);
	} else if (s->held != NULL) {
		fprintf(out, "  => continue: the verdict of rule %s is held until RCPT (delay_reject)\n",
			s->held);
	} else {
		fprintf(out, "  => %s\n", step_word(s));
	}
}

static void
text_event(const struct trace_event *e, FILE *out)
{
	switch (e->kind) {
	case TRACE_CHECK:
		fprintf(out, "  [%s] result: %s%s%s%s%s\n", e->check, e->text1,
			e->text2 ? " rule=" : "", e->text2 ? e->text2 : "", e->text3 ? ": " : "",
			e->text3 ? e->text3 : "");
		break;
	case TRACE_SKIP:
		fprintf(out, "  [%s] skipped: %s\n", e->check, e->text1);
		break;
	case TRACE_DNS:
		fprintf(out, "  [%s] dns %s %s%s%s%s: %s", e->check, e->text2, e->text1,
			e->zone ? " (zone " : "", e->zone ? e->zone : "", e->zone ? ")" : "", e->text3);
		for (int k = 0; k < e->nrr; k++)
			fprintf(out, "%s%s", k ? ", " : " ", e->rr[k]);
		fputc('\n', out);
		break;
	case TRACE_FACT:
		fprintf(out, "  [%s] %s: %s\n", e->check, e->text1, e->text2);
		break;
	case TRACE_LOG:
		fprintf(out, "  log: %s\n", e->text1);
		break;
	}
}

static void
print_text(const struct trace_report *r, FILE *out)
{
	char reply[REPLY_LINE_MAX + 1];

	fprintf(out, "doorman trace: client %s, policy %s (%s)\n", r->client, r->policy, r->config);
	fprintf(out, "state store: %s\n", r->store);
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct trace_step *s = &r->steps[i];
		fprintf(out, "\n%s%s%s\n", stage_name((enum stage)s->stage), s->arg[0] ? " " : "",
			s->arg);
		for (size_t k = s->first; k < s->last; k++)
			text_event(&r->t->ev[k], out);
		text_verdict(s, out);
	}
	if (r->no_message)
		fprintf(out, "\nno message (-m): DATA, DKIM and DMARC not run\n");
	fprintf(out, "\ndecision: %s", result_word(&r->decision));
	if (r->decided_stage >= 0)
		fprintf(out, " at %s", stage_name((enum stage)r->decided_stage));
	if (r->decision.rule != NULL)
		fprintf(out, ", rule %s", r->decision.rule);
	fputc('\n', out);
	if (r->decision.reply.code != 0) {
		reply_format(&r->decision.reply, reply, sizeof(reply));
		fprintf(out, "reply: %s\n", reply);
	} else if (r->decision.action == ACTION_CONTINUE) {
		fprintf(out, "recipients accepted: %u of %u\n", r->accepted, r->nrcpt);
	}
	if (r->received_spf)
		fprintf(out, "header: Received-SPF: %s\n", r->received_spf);
	if (r->authres)
		fprintf(out, "header: Authentication-Results: %s\n", r->authres);
	if (r->tag)
		fprintf(out, "header: %s: %s\n", TAG_HEADER, r->tag);
	if (r->quarantine[0])
		fprintf(out, "quarantine: %s\n", r->quarantine);
	if (r->new_sender[0])
		fprintf(out, "sender change: %s\n", r->new_sender);
	fprintf(out, "exit: %d\n", r->exit);
}

/* ---- JSON ---- */

static void
jstr(const char *s, FILE *out)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p); /* bytes, not UTF-8: each one kept visible */
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
jkey(const char *k, const char *v, bool comma, FILE *out)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", k);
	jstr(v, out);
}

static void
jverdict(const struct verdict *v, const char *word, FILE *out)
{
	char reply[REPLY_LINE_MAX + 1];

	reply_format(&v->reply, reply, sizeof(reply));
	fputc('{', out);
	jkey("action", word, false, out);
	jkey("rule", v->rule, true, out);
	jkey("reason", v->reason, true, out);
	jkey("reply", v->reply.code ? reply : NULL, true, out);
}

/* the events of kind k of step s as a JSON array */
static void
jevents(const struct trace_report *r, const struct trace_step *s, const char *name,
	enum trace_kind k, FILE *out)
{
	bool first = true;

	fprintf(out, ",\"%s\":[", name);
	for (size_t i = s->first; i < s->last; i++) {
		const struct trace_event *e = &r->t->ev[i];
		if (e->kind != k && !(k == TRACE_CHECK && e->kind == TRACE_SKIP))
			continue;
		if (!first)
			fputc(',', out);
		first = false;
		if (k == TRACE_LOG) {
			jstr(e->text1, out);
			continue;
		}
		fputc('{', out);
		jkey("check", e->check, false, out);
		if (e->kind == TRACE_CHECK) {
			jkey("result", e->text1, true, out);
			jkey("rule", e->text2, true, out);
			jkey("reason", e->text3, true, out);
		} else if (e->kind == TRACE_SKIP) {
			jkey("result", "skipped", true, out);
			jkey("rule", NULL, true, out);
			jkey("reason", e->text1, true, out);
		} else if (e->kind == TRACE_DNS) {
			jkey("query", e->text1, true, out);
			jkey("zone", e->zone, true, out);
			jkey("type", e->text2, true, out);
			jkey("status", e->text3, true, out);
			fputs(",\"answers\":[", out);
			for (int a = 0; a < e->nrr; a++) {
				if (a)
					fputc(',', out);
				jstr(e->rr[a], out);
			}
			fputc(']', out);
		} else {
			jkey("label", e->text1, true, out);
			jkey("text", e->text2, true, out);
		}
		fputc('}', out);
	}
	fputc(']', out);
}

static void
print_json(const struct trace_report *r, FILE *out)
{
	fputc('{', out);
	jkey("client", r->client, false, out);
	jkey("policy", r->policy, true, out);
	jkey("config", r->config, true, out);
	jkey("store", r->store, true, out);
	fputs(",\"steps\":[", out);
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct trace_step *s = &r->steps[i];
		if (i)
			fputc(',', out);
		fputc('{', out);
		jkey("stage", stage_name((enum stage)s->stage), false, out);
		jkey("arg", s->arg, true, out);
		jevents(r, s, "checks", TRACE_CHECK, out);
		jevents(r, s, "dns", TRACE_DNS, out);
		jevents(r, s, "facts", TRACE_FACT, out);
		jevents(r, s, "log", TRACE_LOG, out);
		fputs(",\"verdict\":", out);
		jverdict(&s->v, step_word(s), out);
		fputc('}', out);
		jkey("held", s->held, true, out);
		fputc('}', out);
	}
	fprintf(out, "],\"message\":%s",
		r->nsteps > 0 && r->steps[r->nsteps - 1].stage == STAGE_EOM ? "true" : "false");
	fputs(",\"decision\":", out);
	jverdict(&r->decision, result_word(&r->decision), out);
	jkey("stage", r->decided_stage >= 0 ? stage_name((enum stage)r->decided_stage) : NULL, true,
	     out);
	fprintf(out, ",\"accepted\":%u}", r->accepted);
	fputs(",\"header\":{", out);
	bool comma = false;
	if (r->received_spf) {
		jkey("Received-SPF", r->received_spf, comma, out);
		comma = true;
	}
	if (r->authres) {
		jkey("Authentication-Results", r->authres, comma, out);
		comma = true;
	}
	if (r->tag)
		jkey(TAG_HEADER, r->tag, comma, out);
	fputc('}', out);
	jkey("quarantine", r->quarantine[0] ? r->quarantine : NULL, true, out);
	jkey("sender", r->new_sender[0] ? r->new_sender : NULL, true, out);
	fprintf(out, ",\"exit\":%d}\n", r->exit);
}

void
trace_print(const struct trace_report *r, bool json, FILE *out)
{
	if (json)
		print_json(r, out);
	else
		print_text(r, out);
}
