/*
 * fuzz_alias.c - the alias map loader (lib/policy/alias.c) on any file,
 * then expansion of every key it loaded (recursion, loops, limits) and of
 * a tagged and an unknown address.
 */
#include "fuzz.h"

#include "alias.h"
#include "errs.h"

static void
expand(const struct alias_map *m, const char *addr)
{
	struct alias_list out = { 0 };
	const char *why = NULL;

	(void)alias_has(m, addr, "+");
	if (alias_expand(m, addr, "+", &out, &why) < 0 && why == NULL)
		abort();
	alias_list_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errs errs = { 0 };
	struct alias_map *m = alias_load(fuzz_file(data, size), "+", &errs);

	if (m != NULL) {
		for (size_t i = 0; i < m->n && i < 64; i++)
			expand(m, m->v[i].key);
		expand(m, "user+tag@example.org");
		expand(m, "nobody@nowhere.example");
	} else if (errs.n == 0) {
		abort();
	}
	alias_free(m);
	errs_free(&errs);
	return 0;
}
