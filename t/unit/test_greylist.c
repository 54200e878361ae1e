/*
 * test_greylist.c - greylisting through the engine: the sender key, the
 * exemption lists (a test file and the shipped one), per-recipient
 * decisions with greylist.delay = 2 s on LMDB, auto_allow, dry run, the
 * settings the loader refuses, and a store that fails and comes back
 * (an LMDB directory that is unsafe and then fixed; a Redis server that
 * is not there, then started on a unix socket, then stopped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "session.h"
#include "store.h"
#include "rcpt_reply.h"

static char dir[] = "/tmp/doorman-grey.XXXXXX";

static const char policy_text[] =
    "me: { hostnames = [ \"mx.example.org\" ]; };\n"
    "domains: { local = [ \"example.org\" ]; };\n"
    "store: { backend = \"%s\"; path = \"%s\"; redis = \"%s\"; timeout = 200; %s };\n"
    "default_policy = \"inbound\";\n"
    "policies: {\n"
    "  inbound: {\n"
    "    listeners = [ \"inbound\" ];\n"
    "    greylist: { enabled = true; delay = 2; auto_allow = 2;\n"
    "      exemptions = \"" T_DATA "/greylist_exemptions\"; };\n"
    "  };\n"
    "  dry: { listeners = [ \"dry\" ];\n"
    "    greylist: { enabled = true; delay = 2; action = \"dryrun\"; }; };\n"
    "  strict: { listeners = [ \"strict\" ];\n"
    "    greylist: { enabled = true; delay = 2; store_failure = \"tempfail\"; }; };\n"
    "};\n";

/* a config from policy_text; extra (may be NULL): more store settings */
static struct config *
load(const char *backend, const char *path, const char *redis, const char *extra, struct errs *errs)
{
	char file[300];
	FILE *fp;

	snprintf(file, sizeof(file), "%s/doorman.conf", dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fprintf(fp, policy_text, backend, path, redis, extra ? extra : "");
	fclose(fp);
	return config_load(file, errs);
}

static struct config *
load_ok(const char *backend, const char *path, const char *redis)
{
	struct errs errs = {0};
	struct config *c = load(backend, path, redis, NULL, &errs);

	errs_print(&errs, stderr);
	errs_free(&errs);
	assert_non_null(c);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct sess {
	struct conn *c;
};

static const char *
once(struct config *cfg, const char *listener, const char *addr, const char *from, const char *to)
{
	struct conn *c = start_mail(cfg, listener, addr, "client.example.net", from, NULL);
	const char *r = rcpt(c, to);

	conn_free(c);
	return r;
}

/* ---- the sender key ---- */

static void
greylist_sender__rotating_parts_removed(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"<User@Example.NET>", "user@example.net"},
	    {"<user+news@example.net>", "user@example.net"},
	    {"<prvs=1234abcdef=user@example.net>", "user@example.net"},
	    {"<PRVS=0987fedcba=User+x@example.net>", "user@example.net"},
	    {"<prvs=user=0123abcdef@example.net>", "user@example.net"},
	    {"<prvs=notatag=user@example.net>", "prvs=notatag=user@example.net"},
	    {"<SRS0=HHH=TT=orig.example=alice@fwd.example>", "alice@orig.example"},
	    {"<SRS0+xyz=ab=orig.example=alice@fwd.example>", "alice@orig.example"},
	    {"<SRS1=HHH=fwd1.example==HHH=TT=orig.example=bob@fwd2.example>", "bob@orig.example"},
	    {"<srs0=broken@fwd.example>", "srs0=broken@fwd.example"},
	    {"<+only@example.net>", "+only@example.net"},
	    {"<>", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct addr a;
		const char *why;
		char out[600];

		assert_int_equal(addr_parse(cases[i].in, &a, &why), 0);
		greylist_sender(&a, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", cases[i].in, out, cases[i].want);
	}
}

/* ---- exemption lists ---- */

static void
exempt__entries_match(void **state)
{
	struct errs errs = {0};
	struct exempt_list *l = exempt_load(T_DATA "/greylist_exemptions", &errs);
	struct ipaddr in, out, v6;

	(void)state;
	errs_print(&errs, stderr);
	assert_non_null(l);
	ip_parse("198.51.100.9", &in);
	ip_parse("203.0.113.5", &out);
	ip_parse("2001:db8:5::1", &v6);
	assert_int_equal(exempt_match(l, &in, "unknown", "a@b.example", "u@example.org"), 3);
	assert_int_equal(exempt_match(l, &v6, "unknown", "a@b.example", "u@example.org"), 4);
	assert_int_equal(exempt_match(l, &out, "MTA7.Pool.Example", "a@b.example", "u@example.org"),
	                 5);
	assert_int_equal(exempt_match(l, &out, "pool.example", "a@b.example", "u@example.org"), 0);
	assert_int_equal(exempt_match(l, &out, "unknown", "news@list.example", "u@example.org"), 6);
	assert_int_equal(exempt_match(l, &out, "unknown", "x@bulk.example", "u@example.org"), 7);
	assert_int_equal(exempt_match(l, &out, "unknown", "x@a.sub.example", "u@example.org"), 8);
	assert_int_equal(exempt_match(l, &out, "unknown", "x@sub.example", "u@example.org"), 0);
	assert_int_equal(exempt_match(l, &out, "unknown", "a@b.example", "Postmaster@example.org"),
	                 9);
	assert_int_equal(exempt_match(l, &out, "unknown", "a@b.example", "postmaster2@example.org"),
	                 0);
	assert_int_equal(exempt_match(l, &out, "unknown", "a@b.example", "any@open.example.org"),
	                 10);
	assert_int_equal(exempt_match(l, &out, "unknown", "", "u@example.org"), 0);
	assert_int_equal(exempt_match(NULL, &out, "unknown", "", "u@example.org"), 0);
	exempt_free(l);
	errs_free(&errs);
}

static void
exempt__bad_lines__file_line_errors(void **state)
{
	char file[300];
	struct errs errs = {0};
	FILE *fp;

	(void)state;
	snprintf(file, sizeof(file), "%s/bad_exempt", dir);
	fp = fopen(file, "w");
	fputs("client 192.0.2.0/33\nname bad..name\nsender nobody\nrcpt @\nhost x\nclient\n"
	      "rcpt user@ extra\n",
	      fp);
	fclose(fp);
	assert_null(exempt_load(file, &errs));
	assert_int_equal(errs.n, 7);
	for (size_t i = 0; i < errs.n; i++) {
		char want[400];
		snprintf(want, sizeof(want), "%s:%zu: ", file, i + 1);
		assert_non_null(strstr(errs.v[i], want));
	}
	errs_free(&errs);
}

/* every entry of the shipped list loads, and its kinds match as meant */
static void
exempt__shipped_list(void **state)
{
	struct errs errs = {0};
	struct exempt_list *l = exempt_load(T_POLICIES "/greylist_exemptions", &errs);
	struct ipaddr g, other;

	(void)state;
	errs_print(&errs, stderr);
	assert_non_null(l);
	ip_parse("209.85.220.41", &g);
	ip_parse("203.0.113.5", &other);
	assert_true(exempt_match(l, &g, "unknown", "a@gmail.com", "u@example.org") > 0);
	assert_true(exempt_match(l, &other, "mail-eopbgr1.outbound.protection.outlook.com", "",
	                         "u@example.org") > 0);
	assert_true(exempt_match(l, &other, "unknown", "", "postmaster@example.org") > 0);
	assert_int_equal(
	    exempt_match(l, &other, "client.example.net", "a@b.example", "u@example.org"), 0);
	exempt_free(l);
	errs_free(&errs);
}

/* ---- decisions through the engine (LMDB) ---- */

static struct config *lmdb_cfg;

/* an early retry's reply: the store counts whole seconds, so the wait left
 * is 2 s, or 1 s when a second turned since the first attempt (a delay of
 * 2 s, not 1, so that an early retry is never taken for a late one) */
static void
assert_early(const char *got, const char *rcpt)
{
	char want[2][200];

	for (int i = 0; i < 2; i++)
		snprintf(want[i], sizeof(want[i]),
		         "450 4.7.1 <%s>: Greylisted, please try again in %d seconds", rcpt, i + 1);
	if (strcmp(got, want[0]) != 0)
		assert_string_equal(got, want[1]);
}

static void
rcpt__per_recipient_new_early_passed(void **state)
{
	char path[300];
	struct conn *c;
	unsigned long before[GREYLIST_NCOUNTS], after[GREYLIST_NCOUNTS];

	(void)state;
	snprintf(path, sizeof(path), "%s/state", dir);
	lmdb_cfg = load_ok("lmdb", path, "");
	greylist_counts(before);
	/* one transaction: two new recipients are greylisted on their own, an
	 * exempt one goes through */
	c = start_mail(lmdb_cfg, "inbound", "203.0.113.5", "client.example.net",
	               "<prvs=1111aaaaaa=joe@sender.example>", NULL);
	assert_string_equal(
	    rcpt(c, "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	assert_string_equal(rcpt(c, "<postmaster@example.org>"), "250");
	assert_string_equal(
	    rcpt(c, "<bob@example.org>"),
	    "450 4.7.1 <bob@example.org>: Greylisted, please try again in 2 seconds");
	conn_free(c);
	/* at once again: early, from another address of the same /24 and with a new BATV tag */
	assert_early(once(lmdb_cfg, "inbound", "203.0.113.77",
	                  "<prvs=2222bbbbbb=joe@sender.example>", "<alice@example.org>"),
	             "alice@example.org");
	usleep(2100000);
	/* after the delay: passed, for alice only */
	c = start_mail(lmdb_cfg, "inbound", "203.0.113.5", "client.example.net",
	               "<joe+tag@Sender.Example>", NULL);
	assert_string_equal(rcpt(c, "<alice@example.org>"), "250");
	assert_string_equal(
	    rcpt(c, "<carol@example.org>"),
	    "450 4.7.1 <carol@example.org>: Greylisted, please try again in 2 seconds");
	conn_free(c);
	/* another /24 is another client */
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "203.0.114.5", "<joe@sender.example>", "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	greylist_counts(after);
	assert_int_equal(after[GREYLIST_NEW] - before[GREYLIST_NEW], 4);
	assert_int_equal(after[GREYLIST_EARLY] - before[GREYLIST_EARLY], 1);
	assert_int_equal(after[GREYLIST_PASSED] - before[GREYLIST_PASSED], 1);
	assert_int_equal(after[GREYLIST_EXEMPT] - before[GREYLIST_EXEMPT], 1);
}

/* two passed deliveries (auto_allow = 2): the network skips greylisting */
static void
rcpt__auto_allow_after_passes(void **state)
{
	(void)state;
	/* bob was greylisted above and waited out too: a second pass */
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "203.0.113.9", "<joe@sender.example>", "<bob@example.org>"),
	    "250");
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "203.0.113.9", "<new@other.example>", "<dave@example.org>"),
	    "250");
	/* not another network */
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "198.18.0.1", "<new@other.example>", "<dave@example.org>"),
	    "450 4.7.1 <dave@example.org>: Greylisted, please try again in 2 seconds");
}

static void
rcpt__exempt_clients(void **state)
{
	struct conn *c;

	(void)state;
	/* trusted (127.0.0.0/8 by default), authenticated, an exemption entry */
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "127.0.0.1", "<x@y.example>", "<erin@example.org>"), "250");
	c = start_mail(lmdb_cfg, "inbound", "203.0.113.50", "client.example.net", "<x@y.example>",
	               "joe");
	assert_string_equal(rcpt(c, "<erin@example.org>"), "250");
	conn_free(c);
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "198.51.100.20", "<x@y.example>", "<erin@example.org>"),
	    "250");
	c = start_mail(lmdb_cfg, "inbound", "192.0.2.99", "mta7.pool.example", "<x@y.example>",
	               NULL);
	assert_string_equal(rcpt(c, "<erin@example.org>"), "250");
	conn_free(c);
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "192.0.2.99", "<news@list.example>", "<erin@example.org>"),
	    "250");
	/* the same client without an exemption */
	assert_string_equal(
	    once(lmdb_cfg, "inbound", "192.0.2.99", "<x@y.example>", "<erin@example.org>"),
	    "450 4.7.1 <erin@example.org>: Greylisted, please try again in 2 seconds");
}

static void
rcpt__dryrun__accepted_and_counted(void **state)
{
	unsigned long before[GREYLIST_NCOUNTS], after[GREYLIST_NCOUNTS];

	(void)state;
	greylist_counts(before);
	assert_string_equal(
	    once(lmdb_cfg, "dry", "198.18.5.1", "<d@dry.example>", "<frank@example.org>"), "250");
	greylist_counts(after);
	assert_int_equal(after[GREYLIST_DRYRUN] - before[GREYLIST_DRYRUN], 1);
	assert_int_equal(after[GREYLIST_NEW] - before[GREYLIST_NEW], 1);
	config_unref(lmdb_cfg);
}

/* ---- the loader ---- */

static void
config__refused_settings(void **state)
{
	static const struct {
		const char *extra, *want;
	} cases[] = {
	    {"policies: { x: { greylist: { action = \"reject\"; }; }; };",
	     "greylisting can only tempfail or dryrun"},
	    {"policies: { x: { greylist: { store_failure = \"reject\"; }; }; };",
	     "a store failure takes accept or tempfail"},
	    {"policies: { x: { greylist: { delay = 0; }; }; };", "out of range 1..86400"},
	    {"policies: { x: { greylist: { ipv4_prefix = 33; }; }; };", "out of range 8..32"},
	    {"policies: { x: { greylist: { exemptions = \"/nonexistent/x\"; }; }; };",
	     "cannot read /nonexistent/x"},
	    {"store: { backend = \"redis\"; };", "store.redis must name the server"},
	    {"store: { redis = \"localhost\"; };", "is not unix:/path or host:port"},
	    {"store: { backend = \"bdb\"; };", "lmdb or redis"},
	    {"store: { path = \"relative\"; };", "must be an absolute path"},
	    {"store: { map_size = 0; };", "out of range 1..1048576"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char file[300], all[4096] = "";
		struct errs errs = {0};
		struct config *c;
		FILE *fp;

		snprintf(file, sizeof(file), "%s/bad.conf", dir);
		fp = fopen(file, "w");
		fprintf(fp, "default_policy = \"x\";\n%s\n%s\n", cases[i].extra,
		        strncmp(cases[i].extra, "policies", 8) == 0 ? ""
		                                                    : "policies: { x: { }; };");
		fclose(fp);
		c = config_load(file, &errs);
		for (size_t j = 0; j < errs.n; j++)
			strncat(all, errs.v[j], sizeof(all) - strlen(all) - 1);
		if (c != NULL || strstr(all, cases[i].want) == NULL)
			fail_msg("case %zu: loaded %d, errors \"%s\", want \"%s\"", i, c != NULL,
			         all, cases[i].want);
		errs_free(&errs);
	}
}

/* ---- a store that fails, then comes back ---- */

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the reply once the store is back (within STORE_RETRY_MS and a margin) */
static const char *
when_back(struct config *cfg, const char *listener, const char *addr, const char *to)
{
	int64_t end = ms_now() + STORE_RETRY_MS + 3000;
	const char *r;

	while (strcmp(r = once(cfg, listener, addr, "<s@back.example>", to), "250") == 0 &&
	       ms_now() < end)
		usleep(100000);
	return r;
}

static void
store_failure__lmdb_unsafe_then_fixed(void **state)
{
	char path[300];
	struct config *cfg;

	(void)state;
	snprintf(path, sizeof(path), "%s/unsafe", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 0777), 0);
	cfg = load_ok("lmdb", path, "");
	/* accept by default; tempfail where the policy says so; never 5xx */
	assert_string_equal(
	    once(cfg, "inbound", "203.0.113.5", "<s@f.example>", "<alice@example.org>"), "250");
	assert_string_equal(
	    once(cfg, "strict", "203.0.113.5", "<s@f.example>", "<alice@example.org>"),
	    "451 4.3.0 <alice@example.org>: Temporary failure of the greylisting state, try again "
	    "later");
	assert_int_equal(chmod(path, 0700), 0);
	assert_string_equal(
	    when_back(cfg, "inbound", "203.0.113.5", "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	config_unref(cfg);
}

static pid_t
redis_start(const char *sock)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
		       "--save", "", "--appendonly", "no", "--logfile", "/dev/null", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
store_failure__redis_absent_started_stopped(void **state)
{
	char sock[300], spec[310];
	struct config *cfg;
	pid_t pid;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(spec, sizeof(spec), "unix:%s", sock);
	cfg = load_ok("redis", "/var/lib/doorman", spec);
	/* nobody there: store_failure */
	assert_string_equal(
	    once(cfg, "inbound", "203.0.113.5", "<s@r.example>", "<alice@example.org>"), "250");
	assert_string_equal(
	    once(cfg, "strict", "203.0.113.5", "<s@r.example>", "<alice@example.org>"),
	    "451 4.3.0 <alice@example.org>: Temporary failure of the greylisting state, try again "
	    "later");
	/* started: used without a reload */
	pid = redis_start(sock);
	assert_string_equal(
	    when_back(cfg, "inbound", "203.0.113.5", "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	/* stopped mid-run: store_failure again, at once */
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_string_equal(
	    once(cfg, "strict", "203.0.113.5", "<s@r.example>", "<bob@example.org>"),
	    "451 4.3.0 <bob@example.org>: Temporary failure of the greylisting state, try again "
	    "later");
	assert_string_equal(
	    once(cfg, "inbound", "203.0.113.5", "<s@r.example>", "<bob@example.org>"), "250");
	config_unref(cfg);
}

/* a reload that changes the store settings: the new snapshot gets its own
 * store, the old one keeps working; the same LMDB path with another map
 * size keeps the open environment (LMDB opens a file once per process) */
static void
reload__store_settings_changed(void **state)
{
	char a[300], b[300];
	struct config *c1, *c2, *c3;
	struct errs errs = {0};

	(void)state;
	snprintf(a, sizeof(a), "%s/reload-a", dir);
	snprintf(b, sizeof(b), "%s/reload-b", dir);
	c1 = load_ok("lmdb", a, "");
	assert_non_null(store_shared(c1));
	c2 = load_ok("lmdb", b, "");
	assert_ptr_not_equal(store_shared(c2), store_shared(c1));
	c3 = load("lmdb", a, "", "map_size = 32;", &errs);
	assert_non_null(c3);
	assert_ptr_equal(store_shared(c3), store_shared(c1));
	assert_string_equal(
	    once(c1, "inbound", "203.0.113.5", "<r@reload.example>", "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	/* the same file: c3 sees what c1 wrote */
	assert_early(
	    once(c3, "inbound", "203.0.113.5", "<r@reload.example>", "<alice@example.org>"),
	    "alice@example.org");
	assert_string_equal(
	    once(c2, "inbound", "203.0.113.5", "<r@reload.example>", "<alice@example.org>"),
	    "450 4.7.1 <alice@example.org>: Greylisted, please try again in 2 seconds");
	config_unref(c1);
	config_unref(c2);
	config_unref(c3);
	errs_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(greylist_sender__rotating_parts_removed),
	    cmocka_unit_test(exempt__entries_match),
	    cmocka_unit_test(exempt__bad_lines__file_line_errors),
	    cmocka_unit_test(exempt__shipped_list),
	    cmocka_unit_test(rcpt__per_recipient_new_early_passed),
	    cmocka_unit_test(rcpt__auto_allow_after_passes),
	    cmocka_unit_test(rcpt__exempt_clients),
	    cmocka_unit_test(rcpt__dryrun__accepted_and_counted),
	    cmocka_unit_test(config__refused_settings),
	    cmocka_unit_test(store_failure__lmdb_unsafe_then_fixed),
	    cmocka_unit_test(store_failure__redis_absent_started_stopped),
	    cmocka_unit_test(reload__store_settings_changed),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
