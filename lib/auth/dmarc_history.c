/*
 * dmarc_history.c - the rows of DMARC-evaluated messages (see
 * dmarc_history.h)
 *
 * Decoding checks every word against the set the report schema allows
 * (RFC 7489 appendix C), so that a row edited by hand or cut short by a
 * full disk is refused here, never turned into an invalid report.
 */
#include "dmarc_history.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROW_VERSION "D1"
#define ROW_FIELDS 21 /* the version, 19 single fields, the DKIM list */

static bool
plain(unsigned char ch)
{
	return ch > ' ' && ch <= '~' && ch != '%' && ch != '/' && ch != ',';
}

/* s percent-encoded at *at in buf; false when it does not fit */
static bool
put(char *buf, size_t len, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*at + 4 > len)
			return false;
		if (plain(*p)) {
			buf[(*at)++] = (char)*p;
		} else {
			buf[(*at)++] = '%';
			buf[(*at)++] = hex[*p >> 4];
			buf[(*at)++] = hex[*p & 15];
		}
	}
	return true;
}

static bool
put_raw(char *buf, size_t len, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n + 1 > len)
		return false;
	memcpy(buf + *at, s, n);
	*at += n;
	return true;
}

int
dmarc_row_encode(const struct dmarc_row *r, char *buf, size_t len)
{
	char num[32], pct[8], adkim[2] = { r->adkim, 0 }, aspf[2] = { r->aspf, 0 };
	const char *f[ROW_FIELDS - 2];
	size_t at = 0;
	int k = 0;

	snprintf(num, sizeof(num), "%lld", r->time);
	snprintf(pct, sizeof(pct), "%d", r->pct);
	f[k++] = r->source_ip;
	f[k++] = r->header_from;
	f[k++] = r->envelope_from;
	f[k++] = r->policy_domain;
	f[k++] = r->p;
	f[k++] = r->sp;
	f[k++] = pct;
	f[k++] = adkim;
	f[k++] = aspf;
	f[k++] = r->fo;
	f[k++] = r->rua;
	f[k++] = r->disposition;
	f[k++] = r->dkim_eval;
	f[k++] = r->spf_eval;
	f[k++] = r->reason;
	f[k++] = r->spf_result;
	f[k++] = r->spf_domain;
	f[k++] = r->spf_scope;
	if (!put_raw(buf, len, &at, ROW_VERSION "\t") || !put_raw(buf, len, &at, num))
		return -1;
	for (int i = 0; i < k; i++)
		if (!put_raw(buf, len, &at, "\t") || !put(buf, len, &at, f[i]))
			return -1;
	if (!put_raw(buf, len, &at, "\t"))
		return -1;
	for (int i = 0; i < r->ndkim && i < (int)(sizeof(r->dkim) / sizeof(r->dkim[0])); i++) {
		if ((i > 0 && !put_raw(buf, len, &at, ",")) || !put(buf, len, &at, r->dkim[i].result) ||
		    !put_raw(buf, len, &at, "/") || !put(buf, len, &at, r->dkim[i].domain) ||
		    !put_raw(buf, len, &at, "/") || !put(buf, len, &at, r->dkim[i].selector))
			return -1;
	}
	if (!put_raw(buf, len, &at, "\n"))
		return -1;
	buf[at] = '\0';
	return (int)at;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* the encoded s[0..n) decoded into out (size len); false when it is
 * malformed or too long, or decodes to a NUL */
static bool
get(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
			if (c == 0)
				return false;
		} else if (!plain((unsigned char)c)) {
			return false;
		}
		if (o + 1 >= len)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

static bool
one_of(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return true;
	return false;
}

static const char *const dispositions[] = { "none", "quarantine", "reject", NULL };
static const char *const evals[] = { "pass", "fail", NULL };
static const char *const reasons[] = { "", "forwarded", "sampled_out", "trusted_forwarder",
				       "mailing_list", "local_policy", "other", NULL };
static const char *const spf_results[] = { "none", "neutral", "pass", "fail", "softfail",
					   "temperror", "permerror", NULL };
static const char *const dkim_results[] = { "none", "pass", "fail", "policy", "neutral",
					    "temperror", "permerror", NULL };
static const char *const scopes[] = { "mfrom", "helo", NULL };

static bool
number(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9' || strlen(s) > 18)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool
dkim_list(const char *s, size_t n, struct dmarc_row *r)
{
	r->ndkim = 0;
	while (n > 0) {
		const char *comma = memchr(s, ',', n);
		size_t item = comma ? (size_t)(comma - s) : n;
		const char *s1 = memchr(s, '/', item), *s2;
		struct dmarc_row_dkim *d;
		if (r->ndkim == (int)(sizeof(r->dkim) / sizeof(r->dkim[0])) || s1 == NULL)
			return false;
		s2 = memchr(s1 + 1, '/', item - (size_t)(s1 + 1 - s));
		if (s2 == NULL)
			return false;
		d = &r->dkim[r->ndkim++];
		if (!get(s, (size_t)(s1 - s), d->result, sizeof(d->result)) ||
		    !get(s1 + 1, (size_t)(s2 - s1 - 1), d->domain, sizeof(d->domain)) ||
		    !get(s2 + 1, item - (size_t)(s2 + 1 - s), d->selector, sizeof(d->selector)) ||
		    !one_of(d->result, dkim_results) || d->domain[0] == '\0')
			return false;
		if (comma == NULL)
			break;
		n -= item + 1;
		s = comma + 1;
		if (n == 0)
			return false; /* a trailing comma */
	}
	return true;
}

int
dmarc_row_decode(const char *line, size_t len, struct dmarc_row *r)
{
	const char *f[ROW_FIELDS];
	size_t n[ROW_FIELDS];
	char num[24], pct[8], adkim[4], aspf[4];
	unsigned char addr[16];
	long long v;
	int k = 0;

	memset(r, 0, sizeof(*r));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i == len || line[i] == '\t') {
			if (k == ROW_FIELDS)
				return -1;
			f[k] = line + start;
			n[k++] = i - start;
			start = i + 1;
		}
	}
	if (k != ROW_FIELDS || n[0] != 2 || memcmp(f[0], ROW_VERSION, 2) != 0)
		return -1;
#define GET(i, dst) get(f[i], n[i], dst, sizeof(dst))
	if (!GET(1, num) || !number(num, 0, 1LL << 40, &r->time) || !GET(2, r->source_ip) ||
	    !GET(3, r->header_from) || !GET(4, r->envelope_from) || !GET(5, r->policy_domain) ||
	    !GET(6, r->p) || !GET(7, r->sp) || !GET(8, pct) || !number(pct, 0, 100, &v) ||
	    !GET(9, adkim) || !GET(10, aspf) || !GET(11, r->fo) || !GET(12, r->rua) ||
	    !GET(13, r->disposition) || !GET(14, r->dkim_eval) || !GET(15, r->spf_eval) ||
	    !GET(16, r->reason) || !GET(17, r->spf_result) || !GET(18, r->spf_domain) ||
	    !GET(19, r->spf_scope))
		return -1;
#undef GET
	r->pct = (int)v;
	if ((strcmp(adkim, "r") != 0 && strcmp(adkim, "s") != 0) ||
	    (strcmp(aspf, "r") != 0 && strcmp(aspf, "s") != 0))
		return -1;
	r->adkim = adkim[0];
	r->aspf = aspf[0];
	if (inet_pton(strchr(r->source_ip, ':') ? AF_INET6 : AF_INET, r->source_ip, addr) != 1)
		return -1;
	if (r->header_from[0] == '\0' || r->policy_domain[0] == '\0' ||
	    !one_of(r->p, dispositions) || !one_of(r->sp, dispositions) ||
	    !one_of(r->disposition, dispositions) || !one_of(r->dkim_eval, evals) ||
	    !one_of(r->spf_eval, evals) || !one_of(r->reason, reasons) ||
	    !one_of(r->spf_result, spf_results) || !one_of(r->spf_scope, scopes))
		return -1;
	return dkim_list(f[20], n[20], r) ? 0 : -1;
}

int
dmarc_history_append(const char *path, const struct dmarc_row *r, char *why, size_t whylen)
{
	char buf[DMARC_ROW_MAX];
	int fd, len;
	ssize_t w;

	if ((len = dmarc_row_encode(r, buf, sizeof(buf))) < 0) {
		snprintf(why, whylen, "%s: row too long", path);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, buf, (size_t)len);
	if (w != len) {
		snprintf(why, whylen, "%s: %s", path, w < 0 ? strerror(errno) : "short write");
		/* a partial row is cut off at the next newline by the reader */
		if (w > 0)
			(void)!write(fd, "\n", 1);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
