/*
 * batv.c - BATV prvs tags (see batv.h)
 */
#include "batv.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hmac.h"

long
batv_day(long now)
{
	return now / 86400;
}

/* the six hex digits of key k over "KDDD" + local@domain */
static int
tag_hash(const struct keyset *k, size_t key, const char *kddd, const char *local,
	 const char *domain, char hex[7])
{
	const char *parts[] = { kddd, local, "@", domain };
	unsigned char mac[HMAC_SHA1_LEN];

	if (hmac_sha1(k->v[key], k->len[key], parts, 4, true, mac) < 0)
		return -1;
	snprintf(hex, 7, "%02x%02x%02x", mac[0], mac[1], mac[2]);
	return 0;
}

int
batv_sign(const struct keyset *k, const char *local, const char *domain, long today,
	  long max_age, char *out, size_t outlen)
{
	char kddd[5], hex[7];
	int n;

	snprintf(kddd, sizeof(kddd), "0%03d", (int)((today + max_age) % 1000 + 1000) % 1000);
	if (tag_hash(k, 0, kddd, local, domain, hex) < 0)
		return -1;
	n = snprintf(out, outlen, BATV_PREFIX "%s%s=%s", kddd, hex, local);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static bool
all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

enum batv_result
batv_check(const struct keyset *k, const char *local, const char *domain, long today,
	   long max_age, char *orig, size_t origlen)
{
	const size_t plen = sizeof(BATV_PREFIX) - 1;
	const char *tag = local + plen, *rest = tag + BATV_TAG_LEN + 1;
	char kddd[5], hex[7];
	long ddd, ahead;
	bool ok = false;

	if (strncasecmp(local, BATV_PREFIX, plen) != 0)
		return BATV_UNTAGGED;
	if (!all_of(tag, 4, "0123456789") || !all_of(tag + 4, 6, "0123456789abcdefABCDEF") ||
	    tag[BATV_TAG_LEN] != '=' || *rest == '\0')
		return BATV_BAD;
	memcpy(kddd, tag, 4);
	kddd[4] = '\0';
	for (size_t i = 0; i < k->n && !ok; i++)
		ok = tag_hash(k, i, kddd, rest, domain, hex) == 0 && strncasecmp(hex, tag + 4, 6) == 0;
	if (!ok)
		return BATV_BAD;
	/* how far ahead the expiry day is, modulo 1000 */
	ddd = (tag[1] - '0') * 100 + (tag[2] - '0') * 10 + (tag[3] - '0');
	ahead = ((ddd - today % 1000) + 1000) % 1000;
	if (ahead > max_age)
		return BATV_EXPIRED;
	if ((size_t)snprintf(orig, origlen, "%s", rest) >= origlen)
		return BATV_BAD;
	return BATV_VALID;
}

const char *
batv_result_name(enum batv_result r)
{
	static const char *const names[] = { "valid", "untagged", "bad", "expired" };
	return names[r];
}
