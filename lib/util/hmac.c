/*
 * hmac.c - HMAC-SHA1 of a message given in parts (see hmac.h)
 *
 * The parts are copied into one bounded buffer and hashed by OpenSSL's
 * one-shot HMAC(); an address is short, so one copy costs nothing next
 * to the hash.
 */
#include "hmac.h"

#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int
hmac_sha1(const char *key, size_t keylen, const char *const *parts, size_t nparts, bool fold,
	  unsigned char out[HMAC_SHA1_LEN])
{
	unsigned char buf[HMAC_INPUT_MAX];
	unsigned int outlen = HMAC_SHA1_LEN;
	size_t used = 0;

	for (size_t i = 0; i < nparts; i++) {
		size_t len = strlen(parts[i]);
		if (len > sizeof(buf) - used)
			return -1;
		for (size_t j = 0; j < len; j++)
			buf[used + j] = fold ? (unsigned char)tolower((unsigned char)parts[i][j])
					     : (unsigned char)parts[i][j];
		used += len;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, buf, used, out, &outlen) == NULL || outlen != HMAC_SHA1_LEN)
		return -1;
	return 0;
}
