/*
 * test_dnscache.c - the answers kept in front of libunbound
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"

static void
answer_free(struct dns_answer *a)
{
	for (int i = 0; i < a->nrr; i++)
		free(a->rr[i]);
	free(a->wire);
	memset(a, 0, sizeof(*a));
}

static struct dns_answer
found(const char *rr, int ttl)
{
	static unsigned char wire[] = { 1, 2, 3, 4 };
	struct dns_answer a = { .status = DNS_FOUND, .ttl = ttl, .nrr = 1 };

	a.rr[0] = (char *)rr;
	a.wire = wire;
	a.wirelen = sizeof(wire);
	return a;
}

static void
put_get__facts__copied(void **state)
{
	struct dnscache *c = dnscache_new(64);
	struct dns_answer a = found("v=spf1 -all", 300), got;
	struct dns_answer nx = { .status = DNS_NXDOMAIN, .ttl = 300 };

	(void)state;
	dnscache_put(c, "Example.ORG", DNS_TYPE_TXT, &a);
	assert_true(dnscache_get(c, "example.org", DNS_TYPE_TXT, &got));
	assert_int_equal(got.status, DNS_FOUND);
	assert_int_equal(got.nrr, 1);
	assert_string_equal(got.rr[0], "v=spf1 -all");
	assert_ptr_not_equal(got.rr[0], a.rr[0]);
	assert_int_equal(got.wirelen, 4);
	assert_true(got.ttl > 0 && got.ttl <= 300);
	answer_free(&got);
	/* another type is another question */
	assert_false(dnscache_get(c, "example.org", DNS_TYPE_A, &got));
	/* the wire form is kept for TXT only (what libopendkim reads) */
	a = found("192.0.2.1", 300);
	dnscache_put(c, "example.org", DNS_TYPE_A, &a);
	assert_true(dnscache_get(c, "example.org", DNS_TYPE_A, &got));
	assert_null(got.wire);
	answer_free(&got);
	dnscache_put(c, "missing.example", DNS_TYPE_MX, &nx);
	assert_true(dnscache_get(c, "missing.example", DNS_TYPE_MX, &got));
	assert_int_equal(got.status, DNS_NXDOMAIN);
	answer_free(&got);
	/* a newer answer replaces the old one */
	a = found("v=spf1 +all", 300);
	dnscache_put(c, "example.org", DNS_TYPE_TXT, &a);
	assert_true(dnscache_get(c, "example.org", DNS_TYPE_TXT, &got));
	assert_string_equal(got.rr[0], "v=spf1 +all");
	answer_free(&got);
	dnscache_free(c);
}

static void
put__no_ttl_or_tempfail__not_kept(void **state)
{
	struct dnscache *c = dnscache_new(64);
	struct dns_answer a = found("192.0.2.1", 0), got;
	struct dns_answer tf = { .status = DNS_TEMPFAIL, .why = "timeout", .ttl = 300 };

	(void)state;
	dnscache_put(c, "zero.example", DNS_TYPE_A, &a);
	assert_false(dnscache_get(c, "zero.example", DNS_TYPE_A, &got));
	dnscache_put(c, "fail.example", DNS_TYPE_A, &tf);
	assert_false(dnscache_get(c, "fail.example", DNS_TYPE_A, &got));
	dnscache_free(c);
}

static void
put__full__oldest_dropped(void **state)
{
	/* 32 entries in 16 shards: each shard keeps the 2 it got last */
	struct dnscache *c = dnscache_new(32);
	struct dns_answer a = found("192.0.2.1", 300), got;
	char name[64];
	int hits = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		dnscache_put(c, name, DNS_TYPE_A, &a);
		/* the newest is always there */
		assert_true(dnscache_get(c, name, DNS_TYPE_A, &got));
		answer_free(&got);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		if (dnscache_get(c, name, DNS_TYPE_A, &got)) {
			hits++;
			answer_free(&got);
		}
	}
	/* full to the bound, not beyond it, and nothing dropped early (1000
	 * names fill every shard many times over) */
	assert_int_equal(hits, 32);
	/* the first ones are long gone; the last two of all are the newest of
	 * their shards (or of one shard), so both are kept */
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		assert_false(dnscache_get(c, name, DNS_TYPE_A, &got));
	}
	assert_true(dnscache_get(c, "n999.example", DNS_TYPE_A, &got));
	answer_free(&got);
	assert_true(dnscache_get(c, "n998.example", DNS_TYPE_A, &got));
	answer_free(&got);
	dnscache_free(c);
}

/* same_shard(x, y): in a cache of one place per shard, y pushes x out */
static bool
same_shard(const char *x, const char *y)
{
	struct dnscache *c = dnscache_new(16);
	struct dns_answer a = found("192.0.2.1", 300), got;
	bool gone;

	dnscache_put(c, x, DNS_TYPE_A, &a);
	dnscache_put(c, y, DNS_TYPE_A, &a);
	gone = !dnscache_get(c, x, DNS_TYPE_A, &got);
	if (!gone)
		answer_free(&got);
	dnscache_free(c);
	return gone;
}

/* Oldest first, not newest or at random: three names of one shard (2
 * places) put in turn, the first one read in between; the third drops the
 * first and keeps the second. */
static void
put__full__drops_in_order(void **state)
{
	struct dnscache *c = dnscache_new(32);
	struct dns_answer a = found("192.0.2.1", 300), got;
	char mate[2][64];
	int found_mates = 0;

	(void)state;
	for (int i = 0; i < 1000 && found_mates < 2; i++) {
		snprintf(mate[found_mates], sizeof(mate[0]), "m%d.example", i);
		if (same_shard("first.example", mate[found_mates]))
			found_mates++;
	}
	assert_int_equal(found_mates, 2);
	dnscache_put(c, "first.example", DNS_TYPE_A, &a);
	dnscache_put(c, mate[0], DNS_TYPE_A, &a);
	assert_true(dnscache_get(c, "first.example", DNS_TYPE_A, &got));
	answer_free(&got);
	dnscache_put(c, mate[1], DNS_TYPE_A, &a);
	assert_false(dnscache_get(c, "first.example", DNS_TYPE_A, &got));
	assert_true(dnscache_get(c, mate[0], DNS_TYPE_A, &got));
	answer_free(&got);
	assert_true(dnscache_get(c, mate[1], DNS_TYPE_A, &got));
	answer_free(&got);
	dnscache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get__facts__copied),
		cmocka_unit_test(put__no_ttl_or_tempfail__not_kept),
		cmocka_unit_test(put__full__oldest_dropped),
		cmocka_unit_test(put__full__drops_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
