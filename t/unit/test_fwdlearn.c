/*
 * test_fwdlearn.c - learned forwarders' counting and thresholds on a real
 * LMDB store in a private directory (fwdlearn_count: the SPF part of the
 * rule is the miltertest scenario's, t/miltertest/fwdlearn.lua), and the
 * lookup at connect (fwdlearn_known): learned, not learned, learning off,
 * no store section, a store that fails.  Every case uses a client address
 * of its own, so cases share no counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "forwarder.h"
#include "fwdlearn.h"
#include "session.h"
#include "store.h"

static char dir[] = "/tmp/doorman-fwdlearn.XXXXXX";
static struct store *st;
static const struct fwdlearn_params P = {
    .min_messages = 3, .min_domains = 2, .window = 3600, .lifetime = 86400};

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ip_parse(s, &a), 0);
	return a;
}

/* one evidence message of x for the comma-less list of domains */
static struct fwdlearn_tally
count(struct store *s, const char *x, int64_t now, const char *d0, const char *d1, const char *d2)
{
	const char *d[3] = {d0, d1, d2};
	size_t n = d2 ? 3 : d1 ? 2 : 1;
	struct ipaddr a = ip(x);
	struct fwdlearn_tally t;

	assert_int_equal(fwdlearn_count(s, &P, &a, d, n, now, &t), 0);
	return t;
}

static int
record(const char *x, const char *ns, const char *domain, struct store_val *v)
{
	struct ipaddr a = ip(x);
	struct store_key k;

	forwarder_key(&a, ns, domain, &k);
	return store_get(st, &k, v);
}

static int
setup(void **state)
{
	char why[256] = "", path[300];
	struct store_opts o = {.backend = STORE_LMDB, .map_size_mb = 16, .timeout_ms = 300};

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state", dir);
	o.path = path;
	if ((st = store_open(&o, why, sizeof(why))) == NULL) {
		fprintf(stderr, "store_open: %s\n", why);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
fwdlearn_count__messages_then_domains__learned_at_both(void **state)
{
	struct fwdlearn_tally t;
	struct store_val v;

	(void)state;
	t = count(st, "192.0.2.1", 1000, "a.example", NULL, NULL);
	assert_int_equal(t.messages, 1);
	assert_int_equal(t.domains, 1);
	assert_false(t.learned);
	t = count(st, "192.0.2.1", 1001, "a.example", NULL, NULL);
	t = count(st, "192.0.2.1", 1002, "a.example", NULL, NULL);
	/* min_messages reached, but one domain of two */
	assert_int_equal(t.messages, 3);
	assert_int_equal(t.domains, 1);
	assert_false(t.learned);
	assert_int_equal(record("192.0.2.1", "fwd", NULL, &v), STORE_NOTFOUND);
	t = count(st, "192.0.2.1", 1003, "b.example", NULL, NULL);
	assert_int_equal(t.messages, 4);
	assert_int_equal(t.domains, 2);
	assert_true(t.learned);
	assert_true(t.newly);
	assert_int_equal(record("192.0.2.1", "fwd", NULL, &v), STORE_FOUND);
	assert_int_equal(v.f[0], 1003);
	assert_int_equal(v.f[1], 1003);
	assert_int_equal(v.f[2], 4);
	assert_int_equal(v.f[3], 2);
	assert_int_equal(record("192.0.2.1", "fwdd", "a.example", &v), STORE_FOUND);
	assert_int_equal(v.f[0], 3);
	assert_int_equal(record("192.0.2.1", "fwdd", "b.example", &v), STORE_FOUND);
	assert_int_equal(v.f[0], 1);
}

static void
fwdlearn_count__later_evidence__renews_keeping_first_learned(void **state)
{
	struct fwdlearn_tally t;
	struct store_val v;

	(void)state;
	count(st, "192.0.2.2", 2000, "a.example", "b.example", NULL);
	count(st, "192.0.2.2", 2001, "a.example", NULL, NULL);
	t = count(st, "192.0.2.2", 2002, "c.example", NULL, NULL);
	assert_true(t.newly);
	t = count(st, "192.0.2.2", 2500, "a.example", NULL, NULL);
	assert_true(t.learned);
	assert_false(t.newly);
	assert_int_equal(record("192.0.2.2", "fwd", NULL, &v), STORE_FOUND);
	assert_int_equal(v.f[0], 2002);
	assert_int_equal(v.f[1], 2500);
	assert_int_equal(v.f[2], 4);
	assert_int_equal(v.f[3], 3);
}

/* one message signed by three domains is one message, three domains */
static void
fwdlearn_count__one_message_three_domains__counts_once(void **state)
{
	struct fwdlearn_tally t;

	(void)state;
	t = count(st, "192.0.2.3", 3000, "a.example", "b.example", "c.example");
	assert_int_equal(t.messages, 1);
	assert_int_equal(t.domains, 3);
	assert_false(t.learned);
	t = count(st, "192.0.2.3", 3001, "a.example", "b.example", "c.example");
	assert_int_equal(t.messages, 2);
	assert_int_equal(t.domains, 3);
	t = count(st, "192.0.2.3", 3002, "b.example", NULL, NULL);
	assert_int_equal(t.messages, 3);
	assert_int_equal(t.domains, 3);
	assert_true(t.newly);
}

/* clients count apart, IPv6 included (a full-length key each) */
static void
fwdlearn_count__other_clients__apart(void **state)
{
	struct fwdlearn_tally t;

	(void)state;
	count(st, "2001:db8::1", 4000, "a.example", NULL, NULL);
	t = count(st, "2001:db8::2", 4000, "b.example", NULL, NULL);
	assert_int_equal(t.messages, 1);
	assert_int_equal(t.domains, 1);
	t = count(st, "192.0.2.4", 4000, "a.example", NULL, NULL);
	assert_int_equal(t.messages, 1);
}

/* the window is fixed from the first message: after it, from zero */
static void
fwdlearn_count__window_over__from_zero(void **state)
{
	const struct fwdlearn_params p = {3, 2, 1, 86400};
	const char *d[1] = {"a.example"};
	struct ipaddr a = ip("192.0.2.5");
	struct fwdlearn_tally t;

	(void)state;
	assert_int_equal(fwdlearn_count(st, &p, &a, d, 1, 5000, &t), 0);
	assert_int_equal(fwdlearn_count(st, &p, &a, d, 1, 5000, &t), 0);
	assert_int_equal(t.messages, 2);
	sleep(2); /* the store's clock: whole seconds */
	assert_int_equal(fwdlearn_count(st, &p, &a, d, 1, 5002, &t), 0);
	assert_int_equal(t.messages, 1);
	assert_int_equal(t.domains, 1);
}

struct wanted {
	const char *key;
	int64_t expires;
};

static int
expiry_of(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	struct wanted *w = arg;

	(void)v;
	if (strcmp(key, w->key) != 0)
		return 0;
	w->expires = expires;
	return 1;
}

/* the record lives lifetime seconds from the last evidence */
static void
fwdlearn_count__learned__kept_lifetime(void **state)
{
	struct ipaddr a = ip("192.0.2.6");
	struct store_key k, ns;
	int64_t now = store_now();
	struct wanted w = {k.s, 0};

	(void)state;
	count(st, "192.0.2.6", now, "a.example", "b.example", NULL);
	count(st, "192.0.2.6", now, "a.example", NULL, NULL);
	count(st, "192.0.2.6", now, "a.example", NULL, NULL);
	forwarder_key(&a, "fwd", NULL, &k);
	store_key_init(&ns, "fwd");
	assert_int_equal(store_scan(st, &ns, expiry_of, &w), 0);
	assert_true(w.expires >= now + P.lifetime - 2 && w.expires <= now + P.lifetime + 2);
}

static void
fwdlearn_count__bad_arguments__refused(void **state)
{
	const char *d[5] = {"a.example", "b.example", "c.example", "d.example", "e.example"};
	struct ipaddr a = ip("192.0.2.7");
	struct fwdlearn_tally t;

	(void)state;
	assert_int_equal(fwdlearn_count(st, &P, &a, d, 0, 1, &t), -1);
	assert_int_equal(fwdlearn_count(st, &P, &a, d, 5, 1, &t), -1);
}

/* a Redis nobody answers on: every step fails, nothing is learned */
static void
fwdlearn_count__store_down__fails(void **state)
{
	char why[256] = "";
	struct store_opts o = {
	    .backend = STORE_REDIS, .redis = "127.0.0.1:20749", .redis_pool = 1, .timeout_ms = 100};
	struct store *down = store_open(&o, why, sizeof(why));
	const char *d[1] = {"a.example"};
	struct ipaddr a = ip("192.0.2.8");
	struct fwdlearn_tally t;

	(void)state;
	if (down == NULL)
		return; /* refused at open: the same failure, earlier */
	assert_int_equal(fwdlearn_count(down, &P, &a, d, 1, 1, &t), -1);
	assert_false(t.learned);
	store_close(down);
}

/* fwdlearn_known reads the record through the policy's store */
static struct config *
load(const char *body)
{
	char file[400];
	struct errs errs = {0};
	struct config *c;
	FILE *fp;

	snprintf(file, sizeof(file), "%s/doorman.conf", dir);
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp,
	        "domains: { local = [ \"example.org\" ]; };\n%s\n"
	        "policies: { p: { listeners = [ \"p\" ]; }; };\n",
	        body);
	fclose(fp);
	c = config_load(file, &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	assert_non_null(c);
	return c;
}

static bool
known(struct config *cfg, const char *x)
{
	static struct conn c; /* large: not on the stack */
	bool r;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.have_ip = true;
	c.ip = ip(x);
	snprintf(c.addr_text, sizeof(c.addr_text), "%s", x);
	r = fwdlearn_known(&c);
	config_unref(cfg);
	return r;
}

static void
fwdlearn_known__learned_or_not__one_read(void **state)
{
	char body[600];

	(void)state;
	/* 192.0.2.1 was learned above; the shared store opens the same path
	 * (LMDB: once per process, so this test closes its own first) */
	store_close(st);
	st = NULL;
	snprintf(body, sizeof(body), "store: { path = \"%s/state\"; };", dir);
	assert_true(known(load(body), "192.0.2.1"));
	assert_false(known(load(body), "192.0.2.4")); /* evidence, not enough */
	assert_false(known(load(body), "192.0.2.200"));
	snprintf(body, sizeof(body),
	         "store: { path = \"%s/state\"; };\n"
	         "forwarders: { learn = false; };",
	         dir);
	assert_false(known(load(body), "192.0.2.1"));
	/* no store section: no read (the default path is not opened) */
	assert_false(known(load(""), "192.0.2.1"));
	/* a store that cannot answer: false */
	assert_false(known(load("store: { backend = \"redis\"; redis = \"127.0.0.1:20749\"; "
	                        "timeout = 100; };"),
	                   "192.0.2.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fwdlearn_count__messages_then_domains__learned_at_both),
	    cmocka_unit_test(fwdlearn_count__later_evidence__renews_keeping_first_learned),
	    cmocka_unit_test(fwdlearn_count__one_message_three_domains__counts_once),
	    cmocka_unit_test(fwdlearn_count__other_clients__apart),
	    cmocka_unit_test(fwdlearn_count__window_over__from_zero),
	    cmocka_unit_test(fwdlearn_count__learned__kept_lifetime),
	    cmocka_unit_test(fwdlearn_count__bad_arguments__refused),
	    cmocka_unit_test(fwdlearn_count__store_down__fails),
	    cmocka_unit_test(fwdlearn_known__learned_or_not__one_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
