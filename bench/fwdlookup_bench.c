/*
 * fwdlookup_bench.c - the learned-forwarder lookup per message (issue
 * 12.7, "one store read"), on LMDB or Redis
 *
 * SYNOPSIS
 *	fwdlookup_bench lmdb DIR [N [LOOKUPS]]		(defaults 100000, 200000)
 *	fwdlookup_bench redis HOST:PORT [N [LOOKUPS]]
 *
 * DESCRIPTION
 *	Seeds N learned forwarders (the "fwd" record of client 10.A.B.C,
 *	C = i % 250 + 1, through forwarder_key and store_put, as fwdlearn_count
 *	writes it) into the store, then times LOOKUPS calls of fwdlearn_known,
 *	the function doorman calls at connect, for a connection (conn_new) of
 *	a client picked at random: alternately a learned forwarder ("known")
 *	and a client that is not one ("unknown": 172.16.A.B, the common case
 *	at an MX).  Every known client must answer true and every unknown one
 *	false (exit 1 otherwise: the smoke run checks as it times).  Prints
 *	p50, p99, p999 and max of each, wall clock (CLOCK_MONOTONIC: a Redis
 *	lookup is a round trip), and two getppid system calls as the
 *	machine's floor.  DIR is made; the Redis server must be running and
 *	is written to (keys "fwd|..." of the test addresses).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "forwarder.h"
#include "fwdlearn.h"
#include "session.h"
#include "store.h"

#define LIFETIME 2592000L

static const char policy_text[] =
    "me: { hostnames = [ \"mx.example.org\" ]; };\n"
    "domains: { local = [ \"example.org\" ]; };\n"
    "store: { backend = \"%s\"; path = \"%s\"; redis = \"%s\"; map_size = 1024; };\n"
    "forwarders: { learn = true; };\n"
    "default_policy = \"mx\";\n"
    "policies: { mx: { listeners = [ \"mx\" ]; }; };\n";

static void
client(long i, bool known, char *buf, size_t len)
{
	if (known)
		snprintf(buf, len, "10.%ld.%ld.%ld", (i / 250) / 256 % 256, (i / 250) % 256,
		         i % 250 + 1);
	else
		snprintf(buf, len, "172.16.%ld.%ld", (i / 250) % 256, i % 250 + 1);
}

static int
seed(struct store *s, long n)
{
	int64_t t = store_now();

	for (long i = 0; i < n; i++) {
		struct store_val v = {.f = {t - 86400, t, 12, 4}, .n = 4};
		struct store_key k;
		struct ipaddr ip;
		char a[48];

		client(i, true, a, sizeof(a));
		if (ip_parse(a, &ip) != 0)
			return -1;
		forwarder_key(&ip, "fwd", NULL, &k);
		if (store_put(s, &k, &v, LIFETIME) != 0) {
			fprintf(stderr, "store_put failed at %ld\n", i);
			return -1;
		}
	}
	return 0;
}

/* fwdlearn_known for a connection of client i: its time in ns, -1 when wrong */
static long
one(struct config *cfg, long i, bool known)
{
	char addr[48], host[56];
	struct conn_info ci = {"mx", host, addr, NULL, NULL};
	struct timespec a, b;
	struct conn *c;
	bool r;

	client(i, known, addr, sizeof(addr));
	snprintf(host, sizeof(host), "[%s]", addr);
	c = conn_new(config_ref(cfg), &ci);
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = fwdlearn_known(c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	conn_free(c);
	return r == known ? lat_ns(&a, &b) : -1;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	bool lmdb = strcmp(mode, "lmdb") == 0;
	long n = argc > 3 ? atol(argv[3]) : 100000, lookups = argc > 4 ? atol(argv[4]) : 200000;
	char text[1024];
	uint64_t rnd = 88172645463325252ULL;
	uint32_t *kn, *un, *fl;
	struct config *cfg;
	struct store *s;
	long wrong = 0, half;

	if ((!lmdb && strcmp(mode, "redis") != 0) || argc < 3 || n < 1 || lookups < 100) {
		fprintf(stderr, "usage: fwdlookup_bench lmdb DIR|redis HOST:PORT [N [LOOKUPS]]\n");
		return 2;
	}
	snprintf(text, sizeof(text), policy_text, lmdb ? "lmdb" : "redis", lmdb ? argv[2] : "/tmp",
	         lmdb ? "127.0.0.1:1" : argv[2]);
	cfg = bench_config(text);
	if (cfg == NULL || (s = store_shared(cfg)) == NULL)
		return 1;
	if (seed(s, n) < 0)
		return 1;
	half = lookups / 2;
	kn = calloc((size_t)half, sizeof(*kn));
	un = calloc((size_t)half, sizeof(*un));
	fl = calloc((size_t)half, sizeof(*fl));
	if (kn == NULL || un == NULL || fl == NULL)
		return 1;
	/* a first pass over every record: a running doorman has its pages mapped in */
	for (long i = 0; i < n; i++)
		if (one(cfg, i, true) < 0)
			wrong++;
	for (long j = 0; j < half; j++) {
		long t;

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if ((t = one(cfg, (long)(rnd % (uint64_t)n), true)) < 0)
			wrong++;
		kn[j] = (uint32_t)(t < 0 ? 0 : t);
		if ((t = one(cfg, (long)(rnd >> 20) % n, false)) < 0)
			wrong++;
		un[j] = (uint32_t)(t < 0 ? 0 : t);
		fl[j] = (uint32_t)lat_floor();
	}
	printf("%s: %ld learned forwarders; fwdlearn_known per connection\n", mode, n);
	lat_row("known", "lookups", kn, half);
	lat_row("unknown", "lookups", un, half);
	lat_row("floor", "lookups", fl, half);
	free(kn);
	free(un);
	free(fl);
	config_unref(cfg);
	if (wrong > 0) {
		printf("%ld wrong answers\n", wrong);
		return 1;
	}
	return 0;
}
