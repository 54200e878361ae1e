/*
 * test_addr.c - address parsing (addr_parse) and relay resolution
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "config.h"

struct parse_case {
	const char *name;
	const char *raw;
	int rc;
	const char *local;
	const char *domain;
	unsigned routing;
};

static const struct parse_case parse_cases[] = {
	{ "addr_parse__plain__ok", "u@example.org", 0, "u", "example.org", 0 },
	{ "addr_parse__brackets__ok", "<u@example.org>", 0, "u", "example.org", 0 },
	{ "addr_parse__spaces_around__ok", "  <u@example.org>\t", 0, "u", "example.org", 0 },
	{ "addr_parse__upper_and_trailing_dot__folded", "<U@EXAMPLE.ORG.>", 0, "U", "example.org", 0 },
	{ "addr_parse__quoted_space__ok", "<\"joe smith\"@example.org>", 0, "joe smith", "example.org", 0 },
	{ "addr_parse__quoted_at__routing", "<\"u@remote.example\"@example.org>", 0, "u@remote.example",
	  "example.org", ADDR_R_AT },
	{ "addr_parse__quoted_percent__routing", "<\"u%r\"@x.example>", 0, "u%r", "x.example", ADDR_R_PERCENT },
	{ "addr_parse__quoted_bang__routing", "<\"u!r\"@x.example>", 0, "u!r", "x.example", ADDR_R_BANG },
	{ "addr_parse__quoted_escape__dequoted", "<\"a\\\"b\"@x.example>", 0, "a\"b", "x.example", 0 },
	{ "addr_parse__backslash_at__routing", "<u\\@remote.example@example.org>", 0, "u@remote.example",
	  "example.org", ADDR_R_AT },
	{ "addr_parse__percent__routing", "<u%remote.example@example.org>", 0, "u%remote.example",
	  "example.org", ADDR_R_PERCENT },
	{ "addr_parse__bang__routing", "<remote.example!u@example.org>", 0, "remote.example!u",
	  "example.org", ADDR_R_BANG },
	{ "addr_parse__bang_no_domain__routing", "<remote.example!u>", 0, "remote.example!u", "", ADDR_R_BANG },
	{ "addr_parse__double_at__routing", "<u@remote.example@example.org>", 0, "u@remote.example",
	  "example.org", ADDR_R_AT },
	{ "addr_parse__source_route__final_mailbox", "<@a.example,@b.example:u@c.example>", 0, "u",
	  "c.example", ADDR_R_SOURCE_ROUTE },
	{ "addr_parse__source_route_one_hop__routing", "<@example.org:u@remote.example>", 0, "u",
	  "remote.example", ADDR_R_SOURCE_ROUTE },
	{ "addr_parse__ipv4_literal__ok", "<u@[192.0.2.1]>", 0, "u", "[192.0.2.1]", 0 },
	{ "addr_parse__ipv6_literal__ok", "<u@[IPv6:2001:db8::1]>", 0, "u", "[ipv6:2001:db8::1]", 0 },
	{ "addr_parse__no_domain__ok", "<postmaster>", 0, "postmaster", "", 0 },
	{ "addr_parse__null__ok", "<>", 0, "", "", 0 },
	{ "addr_parse__ipv6_literal_untagged__error", "<u@[2001:db8::1]>", -1, NULL, NULL, 0 },
	{ "addr_parse__bad_ipv4_literal__error", "<u@[999.1.1.1]>", -1, NULL, NULL, 0 },
	{ "addr_parse__unterminated_literal__error", "<u@[192.0.2.1>", -1, NULL, NULL, 0 },
	{ "addr_parse__unbalanced_open__error", "<u@example.org", -1, NULL, NULL, 0 },
	{ "addr_parse__unbalanced_close__error", "u@example.org>", -1, NULL, NULL, 0 },
	{ "addr_parse__empty_domain__error", "<u@>", -1, NULL, NULL, 0 },
	{ "addr_parse__leading_dot_domain__error", "<u@.example>", -1, NULL, NULL, 0 },
	{ "addr_parse__double_dot_domain__error", "<u@x..example>", -1, NULL, NULL, 0 },
	{ "addr_parse__two_trailing_dots__error", "<u@example.org..>", -1, NULL, NULL, 0 },
	{ "addr_parse__space_in_domain__error", "<u@exa mple.org>", -1, NULL, NULL, 0 },
	{ "addr_parse__label_starts_with_hyphen__error", "<u@-bad.example>", -1, NULL, NULL, 0 },
	{ "addr_parse__label_ends_with_hyphen__error", "<u@bad-.example>", -1, NULL, NULL, 0 },
	{ "addr_parse__inner_hyphen__ok", "<u@a-b.example>", 0, "u", "a-b.example", 0 },
	{ "addr_parse__control_char__error", "<u\x01@example.org>", -1, NULL, NULL, 0 },
	{ "addr_parse__unterminated_quote__error", "<\"u@example.org>", -1, NULL, NULL, 0 },
	{ "addr_parse__text_after_quote__error", "<\"u\"x@example.org>", -1, NULL, NULL, 0 },
	{ "addr_parse__bad_source_route__error", "<@a.example,u@b.example>", -1, NULL, NULL, 0 },
	{ "addr_parse__only_bracket__error", "<", -1, NULL, NULL, 0 },
	{ "addr_parse__only_at__error", "@", -1, NULL, NULL, 0 },
	{ "addr_parse__empty_local__error", "<@example.org>", -1, NULL, NULL, 0 },
};

static void
addr_parse__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct addr a;
		const char *why = NULL;
		int rc = addr_parse(c->raw, &a, &why);

		print_message("case %s\n", c->name);
		assert_int_equal(rc, c->rc);
		if (rc < 0) {
			assert_non_null(why);
			continue;
		}
		assert_string_equal(a.local, c->local);
		assert_string_equal(a.domain, c->domain);
		assert_int_equal(a.routing, c->routing);
	}
}

static void
addr_parse__null_sender__flagged(void **state)
{
	struct addr a;
	const char *why;

	(void)state;
	assert_int_equal(addr_parse("<>", &a, &why), 0);
	assert_true(a.null);
	assert_int_equal(addr_parse("", &a, &why), 0);
	assert_true(a.null);
}

static void
addr_parse__too_long__error(void **state)
{
	char buf[2048];
	struct addr a;
	const char *why;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	buf[0] = '<';
	strcpy(buf + 300, "@example.org>");
	assert_int_equal(addr_parse(buf, &a, &why), -1);
	assert_string_equal(why, "local part too long");
	memset(buf, 'a', sizeof(buf));
	strcpy(buf, "<u@");
	for (size_t i = 3; i < 600; i += 10)
		memcpy(buf + i, "abcdefghi.", 10);
	strcpy(buf + 600, "org>");
	assert_int_equal(addr_parse(buf, &a, &why), -1);
	assert_string_equal(why, "domain too long");
}

static void
addr_parse__garbage__never_crashes(void **state)
{
	unsigned seed = 12345;
	char buf[300];
	struct addr a;
	const char *why;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (seed = seed * 1103515245u + 12345u) % (sizeof(buf) - 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = "<>@\"\\%!:,.[]aZ9 \x01"[(seed >> 16) % 17];
		}
		buf[n] = '\0';
		if (addr_parse(buf, &a, &why) == 0) {
			assert_true(strlen(a.local) <= ADDR_LOCAL_MAX);
			assert_true(strlen(a.domain) <= ADDR_DOMAIN_MAX);
		} else {
			assert_non_null(why);
		}
	}
}

struct relay_case {
	const char *raw;
	enum relay_dest dest;
	const char *why; /* the reason logged, when the case names it */
};

static const struct relay_case relay_cases[] = {
	{ "<u@example.org>", DEST_LOCAL, NULL },
	{ "<U@EXAMPLE.ORG.>", DEST_LOCAL, NULL },
	{ "<\"joe smith\"@example.org>", DEST_LOCAL, NULL },
	{ "<postmaster>", DEST_LOCAL, NULL },
	{ "<PostMaster>", DEST_LOCAL, NULL },
	{ "<u@[192.0.2.25]>", DEST_LOCAL, NULL },
	{ "<u@a.sub.example.org>", DEST_LOCAL, NULL },
	{ "<u@b.a.sub.example.org>", DEST_LOCAL, NULL },
	{ "<u@relay.example>", DEST_RELAY, NULL },
	{ "<u@RELAY.example.>", DEST_RELAY, NULL },
	{ "<u@sub.example.org>", DEST_REMOTE, NULL },
	{ "<u@remote.example>", DEST_REMOTE, NULL },
	{ "<u@example.org.remote.example>", DEST_REMOTE, NULL },
	{ "<u@xexample.org>", DEST_REMOTE, NULL },
	{ "<u@x.example.org>", DEST_REMOTE, NULL },
	{ "<u@sub.relay.example>", DEST_REMOTE, NULL },
	{ "<u@[192.0.2.99]>", DEST_REMOTE, NULL },
	{ "<u@[IPv6:2001:db8::1]>", DEST_REMOTE, NULL },
	{ "<u@localhost>", DEST_REMOTE, NULL },
	{ "<user>", DEST_REMOTE, NULL },
	{ "<u%remote.example@example.org>", DEST_ROUTING, NULL },
	{ "<u%remote.example@relay.example>", DEST_ROUTING, NULL },
	{ "<remote.example!u@example.org>", DEST_ROUTING, NULL },
	{ "<remote.example!u>", DEST_ROUTING, NULL },
	{ "<\"u@remote.example\"@example.org>", DEST_ROUTING, NULL },
	{ "<\"u%remote.example\"@example.org>", DEST_ROUTING, NULL },
	{ "<u@remote.example@example.org>", DEST_ROUTING, NULL },
	{ "<u\\@remote.example@example.org>", DEST_ROUTING, NULL },
	/* a source route is ignored (RFC 5321 3.6.1, Appendix C): the final
	 * address decides; a remote one is still a routing attempt */
	{ "<@example.org:u@example.org>", DEST_LOCAL, NULL },
	{ "<@a.example,@b.example:u@example.org>", DEST_LOCAL, NULL },
	{ "<@a.example:u@relay.example>", DEST_RELAY, NULL },
	{ "<@a.example:postmaster>", DEST_LOCAL, NULL },
	{ "<@a,@b:u@remote.example>", DEST_ROUTING, "source_route" },
	{ "<@example.org:u@remote.example>", DEST_ROUTING, "source_route" },
	{ "<@example.org:u@[192.0.2.99]>", DEST_ROUTING, "source_route" },
	/* ... and a routing device after it is refused as without one */
	{ "<@a.example:u%remote.example@example.org>", DEST_ROUTING, "percent_hack" },
	{ "<@a.example:remote.example!u@example.org>", DEST_ROUTING, "bang_path" },
	{ "<@a.example:\"u@remote.example\"@example.org>", DEST_ROUTING, NULL },
	{ "<@a.example:u@remote.example@example.org>", DEST_ROUTING, "at_in_local_part" },
};

static void
relay_resolve__table(void **state)
{
	struct config *cfg = *state;

	for (size_t i = 0; i < sizeof(relay_cases) / sizeof(relay_cases[0]); i++) {
		const struct relay_case *c = &relay_cases[i];
		struct addr a;
		const char *why;

		print_message("case %s\n", c->raw);
		assert_int_equal(addr_parse(c->raw, &a, &why), 0);
		assert_int_equal(relay_resolve(cfg, &a, &why), c->dest);
		if (c->dest == DEST_REMOTE || c->dest == DEST_ROUTING)
			assert_non_null(why);
		else
			assert_null(why);
		if (c->why != NULL)
			assert_string_equal(why, c->why);
	}
}

static int
setup(void **state)
{
	struct errs errs = { 0 };

	*state = config_load(T_DATA "/relay.conf", &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	return *state == NULL;
}

static int
teardown(void **state)
{
	config_unref(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse__table),
		cmocka_unit_test(addr_parse__null_sender__flagged),
		cmocka_unit_test(addr_parse__too_long__error),
		cmocka_unit_test(addr_parse__garbage__never_crashes),
		cmocka_unit_test_setup_teardown(relay_resolve__table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
