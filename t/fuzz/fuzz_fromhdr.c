/*
 * fuzz_fromhdr.c - the From header field (lib/auth/fromhdr.c): address
 * lists, groups, comments, quoted strings, encoded words, as DMARC reads
 * them.  Several fields of one message (NUL-separated parts) accumulate in
 * one struct auth_msg, as session.c calls it.
 */
#include "fuzz.h"

#include "auth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v[4];
	struct auth_msg m;

	memset(&m, 0, sizeof(m));
	fuzz_lines(data, size, v, 4);
	for (int i = 0; i < 4; i++)
		if (i == 0 || *v[i] != '\0')
			from_field_domains(v[i], &m);
	if (m.from_ndomains > FROM_DOMAINS_MAX)
		abort();
	for (unsigned i = 0; i < m.from_ndomains; i++)
		if (memchr(m.from_domains[i], '\0', sizeof(m.from_domains[i])) == NULL)
			abort();
	auth_msg_reset(&m);
	free(v[0]);
	return 0;
}
