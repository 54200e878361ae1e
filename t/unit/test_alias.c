/*
 * test_alias.c - alias maps: lookup order, recursive expansion without
 * duplicates, domain aliases, self copies, limits and load errors
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

#include "alias.h"

static struct alias_map *
load_data(void)
{
	struct errs errs = { 0 };
	struct alias_map *m = alias_load(T_DATA "/aliases", "+", &errs);

	errs_print(&errs, stderr);
	assert_non_null(m);
	return m;
}

static void
expand__table__final_addresses(void **state)
{
	static const struct {
		const char *addr;
		int rc;
		const char *want; /* the final addresses, joined with ' ' */
	} cases[] = {
		{ "sales@example.org", 1, "alice@example.org bob@example.org" },
		{ "SALES+x@example.org", 1, "alice@example.org bob@example.org" },
		{ "info@example.org", 1, "alice@example.org bob@example.org carol@example.org" },
		{ "team@example.org", 1, "alice@example.org bob@example.org carol@example.org" },
		{ "keep@example.org", 1, "keep@example.org archive@example.org" },
		{ "Joe@old.example", 1, "Joe@example.org" },
		{ "joe@legacy.example", 1, "postmaster@example.org" },
		{ "alice@example.org", 0, "" },
		{ "sales@other.example", 0, "" },
	};
	struct alias_map *m = load_data();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alias_list out = { 0 };
		char got[512] = "";
		const char *why;
		int rc = alias_expand(m, cases[i].addr, "+", &out, &why);
		for (size_t j = 0; j < out.n; j++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", j ? " " : "", out.v[j]);
		if (rc != cases[i].rc || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: %s: rc %d, \"%s\"", i, cases[i].addr, rc, got);
		assert_int_equal(alias_has(m, cases[i].addr, "+"), rc == 1);
		alias_list_free(&out);
	}
	alias_free(m);
}

static void
load__errors__file_line_reason(void **state)
{
	char path[] = "/tmp/doorman-alias.XXXXXX", want[256];
	static const char *const reasons[] = {
		":1: \"nodomain\": a key is user@domain or @domain",
		":2: \"@x.example\": a target is user@domain (or @domain after an @domain key)",
		":3: \"c@example.org\" has no target",
		":5: duplicate key \"d@example.org\" (also line 4)",
	};
	struct errs errs = { 0 };
	FILE *fp = fdopen(mkstemp(path), "w");

	(void)state;
	fputs("nodomain a@example.org\nb@example.org @x.example\nc@example.org\n"
	      "d@example.org a@example.org\nD@example.org b@example.org\n",
	      fp);
	fclose(fp);
	assert_null(alias_load(path, "+", &errs));
	assert_int_equal(errs.n, 4);
	for (size_t i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s%s", path, reasons[i]);
		if (strstr(errs.v[i], want) == NULL)
			fail_msg("error %zu: got \"%s\", want \"%s\"", i, errs.v[i], want);
	}
	errs_free(&errs);
	unlink(path);
}

static void
load__loop__refused(void **state)
{
	char path[] = "/tmp/doorman-alias.XXXXXX";
	struct errs errs = { 0 };
	FILE *fp = fdopen(mkstemp(path), "w");

	(void)state;
	fputs("a@example.org b@example.org\nb@example.org c@example.org\nc@example.org a@example.org\n"
	      "ok@example.org x@example.org\n",
	      fp);
	fclose(fp);
	assert_null(alias_load(path, "+", &errs));
	assert_int_equal(errs.n, 3);
	assert_non_null(strstr(errs.v[0], ":1: \"a@example.org\": alias loop, or deeper than 10 levels"));
	errs_free(&errs);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expand__table__final_addresses),
		cmocka_unit_test(load__errors__file_line_reason),
		cmocka_unit_test(load__loop__refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
