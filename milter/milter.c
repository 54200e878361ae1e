/*
 * milter.c - libmilter callbacks (see milter.h)
 *
 * Each connection's state is a struct mconn behind smfi_setpriv(): what
 * was negotiated (made in negotiate, the first callback) and the engine's
 * struct conn (from connect on).  libmilter runs a connection's callbacks
 * one at a time, maybe on different threads (Debian's libmilter has a
 * worker pool), so it needs no lock, and nothing here is thread-local.
 * Strings from libmilter (arguments, smfi_getsymval) are borrowed: the
 * engine copies what it keeps.
 *
 * Replies doorman never needs to give (header fields, end of header, body
 * chunks, DATA: they always go on) are negotiated away where the MTA
 * offers it (SMFIP_NR_*), as are unknown commands: fewer round trips per
 * message.  Such a callback answers SMFIS_NOREPLY; one that fails then
 * marks the connection, and the end of the message tempfails.
 *
 * Failure semantics: a callback that finds no connection state (the MTA
 * skipped connect, or it failed) answers tempfail with one log line, never
 * accept.  Macros may be missing (Sendmail sends fewer than Postfix):
 * each one used has a fallback.
 */
#include "milter.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "session.h"

#define MILTER_NAME "doorman"

static struct dns *milter_dns; /* set once before smfi_main(), then read-only */

/* steps whose reply we do without when the MTA offers it */
#define NR_STEPS (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_NR_DATA | SMFIP_NR_UNKN)

struct mconn {
	unsigned long proto;  /* the SMFIP_* flags agreed */
	bool failed;          /* a no-reply callback failed: tempfail at EOM */
	struct conn *c;       /* from connect on */
};

void
milter_set_dns(struct dns *d)
{
	milter_dns = d;
}

static struct mconn *
mconn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static struct conn *
conn_of(SMFICTX *ctx, const char *stage)
{
	struct mconn *m = mconn_of(ctx);

	if (m == NULL || m->c == NULL) {
		log_msg(LOG_ERR, "stage=%s action=tempfail reason=\"no connection state\"", stage);
		return NULL;
	}
	return m->c;
}

/* go on: with no reply at all where that was agreed */
static sfsistat
go_on(SMFICTX *ctx, unsigned long step)
{
	struct mconn *m = mconn_of(ctx);

	return m != NULL && (m->proto & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* a no-reply step that cannot go on: remembered for the end of message */
static sfsistat
fail_step(SMFICTX *ctx, unsigned long step)
{
	struct mconn *m = mconn_of(ctx);

	if (m != NULL && (m->proto & step)) {
		m->failed = true;
		return SMFIS_NOREPLY;
	}
	return SMFIS_TEMPFAIL;
}

static bool
leadspc(SMFICTX *ctx)
{
	struct mconn *m = mconn_of(ctx);

	return m != NULL && (m->proto & SMFIP_HDR_LEADSPC);
}

static void
take_qid(SMFICTX *ctx, struct conn *c)
{
	session_set_qid(c, smfi_getsymval(ctx, "i"));
}

/*
 * milter_answer - the one place a verdict becomes a milter return.  A
 * reply goes with REJECT and TEMPFAIL only (libmilter drops a reply whose
 * first digit does not match); '%' is doubled because smfi_setreply()
 * treats the text as a format.
 */
static sfsistat
milter_answer(SMFICTX *ctx, const struct verdict *v)
{
	char text[REPLY_TEXT_MAX * 2 + 1], code[4];
	size_t j = 0;

	if (v->action != ACTION_REJECT && v->action != ACTION_TEMPFAIL)
		return SMFIS_CONTINUE;
	for (const char *p = v->reply.text; *p && j + 2 < sizeof(text); p++) {
		if (*p == '%')
			text[j++] = '%';
		text[j++] = *p;
	}
	text[j] = '\0';
	snprintf(code, sizeof(code), "%03d", v->reply.code);
	if (smfi_setreply(ctx, code, (char *)v->reply.ecode, text) != MI_SUCCESS)
		log_msg(LOG_WARNING, "smfi_setreply failed for \"%s %s %s\"", code, v->reply.ecode, text);
	return v->action == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

static sfsistat
on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
	     unsigned long *pf3)
{
	struct mconn *m = calloc(1, sizeof(*m));

	(void)f2;
	(void)f3;
	/* every stage, no actions beyond what we registered; header values as
	 * they were sent, for DKIM's simple canonicalization; no replies we do
	 * not need; no unknown commands (the MTA answers those itself) */
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE);
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | NR_STEPS | SMFIP_NOUNKNOWN);
	*pf2 = 0;
	*pf3 = 0;
	if (m == NULL || smfi_setpriv(ctx, m) != MI_SUCCESS) {
		/* nothing to remember the options in: ask for none of them */
		free(m);
		*pf1 = 0;
		return SMFIS_CONTINUE;
	}
	m->proto = *pf1;
	return SMFIS_CONTINUE;
}

static sfsistat
on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	char addr[INET6_ADDRSTRLEN] = "";
	struct conn_info ci = { 0 };
	struct verdict v;
	struct config *cfg;
	struct mconn *m;
	struct conn *c;

	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, addr, sizeof(addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, addr, sizeof(addr));
	ci.hostname = hostname;
	ci.dns = milter_dns;
	ci.addr = addr[0] ? addr : NULL;
	ci.daemon_name = smfi_getsymval(ctx, "{daemon_name}");
	ci.daemon_addr = smfi_getsymval(ctx, "{daemon_addr}");
	if (ci.daemon_addr == NULL)
		ci.daemon_addr = smfi_getsymval(ctx, "{if_addr}");
	if ((cfg = config_current()) == NULL) {
		log_msg(LOG_ERR, "stage=connect action=tempfail reason=\"no policy loaded\"");
		return SMFIS_TEMPFAIL;
	}
	if ((m = mconn_of(ctx)) == NULL) {
		/* no negotiate callback (an old MTA): nothing agreed */
		if ((m = calloc(1, sizeof(*m))) == NULL || smfi_setpriv(ctx, m) != MI_SUCCESS) {
			free(m);
			config_unref(cfg);
			log_msg(LOG_ERR, "stage=connect action=tempfail reason=\"no memory for the connection\"");
			return SMFIS_TEMPFAIL;
		}
	}
	conn_free(m->c); /* a second connect on the same context: start over */
	c = m->c = conn_new(cfg, &ci);
	take_qid(ctx, c);
	session_connect(c, &v);
	return milter_answer(ctx, &v);
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = conn_of(ctx, "helo");
	struct verdict v;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	session_helo(c, helo, &v);
	return milter_answer(ctx, &v);
}

static sfsistat
on_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx, "mail");
	struct verdict v;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	take_qid(ctx, c);
	session_mail(c, argv[0], smfi_getsymval(ctx, "{auth_authen}"), &v);
	return milter_answer(ctx, &v);
}

static sfsistat
on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx, "rcpt");
	struct verdict v;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	take_qid(ctx, c);
	session_rcpt(c, argv[0], &v);
	return milter_answer(ctx, &v);
}

static sfsistat
on_data(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx, "data");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_DATA);
	take_qid(ctx, c);
	return go_on(ctx, SMFIP_NR_DATA);
}

static sfsistat
on_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)cmd;
	return go_on(ctx, SMFIP_NR_UNKN); /* the MTA answers unknown commands itself */
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx, "header");
	char *v = value;

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_HDR);
	if (!leadspc(ctx) && value != NULL) {
		/* the MTA dropped the one space after the colon */
		size_t n = strlen(value);
		if ((v = malloc(n + 2)) == NULL)
			return fail_step(ctx, SMFIP_NR_HDR);
		v[0] = ' ';
		memcpy(v + 1, value, n + 1);
	}
	session_header(c, name, v);
	if (v != value)
		free(v);
	return go_on(ctx, SMFIP_NR_HDR);
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx, "eoh");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_EOH);
	session_eoh(c);
	return go_on(ctx, SMFIP_NR_EOH);
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx, "body");

	if (c == NULL)
		return fail_step(ctx, SMFIP_NR_BODY);
	session_body(c, chunk, len);
	return go_on(ctx, SMFIP_NR_BODY);
}

/* A field we add: with SMFIP_HDR_LEADSPC the MTA takes the value as it is,
 * so it needs the space after the colon itself. */
static int
add_field(SMFICTX *ctx, bool insert, const char *name, const char *value)
{
	char *v = (char *)value;
	int rc;

	if (leadspc(ctx)) {
		size_t n = strlen(value) + 2;
		if ((v = malloc(n)) == NULL)
			return MI_FAILURE;
		snprintf(v, n, " %s", value);
	}
	rc = insert ? smfi_insheader(ctx, 0, (char *)name, v) : smfi_addheader(ctx, (char *)name, v);
	if (v != value)
		free(v);
	return rc;
}

/* the header edits of an accepted message; a failed edit is a tempfail,
 * never a message passed with a forged field left in */
static int
apply_edits(SMFICTX *ctx, const struct eom_edits *e)
{
	/* from the last, so no deletion moves an index still to come */
	for (size_t i = e->nar_delete; i-- > 0;)
		if (smfi_chgheader(ctx, "Authentication-Results", (int)e->ar_delete[i], NULL) !=
		    MI_SUCCESS)
			return -1;
	if (e->received_spf != NULL &&
	    add_field(ctx, true, "Received-SPF", e->received_spf) != MI_SUCCESS)
		return -1;
	if (e->authres != NULL &&
	    add_field(ctx, true, "Authentication-Results", e->authres) != MI_SUCCESS)
		return -1;
	if (e->tag != NULL && add_field(ctx, false, TAG_HEADER, e->tag) != MI_SUCCESS)
		return -1;
	if (e->quarantine[0] != '\0' && smfi_quarantine(ctx, (char *)e->quarantine) != MI_SUCCESS)
		return -1;
	return 0;
}

/* alias rewriting: one recipient deleted or added (session_rewrite_rcpts) */
static int
edit_rcpt(void *ctx, const char *addr, bool add)
{
	int rc = add ? smfi_addrcpt(ctx, (char *)addr) : smfi_delrcpt(ctx, (char *)addr);

	return rc == MI_SUCCESS ? 0 : -1;
}

static sfsistat
on_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx, "eom");
	struct mconn *m = mconn_of(ctx);
	struct eom_edits e;
	struct verdict v;
	sfsistat ret;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	take_qid(ctx, c);
	if (m->failed) {
		/* a header, body or DATA step failed where no reply was possible */
		static const struct reply r = { 451, "4.3.0", "Temporary failure, try again later", 0 };
		m->failed = false;
		verdict_set_action(&v, "internal", ACTION_TEMPFAIL, &r, NULL,
				   "a message step failed (out of memory)");
		session_log(c, STAGE_EOM, &v, NULL);
		session_end_message(c);
		return milter_answer(ctx, &v);
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
	ret = milter_answer(ctx, &v);
	eom_edits_free(&e);
	session_end_message(c);
	return ret;
}

static sfsistat
on_abort(SMFICTX *ctx)
{
	struct mconn *m = mconn_of(ctx);

	if (m != NULL && m->c != NULL) {
		m->failed = false;
		session_end_message(m->c);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
on_close(SMFICTX *ctx)
{
	struct mconn *m = mconn_of(ctx);

	/* close can come without connect, or without negotiate: free what is there */
	if (m != NULL) {
		conn_free(m->c);
		free(m);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

int
milter_register(void)
{
	struct smfiDesc desc = {
		.xxfi_name = MILTER_NAME,
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT |
			      SMFIF_QUARANTINE,
		.xxfi_connect = on_connect,
		.xxfi_helo = on_helo,
		.xxfi_envfrom = on_envfrom,
		.xxfi_envrcpt = on_envrcpt,
		.xxfi_header = on_header,
		.xxfi_eoh = on_eoh,
		.xxfi_body = on_body,
		.xxfi_eom = on_eom,
		.xxfi_abort = on_abort,
		.xxfi_close = on_close,
		.xxfi_unknown = on_unknown,
		.xxfi_data = on_data,
		.xxfi_negotiate = on_negotiate,
	};

	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
