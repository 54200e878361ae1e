/*
 * fuzz_cidr.c - addresses and CIDR blocks (lib/util/cidr.c): cidr_parse()
 * of a policy or access-file item, ip_parse() of a client address, and
 * the match between them.  Input: the block, a NUL, the address.  A
 * parsed address must format and parse back to itself.
 */
#include "fuzz.h"

#include "cidr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v[2], why[256], buf[64];
	struct cidr c;
	struct ipaddr ip, again;
	bool have_c;

	fuzz_lines(data, size, v, 2);
	have_c = cidr_parse(v[0], &c, why, sizeof(why)) == 0;
	if (ip_parse(v[1], &ip) == 0) {
		ip_format(&ip, buf, sizeof(buf));
		if (ip_parse(buf, &again) != 0 || !ip_equal(&ip, &again))
			abort();
		if (have_c) {
			struct cidrlist l = { .v = &c, .n = 1 };
			(void)cidr_match(&c, &ip);
			(void)cidrlist_match(&l, &ip);
		}
	}
	free(v[0]);
	return 0;
}
