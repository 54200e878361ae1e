/*
 * spfrec.c - RFC 7208 section 12's grammar for an SPF record, and the
 * text libspf2 is given (see spfrec.h)
 *
 * The grammar, as the RFC writes it (keywords without case):
 *   record     = "v=spf1" *( 1*SP ( directive / modifier ) ) *SP
 *   directive  = [ "+" / "-" / "?" / "~" ] mechanism
 *   mechanism  = all / include:DS / a[:DS][dual-cidr] / mx[:DS][dual-cidr]
 *                / ptr[:DS] / ip4:ip4-network[/0-32] / ip6:ip6-network[/0-128]
 *                / exists:DS
 *   modifier   = redirect=DS / exp=DS / name=macro-string
 *   name       = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
 *   DS (domain-spec) = macro-string ( "." toplabel [ "." ] / macro-expand )
 *   macro-expand = "%{" letter *DIGIT [ "r" ] *delimiter "}" / "%%" / "%_" / "%-"
 *   macro-literal = %x21-24 / %x26-7E
 * and in its prose: redirect= and exp= at most once each (section 6); the
 * c, r and t macro letters only in explanation text (7.2), never in a
 * domain spec; a DIGIT transformer is not zero (7.1); a toplabel is not
 * all digits.  A CIDR length is written without a leading zero.
 *
 * Where a term with a domain spec may end with a CIDR length (a, mx), the
 * length is taken from the right: a domain spec cannot end in "/digits"
 * (its last part is a toplabel or a macro), so the split is unambiguous.
 *
 * Threads: no state; every function is reentrant.
 */
#include "spfrec.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "xalloc.h"

/* the text for libspf2, grown as terms are appended */
struct out {
	char *buf;
	size_t len, cap;
	int family;                  /* the client's: AF_INET, AF_INET6 */
	unsigned char addr[16];      /* its address (4 or 16 bytes) */
	bool mapped;                 /* an IPv4-mapped IPv6 client */
	const char *client;          /* as text */
	bool done;                   /* a term that always matches was written */
	unsigned dns_terms;          /* terms written that ask DNS */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = xreallocarray(o->buf, o->cap, 1);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static bool
is_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* keyword k (lower case) is s[0..n) without case */
static bool
is_word(const char *s, size_t n, const char *k)
{
	return strlen(k) == n && strncasecmp(s, k, n) == 0;
}

/*
 * macro-string: s[0..n).  in_domain: the c, r and t letters are refused.
 * *end_macro: whether it ends with a macro-expand; *lit: where the literal
 * run at its end starts (n when it ends with a macro).
 */
static bool
macro_string(const char *s, size_t n, bool in_domain, bool *end_macro, size_t *lit)
{
	size_t i = 0;

	*end_macro = false;
	*lit = 0;
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		if (ch != '%') {
			if (ch < 0x21 || ch > 0x7e)
				return false;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		ch = (unsigned char)s[i + 1];
		if (ch == '%' || ch == '_' || ch == '-') {
			i += 2;
		} else if (ch == '{') {
			size_t k = i + 2, d0;
			bool nonzero = false;
			if (k >= n || strchr("slodiphcrtvSLODIPHCRTV", s[k]) == NULL || s[k] == '\0')
				return false;
			if (in_domain && strchr("crtCRT", s[k]) != NULL)
				return false;
			k++;
			for (d0 = k; k < n && is_digit((unsigned char)s[k]); k++)
				nonzero |= s[k] != '0';
			if (k > d0 && !nonzero)
				return false;
			if (k < n && (s[k] == 'r' || s[k] == 'R'))
				k++;
			while (k < n && strchr(".-+,/_=", s[k]) != NULL && s[k] != '\0')
				k++;
			if (k >= n || s[k] != '}')
				return false;
			i = k + 1;
		} else {
			return false;
		}
		*end_macro = i == n;
		*lit = i;
	}
	return true;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel(const char *s, size_t n)
{
	bool alpha = false;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (is_alpha(ch))
			alpha = true;
		else if (!is_digit(ch) && ch != '-')
			return false;
	}
	/* with a hyphen the second form allows digits only around it */
	return alpha || memchr(s, '-', n) != NULL;
}

static bool
domain_spec(const char *s, size_t n)
{
	bool end_macro;
	size_t lit, e, dot;

	if (n == 0 || !macro_string(s, n, true, &end_macro, &lit))
		return false;
	if (end_macro)
		return true;
	/* "." toplabel [ "." ], all of it literal */
	e = n;
	if (e > lit && s[e - 1] == '.')
		e--;
	for (dot = e; dot > lit && s[dot - 1] != '.'; dot--)
		;
	if (dot == lit || s[dot - 1] != '.')
		return false;
	return toplabel(s + dot, e - dot);
}

/* "0" / %x31-39 0*(max-1)DIGIT, at most limit; -1 if not */
static int
cidr_len(const char *s, size_t n, int limit)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= limit ? v : -1;
}

static bool
ip4_network(const char *s, size_t n)
{
	size_t i = 0;

	for (int q = 0; q < 4; q++) {
		size_t st = i;
		int v = 0;
		while (i < n && is_digit((unsigned char)s[i]) && i - st < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == st || (i - st > 1 && s[st] == '0') || v > 255)
			return false;
		if (q < 3 && (i >= n || s[i++] != '.'))
			return false;
	}
	return i == n;
}

static bool
ip6_network(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* do the first bits of net and addr agree? */
static bool
prefix_match(const unsigned char *net, const unsigned char *addr, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(net, addr, (size_t)whole) != 0)
		return false;
	return rest == 0 || ((net[whole] ^ addr[whole]) & (0xff << (8 - rest))) == 0;
}

/* the position of a trailing "/digits" in s[0..n), or n when there is none */
static size_t
trailing_cidr(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && is_digit((unsigned char)s[i - 1]))
		i--;
	return i < n && i > 0 && s[i - 1] == '/' ? i - 1 : n;
}

/*
 * One directive (q: its qualifier or 0, then m[0..n)); appends what
 * libspf2 is to compile.  false when the grammar refuses it.
 */
static bool
directive(char q, const char *m, size_t n, struct out *o, const char **why)
{
	const char *qs = q ? (const char[]){ q, '\0' } : "";
	size_t k = 0;

	while (k < n && (is_alpha((unsigned char)m[k]) || is_digit((unsigned char)m[k])))
		k++;
	if (is_word(m, k, "all")) {
		if (k != n)
			return *why = "all takes nothing", false;
		o->done = true;
	} else if (is_word(m, k, "include") || is_word(m, k, "exists")) {
		if (k == n || m[k] != ':' || !domain_spec(m + k + 1, n - k - 1))
			return *why = "include or exists without a valid domain spec", false;
	} else if (is_word(m, k, "ptr")) {
		if (k != n && (m[k] != ':' || !domain_spec(m + k + 1, n - k - 1)))
			return *why = "ptr with an invalid domain spec", false;
	} else if (is_word(m, k, "a") || is_word(m, k, "mx")) {
		size_t e = n, c4 = n, c6 = n, p = trailing_cidr(m + k, n - k) + k;
		int v4 = -1, v6 = -1;
		bool keep4, keep6;
		if (p < e && p > k && m[p - 1] == '/') {
			c6 = p - 1;
			if ((v6 = cidr_len(m + p + 1, e - p - 1, 128)) < 0)
				return *why = "invalid ip6 CIDR length", false;
			e = c6;
			p = trailing_cidr(m + k, e - k) + k;
			if (p < e && p > k && m[p - 1] == '/')
				return *why = "invalid dual CIDR length", false;
		}
		if (p < e) {
			c4 = p;
			if ((v4 = cidr_len(m + p + 1, e - p - 1, 32)) < 0)
				return *why = "invalid ip4 CIDR length", false;
			e = c4;
		}
		if (e != k && (m[k] != ':' || !domain_spec(m + k + 1, e - k - 1)))
			return *why = "a or mx with an invalid domain spec", false;
		if (v4 == 0 && o->family == AF_INET && is_word(m, k, "a")) {
			/* any A record of the name matches: what exists asks */
			puts_(o, qs);
			puts_(o, "exists:");
			if (e == k)
				puts_(o, "%{d}");
			else
				put(o, m + k + 1, e - k - 1);
			o->done |= ++o->dns_terms > 10;
			return true;
		}
		/* a /0 for the family the client is not of cannot change the result */
		keep4 = !(v4 == 0 && o->family == AF_INET6);
		keep6 = !(v6 == 0 && o->family == AF_INET);
		if (!keep4 || !keep6) {
			puts_(o, qs);
			put(o, m, e);
			if (v4 >= 0)
				put(o, keep4 ? m + c4 : "/32", keep4 ? (c6 < n ? c6 : n) - c4 : 3);
			if (v6 >= 0)
				put(o, keep6 ? m + c6 : "//128", keep6 ? n - c6 : 5);
			o->done |= ++o->dns_terms > 10;
			return true;
		}
	} else if (is_word(m, k, "ip4") || is_word(m, k, "ip6")) {
		bool six = m[2] == '6';
		const char *sl;
		size_t e;
		int v = -1;
		if (k == n || m[k] != ':')
			return *why = "ip4 or ip6 without a network", false;
		sl = memchr(m + k + 1, '/', n - k - 1);
		e = sl ? (size_t)(sl - m) : n;
		if (!(six ? ip6_network(m + k + 1, e - k - 1) : ip4_network(m + k + 1, e - k - 1)))
			return *why = "invalid ip4 or ip6 network", false;
		if (sl != NULL && (v = cidr_len(sl + 1, n - e - 1, six ? 128 : 32)) < 0)
			return *why = "invalid ip4 or ip6 CIDR length", false;
		/* The client is known: an ip4 or ip6 term either matches it or
		 * never will.  One that never will is left out, one that does
		 * becomes the client's own address and ends what libspf2 needs:
		 * no later term is reached.  So /0 is evaluated (libspf2 refuses
		 * it) and long address lists fit in what libspf2 holds. */
		if (six ? o->family == AF_INET6 : o->family == AF_INET) {
			unsigned char net[16];
			char buf[INET6_ADDRSTRLEN + 1];
			int bits = v >= 0 ? v : six ? 128 : 32;
			memcpy(buf, m + k + 1, e - k - 1);
			buf[e - k - 1] = '\0';
			if (inet_pton(six ? AF_INET6 : AF_INET, buf, net) != 1 ||
			    !prefix_match(net, o->addr, bits))
				return true;
			puts_(o, qs);
			puts_(o, six ? "ip6:" : "ip4:");
			puts_(o, o->client);
			o->done = true;
			return true;
		}
		if (six || !o->mapped)
			return true; /* the other family: no match */
		/* an IPv4-mapped client against an ip4 term: libspf2's call */
		if (v == 0) {
			puts_(o, qs);
			puts_(o, "ip4:0.0.0.0/1 ");
			puts_(o, qs);
			puts_(o, "ip4:128.0.0.0/1");
			return true;
		}
	} else {
		return *why = "unknown mechanism", false;
	}
	puts_(o, qs);
	put(o, m, n);
	/* 4.6.4: the 11th term that asks DNS ends the evaluation (permerror,
	 * doorman's count over the whole evaluation): libspf2 never needs
	 * what follows it */
	if (!is_word(m, k, "all") && !is_word(m, k, "ip4") && !is_word(m, k, "ip6") &&
	    ++o->dns_terms > 10)
		o->done = true;
	return true;
}

int
spfrec_prepare(const char *rec, size_t len, const char *client, char **out, const char **why)
{
	struct out o = { .client = client };
	unsigned redirects = 0, exps = 0;
	const char *redirect = NULL;
	size_t i = 6, redirect_len = 0, mark = 6;
	bool done;

	*out = NULL;
	*why = NULL;
	if (inet_pton(AF_INET, client, o.addr) == 1) {
		o.family = AF_INET;
	} else if (inet_pton(AF_INET6, client, o.addr) == 1) {
		o.family = AF_INET6;
		o.mapped = IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)o.addr);
	} else {
		*why = "no client address";
		return -1;
	}
	if (len < 6 || strncasecmp(rec, "v=spf1", 6) != 0 || (len > 6 && rec[6] != ' ')) {
		*why = "not an SPF record";
		return -1;
	}
	put(&o, "v=spf1", 6);
	while (i < len) {
		size_t st, n, k = 0;
		const char *t;
		while (i < len && rec[i] == ' ')
			i++;
		if (i == len)
			break;
		for (st = i; i < len && rec[i] != ' '; i++) {
			unsigned char ch = (unsigned char)rec[i];
			if (ch < 0x21 || ch > 0x7e) {
				*why = "a byte outside printable ASCII";
				goto refuse;
			}
		}
		t = rec + st;
		n = i - st;
		/* a modifier: name "=" */
		if (is_alpha((unsigned char)t[0])) {
			for (k = 1; k < n && (is_alpha((unsigned char)t[k]) || is_digit((unsigned char)t[k]) ||
					      t[k] == '-' || t[k] == '_' || t[k] == '.');
			     k++)
				;
		}
		if (k > 0 && k < n && t[k] == '=') {
			bool em;
			size_t lit;
			if (is_word(t, k, "redirect") || is_word(t, k, "exp")) {
				if ((t[0] == 'r' || t[0] == 'R' ? ++redirects : ++exps) > 1) {
					*why = "redirect= or exp= twice";
					goto refuse;
				}
				if (!domain_spec(t + k + 1, n - k - 1)) {
					*why = "redirect= or exp= with an invalid domain spec";
					goto refuse;
				}
				/* 6.1: redirect= is followed after every mechanism, wherever
				 * it is written; libspf2 follows it where it stands */
				if (t[0] == 'r' || t[0] == 'R') {
					redirect = t;
					redirect_len = n;
				} else {
					put(&o, " ", 1);
					put(&o, t, n);
				}
			} else if (!macro_string(t + k + 1, n - k - 1, false, &em, &lit)) {
				*why = "modifier with an invalid macro string";
				goto refuse;
			}
			/* other modifiers are ignored (6): libspf2 is not given them,
			 * it refuses some names the grammar allows */
			mark = o.len;
			continue;
		}
		/* after a term that always matches, the rest is checked, not written */
		done = o.done;
		if (!done)
			put(&o, " ", 1);
		if (strchr("+-?~", t[0]) != NULL) {
			if (n == 1) {
				*why = "a qualifier alone";
				goto refuse;
			}
			if (!directive(t[0], t + 1, n - 1, &o, why))
				goto refuse;
		} else if (!directive(0, t, n, &o, why)) {
			goto refuse;
		}
		if (done)
			o.len = mark, o.buf[mark] = '\0';
		else if (o.len > 0 && o.buf[o.len - 1] == ' ')
			o.buf[--o.len] = '\0'; /* a term left out */
		mark = o.len;
	}
	if (redirect != NULL) {
		put(&o, " ", 1);
		put(&o, redirect, redirect_len);
	}
	*out = o.buf;
	return 0;
refuse:
	free(o.buf);
	return -1;
}

int
spfrec_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '\\')
			return 0; /* the resolver would read an escape */
		if (name[i] != '.') {
			if (++label > 63)
				return 0;
			continue;
		}
		if (label == 0)
			return 0;
		label = 0;
	}
	return label > 0;
}
