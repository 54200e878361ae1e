/*
 * fuzz_config.c - the policy file loader (lib/policy/config.c and the
 * schema, lib/policy/schema.c) on any file: what `doorman -n` and every
 * reload (SIGUSR1) run on a file the postmaster wrote.  A file is either
 * loaded or refused with at least one reason, never half-loaded; a loaded
 * one answers the questions the daemon asks of it.  The data files it may
 * name are looked up relative to /tmp, where the input is written.
 */
#include "fuzz.h"

#include "config.h"
#include "errs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errs errs = { 0 };
	struct config *c = config_load(fuzz_file(data, size), &errs);

	if (c != NULL) {
		if (errs.n != 0 || c->default_policy == NULL)
			abort();
		(void)config_policy_for(c, "inbound");
		(void)config_holds_until_rcpt(c);
		config_unref(c);
	} else if (errs.n == 0) {
		abort(); /* a refused file always says why */
	}
	errs_free(&errs);
	return 0;
}
