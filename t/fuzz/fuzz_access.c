/*
 * fuzz_access.c - the access file loader (lib/policy/access.c), as a
 * sender table and as a client table, on any file; then lookups of a few
 * senders and clients in what loaded, and the verdict of what matched.
 */
#include "fuzz.h"

#include "access.h"
#include "addr.h"
#include "errs.h"

static const char *const senders[] = { "<user@example.net>", "<>", "<user@sub.example.net>",
				       "<postmaster>" };
static const char *const clients[] = { "192.0.2.7", "2001:db8::7", "::ffff:192.0.2.7" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	static const struct reply dflt = { .code = 554, .ecode = "5.7.1", .text = "denied" };

	for (int is_client = 0; is_client < 2; is_client++) {
		struct errs errs = { 0 };
		struct access_table *t = access_load(path, is_client, &errs);
		const struct access_entry *e;
		struct verdict v;

		if (t == NULL && errs.n == 0)
			abort();
		for (size_t i = 0; t != NULL && !is_client && i < sizeof(senders) / sizeof(*senders); i++) {
			struct addr a;
			const char *why;
			if (addr_parse(senders[i], &a, &why) == 0 && (e = access_sender(t, &a)) != NULL)
				access_verdict(e, "sender_access", &dflt, NULL, "fuzz", &v);
		}
		for (size_t i = 0; t != NULL && is_client && i < sizeof(clients) / sizeof(*clients); i++) {
			struct ipaddr ip;
			if (ip_parse(clients[i], &ip) == 0 && (e = access_client(t, &ip)) != NULL)
				access_verdict(e, "client_access", &dflt, NULL, "fuzz", &v);
		}
		access_free(t);
		errs_free(&errs);
	}
	return 0;
}
