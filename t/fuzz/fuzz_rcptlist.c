/*
 * fuzz_rcptlist.c - the recipient list file loader (lib/policy/rcptlist.c)
 * on any file, then lookups in what it loaded: the file's own first line,
 * tagged and untagged, and a few fixed local parts.
 */
#include "fuzz.h"

#include "errs.h"
#include "rcptlist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errs errs = { 0 };
	struct rcptlist *l = rcptlist_open(fuzz_file(data, size), "example.org", 0, &errs);

	if (l != NULL) {
		char *first = fuzz_str(data, size < 300 ? size : 300), *nl = strchr(first, '\n');
		if (nl != NULL)
			*nl = '\0';
		(void)rcptlist_lookup(l, first, "+-");
		(void)rcptlist_lookup(l, "postmaster", "+");
		(void)rcptlist_lookup(l, "user+tag", "+");
		(void)rcptlist_lookup(l, "", "");
		(void)rcptlist_size(l);
		free(first);
	} else if (errs.n == 0) {
		abort(); /* a refused file always says why */
	}
	rcptlist_unref(l);
	errs_free(&errs);
	return 0;
}
