/*
 * fuzz_reply.c - replies and actions (lib/util/reply.c): reply_parse() of
 * any policy text, then what a verdict does with a parsed reply:
 * reply_format(), reply_agrees(), reply_class_action(), reply_build() with
 * a prefix (the DNSBL and SPF texts put before or after it come from DNS).
 * A reply that parsed must format to a line the MTA takes: a 4xx or 5xx
 * code, no CR or LF.
 */
#include "fuzz.h"

#include "reply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v[2], why[512], line[1024];
	struct reply r;
	enum action a;

	fuzz_lines(data, size, v, 2);
	(void)action_parse(v[0], &a);
	if (reply_parse(v[0], &r, why, sizeof(why)) == 0) {
		reply_format(&r, line, sizeof(line));
		if (r.code < 400 || r.code > 599 || strpbrk(line, "\r\n") != NULL)
			abort();
		(void)reply_class_action(&r);
		for (a = ACTION_REJECT; a <= ACTION_TEMPFAIL; a = (enum action)(a + 1)) {
			struct reply out;
			(void)reply_agrees(a, &r);
			reply_build(a, &r, v[1], &out);
			reply_format(&out, line, sizeof(line));
			if (strpbrk(line, "\r\n") != NULL)
				abort();
		}
	}
	free(v[0]);
	return 0;
}
