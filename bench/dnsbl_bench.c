/*
 * dnsbl_bench.c - connect-stage decision time with DNSBL zones
 *
 * dnsbl_bench POLICY_FILE N: for the policies "one" (1 zone) and "five"
 * (5 zones) of POLICY_FILE, times N connect stages (session_connect, the
 * same code a milter connect callback runs) cold (a new client address
 * each time: nothing cached) and cached (one address, asked before).
 * Prints one line per case: median and p99 in milliseconds.
 * run-dnsbl.sh starts the DNS server and writes the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dns.h"
#include "session.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
run(struct config *cfg, struct dns *d, const char *policy, bool cold, int n, int round, double *p99)
{
	double *t = calloc((size_t)n, sizeof(double)), median;

	for (int i = 0; i < n; i++) {
		char addr[32];
		struct conn_info ci = { policy, "bench.example", addr, NULL, d };
		struct verdict v;
		struct conn *c;
		double t0;

		/* 198.18.0.0/15 (RFC 2544 benchmarking): only ever a DNS query name */
		if (cold)
			snprintf(addr, sizeof(addr), "198.%d.%d.%d", 18 + round % 2, (i >> 8) & 255, i & 255);
		else
			snprintf(addr, sizeof(addr), "198.19.255.%d", round);
		c = conn_new(config_ref(cfg), &ci);
		t0 = now_ms();
		session_connect(c, &v);
		t[i] = now_ms() - t0;
		conn_free(c);
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	median = t[n / 2];
	*p99 = t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	free(t);
	return median;
}

int
main(int argc, char **argv)
{
	struct errs errs = { 0 };
	struct config *cfg;
	struct dns *d;
	char why[256];
	int n;
	double p99, cold1, cold5;

	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: dnsbl_bench POLICY_FILE N\n");
		return 2;
	}
	if ((cfg = config_load(argv[1], &errs)) == NULL) {
		errs_print(&errs, stderr);
		return 1;
	}
	if ((d = config_resolver_new(cfg, why, sizeof(why))) == NULL) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	/* warm the path to the server, and the cached address */
	run(cfg, d, "five", false, 3, 1, &p99);
	run(cfg, d, "one", false, 3, 1, &p99);

	cold1 = run(cfg, d, "one", true, n, 0, &p99);
	printf("dnsbl 1 zone  cold:   median %.3f ms  p99 %.3f ms\n", cold1, p99);
	cold5 = run(cfg, d, "five", true, n, 1, &p99);
	printf("dnsbl 5 zones cold:   median %.3f ms  p99 %.3f ms\n", cold5, p99);
	printf("dnsbl 1 zone  cached: median %.3f ms\n", run(cfg, d, "one", false, n, 1, &p99));
	printf("dnsbl 5 zones cached: median %.3f ms\n", run(cfg, d, "five", false, n, 1, &p99));
	printf("ratio 5 zones / 1 zone, cold: %.2f (target <= 1.5)\n", cold5 / cold1);
	dns_free(d);
	config_unref(cfg);
	errs_free(&errs);
	return 0;
}
