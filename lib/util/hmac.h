/*
 * hmac.h - HMAC-SHA1 (RFC 2104) of a message given in parts
 *
 * The keyed hash of BATV tags and SRS addresses.  The parts are hashed as
 * if concatenated, each lower-cased first when fold is set (SRS hashes
 * the lower-cased parts, as libsrs2 and postsrsd do).  The one file that
 * includes OpenSSL's HMAC; reentrant.
 */
#ifndef DOORMAN_HMAC_H
#define DOORMAN_HMAC_H

#include <stdbool.h>
#include <stddef.h>

#define HMAC_SHA1_LEN 20
#define HMAC_INPUT_MAX 1024

/* hmac_sha1 - 0, or -1 when the parts are longer than HMAC_INPUT_MAX */
int hmac_sha1(const char *key, size_t keylen, const char *const *parts, size_t nparts, bool fold,
	      unsigned char out[HMAC_SHA1_LEN]);

#endif
