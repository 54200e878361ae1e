/*
 * auth.h - SPF, DKIM and DMARC, and the one Authentication-Results header
 *
 * doorman computes the three itself, from facts it gathered, with the
 * libraries everyone uses: libspf2, libopendkim and libopendmarc.  Their
 * DNS goes through doorman's resolver (dns.h), within the message's
 * query budget:
 *   - libspf2 through an SPF_dns_server_t layer of ours (auth_spf.c);
 *   - libopendkim through its dkim_dns_set_query_* hooks, which get the
 *     resolver's wire-format answer (auth_dkim.c);
 *   - the _dmarc record fetched here and handed to libopendmarc with
 *     opendmarc_policy_store_dmarc() (auth_dmarc.c).
 * The libraries call back synchronously in the thread that called them;
 * the connection they work for is passed through auth_current (a
 * thread-local pointer set around each call), never through a global.
 *
 * Facts land in struct auth_msg (one per transaction, in struct msg);
 * checks turn them into verdicts with the policy's rules, and authres.c
 * writes the header from them.
 */
#ifndef DOORMAN_AUTH_H
#define DOORMAN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 8601 result words, shared by every method. */
enum auth_result {
	AUTH_UNSET = 0, /* not evaluated: not in the header */
	AUTH_NONE,
	AUTH_PASS,
	AUTH_FAIL,
	AUTH_SOFTFAIL,
	AUTH_NEUTRAL,
	AUTH_POLICY,
	AUTH_TEMPERROR,
	AUTH_PERMERROR,
};

const char *auth_result_name(enum auth_result r);

/* One SPF evaluation (RFC 7208): the identity checked and its result. */
struct spf_fact {
	enum auth_result result;
	char identity[320];    /* smtp.mailfrom or smtp.helo value */
	char domain[256];      /* the domain that was checked */
	char explanation[320]; /* for a fail: which domain did not designate which address */
	char received[512];    /* the Received-SPF value libspf2 wrote */
};

#define DKIM_SIGS_KEPT 8 /* signatures whose results are kept */
#define DKIM_B_PREFIX_MAX 64 /* header.b: 8 characters, more when needed to be unique */

struct dkim_sig_fact {
	enum auth_result result;
	char d[256];
	char s[64];
	char a[24];          /* the a= tag as written: rsa-sha256, ed25519-sha256 */
	char b[DKIM_B_PREFIX_MAX + 1]; /* leading characters of b= (RFC 6008) */
	const char *reason;  /* static, for the log and the header comment */
	bool body_changed;   /* a fail: the header hash verified, the body hash did not */
};

struct dmarc_fact {
	enum auth_result result;
	char from_domain[256];
	const char *policy;      /* "reject", "quarantine", "none" or NULL: published */
	const char *disposition; /* "reject", "quarantine", "none": what we apply */
	const char *reason;      /* static */
	bool from_unusable;      /* RFC 7489 6.6.1: no From domain to evaluate */
	/* the record as seen, for aggregate reports (dmarc_history.h);
	 * policy_domain[0] == '\0': no record was used */
	char policy_domain[256]; /* where the record was found */
	const char *pub_p, *pub_sp; /* p=, and sp= (p= when absent) */
	int pub_pct;
	bool pub_adkim_strict, pub_aspf_strict;
	char pub_fo[16];         /* fo= as written, "0" when absent */
	char pub_rua[512];       /* rua= as written, "" when absent */
	bool dkim_aligned_pass, spf_aligned_pass; /* RFC 7489 policy_evaluated */
	bool sampled_out;        /* pct= gave a weaker disposition */
	bool aligned_body_changed; /* a fail with an aligned signature whose body was changed */
	const char *override;    /* RFC 7489 7.2 local policy override ("forwarded"), or NULL */
};

struct dkim_state; /* the library's per-message handle (auth_dkim.c) */

/* The header fields seen in DATA that matter here. */
#define FROM_DOMAINS_MAX 8

struct auth_msg {
	struct spf_fact spf_mailfrom, spf_helo;
	struct dkim_state *dkim;     /* NULL: not verifying */
	int nsigs;                   /* signatures with a result in sigs[] */
	bool dkim_incomplete;        /* the library could not verify the message (temporary) */
	unsigned sig_fields;         /* DKIM-Signature fields in the header */
	struct dkim_sig_fact sigs[DKIM_SIGS_KEPT];
	struct dmarc_fact dmarc;
	unsigned from_fields;        /* From: header fields seen */
	unsigned from_ndomains;      /* domains in them (distinct, lower case) */
	char from_domains[FROM_DOMAINS_MAX][256];
	bool from_bad;               /* a From address without a usable domain */
	unsigned ar_seen;            /* Authentication-Results fields seen */
	unsigned *ar_forged;         /* their 1-based indexes that claim our id */
	size_t nforged, capforged;
	bool headers_over;           /* too many fields to track: see session.c */
	long long spf_deadline;      /* auth_now_ms() by which SPF must be done */
	long long dkim_deadline;     /* ... and the DKIM key lookups */
};

/* auth_now_ms - a monotonic clock; auth_left_ms - what is left until t. */
long long auth_now_ms(void);
long auth_left_ms(long long t);

void auth_msg_reset(struct auth_msg *m);

/* auth_current - the connection a library callback works for. */
struct conn;
void auth_current_set(struct conn *c);
struct conn *auth_current(void);

/*
 * The process-wide library state, set up once before any connection
 * (auth_init) and read-only afterwards.  psl: the public suffix list file
 * (Debian's publicsuffix package); NULL or "" to not read one.  me: our
 * name in Received-SPF fields.
 */
int auth_init(const char *psl, const char *me, char *why, size_t whylen);
void auth_shutdown(void);

/* SPF (auth_spf.c).  ip: the client address; helo may be empty. */
void spf_check_mailfrom(struct conn *c, const char *ip, const char *helo, const char *sender,
			struct spf_fact *out);
void spf_check_helo(struct conn *c, const char *ip, const char *helo, struct spf_fact *out);

/* DKIM (auth_dkim.c): one handle per message. */
struct dkim_state *dkimv_start(const char *id, unsigned max_sigs);
void dkimv_header(struct dkim_state *st, const char *name, const char *value);
void dkimv_eoh(struct conn *c, struct dkim_state *st);
void dkimv_body(struct dkim_state *st, const unsigned char *buf, size_t len);
/* dkimv_finish - evaluates every signature into m->sigs. */
void dkimv_finish(struct conn *c, struct dkim_state *st, struct auth_msg *m);
void dkimv_free(struct dkim_state *st);
bool dkimv_has_ed25519(void);

/* the libraries' process-wide setup, called by auth_init */
int spf_init(const char *me, char *why, size_t whylen);
void spf_shutdown(void);
int dkim_lib_init(char *why, size_t whylen);
void dkim_lib_shutdown(void);
int dmarc_lib_init(const char *psl, char *why, size_t whylen);
void dmarc_lib_shutdown(void);

/* DMARC (auth_dmarc.c): evaluate m->dmarc from the From domain(s) and the
 * SPF and DKIM facts.  pct_roll: 0..99, compared with pct= (tests fix it). */
void dmarc_evaluate(struct conn *c, struct auth_msg *m, int pct_roll);
/* org_domain - the organizational domain of d (RFC 7489 3.2) into buf. */
void org_domain(const char *d, char *buf, size_t len);
/* dmarc_aligned - RFC 7489 3.1: strict, the same name; relaxed, the same
 * organizational domain; a trailing dot on either is no difference. */
bool dmarc_aligned(const char *id_domain, const char *from_domain, bool strict);

/*
 * Authentication-Results (authres.c).
 * authres_claims - does this field value claim authserv-id id?  The id is
 * the first token after any comments and white space (RFC 8601 2.2),
 * compared without case; a quoted id is unquoted first.
 */
bool authres_claims(const char *value, const char *id);
/* authres_build - the field value (without the name), folded with "\n\t";
 * a newly allocated string, or NULL when there is no result to give. */
struct conn;
char *authres_build(const struct conn *c, const struct auth_msg *m, const char *id);

/* From: header domains, RFC 5322 address lists with comments, groups,
 * quoted local parts and encoded words; for DMARC.  Exported for tests. */
void from_field_domains(const char *value, struct auth_msg *m);

#endif
