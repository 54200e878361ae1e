/*
 * greylist_bench.c - one greylisting decision per RCPT with N stored
 * entries, on LMDB or Redis
 *
 * SYNOPSIS
 *	greylist_bench lmdb DIR [N [DECISIONS [stale]]]
 *	greylist_bench redis HOST:PORT [N [DECISIONS [stale]]]
 *	greylist_bench resp [N [stale]]
 *
 * DESCRIPTION
 *	Triplet i (0 <= i < N) is the client 10.A.B.7 (A.B: i / 16, so 16
 *	triplets share a /24 network), the sender s<i>@bulk<i % 97>.example
 *	and the recipient user<i % 1000>@example.org.  Every triplet is
 *	stored as passed once (postgrey's view of a known sender), its network
 *	with one pass; greylist.auto_allow is 0, so each decision reads the
 *	triplet and the network, as for a client not (yet) auto-allowed.
 *	Keys come from greylist_keys, the function the check itself uses.
 *
 *	lmdb: seeds N entries into a store in DIR (made) through store_put,
 *	prints the time and data.mdb's size, then runs DECISIONS decisions
 *	through the session engine: a session from the triplet's client, MAIL
 *	from its sender, and session_rcpt (relay check, greylisting, its log
 *	line, to /dev/null) timed alone, for triplets picked at random (after
 *	a scan of every entry, as a running doorman has its map's pages
 *	mapped in and Redis its keys in memory).  The
 *	same is done, interleaved, with a policy without greylisting: the
 *	"off" row is the RCPT stage's cost without it.  Then store_grey alone
 *	for another random triplet (the store's part of a decision), and two
 *	getppid system calls (the machine's floor: its noise).  Prints
 *	p50, p99, p999 and how many decisions were "passed" (must be all).
 *	DECISIONS 0: seed only (bench/run-greylist.sh seeds doorman's store).
 *	GREYBENCH_FIFO=1 (root) runs the timed loop under SCHED_FIFO: on a
 *	machine other work keeps busy, the figures are then the code's, not
 *	the scheduler's (one CPU is taken for the few seconds of the loop).
 *
 *	redis: the same against a server already seeded by "resp" (the
 *	Redis protocol of the N seeding SET commands, for redis-cli --pipe:
 *	Redis's own bulk load, a minute faster than one round trip each).
 *
 *	stale: the entries were last renewed more than lifetime/100 ago, so
 *	the first decision of a triplet renews it (a write); otherwise they
 *	are fresh and a decision is a read only (grey_step).
 *
 *	bench/run-greylist-store.sh runs both backends, counts Redis round
 *	trips per decision (MONITOR) and Redis's memory per entry.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "check.h"
#include "config.h"
#include "session.h"
#include "store.h"

#define LIFETIME 3110400L /* greylist.lifetime's default */
#define PER_NET 16

static const char policy_text[] =
    "me: { hostnames = [ \"mx.example.org\" ]; };\n"
    "domains: { local = [ \"example.org\" ]; };\n"
    "store: { backend = \"%s\"; path = \"%s\"; redis = \"%s\"; map_size = 4096; };\n"
    /* greylisting alone: no learned-forwarder lookup at connect (its own bench) */
    "forwarders: { learn = false; };\n"
    "default_policy = \"on\";\n"
    "policies: {\n"
    "  on: { listeners = [ \"on\" ];\n"
    "    greylist: { enabled = true; auto_allow = 0; lifetime = %ld; }; };\n"
    "  off: { listeners = [ \"off\" ]; };\n"
    "};\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct triplet {
	char ip[32], sender[64], rcpt[64];
};

static void
triplet(long i, struct triplet *t)
{
	long n = i / PER_NET;

	snprintf(t->ip, sizeof(t->ip), "10.%ld.%ld.7", (n >> 8) & 255, n & 255);
	snprintf(t->sender, sizeof(t->sender), "s%ld@bulk%ld.example", i, i % 97);
	snprintf(t->rcpt, sizeof(t->rcpt), "user%ld@example.org", i % 1000);
}

/* the keys and values of triplet i as the check would store them */
static void
seed_record(long i, bool stale, int64_t now, struct store_key *tk, struct store_key *nk,
            struct store_val *tv, struct store_val *nv)
{
	struct triplet t;
	struct ipaddr ip;
	int64_t last = stale ? now - LIFETIME / 50 : now - 60;

	triplet(i, &t);
	ip_parse(t.ip, &ip);
	greylist_keys(&ip, 24, t.sender, t.rcpt, tk, nk);
	*tv = (struct store_val){.f = {last - 400, last, 1}, .n = 3};
	*nv = (struct store_val){.f = {1, last}, .n = 2};
}

static void
resp_arg(const char *s, size_t n)
{
	printf("$%zu\r\n%.*s\r\n", n, (int)n, s);
}

static void
resp_set(const struct store_key *k, const struct store_val *v)
{
	char val[128], ttl[32];
	size_t n = store_val_encode(v, val, sizeof(val));

	snprintf(ttl, sizeof(ttl), "%ld", LIFETIME);
	printf("*5\r\n");
	resp_arg("SET", 3);
	resp_arg(k->s, k->len);
	resp_arg(val, n);
	resp_arg("EX", 2);
	resp_arg(ttl, strlen(ttl));
}

static int
resp(long n, bool stale)
{
	int64_t now = store_now();

	for (long i = 0; i < n; i++) {
		struct store_key tk, nk;
		struct store_val tv, nv;

		seed_record(i, stale, now, &tk, &nk, &tv, &nv);
		resp_set(&tk, &tv);
		if (i % PER_NET == 0)
			resp_set(&nk, &nv);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
seed_lmdb(struct store *s, long n, bool stale)
{
	int64_t now = store_now();
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		struct store_key tk, nk;
		struct store_val tv, nv;

		seed_record(i, stale, now, &tk, &nk, &tv, &nv);
		if (store_put(s, &tk, &tv, LIFETIME) != 0 ||
		    (i % PER_NET == 0 && store_put(s, &nk, &nv, LIFETIME) != 0)) {
			fprintf(stderr, "greylist_bench: seeding failed at %ld\n", i);
			return -1;
		}
	}
	printf("seed: %ld entries (and %ld networks) in %.1f s\n", n, (n + PER_NET - 1) / PER_NET,
	       now_s() - t0);
	return 0;
}

static int
count_entry(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	(void)key, (void)v, (void)expires;
	++*(long *)arg;
	return 0;
}

/* microseconds from a to b */
static double
tv_us(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_usec - a->tv_usec);
}

/* store_grey alone for triplet i, as the check calls it: its time in ns */
static long
one_store(struct store *s, long i)
{
	struct grey_params gp = {.now = store_now(), .delay = 300, .window = 86400,
	                         .lifetime = LIFETIME, .auto_allow = 0};
	struct store_key tk, nk;
	struct grey_result r;
	struct triplet t;
	struct ipaddr ip;
	struct timespec a, b;

	triplet(i, &t);
	ip_parse(t.ip, &ip);
	greylist_keys(&ip, 24, t.sender, t.rcpt, &tk, &nk);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (store_grey(s, &tk, &nk, &gp, &r) != 0 || r.state != GREY_PASSED)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return lat_ns(&a, &b);
}

/* one RCPT of triplet i through listener: its time in ns, or -1 when refused */
static long
one_rcpt(struct config *cfg, const char *listener, long i)
{
	struct triplet t;
	char from[80], to[80], host[48];
	struct conn_info ci = {listener, host, t.ip, NULL, NULL};
	struct timespec a, b;
	struct verdict v;
	struct conn *c;

	triplet(i, &t);
	snprintf(host, sizeof(host), "[%s]", t.ip);
	snprintf(from, sizeof(from), "<%s>", t.sender);
	snprintf(to, sizeof(to), "<%s>", t.rcpt);
	c = conn_new(config_ref(cfg), &ci);
	session_connect(c, &v);
	session_helo(c, "client.example.net", &v);
	session_mail(c, from, NULL, &v);
	clock_gettime(CLOCK_MONOTONIC, &a);
	session_rcpt(c, to, &v);
	clock_gettime(CLOCK_MONOTONIC, &b);
	conn_free(c);
	if (v.action != ACTION_CONTINUE)
		return -1;
	return lat_ns(&a, &b);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 3 ? atol(argv[3]) : 1000000, decisions = argc > 4 ? atol(argv[4]) : 200000;
	bool stale = argc > 5 && strcmp(argv[5], "stale") == 0, lmdb = strcmp(mode, "lmdb") == 0;
	char path[300], text[1024];
	uint32_t *on, *off, *sg, *fl;
	struct config *cfg;
	struct store *s;
	unsigned long before[GREYLIST_NCOUNTS], after[GREYLIST_NCOUNTS];
	uint64_t rnd = 88172645463325252ULL;
	long refused = 0;
	int saved, devnull;
	bool fifo;

	if (strcmp(mode, "resp") == 0)
		return resp(argc > 2 ? atol(argv[2]) : 1000000, argc > 3 && strcmp(argv[3], "stale") == 0);
	if ((!lmdb && strcmp(mode, "redis") != 0) || argc < 3 || n < 1 ||
	    (decisions < 100 && decisions != 0)) {
		fprintf(stderr, "usage: greylist_bench lmdb DIR|redis HOST:PORT [N [DECISIONS "
		                "[stale]]] | resp [N [stale]]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s", lmdb ? argv[2] : "/tmp");
	snprintf(text, sizeof(text), policy_text, lmdb ? "lmdb" : "redis", path,
	         lmdb ? "127.0.0.1:1" : argv[2], LIFETIME);
	cfg = bench_config(text);
	if (cfg == NULL || (s = store_shared(cfg)) == NULL)
		return 1;
	if (lmdb) {
		struct stat st;
		char data[320];

		if (seed_lmdb(s, n, stale) < 0)
			return 1;
		snprintf(data, sizeof(data), "%s/data.mdb", path);
		if (stat(data, &st) == 0)
			printf("lmdb: data.mdb %.1f MB for %ld entries: %.1f MB per 1M entries\n",
			       st.st_size / 1e6, n, st.st_size / 1e6 * 1e6 / (double)n);
	}
	if (decisions > 0 && lmdb) {
		/* (LMDB) a running doorman has its map's pages mapped in: a first read of
		 * every entry, so the timing is not of the first page faults */
		struct store_key all;
		long seen = 0;
		double t0 = now_s();

		store_key_init(&all, "grey");
		if (store_scan(s, &all, count_entry, &seen) != 0)
			return 1;
		printf("warm-up: %ld entries read in %.1f s\n", seen, now_s() - t0);
	}
	if (decisions == 0) {
		config_unref(cfg);
		return 0;
	}
	on = calloc((size_t)decisions, sizeof(*on));
	off = calloc((size_t)decisions, sizeof(*off));
	sg = calloc((size_t)decisions, sizeof(*sg));
	fl = calloc((size_t)decisions, sizeof(*fl));
	if (on == NULL || off == NULL || sg == NULL || fl == NULL)
		return 1;
	fifo = getenv("GREYBENCH_FIFO") != NULL && getenv("GREYBENCH_FIFO")[0] == '1';
	if (fifo && sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){.sched_priority = 10}) != 0) {
		perror("greylist_bench: SCHED_FIFO");
		fifo = false;
	}
	greylist_counts(before);
	fflush(stdout);
	saved = dup(2); /* the log lines go to /dev/null: written, not kept */
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	for (long d = 0; d < decisions; d++) {
		long i, ton, toff, tst;

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		i = (long)(rnd % (uint64_t)n);
		ton = one_rcpt(cfg, "on", i);
		toff = one_rcpt(cfg, "off", i);
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		tst = one_store(s, (long)(rnd % (uint64_t)n)); /* another triplet: a cold read */
		if (ton < 0 || toff < 0 || tst < 0)
			refused++;
		on[d] = ton < 0 ? 0 : (uint32_t)(ton > UINT32_MAX ? UINT32_MAX : ton);
		off[d] = toff < 0 ? 0 : (uint32_t)(toff > UINT32_MAX ? UINT32_MAX : toff);
		sg[d] = tst < 0 ? 0 : (uint32_t)(tst > UINT32_MAX ? UINT32_MAX : tst);
		fl[d] = (uint32_t)lat_floor();
	}
	if (fifo)
		sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){.sched_priority = 0});
	/* the client's CPU per decision, user and system apart: store_grey alone,
	 * back to back (the CPU clock counts while other work loads the machine) */
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	for (long d = 0; d < decisions; d++) {
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if (one_store(s, (long)(rnd % (uint64_t)n)) < 0)
			refused++;
	}
	getrusage(RUSAGE_SELF, &ru1);
	dup2(saved, 2);
	close(devnull);
	close(saved);
	greylist_counts(after);
	printf("backend %s, %ld entries, %s%s\n", lmdb ? "lmdb" : "redis", n,
	       stale ? "stale (first decision of a triplet renews it)" : "fresh (decisions read)",
	       fifo ? ", timed under SCHED_FIFO" : "");
	lat_row("rcpt greylist", "decisions", on, decisions);
	lat_row("rcpt no grey", "decisions", off, decisions);
	lat_row("store_grey", "decisions", sg, decisions);
	lat_row("2 syscalls", "decisions", fl, decisions);
	printf("store_grey CPU per decision (this process): user %.2f us  system %.2f us\n",
	       tv_us(&ru0.ru_utime, &ru1.ru_utime) / (double)decisions,
	       tv_us(&ru0.ru_stime, &ru1.ru_stime) / (double)decisions);
	printf("decisions passed %lu of %ld, refused %ld\n",
	       after[GREYLIST_PASSED] - before[GREYLIST_PASSED], decisions, refused);
	free(on);
	free(off);
	free(sg);
	free(fl);
	config_unref(cfg);
	return after[GREYLIST_PASSED] - before[GREYLIST_PASSED] == (unsigned long)decisions &&
	               refused == 0
	           ? 0
	           : 1;
}
