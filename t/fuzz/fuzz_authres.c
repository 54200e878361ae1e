/*
 * fuzz_authres.c - Authentication-Results removal (lib/auth/authres.c):
 * authres_claims() decides which incoming fields claim our authserv-id and
 * are removed.  The input is the field value, then (after a NUL) the id;
 * the shipped id is tried too.
 */
#include "fuzz.h"

#include "auth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v[2];

	fuzz_lines(data, size, v, 2);
	(void)authres_claims(v[0], "mx.example.org");
	(void)authres_claims(v[0], v[1]);
	free(v[0]);
	return 0;
}
