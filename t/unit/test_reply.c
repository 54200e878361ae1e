/*
 * test_reply.c - reply parsing and building, actions
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "reply.h"

static void
reply_parse__valid__fields(void **state)
{
	struct reply r;
	char why[256];

	(void)state;
	assert_int_equal(reply_parse("554 5.7.1 Relay access denied", &r, why, sizeof(why)), 0);
	assert_int_equal(r.code, 554);
	assert_string_equal(r.ecode, "5.7.1");
	assert_string_equal(r.text, "Relay access denied");
	assert_int_equal(reply_parse("451 4.3.0 try  later", &r, why, sizeof(why)), 0);
	assert_string_equal(r.text, "try  later");
	assert_int_equal(reply_parse("550 5.123.456 x", &r, why, sizeof(why)), 0);
}

static void
reply_parse__invalid__error(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "250 2.0.0 fine", "not a 4xx or 5xx" },
		{ "354 3.0.0 x", "not a 4xx or 5xx" },
		{ "600 5.0.0 x", "not a 4xx or 5xx" },
		{ "55 5.7.1 x", "3-digit code" },
		{ "554", "3-digit code" },
		{ "554 Relay denied", "not an enhanced status code" },
		{ "554 4.7.1 class differs", "does not agree" },
		{ "451 5.7.1 class differs", "does not agree" },
		{ "554 5.7 short", "not an enhanced status code" },
		{ "554 5.7.1000 long detail", "not an enhanced status code" },
		{ "554 5.7.1", "no text" },
		{ "554 5.7.1    ", "no text" },
		{ "554 5.7.1 tab\there", "printable" },
		{ "554 5.7.1 caf\xc3\xa9", "printable" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct reply r;
		char why[256] = "";

		print_message("case %s\n", bad[i].in);
		assert_int_equal(reply_parse(bad[i].in, &r, why, sizeof(why)), -1);
		assert_non_null(strstr(why, bad[i].why));
	}
}

static void
reply_parse__too_long__error(void **state)
{
	char in[REPLY_TEXT_MAX + 32], why[256];
	struct reply r;

	(void)state;
	strcpy(in, "554 5.7.1 ");
	memset(in + 10, 'x', REPLY_TEXT_MAX + 1);
	in[10 + REPLY_TEXT_MAX + 1] = '\0';
	assert_int_equal(reply_parse(in, &r, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than"));
}

static void
reply_build__tempfail_from_5xx__4xx(void **state)
{
	struct reply in, out;
	char why[64];

	(void)state;
	assert_int_equal(reply_parse("554 5.7.1 denied", &in, why, sizeof(why)), 0);
	reply_build(ACTION_TEMPFAIL, &in, NULL, &out);
	assert_int_equal(out.code, 454);
	assert_string_equal(out.ecode, "4.7.1");
	assert_string_equal(out.text, "denied");
	/* 504 would become 404, a code RFC 5321 does not define: 451 */
	assert_int_equal(reply_parse("504 5.5.2 name", &in, why, sizeof(why)), 0);
	reply_build(ACTION_TEMPFAIL, &in, NULL, &out);
	assert_int_equal(out.code, 451);
	assert_string_equal(out.ecode, "4.5.2");
	/* 521 would become 421, which closes the session: never */
	assert_int_equal(reply_parse("521 5.3.2 down", &in, why, sizeof(why)), 0);
	reply_build(ACTION_TEMPFAIL, &in, NULL, &out);
	assert_int_equal(out.code, 451);
}

static void
reply_build__reject_from_4xx__5xx(void **state)
{
	struct reply in, out;
	char why[64];

	(void)state;
	assert_int_equal(reply_parse("450 4.7.1 later", &in, why, sizeof(why)), 0);
	reply_build(ACTION_REJECT, &in, "<a@b.example>: ", &out);
	assert_int_equal(out.code, 550);
	assert_string_equal(out.ecode, "5.7.1");
	assert_string_equal(out.text, "<a@b.example>: later");
}

static void
reply_build__unprintable_prefix__replaced(void **state)
{
	struct reply in, out;
	char why[64];

	(void)state;
	assert_int_equal(reply_parse("554 5.7.1 no", &in, why, sizeof(why)), 0);
	reply_build(ACTION_REJECT, &in, "<a\r\nb\x80>: ", &out);
	assert_string_equal(out.text, "<a??b?>: no");
}

static void
reply_build__huge_prefix__fits_line(void **state)
{
	struct reply in, out;
	char why[64], prefix[2000], line[1024];

	(void)state;
	assert_int_equal(reply_parse("554 5.7.1 no", &in, why, sizeof(why)), 0);
	memset(prefix, 'p', sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
	reply_build(ACTION_REJECT, &in, prefix, &out);
	reply_format(&out, line, sizeof(line));
	assert_true(strlen(line) <= REPLY_LINE_MAX);
	assert_int_equal(out.code, 554);
}

static void
reply_build__no_configured__fallback(void **state)
{
	struct reply empty = { 0 }, out;

	(void)state;
	reply_build(ACTION_REJECT, NULL, NULL, &out);
	assert_int_equal(out.code / 100, 5);
	assert_int_equal(out.ecode[0], '5');
	assert_true(out.text[0] != '\0');
	reply_build(ACTION_TEMPFAIL, &empty, NULL, &out);
	assert_int_equal(out.code / 100, 4);
	assert_int_equal(out.ecode[0], '4');
}

static void
reply_agrees__classes(void **state)
{
	struct reply r5 = { 554, "5.7.1", "x", 0 }, r4 = { 451, "4.3.0", "x", 0 };

	(void)state;
	assert_true(reply_agrees(ACTION_REJECT, &r5));
	assert_false(reply_agrees(ACTION_REJECT, &r4));
	assert_true(reply_agrees(ACTION_TEMPFAIL, &r4));
	assert_false(reply_agrees(ACTION_TEMPFAIL, &r5));
	assert_true(reply_agrees(ACTION_DRYRUN, &r5));
}

static void
action_parse__names(void **state)
{
	enum action a;

	(void)state;
	assert_int_equal(action_parse("reject", &a), 0);
	assert_int_equal(a, ACTION_REJECT);
	assert_int_equal(action_parse("TEMPFAIL", &a), 0);
	assert_int_equal(a, ACTION_TEMPFAIL);
	assert_int_equal(action_parse("defer", &a), 0);
	assert_int_equal(a, ACTION_TEMPFAIL);
	assert_int_equal(action_parse("OK", &a), 0);
	assert_int_equal(a, ACTION_ACCEPT);
	assert_int_equal(action_parse("dryrun", &a), 0);
	assert_int_equal(a, ACTION_DRYRUN);
	assert_int_equal(action_parse("continue", &a), -1);
	assert_int_equal(action_parse("discard", &a), -1);
	assert_int_equal(action_parse("", &a), -1);
	assert_string_equal(action_name(ACTION_REJECT), "reject");
}

static void
verdict_set__dryrun__would_from_reply_class(void **state)
{
	struct rule r = { ACTION_DRYRUN, { 450, "4.7.1", "later", 0 } };
	struct verdict v;

	(void)state;
	verdict_set(&v, "x", &r, NULL, NULL);
	assert_int_equal(v.action, ACTION_DRYRUN);
	assert_int_equal(v.would, ACTION_TEMPFAIL);
	assert_int_equal(v.reply.code, 450);
	r.action = ACTION_ACCEPT;
	verdict_set(&v, "x", &r, NULL, NULL);
	assert_int_equal(v.reply.code, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_parse__valid__fields),
		cmocka_unit_test(reply_parse__invalid__error),
		cmocka_unit_test(reply_parse__too_long__error),
		cmocka_unit_test(reply_build__tempfail_from_5xx__4xx),
		cmocka_unit_test(reply_build__reject_from_4xx__5xx),
		cmocka_unit_test(reply_build__unprintable_prefix__replaced),
		cmocka_unit_test(reply_build__huge_prefix__fits_line),
		cmocka_unit_test(reply_build__no_configured__fallback),
		cmocka_unit_test(reply_agrees__classes),
		cmocka_unit_test(action_parse__names),
		cmocka_unit_test(verdict_set__dryrun__would_from_reply_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
