/*
 * metrics.c - the process's counters, and their Prometheus text (see metrics.h)
 *
 * The labelled table: a slot's state goes 0 (free) -> 1 (a thread is
 * writing its labels) -> 2 (ready) and never back.  A thread that finds
 * a slot in state 1 waits for it (a few hundred bytes being copied)
 * before comparing labels, so one label set never gets two slots; the
 * wait is bounded, and a series that cannot be placed is counted as
 * dropped, never blocks the mail.
 */
#define _GNU_SOURCE /* open_memstream */
#include "metrics.h"

#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "version.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ADD(p, n) __atomic_add_fetch((p), (n), __ATOMIC_RELAXED)

enum family { F_DECISION, F_DRYRUN, F_DNS, F_STORE };
#define NLABELS 4
#define SLOT_WAIT 100000 /* sched_yield()s a reader waits for a slot being written */

struct metrics_slot {
	int state;     /* atomic: 0 free, 1 being written, 2 ready */
	int family;    /* written before state 2 */
	char label[NLABELS][METRICS_LABEL_MAX];
	unsigned long v[MDNS_COUNT]; /* atomics: one counter, or a zone's four, or ops and failures */
};

static struct metrics_slot slots[METRICS_SLOTS];
static unsigned long dropped; /* atomic */
static long gauges[MG_COUNT]; /* atomics */
static unsigned long counters[MC_COUNT]; /* atomics */
static const char *const counter_docs[MC_COUNT][2] = {
	[MC_FWD_EVIDENCE] = { "doorman_forwarder_evidence_total",
			      "Messages counted as evidence that their client is a store-and-forward relay." },
	[MC_FWD_LEARNED] = { "doorman_forwarder_learned_total", "Clients that became learned forwarders." },
	[MC_FWD_LOOKUPS] = { "doorman_forwarder_lookups_total", "Learned-forwarder lookups at connect." },
	[MC_FWD_STORE_FAILURES] = { "doorman_forwarder_store_failures_total",
				    "Learned-forwarder lookups and evidence counts the state store failed." },
};

/* the stage histograms: upper bounds in seconds, the last bucket is +Inf */
static const double bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
static struct {
	unsigned long bucket[NBOUNDS + 1]; /* atomics, not cumulative; the last is above every bound */
	unsigned long count;
	unsigned long sum_ns;
} hist[METRICS_STAGES];
/* data: header fields and body chunks are not timed (many small calls; eom does their work) */
static const char *const stage_names[METRICS_STAGES] = { "connect", "helo", "mail", "rcpt", NULL, "eom" };

static uint64_t
hash(int family, const char *const *lab, int n)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)family;

	for (int i = 0; i < n; i++) {
		for (const char *p = lab[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

static bool
same(const struct metrics_slot *s, int family, const char *const *lab, int n)
{
	if (s->family != family)
		return false;
	for (int i = 0; i < n; i++)
		if (strncmp(s->label[i], lab[i], METRICS_LABEL_MAX - 1) != 0)
			return false;
	return true;
}

/* the slot of (family, labels), claimed if new; NULL when none is free */
static struct metrics_slot *
slot_of(int family, const char *const *lab, int n)
{
	size_t i = (size_t)(hash(family, lab, n) % METRICS_SLOTS);

	for (size_t probe = 0; probe < METRICS_SLOTS; probe++, i = (i + 1) % METRICS_SLOTS) {
		struct metrics_slot *s = &slots[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == 0) {
			int expect = 0;
			if (__atomic_compare_exchange_n(&s->state, &expect, 1, false, __ATOMIC_ACQUIRE,
							__ATOMIC_ACQUIRE)) {
				s->family = family;
				for (int k = 0; k < n; k++)
					snprintf(s->label[k], sizeof(s->label[k]), "%s", lab[k]);
				__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
				return s;
			}
			st = expect;
		}
		for (int w = 0; st == 1 && w < SLOT_WAIT; w++) {
			sched_yield();
			st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		}
		if (st == 1)
			break; /* its writer stalls: dropping beats a second slot for one series */
		if (same(s, family, lab, n))
			return s;
	}
	ADD(&dropped, 1);
	return NULL;
}

void
metrics_decision(const char *policy, const char *stage, const char *rule, const char *action,
		 bool dryrun)
{
	const char *lab[NLABELS] = { policy, stage, rule ? rule : "", action };
	struct metrics_slot *s = slot_of(dryrun ? F_DRYRUN : F_DECISION, lab, NLABELS);

	if (s != NULL)
		ADD(&s->v[0], 1);
}

int64_t
metrics_stage_begin(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
metrics_stage_end(int stage, int64_t begin)
{
	int64_t ns = metrics_stage_begin() - begin;
	double sec;
	size_t b = 0;

	if (stage < 0 || stage >= METRICS_STAGES)
		return;
	if (ns < 0)
		ns = 0;
	sec = (double)ns / 1e9;
	while (b < NBOUNDS && sec > bounds[b])
		b++;
	ADD(&hist[stage].bucket[b], 1);
	ADD(&hist[stage].count, 1);
	ADD(&hist[stage].sum_ns, (unsigned long)ns);
}

struct metrics_slot *
metrics_dns_zone(const char *zone)
{
	const char *lab[1] = { zone != NULL ? zone : "other" };

	return slot_of(F_DNS, lab, 1);
}

void
metrics_dns(struct metrics_slot *zone, enum metrics_dns_event ev)
{
	if (zone != NULL && ev < MDNS_COUNT)
		ADD(&zone->v[ev], 1);
}

void
metrics_store(const char *backend, const char *op, bool failed)
{
	const char *lab[2] = { backend, op };
	struct metrics_slot *s = slot_of(F_STORE, lab, 2);

	if (s == NULL)
		return;
	ADD(&s->v[0], 1);
	if (failed)
		ADD(&s->v[1], 1);
}

void
metrics_count(enum metrics_counter k)
{
	if (k < MC_COUNT)
		ADD(&counters[k], 1);
}

void
metrics_gauge_add(enum metrics_gauge g, long by)
{
	ADD(&gauges[g], by);
}

void
metrics_gauge_set(enum metrics_gauge g, long v)
{
	__atomic_store_n(&gauges[g], v, __ATOMIC_RELAXED);
}

long
metrics_gauge_get(enum metrics_gauge g)
{
	return LOAD(&gauges[g]);
}

void
metrics_reloaded(bool ok)
{
	if (ok)
		metrics_gauge_add(MG_POLICY_GENERATION, 1);
	metrics_gauge_set(MG_RELOAD_SUCCESS, ok ? 1 : 0);
	metrics_gauge_set(MG_RELOAD_TIME, (long)time(NULL));
}

/* ---- the exposition ---- */

/* a label value: backslash, double quote and line feed escaped */
static void
put_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const label_names[][NLABELS] = {
	[F_DECISION] = { "policy", "stage", "rule", "action" },
	[F_DRYRUN] = { "policy", "stage", "rule", "action" },
	[F_DNS] = { "zone" },
	[F_STORE] = { "backend", "op" },
};
static const int nlabels[] = { [F_DECISION] = 4, [F_DRYRUN] = 4, [F_DNS] = 1, [F_STORE] = 2 };

/* every ready slot of family: name{labels} v[which] */
static void
series(FILE *f, int family, const char *name, int which)
{
	for (size_t i = 0; i < METRICS_SLOTS; i++) {
		const struct metrics_slot *s = &slots[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 2 || s->family != family)
			continue;
		fprintf(f, "%s{", name);
		for (int k = 0; k < nlabels[family]; k++) {
			fprintf(f, "%s%s=\"", k ? "," : "", label_names[family][k]);
			put_value(f, s->label[k]);
			fputc('"', f);
		}
		fprintf(f, "} %lu\n", LOAD(&s->v[which]));
	}
}

static void
gauge(FILE *f, const char *name, const char *help, enum metrics_gauge g)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s %ld\n", name, metrics_gauge_get(g));
}

char *
metrics_render(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	head(f, "doorman_build_info", "gauge", "Always 1; the labels say which doorman this is.");
	fprintf(f, "doorman_build_info{version=\"%s\"} 1\n", DOORMAN_VERSION);

	head(f, "doorman_decisions_total", "counter",
	     "Decisions taken, per policy, stage, rule and action (accept counts recipients and messages let in).");
	series(f, F_DECISION, "doorman_decisions_total", 0);
	head(f, "doorman_dryrun_total", "counter",
	     "Decisions a dry run did not take, per policy, stage, rule and the action it would have taken.");
	series(f, F_DRYRUN, "doorman_dryrun_total", 0);

	head(f, "doorman_stage_duration_seconds", "histogram",
	     "Time doorman spent on one stage of a session (its checks and their lookups).");
	for (int st = 0; st < METRICS_STAGES; st++) {
		unsigned long cum = 0;
		if (stage_names[st] == NULL)
			continue;
		for (size_t b = 0; b <= NBOUNDS; b++) {
			cum += LOAD(&hist[st].bucket[b]);
			if (b < NBOUNDS)
				fprintf(f, "doorman_stage_duration_seconds_bucket{stage=\"%s\",le=\"%g\"} %lu\n",
					stage_names[st], bounds[b], cum);
			else
				fprintf(f, "doorman_stage_duration_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %lu\n",
					stage_names[st], cum);
		}
		/* the count from the buckets, so that +Inf and _count agree within one scrape */
		fprintf(f, "doorman_stage_duration_seconds_sum{stage=\"%s\"} %.9f\n", stage_names[st],
			(double)LOAD(&hist[st].sum_ns) / 1e9);
		fprintf(f, "doorman_stage_duration_seconds_count{stage=\"%s\"} %lu\n", stage_names[st], cum);
	}

	head(f, "doorman_dns_queries_total", "counter", "DNS queries asked, per list zone (other: not a list's).");
	series(f, F_DNS, "doorman_dns_queries_total", MDNS_QUERY);
	head(f, "doorman_dns_cache_hits_total", "counter", "DNS queries answered from doorman's cache, per zone.");
	series(f, F_DNS, "doorman_dns_cache_hits_total", MDNS_CACHE_HIT);
	head(f, "doorman_dns_timeouts_total", "counter", "DNS queries cancelled at their deadline, per zone.");
	series(f, F_DNS, "doorman_dns_timeouts_total", MDNS_TIMEOUT);
	head(f, "doorman_dns_failures_total", "counter",
	     "DNS queries that failed (SERVFAIL, REFUSED, bogus, resolver errors), per zone.");
	series(f, F_DNS, "doorman_dns_failures_total", MDNS_FAILURE);

	head(f, "doorman_store_operations_total", "counter", "State store operations, per backend and operation.");
	series(f, F_STORE, "doorman_store_operations_total", 0);
	head(f, "doorman_store_failures_total", "counter",
	     "State store operations that failed (a temporary failure), per backend and operation.");
	series(f, F_STORE, "doorman_store_failures_total", 1);

	for (int k = 0; k < MC_COUNT; k++) {
		head(f, counter_docs[k][0], "counter", counter_docs[k][1]);
		fprintf(f, "%s %lu\n", counter_docs[k][0], LOAD(&counters[k]));
	}

	gauge(f, "doorman_mta_connections_open", "SMTP sessions the MTAs are passing to doorman now.",
	      MG_CONNECTIONS_OPEN);
	gauge(f, "doorman_workers_busy", "Threads running a stage's checks now.", MG_WORKERS_BUSY);
	gauge(f, "doorman_policy_generation", "Policies loaded since start; 1 is the one started with.",
	      MG_POLICY_GENERATION);
	gauge(f, "doorman_reload_last_success", "1 when the last policy load (start or reload) succeeded, else 0.",
	      MG_RELOAD_SUCCESS);
	gauge(f, "doorman_reload_last_timestamp_seconds", "When the last policy load ended, in seconds since the epoch.",
	      MG_RELOAD_TIME);
	head(f, "doorman_metrics_dropped_total", "counter",
	     "Counts not kept because doorman's table of labelled series was full.");
	fprintf(f, "doorman_metrics_dropped_total %lu\n", LOAD(&dropped));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
metrics_listen_parse(const char *spec, struct metrics_addr *out, char *why, size_t whylen)
{
	const char *colon, *host = spec;
	unsigned char bin[16];
	size_t hlen;
	long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:", 5) == 0) {
		if (spec[5] != '/' || strlen(spec + 5) >= sizeof(out->path)) {
			snprintf(why, whylen, "\"%s\": unix: takes an absolute path of under %zu bytes", spec,
				 sizeof(out->path));
			return -1;
		}
		snprintf(out->path, sizeof(out->path), "%s", spec + 5);
		return 0;
	}
	colon = strrchr(spec, ':');
	if (colon == NULL) {
		snprintf(why, whylen, "\"%s\" is not address:port or unix:/path", spec);
		return -1;
	}
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[' && hlen >= 2 && spec[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(out->host)) {
		snprintf(why, whylen, "\"%s\" is not address:port or unix:/path", spec);
		return -1;
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	if (inet_pton(AF_INET, out->host, bin) != 1 &&
	    (host == spec || inet_pton(AF_INET6, out->host, bin) != 1)) {
		snprintf(why, whylen, "\"%s\": %s is not a numeric address (write [::1]:port for IPv6)", spec,
			 out->host);
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 1 || port > 65535) {
		snprintf(why, whylen, "\"%s\": port %s is not 1..65535", spec, colon + 1);
		return -1;
	}
	snprintf(out->port, sizeof(out->port), "%ld", port);
	return 0;
}
