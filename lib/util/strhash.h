/*
 * strhash.h - the one string hash of the hash tables (recipient lists,
 * callout cache, aliases): FNV-1a over the octets, folded to 32 bits.
 * Keys come from files the postmaster writes or from addresses, so a
 * keyed hash is not needed for the lists; the callout cache bounds its
 * size instead.  Pure.
 */
#ifndef DOORMAN_STRHASH_H
#define DOORMAN_STRHASH_H

#include <stdint.h>

static inline uint32_t
strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

#endif
