/*
 * fuzz_dnsanswer.c - DNS answers as doorman reads them: the rdata of one
 * record (lib/dns/dns.c dns_rr_text(): A, AAAA, TXT, MX, PTR, NS, CNAME),
 * then what the checks do with its text: a DNSBL answer filter
 * (lib/dns/dnsbl.c bl_zone_accepts(), with filters of each kind) and the
 * SPF layer's record conversion (lib/auth/auth_spf.c rr_add(), static:
 * that file is compiled into this target, which leaves lib/auth alone).
 * Input: one byte choosing the type, then the rdata.
 */
#include "fuzz.h"

#include "../../lib/auth/auth_spf.c"

#include "dnsbl.h"

static const int types[] = { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_TXT, DNS_TYPE_MX,
			     DNS_TYPE_PTR, DNS_TYPE_NS, DNS_TYPE_CNAME };
static struct bl_zone zones[3];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const spec[] = { "zen.example", "bl.example=127.0.0.[2..11]*3",
					    "cidr.example=127.0.0.0/24*2" };
	char why[256];

	(void)argc;
	(void)argv;
	for (int i = 0; i < 3; i++)
		if (bl_zone_parse(spec[i], &zones[i], why, sizeof(why)) < 0)
			abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int type;
	char *t;
	SPF_dns_rr_t *rr;

	if (size < 1 || size > 65536)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(*types))];
	if ((t = dns_rr_text(type, data + 1, (int)(size - 1))) == NULL)
		return 0;
	if (type == DNS_TYPE_A)
		for (int i = 0; i < 3; i++)
			(void)bl_zone_accepts(&zones[i], t);
	if ((rr = SPF_dns_rr_new_init(NULL, "fuzz.example", (ns_type)type, 60, NETDB_SUCCESS)) != NULL) {
		rr_add(rr, type, t);
		rr_add(rr, type, t);
		SPF_dns_rr_free(rr);
	}
	free(t);
	return 0;
}
