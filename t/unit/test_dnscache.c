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
	assert_true(hits > 0 && hits <= 32);
	dnscache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get__facts__copied),
		cmocka_unit_test(put__no_ttl_or_tempfail__not_kept),
		cmocka_unit_test(put__full__oldest_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
