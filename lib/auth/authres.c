/*
 * authres.c - the Authentication-Results header field (RFC 8601)
 *
 * Reading: authres_claims() finds the authserv-id of an incoming field, so
 * the ones that claim ours can be removed before ours is added (RFC 8601
 * 5: a forged field with our id would be believed downstream).
 *
 * Writing: authres_build() gives one field with every method that has a
 * result: iprev, spf (mailfrom, helo), each DKIM signature, dmarc.  Every
 * property value is written only if it is a valid RFC 8601 pvalue (a
 * token, a domain or local-part@domain), else as a quoted string or left
 * out; comments are made of printable characters without parentheses or
 * backslashes.  So whatever a client sent, the field parses.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session.h"
#include "xalloc.h"

/* CFWS: white space, line breaks and (nested, escaped) comments */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		for (int depth = 0; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

bool
authres_claims(const char *value, const char *id)
{
	char tok[256];
	size_t n = 0;
	const char *p = skip_cfws(value);

	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < sizeof(tok); p++) {
			if (*p == '\\' && p[1])
				p++;
			tok[n++] = *p;
		}
	} else {
		for (; *p && !strchr(" \t\r\n;(", *p) && n + 1 < sizeof(tok); p++)
			tok[n++] = *p;
	}
	tok[n] = '\0';
	/* "mx.example.org." claims "mx.example.org" too */
	if (n > 1 && tok[n - 1] == '.')
		tok[n - 1] = '\0';
	return n > 0 && strcasecmp(tok, id) == 0;
}

struct buf {
	char *s;
	size_t len, cap;
};

static void
put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static bool
atext(int ch)
{
	return isalnum(ch) || strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

static bool
dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(atext((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return false;
	return true;
}

/* " ptype.prop=value": value as it is when it is a valid pvalue, else the
 * domain part alone when that is valid, else nothing. */
static void
put_prop(struct buf *b, const char *prop, const char *value)
{
	const char *at = strrchr(value, '@');
	const char *domain = at ? at + 1 : value;

	if (*domain == '\0' || !domain_syntax_ok(domain))
		return;
	put(b, " ");
	put(b, prop);
	put(b, "=");
	if (at != NULL && dot_atom(value, (size_t)(at - value)))
		put(b, value);
	else
		put(b, domain);
}

/* " (text)": printable, no parentheses or backslashes, at most 100 characters */
static void
put_comment(struct buf *b, const char *text)
{
	char c[104];
	size_t n = 0;

	if (text == NULL || *text == '\0')
		return;
	for (; *text && n < 100; text++) {
		unsigned char ch = (unsigned char)*text;
		c[n++] = (ch >= 0x20 && ch < 0x7f && ch != '(' && ch != ')' && ch != '\\') ? (char)ch : ' ';
	}
	c[n] = '\0';
	put(b, " (");
	put(b, c);
	put(b, ")");
}

/* a token (RFC 2045) value, or nothing */
static void
put_token(struct buf *b, const char *prop, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *p))
			return;
	put(b, " ");
	put(b, prop);
	put(b, "=");
	put(b, value);
}

/* a value (RFC 8601 pvalue): a token as it is, else a quoted string
 * (header.b holds base64, whose '/' and '=' a token cannot); a value with
 * a control or 8-bit character is left out */
static void
put_value(struct buf *b, const char *prop, const char *value)
{
	bool token = true;
	char q[2 * DKIM_B_PREFIX_MAX + 4];
	size_t n = 0;

	if (value == NULL || *value == '\0')
		return;
	for (const char *p = value; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < ' ' || ch >= 0x7f)
			return;
		if (ch == ' ' || strchr("()<>@,;:\\\"/[]?=", ch))
			token = false;
	}
	if (token) {
		put_token(b, prop, value);
		return;
	}
	q[n++] = '"';
	for (const char *p = value; *p && n + 4 < sizeof(q); p++) {
		if (*p == '"' || *p == '\\')
			q[n++] = '\\';
		q[n++] = *p;
	}
	q[n++] = '"';
	q[n] = '\0';
	put(b, " ");
	put(b, prop);
	put(b, "=");
	put(b, q);
}

static void
method(struct buf *b, bool *first, const char *name, enum auth_result r)
{
	put(b, *first ? ";\n\t" : ";\n\t");
	*first = false;
	put(b, name);
	put(b, "=");
	put(b, auth_result_name(r));
}

static const char *
iprev_result(enum iprev i)
{
	switch (i) {
	case IPREV_PASS:
		return "pass";
	case IPREV_FAIL:
		return "fail";
	case IPREV_TEMPERROR:
		return "temperror";
	default:
		return NULL;
	}
}

char *
authres_build(const struct conn *c, const struct auth_msg *m, const char *id)
{
	struct buf b = { 0 };
	bool first = true;
	const char *ir = iprev_result(c->iprev);

	put(&b, id);
	if (ir != NULL && c->have_ip) {
		put(&b, ";\n\tiprev=");
		put(&b, ir);
		first = false;
		put(&b, " policy.iprev=");
		put(&b, c->addr_text);
		if (c->iprev == IPREV_PASS)
			put_comment(&b, c->ptr_name);
	}
	if (m->spf_mailfrom.result != AUTH_UNSET) {
		method(&b, &first, "spf", m->spf_mailfrom.result);
		if (c->msg.spf_origin[0] != '\0') {
			/* evaluated for the origin a forwarder's Received field named */
			char via[200];
			snprintf(via, sizeof(via), "origin %s via forwarder %s, %s", c->msg.spf_origin,
				 c->addr_text, forwarder_kind_name(c->fwd));
			put_comment(&b, via);
		}
		put_prop(&b, "smtp.mailfrom", m->spf_mailfrom.identity);
	}
	if (m->spf_helo.result != AUTH_UNSET) {
		method(&b, &first, "spf", m->spf_helo.result);
		put_prop(&b, "smtp.helo", m->spf_helo.identity);
	}
	for (int i = 0; i < m->nsigs && i < DKIM_SIGS_KEPT; i++) {
		const struct dkim_sig_fact *s = &m->sigs[i];
		if (s->result == AUTH_UNSET)
			continue;
		method(&b, &first, "dkim", s->result);
		put_comment(&b, s->result == AUTH_PASS ? NULL : s->reason);
		put_prop(&b, "header.d", s->d);
		put_token(&b, "header.s", s->s); /* a selector is a token or invalid */
		put_value(&b, "header.a", s->a);
		put_value(&b, "header.b", s->b);
	}
	if (m->dmarc.result != AUTH_UNSET) {
		char why[64];
		method(&b, &first, "dmarc", m->dmarc.result);
		if (m->dmarc.policy != NULL) {
			snprintf(why, sizeof(why), "p=%s dis=%s%s%s", m->dmarc.policy,
				 m->dmarc.disposition ? m->dmarc.disposition : "none",
				 m->dmarc.override ? "; override=" : "",
				 m->dmarc.override ? m->dmarc.override : "");
			put_comment(&b, why);
		} else {
			put_comment(&b, m->dmarc.reason);
		}
		put_prop(&b, "header.from", m->dmarc.from_domain);
		put_token(&b, "policy.dmarc", m->dmarc.policy);
	}
	if (first) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
