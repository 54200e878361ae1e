/*
 * test_store.c - the state store: keys, values, greylisting's step, and
 * every operation through both backends, LMDB in a private directory and
 * a private redis-server (no persistence) this test starts on a unix
 * socket and on 127.0.0.1:18801, stops, freezes and starts again.
 *
 * Each backend case runs on a (ops, handle) pair; LMDB cases give the
 * clock themselves (no sleeping), Redis keeps its own expiry clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define REDIS_PORT "18801"
#define REDIS_PASSWORD "t3st-pass"

static char dir[] = "/tmp/doorman-store.XXXXXX";
static char sock[256], sockspec[300], logfile[300];
static pid_t redis_pid;

/* ---- a private redis-server ---- */

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
redis_start(void)
{
	struct stat st;
	int64_t end = ms_now() + 10000;

	unlink(sock);
	if ((redis_pid = fork()) == 0) {
		execlp("redis-server", "redis-server", "--port", REDIS_PORT, "--bind", "127.0.0.1",
		       "--unixsocket", sock, "--save", "", "--appendonly", "no", "--requirepass",
		       REDIS_PASSWORD, "--dir", dir, "--loglevel", "warning", "--logfile", logfile,
		       (char *)NULL);
		_exit(127);
	}
	assert_true(redis_pid > 0);
	/* ready once its socket exists (bounded: a missing redis-server fails) */
	while (stat(sock, &st) != 0) {
		assert_true(ms_now() < end);
		usleep(20000);
	}
}

static void
redis_stop(void)
{
	kill(redis_pid, SIGTERM);
	waitpid(redis_pid, NULL, 0);
	redis_pid = 0;
}

/* a raw command to the test server, outside the store */
static void
redis_raw(const char *cmd, const char *a1, const char *a2)
{
	redisContext *c = redisConnectUnix(sock);
	redisReply *r;

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	freeReplyObject(redisCommand(c, "AUTH %s", REDIS_PASSWORD));
	r = a2   ? redisCommand(c, cmd, a1, a2)
	    : a1 ? redisCommand(c, cmd, a1)
	         : redisCommand(c, cmd);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	redisFree(c);
}

/* ---- the backends under test ---- */

struct be {
	const struct store_ops *ops;
	void *h;
	bool lmdb;
};

static struct be lmdb_be, redis_be;

static void *
open_redis(const char *spec, const char *password, long pool)
{
	char why[256] = "";
	struct store_opts o = {.backend = STORE_REDIS,
	                       .redis = spec,
	                       .redis_password = password,
	                       .redis_database = 3,
	                       .redis_pool = pool,
	                       .timeout_ms = 300};
	void *h = store_redis_ops.open(&o, why, sizeof(why));

	if (h == NULL)
		fail_msg("redis open: %s", why);
	return h;
}

static int
setup(void **state)
{
	char why[256] = "", path[300];
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 16, .timeout_ms = 300};

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(sockspec, sizeof(sockspec), "unix:%s", sock);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	snprintf(path, sizeof(path), "%s/lmdb", dir);
	o.path = path;
	lmdb_be = (struct be){&store_lmdb_ops, store_lmdb_ops.open(&o, why, sizeof(why)), true};
	if (lmdb_be.h == NULL) {
		fprintf(stderr, "lmdb open: %s\n", why);
		return -1;
	}
	redis_start();
	redis_be = (struct be){&store_redis_ops, open_redis(sockspec, REDIS_PASSWORD, 4), false};
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	store_lmdb_ops.close(lmdb_be.h);
	store_redis_ops.close(redis_be.h);
	if (redis_pid > 0)
		redis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store_key
key(const char *ns, const char *a, const char *b)
{
	struct store_key k;

	store_key_init(&k, ns);
	if (a)
		store_key_str(&k, a);
	if (b)
		store_key_str(&k, b);
	return k;
}

/* ---- keys and values ---- */

static void
key__parts__escaped_and_separated(void **state)
{
	struct store_key k = key("grey", "a|b%c*?[x]", "Joe Q@x.example");

	(void)state;
	assert_string_equal(k.s, "grey|a%7Cb%25c%2A%3F%5Bx%5D|Joe%20Q@x.example");
	assert_false(k.bad);
	/* two different splits of the same text are two keys */
	assert_string_not_equal(key("t", "a|b", NULL).s, key("t", "a", "b").s);
}

static void
key__long_part__hashed(void **state)
{
	char big[600];
	struct store_key a, b;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = key("t", big, big);
	big[300] = 'y';
	b = key("t", big, big);
	assert_false(a.bad);
	assert_int_equal(a.len, strlen("t|~") + 16 + strlen("|~") + 16);
	assert_string_not_equal(a.s, b.s);
}

static void
key__net__masked_to_prefix(void **state)
{
	struct ipaddr v4, v6;
	struct store_key k;

	(void)state;
	assert_int_equal(ip_parse("192.0.2.77", &v4), 0);
	assert_int_equal(ip_parse("2001:db8:1:2:3:4:5:6", &v6), 0);
	store_key_init(&k, "greynet");
	store_key_net(&k, &v4, 24);
	assert_string_equal(k.s, "greynet|192.0.2.0/24");
	store_key_init(&k, "greynet");
	store_key_net(&k, &v6, 64);
	assert_string_equal(k.s, "greynet|2001:db8:1:2::/64");
	store_key_init(&k, "greynet");
	store_key_net(&k, &v4, 33);
	assert_true(k.bad);
}

static void
key__too_many_parts__bad_and_refused(void **state)
{
	char part[100];
	struct store_key k;
	struct store_val v;
	char why[128];
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 16};
	char path[300];
	struct store *s;

	(void)state;
	memset(part, 'p', sizeof(part) - 1);
	part[sizeof(part) - 1] = '\0';
	store_key_init(&k, "t");
	for (int i = 0; i < 6; i++)
		store_key_str(&k, part);
	assert_true(k.bad);
	snprintf(path, sizeof(path), "%s/front", dir);
	o.path = path;
	assert_non_null(s = store_open(&o, why, sizeof(why)));
	assert_int_equal(store_get(s, &k, &v), STORE_TEMPFAIL);
	store_close(s);
}

static void
key__parse__listed_keys_only(void **state)
{
	char big[300];
	struct store_key a = key("grey", "a|b%c d", "x@y.example"), b;
	static const char *const bad[] = {"",        "Grey|x",   "grey|a b",
	                                  "grey|%4", "grey|%zz", "grey|~12",
	                                  "|x",      "grey|a*",  "namespace_too_long_x|a"};

	(void)state;
	assert_int_equal(store_key_parse(&b, a.s), 0);
	assert_string_equal(b.s, a.s);
	assert_int_equal(b.len, a.len);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = key("t", big, NULL);
	assert_int_equal(store_key_parse(&b, a.s), 0);
	assert_int_equal(store_key_parse(&b, "greynet|192.0.2.0/24"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (store_key_parse(&b, bad[i]) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
}

static void
val__roundtrip_and_unknown_version(void **state)
{
	struct store_val v = {.f = {1700000000, -5, 0, 42}, .n = 4}, w;
	char buf[128];
	size_t n = store_val_encode(&v, buf, sizeof(buf));

	(void)state;
	assert_string_equal(buf, "1:1700000000,-5,0,42");
	assert_int_equal(store_val_decode(buf, n, &w), 0);
	assert_int_equal(w.n, 4);
	assert_memory_equal(w.f, v.f, sizeof(v.f));
	/* a later doorman's format is refused, never misread */
	assert_int_equal(store_val_decode("2:1,2", 5, &w), -1);
	assert_int_equal(store_val_decode("1:1,x", 5, &w), -1);
	assert_int_equal(store_val_decode("1:1,2,3,4,5", 11, &w), -1);
	assert_int_equal(store_val_decode("", 0, &w), -1);
}

/* ---- greylisting's step, as a table ---- */

static void
grey_step__table(void **state)
{
	static const struct {
		const char *name;
		bool have_t;
		struct store_val t;
		bool have_n;
		struct store_val n;
		int64_t now;
		enum grey_state want;
		int64_t retry_in;
		bool write_t, write_n;
	} cases[] = {
	    {"first sight", false, {{0}, 0}, false, {{0}, 0}, 1000, GREY_NEW, 300, true, false},
	    {"early retry",
	     true,
	     {{1000, 1000, 0, 0}, 4},
	     false,
	     {{0}, 0},
	     1100,
	     GREY_EARLY,
	     200,
	     false,
	     false},
	    {"retry after delay",
	     true,
	     {{1000, 1000, 0, 0}, 4},
	     false,
	     {{0}, 0},
	     1300,
	     GREY_PASSED,
	     0,
	     true,
	     true},
	    {"retry after window",
	     true,
	     {{1000, 1000, 0, 0}, 4},
	     false,
	     {{0}, 0},
	     1000 + 300 + 3601,
	     GREY_NEW,
	     300,
	     true,
	     false},
	    {"known triplet",
	     true,
	     {{1000, 5000, 3}, 3},
	     true,
	     {{3, 5000}, 2},
	     90000,
	     GREY_PASSED,
	     0,
	     true,
	     true},
	    {"network allowed",
	     false,
	     {{0}, 0},
	     true,
	     {{5, 100}, 2},
	     2000,
	     GREY_ALLOWED,
	     0,
	     false,
	     true},
	    {"network allowed, renewed lately: a read",
	     false,
	     {{0}, 0},
	     true,
	     {{5, 1500}, 2},
	     2000,
	     GREY_ALLOWED,
	     0,
	     false,
	     false},
	    {"known triplet renewed lately, passes still counted",
	     true,
	     {{1000, 5000, 3}, 3},
	     true,
	     {{3, 5000}, 2},
	     5100,
	     GREY_PASSED,
	     0,
	     true,
	     true},
	    {"network allowed for good (doorman-state allow), auto_allow aside: a read",
	     false,
	     {{0}, 0},
	     true,
	     {{0, 100, GREY_NET_PERMANENT}, 3},
	     900000,
	     GREY_ALLOWED,
	     0,
	     false,
	     false},
	    {"network below",
	     false,
	     {{0}, 0},
	     true,
	     {{4, 100}, 2},
	     2000,
	     GREY_NEW,
	     300,
	     true,
	     false},
	};
	struct grey_params p = {.delay = 300, .window = 3600, .lifetime = 86400, .auto_allow = 5};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct grey_result r;
		struct grey_step st;

		p.now = cases[i].now;
		grey_step(&cases[i].t, cases[i].have_t, &cases[i].n, cases[i].have_n, &p, &r, &st);
		if (r.state != cases[i].want || r.retry_in != cases[i].retry_in ||
		    st.write_triplet != cases[i].write_t || st.write_net != cases[i].write_n)
			fail_msg("%s: state %d retry %lld writes %d %d", cases[i].name, r.state,
			         (long long)r.retry_in, st.write_triplet, st.write_net);
	}
}

/* The delay counts milliseconds: a triplet first seen at 10.9 s is stored
 * as second 10 and 900 ms; a retry at second 310 (299.1 s later) is early,
 * one at 310.9 passes.  A record of an older doorman (three fields) counts
 * from the end of its second. */
static void
grey_step__delay_counts_milliseconds(void **state)
{
	static const struct {
		const char *name;
		struct store_val t;
		int64_t now_ms;
		enum grey_state want;
		int64_t retry_in;
	} cases[] = {
	    {"retry at the whole second, 0.9 s early",
	     {{10, 10, 0, 900}, 4},
	     310000,
	     GREY_EARLY,
	     1},
	    {"retry 1 ms early", {{10, 10, 0, 900}, 4}, 310899, GREY_EARLY, 1},
	    {"retry 0.5 s early", {{10, 10, 0, 900}, 4}, 310400, GREY_EARLY, 1},
	    {"retry 1.5 s early", {{10, 10, 0, 900}, 4}, 309400, GREY_EARLY, 2},
	    {"retry exactly at delay", {{10, 10, 0, 900}, 4}, 310900, GREY_PASSED, 0},
	    {"retry after delay", {{10, 10, 0, 900}, 4}, 311000, GREY_PASSED, 0},
	    {"retry at the last ms of the window", {{10, 10, 0, 900}, 4}, 3910900, GREY_PASSED, 0},
	    {"retry 1 ms after the window", {{10, 10, 0, 900}, 4}, 3910901, GREY_NEW, 300},
	    {"older record: from the end of its second", {{10, 10, 0}, 3}, 310000, GREY_EARLY, 1},
	    {"older record: passes at its second's end + delay",
	     {{10, 10, 0}, 3},
	     310999,
	     GREY_PASSED,
	     0},
	    {"a fourth field out of range: the end of its second",
	     {{10, 10, 0, 5000}, 4},
	     310998,
	     GREY_EARLY,
	     1},
	};
	struct grey_params p = {.delay = 300, .window = 3600, .lifetime = 86400, .auto_allow = 0};
	struct grey_result r;
	struct grey_step st;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.now_ms = cases[i].now_ms;
		p.now = cases[i].now_ms / 1000;
		grey_step(&cases[i].t, true, NULL, false, &p, &r, &st);
		if (r.state != cases[i].want || r.retry_in != cases[i].retry_in)
			fail_msg("%s: state %d retry %lld", cases[i].name, r.state,
			         (long long)r.retry_in);
	}
	/* a first sight at 10.9 s keeps its milliseconds, and lives through
	 * the window's last second */
	p.now_ms = 10900;
	p.now = 10;
	grey_step(NULL, false, NULL, false, &p, &r, &st);
	assert_int_equal(r.state, GREY_NEW);
	assert_int_equal(r.retry_in, 300);
	assert_true(st.write_triplet);
	assert_int_equal(st.triplet.n, 4);
	assert_int_equal(st.triplet.f[0], 10);
	assert_int_equal(st.triplet.f[3], 900);
	assert_int_equal(st.triplet_ttl, 300 + 3600 + 1);
}

/* ---- every operation, on both backends ---- */

static int64_t
clock_of(const struct be *b, int64_t fake)
{
	return b->lmdb ? fake : store_now();
}

static void
put_get_del(const struct be *b)
{
	struct store_key k = key("t", "put", b->lmdb ? "lmdb" : "redis");
	struct store_val v = {.f = {7, 8}, .n = 2}, w;
	int64_t now = clock_of(b, 1000);

	assert_int_equal(b->ops->get(b->h, &k, &w, now), STORE_NOTFOUND);
	assert_int_equal(b->ops->put(b->h, &k, &v, 100, now), 0);
	assert_int_equal(b->ops->get(b->h, &k, &w, now), STORE_FOUND);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.f[1], 8);
	assert_int_equal(b->ops->del(b->h, &k), 0);
	assert_int_equal(b->ops->get(b->h, &k, &w, now), STORE_NOTFOUND);
	assert_int_equal(b->ops->del(b->h, &k), 0); /* deleting nothing is fine */
}

static void
lmdb__put_get_del(void **state)
{
	(void)state;
	put_get_del(&lmdb_be);
}

static void
redis__put_get_del(void **state)
{
	(void)state;
	put_get_del(&redis_be);
}

static void
lmdb__ttl__expired_reads_not_found(void **state)
{
	struct store_key k = key("t", "ttl", NULL);
	struct store_val v = {.f = {1}, .n = 1}, w;

	(void)state;
	assert_int_equal(lmdb_be.ops->put(lmdb_be.h, &k, &v, 10, 1000), 0);
	assert_int_equal(lmdb_be.ops->get(lmdb_be.h, &k, &w, 1009), STORE_FOUND);
	assert_int_equal(lmdb_be.ops->get(lmdb_be.h, &k, &w, 1010), STORE_NOTFOUND);
}

static void
redis__ttl__expired_reads_not_found(void **state)
{
	struct store_key k = key("t", "ttl", NULL);
	struct store_val v = {.f = {1}, .n = 1}, w;

	(void)state;
	assert_int_equal(redis_be.ops->put(redis_be.h, &k, &v, 1, store_now()), 0);
	assert_int_equal(redis_be.ops->get(redis_be.h, &k, &w, 0), STORE_FOUND);
	usleep(1200000);
	assert_int_equal(redis_be.ops->get(redis_be.h, &k, &w, 0), STORE_NOTFOUND);
}

/* one counter through the batch operation */
static int
incr1(const struct store_ops *ops, void *h, const struct store_key *k, long window, int64_t by,
      int64_t *n, int64_t now)
{
	struct store_count c = {.key = k, .ttl = window, .by = by};
	int rc = ops->counts(h, &c, 1, now);

	*n = c.count;
	return rc;
}

static void
incr(const struct be *b)
{
	struct store_key k = key("rate", "incr", NULL);
	int64_t n;

	assert_int_equal(incr1(b->ops, b->h, &k, 60, 1, &n, clock_of(b, 1000)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(incr1(b->ops, b->h, &k, 60, 2, &n, clock_of(b, 1030)), 0);
	assert_int_equal(n, 3);
	if (b->lmdb) {
		/* the window is fixed at the first increment: at 1060 a new one starts */
		assert_int_equal(incr1(b->ops, b->h, &k, 60, 1, &n, 1059), 0);
		assert_int_equal(n, 4);
		assert_int_equal(incr1(b->ops, b->h, &k, 60, 1, &n, 1060), 0);
		assert_int_equal(n, 1);
	}
}

/* several counters in one step: each its own count and time to live; an
 * unreadable value among them changes none */
static void
counts(const struct be *b)
{
	struct store_key k1 = key("rate", "batch", "a"), k2 = key("rate", "batch", "b");
	struct store_count c[2] = {{.key = &k1, .ttl = 60, .by = 1},
	                           {.key = &k2, .ttl = 3600, .by = 0}};
	struct store_val v;

	assert_int_equal(b->ops->counts(b->h, c, 2, clock_of(b, 1000)), 0);
	assert_int_equal(c[0].count, 1);
	assert_int_equal(c[1].count, 0);
	c[0].by = 2;
	c[1].by = 5;
	assert_int_equal(b->ops->counts(b->h, c, 2, clock_of(b, 1010)), 0);
	assert_int_equal(c[0].count, 3);
	assert_int_equal(c[1].count, 5);
	if (b->lmdb) {
		/* k1 lives 60 s from its creation, k2 an hour */
		assert_int_equal(b->ops->counts(b->h, c, 2, 1060), 0);
		assert_int_equal(c[0].count, 2);
		assert_int_equal(c[1].count, 10);
	}
	assert_int_equal(b->ops->get(b->h, &k2, &v, clock_of(b, 1061)), STORE_FOUND);
}

static void
lmdb__counts__batch_in_one_step(void **state)
{
	(void)state;
	counts(&lmdb_be);
}

static void
redis__counts__batch_in_one_step(void **state)
{
	(void)state;
	counts(&redis_be);
}

static void
lmdb__incr__fixed_window(void **state)
{
	(void)state;
	incr(&lmdb_be);
}

static void
redis__incr__fixed_window(void **state)
{
	struct store_key k = key("rate", "short", NULL);
	int64_t n;

	(void)state;
	incr(&redis_be);
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 1, 5, &n, 0), 0);
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 1, 5, &n, 0), 0);
	assert_int_equal(n, 10);
	usleep(1200000);
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 1, 5, &n, 0), 0);
	assert_int_equal(n, 5);
}

struct seen {
	int n;
	char keys[8][64];
	int64_t expires[8];
};

static int
collect(void *arg, const char *k, const struct store_val *v, int64_t expires)
{
	struct seen *s = arg;

	(void)v;
	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", k);
		s->expires[s->n] = expires;
	}
	s->n++;
	return 0;
}

static void
scan(const struct be *b)
{
	struct store_val v = {.f = {1}, .n = 1};
	struct store_key pa = key("scan", "a", NULL), pb = key("scan", "b", NULL);
	struct store_key other = key("scanx", "a", NULL), old = key("scan", "old", NULL);
	struct store_key prefix = key("scan", NULL, NULL);
	int64_t now = clock_of(b, 1000);
	struct seen s = {0};

	assert_int_equal(b->ops->put(b->h, &pa, &v, 100, now), 0);
	assert_int_equal(b->ops->put(b->h, &pb, &v, 0, now), 0);
	assert_int_equal(b->ops->put(b->h, &other, &v, 100, now), 0);
	if (b->lmdb)
		assert_int_equal(b->ops->put(b->h, &old, &v, 10, 900), 0);
	/* what store_scan passes: the prefix and its separator */
	prefix.s[prefix.len++] = '|';
	prefix.s[prefix.len] = '\0';
	assert_int_equal(b->ops->scan(b->h, &prefix, collect, &s, now), 0);
	assert_int_equal(s.n, 2);
	/* LMDB lists in key order; Redis in its own */
	if (strcmp(s.keys[0], "scan|b") == 0) {
		assert_string_equal(s.keys[1], "scan|a");
		assert_true(s.expires[1] >= now + 99 && s.expires[1] <= now + 101);
		assert_int_equal(s.expires[0], 0);
	} else {
		assert_string_equal(s.keys[0], "scan|a");
		assert_string_equal(s.keys[1], "scan|b");
		assert_true(s.expires[0] >= now + 99 && s.expires[0] <= now + 101);
		assert_int_equal(s.expires[1], 0);
	}
}

static void
lmdb__scan__prefix_live_entries(void **state)
{
	(void)state;
	scan(&lmdb_be);
}

static void
redis__scan__prefix_live_entries(void **state)
{
	(void)state;
	scan(&redis_be);
}

static void
grey(const struct be *b, const char *tag)
{
	struct store_key t1 = key("grey", tag, "one"), t2 = key("grey", tag, "two");
	struct store_key net = key("greynet", tag, NULL);
	struct grey_params p = {
	    .now = 1000, .delay = 300, .window = 3600, .lifetime = 86400, .auto_allow = 2};
	struct grey_result r;

	assert_int_equal(b->ops->grey(b->h, &t1, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_NEW);
	assert_int_equal(r.retry_in, 300);
	p.now = 1100;
	assert_int_equal(b->ops->grey(b->h, &t1, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_EARLY);
	assert_int_equal(r.retry_in, 200);
	p.now = 1300;
	assert_int_equal(b->ops->grey(b->h, &t1, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	assert_int_equal(r.passes, 1);
	/* another recipient from the same network is greylisted on its own */
	assert_int_equal(b->ops->grey(b->h, &t2, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_NEW);
	p.now = 1400;
	assert_int_equal(b->ops->grey(b->h, &t1, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	assert_int_equal(r.passes, 2);
	/* two passes: the network is allowed, even for the new recipient */
	assert_int_equal(b->ops->grey(b->h, &t2, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_ALLOWED);
}

/* a network allowed for good (doorman-state allow: no expiry, the
 * permanent flag) skips greylisting with auto_allow off, and stays so */
static void
grey_permanent(const struct be *b, const char *tag)
{
	struct store_key t = key("grey", tag, "perm"), net = key("greynet", tag, "perm");
	struct store_val allow = {.f = {0, 900, GREY_NET_PERMANENT}, .n = 3}, v;
	struct grey_params p = {
	    .now = 1000, .delay = 300, .window = 3600, .lifetime = 86400, .auto_allow = 0};
	struct grey_result r;

	assert_int_equal(b->ops->put(b->h, &net, &allow, 0, clock_of(b, 900)), 0);
	for (int i = 0; i < 2; i++, p.now += 86400 * 2) {
		assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
		assert_int_equal(r.state, GREY_ALLOWED);
	}
	assert_int_equal(b->ops->get(b->h, &t, &v, clock_of(b, p.now)), STORE_NOTFOUND);
	assert_int_equal(b->ops->get(b->h, &net, &v, clock_of(b, p.now)), STORE_FOUND);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.f[1], 900);
	assert_int_equal(v.f[2], GREY_NET_PERMANENT);
}

/* a passed triplet is renewed at most once per lifetime/100 when no pass
 * counts towards auto_allow: the reads between change nothing */
static void
grey_renew(const struct be *b, const char *tag)
{
	struct store_key t = key("grey", tag, "renew"), net = key("greynet", tag, "renew");
	struct grey_params p = {
	    .now = 1000, .delay = 300, .window = 3600, .lifetime = 86400, .auto_allow = 0};
	struct grey_result r;
	struct store_val v;

	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_NEW);
	p.now = 1300;
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	assert_int_equal(r.passes, 1);
	p.now = 1300 + 86400 / 100 - 1; /* renewed lately: read only */
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	assert_int_equal(r.passes, 1);
	assert_int_equal(b->ops->get(b->h, &t, &v, clock_of(b, p.now)), STORE_FOUND);
	assert_int_equal(v.f[1], 1300);
	assert_int_equal(v.f[2], 1);
	p.now = 1300 + 86400 / 100; /* due: renewed, counted */
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	assert_int_equal(r.passes, 2);
	assert_int_equal(b->ops->get(b->h, &t, &v, clock_of(b, p.now)), STORE_FOUND);
	assert_int_equal(v.f[1], p.now);
	assert_int_equal(v.f[2], 2);
}

/* the same through a backend (the Redis script mirrors grey_step) */
static void
grey_ms(const struct be *b, const char *tag)
{
	struct store_key t = key("grey", tag, "ms"), old = key("grey", tag, "old");
	struct store_key net = key("greynet", tag, "ms");
	struct store_val v = {.f = {2000, 2000, 0}, .n = 3};
	struct grey_params p = {.now = 1000,
	                        .now_ms = 1000900,
	                        .delay = 300,
	                        .window = 3600,
	                        .lifetime = 86400,
	                        .auto_allow = 0};
	struct grey_result r;

	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_NEW);
	assert_int_equal(b->ops->get(b->h, &t, &v, clock_of(b, p.now)), STORE_FOUND);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.f[0], 1000);
	assert_int_equal(v.f[3], 900);
	p.now = 1300;
	p.now_ms = 1300000; /* the delay in whole seconds, 0.9 s short */
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_EARLY);
	assert_int_equal(r.retry_in, 1);
	p.now_ms = 1300400; /* 0.5 s short */
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_EARLY);
	p.now_ms = 1300900;
	assert_int_equal(b->ops->grey(b->h, &t, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
	/* an older doorman's record: from the end of its second */
	v = (struct store_val){.f = {2000, 2000, 0}, .n = 3};
	assert_int_equal(b->ops->put(b->h, &old, &v, 3901, clock_of(b, 2000)), 0);
	p.now = 2300;
	p.now_ms = 2300998;
	assert_int_equal(b->ops->grey(b->h, &old, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_EARLY);
	assert_int_equal(r.retry_in, 1);
	p.now_ms = 2300999;
	assert_int_equal(b->ops->grey(b->h, &old, &net, &p, &r), 0);
	assert_int_equal(r.state, GREY_PASSED);
}

static void
lmdb__grey__delay_counts_milliseconds(void **state)
{
	(void)state;
	grey_ms(&lmdb_be, "lmdb");
}

static void
redis__grey__delay_counts_milliseconds(void **state)
{
	(void)state;
	grey_ms(&redis_be, "redis");
}

static void
lmdb__grey__passed_renewed_once_per_lifetime_100th(void **state)
{
	(void)state;
	grey_renew(&lmdb_be, "lmdb");
}

static void
redis__grey__passed_renewed_once_per_lifetime_100th(void **state)
{
	(void)state;
	grey_renew(&redis_be, "redis");
}

static void
lmdb__grey__permanent_network_allowed_for_good(void **state)
{
	(void)state;
	grey_permanent(&lmdb_be, "lmdb");
}

static void
redis__grey__permanent_network_allowed_for_good(void **state)
{
	(void)state;
	grey_permanent(&redis_be, "redis");
}

static void
lmdb__grey__new_early_passed_allowed(void **state)
{
	(void)state;
	grey(&lmdb_be, "lmdb");
}

static void
redis__grey__new_early_passed_allowed(void **state)
{
	(void)state;
	grey(&redis_be, "redis");
}

/* ---- LMDB only ---- */

static void
lmdb__sweep__drops_expired_without_full_scan(void **state)
{
	char path[300], why[256];
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 4};
	struct store_val v = {.f = {1}, .n = 1};
	void *h;

	(void)state;
	snprintf(path, sizeof(path), "%s/sweep", dir);
	o.path = path;
	assert_non_null(h = store_lmdb_ops.open(&o, why, sizeof(why)));
	for (int i = 0; i < 64; i++) {
		char name[16];
		snprintf(name, sizeof(name), "k%02d", i);
		struct store_key k = key("old", name, NULL);
		assert_int_equal(store_lmdb_ops.put(h, &k, &v, 10, 1000), 0);
	}
	assert_int_equal(store_lmdb_records(h), 64);
	/* each write looks at a few records after the last stop: 64 expired
	 * records are gone after 64/8 writes, plus one to wrap around */
	for (int i = 0; i < 9; i++) {
		struct store_key k = key("new", "k", NULL);
		assert_int_equal(store_lmdb_ops.put(h, &k, &v, 0, 5000), 0);
		assert_true((long)store_lmdb_records(h) >= 64 + 1 - (i + 1) * 8);
	}
	assert_int_equal(store_lmdb_records(h), 1);
	store_lmdb_ops.close(h);
}

/* The map is filled outside the store, in transactions of raw records
 * (filling it one commit at a time would cost thousands of fsyncs) until
 * not one more fits; then the store's next write finds it full. */
static void
lmdb__map_full__counted_failure_not_crash(void **state)
{
	char path[300], why[256], name[32];
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 1};
	struct store_val v = {.f = {1, 2, 3, 4}, .n = 4}, w;
	struct store_key first = key("fill", "first", NULL), more = key("fill", "more", NULL);
	struct store_stats before, after;
	struct store *s;
	MDB_env *env;
	MDB_dbi dbi;
	int rc = 0, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/full", dir);
	o.path = path;
	assert_non_null(s = store_open(&o, why, sizeof(why)));
	assert_int_equal(store_put(s, &first, &v, 0), 0);
	store_close(s);

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 20), 0);
	assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
	/* chunks of 500 records, halved each time one does not fit, down to one */
	for (int chunk = 500; chunk > 0;) {
		MDB_txn *txn;
		int at = n;
		rc = 0;
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
		for (int i = 0; i < chunk && rc == 0; i++, n++) {
			char val[200] = "raw";
			MDB_val k = {.mv_size = (size_t)snprintf(name, sizeof(name), "raw|%08d", n),
			             .mv_data = name};
			MDB_val d = {.mv_size = sizeof(val), .mv_data = val};
			rc = mdb_put(txn, dbi, &k, &d, 0);
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn); /* which may find the map full too */
		else
			mdb_txn_abort(txn);
		if (rc != 0) {
			assert_int_equal(rc, MDB_MAP_FULL);
			n = at;
			chunk /= 2;
		}
	}
	mdb_env_close(env);

	/* the store's own writes take what LMDB can still reuse, then fail */
	assert_non_null(s = store_open(&o, why, sizeof(why)));
	store_stats_get(&before);
	rc = 0;
	for (n = 0; n < 200 && rc == 0; n++) {
		snprintf(name, sizeof(name), "%d", n);
		more = key("fill", "more", name);
		rc = store_put(s, &more, &v, 0);
	}
	assert_int_equal(rc, STORE_TEMPFAIL);
	store_stats_get(&after);
	assert_int_equal(after.map_full, before.map_full + 1);
	assert_int_equal(after.failures, before.failures + 1);
	/* what is there reads as before */
	assert_int_equal(store_get(s, &first, &w), STORE_FOUND);
	assert_int_equal(w.f[3], 4);
	store_close(s);
}

static void
lmdb__unsafe_directory__refused(void **state)
{
	char path[300], why[256] = "";
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 4};

	(void)state;
	snprintf(path, sizeof(path), "%s/open", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(chmod(path, 0777), 0);
	o.path = path;
	assert_null(store_lmdb_ops.open(&o, why, sizeof(why)));
	assert_non_null(strstr(why, "not be writable by others"));
	snprintf(path, sizeof(path), "%s/afile", dir);
	close(creat(path, 0600));
	assert_null(store_lmdb_ops.open(&o, why, sizeof(why)));
}

/* ---- Redis only ---- */

struct worker {
	const struct be *b;
	int fails;
};

static void *
hammer(void *arg)
{
	struct worker *w = arg;
	struct store_key k = key("rate", "shared", NULL);
	int64_t n;

	for (int i = 0; i < 100; i++)
		if (incr1(w->b->ops, w->b->h, &k, 600, 1, &n, clock_of(w->b, 1000)) != 0)
			w->fails++;
	return NULL;
}

/* 8 threads, a pool of 4 (Redis) or the writer lock (LMDB): no increment lost */
static void
concurrent(const struct be *b)
{
	pthread_t t[8];
	struct worker w[8];
	struct store_key k = key("rate", "shared", NULL);
	struct store_val v;

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){b, 0};
		pthread_create(&t[i], NULL, hammer, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].fails, 0);
	}
	assert_int_equal(b->ops->get(b->h, &k, &v, clock_of(b, 1000)), STORE_FOUND);
	assert_int_equal(v.f[0], 800);
}

static void
lmdb__incr__concurrent_threads_lose_nothing(void **state)
{
	(void)state;
	concurrent(&lmdb_be);
}

static void
redis__incr__concurrent_pool_loses_nothing(void **state)
{
	(void)state;
	concurrent(&redis_be);
}

static void
redis__tcp_and_unreadable_value(void **state)
{
	void *h = open_redis("127.0.0.1:" REDIS_PORT, REDIS_PASSWORD, 1);
	struct store_key k = key("t", "future", NULL);
	struct store_val v;

	(void)state;
	/* a value a later doorman wrote: a failure, never misread */
	redis_raw("SELECT 3", NULL, NULL);
	{
		redisContext *c = redisConnectUnix(sock);
		freeReplyObject(redisCommand(c, "AUTH %s", REDIS_PASSWORD));
		freeReplyObject(redisCommand(c, "SELECT 3"));
		freeReplyObject(redisCommand(c, "SET %s %s", k.s, "2:1,2"));
		redisFree(c);
	}
	assert_int_equal(store_redis_ops.get(h, &k, &v, 0), STORE_TEMPFAIL);
	assert_int_equal(store_redis_ops.del(h, &k), 0);
	assert_int_equal(store_redis_ops.get(h, &k, &v, 0), STORE_NOTFOUND);
	store_redis_ops.close(h);
}

static void
redis__wrong_password__tempfail(void **state)
{
	void *h = open_redis(sockspec, "wrong", 1);
	struct store_key k = key("t", "pw", NULL);
	struct store_val v;

	(void)state;
	assert_int_equal(store_redis_ops.get(h, &k, &v, 0), STORE_TEMPFAIL);
	store_redis_ops.close(h);
}

static void
redis__scripts_flushed__loaded_again(void **state)
{
	struct store_key k = key("rate", "flush", NULL);
	int64_t n;

	(void)state;
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 60, 1, &n, 0), 0);
	redis_raw("SCRIPT FLUSH", NULL, NULL);
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 60, 1, &n, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(incr1(redis_be.ops, redis_be.h, &k, 60, 1, &n, 0), 0);
	assert_int_equal(n, 3);
}

/* Redis killed: a failure at once (no waiting out a timeout); started
 * again (empty: no persistence): used again without reopening */
static void
redis__restarted__failure_then_used_again(void **state)
{
	struct store_key k = key("t", "restart", NULL);
	struct store_val v = {.f = {1}, .n = 1}, w;
	int64_t t0, end;
	int rc;

	(void)state;
	assert_int_equal(redis_be.ops->put(redis_be.h, &k, &v, 0, 0), 0);
	redis_stop();
	t0 = ms_now();
	assert_int_equal(redis_be.ops->get(redis_be.h, &k, &w, 0), STORE_TEMPFAIL);
	assert_int_equal(redis_be.ops->put(redis_be.h, &k, &v, 0, 0), STORE_TEMPFAIL);
	assert_true(ms_now() - t0 < 300);
	redis_start();
	/* back within STORE_RETRY_MS of the last failed connect */
	end = ms_now() + STORE_RETRY_MS + 2000;
	while ((rc = redis_be.ops->put(redis_be.h, &k, &v, 0, 0)) != 0 && ms_now() < end)
		usleep(50000);
	assert_int_equal(rc, 0);
	assert_int_equal(redis_be.ops->get(redis_be.h, &k, &w, 0), STORE_FOUND);
}

/* Redis frozen (SIGSTOP): each operation fails within its deadline */
static void
redis__frozen__fails_within_deadline(void **state)
{
	struct store_key k = key("t", "frozen", NULL);
	struct store_val w;
	int64_t t0, took;
	int rc;

	(void)state;
	assert_int_equal(redis_be.ops->get(redis_be.h, &k, &w, 0), STORE_NOTFOUND);
	kill(redis_pid, SIGSTOP);
	t0 = ms_now();
	rc = redis_be.ops->get(redis_be.h, &k, &w, 0);
	took = ms_now() - t0;
	kill(redis_pid, SIGCONT);
	assert_int_equal(rc, STORE_TEMPFAIL);
	assert_true(took >= 250 && took < 1000); /* store.timeout 300 ms */
	usleep(100000);
	t0 = ms_now() + 3000;
	while ((rc = redis_be.ops->get(redis_be.h, &k, &w, 0)) == STORE_TEMPFAIL && ms_now() < t0)
		usleep(50000);
	assert_int_equal(rc, STORE_NOTFOUND);
}

static void
redis_parse__forms(void **state)
{
	char host[256], why[128];
	int port;

	(void)state;
	assert_int_equal(store_redis_parse("unix:/run/redis/r.sock", host, sizeof(host), &port, why,
	                                   sizeof(why)),
	                 0);
	assert_string_equal(host, "/run/redis/r.sock");
	assert_int_equal(
	    store_redis_parse("10.0.0.5:6379", host, sizeof(host), &port, why, sizeof(why)), 1);
	assert_string_equal(host, "10.0.0.5");
	assert_int_equal(port, 6379);
	assert_int_equal(store_redis_parse("::1:6379", host, sizeof(host), &port, why, sizeof(why)),
	                 1);
	assert_string_equal(host, "::1");
	assert_int_equal(
	    store_redis_parse("redis.example", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(store_redis_parse("h:0", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(
	    store_redis_parse("unix:relative", host, sizeof(host), &port, why, sizeof(why)), -1);
}

/*
 * The kill -9 check (t/unit/store-kill.sh): "write DIR START" writes
 * records START, START+1, ... (one commit each, {i, 7i}) until killed;
 * "verify DIR" finds the committed ones intact: every record below the
 * first missing one, with its value, and none after it (commits are in
 * order), then writes and reads one more.  Prints the count.
 * "grey DIR" writes two greylisting triplets (t/unit/state-cli.sh).
 */
static int
kill_mode(int argc, char **argv)
{
	struct store_opts o = {.backend = STORE_LMDB, .path = argv[2], .map_size_mb = 64};
	char why[256], name[24];
	struct store_val v, w;
	struct store *s = store_open(&o, why, sizeof(why));
	long i;

	if (s == NULL) {
		fprintf(stderr, "open: %s\n", why);
		return 1;
	}
	if (strcmp(argv[1], "grey") == 0) {
		/* for the doorman-state test: alice's triplet passed, bob's new */
		struct store_key ta, tb, net;
		struct grey_params p = {.now = store_now() - 400,
		                        .delay = 300,
		                        .window = 3600,
		                        .lifetime = 86400,
		                        .auto_allow = 5};
		struct grey_result r;
		struct ipaddr ip;

		ip_parse("203.0.113.5", &ip);
		store_key_init(&net, "greynet");
		store_key_net(&net, &ip, 24);
		store_key_init(&ta, "grey");
		store_key_net(&ta, &ip, 24);
		store_key_str(&ta, "joe@sender.example");
		tb = ta;
		store_key_str(&ta, "alice@example.org");
		store_key_str(&tb, "bob@example.org");
		if (store_grey(s, &ta, &net, &p, &r) != 0 || r.state != GREY_NEW)
			return 1;
		p.now += 400;
		if (store_grey(s, &ta, &net, &p, &r) != 0 || r.state != GREY_PASSED ||
		    store_grey(s, &tb, &net, &p, &r) != 0 || r.state != GREY_NEW)
			return 1;
		store_close(s);
		return 0;
	}
	if (strcmp(argv[1], "write") == 0 && argc == 4) {
		for (i = atol(argv[3]);; i++) {
			snprintf(name, sizeof(name), "%012ld", i);
			struct store_key k = key("kill", name, NULL);
			v = (struct store_val){.f = {i, 7 * i}, .n = 2};
			if (store_put(s, &k, &v, 0) != 0)
				return 1;
		}
	}
	for (i = 0;; i++) {
		snprintf(name, sizeof(name), "%012ld", i);
		struct store_key k = key("kill", name, NULL);
		int rc = store_get(s, &k, &w);
		if (rc == STORE_NOTFOUND)
			break;
		if (rc != STORE_FOUND || w.n != 2 || w.f[0] != i || w.f[1] != 7 * i) {
			fprintf(stderr, "record %ld damaged (rc %d)\n", i, rc);
			return 1;
		}
	}
	for (long j = i + 1; j < i + 100; j++) {
		snprintf(name, sizeof(name), "%012ld", j);
		struct store_key k = key("kill", name, NULL);
		if (store_get(s, &k, &w) != STORE_NOTFOUND) {
			fprintf(stderr, "record %ld present after the missing %ld\n", j, i);
			return 1;
		}
	}
	snprintf(name, sizeof(name), "%012ld", i);
	struct store_key k = key("kill", name, NULL);
	v = (struct store_val){.f = {i, 7 * i}, .n = 2};
	if (store_put(s, &k, &v, 0) != 0 || store_get(s, &k, &w) != STORE_FOUND ||
	    w.f[1] != 7 * i) {
		fprintf(stderr, "cannot write after reopening\n");
		return 1;
	}
	printf("%ld\n", i + 1);
	store_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(key__parts__escaped_and_separated),
	    cmocka_unit_test(key__long_part__hashed),
	    cmocka_unit_test(key__net__masked_to_prefix),
	    cmocka_unit_test(key__too_many_parts__bad_and_refused),
	    cmocka_unit_test(key__parse__listed_keys_only),
	    cmocka_unit_test(val__roundtrip_and_unknown_version),
	    cmocka_unit_test(grey_step__table),
	    cmocka_unit_test(grey_step__delay_counts_milliseconds),
	    cmocka_unit_test(redis_parse__forms),
	    cmocka_unit_test(lmdb__put_get_del),
	    cmocka_unit_test(lmdb__ttl__expired_reads_not_found),
	    cmocka_unit_test(lmdb__incr__fixed_window),
	    cmocka_unit_test(lmdb__counts__batch_in_one_step),
	    cmocka_unit_test(lmdb__scan__prefix_live_entries),
	    cmocka_unit_test(lmdb__grey__new_early_passed_allowed),
	    cmocka_unit_test(lmdb__grey__delay_counts_milliseconds),
	    cmocka_unit_test(lmdb__grey__passed_renewed_once_per_lifetime_100th),
	    cmocka_unit_test(lmdb__grey__permanent_network_allowed_for_good),
	    cmocka_unit_test(lmdb__sweep__drops_expired_without_full_scan),
	    cmocka_unit_test(lmdb__map_full__counted_failure_not_crash),
	    cmocka_unit_test(lmdb__unsafe_directory__refused),
	    cmocka_unit_test(lmdb__incr__concurrent_threads_lose_nothing),
	    cmocka_unit_test(redis__put_get_del),
	    cmocka_unit_test(redis__ttl__expired_reads_not_found),
	    cmocka_unit_test(redis__incr__fixed_window),
	    cmocka_unit_test(redis__counts__batch_in_one_step),
	    cmocka_unit_test(redis__scan__prefix_live_entries),
	    cmocka_unit_test(redis__grey__new_early_passed_allowed),
	    cmocka_unit_test(redis__grey__delay_counts_milliseconds),
	    cmocka_unit_test(redis__grey__passed_renewed_once_per_lifetime_100th),
	    cmocka_unit_test(redis__grey__permanent_network_allowed_for_good),
	    cmocka_unit_test(redis__incr__concurrent_pool_loses_nothing),
	    cmocka_unit_test(redis__tcp_and_unreadable_value),
	    cmocka_unit_test(redis__wrong_password__tempfail),
	    cmocka_unit_test(redis__scripts_flushed__loaded_again),
	    cmocka_unit_test(redis__frozen__fails_within_deadline),
	    cmocka_unit_test(redis__restarted__failure_then_used_again),
	};
	if (argc >= 3)
		return kill_mode(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
