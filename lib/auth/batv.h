/*
 * batv.h - Bounce Address Tag Validation (draft-levine-smtp-batv-01, prvs)
 *
 * NAME
 *	batv - sign an envelope sender, check the tag of a bounce recipient
 *
 * DESCRIPTION
 *	batv_sign() turns local@domain into prvs=KDDDSSSSSS=local@domain:
 *	K the key number (always 0: batv_check tries every key, so a new
 *	key can be put first without renumbering), DDD the day the tag
 *	expires (days since 1970-01-01 plus max_age, modulo 1000), SSSSSS
 *	the first three bytes, in hex, of HMAC-SHA1 under the signing key
 *	of "KDDD" followed by the original mailbox, lower-cased (so a
 *	bounce that changed the case of the address still verifies).
 *
 *	batv_check() reads a recipient's local part: BATV_UNTAGGED when it
 *	has no prvs= tag; BATV_BAD when the tag is malformed or no key
 *	gives its hash; BATV_EXPIRED when its day has passed or lies more
 *	than max_age days ahead; BATV_VALID with the untagged local part.
 *	The day wraps at 1000: a tag is judged by its distance from today
 *	modulo 1000, so max_age must be well below 1000 (the schema keeps it
 *	at most 365).
 *
 * CONCURRENCY
 *	Pure and reentrant.
 */
#ifndef DOORMAN_BATV_H
#define DOORMAN_BATV_H

#include <stddef.h>

#include "keyfile.h"

#define BATV_PREFIX "prvs="
#define BATV_TAG_LEN 10 /* KDDDSSSSSS */

enum batv_result { BATV_VALID, BATV_UNTAGGED, BATV_BAD, BATV_EXPIRED };

/* batv_day - today's day number, the days since 1970-01-01 of now */
long batv_day(long now);

/* batv_sign - the tagged local part of local@domain into out; -1 when
 * out is too short or the address too long */
int batv_sign(const struct keyset *k, const char *local, const char *domain, long today,
	      long max_age, char *out, size_t outlen);

/* batv_check - see above; orig gets the untagged local part on BATV_VALID */
enum batv_result batv_check(const struct keyset *k, const char *local, const char *domain,
			    long today, long max_age, char *orig, size_t origlen);

/* batv_result_name - "valid", "untagged", "bad", "expired" */
const char *batv_result_name(enum batv_result r);

#endif
