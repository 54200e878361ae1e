/*
 * auth_dmarc.c - DMARC (RFC 7489) with libopendmarc (see auth.h)
 *
 * We fetch the _dmarc record ourselves, through doorman's resolver: first
 * at the From domain, then at its organizational domain (RFC 7489 6.6.3);
 * a name with no record, or with more than one, has no policy.  The
 * record's tags are read here (record_parse: libopendmarc's parser does
 * not read them as RFC 7489 6.3 and 6.6.3 ask; libopendmarc is only
 * initialized).  Organizational domains come
 * from the public suffix list (Debian's publicsuffix package) through
 * libpsl, read once at auth_init.  libopendmarc's own reader is not used:
 * its opendmarc_get_tld() gives nothing for a TLD the list does not name
 * (RFC's default "*" rule), mishandles wildcard and exception rules
 * ("a.b.c.kawasaki.jp" gives "c.kawasaki.jp") and can return a previous
 * call's answer.
 *
 * Alignment is decided here, not by opendmarc_get_policy_to_enforce():
 * libopendmarc 1.4 counts a relaxed match when one domain is a suffix of
 * the other, so a signature by "blogspot.com" (a public suffix of its
 * own) would align with mail from "victim.blogspot.com".  RFC 7489 3.1
 * asks that the organizational domains be equal, and that is what
 * dmarc_aligned() checks.
 *
 * Results: pass (an aligned SPF or DKIM pass), fail, none (no policy),
 * temperror (a lookup failed for now, or an aligned identifier could not
 * be checked for now, or the DKIM library could not verify the message,
 * and nothing else passed), permerror (a record without a usable p= or
 * sp= and no valid rua=, or a From field that cannot be evaluated: none, several, or an
 * address without a domain, RFC 7489 6.6.1).  With several From domains
 * in one field, each is evaluated and the strictest outcome stands.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>
#include <opendmarc/dmarc.h>

#include "dns.h"
#include "log.h"
#include "session.h"

static psl_ctx_t *psl_ctx; /* read-only after dmarc_lib_init */

int
dmarc_lib_init(const char *psl, char *why, size_t whylen)
{
	OPENDMARC_LIB_T lib;

	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
		snprintf(why, whylen, "libopendmarc: cannot initialize");
		return -1;
	}
	if (psl != NULL && *psl != '\0' && (psl_ctx = psl_load_file(psl)) == NULL) {
		snprintf(why, whylen, "cannot read the public suffix list %s", psl);
		return -1;
	}
	return 0;
}

void
dmarc_lib_shutdown(void)
{
	psl_free(psl_ctx);
	psl_ctx = NULL;
}

static void
lower_copy(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
	if (i > 0 && dst[i - 1] == '.')
		dst[i - 1] = '\0';
}

/* RFC 7489 3.2: the public suffix and one label more; a name that is a
 * public suffix itself (or any name, without a list) stands for itself. */
void
org_domain(const char *d, char *buf, size_t len)
{
	char in[256];
	const char *reg;

	lower_copy(in, sizeof(in), d);
	reg = psl_ctx != NULL ? psl_registrable_domain(psl_ctx, in) : NULL;
	lower_copy(buf, len, reg != NULL ? reg : in);
}

/* RFC 7489 3.1: strict, the same name; relaxed, the same organizational
 * domain.  lower_copy drops a trailing dot, so "example.org." (a d= or a
 * MAIL FROM domain written absolute) is the same name in either mode. */
bool
dmarc_aligned(const char *id_domain, const char *from_domain, bool strict)
{
	char a[256], b[256];

	lower_copy(a, sizeof(a), id_domain);
	lower_copy(b, sizeof(b), from_domain);
	if (a[0] == '\0' || b[0] == '\0')
		return false;
	if (strcmp(a, b) == 0)
		return true;
	if (strict)
		return false;
	org_domain(a, a, sizeof(a));
	org_domain(b, b, sizeof(b));
	return strcmp(a, b) == 0;
}

/* RFC 7489 6.6.3, 6.4: a DMARC record starts with its version tag,
 * "v" *WSP "=" *WSP "DMARC1" (these six characters as they are) */
static bool
dmarc_version(const char *t)
{
	if (*t++ != 'v')
		return false;
	while (*t == ' ' || *t == '\t')
		t++;
	if (*t++ != '=')
		return false;
	while (*t == ' ' || *t == '\t')
		t++;
	if (strncmp(t, "DMARC1", 6) != 0)
		return false;
	t += 6;
	while (*t == ' ' || *t == '\t')
		t++;
	return *t == '\0' || *t == ';';
}

enum fetch { FETCH_RECORD, FETCH_NONE, FETCH_SEVERAL, FETCH_TEMPFAIL };

/* The one DMARC record at _dmarc.<domain> into rec; only an absent one
 * sends the caller on to the organizational domain. */
static enum fetch
fetch_record(struct conn *c, const char *domain, char *rec, size_t len)
{
	char name[300];
	const struct dns_answer *a;
	struct dns_batch *b;
	enum fetch res = FETCH_NONE;
	int i, found = 0;

	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) >= sizeof(name))
		return FETCH_NONE;
	if (c->dns == NULL)
		return FETCH_TEMPFAIL;
	b = session_dns(c);
	i = dns_batch_add(b, name, DNS_TYPE_TXT);
	session_dns_done(c, b);
	a = dns_batch_answer(b, i);
	if (a->status == DNS_TEMPFAIL) {
		res = FETCH_TEMPFAIL;
	} else if (a->status == DNS_FOUND) {
		for (int k = 0; k < a->nrr; k++) {
			const char *t = a->rr[k];
			if (!dmarc_version(t))
				continue;
			if (found++ == 0)
				snprintf(rec, len, "%s", t);
		}
		res = found == 1 ? FETCH_RECORD : found > 1 ? FETCH_SEVERAL : FETCH_NONE;
	}
	dns_batch_free(b);
	return res;
}

/*
 * A DMARC record's tags (RFC 7489 6.3, 6.4), read here rather than by
 * libopendmarc: its parser takes any prefix of a keyword ("p=r" is
 * reject), and refuses the whole record for one bad value of a tag that
 * does not decide anything (fo=, rf=, ri=), which drops the policy.
 * Here: unknown tags are ignored (6.3); a p= or sp= that is missing or
 * not a policy word makes the record act as "v=DMARC1; p=none" when rua=
 * has a valid URI, else it is not used at all (6.6.3); an adkim=, aspf=
 * or pct= outside its grammar (pct: 0 to 100) is ignored, so its default
 * (relaxed, 100) stands.
 */
struct dmarc_record {
	const char *p, *sp; /* "none", "quarantine", "reject"; NULL: absent or invalid */
	bool p_bad, sp_bad; /* present but not a policy word */
	bool adkim_strict, aspf_strict;
	int pct;
	bool rua_ok; /* rua= has at least one syntactically valid URI */
	char fo[16], rua[512]; /* as written, for aggregate reports */
};

static const char *
policy_word(const char *v, size_t n)
{
	static const char *const words[] = { "none", "quarantine", "reject" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncasecmp(v, words[i], n) == 0)
			return words[i];
	return NULL;
}

/* RFC 7489 6.4 dmarc-uri: a URI (RFC 3986 scheme ":" ...) with an optional
 * "!" size limit */
static bool
uri_ok(const char *v, size_t n)
{
	size_t i = 0;

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == n || !isalpha((unsigned char)v[i]))
		return false;
	for (i++; i < n && (isalnum((unsigned char)v[i]) || strchr("+-.", v[i])); i++)
		;
	if (i == n || v[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return false;
	return true;
}

static void
record_parse(const char *rec, struct dmarc_record *r)
{
	memset(r, 0, sizeof(*r));
	r->pct = 100;
	for (const char *p = rec; *p;) {
		const char *end = strchr(p, ';'), *eq, *v, *ve;
		size_t tn;
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (eq != NULL) {
			tn = (size_t)(eq - p);
			while (tn > 0 && isspace((unsigned char)p[tn - 1]))
				tn--;
			for (v = eq + 1; v < end && isspace((unsigned char)*v); v++)
				;
			for (ve = end; ve > v && isspace((unsigned char)ve[-1]); ve--)
				;
#define TAG(name) (tn == strlen(name) && strncasecmp(p, name, tn) == 0)
			if (TAG("p") && r->p == NULL && !r->p_bad) {
				r->p = policy_word(v, (size_t)(ve - v));
				r->p_bad = r->p == NULL;
			} else if (TAG("sp") && r->sp == NULL && !r->sp_bad) {
				r->sp = policy_word(v, (size_t)(ve - v));
				r->sp_bad = r->sp == NULL;
			} else if (TAG("adkim") || TAG("aspf")) {
				bool *strict = TAG("adkim") ? &r->adkim_strict : &r->aspf_strict;
				if (ve - v == 1 && (*v == 's' || *v == 'S'))
					*strict = true;
			} else if (TAG("pct")) {
				int n = 0, digits = 0;
				for (const char *d = v; d < ve && isdigit((unsigned char)*d); d++)
					n = n * 10 + (*d - '0'), digits++;
				if (digits > 0 && digits <= 3 && v + digits == ve && n <= 100)
					r->pct = n;
			} else if (TAG("fo")) {
				snprintf(r->fo, sizeof(r->fo), "%.*s", (int)(ve - v), v);
			} else if (TAG("rua")) {
				snprintf(r->rua, sizeof(r->rua), "%.*s", (int)(ve - v), v);
				for (const char *u = v; u < ve && !r->rua_ok;) {
					const char *comma = memchr(u, ',', (size_t)(ve - u));
					const char *ue = comma ? comma : ve;
					r->rua_ok = uri_ok(u, (size_t)(ue - u));
					u = comma ? comma + 1 : ve;
				}
			}
#undef TAG
		}
		p = *end ? end + 1 : end;
	}
}

/* RFC 7489 6.6.4: a message outside pct= gets the next weaker policy. */
static const char *
weaker(const char *p)
{
	if (p == NULL || strcmp(p, "reject") != 0)
		return "none";
	return "quarantine";
}

static void
evaluate_one(struct conn *c, const struct auth_msg *m, const char *from, int pct_roll,
	     struct dmarc_fact *out)
{
	char rec[1024], org[256];
	bool at_org = false, temp = false;
	struct dmarc_record r;
	enum fetch f;

	memset(out, 0, sizeof(*out));
	snprintf(out->from_domain, sizeof(out->from_domain), "%s", from);
	f = fetch_record(c, from, rec, sizeof(rec));
	if (f == FETCH_NONE) {
		org_domain(from, org, sizeof(org));
		if (strcmp(org, from) != 0) {
			f = fetch_record(c, org, rec, sizeof(rec));
			at_org = true;
		}
	}
	if (f == FETCH_TEMPFAIL) {
		out->result = AUTH_TEMPERROR;
		out->reason = "DMARC record lookup failed";
		return;
	}
	if (f == FETCH_NONE || f == FETCH_SEVERAL) {
		/* RFC 7489 6.6.3: several records end the discovery as none does */
		out->result = AUTH_NONE;
		out->reason = f == FETCH_NONE ? "no DMARC record" : "several DMARC records";
		return;
	}
	record_parse(rec, &r);
	trace_fact(c->trace, "dmarc.record", "_dmarc.%s: %s (adkim=%s aspf=%s)", at_org ? org : from, rec, r.adkim_strict ? "s" : "r", r.aspf_strict ? "s" : "r");
	if (r.p == NULL || r.sp_bad) {
		if (!r.rua_ok) {
			/* RFC 7489 6.6.3: no DMARC processing for this message */
			out->result = AUTH_PERMERROR;
			out->reason = "invalid DMARC record";
			return;
		}
		/* ... or, with a valid rua=, as if the record were p=none */
		r.p = "none";
		r.sp = NULL;
	}
	/* sp= applies to a From domain below the one that published */
	out->policy = at_org && r.sp != NULL ? r.sp : r.p;
	snprintf(out->policy_domain, sizeof(out->policy_domain), "%s", at_org ? org : from);
	out->pub_p = r.p;
	out->pub_sp = r.sp != NULL ? r.sp : r.p;
	out->pub_pct = r.pct;
	out->pub_adkim_strict = r.adkim_strict;
	out->pub_aspf_strict = r.aspf_strict;
	snprintf(out->pub_fo, sizeof(out->pub_fo), "%s", r.fo[0] ? r.fo : "0");
	snprintf(out->pub_rua, sizeof(out->pub_rua), "%s", r.rua);

	/* both identifiers are looked at: an aggregate report gives each */
	for (int i = 0; i < m->nsigs && i < DKIM_SIGS_KEPT; i++) {
		trace_fact(c->trace, "dmarc.alignment", "dkim d=%s (%s) %s with From %s", m->sigs[i].d, auth_result_name(m->sigs[i].result), dmarc_aligned(m->sigs[i].d, from, r.adkim_strict) ? "aligned" : "not aligned", from);
		if (!dmarc_aligned(m->sigs[i].d, from, r.adkim_strict))
			continue;
		if (m->sigs[i].result == AUTH_PASS)
			out->dkim_aligned_pass = true;
		else if (m->sigs[i].body_changed)
			out->aligned_body_changed = true;
		else if (m->sigs[i].result == AUTH_TEMPERROR)
			temp = true;
	}
	trace_fact(c->trace, "dmarc.alignment", "spf %s (%s) %s with From %s", m->spf_mailfrom.domain[0] ? m->spf_mailfrom.domain : "-", auth_result_name(m->spf_mailfrom.result), dmarc_aligned(m->spf_mailfrom.domain, from, r.aspf_strict) ? "aligned" : "not aligned", from);
	if (dmarc_aligned(m->spf_mailfrom.domain, from, r.aspf_strict)) {
		if (m->spf_mailfrom.result == AUTH_PASS)
			out->spf_aligned_pass = true;
		else if (m->spf_mailfrom.result == AUTH_TEMPERROR)
			temp = true;
	}
	if (out->dkim_aligned_pass || out->spf_aligned_pass) {
		out->result = AUTH_PASS;
		out->disposition = "none";
		out->reason = out->dkim_aligned_pass ? "aligned DKIM pass" : "aligned SPF pass";
		return;
	}
	if (temp || m->dkim_incomplete) {
		out->result = AUTH_TEMPERROR;
		out->reason = temp ? "an aligned identifier could not be checked for now"
				   : "the DKIM signatures could not be checked for now";
		return;
	}
	out->result = AUTH_FAIL;
	out->reason = "no aligned SPF or DKIM pass";
	out->sampled_out = pct_roll >= r.pct && strcmp(out->policy, "none") != 0;
	out->disposition = pct_roll < r.pct ? out->policy : weaker(out->policy);
}

static int
strength(const struct dmarc_fact *f)
{
	static const enum auth_result order[] = { AUTH_UNSET, AUTH_NONE, AUTH_PASS, AUTH_PERMERROR,
						  AUTH_TEMPERROR, AUTH_FAIL };
	int s = 0;

	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
		if (order[i] == f->result)
			s = i * 4;
	if (f->result == AUTH_FAIL && f->disposition != NULL)
		s += strcmp(f->disposition, "reject") == 0 ? 3 : strcmp(f->disposition, "quarantine") == 0;
	return s;
}

void
dmarc_evaluate(struct conn *c, struct auth_msg *m, int pct_roll)
{
	struct dmarc_fact one;

	memset(&m->dmarc, 0, sizeof(m->dmarc));
	if (m->from_fields != 1 || m->from_bad || m->from_ndomains == 0) {
		m->dmarc.result = AUTH_PERMERROR;
		m->dmarc.from_unusable = true;
		m->dmarc.reason = m->from_fields == 0  ? "no From header field"
				  : m->from_fields > 1 ? "several From header fields"
				  : m->from_bad	       ? "a From address without a usable domain"
						       : "From header field without an address";
		if (m->from_ndomains > 0)
			snprintf(m->dmarc.from_domain, sizeof(m->dmarc.from_domain), "%s",
				 m->from_domains[0]);
		return;
	}
	for (unsigned i = 0; i < m->from_ndomains; i++) {
		evaluate_one(c, m, m->from_domains[i], pct_roll, &one);
		if (i == 0 || strength(&one) > strength(&m->dmarc))
			m->dmarc = one;
	}
}
