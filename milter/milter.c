/*
 * milter.c - the milter callbacks (see milter.h)
 *
 * The callbacks are served by one of two milter engines (engine.h: the
 * native proto.c or libmilter, milter.engine), reached only through the
 * operations of the one milter_set_engine() chose.
 *
 * Each connection's state is a struct mconn behind eng->setpriv(): the
 * engine's struct conn (from connect on) and the verdicts held for a step
 * that can answer (below).  Both engines run a connection's callbacks one
 * at a time, maybe on different threads, so it needs no lock, and
 * nothing here is thread-local.  Strings from the engine (arguments,
 * eng->getsym) are borrowed: the session copies what it keeps.
 *
 * Replies doorman never needs to give (header fields, end of header, body
 * chunks, DATA: they always go on) are negotiated away where the MTA
 * offers it (SMFIP_NR_*), as are unknown commands: fewer round trips per
 * message.  So are those of connect, HELO and MAIL when every policy of
 * the running configuration holds its rejections until RCPT
 * (delay_reject, or dry run: answers_late()).  A verdict that comes at a
 * step with no reply all the same (an internal failure, or a reload to a
 * policy that answers early) is held and given at the next step that has
 * one, RCPT or the end of the message, as delay_reject would.
 *
 * Failure semantics: a callback that finds no connection state (the MTA
 * skipped connect, or it failed) answers tempfail with one log line, never
 * accept.  Macros may be missing (Sendmail sends fewer than Postfix):
 * each one used has a fallback.
 */
#include "milter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "hdrval.h"
#include "log.h"
#include "session.h"

static struct dns *milter_dns;        /* set once before serving, then read-only */
static const struct engine *eng = &engine_native; /* likewise */

/* steps whose reply we do without when the MTA offers it */
#define NR_STEPS (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_NR_DATA | SMFIP_NR_UNKN)

struct mconn {
	struct verdict held_conn; /* a connect or HELO verdict no reply carried */
	struct verdict held_msg;  /* a sender or message-step verdict likewise */
	struct config *cfg;   /* pinned at negotiation, until connect takes it */
	struct conn *c;       /* from connect on */
};

void
milter_set_dns(struct dns *d)
{
	milter_dns = d;
}

void
milter_set_engine(const struct engine *e)
{
	eng = e;
}

static struct mconn *
mconn_of(struct pctx *ctx)
{
	return eng->getpriv(ctx);
}

static struct conn *
conn_of(struct pctx *ctx, const char *stage)
{
	struct mconn *m = mconn_of(ctx);

	if (m == NULL || m->c == NULL) {
		log_msg(LOG_ERR, "stage=%s action=tempfail reason=\"no connection state\"", stage);
		return NULL;
	}
	return m->c;
}

static bool
leadspc(struct pctx *ctx)
{
	return eng->protocol(ctx) & SMFIP_HDR_LEADSPC;
}

static void
take_qid(struct pctx *ctx, struct conn *c)
{
	session_set_qid(c, eng->getsym(ctx, "i"));
}

/*
 * milter_answer - the one place a verdict becomes a milter return.  A
 * reply goes with REJECT and TEMPFAIL only (both engines drop a reply
 * whose first digit does not match); '%' is doubled because Sendmail and Postfix
 * take a milter's reply text as a format (Sendmail's convention).
 */
static enum pstat
milter_answer(struct pctx *ctx, const struct verdict *v)
{
	char text[REPLY_TEXT_MAX * 2 + 1];
	size_t j = 0;

	if (v->action != ACTION_REJECT && v->action != ACTION_TEMPFAIL)
		return PS_CONTINUE;
	for (const char *p = v->reply.text; *p && j + 2 < sizeof(text); p++) {
		if (*p == '%')
			text[j++] = '%';
		text[j++] = *p;
	}
	text[j] = '\0';
	if (eng->setreply(ctx, v->reply.code, v->reply.ecode, text) < 0)
		log_msg(LOG_WARNING, "reply \"%03d %s %s\" not sendable: the MTA's own goes instead",
			v->reply.code, v->reply.ecode, text);
	return v->action == ACTION_REJECT ? PS_REJECT : PS_TEMPFAIL;
}

/* go on: with no reply at all where that was agreed */
static enum pstat
go_on(struct pctx *ctx, unsigned long step)
{
	return eng->protocol(ctx) & step ? PS_NOREPLY : PS_CONTINUE;
}

/* the verdict of STEP: answered, or held in HELD when STEP has no reply */
static enum pstat
answer_or_hold(struct pctx *ctx, struct verdict *held, const struct verdict *v,
	       unsigned long step)
{
	if (!(eng->protocol(ctx) & step))
		return milter_answer(ctx, v);
	if ((v->action == ACTION_REJECT || v->action == ACTION_TEMPFAIL) &&
	    held->action == ACTION_CONTINUE)
		*held = *v;
	return PS_NOREPLY;
}

/* a step that cannot go on (no state, no memory): tempfail, now or held */
static enum pstat
fail_step(struct pctx *ctx, unsigned long step, const char *why)
{
	static const struct reply r = { 451, "4.3.0", "Temporary failure, try again later", 0 };
	struct mconn *m = mconn_of(ctx);
	struct verdict v;

	verdict_set_action(&v, "internal", ACTION_TEMPFAIL, &r, NULL, why);
	if (m == NULL)
		return eng->protocol(ctx) & step ? PS_NOREPLY : milter_answer(ctx, &v);
	return answer_or_hold(ctx, &m->held_msg, &v, step);
}

/* a held verdict, at a step that answers; PS_CONTINUE if none is held */
static enum pstat
give_held(struct pctx *ctx, struct conn *c, enum stage st)
{
	struct mconn *m = mconn_of(ctx);
	const struct verdict *v = NULL;

	if (m->held_conn.action != ACTION_CONTINUE)
		v = &m->held_conn;
	else if (m->held_msg.action != ACTION_CONTINUE)
		v = &m->held_msg;
	if (v == NULL)
		return PS_CONTINUE;
	if (strcmp(v->rule, "internal") == 0)
		session_log(c, st, v, NULL); /* the others were logged where they fired */
	return milter_answer(ctx, v);
}

/*
 * answers_late - the options of a new connection beyond milter_filter's:
 * no replies to connect, HELO and MAIL while every policy holds what those
 * steps find until RCPT.
 *
 * The policy of the connection is pinned here, at negotiation, which the
 * MTA does as its SMTP session starts: with those replies negotiated away
 * Postfix sends connect, HELO and MAIL only together with the first RCPT,
 * so a reload between the session's start and its first RCPT would
 * otherwise give a session under way the new policy.
 */
static unsigned long
answers_late(struct pctx *ctx)
{
	struct mconn *m = mconn_of(ctx);

	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return 0; /* connect says why */
		eng->setpriv(ctx, m);
	}
	if (m->cfg == NULL)
		m->cfg = config_current();
	if (m->cfg != NULL && config_holds_until_rcpt(m->cfg))
		return SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL;
	return 0;
}

static enum pstat
on_connect(struct pctx *ctx, const char *hostname, const char *addr)
{
	struct conn_info ci = { 0 };
	struct verdict v;
	struct config *cfg;
	struct mconn *m;
	struct conn *c;

	ci.hostname = hostname;
	ci.dns = milter_dns;
	ci.addr = addr;
	ci.daemon_name = eng->getsym(ctx, "{daemon_name}");
	ci.daemon_addr = eng->getsym(ctx, "{daemon_addr}");
	if (ci.daemon_addr == NULL)
		ci.daemon_addr = eng->getsym(ctx, "{if_addr}");
	/* the policy pinned at negotiation; a second session on the same
	 * milter connection (no new negotiation) gets the current one */
	if ((m = mconn_of(ctx)) != NULL && m->cfg != NULL) {
		cfg = m->cfg;
		m->cfg = NULL;
	} else if ((cfg = config_current()) == NULL) {
		log_msg(LOG_ERR, "stage=connect action=tempfail reason=\"no policy loaded\"");
		return PS_TEMPFAIL;
	}
	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL) {
			config_unref(cfg);
			log_msg(LOG_ERR, "stage=connect action=tempfail reason=\"no memory for the connection\"");
			return PS_TEMPFAIL;
		}
		eng->setpriv(ctx, m);
	}
	conn_free(m->c); /* a second connect on the same context: start over */
	memset(&m->held_conn, 0, sizeof(m->held_conn));
	memset(&m->held_msg, 0, sizeof(m->held_msg));
	c = m->c = conn_new(cfg, &ci);
	take_qid(ctx, c);
	session_connect(c, &v);
	return answer_or_hold(ctx, &m->held_conn, &v, SMFIP_NR_CONN);
}

static enum pstat
on_helo(struct pctx *ctx, const char *helo)
{
	struct conn *c = conn_of(ctx, "helo");
	struct verdict v;

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_HELO, "no connection state");
	session_helo(c, helo, &v);
	return answer_or_hold(ctx, &mconn_of(ctx)->held_conn, &v, SMFIP_NR_HELO);
}

static enum pstat
on_envfrom(struct pctx *ctx, char **argv, int argc)
{
	struct conn *c = conn_of(ctx, "mail");
	struct verdict v;
	struct mconn *m;

	(void)argc;
	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_MAIL, "no connection state");
	m = mconn_of(ctx);
	memset(&m->held_msg, 0, sizeof(m->held_msg)); /* a new transaction */
	take_qid(ctx, c);
	session_mail(c, argv[0], eng->getsym(ctx, "{auth_authen}"), &v);
	return answer_or_hold(ctx, &m->held_msg, &v, SMFIP_NR_MAIL);
}

static enum pstat
on_envrcpt(struct pctx *ctx, char **argv, int argc)
{
	struct conn *c = conn_of(ctx, "rcpt");
	struct verdict v;

	enum pstat held;

	(void)argc;
	if (c == NULL)
		return PS_TEMPFAIL;
	take_qid(ctx, c);
	if ((held = give_held(ctx, c, STAGE_RCPT)) != PS_CONTINUE)
		return held;
	session_rcpt(c, argv[0], &v);
	return milter_answer(ctx, &v);
}

static enum pstat
on_data(struct pctx *ctx)
{
	struct conn *c = conn_of(ctx, "data");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_DATA, "no connection state");
	take_qid(ctx, c);
	return go_on(ctx, SMFIP_NR_DATA);
}

static enum pstat
on_header(struct pctx *ctx, const char *name, const char *value)
{
	struct conn *c = conn_of(ctx, "header");
	char *v = (char *)value;

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_HDR, "no connection state");
	if (!leadspc(ctx) && value != NULL) {
		/* the MTA dropped the one space after the colon */
		size_t n = strlen(value);
		if ((v = malloc(n + 2)) == NULL)
			return fail_step(ctx, SMFIP_NR_HDR, "no memory for a header field");
		v[0] = ' ';
		memcpy(v + 1, value, n + 1);
	}
	session_header(c, name, v);
	if (v != value)
		free(v);
	return go_on(ctx, SMFIP_NR_HDR);
}

static enum pstat
on_eoh(struct pctx *ctx)
{
	struct conn *c = conn_of(ctx, "eoh");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_EOH, "no connection state");
	session_eoh(c);
	return go_on(ctx, SMFIP_NR_EOH);
}

static enum pstat
on_body(struct pctx *ctx, const unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx, "body");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_BODY, "no connection state");
	session_body(c, chunk, len);
	return go_on(ctx, SMFIP_NR_BODY);
}

/*
 * A field we add.  Its value may carry what the client sent (a HELO name
 * in Received-SPF): a byte that could end the field early (hdrval.h) is
 * replaced by '?' here, whatever the MTA would strip, so the client writes
 * no field of its own.  With SMFIP_HDR_LEADSPC the MTA takes the value as
 * it is, so it needs the space after the colon itself.
 */
static int
add_field(struct pctx *ctx, bool insert, const char *name, const char *value)
{
	size_t n = strlen(value) + 2, bad;
	char *v = malloc(n);
	int rc;

	if (v == NULL)
		return -1;
	snprintf(v, n, "%s%s", leadspc(ctx) ? " " : "", value);
	if ((bad = hdrval_clean(v)) > 0)
		log_msg(LOG_WARNING, "%s field: %zu byte(s) that would end the field replaced by '?'",
			name, bad);
	rc = insert ? eng->insheader(ctx, 0, name, v) : eng->addheader(ctx, name, v);
	free(v);
	return rc;
}

/* the header edits of an accepted message; a failed edit is a tempfail,
 * never a message passed with a forged field left in */
static int
apply_edits(struct pctx *ctx, const struct eom_edits *e)
{
	/* from the last, so no deletion moves an index still to come */
	for (size_t i = e->nar_delete; i-- > 0;)
		if (eng->chgheader(ctx, "Authentication-Results", (int)e->ar_delete[i], NULL) < 0)
			return -1;
	if (e->received_spf != NULL &&
	    add_field(ctx, true, "Received-SPF", e->received_spf) < 0)
		return -1;
	if (e->authres != NULL &&
	    add_field(ctx, true, "Authentication-Results", e->authres) < 0)
		return -1;
	if (e->tag != NULL && add_field(ctx, false, TAG_HEADER, e->tag) < 0)
		return -1;
	if (e->quarantine[0] != '\0' && eng->quarantine(ctx, e->quarantine) < 0)
		return -1;
	return 0;
}

/* alias rewriting: one recipient deleted or added (session_rewrite_rcpts) */
static int
edit_rcpt(void *ctx, const char *addr, bool add)
{
	return add ? eng->addrcpt(ctx, addr) : eng->delrcpt(ctx, addr);
}

static enum pstat
on_eom(struct pctx *ctx)
{
	struct conn *c = conn_of(ctx, "eom");
	struct mconn *m = mconn_of(ctx);
	struct eom_edits e;
	struct verdict v;
	enum pstat ret;
	char sender[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 64];

	if (c == NULL)
		return PS_TEMPFAIL;
	take_qid(ctx, c);
	if ((ret = give_held(ctx, c, STAGE_EOM)) != PS_CONTINUE) {
		/* a step with no reply failed, or its verdict waited for one */
		memset(&m->held_msg, 0, sizeof(m->held_msg));
		session_end_message(c);
		return ret;
	}
	session_eom(c, &v, &e);
	if (v.action == ACTION_CONTINUE && apply_edits(ctx, &e) < 0) {
		static const struct reply r = { 451, "4.3.0", "Temporary failure, try again later", 0 };
		verdict_set_action(&v, "header_edit", ACTION_TEMPFAIL, &r, NULL,
				   "the MTA refused a header change");
		session_log(c, STAGE_EOM, &v, NULL);
	}
	if (v.action == ACTION_CONTINUE)
		session_rewrite_rcpts(c, edit_rcpt, ctx, &v);
	if (v.action == ACTION_CONTINUE && session_new_sender(c, sender, sizeof(sender)) &&
	    eng->chgfrom(ctx, sender) < 0) {
		/* SRS or BATV: without the new sender the mail would break SPF
		 * or its bounces would be refused, so it waits */
		static const struct reply r = { 451, "4.3.0", "Temporary failure, try again later", 0 };
		verdict_set_action(&v, "sender_edit", ACTION_TEMPFAIL, &r, NULL,
				   "the MTA refused a sender change");
		session_log(c, STAGE_EOM, &v, NULL);
	}
	ret = milter_answer(ctx, &v);
	eom_edits_free(&e);
	session_end_message(c);
	return ret;
}

static void
on_abort(struct pctx *ctx)
{
	struct mconn *m = mconn_of(ctx);

	if (m != NULL && m->c != NULL) {
		memset(&m->held_msg, 0, sizeof(m->held_msg));
		session_end_message(m->c);
	}
}

static void
on_close(struct pctx *ctx)
{
	struct mconn *m = mconn_of(ctx);

	/* close can come without connect, or without negotiate: free what is there */
	if (m != NULL) {
		conn_free(m->c);
		if (m->cfg != NULL)
			config_unref(m->cfg);
		free(m);
		eng->setpriv(ctx, NULL);
	}
}

const struct pfilter milter_filter = {
	.actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE |
		   SMFIF_CHGFROM,
	/* header values as they were sent, for DKIM's simple canonicalization;
	 * no replies we do not need; no unknown commands (the MTA answers
	 * those itself) */
	.protocol = SMFIP_HDR_LEADSPC | NR_STEPS | SMFIP_NOUNKNOWN,
	.more_protocol = answers_late,
	.connect = on_connect,
	.helo = on_helo,
	.mail = on_envfrom,
	.rcpt = on_envrcpt,
	.data = on_data,
	.header = on_header,
	.eoh = on_eoh,
	.body = on_body,
	.eom = on_eom,
	.abort = on_abort,
	.close = on_close,
};
