/*
 * dnsbl.h - DNS list zones: "zone[=filter][*weight]", as postscreen writes them
 *
 *   zen.example=127.0.0.[2..11]*3    listed when an A record is in the range
 *   bl.example=127.0.0.0/24*2        ... or in the block
 *   wl.example*-5                    an allowlist: negative weight
 * Without a filter, any 127.0.0.0/8 address counts but 127.255.255.0/24,
 * which lists use for "query refused" and other errors.  The weight
 * defaults to 1.  Pure and reentrant.
 */
#ifndef DOORMAN_DNSBL_H
#define DOORMAN_DNSBL_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

struct bl_zone {
	char *zone;            /* lower case, no trailing dot */
	bool filtered;
	unsigned char lo[4], hi[4];
	int weight;
};

struct zonelist {
	struct bl_zone *v;
	size_t n;
};

/* bl_zone_parse - 0, or -1 with a reason in why. */
int bl_zone_parse(const char *s, struct bl_zone *out, char *why, size_t whylen);
/* bl_zone_accepts - does an answer address ("127.0.0.2") count as a listing? */
bool bl_zone_accepts(const struct bl_zone *z, const char *answer);
void zonelist_free(struct zonelist *l);

/* bl_query_ip - the name to ask zone about ip: reversed octets or nibbles. */
void bl_query_ip(const struct ipaddr *ip, const char *zone, char *buf, size_t len);
/* bl_query_ptr - the PTR name of ip (in-addr.arpa / ip6.arpa). */
void bl_query_ptr(const struct ipaddr *ip, char *buf, size_t len);

#endif
