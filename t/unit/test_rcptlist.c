/*
 * test_rcptlist.c - recipient list files: syntax, case, tags, catch-all,
 * errors as file:line, and re-reading a changed file
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

#include "rcptlist.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/doorman-rcptlist.XXXXXX");
	fd = mkstemp(path);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static struct rcptlist *
open_ok(const char *text, long interval)
{
	struct errs errs = { 0 };
	struct rcptlist *l;

	write_file(text);
	l = rcptlist_open(path, "example.org", interval, &errs);
	errs_print(&errs, stderr);
	assert_non_null(l);
	assert_int_equal(errs.n, 0);
	return l;
}

static void
lookup__entries__bare_full_case_and_tags(void **state)
{
	struct rcptlist *l = open_ok("# users\n\nalice\n  Bob@Example.ORG  \ncarol@example.org.\n"
				     "x+list\nalice\n",
				     0);
	static const struct {
		const char *local, *seps;
		bool want;
	} cases[] = {
		{ "alice", "+", true },	      { "ALICE", "+", true },	  { "bob", "+", true },
		{ "carol", "+", true },	      { "dave", "+", false },	  { "alice+news", "+", true },
		{ "alice-news", "+", false }, { "alice-news", "+-", true }, { "alice+news", "", false },
		{ "x+list", "+", true },      { "x+other", "+", false },  { "+alice", "+", false },
		{ "", "+", false },
	};

	(void)state;
	assert_int_equal(rcptlist_size(l), 4); /* the repeated alice counts once */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (rcptlist_lookup(l, cases[i].local, cases[i].seps) != cases[i].want)
			fail_msg("case %zu: %s (separators \"%s\")", i, cases[i].local, cases[i].seps);
	}
	rcptlist_unref(l);
}

static void
lookup__catchall__every_local_part(void **state)
{
	struct rcptlist *l = open_ok("@EXAMPLE.org\n", 0);

	(void)state;
	assert_true(rcptlist_lookup(l, "anyone", "+"));
	assert_int_equal(rcptlist_size(l), 0);
	rcptlist_unref(l);
}

static void
open__bad_lines__file_line_reason(void **state)
{
	struct errs errs = { 0 };
	char want[256];

	(void)state;
	write_file("ok\nu@other.example\ntwo words\na@b@example.org\n@other.example\n");
	assert_null(rcptlist_open(path, "example.org", 0, &errs));
	assert_int_equal(errs.n, 4);
	snprintf(want, sizeof(want), "%s:2: \"u@other.example\" is not an address in example.org", path);
	assert_non_null(strstr(errs.v[0], want));
	snprintf(want, sizeof(want), "%s:3: \"two words\": one address or local part per line", path);
	assert_non_null(strstr(errs.v[1], want));
	snprintf(want, sizeof(want), "%s:4: ", path);
	assert_non_null(strstr(errs.v[2], want));
	snprintf(want, sizeof(want), "%s:5: ", path);
	assert_non_null(strstr(errs.v[3], want));
	errs_free(&errs);
}

static void
open__missing_file__error_not_empty_list(void **state)
{
	struct errs errs = { 0 };

	(void)state;
	assert_null(rcptlist_open("/nonexistent/users", "example.org", 0, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "/nonexistent/users: cannot open: No such file"));
	errs_free(&errs);
}

static void
refresh__changed_file__swapped_bad_file__kept(void **state)
{
	struct rcptlist *l = open_ok("alice\n", 0);
	struct errs errs = { 0 };

	(void)state;
	assert_int_equal(rcptlist_refresh(l, &errs), 0); /* unchanged */
	write_file("alice\nbob\n");
	assert_int_equal(rcptlist_refresh(l, &errs), 1);
	assert_true(rcptlist_lookup(l, "bob", NULL));
	write_file("bob\nu@other.example\n");
	assert_int_equal(rcptlist_refresh(l, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_true(rcptlist_lookup(l, "alice", NULL)); /* the table in use stays */
	errs_free(&errs);
	rcptlist_unref(l);
}

static void
lookup__file_changes__reread_in_background(void **state)
{
	struct rcptlist *l = open_ok("alice\n", 1);
	bool seen = false;

	(void)state;
	write_file("alice\nbob\ncarol\n");
	/* the file is looked at after 1 s, then loaded by a thread of its own */
	for (int i = 0; i < 60 && !seen; i++) {
		seen = rcptlist_lookup(l, "carol", NULL);
		usleep(50000);
	}
	assert_true(seen);
	assert_int_equal(rcptlist_size(l), 3);
	rcptlist_unref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lookup__entries__bare_full_case_and_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(lookup__catchall__every_local_part, setup, teardown),
		cmocka_unit_test_setup_teardown(open__bad_lines__file_line_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(open__missing_file__error_not_empty_list, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh__changed_file__swapped_bad_file__kept, setup, teardown),
		cmocka_unit_test_setup_teardown(lookup__file_changes__reread_in_background, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
