/*
 * srs.c - SRS addresses as postsrsd writes them (see srs.h)
 *
 * Written from the scheme postsrsd 1.10 (libsrs2's srs2.c) implements:
 * the hash is HMAC-SHA1 over the lower-cased parts, base64, first four
 * characters; the timestamp is base32 of the day modulo 1024.
 */
#include "srs.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hmac.h"

#define SRS_HASH_LEN 4
#define SRS_SLOTS 1024
#define SRS_SEPARATORS "=+-"

static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char base64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* the hash of parts under secret i: SRS_HASH_LEN base64 characters */
static int
srs_hash(const struct keyset *k, size_t i, const char *const *parts, size_t nparts,
	 char out[SRS_HASH_LEN + 1])
{
	unsigned char mac[HMAC_SHA1_LEN];

	if (hmac_sha1(k->v[i], k->len[i], parts, nparts, true, mac) < 0)
		return -1;
	out[0] = base64[mac[0] >> 2];
	out[1] = base64[((mac[0] & 0x03) << 4) | (mac[1] >> 4)];
	out[2] = base64[((mac[1] & 0x0f) << 2) | (mac[2] >> 6)];
	out[3] = base64[mac[2] & 0x3f];
	out[4] = '\0';
	return 0;
}

/* does hash (its first SRS_HASH_LEN characters) match parts under any secret? */
static bool
srs_hash_ok(const struct keyset *k, const char *hash, size_t hashlen, const char *const *parts,
	    size_t nparts)
{
	char want[SRS_HASH_LEN + 1];

	if (hashlen < SRS_HASH_LEN)
		return false;
	for (size_t i = 0; i < k->n; i++)
		if (srs_hash(k, i, parts, nparts, want) == 0 && strncasecmp(want, hash, SRS_HASH_LEN) == 0)
			return true;
	return false;
}

static bool
is_tag(const char *local, const char *tag)
{
	return strncasecmp(local, tag, 4) == 0 && local[4] != '\0' && strchr(SRS_SEPARATORS, local[4]);
}

int
srs_is_srs(const char *local)
{
	return is_tag(local, "SRS0") || is_tag(local, "SRS1");
}

static int
done(int n, size_t outlen)
{
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
srs_forward(const struct keyset *k, const char *user, const char *domain, const char *srs_domain,
	    char sep, long now, char *out, size_t outlen)
{
	char hash[SRS_HASH_LEN + 1], host[256];
	const char *rest;

	if (is_tag(user, "SRS1")) {
		/* SRS1<sep>hash=host=rest: keep host and rest, hash again */
		const char *h = strchr(user + 5, '=');
		const char *r = h ? strchr(h + 1, '=') : NULL;
		if (r == NULL || (size_t)(r - h - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(r - h - 1), h + 1);
		rest = r + 1;
	} else if (is_tag(user, "SRS0")) {
		/* the previous forwarder's address, from its separator on */
		if (strlen(domain) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%s", domain);
		rest = user + 4;
	} else {
		long day = (now / 86400) % SRS_SLOTS;
		char ts[3] = { base32[(day >> 5) & 31], base32[day & 31], '\0' };
		const char *parts[] = { ts, domain, user };
		if (srs_hash(k, 0, parts, 3, hash) < 0)
			return -1;
		return done(snprintf(out, outlen, "SRS0%c%s=%s=%s=%s@%s", sep, hash, ts, domain, user,
				     srs_domain), outlen);
	}
	const char *parts[] = { host, rest };
	if (srs_hash(k, 0, parts, 2, hash) < 0)
		return -1;
	return done(snprintf(out, outlen, "SRS1%c%s=%s=%s@%s", sep, hash, host, rest, srs_domain), outlen);
}

/* the day of a two-letter base32 timestamp, or -1 */
static long
stamp_day(const char *ts)
{
	long day = 0;

	for (int i = 0; i < 2; i++) {
		const char *p = ts[i] ? strchr(base32, toupper((unsigned char)ts[i])) : NULL;
		if (p == NULL)
			return -1;
		day = day << 5 | (p - base32);
	}
	return day;
}

enum srs_result
srs_reverse(const struct keyset *k, const char *local, long now, long max_age, char *out,
	    size_t outlen)
{
	const char *hash = local + 5, *a, *b, *c;
	char ts[3], host[256];

	if (is_tag(local, "SRS1")) {
		/* SRS1<sep>HHHH=host=rest -> SRS0rest@host */
		if ((a = strchr(hash, '=')) == NULL || (b = strchr(a + 1, '=')) == NULL || b == a + 1 ||
		    (size_t)(b - a - 1) >= sizeof(host))
			return SRS_BAD;
		snprintf(host, sizeof(host), "%.*s", (int)(b - a - 1), a + 1);
		const char *parts[] = { host, b + 1 };
		if (!srs_hash_ok(k, hash, (size_t)(a - hash), parts, 2))
			return SRS_BAD;
		return done(snprintf(out, outlen, "SRS0%s@%s", b + 1, host), outlen) < 0 ? SRS_BAD : SRS_VALID;
	}
	if (!is_tag(local, "SRS0"))
		return SRS_NOT_SRS;
	/* SRS0<sep>HHHH=TT=domain=user -> user@domain */
	if ((a = strchr(hash, '=')) == NULL || (b = strchr(a + 1, '=')) == NULL || b - a - 1 != 2 ||
	    (c = strchr(b + 1, '=')) == NULL || c == b + 1 || c[1] == '\0' ||
	    (size_t)(c - b - 1) >= sizeof(host))
		return SRS_BAD;
	memcpy(ts, a + 1, 2);
	ts[2] = '\0';
	snprintf(host, sizeof(host), "%.*s", (int)(c - b - 1), b + 1);
	const char *parts[] = { ts, host, c + 1 };
	long then = stamp_day(ts), today = (now / 86400) % SRS_SLOTS;
	if (then < 0 || !srs_hash_ok(k, hash, (size_t)(a - hash), parts, 3))
		return SRS_BAD;
	if (today < then)
		today += SRS_SLOTS;
	if (today > then + max_age)
		return SRS_EXPIRED;
	return done(snprintf(out, outlen, "%s@%s", c + 1, host), outlen) < 0 ? SRS_BAD : SRS_VALID;
}

const char *
srs_result_name(enum srs_result r)
{
	static const char *const names[] = { "valid", "not-srs", "bad", "expired" };
	return names[r];
}
