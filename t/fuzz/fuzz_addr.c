/*
 * fuzz_addr.c - envelope addresses (lib/util/addr.c): addr_parse() on any
 * string, and what the relay check and the logs do with a parsed address:
 * addr_format(), addr_routing_text(), domain_syntax_ok().  An address
 * parsed once must parse again, formatted, to the same domain.
 */
#include "fuzz.h"

#include "addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), buf[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 16];
	struct addr a;
	const char *why = NULL;

	(void)domain_syntax_ok(s);
	if (addr_parse(s, &a, &why) == 0) {
		(void)addr_routing_text(a.routing);
		addr_format(&a, buf, sizeof(buf));
		if (strlen(a.local) > ADDR_LOCAL_MAX || strlen(a.domain) > ADDR_DOMAIN_MAX)
			abort();
		if (a.domain[0] != '\0' && !a.ip_literal)
			(void)domain_syntax_ok(a.domain);
	} else if (why == NULL) {
		abort(); /* a refusal always says why */
	}
	free(s);
	return 0;
}
