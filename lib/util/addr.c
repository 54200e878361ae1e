/*
 * addr.c - envelope address parsing (see addr.h)
 */
#include "addr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
domain_syntax_ok(const char *d)
{
	size_t label = 0;

	if (*d == '\0')
		return false;
	for (; *d; d++) {
		unsigned char c = (unsigned char)*d;
		if (c == '.') {
			/* no empty label, none ending in '-' (RFC 1035 2.3.1) */
			if (label == 0 || d[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_'))
			return false;
		if (c == '-' && label == 0)
			return false; /* nor starting with one */
		if (++label > 63)
			return false;
	}
	return label > 0 && d[-1] != '-';
}

static void
add_local_char(struct addr *a, size_t *n, char c, bool *overflow)
{
	if (*n >= ADDR_LOCAL_MAX) {
		*overflow = true;
		return;
	}
	if (c == '%')
		a->routing |= ADDR_R_PERCENT;
	else if (c == '!')
		a->routing |= ADDR_R_BANG;
	else if (c == '@')
		a->routing |= ADDR_R_AT;
	a->local[(*n)++] = c;
}

static int
parse_domain(const char *d, size_t len, struct addr *a, const char **why)
{
	char buf[ADDR_DOMAIN_MAX + 2];

	if (len > 0 && d[len - 1] == '.' && d[0] != '[')
		len--; /* one trailing dot: "example.org." is example.org */
	if (len == 0) {
		*why = "empty domain";
		return -1;
	}
	if (len > ADDR_DOMAIN_MAX) {
		*why = "domain too long";
		return -1;
	}
	memcpy(buf, d, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		const char *ip = buf + 1;
		if (buf[len - 1] != ']') {
			*why = "unterminated address literal";
			return -1;
		}
		buf[len - 1] = '\0';
		if (strncasecmp(ip, "IPv6:", 5) == 0) {
			ip += 5;
			if (strchr(ip, ':') == NULL) {
				*why = "bad IPv6 address literal";
				return -1;
			}
		} else if (strchr(ip, ':') != NULL) {
			*why = "IPv6 address literal without the IPv6: tag";
			return -1;
		}
		if (ip_parse(ip, &a->ip) < 0) {
			*why = "bad address literal";
			return -1;
		}
		a->ip_literal = true;
		buf[len - 1] = ']';
	} else if (!domain_syntax_ok(buf)) {
		*why = "bad domain syntax";
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		a->domain[i] = (char)tolower((unsigned char)buf[i]);
	a->domain[len] = '\0';
	return 0;
}

/* Skip a source route "@a,@b:" at p; return the rest or NULL on bad syntax. */
static const char *
skip_source_route(const char *p, const char *end)
{
	while (p < end && *p == '@') {
		p++;
		while (p < end && *p != ',' && *p != ':') {
			if (*p == '"' || *p == '<' || *p == '>' || *p == ' ')
				return NULL;
			p++;
		}
		if (p >= end)
			return NULL;
		if (*p == ':')
			return p + 1;
		p++; /* ',' */
	}
	return NULL;
}

int
addr_parse(const char *raw, struct addr *a, const char **why)
{
	const char *p = raw, *end, *at = NULL;
	size_t n = 0;
	bool overflow = false;

	memset(a, 0, sizeof(*a));
	*why = NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > p && *p == '<') {
		if (end[-1] != '>') {
			*why = "unbalanced angle brackets";
			return -1;
		}
		p++;
		end--;
	} else if (end > p && end[-1] == '>') {
		*why = "unbalanced angle brackets";
		return -1;
	}
	if (p == end) {
		a->null = true;
		return 0;
	}
	if (*p == '@') {
		p = skip_source_route(p, end);
		if (p == NULL) {
			*why = "bad source route";
			return -1;
		}
		a->routing |= ADDR_R_SOURCE_ROUTE;
	}
	/* local part */
	if (*p == '"') {
		a->quoted = true;
		for (p++;; p++) {
			if (p >= end) {
				*why = "unterminated quoted string";
				return -1;
			}
			if (*p == '"')
				break;
			if (*p == '\\') {
				if (++p >= end) {
					*why = "unterminated quoted string";
					return -1;
				}
			}
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
				*why = "control character in address";
				return -1;
			}
			add_local_char(a, &n, *p, &overflow);
		}
		p++;
		if (p < end && *p != '@') {
			*why = "text after quoted local part";
			return -1;
		}
		at = p < end ? p : NULL;
	} else {
		/* the domain starts after the last unescaped '@' */
		for (const char *q = p; q < end; q++) {
			if (*q == '\\' && q + 1 < end)
				q++;
			else if (*q == '@')
				at = q;
		}
		for (const char *q = p; q < (at ? at : end); q++) {
			unsigned char c = (unsigned char)*q;
			if (c == '\\' && q + 1 < end)
				c = (unsigned char)*++q;
			else if (c == '"' || c == '<' || c == '>' || c == ' ' || c == ',' ||
				 c == ';' || c == ':' || c == '(' || c == ')' || c == '[' || c == ']') {
				*why = "bad character in local part";
				return -1;
			}
			if (c < 0x20 || c == 0x7f) {
				*why = "control character in address";
				return -1;
			}
			add_local_char(a, &n, (char)c, &overflow);
		}
	}
	a->local[n] = '\0';
	if (overflow) {
		*why = "local part too long";
		return -1;
	}
	if (n == 0 && !a->quoted) {
		*why = "empty local part";
		return -1;
	}
	if (at == NULL)
		return 0;
	return parse_domain(at + 1, (size_t)(end - at - 1), a, why);
}

const char *
addr_routing_text(unsigned mask)
{
	if (mask & ADDR_R_SOURCE_ROUTE)
		return "source_route";
	if (mask & ADDR_R_AT)
		return "at_in_local_part";
	if (mask & ADDR_R_PERCENT)
		return "percent_hack";
	if (mask & ADDR_R_BANG)
		return "bang_path";
	return "none";
}

void
addr_format(const struct addr *a, char *buf, size_t len)
{
	bool quote = a->quoted || a->local[0] == '\0' || (a->routing & ADDR_R_AT);

	if (a->null) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s%s%s%s%s", quote ? "\"" : "", a->local, quote ? "\"" : "",
		 a->domain[0] ? "@" : "", a->domain);
}
