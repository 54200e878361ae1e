/*
 * addr.h - parsing of envelope addresses as an MTA hands them to a milter
 *
 * addr_parse() takes the raw MAIL FROM / RCPT TO argument ("<u@d>", with or
 * without the brackets), resolves it the way Postfix does with
 * resolve_dequoted_address = yes (the quotes of a quoted local part are
 * removed before the address is looked at), and records every routing
 * device it found instead of acting on it:
 *   - a source route "<@a,@b:u@c>" (RFC 5321 4.1.2 says to ignore it; a
 *     client that sends one is trying something),
 *   - '%' (percent hack), '!' (UUCP bang path) or '@' in the local part,
 *     quoted, backslash-escaped or not ("u@remote@local" is a double '@').
 * The domain is lower-cased and loses one trailing dot; an IP literal
 * "[192.0.2.1]" / "[IPv6:2001:db8::1]" is parsed.  Whether any of this is
 * allowed is decided by the relay check, not here.
 *
 * Limits: local part 256 and domain 255 octets (RFC 5321 says 64 and 255;
 * real mail has longer local parts); longer input is a syntax error.
 * Pure and reentrant.
 */
#ifndef DOORMAN_ADDR_H
#define DOORMAN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

#define ADDR_LOCAL_MAX 256
#define ADDR_DOMAIN_MAX 255

/* routing devices found in an address */
#define ADDR_R_SOURCE_ROUTE 0x01u /* <@a,@b:u@c> */
#define ADDR_R_PERCENT 0x02u      /* u%remote@local */
#define ADDR_R_BANG 0x04u         /* remote!u@local */
#define ADDR_R_AT 0x08u           /* '@' in the local part: "u@r"@l, u\@r@l, u@r@l */

struct addr {
	bool null;          /* <> */
	bool quoted;        /* the local part was a quoted string */
	bool ip_literal;    /* the domain is [address] */
	unsigned routing;   /* ADDR_R_* */
	struct ipaddr ip;   /* when ip_literal */
	char local[ADDR_LOCAL_MAX + 1];   /* dequoted */
	char domain[ADDR_DOMAIN_MAX + 1]; /* lower case, no trailing dot, "" if none */
};

/* addr_parse - 0, or -1 with a static reason in *why. */
int addr_parse(const char *raw, struct addr *a, const char **why);

/* addr_routing_text - a word for the first routing device in mask, for logs. */
const char *addr_routing_text(unsigned mask);

/* domain_syntax_ok - letters, digits, '-', '_' and dots, no empty label. */
bool domain_syntax_ok(const char *d);

/* addr_format - "local@domain" (or "local", or "" for the null address),
 * quoting the local part again when it needs it; for logs and replies. */
void addr_format(const struct addr *a, char *buf, size_t len);

#endif
