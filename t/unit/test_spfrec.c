/*
 * test_spfrec.c - RFC 7208 section 12's grammar (lib/auth/spfrec.c): a
 * table of records the grammar accepts or refuses, with the text libspf2
 * is given, and the names that may be asked of DNS
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "spfrec.h"

#define V4 "192.0.2.10"
#define V6 "2001:db8::10"
#define MAPPED "::ffff:192.0.2.10"

struct rec_case {
	const char *name;
	const char *rec;
	size_t len;    /* 0: strlen(rec) */
	const char *client;
	const char *want; /* the text for libspf2; NULL: refused; "=": rec itself */
};

static const struct rec_case cases[] = {
	/* accepted as they are */
	{ "version_alone", "v=spf1", 0, V4, "=" },
	{ "version_any_case", "V=SPF1 -ALL", 0, V4, "v=spf1 -ALL" },
	{ "trailing_spaces", "v=spf1 -all   ", 0, V4, "v=spf1 -all" },
	{ "many_spaces", "v=spf1   a    -all", 0, V4, "v=spf1 a -all" },
	{ "every_mechanism",
	  "v=spf1 +all -include:a.example ~a ?a:b.example a/24 a:b.example/24//64 a//64 mx "
	  "mx:m.example/30 ptr ptr:p.example ip4:192.0.2.1 ip4:192.0.2.0/24 ip6:2001:db8::1 "
	  "ip6:2001:db8::/32 ip6:::ffff:192.0.2.1 exists:%{i}.e.example",
	  0, V4, "v=spf1 +all" },
	{ "every_dns_mechanism",
	  "v=spf1 -include:a.example ~a ?a:b.example a/24 a:b.example/24//64 a//64 mx "
	  "mx:m.example/30 ptr ptr:p.example exists:%{i}.e.example",
	  0, V4, "=" },
	{ "cidr_limits", "v=spf1 a/32//128 mx:b.example/0//128", 0, V6, "v=spf1 a/32//128 mx:b.example/32//128" },
	{ "modifiers", "v=spf1 exp=e.example redirect=r.example", 0, V4, "=" },
	{ "redirect_last", "v=spf1 redirect=r.example a EXP=e.example -all", 0, V4,
	  "v=spf1 a EXP=e.example -all redirect=r.example" },
	{ "unknown_modifier", "v=spf1 foo-bar_1.x=anything%{d}%%%_%- -all", 0, V4, "v=spf1 -all" },
	{ "unknown_modifier_empty", "v=spf1 foo= -all", 0, V4, "v=spf1 -all" },
	{ "modifier_named_like_mechanism", "v=spf1 a=b -all", 0, V4, "v=spf1 -all" },
	{ "unknown_modifiers_twice", "v=spf1 x=1 x=2", 0, V4, "v=spf1" },
	{ "unknown_modifier_c_macro", "v=spf1 x=%{c}%{r}%{t} -all", 0, V4, "v=spf1 -all" },
	{ "macros", "v=spf1 exists:%{ir}.%{l1r+-}.%{o}.%{d2}.%{s}.%{p}.%{h}.%{v}._spf.%{D}", 0, V4, "=" },
	{ "macro_digits_leading_zero", "v=spf1 exists:%{d02}.x.example", 0, V4, "=" },
	{ "macro_all_delims", "v=spf1 exists:%{l.-+,/_=}.example", 0, V4, "=" },
	{ "macro_big_digit", "v=spf1 exists:%{d2147483647r}.x.example", 0, V4, "=" },
	{ "domain_trailing_dot", "v=spf1 a:b.example. -all", 0, V4, "=" },
	{ "toplabel_digits_hyphen", "v=spf1 a:b.1-2 -all", 0, V4, "=" },
	{ "toplabel_mixed", "v=spf1 a:b.x1 -all", 0, V4, "=" },
	{ "domain_ends_macro", "v=spf1 include:_spf.%{d}", 0, V4, "=" },
	{ "domain_ends_escape", "v=spf1 include:a.%-", 0, V4, "=" },
	{ "leading_dot_grammar", "v=spf1 a:.b.example", 0, V4, "=" },
	{ "mech_any_case", "v=spf1 IP4:192.0.2.10 Include:x.example MX -ALL", 0, V4, "v=spf1 ip4:192.0.2.10" },
	{ "mech_any_case_dns", "v=spf1 Include:x.example MX A:b.example PTR EXISTS:x.example -ALL", 0, V4, "=" },
	/* ip4 and ip6 decided for the client */
	{ "ip4_miss_left_out", "v=spf1 ip4:192.0.2.1 a -all", 0, V4, "v=spf1 a -all" },
	{ "ip4_match_ends", "v=spf1 a ~ip4:192.0.2.0/24 mx -all exp=e.example", 0, V4,
	  "v=spf1 a ~ip4:192.0.2.10 exp=e.example" },
	{ "ip4_match_32", "v=spf1 ip4:192.0.2.10/32", 0, V4, "v=spf1 ip4:192.0.2.10" },
	{ "ip4_miss_29", "v=spf1 ip4:192.0.2.0/29", 0, V4, "v=spf1" },
	{ "ip4_match_31", "v=spf1 ip4:192.0.2.11/31", 0, V4, "v=spf1 ip4:192.0.2.10" },
	{ "ip4_v6_client", "v=spf1 ip4:0.0.0.0/0 -all", 0, V6, "v=spf1 -all" },
	{ "ip4_mapped_client", "v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/0 -all", 0, MAPPED,
	  "v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all" },
	{ "ip4_zero", "v=spf1 -ip4:198.51.100.1/0", 0, V4, "v=spf1 -ip4:192.0.2.10" },
	{ "ip6_zero", "v=spf1 a ~ip6:::/0 -all", 0, V6, "v=spf1 a ~ip6:2001:db8::10" },
	{ "ip6_match_64", "v=spf1 ip6:2001:db8::/64 -all", 0, V6, "v=spf1 ip6:2001:db8::10" },
	{ "ip6_miss_128", "v=spf1 ip6:2001:db8::11/128 -all", 0, V6, "v=spf1 -all" },
	{ "ip6_miss_v4_client", "v=spf1 ip6:::/0 -all", 0, V4, "v=spf1 -all" },
	{ "after_all_checked_not_written", "v=spf1 -all ip4:192.0.2.10 a", 0, V4, "v=spf1 -all" },
	{ "after_all_still_checked", "v=spf1 -all ip4:192.0.2.300", 0, V4, NULL },
	{ "after_match_still_checked", "v=spf1 ip4:192.0.2.10 a:nodot", 0, V4, NULL },
	{ "long_list_fits",
	  "v=spf1 ip4:198.51.100.1 ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 "
	  "ip4:198.51.100.5 ip4:198.51.100.6 ip4:192.0.2.10 ip4:198.51.100.7 -all",
	  0, V4, "v=spf1 ip4:192.0.2.10" },
	{ "eleventh_dns_term_ends",
	  "v=spf1 a:n1.x.example mx:n2.x.example ptr include:n4.x.example exists:n5.x.example "
	  "a/0 a a a a a:n11.x.example a:n12.x.example ip4:192.0.2.10 -all",
	  0, V4,
	  "v=spf1 a:n1.x.example mx:n2.x.example ptr include:n4.x.example exists:n5.x.example "
	  "exists:%{d} a a a a a:n11.x.example" },
	/* a and mx with /0 */
	{ "a_zero_v4", "v=spf1 a/0 -all", 0, V4, "v=spf1 exists:%{d} -all" },
	{ "a_domain_zero_v4", "v=spf1 ?a:b.example/0//64", 0, V4, "v=spf1 ?exists:b.example" },
	{ "a_zero_v4_on_v6_client", "v=spf1 a:b.example/0//64", 0, V6, "v=spf1 a:b.example/32//64" },
	{ "a_zero_v6_on_v4_client", "v=spf1 mx/24//0", 0, V4, "v=spf1 mx/24//128" },
	{ "mx_zero_both_v6", "v=spf1 mx/0//0", 0, V6, "v=spf1 mx/32//0" },
	{ "mx_zero_v4_left", "v=spf1 mx/0", 0, V4, "=" },
	/* refused by the grammar */
	{ "not_spf", "v=spf10 -all", 0, V4, NULL },
	{ "no_client_address", "v=spf1 -all", 0, "unknown", NULL },
	{ "tab_separator", "v=spf1\t-all", 0, V4, NULL },
	{ "tab_inside", "v=spf1 -all\t", 0, V4, NULL },
	{ "nul_byte", "v=spf1 -all\0+all", 16, V4, NULL },
	{ "control_byte", "v=spf1 a:b\x01.example -all", 0, V4, NULL },
	{ "eight_bit", "v=spf1 a:b\xc3\xa9.example -all", 0, V4, NULL },
	{ "qualifier_alone", "v=spf1 - all", 0, V4, NULL },
	{ "unknown_mechanism", "v=spf1 ip5:192.0.2.1", 0, V4, NULL },
	{ "all_with_arg", "v=spf1 all:x.example", 0, V4, NULL },
	{ "all_with_cidr", "v=spf1 all/24", 0, V4, NULL },
	{ "include_empty", "v=spf1 include:", 0, V4, NULL },
	{ "include_bare", "v=spf1 include", 0, V4, NULL },
	{ "exists_bare", "v=spf1 exists", 0, V4, NULL },
	{ "include_cidr", "v=spf1 include:b.example/24", 0, V4, NULL },
	{ "exists_cidr", "v=spf1 exists:%{i}.b.example/24", 0, V4, NULL },
	{ "ptr_cidr", "v=spf1 ptr:b.example/24", 0, V4, NULL },
	{ "ptr_bare_cidr", "v=spf1 ptr/24", 0, V4, NULL },
	{ "a_empty_domain", "v=spf1 a:", 0, V4, NULL },
	{ "a_single_label", "v=spf1 a:localhost", 0, V4, NULL },
	{ "a_numeric_toplabel", "v=spf1 a:192.0.2.1", 0, V4, NULL },
	{ "a_toplabel_hyphen_end", "v=spf1 a:b.ex-", 0, V4, NULL },
	{ "a_toplabel_hyphen_start", "v=spf1 a:b.-ex", 0, V4, NULL },
	{ "a_empty_toplabel", "v=spf1 a:b.example..", 0, V4, NULL },
	{ "a_underscore_toplabel", "v=spf1 a:b.ex_ample", 0, V4, NULL },
	{ "a_cidr_33", "v=spf1 a/33", 0, V4, NULL },
	{ "a_cidr_leading_zero", "v=spf1 a/024", 0, V4, NULL },
	{ "a_cidr6_129", "v=spf1 a//129", 0, V4, NULL },
	{ "a_cidr_two_single", "v=spf1 a/24/64", 0, V4, NULL },
	{ "a_cidr_triple", "v=spf1 a:b.example///64", 0, V4, NULL },
	{ "a_cidr_empty", "v=spf1 a/", 0, V4, NULL },
	{ "a_cidr_both_wrong_order", "v=spf1 a//64/24", 0, V4, NULL },
	{ "mx_colon_cidr", "v=spf1 mx:/24", 0, V4, NULL },
	{ "ip4_bad_octet", "v=spf1 ip4:192.0.2.256", 0, V4, NULL },
	{ "ip4_leading_zero", "v=spf1 ip4:192.0.2.01", 0, V4, NULL },
	{ "ip4_three_octets", "v=spf1 ip4:192.0.2", 0, V4, NULL },
	{ "ip4_cidr_33", "v=spf1 ip4:192.0.2.0/33", 0, V4, NULL },
	{ "ip4_cidr_empty", "v=spf1 ip4:192.0.2.0/", 0, V4, NULL },
	{ "ip4_cidr_leading_zero", "v=spf1 ip4:192.0.2.0/08", 0, V4, NULL },
	{ "ip4_dual_cidr", "v=spf1 ip4:192.0.2.0/24//64", 0, V4, NULL },
	{ "ip4_bare", "v=spf1 ip4", 0, V4, NULL },
	{ "ip4_v6_address", "v=spf1 ip4:2001:db8::1", 0, V4, NULL },
	{ "ip6_v4_address", "v=spf1 ip6:192.0.2.1", 0, V4, NULL },
	{ "ip6_bad", "v=spf1 ip6:2001:db8:::1", 0, V4, NULL },
	{ "ip6_cidr_129", "v=spf1 ip6:2001:db8::/129", 0, V4, NULL },
	{ "ip6_double_slash", "v=spf1 ip6:2001:db8:://64", 0, V4, NULL },
	{ "redirect_twice", "v=spf1 redirect=a.example redirect=b.example", 0, V4, NULL },
	{ "exp_twice", "v=spf1 exp=a.example -all EXP=b.example", 0, V4, NULL },
	{ "redirect_empty", "v=spf1 redirect=", 0, V4, NULL },
	{ "redirect_bad_domain", "v=spf1 redirect=nodot", 0, V4, NULL },
	{ "exp_bad_domain", "v=spf1 -all exp=%{d}x", 0, V4, NULL },
	{ "modifier_bad_name", "v=spf1 1x=y", 0, V4, NULL },
	{ "modifier_bad_macro", "v=spf1 x=%y", 0, V4, NULL },
	{ "modifier_qualified", "v=spf1 -redirect=a.example", 0, V4, NULL },
	{ "macro_bad_letter", "v=spf1 exists:%{x}.b.example", 0, V4, NULL },
	{ "macro_c_in_domain", "v=spf1 exists:%{c}.b.example", 0, V4, NULL },
	{ "macro_r_in_domain", "v=spf1 exists:%{r}.b.example", 0, V4, NULL },
	{ "macro_t_in_domain", "v=spf1 redirect=%{t}.b.example", 0, V4, NULL },
	{ "macro_zero_digit", "v=spf1 exists:%{d0}.b.example", 0, V4, NULL },
	{ "macro_zeros_digit", "v=spf1 exists:%{d00r}.b.example", 0, V4, NULL },
	{ "macro_bad_delim", "v=spf1 exists:%{d;}.b.example", 0, V4, NULL },
	{ "macro_unclosed", "v=spf1 exists:%{d.b.example", 0, V4, NULL },
	{ "macro_lone_percent", "v=spf1 exists:%d.b.example", 0, V4, NULL },
	{ "macro_trailing_percent", "v=spf1 x=%", 0, V4, NULL },
	{ "macro_empty", "v=spf1 exists:%{}.b.example", 0, V4, NULL },
	{ "macro_r_before_digits", "v=spf1 exists:%{dr2}.b.example", 0, V4, NULL },
};

static void
test_spfrec_prepare__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rec_case *k = &cases[i];
		size_t len = k->len ? k->len : strlen(k->rec);
		char *out = (char *)1;
		const char *why = NULL;
		int r = spfrec_prepare(k->rec, len, k->client, &out, &why);
		if (k->want == NULL) {
			if (r != -1 || out != NULL || why == NULL)
				fail_msg("%s: accepted \"%s\" as \"%s\"", k->name, k->rec, out ? out : "");
			continue;
		}
		if (r != 0 || out == NULL)
			fail_msg("%s: refused \"%s\": %s", k->name, k->rec, why ? why : "?");
		if (strcmp(out, strcmp(k->want, "=") == 0 ? k->rec : k->want) != 0)
			fail_msg("%s: \"%s\" became \"%s\"", k->name, k->rec, out);
		free(out);
	}
}

static void
test_spfrec_name_ok__table(void **state)
{
	char l63[64], l64[65], long254[260], long253[260];

	(void)state;
	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l64, 'a', 64);
	l64[64] = '\0';
	/* 126 labels "a." make 252 octets */
	for (int i = 0; i < 126; i++)
		memcpy(long253 + 2 * i, "a.", 2);
	memcpy(long253 + 252, "b", 2);  /* 253 octets */
	memcpy(long254, long253, 254);
	memcpy(long254 + 252, "bb", 3); /* 254 octets */
	assert_true(spfrec_name_ok("b.example"));
	assert_true(spfrec_name_ok("b.example."));
	assert_true(spfrec_name_ok(l63));
	assert_true(spfrec_name_ok(long253));
	assert_false(spfrec_name_ok(long254));
	assert_false(spfrec_name_ok(l64));
	assert_false(spfrec_name_ok(""));
	assert_false(spfrec_name_ok("."));
	assert_false(spfrec_name_ok(".b.example"));
	assert_false(spfrec_name_ok("a..example"));
	assert_false(spfrec_name_ok("a.example.."));
	assert_false(spfrec_name_ok("a\\046b.example"));
}

/*
 * Malformed input never crashes it: records of the table cut, spliced and
 * with bytes changed, deterministically; whatever is accepted gives text
 * that is itself accepted and begins with the version.
 */
static void
test_spfrec_prepare__mutations_hold(void **state)
{
	unsigned long seed = 12345;
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	static const char alphabet[] = "v=spf1 :/.%{}-+?~_,aimxptdlsohcrv0123456789\x01\x80";

	(void)state;
	for (int round = 0; round < 20000; round++) {
		char rec[600], *out, *again;
		const char *why;
		size_t len;
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		const struct rec_case *k = &cases[(seed >> 33) % ncases];
		len = k->len ? k->len : strlen(k->rec);
		memcpy(rec, k->rec, len);
		for (int m = 0; m < 3; m++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			size_t at = (seed >> 33) % (len + 1);
			char ch = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
			if ((seed >> 12) % 3 == 0 && len > 0)
				len = at; /* cut */
			else if (at < len)
				rec[at] = ch; /* change */
			else if (len < sizeof(rec) - 1)
				rec[len++] = ch; /* grow */
		}
		if (spfrec_prepare(rec, len, (seed >> 40) % 2 ? V4 : V6, &out, &why) < 0) {
			assert_null(out);
			assert_non_null(why);
			continue;
		}
		assert_int_equal(strncmp(out, "v=spf1", 6), 0);
		assert_int_equal(spfrec_prepare(out, strlen(out), V4, &again, &why), 0);
		free(again);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spfrec_prepare__table),
		cmocka_unit_test(test_spfrec_name_ok__table),
		cmocka_unit_test(test_spfrec_prepare__mutations_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
