/*
 * rcptlist_bench.c - load a recipient list of N generated entries and time
 * lookups of known, tagged and unknown local parts
 *
 * SYNOPSIS
 *	rcptlist_bench [N [LOOKUPS]]	(defaults 1000000 and 2000000)
 *
 * Writes N entries ("user<i>.<hash>" local parts, a mix of bare local
 * parts and full addresses) to a temporary file, opens it as the list of
 * example.org, then looks up LOOKUPS local parts: a third known, a third
 * known with a "+tag", a third unknown.  Prints the load time, the
 * lookup time per call, the re-read time of the changed file, and the
 * resident memory the table added.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rcptlist.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return kb;
}

static void
local_part(char *buf, size_t len, unsigned long i)
{
	snprintf(buf, len, "user%lu.%08lx", i, (i * 2654435761UL) & 0xffffffffUL);
}

static void
write_list(const char *path, unsigned long n)
{
	FILE *fp = fopen(path, "w");
	char local[64];

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	for (unsigned long i = 0; i < n; i++) {
		local_part(local, sizeof(local), i);
		fprintf(fp, i % 2 ? "%s\n" : "%s@example.org\n", local);
	}
	fclose(fp);
}

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000, found = 0;
	char path[] = "/tmp/doorman-rcptbench.XXXXXX", local[80];
	struct errs errs = { 0 };
	struct rcptlist *l;
	double t0, t_load, t_look, t_reread;
	long rss0;
	int fd = mkstemp(path);

	if (fd < 0 || n == 0 || lookups == 0) {
		fprintf(stderr, "usage: rcptlist_bench [N [LOOKUPS]]\n");
		return 2;
	}
	close(fd);
	write_list(path, n);
	rss0 = rss_kb();
	t0 = now();
	l = rcptlist_open(path, "example.org", 0, &errs);
	t_load = now() - t0;
	if (l == NULL) {
		errs_print(&errs, stderr);
		return 1;
	}
	srandom(42);
	t0 = now();
	for (unsigned long i = 0; i < lookups; i++) {
		unsigned long k = (unsigned long)random() % n;
		local_part(local, sizeof(local) - 8, k);
		if (i % 3 == 1)
			strcat(local, "+tag");
		else if (i % 3 == 2)
			strcat(local, "x"); /* unknown */
		found += rcptlist_lookup(l, local, "+");
	}
	t_look = now() - t0;
	/* the same file with one entry more, re-read as a change would be */
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "newuser\n", 8) != 8) {
		perror(path);
		return 1;
	}
	close(fd);
	t0 = now();
	if (rcptlist_refresh(l, &errs) != 1) {
		errs_print(&errs, stderr);
		return 1;
	}
	t_reread = now() - t0;
	printf("entries %lu: load %.3f s, %.0f entries/s; table memory ~%ld MB\n", n, t_load,
	       (double)n / t_load, (rss_kb() - rss0) / 1024);
	printf("lookups %lu (1/3 known, 1/3 tagged, 1/3 unknown): %.0f ns each, %lu found\n",
	       lookups, t_look / (double)lookups * 1e9, found);
	printf("re-read of the changed file: %.3f s\n", t_reread);
	rcptlist_unref(l);
	unlink(path);
	if (found != lookups - lookups / 3) {
		fprintf(stderr, "wrong: %lu found, want %lu\n", found, lookups - lookups / 3);
		return 1;
	}
	return 0;
}
