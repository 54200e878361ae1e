/*
 * metrics.h - the process's counters, and their Prometheus text
 *
 * NAME
 *	metrics - what doorman has decided and how long it took, counted
 *	where it happens and read by a scrape (milter/metrics_http.c)
 *
 * SYNOPSIS
 *	metrics_decision("inbound", "rcpt", "dnsbl", "reject", false);
 *	int64_t t0 = metrics_stage_begin();  ...  metrics_stage_end(STAGE, t0);
 *	struct metrics_slot *z = metrics_dns_zone("zen.example"); metrics_dns(z, MDNS_QUERY);
 *	metrics_store("lmdb", "get", failed);
 *	metrics_gauge_add(MG_CONNECTIONS_OPEN, 1);
 *	char *text = metrics_render(&len);   (text exposition format 0.0.4)
 *
 * DESCRIPTION
 *	Every counter is a process-wide atomic updated with relaxed
 *	ordering: the mail path never takes a lock, never allocates, and
 *	never waits for a scrape.  A scrape reads each value once; values of
 *	one scrape are not a snapshot of one instant (Prometheus expects no
 *	more of a counter).
 *
 *	Labelled counters (decisions, dry-run would-actions, DNS per zone,
 *	store operations) live in one fixed table of METRICS_SLOTS slots,
 *	found by a hash of the family and its label values and claimed
 *	with a compare-and-swap: a slot, once its labels are written, is
 *	never freed, so a reader needs no lock either.  Label values are
 *	copied (a policy or zone name outlives its reload); one longer
 *	than METRICS_LABEL_MAX is cut.  When the table is full, a new
 *	series is counted in doorman_metrics_dropped_total instead: the
 *	label sets are bounded by the policy (policies x stages x rules x
 *	actions, zones), so that means a table too small, not an attack.
 *
 *	The stage histograms have fixed buckets (METRICS_BUCKETS); the sum
 *	is kept in nanoseconds.
 *
 * THREADS
 *	Every function may be called from any thread at any time, also
 *	before anything else: the state is static and zero-initialised.
 *
 * LIMITS
 *	Counters are unsigned long (64 bits on the platforms doorman
 *	supports): they do not wrap in practice.
 */
#ifndef DOORMAN_METRICS_H
#define DOORMAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_SLOTS 2048
#define METRICS_LABEL_MAX 64

/* When you add a stage to enum stage (session.h), also add its name to
 * metrics.c's stage_names[]. */
#define METRICS_STAGES 6

enum metrics_gauge {
	MG_CONNECTIONS_OPEN,  /* SMTP sessions the MTAs pass to doorman now */
	MG_WORKERS_BUSY,      /* threads inside a stage's checks now */
	MG_POLICY_GENERATION, /* policies loaded since start (1: the first) */
	MG_RELOAD_SUCCESS,    /* 1 when the last load succeeded */
	MG_RELOAD_TIME,       /* its wall-clock time, seconds since the epoch */
	MG_COUNT
};

/* Plain counters without labels.  When you add one, also add its name and
 * help to metrics.c's counter_docs[]. */
enum metrics_counter {
	MC_FWD_EVIDENCE,       /* messages counted as forwarder evidence (fwdlearn.c) */
	MC_FWD_LEARNED,        /* clients that became learned forwarders */
	MC_FWD_LOOKUPS,        /* learned-forwarder lookups at connect */
	MC_FWD_STORE_FAILURES, /* ... and store failures of either */
	MC_COUNT
};

enum metrics_dns_event { MDNS_QUERY, MDNS_CACHE_HIT, MDNS_TIMEOUT, MDNS_FAILURE, MDNS_COUNT };

struct metrics_slot;

/* a decision: dryrun counts the action the rule would have taken */
void metrics_decision(const char *policy, const char *stage, const char *rule, const char *action,
		      bool dryrun);

/* the time a stage's work took, from metrics_stage_begin()'s value */
int64_t metrics_stage_begin(void);
void metrics_stage_end(int stage, int64_t begin);

/* a zone's counters (NULL zone: "other", a lookup that is no list's); NULL when the table is full */
struct metrics_slot *metrics_dns_zone(const char *zone);
void metrics_dns(struct metrics_slot *zone, enum metrics_dns_event ev);

/* one store operation of backend, and whether it failed */
void metrics_store(const char *backend, const char *op, bool failed);

void metrics_count(enum metrics_counter k);
void metrics_gauge_add(enum metrics_gauge g, long by);
void metrics_gauge_set(enum metrics_gauge g, long v);
long metrics_gauge_get(enum metrics_gauge g);

/* metrics_reloaded - a policy load ended: ok or not, now */
void metrics_reloaded(bool ok);

/* metrics_render - the whole exposition, newly allocated (len bytes); NULL without memory */
char *metrics_render(size_t *len);

/*
 * metrics_listen_parse - metrics.listen: "unix:/path", "address:port" or
 * "[v6address]:port", numeric only.  0 with out filled (path empty for
 * inet; host without brackets), or -1 with a reason.
 */
struct metrics_addr {
	char path[108];
	char host[64];
	char port[8];
};
int metrics_listen_parse(const char *spec, struct metrics_addr *out, char *why, size_t whylen);

#endif
