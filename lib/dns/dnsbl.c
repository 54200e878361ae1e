/*
 * dnsbl.c - DNS list zones (see dnsbl.h)
 */
#include "dnsbl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "xalloc.h"

/* one octet of a filter: "N" or "[A..B]" */
static const char *
parse_octet(const char *p, unsigned char *lo, unsigned char *hi)
{
	char *end;
	long a, b;

	if (*p == '[') {
		a = strtol(p + 1, &end, 10);
		if (end == p + 1 || strncmp(end, "..", 2) != 0)
			return NULL;
		p = end + 2;
		b = strtol(p, &end, 10);
		if (end == p || *end != ']' || a < 0 || b > 255 || a > b)
			return NULL;
		*lo = (unsigned char)a;
		*hi = (unsigned char)b;
		return end + 1;
	}
	a = strtol(p, &end, 10);
	if (end == p || a < 0 || a > 255)
		return NULL;
	*lo = *hi = (unsigned char)a;
	return end;
}

static int
parse_filter(const char *f, struct bl_zone *z)
{
	const char *slash = strchr(f, '/');

	if (slash != NULL) {
		struct cidr c;
		char why[128];
		if (cidr_parse(f, &c, why, sizeof(why)) < 0 || c.net.family != AF_INET)
			return -1;
		for (int i = 0; i < 4; i++) {
			int bits = c.prefix - 8 * i;
			unsigned char mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
			z->lo[i] = c.net.a[i] & mask;
			z->hi[i] = (unsigned char)(c.net.a[i] | (unsigned char)~mask);
		}
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		if ((f = parse_octet(f, &z->lo[i], &z->hi[i])) == NULL)
			return -1;
		if (i < 3 && *f++ != '.')
			return -1;
	}
	return *f == '\0' ? 0 : -1;
}

int
bl_zone_parse(const char *s, struct bl_zone *out, char *why, size_t whylen)
{
	char *copy = xstrdup(s), *star, *eq, *z;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->weight = 1;
	if ((star = strrchr(copy, '*')) != NULL) {
		char *end;
		long w;
		*star = '\0';
		w = strtol(star + 1, &end, 10);
		if (end == star + 1 || *end != '\0' || w < -1000 || w > 1000 || w == 0) {
			snprintf(why, whylen, "\"%s\": the weight must be a non-zero integer", s);
			goto fail;
		}
		out->weight = (int)w;
	}
	if ((eq = strchr(copy, '=')) != NULL) {
		*eq = '\0';
		if (parse_filter(eq + 1, out) < 0) {
			snprintf(why, whylen,
				 "\"%s\": the filter must be an address, octet ranges like 127.0.0.[2..11], or a CIDR block",
				 s);
			goto fail;
		}
		out->filtered = true;
	}
	z = copy;
	len = strlen(z);
	if (len > 0 && z[len - 1] == '.')
		z[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		z[i] = (char)tolower((unsigned char)z[i]);
	if (!domain_syntax_ok(z) || len > 200) {
		snprintf(why, whylen, "\"%s\": \"%s\" is not a zone name", s, z);
		goto fail;
	}
	out->zone = xstrdup(z);
	free(copy);
	return 0;
fail:
	free(copy);
	return -1;
}

bool
bl_zone_accepts(const struct bl_zone *z, const char *answer)
{
	unsigned char a[4];

	if (inet_pton(AF_INET, answer, a) != 1)
		return false;
	if (!z->filtered)
		return a[0] == 127 && !(a[1] == 255 && a[2] == 255);
	for (int i = 0; i < 4; i++)
		if (a[i] < z->lo[i] || a[i] > z->hi[i])
			return false;
	return true;
}

void
zonelist_free(struct zonelist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].zone);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
reversed(const struct ipaddr *ip, const char *suffix, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (ip->family == AF_INET) {
		snprintf(buf, len, "%u.%u.%u.%u.%s", ip->a[3], ip->a[2], ip->a[1], ip->a[0], suffix);
		return;
	}
	for (int i = 15; i >= 0 && used + 4 < len; i--)
		used += (size_t)snprintf(buf + used, len - used, "%x.%x.", ip->a[i] & 0xf, ip->a[i] >> 4);
	snprintf(buf + used, len - used, "%s", suffix);
}

void
bl_query_ip(const struct ipaddr *ip, const char *zone, char *buf, size_t len)
{
	reversed(ip, zone, buf, len);
}

void
bl_query_ptr(const struct ipaddr *ip, char *buf, size_t len)
{
	reversed(ip, ip->family == AF_INET ? "in-addr.arpa" : "ip6.arpa", buf, len);
}
