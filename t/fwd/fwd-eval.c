/*
 * fwd-eval.c - doorman's SRS and BATV code from the command line, for the
 * interoperability tests (t/fwd/srs-interop.t.sh) and the real-MTA suite
 *
 *   fwd-eval KEYFILE srs-forward SENDER SRSDOMAIN SEP [NOW]
 *   fwd-eval KEYFILE srs-reverse LOCALPART [NOW] [MAXAGE]
 *   fwd-eval KEYFILE batv-sign SENDER [DAY] [MAXAGE]
 *   fwd-eval KEYFILE batv-check RECIPIENT [DAY] [MAXAGE]
 *
 * prints the result address (or the verdict's name) on stdout; exit 0 when
 * valid, 1 otherwise, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batv.h"
#include "errs.h"
#include "keyfile.h"
#include "srs.h"

static long
arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 10) : def;
}

int
main(int argc, char **argv)
{
	struct errs errs = { 0 };
	struct keyset *k;
	char out[1100], local[512];
	const char *at;
	long now = (long)time(NULL);
	int rc = 1;

	if (argc < 4)
		return 2;
	if ((k = keyfile_load(argv[1], &errs)) == NULL) {
		errs_print(&errs, stderr);
		return 2;
	}
	at = strrchr(argv[3], '@');
	snprintf(local, sizeof(local), "%.*s", at ? (int)(at - argv[3]) : (int)strlen(argv[3]), argv[3]);
	if (strcmp(argv[2], "srs-forward") == 0 && argc >= 6 && at) {
		if (srs_forward(k, local, at + 1, argv[4], argv[5][0], arg(argc, argv, 6, now), out,
				sizeof(out)) == 0) {
			printf("%s\n", out);
			rc = 0;
		}
	} else if (strcmp(argv[2], "srs-reverse") == 0) {
		enum srs_result r = srs_reverse(k, local, arg(argc, argv, 4, now), arg(argc, argv, 5, 21), out,
						sizeof(out));
		printf("%s\n", r == SRS_VALID ? out : srs_result_name(r));
		rc = r == SRS_VALID ? 0 : 1;
	} else if (strcmp(argv[2], "batv-sign") == 0 && at) {
		if (batv_sign(k, local, at + 1, arg(argc, argv, 4, batv_day(now)), arg(argc, argv, 5, 7), out,
			      sizeof(out)) == 0) {
			printf("%s@%s\n", out, at + 1);
			rc = 0;
		}
	} else if (strcmp(argv[2], "batv-check") == 0 && at) {
		enum batv_result r = batv_check(k, local, at + 1, arg(argc, argv, 4, batv_day(now)),
						arg(argc, argv, 5, 7), out, sizeof(out));
		if (r == BATV_VALID)
			printf("%s@%s\n", out, at + 1);
		else
			printf("%s\n", batv_result_name(r));
		rc = r == BATV_VALID ? 0 : 1;
	} else {
		rc = 2;
	}
	keyfile_free(k);
	errs_free(&errs);
	return rc;
}
