/*
 * test_pattern.c - PCRE2 rules on recipient and sender: syntax, order,
 * actions and replies, errors as file:line, the match limit
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

static struct pattern_set *
load_data(void)
{
	struct errs errs = { 0 };
	struct pattern_set *s = pattern_load(T_DATA "/rcpt_patterns", &errs);

	errs_print(&errs, stderr);
	assert_non_null(s);
	return s;
}

static void
match__table__first_rule_decides(void **state)
{
	static const struct {
		const char *sender, *rcpt;
		int rc, line;
		enum action action;
	} cases[] = {
		{ "s@example.net", "Postmaster@example.org", 1, 2, ACTION_ACCEPT },
		{ "s@example.net", "TRAP7@example.org", 1, 3, ACTION_REJECT },
		{ "s@example.net", "trap@example.org", 0, 0, ACTION_CONTINUE },
		{ "s@example.net", "alice+news@example.org", 1, 4, ACTION_DRYRUN },
		{ "s@example.net", "a/b@example.org", 1, 5, ACTION_TEMPFAIL },
		{ "x@BULK.example", "alice@example.org", 1, 6, ACTION_TEMPFAIL },
		{ "", "alice@example.org", 0, 0, ACTION_CONTINUE },
		{ NULL, "postmaster@example.org", 1, 2, ACTION_ACCEPT },
		{ "x@bulk.example", NULL, 1, 6, ACTION_TEMPFAIL },
	};
	struct pattern_set *s = load_data();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pattern_rule *r;
		int rc = pattern_match(s, cases[i].sender, cases[i].rcpt, &r);
		if (rc != cases[i].rc || (rc == 1 && (r->entry.line != cases[i].line ||
						      r->entry.action != cases[i].action)))
			fail_msg("case %zu: rc %d line %d", i, rc, r ? r->entry.line : 0);
	}
	pattern_free(s);
}

static void
match__rule_reply__kept(void **state)
{
	struct pattern_set *s = load_data();
	const struct pattern_rule *r;
	struct verdict v;

	(void)state;
	assert_int_equal(pattern_match(s, NULL, "trap1@example.org", &r), 1);
	access_verdict(&r->entry, "rcpt_pattern", NULL, "<trap1@example.org>: ", "pattern", &v);
	assert_int_equal(v.reply.code, 550);
	assert_string_equal(v.reply.ecode, "5.1.1");
	assert_string_equal(v.reply.text, "<trap1@example.org>: No such user here");
	pattern_free(s);
}

static void
match__catastrophic_backtracking__undecided(void **state)
{
	struct pattern_set *s = load_data();
	const struct pattern_rule *r;
	char subject[64];

	(void)state;
	memset(subject, 'a', 40);
	strcpy(subject + 40, "!");
	assert_int_equal(pattern_match(s, NULL, subject, &r), -1);
	assert_int_equal(r->entry.line, 7);
	pattern_free(s);
}

static void
load__bad_lines__file_line_reason(void **state)
{
	char path[] = "/tmp/doorman-pattern.XXXXXX", want[256];
	static const char *const reasons[] = {
		":1: \"recipient\": a rule starts with rcpt or sender",
		":2: the pattern must be written /regex/ or /regex/i",
		":3: /(unclosed/: missing closing parenthesis",
		":4: unknown action \"bounce\"",
		":5: reply 550 does not agree with action tempfail",
		":6: after the pattern: flags may be \"i\", then the action",
		":7: the pattern must be written",
	};
	struct errs errs = { 0 };
	FILE *fp = fdopen(mkstemp(path), "w");

	(void)state;
	fputs("recipient /x/ reject\nrcpt x reject\nrcpt /(unclosed/ reject\nrcpt /x/ bounce\n"
	      "rcpt /x/ tempfail 550 5.1.1 no\nrcpt /x/g reject\nsender /x reject\n# fine\n"
	      "rcpt /ok/ accept\n",
	      fp);
	fclose(fp);
	assert_null(pattern_load(path, &errs));
	assert_int_equal(errs.n, 7);
	for (size_t i = 0; i < 7; i++) {
		snprintf(want, sizeof(want), "%s%s", path, reasons[i]);
		if (strstr(errs.v[i], want) == NULL)
			fail_msg("error %zu: got \"%s\", want \"%s\"", i, errs.v[i], want);
	}
	errs_free(&errs);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match__table__first_rule_decides),
		cmocka_unit_test(match__rule_reply__kept),
		cmocka_unit_test(match__catastrophic_backtracking__undecided),
		cmocka_unit_test(load__bad_lines__file_line_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
