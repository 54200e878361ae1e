/*
 * dmarc_report.c - the DMARC aggregate report's XML and gzip (see
 * dmarc_report.h)
 *
 * Records are found by sorting the rows' keys: a row's encoding with its
 * time left out (dmarc_row_encode), so two rows are one record exactly
 * when every field the report shows is the same.  Text from mail (header
 * and envelope domains, selectors) is escaped for XML, and a byte XML 1.0
 * cannot carry (control characters, and anything outside ASCII, which
 * would need to be valid UTF-8) is written '?'.
 */
#include "dmarc_report.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "xalloc.h"

struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* text escaped for XML content */
static void
buf_text(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&':
			buf_str(b, "&amp;");
			break;
		case '<':
			buf_str(b, "&lt;");
			break;
		case '>':
			buf_str(b, "&gt;");
			break;
		default: {
			char c = *p < ' ' || *p > '~' ? '?' : (char)*p;
			buf_add(b, &c, 1);
		}
		}
	}
}

/* <name>text</name> at an indent */
static void
elem(struct buf *b, int indent, const char *name, const char *text)
{
	static const char spaces[] = "            ";

	buf_add(b, spaces, (size_t)indent * 2 < sizeof(spaces) - 1 ? (size_t)indent * 2 : sizeof(spaces) - 1);
	buf_str(b, "<");
	buf_str(b, name);
	buf_str(b, ">");
	buf_text(b, text);
	buf_str(b, "</");
	buf_str(b, name);
	buf_str(b, ">\n");
}

static void
line(struct buf *b, const char *s)
{
	buf_str(b, s);
	buf_str(b, "\n");
}

/* the schema's IPAddress admits dotted quads and eight full groups only */
static void
ip_for_schema(const char *ip, char *out, size_t len)
{
	unsigned char a[16];

	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, a) != 1) {
		snprintf(out, len, "%s", ip);
		return;
	}
	snprintf(out, len, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3],
		 a[4] << 8 | a[5], a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
		 a[12] << 8 | a[13], a[14] << 8 | a[15]);
}

struct keyed {
	char *key;
	const struct dmarc_row *row;
};

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static void
record(struct buf *b, const struct dmarc_row *r, size_t count)
{
	char ip[64], num[32];

	ip_for_schema(r->source_ip, ip, sizeof(ip));
	snprintf(num, sizeof(num), "%zu", count);
	line(b, "  <record>");
	line(b, "    <row>");
	elem(b, 3, "source_ip", ip);
	elem(b, 3, "count", num);
	line(b, "      <policy_evaluated>");
	elem(b, 4, "disposition", r->disposition);
	elem(b, 4, "dkim", r->dkim_eval);
	elem(b, 4, "spf", r->spf_eval);
	if (r->reason[0] != '\0') {
		line(b, "        <reason>");
		elem(b, 5, "type", r->reason);
		line(b, "        </reason>");
	}
	line(b, "      </policy_evaluated>");
	line(b, "    </row>");
	line(b, "    <identifiers>");
	elem(b, 3, "envelope_from", r->envelope_from);
	elem(b, 3, "header_from", r->header_from);
	line(b, "    </identifiers>");
	line(b, "    <auth_results>");
	for (int i = 0; i < r->ndkim; i++) {
		line(b, "      <dkim>");
		elem(b, 4, "domain", r->dkim[i].domain);
		if (r->dkim[i].selector[0] != '\0')
			elem(b, 4, "selector", r->dkim[i].selector);
		elem(b, 4, "result", r->dkim[i].result);
		line(b, "      </dkim>");
	}
	line(b, "      <spf>");
	elem(b, 4, "domain", r->spf_domain);
	elem(b, 4, "scope", r->spf_scope);
	elem(b, 4, "result", r->spf_result);
	line(b, "      </spf>");
	line(b, "    </auth_results>");
	line(b, "  </record>");
}

char *
dmarc_report_xml(const struct dmarc_report_meta *m, const struct dmarc_row *rows, size_t n,
		 size_t *len)
{
	const struct dmarc_row *pub = &rows[n - 1];
	struct buf b = { 0 };
	struct keyed *k = xcalloc(n, sizeof(*k));
	char num[32], enc[DMARC_ROW_MAX];

	for (size_t i = 0; i < n; i++) {
		struct dmarc_row r = rows[i];
		r.time = 0;
		if (dmarc_row_encode(&r, enc, sizeof(enc)) < 0)
			enc[0] = '\0'; /* cannot happen: the row was decoded from one */
		k[i].key = xstrdup(enc);
		k[i].row = &rows[i];
	}
	qsort(k, n, sizeof(*k), by_key);

	line(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
	line(&b, "<feedback xmlns=\"http://dmarc.org/dmarc-xml/0.1\">");
	elem(&b, 1, "version", "1.0");
	line(&b, "  <report_metadata>");
	elem(&b, 2, "org_name", m->org_name);
	elem(&b, 2, "email", m->email);
	if (m->contact != NULL && *m->contact != '\0')
		elem(&b, 2, "extra_contact_info", m->contact);
	elem(&b, 2, "report_id", m->report_id);
	line(&b, "    <date_range>");
	snprintf(num, sizeof(num), "%lld", m->begin);
	elem(&b, 3, "begin", num);
	snprintf(num, sizeof(num), "%lld", m->end);
	elem(&b, 3, "end", num);
	line(&b, "    </date_range>");
	line(&b, "  </report_metadata>");
	line(&b, "  <policy_published>");
	elem(&b, 2, "domain", pub->policy_domain);
	elem(&b, 2, "adkim", pub->adkim == 's' ? "s" : "r");
	elem(&b, 2, "aspf", pub->aspf == 's' ? "s" : "r");
	elem(&b, 2, "p", pub->p);
	elem(&b, 2, "sp", pub->sp);
	snprintf(num, sizeof(num), "%d", pub->pct);
	elem(&b, 2, "pct", num);
	elem(&b, 2, "fo", pub->fo);
	line(&b, "  </policy_published>");
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(k[j].key, k[i].key) == 0)
			j++;
		record(&b, k[i].row, j - i);
		i = j;
	}
	line(&b, "</feedback>");
	for (size_t i = 0; i < n; i++)
		free(k[i].key);
	free(k);
	*len = b.len;
	return b.s;
}

unsigned char *
dmarc_report_gzip(const char *data, size_t len, const char *name, size_t *outlen)
{
	z_stream z;
	gz_header h;
	unsigned char *out;
	uLong cap;

	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	h.name = (Bytef *)(uintptr_t)name;
	h.os = 3; /* Unix */
	if (deflateSetHeader(&z, &h) != Z_OK) {
		deflateEnd(&z);
		return NULL;
	}
	cap = deflateBound(&z, (uLong)len) + strlen(name) + 64;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

/* RFC 7489 6.2: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ], powers of two */
static bool
size_limit(const char *s, unsigned long long *limit)
{
	unsigned long long v = 0;
	int digits = 0, shift = 0;

	for (; isdigit((unsigned char)*s) && digits < 15; s++, digits++)
		v = v * 10 + (unsigned long long)(*s - '0');
	if (digits == 0)
		return false;
	switch (tolower((unsigned char)*s)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return false;
	}
	if (*s != '\0' && s[1] != '\0')
		return false;
	*limit = v << shift;
	return true;
}

int
dmarc_rua_parse(const char *rua, struct dmarc_rua *out, int max)
{
	int n = 0;

	for (const char *p = rua; *p && n < max;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char uri[320], *bang, *at;
		struct dmarc_rua *r = &out[n];

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len < sizeof(uri) && len > 7 && strncasecmp(p, "mailto:", 7) == 0) {
			memcpy(uri, p + 7, len - 7);
			uri[len - 7] = '\0';
			r->limit = 0;
			bang = strchr(uri, '!');
			if (bang != NULL)
				*bang = '\0';
			at = strrchr(uri, '@');
			/* a plain address only: no hfields, no percent-encoding, no
			 * character a mail header or sendmail's argument list would
			 * read otherwise */
			if ((bang == NULL || size_limit(bang + 1, &r->limit)) && at != NULL &&
			    at != uri && at[1] != '\0' && strpbrk(uri, "?%<>\"(),;:\\[] \t") == NULL &&
			    uri[0] != '-' && strlen(at + 1) < sizeof(r->domain)) {
				snprintf(r->addr, sizeof(r->addr), "%s", uri);
				for (size_t i = 0; at[1 + i]; i++)
					r->domain[i] = (char)tolower((unsigned char)at[1 + i]);
				r->domain[strlen(at + 1)] = '\0';
				n++;
			}
		}
		p = comma ? comma + 1 : p + len;
		if (comma == NULL)
			break;
	}
	return n;
}
