/*
 * tracecmd.c - doorman -t: explain a verdict without an MTA
 *
 * SYNOPSIS
 *	doorman -t [-c file] [-l listener | -p policy] -a address [-N name]
 *	    [-H helo] [-u user] -s sender -r rcpt [-r rcpt ...] [-m file] [-j]
 *
 * DESCRIPTION
 *	Runs one SMTP session through the engine (session.h) as the milter
 *	callbacks do (milter.c), in this process: connect, HELO, MAIL, each
 *	RCPT, and with -m the header fields, body and end of the message,
 *	with the real policy and the real resolver (resolver.* settings).  A
 *	trace sink (lib/trace.h) on the connection collects every check that
 *	ran, each DNS question and answer, the SPF, DKIM and DMARC facts and
 *	the log lines; traceout.c prints them per step, with the verdict the
 *	MTA would be given, the rule, the reply and the header fields that
 *	would be added.
 *
 *	Side effects: none that last.  The state store is read only
 *	(store_readonly): greylisting says what it would decide from the
 *	entries as they are and writes none, no counter moves, and code that
 *	keeps history asks session_tracing().  Nothing is sent but questions:
 *	DNS queries, and a recipient callout when the policy has one (it asks
 *	the backend with RCPT TO and quits before any DATA).
 *
 *	The session as an MTA would end it: a verdict at connect, HELO or
 *	MAIL that the policy does not hold until RCPT ends the session there;
 *	each recipient gets its own verdict; with no recipient accepted the
 *	message ends (a tempfail, if any recipient had one, else a reject).
 *
 * EXIT STATUS
 *	0 accepted (for at least one recipient, and at the end of the
 *	message), 1 rejected, 2 tempfailed, 3 usage or policy error.
 */
#include "tracecmd.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "errs.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "xalloc.h"

#define MSG_MAX (64L << 20) /* a message file bigger than any MTA's limit is refused */

/* the options that take one string, given once each */
static const struct {
	char ch;
	size_t off;
} string_opts[] = {
	{ 'a', offsetof(struct trace_opts, addr) },   { 'N', offsetof(struct trace_opts, name) },
	{ 'H', offsetof(struct trace_opts, helo) },   { 'l', offsetof(struct trace_opts, listener) },
	{ 'p', offsetof(struct trace_opts, policy) }, { 'u', offsetof(struct trace_opts, auth) },
	{ 's', offsetof(struct trace_opts, sender) }, { 'm', offsetof(struct trace_opts, msgfile) },
};

int
trace_opt(struct trace_opts *o, int ch, const char *arg)
{
	if (ch == 'r') {
		if (o->nrcpt >= TRACE_RCPT_MAX)
			return -1;
		o->rcpt[o->nrcpt++] = arg;
		return 0;
	}
	if (ch == 'j') {
		o->json = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(string_opts) / sizeof(string_opts[0]); i++) {
		const char **slot = (const char **)((char *)o + string_opts[i].off);

		if (string_opts[i].ch != ch)
			continue;
		if (*slot != NULL)
			return -1;
		*slot = arg;
		return 0;
	}
	return -1;
}

static int
usage_error(const char *why)
{
	fprintf(stderr, "doorman -t: %s\n", why);
	fprintf(stderr, "usage: doorman -t [-c file] [-l listener | -p policy] -a address [-N name]\n"
			"\t[-H helo] [-u user] -s sender -r rcpt [-r rcpt ...] [-m file] [-j]\n");
	return 3;
}

/* "<addr>" as the MTA passes MAIL FROM and RCPT TO arguments */
static void
bracket(char *out, size_t len, const char *a)
{
	snprintf(out, len, a[0] == '<' ? "%s" : "<%s>", a);
}

static struct trace_step *
step_begin(struct trace_report *r, int stage, const char *arg)
{
	struct trace_step *s = &r->steps[r->nsteps++];

	memset(s, 0, sizeof(*s));
	s->stage = stage;
	snprintf(s->arg, sizeof(s->arg), "%s", arg ? arg : "");
	s->first = r->t->n;
	return s;
}

/* the step's end; true when its verdict ends the session (reject or tempfail) */
static bool
step_end(struct trace_report *r, struct trace_step *s, const struct verdict *v,
	 const struct verdict *held)
{
	s->last = r->t->n;
	s->v = *v;
	if (held != NULL && held->action != ACTION_CONTINUE)
		s->held = held->rule;
	if (v->action == ACTION_REJECT || v->action == ACTION_TEMPFAIL) {
		r->decision = *v;
		r->decided_stage = s->stage;
		return true;
	}
	return false;
}

/* alias rewriting: what would be edited, as a fact */
static int
note_rcpt_edit(void *arg, const char *addr, bool add)
{
	trace_fact(arg, "alias", "%s recipient %s", add ? "add" : "delete", addr);
	return 0;
}

/* the file as CRLF lines (what the MTA passes), or NULL with errno */
static char *
read_message(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 8192, n = 0;
	char *buf;
	int ch, prev = 0;

	if (f == NULL)
		return NULL;
	buf = xmalloc(cap);
	while ((ch = getc(f)) != EOF) {
		if (n + 3 >= cap) {
			if (cap >= (size_t)MSG_MAX) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if (ch == '\n' && prev != '\r')
			buf[n++] = '\r';
		buf[n++] = (char)ch;
		prev = ch;
	}
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

/* header fields (value as after the colon, folded lines kept with CRLF),
 * end of header, the body: as lib.lua's message() hands them over */
static void
send_message(struct conn *c, char *msg, size_t len)
{
	char *p = msg, *end = msg + len, *body;

	if ((body = strstr(msg, "\r\n\r\n")) != NULL) {
		body[2] = '\0'; /* the header is the lines up to the empty one */
		body += 4;
	} else {
		body = end; /* header only */
	}
	while (p < end && *p != '\0') {
		char *colon, *eol = strstr(p, "\r\n");

		/* the field runs on over lines that start with white space */
		while (eol != NULL && (eol[2] == ' ' || eol[2] == '\t'))
			eol = strstr(eol + 2, "\r\n");
		if (eol == NULL)
			eol = p + strlen(p);
		*eol = '\0';
		if ((colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			session_header(c, p, colon + 1);
		}
		p = eol + 2;
	}
	session_eoh(c);
	if (body < end)
		session_body(c, (const unsigned char *)body, (size_t)(end - body));
}

static const struct policy *
policy_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->npolicies; i++)
		if (strcmp(cfg->policies[i].name, name) == 0)
			return &cfg->policies[i];
	return NULL;
}

/* the session itself; fills r */
static void
run_session(struct conn *c, const struct trace_opts *o, char *msg, size_t msglen,
	    struct trace_report *r)
{
	struct trace_step *s;
	struct verdict v;
	char arg[600];

	s = step_begin(r, STAGE_CONNECT, o->addr);
	session_connect(c, &v);
	if (step_end(r, s, &v, &c->connect_v))
		return;
	if (o->helo != NULL) {
		s = step_begin(r, STAGE_HELO, o->helo);
		session_helo(c, o->helo, &v);
		if (step_end(r, s, &v, &c->helo_v))
			return;
	}
	bracket(arg, sizeof(arg), o->sender);
	s = step_begin(r, STAGE_MAIL, arg);
	session_mail(c, arg, o->auth, &v);
	if (step_end(r, s, &v, &c->msg.mail_v))
		return;
	for (int i = 0; i < o->nrcpt; i++) {
		bracket(arg, sizeof(arg), o->rcpt[i]);
		s = step_begin(r, STAGE_RCPT, arg);
		session_rcpt(c, arg, &v);
		s->last = r->t->n;
		s->v = v;
		if (v.action != ACTION_REJECT && v.action != ACTION_TEMPFAIL)
			r->accepted++;
		else if (r->decision.action == ACTION_CONTINUE ||
			 (r->decision.action == ACTION_REJECT && v.action == ACTION_TEMPFAIL))
			r->decision = v; /* a tempfail outweighs a reject: the client retries */
	}
	if (r->accepted == 0) {
		r->decided_stage = STAGE_RCPT;
		return;
	}
	memset(&r->decision, 0, sizeof(r->decision));
	if (msg == NULL) {
		r->no_message = true;
		return;
	}
	s = step_begin(r, STAGE_DATA, o->msgfile);
	send_message(c, msg, msglen);
	memset(&v, 0, sizeof(v));
	step_end(r, s, &v, NULL);

	struct eom_edits e;
	s = step_begin(r, STAGE_EOM, NULL);
	session_eom(c, &v, &e);
	if (v.action == ACTION_CONTINUE)
		session_rewrite_rcpts(c, note_rcpt_edit, c->trace, &v);
	if (v.action == ACTION_CONTINUE &&
	    session_new_sender(c, r->new_sender, sizeof(r->new_sender)) == 0)
		r->new_sender[0] = '\0';
	if (!step_end(r, s, &v, NULL)) {
		r->authres = e.authres ? xstrdup(e.authres) : NULL;
		r->received_spf = e.received_spf ? xstrdup(e.received_spf) : NULL;
		r->tag = e.tag ? xstrdup(e.tag) : NULL;
		snprintf(r->quarantine, sizeof(r->quarantine), "%s", e.quarantine);
	}
	eom_edits_free(&e);
}

int
trace_run(const char *config_path, const struct trace_opts *o)
{
	struct errs errs = { 0 };
	struct trace_report r;
	struct conn_info ci = { 0 };
	const struct policy *pol = NULL;
	struct config *cfg;
	struct trace *t;
	struct dns *dns;
	struct conn *c;
	char why[256], *msg = NULL;
	size_t msglen = 0;

	if (o->addr == NULL || o->sender == NULL || o->nrcpt == 0)
		return usage_error("-a, -s and at least one -r are required");
	if (o->listener != NULL && o->policy != NULL)
		return usage_error("-l and -p exclude each other");
	if (o->msgfile != NULL && (msg = read_message(o->msgfile, &msglen)) == NULL) {
		fprintf(stderr, "doorman -t: %s: %s\n", o->msgfile, strerror(errno));
		return 3;
	}
	if ((cfg = config_load(config_path, &errs)) == NULL) {
		errs_print(&errs, stderr);
		errs_free(&errs);
		free(msg);
		return 3;
	}
	errs_free(&errs);
	if (o->policy != NULL && (pol = policy_named(cfg, o->policy)) == NULL) {
		fprintf(stderr, "doorman -t: %s: no policy named \"%s\"\n", config_path, o->policy);
		config_unref(cfg);
		free(msg);
		return 3;
	}
	cfg->log_accepts = true; /* our own snapshot: every decision gets its line */
	store_readonly();
	signal(SIGPIPE, SIG_IGN);
	log_open("doorman", true, LOG_MAIL);
	if ((dns = config_resolver_new(cfg, why, sizeof(why))) == NULL ||
	    auth_init(cfg->public_suffix_list, cfg->authserv_id, why, sizeof(why)) < 0) {
		fprintf(stderr, "doorman -t: %s\n", why);
		dns_free(dns);
		config_unref(cfg);
		free(msg);
		return 3;
	}
	dns_keep_questions(dns);
	t = trace_new();
	log_set_sink(trace_log, t);

	ci.daemon_name = o->listener;
	ci.hostname = o->name;
	ci.addr = o->addr;
	ci.dns = dns;
	c = conn_new(config_ref(cfg), &ci);
	c->trace = t;
	if (pol != NULL)
		c->pol = pol;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.config = config_path;
	r.policy = c->pol->name;
	r.decided_stage = -1;
	r.nrcpt = (unsigned)o->nrcpt;
	r.store = c->pol->greylist_enabled || c->pol->ratelimit_rules.n > 0
			  ? "read only: greylisting and rate limits decide from the entries "
			    "as they are, and nothing is written"
			  : "not used by this policy";
	snprintf(r.client, sizeof(r.client), "%s[%s]", c->hostname, c->addr_text);
	if (c->have_ip) {
		run_session(c, o, msg, msglen, &r);
		session_end_message(c);
		r.exit = r.decision.action == ACTION_REJECT     ? 1
			 : r.decision.action == ACTION_TEMPFAIL ? 2
								: 0;
	}
	log_set_sink(NULL, NULL);
	if (c->have_ip) {
		trace_print(&r, o->json, stdout);
	} else {
		fprintf(stderr, "doorman -t: -a %s: not an IP address\n", o->addr);
		r.exit = 3;
	}

	free(r.authres);
	free(r.received_spf);
	free(r.tag);
	conn_free(c);
	trace_free(t);
	auth_shutdown();
	dns_free(dns);
	config_unref(cfg);
	free(msg);
	return r.exit;
}
