/*
 * fwd_bench.c - the cost of BATV and SRS per message: signing a sender,
 * checking a bounce recipient (issue 12, bench/README "BATV and SRS")
 *
 * SYNOPSIS
 *	fwd_bench [N [KEYS]]	(defaults 200000 and 3)
 *
 * DESCRIPTION
 *	Writes a key file of KEYS keys of 32 bytes (the rotation case: the
 *	first signs, every one verifies) to a temporary file, loads it as
 *	doorman does (keyfile_load), then times N calls of each operation a
 *	message costs, on distinct addresses:
 *	  batv-sign          the sender of an authenticated user, at end of
 *	                     message (batv_check finds it untagged, then
 *	                     batv_sign), as session_fwd.c does
 *	  batv-check-first   a bounce to a tag of the first key (RCPT)
 *	  batv-check-last    a tag of the last key: every key is tried
 *	  batv-check-bad     a forged tag: every key is tried, none matches
 *	  srs-forward        the sender of a message an alias sends off-site
 *	  srs-reverse-first  a bounce to an SRS address of the first secret
 *	  srs-reverse-last   one of the last secret
 *	  srs-reverse-bad    a forged hash
 *	and prints one line per operation: microseconds of CPU per call
 *	(this thread's CPU clock, so that other work on a shared machine
 *	counts less than with a wall clock), the least of 5 rounds of N/5
 *	calls (the rounds another process disturbed least).  Exits 1
 *	when a result is wrong (a valid tag refused, a forged one accepted),
 *	so the smoke run checks as well as times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batv.h"
#include "errs.h"
#include "keyfile.h"
#include "srs.h"

#define ADDRS 1024

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct keyset *
keys_of(const char *path, int from, int n)
{
	struct errs errs = {0};
	struct keyset *k;
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	for (int i = from; i < from + n; i++)
		fprintf(fp, "bench-key-%02d-0123456789abcdef0123456789\n", i);
	fclose(fp);
	if ((k = keyfile_load(path, &errs)) == NULL) {
		errs_print(&errs, stderr);
		exit(2);
	}
	errs_free(&errs);
	return k;
}

static void
report(const char *what, double t, long n)
{
	printf("%-18s %8.3f us/call\n", what, t * 1e6 / (double)n);
}

#define ROUNDS 5
/* TIMED(name, body): body, with i from 0 to n / ROUNDS, ROUNDS times;
 * the least time of a round reported */
#define TIMED(name, ...)                                                                           \
	do {                                                                                       \
		double best = 0;                                                                   \
		long per = n / ROUNDS > 0 ? n / ROUNDS : 1;                                        \
		for (int r = 0; r < ROUNDS; r++) {                                                 \
			double t0 = now(), dt;                                                     \
			for (long i = 0; i < per; i++) {                                           \
				__VA_ARGS__;                                                       \
			}                                                                          \
			dt = now() - t0;                                                           \
			if (r == 0 || dt < best)                                                   \
				best = dt;                                                         \
		}                                                                                  \
		report(name, best, per);                                                           \
	} while (0)

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	int nkeys = argc > 2 ? atoi(argv[2]) : 3;
	char path[] = "/tmp/fwd_bench.XXXXXX";
	static char batv_first[ADDRS][128], batv_last[ADDRS][128], srs_first[ADDRS][256],
	    srs_last[ADDRS][256];
	char user[ADDRS][32], out[512], orig[512];
	struct keyset *all, *last;
	long now_s = (long)time(NULL), today = batv_day(now_s), bad = 0;
	int fd;

	if (n < 1 || nkeys < 1 || nkeys > KEYFILE_MAX)
		return 2;
	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	all = keys_of(path, 0, nkeys);
	last = keys_of(path, nkeys - 1, 1); /* signs with the last key of all */
	unlink(path);
	for (int i = 0; i < ADDRS; i++) {
		snprintf(user[i], sizeof(user[i]), "user%d.%04x", i,
		         (unsigned)(i * 2654435761U) & 0xffff);
		if (batv_sign(all, user[i], "example.org", today, 7, batv_first[i],
		              sizeof(batv_first[i])) < 0 ||
		    batv_sign(last, user[i], "example.org", today, 7, batv_last[i],
		              sizeof(batv_last[i])) < 0 ||
		    srs_forward(all, user[i], "example.net", "example.org", '=', now_s,
		                srs_first[i], sizeof(srs_first[i])) < 0 ||
		    srs_forward(last, user[i], "example.net", "example.org", '=', now_s,
		                srs_last[i], sizeof(srs_last[i])) < 0)
			return 2;
		*strrchr(srs_first[i], '@') = '\0';
		*strrchr(srs_last[i], '@') = '\0';
	}

	TIMED("batv-sign", {
		const char *u = user[i % ADDRS];
		if (batv_check(all, u, "example.org", 0, 0, out, sizeof(out)) != BATV_UNTAGGED ||
		    batv_sign(all, u, "example.org", today, 7, out, sizeof(out)) < 0)
			bad++;
	});
	TIMED("batv-check-first", {
		bad += batv_check(all, batv_first[i % ADDRS], "example.org", today, 7, orig,
		                  sizeof(orig)) != BATV_VALID;
	});
	TIMED("batv-check-last", {
		bad += batv_check(all, batv_last[i % ADDRS], "example.org", today, 7, orig,
		                  sizeof(orig)) != BATV_VALID;
	});
	TIMED("batv-check-bad", {
		char forged[128];
		snprintf(forged, sizeof(forged), "%s", batv_first[i % ADDRS]);
		/* prvs=KDDD, then the hash */
		memcpy(forged + 9, forged[9] == 'f' ? "000000" : "ffffff", 6);
		bad += batv_check(all, forged, "example.org", today, 7, orig, sizeof(orig)) !=
		       BATV_BAD;
	});

	TIMED("srs-forward", {
		bad += srs_forward(all, user[i % ADDRS], "example.net", "example.org", '=', now_s,
		                   out, sizeof(out)) < 0;
	});
	TIMED("srs-reverse-first", {
		bad += srs_reverse(all, srs_first[i % ADDRS], now_s, 21, orig, sizeof(orig)) !=
		       SRS_VALID;
	});
	TIMED("srs-reverse-last", {
		bad += srs_reverse(all, srs_last[i % ADDRS], now_s, 21, orig, sizeof(orig)) !=
		       SRS_VALID;
	});
	TIMED("srs-reverse-bad", {
		char forged[256];
		snprintf(forged, sizeof(forged), "%s", srs_first[i % ADDRS]);
		memcpy(forged + 5, forged[5] == 'A' ? "BBBB" : "AAAA", 4); /* SRS0= then the hash */
		bad += srs_reverse(all, forged, now_s, 21, orig, sizeof(orig)) != SRS_BAD;
	});

	keyfile_free(all);
	keyfile_free(last);
	if (bad > 0) {
		fprintf(stderr, "fwd_bench: %ld wrong results\n", bad);
		return 1;
	}
	return 0;
}
