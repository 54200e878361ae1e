/*
 * proto.h - doorman's own milter protocol engine (version 6)
 *
 * proto_listen() binds the socket named by milter.socket; proto_run() serves
 * it until a stop signal, calling a struct pfilter's callbacks for each MTA
 * command.  See proto.c for the design (event-driven workers instead of
 * libmilter's thread and poll() per command) and its limits.
 *
 * A callback gets the connection's struct pctx: what it needs of the MTA
 * (macros, the agreed options) and what it may ask of it (a reply text,
 * header and recipient changes, quarantine: the last ones from eom only).
 * Strings handed to callbacks are borrowed until the callback returns.
 */
#ifndef DOORMAN_PROTO_H
#define DOORMAN_PROTO_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* actions a filter may take (the protocol's SMFIF_* values) */
#define SMFIF_ADDHDRS 0x01UL
#define SMFIF_ADDRCPT 0x04UL
#define SMFIF_DELRCPT 0x08UL
#define SMFIF_CHGHDRS 0x10UL
#define SMFIF_QUARANTINE 0x20UL
#define SMFIF_CHGFROM 0x40UL

/* protocol options (the protocol's SMFIP_* values) */
#define SMFIP_NOUNKNOWN 0x100UL
#define SMFIP_NR_CONN 0x1000UL
#define SMFIP_NR_HELO 0x2000UL
#define SMFIP_NR_MAIL 0x4000UL
#define SMFIP_NR_RCPT 0x8000UL
#define SMFIP_NR_HDR 0x80UL
#define SMFIP_NR_DATA 0x10000UL
#define SMFIP_NR_UNKN 0x20000UL
#define SMFIP_NR_EOH 0x40000UL
#define SMFIP_NR_BODY 0x80000UL
#define SMFIP_HDR_LEADSPC 0x100000UL

/* what a callback answers */
enum pstat {
	PS_CONTINUE,
	PS_REJECT,   /* with the reply set by pctx_setreply(), if any */
	PS_TEMPFAIL, /* likewise */
	PS_NOREPLY,  /* only for a step whose reply was negotiated away */
};

struct pctx;

/*
 * The filter.  actions and protocol are what it would like; the engine
 * agrees to what the MTA also offers (pctx_protocol() tells).  Every
 * callback must be set.  close() comes once for every connection that
 * reached the engine, whatever the MTA sent, and must free what the
 * connection's private pointer holds.
 */
struct pfilter {
	unsigned long actions;
	unsigned long protocol;
	/* more options wanted for a new connection (asked at each
	 * negotiation, the connection's first command: a reload may change
	 * them; the filter may set the connection's private pointer here);
	 * NULL for none */
	unsigned long (*more_protocol)(struct pctx *);
	enum pstat (*connect)(struct pctx *, const char *hostname, const char *addr);
	enum pstat (*helo)(struct pctx *, const char *helo);
	enum pstat (*mail)(struct pctx *, char **argv, int argc);
	enum pstat (*rcpt)(struct pctx *, char **argv, int argc);
	enum pstat (*data)(struct pctx *);
	enum pstat (*header)(struct pctx *, const char *name, const char *value);
	enum pstat (*eoh)(struct pctx *);
	enum pstat (*body)(struct pctx *, const unsigned char *chunk, size_t len);
	enum pstat (*eom)(struct pctx *);
	void (*abort)(struct pctx *);
	void (*close)(struct pctx *);
};

/*
 * proto_listen - bind and listen on SPEC (unix:/path, local:/path, /path,
 * inet:PORT@ADDR, inet6:PORT@ADDR; the address numeric).  A unix socket's
 * directory must be writable by its owner only; a stale unix socket (one
 * that refuses connections: ECONNREFUSED) is replaced; any other file
 * there, or a socket whose state cannot be told, is left alone and
 * refused.  Returns the descriptor, or -1 with WHY set.
 */
int proto_listen(const char *spec, char *why, size_t whylen);
/* proto_unix_path - the file of a unix socket SPEC, or NULL for inet */
const char *proto_unix_path(const char *spec);
/*
 * proto_unix_own - give the unix socket proto_listen() bound to UID:GID
 * (-1: unchanged) and MODE, if the path is still that socket (the same
 * inode; a link is never followed).  0 (also when no unix socket was
 * bound), or -1 with WHY set.
 */
int proto_unix_own(uid_t uid, gid_t gid, mode_t mode, char *why, size_t whylen);
/* proto_unix_adopt - remember PATH, a unix socket just bound (by this
 * file or by libmilter), as the one proto_unix_own() and
 * proto_unix_remove() act on; -1 with WHY set if it is not a socket. */
int proto_unix_adopt(const char *path, char *why, size_t whylen);
/* proto_unix_remove - remove that socket's path if it is still the same
 * inode (a stop); leaves anything else there alone, with a log line. */
void proto_unix_remove(void);

/* proto_set_max_connections - connections served at once (default 1024);
 * more are accepted and closed at once.  Before proto_run(). */
void proto_set_max_connections(int n);

/*
 * proto_run - serve FD with F until one of the signals in STOP (blocked
 * in every thread by the caller) arrives.  TIMEOUT: seconds a connection
 * may wait for the MTA's next whole command, or for the MTA to take a
 * reply, before it is closed.  At the stop it closes FD (and removes a
 * unix socket bound by proto_listen()), lets the commands under way
 * finish and write their answers, and closes every connection.  Returns
 * 0 once no worker is left (the caller may then free what callbacks use),
 * 1 if callbacks were still running after the stop's bound (the caller
 * must not free what they use), -1 if serving could not start.
 */
int proto_run(int fd, const struct pfilter *f, int timeout, const sigset_t *stop);

/*
 * proto_feed - DATA as the MTA's input on a connection of its own, through
 * the same packet parser and dispatcher proto_run() uses, with filter F;
 * the answers are dropped, F's close() comes at the end.  Returns what
 * the parser decided (0 go on, -1 close, 1 QUIT).  For t/fuzz only: it sets
 * the engine's filter, so never while proto_run() serves.
 */
int proto_feed(const struct pfilter *f, const unsigned char *data, size_t len);

/* pctx_getsym - the MTA's macro NAME ("i", "{daemon_name}"; either
 * spelling of a one-letter name), latest stage first; NULL if not sent. */
const char *pctx_getsym(struct pctx *, const char *name);
void pctx_setpriv(struct pctx *, void *);
void *pctx_getpriv(struct pctx *);
/* the SMFIP_* options agreed with the MTA */
unsigned long pctx_protocol(const struct pctx *);

/*
 * pctx_setreply - the SMTP reply of the next PS_REJECT or PS_TEMPFAIL:
 * CODE (4xx or 5xx, matching the answer), ECODE (may be empty), TEXT (one
 * line, no CR or LF).  Returns 0, or -1 for a reply the MTA would refuse.
 */
int pctx_setreply(struct pctx *, int code, const char *ecode, const char *text);

/*
 * Message changes, from the eom callback only, sent before its answer.
 * Each returns 0, or -1 when it was not agreed with the MTA, comes at
 * another step, or is malformed: a header value with a CR, a control byte
 * or a LF that does not fold the field (hdrval.h) is refused and logged.
 * pctx_chgheader() with a NULL value deletes the INDEXth (from 1) field of
 * that name.
 */
int pctx_addheader(struct pctx *, const char *name, const char *value);
int pctx_insheader(struct pctx *, int index, const char *name, const char *value);
int pctx_chgheader(struct pctx *, const char *name, int index, const char *value);
int pctx_addrcpt(struct pctx *, const char *rcpt);
/* pctx_chgfrom - the envelope sender becomes sender ("<addr>"), no ESMTP arguments */
int pctx_chgfrom(struct pctx *, const char *sender);
int pctx_delrcpt(struct pctx *, const char *rcpt);
int pctx_quarantine(struct pctx *, const char *reason);

#endif
