/*
 * test_callout.c - SMTP/LMTP probes against t/lib/smtpfake.c on loopback
 * (port 18701; nothing listens on 18702): answers mapped, pooled
 * connections, the cache and its TTLs, a backend down, a timeout, the
 * concurrency limit
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callout.h"

#define UP "smtp:127.0.0.1:18701"
#define UP_LMTP "lmtp:127.0.0.1:18701"
#define DOWN "smtp:127.0.0.1:18702"

static pid_t server;
static char dir[] = "/tmp/doorman-callout.XXXXXX";
static char logpath[128];
static const struct callout_opts nocache = { 2000, 0, 0, 4, "mx.example.org" };

static int
count(const char *prefix)
{
	char line[512];
	int n = 0;
	FILE *fp = fopen(logpath, "r");

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	if (fp != NULL)
		fclose(fp);
	return n;
}

static int
start_server(void **state)
{
	char users[160];
	FILE *fp;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fp = fopen(users, "w");
	fputs("alice@example.org\nbob@example.org\n", fp);
	fclose(fp);
	if ((server = fork()) == 0) {
		execl(SMTPFAKE, "smtpfake", "18701", users, logpath, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && count("") == 0; i++) {
		/* ready when it takes a connection: a probe of nobody */
		char why[256];
		bool cached;
		callout_probe(UP, "nobody@example.org", &nocache, why, sizeof(why), &cached);
		usleep(20000);
	}
	callout_shutdown();
	return count("connect") > 0 ? 0 : -1;
}

static int
stop_server(void **state)
{
	char cmd[200];

	(void)state;
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
reset(void **state)
{
	(void)state;
	callout_shutdown();
	return 0;
}

static enum callout_result
probe(const char *spec, const char *addr, const struct callout_opts *o, char *why, bool *cached)
{
	return callout_probe(spec, addr, o, why, 512, cached);
}

static void
probe__answers__mapped(void **state)
{
	static const struct {
		const char *spec, *addr, *why;
		enum callout_result want;
	} cases[] = {
		{ UP, "alice@example.org", UP " said: 250 2.1.5 Ok", CALLOUT_ACCEPT },
		{ UP, "ALICE@Example.ORG", UP " said: 250 2.1.5 Ok", CALLOUT_ACCEPT },
		{ UP, "carol@example.org", UP " said: 550 5.1.1 <carol@example.org>: User unknown", CALLOUT_REJECT },
		{ UP, "busy@example.org", UP " said: 451 4.3.0", CALLOUT_TEMPFAIL },
		{ UP_LMTP, "bob@example.org", UP_LMTP " said: 250", CALLOUT_ACCEPT },
		{ DOWN, "alice@example.org", DOWN ": connection refused", CALLOUT_TEMPFAIL },
		{ UP, "bad\r\nRCPT TO:<x>@example.org", "address cannot be probed", CALLOUT_REJECT },
	};
	char why[512];
	bool cached;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum callout_result r = probe(cases[i].spec, cases[i].addr, &nocache, why, &cached);
		if (r != cases[i].want || strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: %d \"%s\"", i, r, why);
	}
}

static void
probe__pool__one_connection_for_many_probes(void **state)
{
	int conns = count("connect"), rcpts = count("RCPT");
	char why[512];
	bool cached;

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(probe(UP, i % 2 ? "alice@example.org" : "x@example.org", &nocache, why, &cached),
				 i % 2 ? CALLOUT_ACCEPT : CALLOUT_REJECT);
	assert_int_equal(count("connect") - conns, 1);
	assert_int_equal(count("RCPT") - rcpts, 5);
}

static void
probe__cache__own_ttls(void **state)
{
	const struct callout_opts o = { 2000, 60, 0, 4, "mx.example.org" };
	int rcpts = count("RCPT");
	char why[512];
	bool cached;

	(void)state;
	assert_int_equal(probe(UP, "bob@example.org", &o, why, &cached), CALLOUT_ACCEPT);
	assert_false(cached);
	assert_int_equal(probe(UP, "BOB@example.org", &o, why, &cached), CALLOUT_ACCEPT);
	assert_true(cached);
	assert_string_equal(why, UP ": cached accept");
	/* negative_ttl 0: each unknown address is asked again */
	assert_int_equal(probe(UP, "zed@example.org", &o, why, &cached), CALLOUT_REJECT);
	assert_int_equal(probe(UP, "zed@example.org", &o, why, &cached), CALLOUT_REJECT);
	assert_false(cached);
	/* temporary failures are never cached */
	assert_int_equal(probe(UP, "busy1@example.org", &o, why, &cached), CALLOUT_TEMPFAIL);
	assert_int_equal(probe(UP, "busy1@example.org", &o, why, &cached), CALLOUT_TEMPFAIL);
	assert_int_equal(count("RCPT") - rcpts, 5);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
probe__slow_backend__tempfail_within_timeout(void **state)
{
	const struct callout_opts o = { 500, 0, 0, 4, "mx.example.org" };
	char why[512];
	bool cached;
	double t0 = seconds();

	(void)state;
	assert_int_equal(probe(UP, "slow@example.org", &o, why, &cached), CALLOUT_TEMPFAIL);
	assert_string_equal(why, UP ": timeout");
	assert_true(seconds() - t0 < 1.0);
}

static void
probe__closed_connection__tempfail_then_recovers(void **state)
{
	char why[512];
	bool cached;

	(void)state;
	assert_int_equal(probe(UP, "alice@example.org", &nocache, why, &cached), CALLOUT_ACCEPT);
	assert_int_equal(probe(UP, "drop@example.org", &nocache, why, &cached), CALLOUT_TEMPFAIL);
	assert_string_equal(why, UP ": connection closed by the backend");
	assert_int_equal(probe(UP, "alice@example.org", &nocache, why, &cached), CALLOUT_ACCEPT);
}

static void *
slow_probe(void *arg)
{
	const struct callout_opts o = { 5000, 0, 0, 1, "mx.example.org" };
	char why[512];
	bool cached;

	*(enum callout_result *)arg = probe(UP, "slow2@example.org", &o, why, &cached);
	return NULL;
}

static void
probe__concurrency_limit__waits_then_tempfails(void **state)
{
	const struct callout_opts o = { 300, 0, 0, 1, "mx.example.org" };
	enum callout_result slow = CALLOUT_REJECT;
	char why[512];
	bool cached;
	pthread_t tid;

	int before = count("RCPT slow2@example.org");

	(void)state;
	pthread_create(&tid, NULL, slow_probe, &slow);
	/* the one connection is busy once the server has the slow RCPT (it
	 * answers 3 s later: the 300 ms probe below has 2.7 s of margin) */
	for (int i = 0; i < 500 && count("RCPT slow2@example.org") == before; i++)
		usleep(10000);
	assert_int_equal(count("RCPT slow2@example.org"), before + 1);
	assert_int_equal(probe(UP, "alice@example.org", &o, why, &cached), CALLOUT_TEMPFAIL);
	assert_string_equal(why, UP ": all 1 connections busy until the timeout");
	pthread_join(tid, NULL);
	assert_int_equal(slow, CALLOUT_ACCEPT);
}

static void
spec_check__forms(void **state)
{
	static const char *const good[] = { "smtp:127.0.0.1:25", "lmtp:[::1]:24", "lmtp:192.0.2.1:65535" };
	static const char *const bad[] = { "smtp:localhost:25", "smtp:127.0.0.1", "lmtp:[::1]24",
					   "ftp:127.0.0.1:21", "smtp:127.0.0.1:0", "smtp::25" };
	char why[256];

	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(callout_spec_check(good[i], why, sizeof(why)), 0);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(callout_spec_check(bad[i], why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not smtp:ADDRESS:PORT or lmtp:ADDRESS:PORT"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(probe__answers__mapped, reset),
		cmocka_unit_test_teardown(probe__pool__one_connection_for_many_probes, reset),
		cmocka_unit_test_teardown(probe__cache__own_ttls, reset),
		cmocka_unit_test_teardown(probe__slow_backend__tempfail_within_timeout, reset),
		cmocka_unit_test_teardown(probe__closed_connection__tempfail_then_recovers, reset),
		cmocka_unit_test_teardown(probe__concurrency_limit__waits_then_tempfails, reset),
		cmocka_unit_test(spec_check__forms),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
