/*
 * session.h - the engine: one SMTP connection and its transactions
 *
 * The milter layer turns each callback into one call here and maps the
 * verdict it gets back into a milter return; nothing here knows the milter protocol,
 * so every decision can be driven from unit tests.
 *
 * Lifetimes: a struct conn lives from connect to close and pins the config
 * snapshot it started with; its struct msg is reset by session_mail() and
 * session_end_message(), so a second MAIL FROM on the same connection gets
 * every check again.  A conn is used by one callback at a time (milter/proto.c
 * serialises a connection's callbacks, though they may run on different
 * threads), so it needs no lock.
 *
 * Decisions: each stage runs the checks registered for it (check.h).  With
 * the policy's delay_reject, a client, HELO or sender rejection is held and
 * given at each RCPT, where the log line can carry the envelope; trusted or
 * authenticated clients are exempt from those checks when exempt_trusted
 * is set.  Every decision logs one line (session_log).
 */
#ifndef DOORMAN_SESSION_H
#define DOORMAN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"
#include "cidr.h"
#include "config.h"
#include "dns.h"
#include "forwarder.h"
#include "reply.h"
#include "trace.h"

enum stage {
	STAGE_CONNECT,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
	STAGE_EOM,
};

#define STAGE_BIT(s) (1u << (s))

/* an accepted recipient: as the MTA gave it (for a deletion) and parsed */
struct kept_rcpt {
	char *raw;
	char *addr;
	bool rewritten;              /* a BATV or SRS address, untagged (check_fwd.c) */
};

struct msg {
	bool active;
	bool sender_parsed;          /* sender holds a parsed address */
	bool allowlisted;            /* a sender access entry said accept */
	struct addr sender;
	char sender_text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8]; /* as logged */
	char auth[256];              /* {auth_authen}; empty when not authenticated */
	struct verdict mail_v;       /* held sender verdict (delay_reject) */
	bool rcpt_parsed;            /* the recipient being checked: */
	struct addr rcpt;
	char rcpt_text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8];
	unsigned nrcpt;              /* RCPT commands seen */
	unsigned naccepted;          /* recipients accepted */
	bool in_data;                /* header fields are arriving */
	bool auth_skip;              /* trusted or authenticated: no DKIM, DMARC */
	struct auth_msg au;          /* SPF, DKIM, DMARC facts (auth.h) */
	char rcpt_why[320];          /* recipients: the detail of this recipient's verdict, for the log */
	struct kept_rcpt *kept;      /* recipients accepted, kept for alias rewriting (session_alias.c) */
	size_t nkept;
	bool rcpt_rewritten;         /* the recipient being checked was untagged (check_fwd.c) */
	bool spf_held;               /* the MAIL FROM SPF rule is weighed at end of message (check_spf.c) */
	char spf_origin[IP_TEXT_MAX]; /* a forwarder's origin the MAIL FROM SPF fact is for; "" none */
	bool srs_needed;             /* an alias sent the message off-site (session_alias.c) */
	unsigned nreceived;          /* Received fields kept, top first (forwarder.h); */
	char received[FWD_RECEIVED_KEPT][1024]; /* each cut at 1023 bytes: the hop is at its start */
};

/* iprev (RFC 8601 2.7.3): did the client's PTR name lead back to it? */
enum iprev { IPREV_NONE, IPREV_PASS, IPREV_FAIL, IPREV_TEMPERROR };

struct conn {
	struct config *cfg;          /* pinned snapshot (one reference) */
	struct dns *dns;             /* the process's resolver; NULL: no DNS checks */
	unsigned dns_left;           /* queries left of resolver.budget */
	int dnsbl_score;
	enum iprev iprev;
	char ptr_name[256];          /* the verified name when iprev is pass */
	const struct policy *pol;
	char daemon_name[128];
	char hostname[256];          /* the MTA's name for the client */
	char addr_text[IP_TEXT_MAX];
	bool have_ip;
	struct ipaddr ip;
	bool have_daemon_ip;
	struct ipaddr daemon_ip;     /* our address the client connected to */
	bool trusted;                /* client in networks.trusted */
	bool allowlisted;            /* a client access entry said accept */
	enum fwd_kind fwd;           /* the client is a forwarder (forwarder.h), found at connect */
	bool helo_seen;
	char helo[256];
	struct verdict connect_v;    /* held verdicts (delay_reject) */
	struct verdict helo_v;
	char qid[64];
	unsigned long transactions;
	struct msg msg;
	struct trace *trace;         /* doorman -t (trace.h): NULL in the daemon */
};

/*
 * session_tracing - a doorman -t trace, not mail: explain, but write no
 * state (greylisting entries, counters, DMARC history rows) and send
 * nothing that is not a question.
 */
#define session_tracing(c) ((c)->trace != NULL)

/* What the MTA told us at connect; any field may be NULL or empty. */
struct conn_info {
	const char *daemon_name;  /* {daemon_name} */
	const char *hostname;     /* client host name, "[addr]" or "unknown" */
	const char *addr;         /* client address as text, NULL for non-IP */
	const char *daemon_addr;  /* {daemon_addr} or {if_addr} */
	struct dns *dns;          /* the process's resolver, or NULL */
};

/*
 * session_dns - a batch within what is left of the budget; session_dns_done
 * waits for it (resolver.timeout) and charges what it sent.
 */
struct dns_batch *session_dns(struct conn *c);
void session_dns_done(struct conn *c, struct dns_batch *b);
/* session_dns_within - the same, waiting at most ms (a check's own deadline). */
void session_dns_within(struct conn *c, struct dns_batch *b, long ms);

/* conn_new - takes over one reference to cfg. */
struct conn *conn_new(struct config *cfg, const struct conn_info *ci);
void conn_free(struct conn *c);

void session_connect(struct conn *c, struct verdict *v);
void session_helo(struct conn *c, const char *helo, struct verdict *v);
void session_mail(struct conn *c, const char *sender, const char *auth_authen, struct verdict *v);
void session_rcpt(struct conn *c, const char *rcpt, struct verdict *v);
/*
 * The message (DATA): header fields as the MTA passes them (the value with
 * its leading white space, as after the colon), the end of the header, body
 * chunks, and the end of the message.  session_eom() gives the message's
 * verdict and, when it is not a rejection, the header edits to make.
 */
struct eom_edits {
	const unsigned *ar_delete;  /* indexes of Authentication-Results to delete, */
	size_t nar_delete;          /* ascending (borrowed from the msg) */
	char *authres;              /* Authentication-Results value to insert at the top */
	char *received_spf;         /* Received-SPF value to insert at the top */
	char *tag;                  /* X-Doorman-DMARC value to add */
	char quarantine[300];       /* milter quarantine reason; empty for none */
};

#define TAG_HEADER "X-Doorman-DMARC"

void session_header(struct conn *c, const char *name, const char *value);
void session_eoh(struct conn *c);
void session_body(struct conn *c, const unsigned char *buf, size_t len);
void session_eom(struct conn *c, struct verdict *v, struct eom_edits *e);
void eom_edits_free(struct eom_edits *e);

/*
 * Alias rewriting (session_alias.c).  session_keep_rcpt() records an
 * accepted recipient when the policy has recipients.aliases.  At end of
 * message, session_rewrite_rcpts() calls edit(arg, addr, false) for each
 * recipient to delete (addr as the MTA gave it) and edit(arg, addr, true)
 * for each to add ("<user@domain>"), logging one line per rewritten
 * recipient; when the expansion or an edit fails, v becomes a tempfail
 * (logged).  session_kept_free() is part of resetting the message.
 */
typedef int (*rcpt_edit_fn)(void *arg, const char *addr, bool add);
void session_keep_rcpt(struct conn *c, const char *raw);
void session_rewrite_rcpts(struct conn *c, rcpt_edit_fn edit, void *arg, struct verdict *v);
void session_kept_free(struct msg *m);

/*
 * session_new_sender (session_fwd.c) - after session_rewrite_rcpts: the
 * envelope sender to change to ("<...>") into out, and 1; 0 when it stays.
 * SRS when an alias sent the message off-site (srs.enabled), else a BATV
 * tag for an authenticated sender of batv.domains (batv.sign).  Logs the
 * change.
 */
int session_new_sender(struct conn *c, char *out, size_t len);

/* session_end_message - after EOM or abort: the transaction is over. */
void session_end_message(struct conn *c);
/* session_set_qid - the MTA's queue id, whenever it becomes known. */
void session_set_qid(struct conn *c, const char *qid);

/* session_exempt - trusted or authenticated, and the policy exempts them. */
bool session_exempt(const struct conn *c);

/* session_settle - apply the policy's dry run to v and log it; true when v
 * stands as the stage's answer (reject or tempfail). */
bool session_settle(struct conn *c, enum stage st, struct verdict *v, const char *rcpt);

/* session_log_quoted - append ' key="val"' to the log line buf (used of len
 * bytes taken) with val made printable and its quotes escaped, as
 * session_log writes them; returns the new length.  For checks that log
 * their own decision lines. */
size_t session_log_quoted(char *buf, size_t used, size_t len, const char *key, const char *val);

/* session_log - the one decision log line; rcpt may be NULL. */
void session_log(const struct conn *c, enum stage st, const struct verdict *v, const char *rcpt);

const char *stage_name(enum stage st);

/* session_accepted - count an accept that rule took at st (metrics.h); logged or not */
void session_accepted(const struct conn *c, enum stage st, const char *rule);
/* session_stage_begin/end - a stage's checks: its time and a busy worker (metrics.h) */
int64_t session_stage_begin(void);
void session_stage_end(enum stage st, int64_t begin);

#endif
