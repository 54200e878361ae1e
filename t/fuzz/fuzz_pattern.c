/*
 * fuzz_pattern.c - the recipient pattern file loader (lib/policy/pattern.c,
 * PCRE2) on any file, then matches of a few senders and recipients; a
 * runaway pattern must end at the match limit as a temporary failure.
 */
#include "fuzz.h"

#include "errs.h"
#include "pattern.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errs errs = { 0 };
	struct pattern_set *s = pattern_load(fuzz_file(data, size), &errs);

	if (s != NULL) {
		const struct pattern_rule *r;
		(void)pattern_match(s, "user@example.net", "postmaster@example.org", &r);
		(void)pattern_match(s, NULL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org", &r);
		(void)pattern_match(s, "", NULL, &r);
	} else if (errs.n == 0) {
		abort();
	}
	pattern_free(s);
	errs_free(&errs);
	return 0;
}
