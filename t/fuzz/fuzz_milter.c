/*
 * fuzz_milter.c - the milter packet parser and dispatcher (milter/proto.c,
 * through proto_feed()) with doorman's own callbacks (milter/milter.c) and
 * the whole session engine behind them, under t/fuzz/milter.conf.  The
 * input is what an MTA (or anyone who reaches the milter socket) sends:
 * packets of a 32-bit length, a command byte and its data.  No resolver:
 * the DNS checks, SPF, DKIM and DMARC find none and give their temporary
 * failures, as they do when DNS is down.  Log lines go to syslog (nowhere
 * here) so the fuzzer's output stays readable.
 */
#include "fuzz.h"

#include "auth.h"
#include "config.h"
#include "errs.h"
#include "log.h"
#include "milter.h"
#include "proto.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct errs errs = { 0 };
	struct config *c;
	char why[256];

	(void)argc;
	(void)argv;
	if ((c = config_load(FUZZ_DIR "/milter.conf", &errs)) == NULL) {
		errs_print(&errs, stderr);
		abort();
	}
	errs_free(&errs);
	if (auth_init(c->public_suffix_list, c->authserv_id, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		abort();
	}
	log_open("doorman-fuzz", false, LOG_MAIL);
	config_current_set(c);
	milter_set_dns(NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)proto_feed(&milter_filter, data, size);
	return 0;
}
