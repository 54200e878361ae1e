/*
 * spfrec.h - an SPF record checked against RFC 7208's grammar before
 * libspf2 sees it
 *
 * libspf2 1.2.10 evaluates records that RFC 7208 section 12 refuses
 * (malformed domain specs, redirect= or exp= twice, unknown macro
 * letters, bad modifier names) and refuses some it accepts (ip4/ip6 with
 * a /0 prefix).  Every record doorman fetches passes spfrec_prepare()
 * first: a record the grammar refuses is a permerror whatever libspf2
 * would make of it, and the text libspf2 compiles is rewritten where
 * libspf2 would refuse a valid term.
 */
#ifndef DOORMAN_SPFREC_H
#define DOORMAN_SPFREC_H

#include <stddef.h>

/*
 * spfrec_prepare - rec is len bytes exactly as the TXT record holds them
 * (any byte, NUL included), already known to start with "v=spf1" and a
 * space or its end.  client: the client's address as text.
 * 0 when the grammar accepts it, with *out the text to hand libspf2
 * (newly allocated, NUL-terminated): the record's terms, one space
 * between them, except that
 *   - an ip4 or ip6 term is decided here, the client being known: one
 *     that cannot match it is left out, one that does becomes the
 *     client's own address with the term's qualifier, and what follows
 *     it (or an "all") is checked but not written: libspf2 never reaches
 *     it.  So a /0 prefix is evaluated (libspf2 refuses it) and long
 *     address lists fit in the 511 bytes libspf2 compiles a record into;
 *     an IPv4-mapped IPv6 client keeps its ip4 terms (libspf2 decides);
 *   - what follows the 11th term that asks DNS is checked, not written:
 *     the evaluation ends there (4.6.4, counted by auth_spf.c);
 *   - modifiers other than redirect= and exp= are left out (RFC 7208 6:
 *     ignored; libspf2 refuses some names the grammar allows);
 *   - redirect= goes last (6.1: it applies when no mechanism matched,
 *     wherever it stands; libspf2 follows it where it stands);
 *   - a /0 prefix in an a or mx term for the family the client is not of
 *     becomes /32 or /128 (it cannot change the result);
 *   - "a/0" (or a:domain/0) for an IPv4 client becomes "exists:domain"
 *     (%{d} without one): any A record matches, as exists asks.
 * What is left (mx/0 for the client's family, a//0 for an IPv6 client) is
 * handed over as it is: libspf2 refuses it, a permerror (doorman.conf(5)).
 * -1 when the grammar refuses it, *out NULL, why a static text naming the
 * rule that failed.
 */
int spfrec_prepare(const char *rec, size_t len, const char *client, char **out, const char **why);

/*
 * spfrec_name_ok - may name (the result of macro expansion) be asked of
 * DNS?  No empty label (a final dot aside), no label over 63 octets, at
 * most 253 octets, not empty (RFC 1035 2.3.4, RFC 7208 4.3 and 4.8).
 */
int spfrec_name_ok(const char *name);

#endif
