/*
 * test_cidr.c - IP address and CIDR parsing and matching
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ip_parse(s, &a), 0);
	return a;
}

static void
ip_parse__forms__family(void **state)
{
	struct ipaddr a;
	char buf[IP_TEXT_MAX];

	(void)state;
	a = ip("192.0.2.1");
	assert_int_equal(a.family, AF_INET);
	a = ip("2001:db8::1");
	assert_int_equal(a.family, AF_INET6);
	a = ip("::ffff:192.0.2.7");
	assert_int_equal(a.family, AF_INET);
	ip_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7");
	assert_int_equal(ip_parse("192.0.2", &a), -1);
	assert_int_equal(ip_parse("192.0.2.256", &a), -1);
	assert_int_equal(ip_parse("", &a), -1);
	assert_int_equal(ip_parse("2001:db8:::1", &a), -1);
	assert_int_equal(ip_parse("[192.0.2.1]", &a), -1);
}

struct cidr_case {
	const char *cidr;
	const char *addr;
	bool match;
};

static const struct cidr_case cidr_cases[] = {
	{ "192.0.2.0/24", "192.0.2.7", true },
	{ "192.0.2.0/24", "192.0.3.7", false },
	{ "192.0.2.0/24", "::ffff:192.0.2.7", true },
	{ "192.0.2.0/24", "2001:db8::1", false },
	{ "192.0.2.32/27", "192.0.2.63", true },
	{ "192.0.2.32/27", "192.0.2.64", false },
	{ "192.0.2.32/27", "192.0.2.31", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "2001:db8::1", false },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1/32", "192.0.2.2", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true },
	{ "2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1", false },
	{ "2001:db8::1/128", "2001:db8::1", true },
	{ "2001:db8::1/128", "2001:db8::2", false },
	{ "::/0", "::1", true },
	{ "::/0", "192.0.2.1", false },
	{ "::ffff:192.0.2.0/120", "192.0.2.7", true },
	{ "::ffff:192.0.2.0/120", "192.0.3.7", false },
	{ "::ffff:192.0.2.0/120", "::ffff:192.0.2.200", true },
};

static void
cidr_match__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const struct cidr_case *c = &cidr_cases[i];
		struct cidr n;
		struct ipaddr a = ip(c->addr);
		char why[256];

		print_message("case %s vs %s\n", c->cidr, c->addr);
		assert_int_equal(cidr_parse(c->cidr, &n, why, sizeof(why)), 0);
		assert_int_equal(cidr_match(&n, &a), c->match);
	}
}

static void
cidr_parse__bad__error(void **state)
{
	static const char *const bad[] = {
		"192.0.2.0/33", "192.0.2.1/24", "192.0.2.0/", "192.0.2.0/x", "192.0.2.0/-1", "/24",
		"2001:db8::/129", "2001:db8::1/64", "::ffff:192.0.2.0/95", "::ffff:192.0.2.0/129",
		"example.org", "", "192.0.2.0/24/8",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr n;
		char why[256] = "";

		print_message("case %s\n", bad[i]);
		assert_int_equal(cidr_parse(bad[i], &n, why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
	}
}

static void
cidrlist_match__first_match__index(void **state)
{
	struct cidr v[3];
	struct cidrlist l = { v, 3 };
	struct ipaddr a;
	char why[64];

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", &v[0], why, sizeof(why)), 0);
	assert_int_equal(cidr_parse("192.0.2.0/24", &v[1], why, sizeof(why)), 0);
	assert_int_equal(cidr_parse("192.0.2.7", &v[2], why, sizeof(why)), 0);
	a = ip("192.0.2.7");
	assert_int_equal(cidrlist_match(&l, &a), 1);
	a = ip("203.0.113.1");
	assert_int_equal(cidrlist_match(&l, &a), -1);
	assert_int_equal(cidrlist_match(NULL, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ip_parse__forms__family),
		cmocka_unit_test(cidr_match__table),
		cmocka_unit_test(cidr_parse__bad__error),
		cmocka_unit_test(cidrlist_match__first_match__index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
