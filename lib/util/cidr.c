/*
 * cidr.c - IP addresses and CIDR blocks (see cidr.h)
 *
 * Lists are searched in order, first match wins, as Postfix's cidr tables
 * do.  Lists are short (trusted networks, a client access file): a linear
 * scan over a few hundred entries costs less than a DNS answer.  A larger
 * table wants a radix tree; none is needed yet.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
ip_parse(const char *s, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		if (memcmp(out->a, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

void
ip_format(const struct ipaddr *ip, char *buf, size_t len)
{
	if (ip->family != AF_INET && ip->family != AF_INET6) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (inet_ntop(ip->family, ip->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "unknown");
}

bool
ip_equal(const struct ipaddr *a, const struct ipaddr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->a, b->a, n) == 0;
}

int
cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen)
{
	char host[IP_TEXT_MAX + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	memset(out, 0, sizeof(*out));
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(why, whylen, "\"%s\" is not an address or CIDR block", s);
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (ip_parse(host, &out->net) < 0) {
		snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address", host);
		return -1;
	}
	/* a mapped address was made IPv4: its prefix counts from bit 96 */
	max = out->net.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->prefix = max;
		return 0;
	}
	{
		char *end;
		long p = strtol(slash + 1, &end, 10);
		bool mapped = out->net.family == AF_INET && strchr(host, ':') != NULL;

		if (*(slash + 1) == '\0' || *end != '\0' || p < 0 ||
		    p > (mapped ? 128 : max) || (mapped && p < 96)) {
			snprintf(why, whylen, "\"%s\": bad prefix length", s);
			return -1;
		}
		out->prefix = (int)(mapped ? p - 96 : p);
	}
	for (int bit = out->prefix; bit < max; bit++)
		if (out->net.a[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, whylen, "\"%s\": address has bits set beyond the /%d prefix", s,
				 out->prefix);
			return -1;
		}
	return 0;
}

bool
cidr_match(const struct cidr *c, const struct ipaddr *ip)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.family != ip->family)
		return false;
	if (memcmp(c->net.a, ip->a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->net.a[full] ^ ip->a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

long
cidrlist_match(const struct cidrlist *l, const struct ipaddr *ip)
{
	if (l == NULL)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], ip))
			return (long)i;
	return -1;
}

void
cidrlist_free(struct cidrlist *l)
{
	if (l == NULL)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
