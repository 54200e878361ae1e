/*
 * test_hdrval.c - header field values doorman sends: what may end a field
 * early is found and replaced (a HELO with a CR reached Received-SPF raw)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hdrval.h"

static void
hdrval_bad__clean_values__null(void **state)
{
	static const char *const ok[] = {
	    "",
	    "pass (mx.example.org: domain of s@example.net designates 192.0.2.7 as permitted "
	    "sender)",
	    "mx.example.org;\n\tspf=pass smtp.mailfrom=example.net", /* folded by doorman */
	    "a\tb",
	    "a\n b",
	    "caf\xc3\xa9", /* 8-bit: not ours to refuse */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_null(hdrval_bad(ok[i]));
}

static void
hdrval_bad__breaking_bytes__first_one(void **state)
{
	static const struct {
		const char *v;
		size_t at;
	} bad[] = {
	    {"helo=evil\r.example", 9},        /* bare CR */
	    {"helo=evil\r\nX-Injected: 1", 9}, /* CR LF */
	    {"x\nX-Injected: 1", 1},           /* LF that starts a field */
	    {"x\n", 1},                        /* LF at the end */
	    {"a\x01", 1},
	    {"a\x7f", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = hdrval_bad(bad[i].v);
		assert_non_null(p);
		assert_int_equal((size_t)(p - bad[i].v), bad[i].at);
	}
}

static void
hdrval_clean__received_spf_with_cr__replaced(void **state)
{
	char v[] = "pass (mx.example.org) client-ip=192.0.2.7; helo=evil\r\nX-Spam: no;\n\tok";

	(void)state;
	assert_int_equal(hdrval_clean(v), 2);
	assert_string_equal(
	    v, "pass (mx.example.org) client-ip=192.0.2.7; helo=evil??X-Spam: no;\n\tok");
	assert_null(hdrval_bad(v));
	assert_int_equal(hdrval_clean(v), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hdrval_bad__clean_values__null),
	    cmocka_unit_test(hdrval_bad__breaking_bytes__first_one),
	    cmocka_unit_test(hdrval_clean__received_spf_with_cr__replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
