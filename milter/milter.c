/*
 * milter.c - libmilter callbacks (see milter.h)
 *
 * Each connection's state is a struct conn behind smfi_setpriv().
 * libmilter runs a connection's callbacks one at a time, maybe on
 * different threads, so the conn needs no lock; nothing here is
 * thread-local.  Strings from libmilter (arguments, smfi_getsymval) are
 * borrowed: the engine copies what it keeps.
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

void
milter_set_dns(struct dns *d)
{
	milter_dns = d;
}

static struct conn *
conn_of(SMFICTX *ctx, const char *stage)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		log_msg(LOG_ERR, "stage=%s action=tempfail reason=\"no connection state\"", stage);
	return c;
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
	(void)ctx;
	(void)f1;
	(void)f2;
	(void)f3;
	/* every stage, no actions beyond what we registered */
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE);
	*pf1 = 0;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	char addr[INET6_ADDRSTRLEN] = "";
	struct conn_info ci = { 0 };
	struct verdict v;
	struct config *cfg;
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
	c = conn_new(cfg, &ci);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		conn_free(c);
		log_msg(LOG_ERR, "stage=connect action=tempfail reason=\"smfi_setpriv failed\"");
		return SMFIS_TEMPFAIL;
	}
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
		return SMFIS_TEMPFAIL;
	take_qid(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
on_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE; /* the MTA answers unknown commands itself */
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name;
	(void)value;
	return conn_of(ctx, "header") ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
	return conn_of(ctx, "eoh") ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)chunk;
	(void)len;
	return conn_of(ctx, "body") ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat
on_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx, "eom");

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	take_qid(ctx, c);
	session_end_message(c);
	return SMFIS_CONTINUE;
}

static sfsistat
on_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		session_end_message(c);
	return SMFIS_CONTINUE;
}

static sfsistat
on_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	/* close can come without connect (NULL state): nothing to free then */
	if (c != NULL) {
		conn_free(c);
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
