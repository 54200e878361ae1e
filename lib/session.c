/*
 * session.c - the engine's stages (see session.h)
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

static const char *const stage_names[] = {
	[STAGE_CONNECT] = "connect", [STAGE_HELO] = "helo", [STAGE_MAIL] = "mail",
	[STAGE_RCPT] = "rcpt",	     [STAGE_DATA] = "data", [STAGE_EOM] = "eom",
};

const char *
stage_name(enum stage st)
{
	return stage_names[st];
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* An address that did not parse, as the client wrote it, less the angle
 * brackets the reply and the log put around it. */
static void
raw_text(char *dst, size_t len, const char *raw)
{
	const char *s = raw ? raw : "";
	size_t n = strlen(s);

	if (n > 0 && s[0] == '<')
		s++, n--;
	if (n > 0 && s[n - 1] == '>')
		n--;
	snprintf(dst, len, "%.*s", (int)n, s);
}

struct conn *
conn_new(struct config *cfg, const struct conn_info *ci)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	c->dns = ci->dns;
	c->dns_left = (unsigned)cfg->resolver_budget;
	copy(c->daemon_name, sizeof(c->daemon_name), ci->daemon_name);
	c->pol = config_policy_for(cfg, c->daemon_name);
	/* MTAs pass "[address]" when the client has no verified name */
	copy(c->hostname, sizeof(c->hostname),
	     ci->hostname && *ci->hostname && *ci->hostname != '[' ? ci->hostname : "unknown");
	if (ci->addr != NULL && ip_parse(ci->addr, &c->ip) == 0) {
		c->have_ip = true;
		ip_format(&c->ip, c->addr_text, sizeof(c->addr_text));
		c->trusted = cidrlist_match(&cfg->trusted, &c->ip) >= 0;
	} else {
		copy(c->addr_text, sizeof(c->addr_text), "unknown");
	}
	if (ci->daemon_addr != NULL && ip_parse(ci->daemon_addr, &c->daemon_ip) == 0)
		c->have_daemon_ip = true;
	metrics_gauge_add(MG_CONNECTIONS_OPEN, 1);
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	auth_msg_reset(&c->msg.au);
	session_kept_free(&c->msg);
	config_unref(c->cfg);
	free(c);
	metrics_gauge_add(MG_CONNECTIONS_OPEN, -1);
}

bool
session_exempt(const struct conn *c)
{
	return c->pol->exempt_trusted && (c->trusted || c->msg.auth[0] != '\0');
}

/* key="value" with the value made printable and its quotes escaped */
static size_t
put_quoted(char *buf, size_t used, size_t len, const char *key, const char *val)
{
	if (used + 1 >= len)
		return used;
	used += (size_t)snprintf(buf + used, len - used, " %s=\"", key);
	for (; *val && used + 3 < len; val++) {
		unsigned char ch = (unsigned char)*val;
		if (ch == '"' || ch == '\\')
			buf[used++] = '\\';
		buf[used++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (used + 1 < len)
		buf[used++] = '"';
	buf[used < len ? used : len - 1] = '\0';
	return used < len ? used : len - 1;
}

size_t
session_log_quoted(char *buf, size_t used, size_t len, const char *key, const char *val)
{
	return put_quoted(buf, used, len, key, val);
}

void
session_log(const struct conn *c, enum stage st, const struct verdict *v, const char *rcpt)
{
	char line[2048], reply[REPLY_LINE_MAX + 1];
	size_t used;

	char who[sizeof(c->hostname) + IP_TEXT_MAX + 4];

	snprintf(who, sizeof(who), "%s[%s]", c->hostname, c->addr_text);
	used = (size_t)snprintf(line, sizeof(line), "qid=%s", c->qid[0] ? c->qid : "-");
	used = put_quoted(line, used, sizeof(line), "client", who);
	used += (size_t)snprintf(line + used, sizeof(line) - used,
				 " policy=%s stage=%s action=%s", c->pol->name, stage_name(st),
				 action_name(v->action));
	if (used < sizeof(line) && v->action == ACTION_DRYRUN)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " would=%s",
					 action_name(v->would));
	if (used < sizeof(line) && v->rule != NULL)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " rule=%s", v->rule);
	if (used < sizeof(line) && v->reason != NULL)
		used = put_quoted(line, used, sizeof(line), "reason", v->reason);
	if (used < sizeof(line) && v->reply.code != 0) {
		reply_format(&v->reply, reply, sizeof(reply));
		used = put_quoted(line, used, sizeof(line), "reply", reply);
	}
	if (used < sizeof(line) && c->helo_seen)
		used = put_quoted(line, used, sizeof(line), "helo", c->helo);
	if (used < sizeof(line) && c->msg.active)
		used = put_quoted(line, used, sizeof(line), "from", c->msg.sender_text);
	if (used < sizeof(line) && rcpt != NULL)
		put_quoted(line, used, sizeof(line), "to", rcpt);
	/* accepts are counted where they are taken, logged or not (session_accepted) */
	if (v->action == ACTION_DRYRUN)
		metrics_decision(c->pol->name, stage_name(st), v->rule, action_name(v->would), true);
	else if (v->action != ACTION_ACCEPT)
		metrics_decision(c->pol->name, stage_name(st), v->rule, action_name(v->action), false);
	log_msg(v->action == ACTION_REJECT || v->action == ACTION_TEMPFAIL ? LOG_NOTICE : LOG_INFO,
		"%s", line);
}

void
session_accepted(const struct conn *c, enum stage st, const char *rule)
{
	metrics_decision(c->pol->name, stage_name(st), rule, action_name(ACTION_ACCEPT), false);
}

int64_t
session_stage_begin(void)
{
	metrics_gauge_add(MG_WORKERS_BUSY, 1);
	return metrics_stage_begin();
}

void
session_stage_end(enum stage st, int64_t begin)
{
	metrics_stage_end((int)st, begin);
	metrics_gauge_add(MG_WORKERS_BUSY, -1);
}

/*
 * settle - the policy's dry-run mode, then the log line.  Returns true when
 * v stands as the stage's answer (reject or tempfail); a dry-run verdict is
 * logged and turned into "continue".
 */
bool
session_settle(struct conn *c, enum stage st, struct verdict *v, const char *rcpt)
{
	if (v->action != ACTION_REJECT && v->action != ACTION_TEMPFAIL && v->action != ACTION_DRYRUN)
		return false;
	/* a policy in dry run still never relays for strangers: only an explicit
	 * relay.action = dryrun does that */
	if (c->pol->dryrun && v->action != ACTION_DRYRUN && strcmp(v->rule, "relay") != 0) {
		v->would = v->action;
		v->action = ACTION_DRYRUN;
	}
	session_log(c, st, v, rcpt);
	if (v->action == ACTION_DRYRUN) {
		memset(v, 0, sizeof(*v));
		return false;
	}
	return true;
}

/*
 * run_checks - the checks of stage st, in registry order, until one
 * decides.  Dry-run verdicts are logged where they fire and do not stop
 * the stage.  The first reject or tempfail is returned in v.
 */
static void
run_checks(struct conn *c, enum stage st, bool exempt, struct verdict *v, const char *rcpt)
{
	memset(v, 0, sizeof(*v));
	trace_at(c->trace, (int)st, "session");
	for (const struct check *const *k = checks; *k != NULL; k++) {
		if (!((*k)->stages & STAGE_BIT(st)))
			continue;
		trace_at(c->trace, (int)st, (*k)->name);
		if (exempt && (*k)->exemptable) {
			trace_skip(c->trace, "exempt client or sender");
			continue;
		}
		(*k)->run(c, st, v);
		trace_check(c->trace, v);
		if (v->action == ACTION_ACCEPT)
			break;
		if (v->action == ACTION_DRYRUN) {
			session_log(c, st, v, rcpt);
			memset(v, 0, sizeof(*v));
			continue;
		}
		if (v->action != ACTION_CONTINUE)
			break;
	}
	trace_at(c->trace, (int)st, "session");
	if (v->action == ACTION_ACCEPT)
		memset(v, 0, sizeof(*v));
}

/* A connect, HELO or sender verdict: held for RCPT, or given now. */
static void
hold_or_give(struct conn *c, enum stage st, struct verdict *found, struct verdict *held,
	     struct verdict *v)
{
	memset(held, 0, sizeof(*held));
	memset(v, 0, sizeof(*v));
	if (found->action == ACTION_CONTINUE)
		return;
	if (c->pol->dryrun) {
		session_settle(c, st, found, NULL); /* logs "would" now; nothing to hold */
		return;
	}
	if (c->pol->delay_reject) {
		*held = *found;
		return;
	}
	*v = *found;
	session_settle(c, st, v, NULL);
}

void
session_connect(struct conn *c, struct verdict *v)
{
	struct verdict found;
	int64_t t0 = session_stage_begin();

	run_checks(c, STAGE_CONNECT, session_exempt(c), &found, NULL);
	hold_or_give(c, STAGE_CONNECT, &found, &c->connect_v, v);
	session_stage_end(STAGE_CONNECT, t0);
}

void
session_helo(struct conn *c, const char *helo, struct verdict *v)
{
	struct verdict found;
	int64_t t0 = session_stage_begin();

	copy(c->helo, sizeof(c->helo), helo);
	c->helo_seen = true;
	run_checks(c, STAGE_HELO, session_exempt(c) || c->allowlisted, &found, NULL);
	hold_or_give(c, STAGE_HELO, &found, &c->helo_v, v);
	session_stage_end(STAGE_HELO, t0);
}

static void
msg_reset(struct msg *m)
{
	auth_msg_reset(&m->au);
	session_kept_free(m);
	memset(m, 0, sizeof(*m));
}

void
session_mail(struct conn *c, const char *sender, const char *auth_authen, struct verdict *v)
{
	struct msg *m = &c->msg;
	struct verdict found;
	const char *why;
	int64_t t0 = session_stage_begin();

	msg_reset(m);
	m->active = true;
	c->dns_left = (unsigned)c->cfg->resolver_budget;
	c->transactions++;
	copy(m->auth, sizeof(m->auth), auth_authen);
	if (addr_parse(sender ? sender : "", &m->sender, &why) == 0) {
		m->sender_parsed = true;
		addr_format(&m->sender, m->sender_text, sizeof(m->sender_text));
	} else {
		raw_text(m->sender_text, sizeof(m->sender_text), sender);
	}
	run_checks(c, STAGE_MAIL, session_exempt(c) || c->allowlisted, &found, NULL);
	hold_or_give(c, STAGE_MAIL, &found, &m->mail_v, v);
	session_stage_end(STAGE_MAIL, t0);
}

static void
rcpt_stage(struct conn *c, const char *rcpt, struct verdict *v)
{
	struct msg *m = &c->msg;
	struct verdict *held[] = { &c->connect_v, &c->helo_v, &m->mail_v };
	struct verdict ok = { .action = ACTION_ACCEPT };
	const char *why;

	m->nrcpt++;
	m->rcpt_rewritten = false;
	m->rcpt_parsed = addr_parse(rcpt ? rcpt : "", &m->rcpt, &why) == 0;
	if (m->rcpt_parsed)
		addr_format(&m->rcpt, m->rcpt_text, sizeof(m->rcpt_text));
	else
		raw_text(m->rcpt_text, sizeof(m->rcpt_text), rcpt);

	/* held verdicts first, in SMTP order, unless the client is now exempt
	 * (and the check did not ask for exempt clients too) */
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		if (held[i]->action == ACTION_CONTINUE || (session_exempt(c) && !held[i]->binds_exempt))
			continue;
		*v = *held[i];
		if (session_settle(c, STAGE_RCPT, v, m->rcpt_text))
			return;
	}
	run_checks(c, STAGE_RCPT, session_exempt(c) || c->allowlisted || m->allowlisted, v,
		   m->rcpt_text);
	if (session_settle(c, STAGE_RCPT, v, m->rcpt_text))
		return;
	m->naccepted++;
	session_keep_rcpt(c, rcpt);
	ok.rule = c->trusted ? "trusted" : c->msg.auth[0] != '\0' ? "authenticated" : "recipient";
	session_accepted(c, STAGE_RCPT, ok.rule);
	if (c->cfg->log_accepts)
		session_log(c, STAGE_RCPT, &ok, m->rcpt_text);
	memset(v, 0, sizeof(*v));
}

void
session_rcpt(struct conn *c, const char *rcpt, struct verdict *v)
{
	int64_t t0 = session_stage_begin();

	rcpt_stage(c, rcpt, v);
	session_stage_end(STAGE_RCPT, t0);
}

struct dns_batch *
session_dns(struct conn *c)
{
	return dns_batch_new(c->dns, c->dns_left);
}

void
session_dns_done(struct conn *c, struct dns_batch *b)
{
	session_dns_within(c, b, c->cfg->resolver_timeout);
}

void
session_dns_within(struct conn *c, struct dns_batch *b, long ms)
{
	unsigned sent;

	dns_batch_wait(b, (int)(ms < 0 ? 0 : ms > c->cfg->resolver_timeout ? c->cfg->resolver_timeout : ms));
	sent = dns_batch_sent(b);
	trace_dns(c->trace, b);
	c->dns_left = sent >= c->dns_left ? 0 : c->dns_left - sent;
}

void
session_end_message(struct conn *c)
{
	msg_reset(&c->msg);
	c->qid[0] = '\0';
}

void
session_set_qid(struct conn *c, const char *qid)
{
	if (qid != NULL && *qid != '\0')
		copy(c->qid, sizeof(c->qid), qid);
}
