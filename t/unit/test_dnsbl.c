/*
 * test_dnsbl.c - DNS list zone syntax, answer filters, query names
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"

struct accept_case {
	const char *zone;
	const char *answer;
	bool counts;
};

static const struct accept_case accept_cases[] = {
	{ "zen.example", "127.0.0.2", true },
	{ "zen.example", "127.0.0.11", true },
	{ "zen.example", "127.255.255.254", false }, /* "query refused" */
	{ "zen.example", "127.255.255.252", false },
	{ "zen.example", "192.0.2.1", false },
	{ "zen.example", "not-an-address", false },
	{ "zen.example=127.0.0.2", "127.0.0.2", true },
	{ "zen.example=127.0.0.2", "127.0.0.3", false },
	{ "zen.example=127.0.0.[2..11]*3", "127.0.0.11", true },
	{ "zen.example=127.0.0.[2..11]*3", "127.0.0.12", false },
	{ "zen.example=127.0.[0..1].[2..3]", "127.0.1.3", true },
	{ "zen.example=127.0.[0..1].[2..3]", "127.0.2.3", false },
	{ "zen.example=127.0.0.0/24", "127.0.0.200", true },
	{ "zen.example=127.0.0.0/24", "127.0.1.2", false },
	{ "zen.example=127.0.0.0/30", "127.0.0.3", true },
	{ "zen.example=127.0.0.0/30", "127.0.0.4", false },
	{ "zen.example=127.255.255.0/24", "127.255.255.254", true },
};

static void
bl_zone_accepts__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		struct bl_zone z;
		char why[256];

		print_message("case %s vs %s\n", accept_cases[i].zone, accept_cases[i].answer);
		assert_int_equal(bl_zone_parse(accept_cases[i].zone, &z, why, sizeof(why)), 0);
		assert_int_equal(bl_zone_accepts(&z, accept_cases[i].answer), accept_cases[i].counts);
		free(z.zone);
	}
}

static void
bl_zone_parse__weights_and_names(void **state)
{
	struct bl_zone z;
	char why[256];

	(void)state;
	assert_int_equal(bl_zone_parse("List.Example.*-5", &z, why, sizeof(why)), 0);
	assert_string_equal(z.zone, "list.example");
	assert_int_equal(z.weight, -5);
	assert_false(z.filtered);
	free(z.zone);
	assert_int_equal(bl_zone_parse("bl.example=127.0.0.2", &z, why, sizeof(why)), 0);
	assert_int_equal(z.weight, 1);
	free(z.zone);
}

static void
bl_zone_parse__bad__error(void **state)
{
	static const char *const bad[] = {
		"", "bl..example", "bl.example*0", "bl.example*x", "bl.example*", "bl.example=127.0.0",
		"bl.example=127.0.0.[3..2]", "bl.example=127.0.0.[2..300]", "bl.example=127.0.0.2x",
		"bl.example=2001:db8::/32", "bl.example=127.0.0.1/24", "bl example",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bl_zone z;
		char why[256] = "";

		print_message("case %s\n", bad[i]);
		assert_int_equal(bl_zone_parse(bad[i], &z, why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
	}
}

static void
bl_query__names(void **state)
{
	struct ipaddr ip;
	char buf[160];

	(void)state;
	assert_int_equal(ip_parse("192.0.2.7", &ip), 0);
	bl_query_ip(&ip, "zen.example", buf, sizeof(buf));
	assert_string_equal(buf, "7.2.0.192.zen.example");
	bl_query_ptr(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "7.2.0.192.in-addr.arpa");
	assert_int_equal(ip_parse("2001:db8::66", &ip), 0);
	bl_query_ip(&ip, "zen.example", buf, sizeof(buf));
	assert_string_equal(buf, "6.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example");
	bl_query_ptr(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "6.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bl_zone_accepts__table),
		cmocka_unit_test(bl_zone_parse__weights_and_names),
		cmocka_unit_test(bl_zone_parse__bad__error),
		cmocka_unit_test(bl_query__names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
