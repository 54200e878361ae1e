/*
 * lmilter.c - the milter protocol through Sendmail's libmilter (engine.h)
 *
 * DESCRIPTION
 *	milter.engine = "libmilter": the reference implementation of the
 *	protocol serves the MTA, and the same struct pfilter (milter.c) as
 *	the native engine answers it.  Each libmilter callback wraps its
 *	SMFICTX in a struct lmctx (behind smfi_setpriv()): the options
 *	agreed in xxfi_negotiate and the filter's own private pointer; the
 *	filter sees that struct as its struct pctx.
 *
 *	Negotiation is the native engine's: the filter's actions, and its
 *	protocol and more_protocol() options, as far as the MTA offers them.
 *	libmilter offers every no-reply step (SMFIP_NR_*) even to an MTA
 *	without them, and then sends the "continue" itself: to the filter
 *	such a step has no reply either way, so its verdicts wait for one
 *	that has, as with the native engine.
 *
 * THREADS
 *	Debian's libmilter runs a connection's callbacks one at a time but
 *	on any thread of its pool: nothing per-connection is thread-local.
 *	libmilter itself waits for SIGHUP, SIGTERM and SIGINT (all stop it,
 *	smfi_stop()); they are blocked in every thread by main.c, as for the
 *	native engine.  Process-global state here is set once before
 *	smfi_main() (the filter) or atomic (callbacks under way, the latest
 *	options agreed).
 *
 * FAILURES
 *	No memory for a connection's struct at negotiation: libmilter closes
 *	the connection and the MTA applies its default action, as the native
 *	engine does.  A callback that finds no struct (after Sendmail's
 *	QUIT_NC, which starts a new session on the same socket without a
 *	new negotiation: libmilter calls xxfi_close in between, which frees
 *	it, and cannot tell that close from the last) gets a new one with
 *	the options most recently agreed in this process (an MTA offers the
 *	same each time).  xxfi_close may come without any struct: the filter
 *	still gets its close().  At a stop, smfi_main() returns without
 *	waiting for callbacks under way; run() waits for them for up to
 *	STOP_WAIT seconds, as the native engine does.
 *
 * LIMITS
 *	One filter per process (smfi_register).  libmilter binds the socket
 *	itself: listen() checks and claims it with proto_listen() first (the
 *	same errors as the native engine), then hands it to libmilter.
 *	TCP_NODELAY is set on libmilter's listening socket by finding it
 *	among our descriptors (libmilter does not hand it out).
 *	milter.timeout (smfi_settimeout) bounds the read and write of one
 *	command only: Debian's libmilter, built with its worker pool, keeps a
 *	connection that waits for the MTA's next command open as long as the
 *	MTA does (measured: an idle connection still open after 4 times the
 *	timeout); proto.c closes it after the timeout.
 */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* proto.h and libmilter spell the protocol's constants alike, with the
 * same values but other suffixes: libmilter's are used here */
#undef SMFIF_ADDHDRS
#undef SMFIF_ADDRCPT
#undef SMFIF_DELRCPT
#undef SMFIF_CHGHDRS
#undef SMFIF_QUARANTINE
#undef SMFIF_CHGFROM
#undef SMFIP_NOUNKNOWN
#undef SMFIP_NR_CONN
#undef SMFIP_NR_HELO
#undef SMFIP_NR_MAIL
#undef SMFIP_NR_RCPT
#undef SMFIP_NR_HDR
#undef SMFIP_NR_DATA
#undef SMFIP_NR_UNKN
#undef SMFIP_NR_EOH
#undef SMFIP_NR_BODY
#undef SMFIP_HDR_LEADSPC
#include <libmilter/mfapi.h>

#define MILTER_NAME "doorman"
#define STOP_WAIT 10 /* seconds, as proto.c */

struct lmctx {
	SMFICTX *ctx;
	unsigned long actions, protocol; /* agreed with the MTA */
	void *priv;                      /* the filter's */
};

static const struct pfilter *lm_filter; /* set once before smfi_main() */
static char lm_spec[256];               /* smfi_setconn() keeps the pointer */
static int lm_busy;                     /* callbacks under way (atomic) */
static unsigned long lm_last_actions, lm_last_protocol; /* latest agreed (atomic) */

static void
enter(void)
{
	__atomic_add_fetch(&lm_busy, 1, __ATOMIC_SEQ_CST);
}

static sfsistat
leave(sfsistat r)
{
	__atomic_sub_fetch(&lm_busy, 1, __ATOMIC_SEQ_CST);
	return r;
}

static struct pctx *
as_pctx(struct lmctx *lm)
{
	return (struct pctx *)(void *)lm;
}

static struct lmctx *
lm_of_pctx(const struct pctx *p)
{
	return (struct lmctx *)(void *)p;
}

/* the connection's struct, made anew after a QUIT_NC (see FAILURES);
 * NULL without memory */
static struct lmctx *
lm_get(SMFICTX *ctx)
{
	struct lmctx *lm = smfi_getpriv(ctx);

	if (lm != NULL)
		return lm;
	if ((lm = calloc(1, sizeof(*lm))) == NULL)
		return NULL;
	lm->ctx = ctx;
	lm->actions = __atomic_load_n(&lm_last_actions, __ATOMIC_RELAXED);
	lm->protocol = __atomic_load_n(&lm_last_protocol, __ATOMIC_RELAXED);
	if (smfi_setpriv(ctx, lm) != MI_SUCCESS) {
		free(lm);
		return NULL;
	}
	return lm;
}

/* a filter's answer as libmilter's; "no reply" only where it was agreed
 * (libmilter would otherwise send nothing at all and the MTA would wait) */
static sfsistat
status(const struct lmctx *lm, enum pstat st, unsigned long step)
{
	switch (st) {
	case PS_REJECT:
		return SMFIS_REJECT;
	case PS_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	case PS_NOREPLY:
		if (lm->protocol & step)
			return SMFIS_NOREPLY;
		return SMFIS_CONTINUE;
	case PS_CONTINUE:
		break;
	}
	return SMFIS_CONTINUE;
}

/* no memory for the connection's struct: the MTA's default action */
static sfsistat
no_memory(const char *stage)
{
	log_msg(LOG_ERR, "stage=%s action=tempfail reason=\"no memory for the connection\"", stage);
	return SMFIS_TEMPFAIL;
}

/* ---- libmilter's callbacks ---- */

static sfsistat
lm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
	     unsigned long *pf3)
{
	const struct pfilter *f = lm_filter;
	struct lmctx *lm;

	(void)f2;
	(void)f3;
	enter();
	if ((lm = smfi_getpriv(ctx)) == NULL) {
		if ((lm = calloc(1, sizeof(*lm))) == NULL || smfi_setpriv(ctx, lm) != MI_SUCCESS) {
			free(lm);
			log_msg(LOG_ERR, "milter: no memory for a connection: closing it");
			return leave(SMFIS_REJECT); /* libmilter closes the connection */
		}
		lm->ctx = ctx;
	}
	lm->actions = f0 & f->actions;
	lm->protocol = f1 & (f->protocol | (f->more_protocol ? f->more_protocol(as_pctx(lm)) : 0));
	__atomic_store_n(&lm_last_actions, lm->actions, __ATOMIC_RELAXED);
	__atomic_store_n(&lm_last_protocol, lm->protocol, __ATOMIC_RELAXED);
	*pf0 = lm->actions;
	*pf1 = lm->protocol;
	*pf2 = 0;
	*pf3 = 0;
	return leave(SMFIS_CONTINUE);
}

static sfsistat
lm_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	char addr[INET6_ADDRSTRLEN] = "";
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("connect"));
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, addr, sizeof(addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, addr,
			  sizeof(addr));
	return leave(status(lm, lm_filter->connect(as_pctx(lm), hostname, addr[0] ? addr : NULL),
			    SMFIP_NR_CONN));
}

static sfsistat
lm_helo(SMFICTX *ctx, char *helo)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("helo"));
	return leave(status(lm, lm_filter->helo(as_pctx(lm), helo), SMFIP_NR_HELO));
}

static int
count_args(char **argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static sfsistat
lm_envfrom(SMFICTX *ctx, char **argv)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("mail"));
	return leave(status(lm, lm_filter->mail(as_pctx(lm), argv, count_args(argv)),
			    SMFIP_NR_MAIL));
}

static sfsistat
lm_envrcpt(SMFICTX *ctx, char **argv)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("rcpt"));
	return leave(status(lm, lm_filter->rcpt(as_pctx(lm), argv, count_args(argv)),
			    SMFIP_NR_RCPT));
}

static sfsistat
lm_data(SMFICTX *ctx)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("data"));
	return leave(status(lm, lm_filter->data(as_pctx(lm)), SMFIP_NR_DATA));
}

static sfsistat
lm_header(SMFICTX *ctx, char *name, char *value)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("header"));
	return leave(status(lm, lm_filter->header(as_pctx(lm), name, value), SMFIP_NR_HDR));
}

static sfsistat
lm_eoh(SMFICTX *ctx)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("eoh"));
	return leave(status(lm, lm_filter->eoh(as_pctx(lm)), SMFIP_NR_EOH));
}

static sfsistat
lm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("body"));
	return leave(status(lm, lm_filter->body(as_pctx(lm), chunk, len), SMFIP_NR_BODY));
}

static sfsistat
lm_eom(SMFICTX *ctx)
{
	struct lmctx *lm;

	enter();
	if ((lm = lm_get(ctx)) == NULL)
		return leave(no_memory("eom"));
	return leave(status(lm, lm_filter->eom(as_pctx(lm)), 0));
}

static sfsistat
lm_abort(SMFICTX *ctx)
{
	struct lmctx *lm;

	enter();
	if ((lm = smfi_getpriv(ctx)) != NULL)
		lm_filter->abort(as_pctx(lm));
	return leave(SMFIS_CONTINUE);
}

/* unknown commands were negotiated away; an MTA that sends them anyway: go on */
static sfsistat
lm_unknown(SMFICTX *ctx, const char *cmd)
{
	struct lmctx *lm = smfi_getpriv(ctx);

	(void)cmd;
	return lm != NULL && (lm->protocol & SMFIP_NR_UNKN) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
lm_close(SMFICTX *ctx)
{
	struct lmctx *lm = smfi_getpriv(ctx);

	enter();
	if (lm == NULL) {
		/* close before negotiation, or a second one: the filter has nothing */
		struct lmctx none = { .ctx = ctx };
		lm_filter->close(as_pctx(&none));
		return leave(SMFIS_CONTINUE);
	}
	lm_filter->close(as_pctx(lm));
	free(lm);
	smfi_setpriv(ctx, NULL);
	return leave(SMFIS_CONTINUE);
}

/* ---- what callbacks may ask (engine.h) ---- */

static const char *
lm_getsym(struct pctx *p, const char *name)
{
	return smfi_getsymval(lm_of_pctx(p)->ctx, (char *)name);
}

static void
lm_setpriv(struct pctx *p, void *priv)
{
	lm_of_pctx(p)->priv = priv;
}

static void *
lm_getpriv(struct pctx *p)
{
	return lm_of_pctx(p)->priv;
}

static unsigned long
lm_protocol(const struct pctx *p)
{
	return lm_of_pctx(p)->protocol;
}

/* libmilter's MI_SUCCESS / MI_FAILURE as proto.h's 0 / -1 */
static int
mi(int rc)
{
	return rc == MI_SUCCESS ? 0 : -1;
}

/* the same replies as pctx_setreply() accepts; libmilter sends one only
 * with an answer of the same first digit, as proto.c does */
static int
lm_setreply(struct pctx *p, int code, const char *ecode, const char *text)
{
	char c[4];

	if (code < 400 || code > 599 || strpbrk(text, "\r\n") != NULL ||
	    (ecode != NULL && strpbrk(ecode, "\r\n ") != NULL))
		return -1;
	snprintf(c, sizeof(c), "%03d", code);
	return mi(smfi_setreply(lm_of_pctx(p)->ctx, c, ecode && *ecode ? (char *)ecode : NULL,
				(char *)text));
}

/* message changes: libmilter itself refuses them outside the end of the
 * message and without the agreed action */
static int
lm_addheader(struct pctx *p, const char *name, const char *value)
{
	if (*name == '\0' || value == NULL)
		return -1;
	return mi(smfi_addheader(lm_of_pctx(p)->ctx, (char *)name, (char *)value));
}

static int
lm_insheader(struct pctx *p, int index, const char *name, const char *value)
{
	if (*name == '\0' || value == NULL || index < 0)
		return -1;
	return mi(smfi_insheader(lm_of_pctx(p)->ctx, index, (char *)name, (char *)value));
}

static int
lm_chgheader(struct pctx *p, const char *name, int index, const char *value)
{
	if (*name == '\0' || index < 1)
		return -1;
	return mi(smfi_chgheader(lm_of_pctx(p)->ctx, (char *)name, index, (char *)value));
}

static int
lm_addrcpt(struct pctx *p, const char *rcpt)
{
	if (*rcpt == '\0')
		return -1;
	return mi(smfi_addrcpt(lm_of_pctx(p)->ctx, (char *)rcpt));
}

static int
lm_delrcpt(struct pctx *p, const char *rcpt)
{
	if (*rcpt == '\0')
		return -1;
	return mi(smfi_delrcpt(lm_of_pctx(p)->ctx, (char *)rcpt));
}

static int
lm_chgfrom(struct pctx *p, const char *sender)
{
	if (*sender == '\0')
		return -1;
	return mi(smfi_chgfrom(lm_of_pctx(p)->ctx, (char *)sender, NULL));
}

static int
lm_quarantine(struct pctx *p, const char *reason)
{
	if (*reason == '\0')
		return -1;
	return mi(smfi_quarantine(lm_of_pctx(p)->ctx, (char *)reason));
}

/* ---- start and serve ---- */

/*
 * TCP_NODELAY on libmilter's listening socket (see listen.c for why):
 * the only listening TCP socket among our descriptors right after
 * smfi_opensocket().  Linux gives each accepted socket its listener's.
 */
static void
set_nodelay(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		int on = 0, domain = 0, one = 1;
		socklen_t len = sizeof(on), dlen = sizeof(domain);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 ||
		    (domain != AF_INET && domain != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_msg(LOG_WARNING, "TCP_NODELAY: %s", strerror(errno));
	}
}

static int
lm_listen(const char *spec, const struct pfilter *f, int timeout, char *why, size_t whylen)
{
	struct smfiDesc desc = {
		.xxfi_name = MILTER_NAME,
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = f->actions,
		.xxfi_connect = lm_connect,
		.xxfi_helo = lm_helo,
		.xxfi_envfrom = lm_envfrom,
		.xxfi_envrcpt = lm_envrcpt,
		.xxfi_header = lm_header,
		.xxfi_eoh = lm_eoh,
		.xxfi_body = lm_body,
		.xxfi_eom = lm_eom,
		.xxfi_abort = lm_abort,
		.xxfi_close = lm_close,
		.xxfi_unknown = lm_unknown,
		.xxfi_data = lm_data,
		.xxfi_negotiate = lm_negotiate,
	};
	const char *path;
	int fd;

	if (strlen(spec) >= sizeof(lm_spec)) {
		snprintf(why, whylen, "socket %s is too long", spec);
		return -1;
	}
	/* the native engine's checks and errors; then the address is libmilter's */
	if ((fd = proto_listen(spec, why, whylen)) < 0)
		return -1;
	close(fd);
	proto_unix_remove(); /* ours, made just now: libmilter binds its own */
	lm_filter = f;
	memcpy(lm_spec, spec, strlen(spec) + 1);
	if (smfi_setconn(lm_spec) != MI_SUCCESS || smfi_settimeout(timeout) != MI_SUCCESS ||
	    smfi_setbacklog(SOMAXCONN) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS) {
		snprintf(why, whylen, "libmilter: cannot set up a filter on %s", spec);
		return -1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		snprintf(why, whylen, "libmilter: cannot listen on %s", spec);
		return -1;
	}
	/* libmilter's socket is the one doorman owns and removes at stop */
	if ((path = proto_unix_path(spec)) != NULL && proto_unix_adopt(path, why, whylen) < 0)
		return -1;
	set_nodelay();
	return 0;
}

static int
lm_run(const sigset_t *stop)
{
	int rc;

	(void)stop; /* libmilter's own signal thread waits for SIGHUP, SIGTERM and SIGINT */
	rc = smfi_main();
	log_msg(LOG_INFO, "milter: libmilter stopped: no new connections or commands");
	for (int i = 0; i < STOP_WAIT * 10 && __atomic_load_n(&lm_busy, __ATOMIC_SEQ_CST) > 0; i++)
		usleep(100 * 1000);
	proto_unix_remove(); /* as the native engine does at a stop */
	if (__atomic_load_n(&lm_busy, __ATOMIC_SEQ_CST) > 0) {
		log_msg(LOG_WARNING, "milter: stopping with %d callbacks under way",
			__atomic_load_n(&lm_busy, __ATOMIC_SEQ_CST));
		return 1; /* their state must not be freed under them (main.c) */
	}
	return rc == MI_SUCCESS ? 0 : -1;
}

const struct engine engine_libmilter = {
	.name = "libmilter",
	.listen = lm_listen,
	.run = lm_run,
	.getsym = lm_getsym,
	.setpriv = lm_setpriv,
	.getpriv = lm_getpriv,
	.protocol = lm_protocol,
	.setreply = lm_setreply,
	.addheader = lm_addheader,
	.insheader = lm_insheader,
	.chgheader = lm_chgheader,
	.addrcpt = lm_addrcpt,
	.delrcpt = lm_delrcpt,
	.chgfrom = lm_chgfrom,
	.quarantine = lm_quarantine,
};
