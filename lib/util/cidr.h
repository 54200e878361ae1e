/*
 * cidr.h - IP addresses and CIDR blocks
 *
 * An address is kept in one form: IPv4 (4 bytes) or IPv6 (16 bytes).
 * IPv4-mapped IPv6 addresses (::ffff:192.0.2.1), as a dual-stack listener
 * reports IPv4 clients, are turned into IPv4 on parsing, and so are mapped
 * CIDR blocks with a prefix of 96 or more, so "192.0.2.0/24" matches a client
 * that arrived as ::ffff:192.0.2.7.  All functions are pure and reentrant.
 */
#ifndef DOORMAN_CIDR_H
#define DOORMAN_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#define IP_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

struct ipaddr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

struct cidr {
	struct ipaddr net;
	int prefix;
};

struct cidrlist {
	struct cidr *v;
	size_t n;
};

/* ip_parse - "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1".  0 or -1. */
int ip_parse(const char *s, struct ipaddr *out);
void ip_format(const struct ipaddr *ip, char *buf, size_t len);
bool ip_equal(const struct ipaddr *a, const struct ipaddr *b);

/* cidr_parse - "192.0.2.0/24", "2001:db8::/32", or one address.  Host bits
 * below the prefix must be zero.  0, or -1 with a reason in why. */
int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen);
bool cidr_match(const struct cidr *c, const struct ipaddr *ip);

/* cidrlist_match - index of the first block that holds ip, or -1. */
long cidrlist_match(const struct cidrlist *l, const struct ipaddr *ip);
void cidrlist_free(struct cidrlist *l);

#endif
