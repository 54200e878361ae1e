/*
 * test_metrics.c - the counters and their Prometheus text (lib/util/metrics.c)
 *
 * The state is process-wide, so the cases share it: each uses label
 * values of its own, and the table-full case runs last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* the rendered text has this exact line */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static char *
render(void)
{
	size_t len = 0;
	char *t = metrics_render(&len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	return t;
}

static void
decision__counted__labelled_line(void **state)
{
	char *t;

	(void)state;
	metrics_decision("inbound", "rcpt", "dnsbl", "reject", false);
	metrics_decision("inbound", "rcpt", "dnsbl", "reject", false);
	metrics_decision("inbound", "helo", "helo_fqdn", "reject", true);
	t = render();
	assert_true(has_line(t, "doorman_decisions_total{policy=\"inbound\",stage=\"rcpt\",rule=\"dnsbl\",action=\"reject\"} 2"));
	assert_true(has_line(t, "doorman_dryrun_total{policy=\"inbound\",stage=\"helo\",rule=\"helo_fqdn\",action=\"reject\"} 1"));
	assert_false(has_line(t, "doorman_decisions_total{policy=\"inbound\",stage=\"helo\",rule=\"helo_fqdn\",action=\"reject\"} 1"));
	assert_true(has_line(t, "# TYPE doorman_decisions_total counter"));
	assert_non_null(strstr(t, "# HELP doorman_decisions_total "));
	free(t);
}

static void
label__quote_backslash_newline__escaped(void **state)
{
	char *t;

	(void)state;
	metrics_decision("a\"b\\c\nd", "rcpt", "relay", "reject", false);
	t = render();
	assert_true(has_line(t, "doorman_decisions_total{policy=\"a\\\"b\\\\c\\nd\",stage=\"rcpt\",rule=\"relay\",action=\"reject\"} 1"));
	free(t);
}

static void *
hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		metrics_decision("threads", "rcpt", "recipient", "accept", false);
		metrics_gauge_add(MG_WORKERS_BUSY, 1);
		metrics_gauge_add(MG_WORKERS_BUSY, -1);
	}
	return NULL;
}

static void
decision__four_threads__none_lost(void **state)
{
	pthread_t t[4];
	char *text;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = render();
	assert_true(has_line(text, "doorman_decisions_total{policy=\"threads\",stage=\"rcpt\",rule=\"recipient\",action=\"accept\"} 80000"));
	assert_true(has_line(text, "doorman_workers_busy 0"));
	free(text);
}

static void
stage__durations__cumulative_buckets(void **state)
{
	int64_t now = metrics_stage_begin();
	char *t;

	(void)state;
	metrics_stage_end(1, now - 2000000);    /* helo: 2 ms */
	metrics_stage_end(1, now - 700000000);  /* 0.7 s */
	metrics_stage_end(1, now - 99000000000); /* 99 s: above every bound */
	metrics_stage_end(4, now);              /* data: not timed, not shown */
	metrics_stage_end(42, now);             /* no such stage: ignored */
	t = render();
	assert_true(has_line(t, "# TYPE doorman_stage_duration_seconds histogram"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"0.001\"} 0"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"0.005\"} 1"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"0.5\"} 1"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"1\"} 2"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"30\"} 2"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_bucket{stage=\"helo\",le=\"+Inf\"} 3"));
	assert_true(has_line(t, "doorman_stage_duration_seconds_count{stage=\"helo\"} 3"));
	assert_non_null(strstr(t, "doorman_stage_duration_seconds_sum{stage=\"helo\"} 99.70"));
	assert_null(strstr(t, "stage=\"data\""));
	free(t);
}

static void
dns_store_gauges__counted__lines(void **state)
{
	struct metrics_slot *z = metrics_dns_zone("zen.example"), *other = metrics_dns_zone(NULL);
	char *t;

	(void)state;
	assert_ptr_equal(z, metrics_dns_zone("zen.example"));
	metrics_dns(z, MDNS_QUERY);
	metrics_dns(z, MDNS_QUERY);
	metrics_dns(z, MDNS_CACHE_HIT);
	metrics_dns(z, MDNS_TIMEOUT);
	metrics_dns(other, MDNS_FAILURE);
	metrics_dns(NULL, MDNS_QUERY); /* a full table's NULL: nothing */
	metrics_store("lmdb", "grey", false);
	metrics_store("lmdb", "grey", true);
	metrics_gauge_add(MG_CONNECTIONS_OPEN, 3);
	metrics_gauge_add(MG_CONNECTIONS_OPEN, -1);
	metrics_reloaded(true);
	metrics_reloaded(true);
	metrics_reloaded(false);
	t = render();
	assert_true(has_line(t, "doorman_dns_queries_total{zone=\"zen.example\"} 2"));
	assert_true(has_line(t, "doorman_dns_cache_hits_total{zone=\"zen.example\"} 1"));
	assert_true(has_line(t, "doorman_dns_timeouts_total{zone=\"zen.example\"} 1"));
	assert_true(has_line(t, "doorman_dns_failures_total{zone=\"other\"} 1"));
	assert_true(has_line(t, "doorman_store_operations_total{backend=\"lmdb\",op=\"grey\"} 2"));
	assert_true(has_line(t, "doorman_store_failures_total{backend=\"lmdb\",op=\"grey\"} 1"));
	assert_true(has_line(t, "doorman_mta_connections_open 2"));
	assert_true(has_line(t, "doorman_policy_generation 2"));
	assert_true(has_line(t, "doorman_reload_last_success 0"));
	assert_non_null(strstr(t, "\ndoorman_reload_last_timestamp_seconds 1"));
	assert_non_null(strstr(t, "\ndoorman_build_info{version=\""));
	free(t);
}

static void
listen_parse__table(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *host, *port, *path;
	} cases[] = {
		{ "127.0.0.1:9891", 0, "127.0.0.1", "9891", "" },
		{ "[::1]:9891", 0, "::1", "9891", "" },
		{ "unix:/run/doorman/metrics.sock", 0, "", "", "/run/doorman/metrics.sock" },
		{ "unix:relative", -1, NULL, NULL, NULL },
		{ "localhost:9891", -1, NULL, NULL, NULL },
		{ "::1:9891", -1, NULL, NULL, NULL },
		{ "127.0.0.1", -1, NULL, NULL, NULL },
		{ "127.0.0.1:0", -1, NULL, NULL, NULL },
		{ "127.0.0.1:65536", -1, NULL, NULL, NULL },
		{ "127.0.0.1:99x", -1, NULL, NULL, NULL },
		{ "127.0.0.1:-1", -1, NULL, NULL, NULL },
		{ ":9891", -1, NULL, NULL, NULL },
	};
	struct metrics_addr a;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		int rc = metrics_listen_parse(cases[i].in, &a, why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("%s: %d, want %d (%s)", cases[i].in, rc, cases[i].rc, why);
		if (rc == 0) {
			assert_string_equal(a.host, cases[i].host);
			assert_string_equal(a.port, cases[i].port);
			assert_string_equal(a.path, cases[i].path);
		} else {
			assert_non_null(strstr(why, cases[i].in));
		}
	}
}

/* last: fills the table */
static void
table_full__new_series__dropped_counted(void **state)
{
	char name[32], *t;

	(void)state;
	for (int i = 0; i < METRICS_SLOTS + 10; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		metrics_decision(name, "rcpt", "relay", "reject", false);
	}
	t = render();
	assert_null(strstr(t, "\ndoorman_metrics_dropped_total 0\n"));
	/* a series placed before still counts */
	metrics_decision("inbound", "rcpt", "dnsbl", "reject", false);
	free(t);
	t = render();
	assert_true(has_line(t, "doorman_decisions_total{policy=\"inbound\",stage=\"rcpt\",rule=\"dnsbl\",action=\"reject\"} 3"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decision__counted__labelled_line),
		cmocka_unit_test(label__quote_backslash_newline__escaped),
		cmocka_unit_test(decision__four_threads__none_lost),
		cmocka_unit_test(stage__durations__cumulative_buckets),
		cmocka_unit_test(dns_store_gauges__counted__lines),
		cmocka_unit_test(listen_parse__table),
		cmocka_unit_test(table_full__new_series__dropped_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
