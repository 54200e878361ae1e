/*
 * received.c - the from-part and by-part of a Received field (received.h)
 */
#include "received.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct cur {
	const char *p, *end;
};

static bool
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void
skip_ws(struct cur *c)
{
	while (c->p < c->end && is_ws(*c->p))
		c->p++;
}

/* A word: up to white space, '(', ')' or ';'. */
static size_t
word(struct cur *c, const char **start)
{
	*start = c->p;
	while (c->p < c->end && !is_ws(*c->p) && *c->p != '(' && *c->p != ')' && *c->p != ';')
		c->p++;
	return (size_t)(c->p - *start);
}

/* The keyword kw (case-insensitive), then white space. */
static bool
keyword(struct cur *c, const char *kw)
{
	size_t n = strlen(kw);

	if ((size_t)(c->end - c->p) <= n || strncasecmp(c->p, kw, n) != 0 || !is_ws(c->p[n]))
		return false;
	c->p += n;
	skip_ws(c);
	return true;
}

/* A name into dst: lowercased, a trailing dot dropped; "" when it does not fit. */
static void
copy_name(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n >= dstlen)
		n = 0;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = '\0';
}

/* An address literal at s ("[192.0.2.1]", "[IPv6:2001:db8::1]"); 0 or -1. */
static int
literal(const char *s, size_t n, struct ipaddr *ip)
{
	char buf[64];
	const char *close;

	if (n < 3 || s[0] != '[' || (close = memchr(s, ']', n)) == NULL)
		return -1;
	s++;
	if (close - s > 5 && strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	if ((size_t)(close - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(close - s));
	buf[close - s] = '\0';
	return ip_parse(buf, ip);
}

/* A bare address (Microsoft writes "(2001:db8::1)"); 0 or -1. */
static int
bare(const char *s, size_t n, struct ipaddr *ip)
{
	char buf[64];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return ip_parse(buf, ip);
}

/* The comment at c->p ('('), nesting and quoted pairs included: its inside
 * in [*in, *in + *inlen), c->p past its ')'.  -1 when it never closes. */
static int
comment(struct cur *c, const char **in, size_t *inlen)
{
	int depth = 0;

	*in = c->p + 1;
	for (; c->p < c->end; c->p++) {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		else if (*c->p == '(')
			depth++;
		else if (*c->p == ')' && --depth == 0) {
			*inlen = (size_t)(c->p - *in);
			c->p++;
			return 0;
		}
	}
	return -1;
}

/* TCP-info: the connection's name and address, and Exim's helo=, from
 * the inside of the from-part's comment.  Returns whether an address was
 * found. */
static bool
tcp_info(const char *s, size_t n, struct received_from *out)
{
	struct cur c = {s, s + n};
	bool have = false, first = true;

	while (c.p < c.end) {
		const char *w;
		size_t wn;

		while (c.p < c.end && (is_ws(*c.p) || *c.p == '(' || *c.p == ')'))
			c.p++;
		if ((wn = word(&c, &w)) == 0) {
			if (c.p < c.end)
				c.p++; /* a ';' */
			continue;
		}
		if (!have && (literal(w, wn, &out->addr) == 0 || bare(w, wn, &out->addr) == 0))
			have = true;
		else if (wn > 5 && strncasecmp(w, "helo=", 5) == 0)
			copy_name(out->helo, sizeof(out->helo), w + 5, wn - 5);
		else if (first && memchr(w, '=', wn) == NULL &&
		         !(wn == 7 && strncasecmp(w, "unknown", 7) == 0))
			copy_name(out->name, sizeof(out->name), w, wn);
		first = false;
	}
	return have;
}

int
received_parse(const char *value, size_t len, struct received_from *out)
{
	struct cur c = {value, value + len};
	const char *w, *in;
	size_t wn, inlen;
	bool have = false;

	memset(out, 0, sizeof(*out));
	skip_ws(&c);
	if (!keyword(&c, "from") || (wn = word(&c, &w)) == 0)
		return -1;
	copy_name(out->helo, sizeof(out->helo), w, wn);
	skip_ws(&c);
	if (c.p < c.end && *c.p == '(') {
		if (comment(&c, &in, &inlen) < 0)
			return -1;
		char helo[sizeof(out->helo)];
		memcpy(helo, out->helo, sizeof(helo));
		out->helo[0] = '\0';
		have = tcp_info(in, inlen, out);
		if (out->helo[0] != '\0') {
			/* Exim: the from-domain is the verified name, helo= the HELO */
			if (out->name[0] == '\0' && helo[0] != '[')
				memcpy(out->name, helo, sizeof(out->name));
		} else
			memcpy(out->helo, helo, sizeof(out->helo));
	}
	if (!have && literal(w, wn, &out->addr) == 0)
		have = true;
	if (!have)
		return -1;
	/* the by-part, after any further comments */
	for (;;) {
		skip_ws(&c);
		if (c.p >= c.end || *c.p != '(')
			break;
		if (comment(&c, &in, &inlen) < 0)
			break;
	}
	if (keyword(&c, "by") && (wn = word(&c, &w)) > 0)
		copy_name(out->by, sizeof(out->by), w, wn);
	return 0;
}
