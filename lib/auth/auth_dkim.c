/*
 * auth_dkim.c - DKIM verification (RFC 6376) with libopendkim, its DNS
 * through doorman's resolver (see auth.h)
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
 * Hostile mail: the prescreen hook ignores every signature after the
 * policy's dkim.max_signatures (each one would cost a key lookup), and
 * fetches the keys of those it keeps in one parallel round, so the
 * library's one-at-a-time lookups are answered from the resolver's cache.
 * The keys fetched at the end of the header get one resolver.timeout
 * round, the library's lookups at the end of the message another; a key
 * not found by then is a temperror.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	bool broken;  /* the library refused the message: no results */
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

/* Keep the first max_sigs signatures and fetch their keys in one round. */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_state *st = dkim_get_user_context(dkim);
	struct conn *c = auth_current();
	struct dns_batch *b;

	for (int i = (int)st->max_sigs; i < nsigs; i++)
		dkim_sig_ignore(sigs[i]);
	if (c == NULL || c->dns == NULL)
		return DKIM_CBSTAT_CONTINUE;
	b = session_dns(c);
	for (int i = 0; i < nsigs && i < (int)st->max_sigs; i++) {
		const char *d = (const char *)dkim_sig_getdomain(sigs[i]);
		const char *s = (const char *)dkim_sig_getselector(sigs[i]);
		char name[600];
		if (d == NULL || s == NULL || *d == '\0' || *s == '\0')
			continue;
		if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", s, d) < sizeof(name))
			dns_batch_add(b, name, DNS_TYPE_TXT);
	}
	/* the answers stay in libunbound's cache; the library asks again */
	session_dns_within(c, b, auth_left_ms(c->msg.au.dkim_deadline));
	dns_batch_free(b);
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

/*
 * "name:value" with every line end a CRLF: MTAs pass folded fields with a
 * bare LF (Postfix), and the library reads a bare LF inside a field as
 * part of the value, so a folded b= would not decode.
 */
void
dkimv_header(struct dkim_state *st, const char *name, const char *value)
{
	size_t nl = 0, len, j;
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
	if (dkim_header(st->dkim, (unsigned char *)field, j) != DKIM_STAT_OK)
		st->broken = true;
	free(field);
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
	if (status == DKIM_STAT_NOSIG)
		st->nosig = true;
}

void
dkimv_body(struct dkim_state *st, const unsigned char *buf, size_t len)
{
	if (st == NULL || st->broken || st->nosig || len == 0)
		return;
	/* the library does not write to the buffer */
	dkim_body(st->dkim, (unsigned char *)(uintptr_t)buf, len);
}

static const char *
alg_name(DKIM_SIGINFO *sig)
{
	dkim_alg_t alg;

	if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK)
		return "";
	switch (alg) {
	case DKIM_SIGN_RSASHA1:
		return "rsa-sha1";
	case DKIM_SIGN_RSASHA256:
		return "rsa-sha256";
	case DKIM_SIGN_ED25519SHA256:
		return "ed25519-sha256";
	default:
		return "";
	}
}

/* RFC 8601 2.7.1: which result a signature gets, and why. */
static enum auth_result
sig_result(DKIM_SIGINFO *sig, const char **reason)
{
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);

	*reason = NULL;
	if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH)
		return AUTH_PASS;
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
			*reason = "not processed";
			return AUTH_NEUTRAL;
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

/* RFC 6008: the first characters of b=, without the folding white space */
static void
b_prefix(char *dst, size_t len, const unsigned char *b)
{
	size_t n = 0;

	for (; b != NULL && *b && n + 1 < len && n < 8; b++)
		if (*b > ' ' && *b < 0x7f)
			dst[n++] = (char)*b;
	dst[n] = '\0';
}

void
dkimv_finish(struct conn *c, struct dkim_state *st, struct auth_msg *m)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;

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
	if (sigs == NULL || nsigs == 0) {
		/* signature fields the library could not even parse */
		if (m->sig_fields > 0) {
			m->nsigs = 1;
			m->sigs[0].result = AUTH_PERMERROR;
			m->sigs[0].reason = "signature could not be parsed";
		}
		return;
	}
	m->nsigs = nsigs;
	for (int i = 0; i < nsigs && i < (int)st->max_sigs && i < DKIM_SIGS_KEPT; i++) {
		struct dkim_sig_fact *f = &m->sigs[i];
		f->result = sig_result(sigs[i], &f->reason);
		copy(f->d, sizeof(f->d), dkim_sig_getdomain(sigs[i]));
		copy(f->s, sizeof(f->s), dkim_sig_getselector(sigs[i]));
		snprintf(f->a, sizeof(f->a), "%s", alg_name(sigs[i]));
		b_prefix(f->b, sizeof(f->b), dkim_sig_gettagvalue(sigs[i], false, (u_char *)"b"));
	}
}

void
dkimv_free(struct dkim_state *st)
{
	if (st == NULL)
		return;
	dkim_free(st->dkim);
	free(st);
}
