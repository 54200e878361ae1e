/*
 * test_fwd.c - BATV tags and SRS addresses: signing and checking, key
 * rotation, expiry, the day's wraparound, case, malformed input, and the
 * key file's refusals
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

#include "batv.h"
#include "keyfile.h"
#include "srs.h"

#define OLD_KEY "the-old-key-of-16-bytes-or-more"
#define NEW_KEY "a-new-key-written-at-the-top-0123"

static struct keyset *
keys_of(const char *text)
{
	char path[] = "/tmp/test_fwd.XXXXXX";
	struct errs errs = { 0 };
	struct keyset *k;
	int fd = mkstemp(path);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	k = keyfile_load(path, &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	unlink(path);
	return k;
}

/* the first error loading text, or "" */
static void
refused(const char *text, const char *want)
{
	char path[] = "/tmp/test_fwd.XXXXXX";
	struct errs errs = { 0 };
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fputs(text, fp);
	fclose(fp);
	assert_null(keyfile_load(path, &errs));
	assert_true(errs.n >= 1);
	assert_non_null(strstr(errs.v[0], want));
	assert_non_null(strstr(errs.v[0], path));
	errs_free(&errs);
	unlink(path);
}

static void
keyfile__refusals__file_line_reason(void **state)
{
	struct errs errs = { 0 };

	(void)state;
	refused("# comment\nshort-key\n", ":2: key of 9 bytes, shorter than 16");
	refused("# nothing but a comment\n\n", "no key in the file");
	refused("k0-0123456789abcdef\nk1-0123456789abcdef\nk2-0123456789abcdef\nk3-0123456789abcdef\n"
		"k4-0123456789abcdef\nk5-0123456789abcdef\nk6-0123456789abcdef\nk7-0123456789abcdef\n"
		"k8-0123456789abcdef\nk9-0123456789abcdef\nkA-0123456789abcdef\n", ":11: more than 10 keys");
	assert_null(keyfile_load("/nonexistent/batv.keys", &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "/nonexistent/batv.keys"));
	errs_free(&errs);
}

static void
batv__sign_then_check__valid_untagged(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n");
	char tagged[300], orig[300];

	(void)state;
	assert_int_equal(batv_sign(k, "alice", "example.org", 20000, 7, tagged, sizeof(tagged)), 0);
	/* prvs=K DDD SSSSSS =local: key 0, expiry day 20007 mod 1000 */
	assert_int_equal(strlen(tagged), strlen("prvs=0007abcdef=alice"));
	assert_memory_equal(tagged, "prvs=0007", 9);
	assert_string_equal(tagged + 15, "=alice");
	for (long day = 20000; day <= 20007; day++)
		assert_int_equal(batv_check(k, tagged, "example.org", day, 7, orig, sizeof(orig)), BATV_VALID);
	assert_string_equal(orig, "alice");
	keyfile_free(k);
}

static void
batv__table__verdicts(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n"), *other = keys_of(OLD_KEY "\n");
	char t[300], upper[300], orig[300];

	(void)state;
	assert_int_equal(batv_sign(k, "Alice", "example.org", 20000, 7, t, sizeof(t)), 0);
	for (size_t i = 0; i <= strlen(t); i++)
		upper[i] = (char)(t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32 : t[i]);
	const struct {
		const char *local, *domain;
		long day;
		enum batv_result want;
	} cases[] = {
		{ t, "example.org", 20000, BATV_VALID },
		{ t, "EXAMPLE.ORG", 20003, BATV_VALID },        /* case of the domain */
		{ upper, "example.org", 20003, BATV_VALID },    /* PRVS=, hex and local part upper-cased */
		{ t, "example.org", 20008, BATV_EXPIRED },      /* a day past its expiry */
		{ t, "example.org", 19990, BATV_EXPIRED },      /* too far ahead: not ours */
		{ t, "example.net", 20000, BATV_BAD },          /* another domain */
		{ "alice", "example.org", 20000, BATV_UNTAGGED },
		{ "prvs=0007zzzzzz=alice", "example.org", 20000, BATV_BAD },
		{ "prvs=0007abcdef", "example.org", 20000, BATV_BAD },
		{ "prvs=0007abcdef=", "example.org", 20000, BATV_BAD },
		{ "prvs=007abcdef=alice", "example.org", 20000, BATV_BAD },
		{ "prvs=", "example.org", 20000, BATV_BAD },
		{ "prvs=0007abcde=alice", "example.org", 20000, BATV_BAD },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum batv_result r = batv_check(k, cases[i].local, cases[i].domain, cases[i].day, 7, orig,
						sizeof(orig));
		if (r != cases[i].want)
			fail_msg("case %zu %s@%s day %ld: %s, want %s", i, cases[i].local, cases[i].domain,
				 cases[i].day, batv_result_name(r), batv_result_name(cases[i].want));
	}
	/* a tag of another key is not ours */
	assert_int_equal(batv_check(other, t, "example.org", 20000, 7, orig, sizeof(orig)), BATV_BAD);
	keyfile_free(k);
	keyfile_free(other);
}

static void
batv__rotation__old_tags_still_verify(void **state)
{
	struct keyset *old = keys_of(OLD_KEY "\n"), *both = keys_of(NEW_KEY "\n" OLD_KEY "\n");
	char by_old[300], by_new[300], orig[300];

	(void)state;
	assert_int_equal(batv_sign(old, "bob", "example.org", 500, 7, by_old, sizeof(by_old)), 0);
	assert_int_equal(batv_sign(both, "bob", "example.org", 500, 7, by_new, sizeof(by_new)), 0);
	assert_string_not_equal(by_old, by_new); /* the first key signs */
	assert_int_equal(batv_check(both, by_old, "example.org", 501, 7, orig, sizeof(orig)), BATV_VALID);
	assert_int_equal(batv_check(both, by_new, "example.org", 501, 7, orig, sizeof(orig)), BATV_VALID);
	assert_int_equal(batv_check(old, by_new, "example.org", 501, 7, orig, sizeof(orig)), BATV_BAD);
	keyfile_free(old);
	keyfile_free(both);
}

static void
batv__day_wraps_at_1000__still_valid(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n");
	char t[300], orig[300];

	(void)state;
	/* signed on day 19997: expires on day 20004, written 004 */
	assert_int_equal(batv_sign(k, "carol", "example.org", 19997, 7, t, sizeof(t)), 0);
	assert_memory_equal(t, "prvs=0004", 9);
	assert_int_equal(batv_check(k, t, "example.org", 19999, 7, orig, sizeof(orig)), BATV_VALID);
	assert_int_equal(batv_check(k, t, "example.org", 20000, 7, orig, sizeof(orig)), BATV_VALID);
	assert_int_equal(batv_check(k, t, "example.org", 20004, 7, orig, sizeof(orig)), BATV_VALID);
	assert_int_equal(batv_check(k, t, "example.org", 20005, 7, orig, sizeof(orig)), BATV_EXPIRED);
	keyfile_free(k);
}

#define DAY 86400L

static void
srs__forward_then_reverse__original_sender(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n");
	char srs[600], back[600];
	long now = 20000 * DAY + 3600;

	(void)state;
	assert_int_equal(srs_forward(k, "Alice", "Origin.example", "srs.example.org", '=', now, srs,
				     sizeof(srs)), 0);
	assert_memory_equal(srs, "SRS0=", 5);
	assert_non_null(strstr(srs, "=Origin.example=Alice@srs.example.org"));
	*strrchr(srs, '@') = '\0';
	assert_int_equal(srs_reverse(k, srs, now, 21, back, sizeof(back)), SRS_VALID);
	assert_string_equal(back, "Alice@Origin.example");
	/* 21 days later still, 22 days later expired */
	assert_int_equal(srs_reverse(k, srs, now + 21 * DAY, 21, back, sizeof(back)), SRS_VALID);
	assert_int_equal(srs_reverse(k, srs, now + 22 * DAY, 21, back, sizeof(back)), SRS_EXPIRED);
	/* the hash is compared without case, as postsrsd does */
	for (char *p = srs; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	assert_int_equal(srs_reverse(k, srs, now, 21, back, sizeof(back)), SRS_VALID);
	keyfile_free(k);
}

static void
srs__timestamp_wraps_at_1024__still_valid(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n");
	char srs[600], back[600];
	long now = (1024 * 20 + 1020) * DAY;

	(void)state;
	assert_int_equal(srs_forward(k, "u", "d.example", "srs.example.org", '+', now, srs, sizeof(srs)), 0);
	assert_memory_equal(srs, "SRS0+", 5);
	*strrchr(srs, '@') = '\0';
	assert_int_equal(srs_reverse(k, srs, now + 10 * DAY, 21, back, sizeof(back)), SRS_VALID);
	assert_int_equal(srs_reverse(k, srs, now + 30 * DAY, 21, back, sizeof(back)), SRS_EXPIRED);
	keyfile_free(k);
}

static void
srs__srs0_sender__becomes_srs1_and_back(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n");
	char srs1[600], again[600], back[600];
	long now = 20000 * DAY;

	(void)state;
	assert_int_equal(srs_forward(k, "SRS0=abcd=XY=orig.example=bob", "fwd1.example", "srs.example.org",
				     '=', now, srs1, sizeof(srs1)), 0);
	assert_memory_equal(srs1, "SRS1=", 5);
	assert_non_null(strstr(srs1, "=fwd1.example==abcd=XY=orig.example=bob@srs.example.org"));
	/* an SRS1 sender keeps its first forwarder, with a hash of ours */
	assert_int_equal(srs_forward(k, "SRS1=zzzz=fwd1.example==abcd=XY=orig.example=bob", "fwd2.example",
				     "srs.example.org", '=', now, again, sizeof(again)), 0);
	assert_string_equal(again, srs1);
	*strrchr(srs1, '@') = '\0';
	assert_int_equal(srs_reverse(k, srs1, now, 21, back, sizeof(back)), SRS_VALID);
	assert_string_equal(back, "SRS0=abcd=XY=orig.example=bob@fwd1.example");
	keyfile_free(k);
}

static void
srs__table__bad_and_not_srs(void **state)
{
	struct keyset *k = keys_of(NEW_KEY "\n"), *rotated = keys_of(OLD_KEY "\n" NEW_KEY "\n");
	char good[600], back[600];
	long now = 20000 * DAY;

	(void)state;
	assert_int_equal(srs_forward(k, "u", "d.example", "srs.example.org", '=', now, good, sizeof(good)), 0);
	*strrchr(good, '@') = '\0';
	assert_int_equal(srs_reverse(rotated, good, now, 21, back, sizeof(back)), SRS_VALID);
	const struct {
		const char *local;
		enum srs_result want;
	} cases[] = {
		{ "alice", SRS_NOT_SRS },
		{ "SRS2=abcd=XY=d.example=u", SRS_NOT_SRS },
		{ "SRS0", SRS_NOT_SRS },
		{ "SRS0=abcd=XY=d.example=u", SRS_BAD },  /* forged hash */
		{ "SRS0=abc=XY=d.example=u", SRS_BAD },   /* short hash */
		{ "SRS0=abcd=X=d.example=u", SRS_BAD },   /* short timestamp */
		{ "SRS0=abcd=X1=d.example=u", SRS_BAD },  /* not base32 */
		{ "SRS0=abcd=XY==u", SRS_BAD },           /* no domain */
		{ "SRS0=abcd=XY=d.example=", SRS_BAD },   /* no user */
		{ "SRS0=abcd=XY", SRS_BAD },
		{ "SRS0=", SRS_BAD },
		{ "SRS1=abcd=fwd.example", SRS_BAD },
		{ "SRS1=abcd==x", SRS_BAD },
		{ "SRS1=abcd=fwd.example==x=y=z=u", SRS_BAD },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum srs_result r = srs_reverse(k, cases[i].local, now, 21, back, sizeof(back));
		if (r != cases[i].want)
			fail_msg("case %zu %s: %s, want %s", i, cases[i].local, srs_result_name(r),
				 srs_result_name(cases[i].want));
	}
	keyfile_free(k);
	keyfile_free(rotated);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keyfile__refusals__file_line_reason),
		cmocka_unit_test(batv__sign_then_check__valid_untagged),
		cmocka_unit_test(batv__table__verdicts),
		cmocka_unit_test(batv__rotation__old_tags_still_verify),
		cmocka_unit_test(batv__day_wraps_at_1000__still_valid),
		cmocka_unit_test(srs__forward_then_reverse__original_sender),
		cmocka_unit_test(srs__timestamp_wraps_at_1024__still_valid),
		cmocka_unit_test(srs__srs0_sender__becomes_srs1_and_back),
		cmocka_unit_test(srs__table__bad_and_not_srs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
