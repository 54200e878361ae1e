/*
 * bench.h - helpers shared by the benchmarks that time single operations
 * (greylist_bench, fwdlookup_bench)
 *
 *	bench_config(text)	the policy TEXT loaded as doorman loads a file
 *				(through a temporary file, removed), errors
 *				printed; NULL when refused
 *	lat_ns(&a, &b)		nanoseconds from a to b (CLOCK_MONOTONIC stamps)
 *	lat_floor()		two getppid system calls that do nothing, in ns:
 *				the machine's floor; on a VM where a system call
 *				is slow and sometimes very slow, it names the
 *				noise every other row carries
 *	lat_row(name, what, ns, n)	sorts ns[0..n) and prints one line:
 *				NAME WHAT N  p50 p99 p999 max, in microseconds
 */
#ifndef DOORMAN_BENCH_H
#define DOORMAN_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "errs.h"

static inline struct config *
bench_config(const char *text)
{
	char file[] = "/tmp/doorman-bench.XXXXXX";
	struct errs errs = {0};
	struct config *cfg;
	FILE *fp;
	int fd;

	if ((fd = mkstemp(file)) < 0)
		return NULL;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(file);
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	cfg = config_load(file, &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	unlink(file);
	return cfg;
}

static inline long
lat_ns(const struct timespec *a, const struct timespec *b)
{
	return (long)((b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec));
}

static inline long
lat_floor(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	syscall(SYS_getppid);
	syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return lat_ns(&a, &b);
}

static inline int
lat_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static inline void
lat_row(const char *name, const char *what, uint32_t *ns, long n)
{
	qsort(ns, (size_t)n, sizeof(*ns), lat_cmp);
	printf("%-14s %s %ld  p50 %.1f us  p99 %.1f us  p999 %.1f us  max %.1f us\n", name, what, n,
	       ns[n / 2] / 1e3, ns[(long)(n * 0.99)] / 1e3, ns[(long)(n * 0.999)] / 1e3,
	       ns[n - 1] / 1e3);
}

#endif
