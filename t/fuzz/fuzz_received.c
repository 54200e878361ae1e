/*
 * fuzz_received.c - the hop of a Received field (lib/auth/received.c), as a
 * learned forwarder's field is read: the input is given with its length and
 * no terminating NUL, so a read past the end is an ASan report.
 */
#include "fuzz.h"

#include <sys/socket.h>

#include "received.h"

static void
terminated(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct received_from r;
	char *v = malloc(size ? size : 1);

	memcpy(v, data, size);
	if (received_parse(v, size, &r) == 0) {
		terminated(r.helo, sizeof(r.helo));
		terminated(r.name, sizeof(r.name));
		terminated(r.by, sizeof(r.by));
		if (r.addr.family != AF_INET && r.addr.family != AF_INET6)
			abort();
	}
	free(v);
	return 0;
}
