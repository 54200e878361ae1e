/*
 * auth_dkim.c - DKIM verification (RFC 6376, 8301, 8463) with libopendkim,
 * its DNS through doorman's resolver (see auth.h)
 *
 * One DKIM_LIB for the process (auth_init), one DKIM handle per message.
 * The library asks for keys through dkim_dns_set_query_*: our start hook
 * runs the query through dns.c at once, within the message's budget, and
 * copies the resolver's wire answer into the library's buffer, so the
 * library parses it as it parses any answer (NXDOMAIN: no key; several
 * records: an error).  A lookup that failed for now is reported as
 * DKIM_DNS_ERROR, which the library turns into KEYFAIL: temperror, never
 * fail.
 *
 * One bad field never costs the good signatures.  dkim_header() refuses a
 * field whose name it does not like (a ';' or an 8-bit byte in the name,
 * which RFC 5322 allows or which cannot be signed anyway: no h= can name
 * it) without storing it, and refuses a DKIM-Signature field whose tag
 * list does not parse after storing it as a signature of its own
 * (DKIM_LIBFLAGS_BADSIGHANDLES).  Neither stops the message: the first is
 * skipped, the second recorded here as malformed (the library keeps the
 * tags it read before the error, and does not look at that mark again, so
 * a malformed field could otherwise verify).  The library lists
 * signatures in the order of their fields, one per DKIM-Signature field
 * it was given, which is how a field's mark finds its signature; when the
 * counts differ nothing is marked (logged).  Only a failure of the
 * library itself (no memory, an internal error) leaves the message
 * unverified: every signature field is then a temperror and
 * m->dkim_incomplete tells DMARC, which answers temperror rather than
 * fail.
 *
 * Results (RFC 8601 2.7.1, as doorman.conf(5) documents them): pass;
 * fail (signature or body hash does not verify); neutral (a malformed
 * signature field, b= or bh= not base64, which the library decodes as far
 * as it can; an unusable one: expired, future, unknown algorithm or
 * canonicalization; and rsa-sha1, which RFC 8301 3.1 forbids verifiers
 * to accept); permerror (no key, a revoked, malformed or too small key, a
 * key whose h= or k= does not fit a=: the library checks h= but reads the
 * key as a= says whatever k= is, so k= is checked here); temperror (the
 * key lookup failed for now, or the signature could not be verified now).
 * header.b (RFC 6008) is at least 8 characters of b=, longer where two
 * signatures share them.
 *
 * Hostile mail: the prescreen hook verifies at most the policy's
 * dkim.max_signatures well-formed signatures (each costs a key lookup);
 * malformed ones cost nothing and get their result anyway.  Signatures
 * whose d= aligns with a From domain (relaxed: the same organizational
 * domain) go first, so an author's signature is verified however many
 * others come before it; the rest keep their order, rsa-sha1 ones last
 * (they cannot pass).  The keys of those
 * kept are fetched in one parallel round, so the library's
 * one-at-a-time lookups are answered from the resolver's cache.  The
 * keys fetched at the end of the header get one resolver.timeout round,
 * the library's lookups at the end of the message another; a key not
 * found by then is a temperror.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "dkimkeys.h"
#include "dns.h"
#include "log.h"
#include "session.h"
#include "xalloc.h"

struct dkim_state {
	DKIM *dkim;
	unsigned max_sigs;
	bool nosig;   /* the header has no signature: skip the body */
	bool broken;  /* the library failed on the message: no results */
	bool *bad;    /* per DKIM-Signature field given to the library: malformed */
	size_t nfields, capfields;
};

static DKIM_LIB *dkim_lib;
static int dkim_service; /* the library wants a non-NULL service handle */

struct dkim_query {
	int status;
	size_t len;
};

/* the service is ours and static: nothing for the library to free */
static void
q_close(void *srv)
{
	(void)srv;
}

static int
q_start(void *srv, int type, unsigned char *name, unsigned char *buf, size_t buflen, void **qh)
{
	struct dkim_query *q = xcalloc(1, sizeof(*q));
	struct conn *c = auth_current();
	const struct dns_answer *a;
	struct dns_batch *b;
	int i;

	(void)srv;
	*qh = q;
	q->status = DKIM_DNS_ERROR;
	if (c == NULL || c->dns == NULL || auth_left_ms(c->msg.au.dkim_deadline) == 0)
		return 0;
	b = session_dns(c);
	i = dns_batch_add(b, (const char *)name, type);
	session_dns_within(c, b, auth_left_ms(c->msg.au.dkim_deadline));
	a = dns_batch_answer(b, i);
	if (a->status != DNS_TEMPFAIL && a->wire != NULL && a->wirelen <= buflen) {
		memcpy(buf, a->wire, a->wirelen);
		q->len = a->wirelen;
		q->status = DKIM_DNS_SUCCESS;
	}
	dns_batch_free(b);
	return 0;
}

static int
q_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error, int *dnssec)
{
	struct dkim_query *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static int
q_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

/* The rank of a signature for verification: aligned with a From domain
 * first (an exact d= before a relaxed match), the rest after, rsa-sha1
 * last (it can never pass, RFC 8301); lower goes first.  Malformed ones
 * (an error found while reading the tags) are never looked up and need
 * no place. */
#define SIG_RANKS 4
static int
sig_rank(DKIM_SIGINFO *sig, const struct auth_msg *m)
{
	const char *d = (const char *)dkim_sig_getdomain(sig);
	const unsigned char *a = dkim_sig_gettagvalue(sig, false, (u_char *)"a");

	if (a != NULL && strcasecmp((const char *)a, "rsa-sha1") == 0)
		return 3;
	if (d == NULL || m == NULL)
		return 2;
	for (unsigned i = 0; i < m->from_ndomains; i++)
		if (dmarc_aligned(d, m->from_domains[i], true))
			return 0;
	for (unsigned i = 0; i < m->from_ndomains; i++)
		if (dmarc_aligned(d, m->from_domains[i], false))
			return 1;
	return 2;
}

/* Keep max_sigs well-formed signatures, the aligned ones first, and
 * fetch their keys in one round. */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_state *st = dkim_get_user_context(dkim);
	struct conn *c = auth_current();
	const struct auth_msg *m = c != NULL ? &c->msg.au : NULL;
	unsigned kept = 0;
	struct dns_batch *b = NULL;

	if (c != NULL && c->dns != NULL)
		b = session_dns(c);
	for (int rank = 0; rank < SIG_RANKS; rank++) {
		for (int i = 0; i < nsigs; i++) {
			DKIM_SIGINFO *sig = sigs[i];
			const char *d, *s;
			char name[600];

			if (nsigs == (int)st->nfields && st->bad[i]) {
				/* malformed: neutral whatever it verifies to */
				dkim_sig_ignore(sig);
				continue;
			}
			if (dkim_sig_geterror(sig) != DKIM_SIGERROR_UNKNOWN ||
			    (dkim_sig_getflags(sig) & DKIM_SIGFLAG_IGNORE) || sig_rank(sig, m) != rank)
				continue;
			if (kept == st->max_sigs) {
				dkim_sig_ignore(sig);
				continue;
			}
			kept++;
			d = (const char *)dkim_sig_getdomain(sig);
			s = (const char *)dkim_sig_getselector(sig);
			if (b == NULL || d == NULL || s == NULL || *d == '\0' || *s == '\0')
				continue;
			if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", s, d) < sizeof(name))
				dns_batch_add(b, name, DNS_TYPE_TXT);
		}
	}
	if (b != NULL) {
		/* the answers stay in the resolver's cache; the library asks again */
		session_dns_within(c, b, auth_left_ms(c->msg.au.dkim_deadline));
		dns_batch_free(b);
	}
	return DKIM_CBSTAT_CONTINUE;
}

int
dkim_lib_init(char *why, size_t whylen)
{
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF | DKIM_LIBFLAGS_BADSIGHANDLES;

	if (dkimkeys_init() < 0) {
		snprintf(why, whylen, "libcrypto: no d2i_PUBKEY_bio to decode DKIM keys with");
		return -1;
	}
	if ((dkim_lib = dkim_init(NULL, NULL)) == NULL) {
		snprintf(why, whylen, "libopendkim: dkim_init failed");
		return -1;
	}
	if (dkim_options(dkim_lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
	    DKIM_STAT_OK) {
		snprintf(why, whylen, "libopendkim: cannot set flags");
		return -1;
	}
	dkim_dns_set_query_service(dkim_lib, &dkim_service);
	dkim_dns_set_query_start(dkim_lib, q_start);
	dkim_dns_set_query_waitreply(dkim_lib, q_wait);
	dkim_dns_set_query_cancel(dkim_lib, q_cancel);
	dkim_dns_set_close(dkim_lib, q_close);
	dkim_set_prescreen(dkim_lib, prescreen);
	return 0;
}

void
dkim_lib_shutdown(void)
{
	if (dkim_lib != NULL)
		dkim_close(dkim_lib);
	dkim_lib = NULL;
	dkimkeys_flush();
}

bool
dkimv_has_ed25519(void)
{
	return dkim_lib != NULL && dkim_libfeature(dkim_lib, DKIM_FEATURE_ED25519);
}

struct dkim_state *
dkimv_start(const char *id, unsigned max_sigs)
{
	struct dkim_state *st;
	DKIM_STAT status;

	if (dkim_lib == NULL)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->max_sigs = max_sigs ? max_sigs : 1;
	st->dkim = dkim_verify(dkim_lib, (const unsigned char *)(id && *id ? id : "doorman"),
			       NULL, &status);
	if (st->dkim == NULL) {
		log_msg(LOG_WARNING, "dkim: cannot start verifying: %s", dkim_getresultstr(status));
		free(st);
		return NULL;
	}
	dkim_set_user_context(st->dkim, st);
	return st;
}

/* the library's own test for a signature field: the name, without the
 * white space before the colon, is DKIM-Signature */
static bool
is_sig_field(const char *name)
{
	size_t n = strlen(name);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	return n == 14 && strncasecmp(name, "DKIM-Signature", 14) == 0;
}

/*
 * "name:value" with every line end a CRLF: MTAs pass folded fields with a
 * bare LF (Postfix), and the library reads a bare LF inside a field as
 * part of the value, so a folded b= would not decode.
 */
void
dkimv_header(struct dkim_state *st, const char *name, const char *value)
{
	size_t nl = 0, len, j;
	bool sig = is_sig_field(name);
	DKIM_STAT status;
	char *field;

	if (st == NULL || st->broken)
		return;
	for (const char *p = value; *p; p++)
		nl += *p == '\n';
	len = strlen(name) + 1 + strlen(value) + nl + 1;
	field = xmalloc(len);
	j = (size_t)snprintf(field, len, "%s:", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			field[j++] = '\r';
		field[j++] = *p;
	}
	field[j] = '\0';
	status = dkim_header(st->dkim, (unsigned char *)field, j);
	free(field);
	if (status != DKIM_STAT_OK && status != DKIM_STAT_SYNTAX) {
		/* the library itself failed (memory): nothing it says now holds */
		log_msg(LOG_WARNING, "dkim: the library failed on a header field: %s",
			dkim_getresultstr(status));
		st->broken = true;
		return;
	}
	/* a refused name was not stored and cannot be signed: skip it */
	if (!sig)
		return;
	if (st->nfields == st->capfields) {
		st->capfields = st->capfields ? st->capfields * 2 : 8;
		st->bad = xreallocarray(st->bad, st->capfields, sizeof(*st->bad));
	}
	st->bad[st->nfields++] = status == DKIM_STAT_SYNTAX;
}

void
dkimv_eoh(struct conn *c, struct dkim_state *st)
{
	DKIM_STAT status;

	if (st == NULL || st->broken)
		return;
	c->msg.au.dkim_deadline = auth_now_ms() + c->cfg->resolver_timeout;
	auth_current_set(c);
	status = dkim_eoh(st->dkim);
	auth_current_set(NULL);
	if (status == DKIM_STAT_NOSIG) {
		st->nosig = true;
	} else if (status != DKIM_STAT_OK) {
		log_msg(LOG_WARNING, "dkim: the library failed at the end of the header: %s",
			dkim_getresultstr(status));
		st->broken = true;
	}
}

void
dkimv_body(struct dkim_state *st, const unsigned char *buf, size_t len)
{
	if (st == NULL || st->broken || st->nosig || len == 0)
		return;
	/* the library does not write to the buffer */
	dkim_body(st->dkim, (unsigned char *)(uintptr_t)buf, len);
}

/* the a= tag as written (lower case), whether or not the library got as
 * far as reading it: header.a names the signature's own algorithm */
static void
alg_of(DKIM_SIGINFO *sig, char *dst, size_t len)
{
	const unsigned char *a = dkim_sig_gettagvalue(sig, false, (u_char *)"a");
	size_t n = 0;

	for (; a != NULL && *a && n + 1 < len; a++)
		dst[n++] = (char)tolower(*a);
	dst[n] = '\0';
}

/* RFC 6376 2.4 base64string: base64 characters and folding white space,
 * at most two '=' at the end; an absent tag is left to the library */
static bool
base64_ok(const unsigned char *v)
{
	int pad = 0, n = 0;

	if (v == NULL)
		return true;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
			continue;
		if (*v == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !(isalnum(*v) || *v == '+' || *v == '/'))
			return false;
		n++;
	}
	return n > 0 && pad <= 2;
}

/* the key record's k= (default rsa, RFC 6376 3.6.1) names the family of
 * a=; true when no key record was read (its p= is its one required tag) */
static bool
key_fits(DKIM_SIGINFO *sig, const char *alg)
{
	const unsigned char *k = dkim_sig_gettagvalue(sig, true, (u_char *)"k");
	const char *dash = strchr(alg, '-');
	size_t n = dash != NULL ? (size_t)(dash - alg) : strlen(alg);
	const char *kt = k != NULL && *k ? (const char *)k : "rsa";

	if (dkim_sig_gettagvalue(sig, true, (u_char *)"p") == NULL)
		return true;
	return strlen(kt) == n && strncasecmp(kt, alg, n) == 0;
}

/* RFC 8601 2.7.1: which result a signature gets, and why. */
static enum auth_result
sig_result(DKIM_SIGINFO *sig, const char *alg, bool malformed, const char **reason,
	   bool *body_changed)
{
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);

	*reason = NULL;
	*body_changed = false;
	if (malformed) {
		*reason = "malformed signature field";
		return AUTH_NEUTRAL;
	}
	if (strcmp(alg, "rsa-sha1") == 0) {
		/* RFC 8301 3.1: verifiers must not accept rsa-sha1 */
		*reason = "rsa-sha1 is not accepted (RFC 8301)";
		return AUTH_NEUTRAL;
	}
	if (!base64_ok(dkim_sig_gettagvalue(sig, false, (u_char *)"b")) ||
	    !base64_ok(dkim_sig_gettagvalue(sig, false, (u_char *)"bh"))) {
		/* the library decodes what it can of a broken one */
		*reason = "b= or bh= is not base64";
		return AUTH_NEUTRAL;
	}
	if (!key_fits(sig, alg)) {
		/* RFC 6376 6.1.2 step 7; the library reads the key as a= says */
		*reason = "the key's k= does not fit a=";
		return AUTH_PERMERROR;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH)
		return AUTH_PASS;
	if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		/* the header hash verified and the body hash did not (the
		 * library says BADSIG for both): the body was changed on the
		 * way, as forwarders and lists do */
		*reason = "body hash did not verify";
		*body_changed = true;
		return AUTH_FAIL;
	}
	if (err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN)
		*reason = dkim_sig_geterrorstr(err);
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return AUTH_TEMPERROR;
	case DKIM_SIGERROR_BADSIG:
		return AUTH_FAIL;
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_UNKNOWN:
		if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
			*reason = "body hash did not verify";
			return AUTH_FAIL;
		}
		if (!(flags & DKIM_SIGFLAG_PROCESSED)) {
			/* well-formed and never checked: no verdict to give yet */
			*reason = "not verified";
			return AUTH_TEMPERROR;
		}
		*reason = "signature did not verify";
		return AUTH_FAIL;
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_KEYTOOSMALL:
		return AUTH_PERMERROR;
	default:
		/* the signature itself is malformed, expired or unusable */
		return AUTH_NEUTRAL;
	}
}

static void
copy(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src ? (const char *)src : "");
}

/* b= without its folding white space, as far as it fits */
static void
b_text(char *dst, size_t len, const unsigned char *b)
{
	size_t n = 0;

	for (; b != NULL && *b && n + 1 < len; b++)
		if (*b > ' ' && *b < 0x7f)
			dst[n++] = (char)*b;
	dst[n] = '\0';
}

/*
 * RFC 6008 2: header.b holds the leading characters of b=, at least 8,
 * and as many more as it takes to tell this signature from the others
 * (up to DKIM_B_PREFIX_MAX; two signatures with the same b= cannot be
 * told apart at any length).
 */
static void
b_prefixes(struct auth_msg *m, char full[][DKIM_B_PREFIX_MAX + 2])
{
	for (int i = 0; i < m->nsigs; i++) {
		size_t n = 8;
		for (int k = 0; k < m->nsigs; k++) {
			size_t same = 0;
			if (k == i)
				continue;
			while (full[i][same] && full[i][same] == full[k][same])
				same++;
			if (same + 1 > n)
				n = same + 1;
		}
		if (n > DKIM_B_PREFIX_MAX)
			n = DKIM_B_PREFIX_MAX;
		snprintf(m->sigs[i].b, sizeof(m->sigs[i].b), "%.*s", (int)n, full[i]);
	}
}

static void
record(DKIM_SIGINFO *sig, bool malformed, struct auth_msg *m, char *bfull, size_t blen)
{
	struct dkim_sig_fact *f = &m->sigs[m->nsigs++];

	alg_of(sig, f->a, sizeof(f->a));
	f->result = sig_result(sig, f->a, malformed, &f->reason, &f->body_changed);
	copy(f->d, sizeof(f->d), dkim_sig_getdomain(sig));
	copy(f->s, sizeof(f->s), dkim_sig_getselector(sig));
	b_text(bfull, blen, dkim_sig_gettagvalue(sig, false, (u_char *)"b"));
}

void
dkimv_finish(struct conn *c, struct dkim_state *st, struct auth_msg *m)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	bool mapped;
	char bfull[DKIM_SIGS_KEPT][DKIM_B_PREFIX_MAX + 2];

	if (st == NULL)
		return;
	if (!st->broken && !st->nosig) {
		/* the body may have taken long: a new round for the lookups */
		c->msg.au.dkim_deadline = auth_now_ms() + c->cfg->resolver_timeout;
		auth_current_set(c);
		(void)dkim_eom(st->dkim, NULL);
		auth_current_set(NULL);
		if (dkim_getsiglist(st->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
			sigs = NULL;
	}
	if (st->broken || (sigs == NULL && !st->nosig)) {
		/* the library could not verify the message: temporary (auth.h) */
		m->dkim_incomplete = m->sig_fields > 0;
		if (m->sig_fields > 0) {
			m->nsigs = 1;
			m->sigs[0].result = AUTH_TEMPERROR;
			m->sigs[0].reason = "the message could not be verified";
		}
		return;
	}
	if (sigs == NULL || nsigs == 0)
		return;
	mapped = nsigs == (int)st->nfields;
	if (!mapped)
		log_msg(LOG_WARNING, "dkim: %d signatures for %zu signature fields", nsigs,
			st->nfields);
	/* the verified ones first (DMARC reads these), then the malformed */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < nsigs && m->nsigs < DKIM_SIGS_KEPT; i++) {
			bool malformed = mapped && st->bad[i];
			bool setup_error = dkim_sig_geterror(sigs[i]) != DKIM_SIGERROR_UNKNOWN &&
					   !(dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PROCESSED);
			bool early = malformed || setup_error;
			if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) && !malformed)
				continue; /* over dkim.max_signatures: not verified */
			if (early != (pass == 1))
				continue;
			record(sigs[i], malformed, m, bfull[m->nsigs], sizeof(bfull[0]));
		}
	}
	b_prefixes(m, bfull);
}

void
dkimv_free(struct dkim_state *st)
{
	if (st == NULL)
		return;
	dkim_free(st->dkim);
	free(st->bad);
	free(st);
}
