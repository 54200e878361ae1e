/*
 * dns.h - the process's one DNS resolver
 *
 * One struct dns is shared by every thread.  It wraps libunbound, which
 * keeps the cache (honouring TTLs), retries and the upstream bookkeeping;
 * nothing of that is written again here.  A caller (a check) opens a
 * batch, adds all the queries it needs, and waits once for all of them
 * with one deadline, so five DNSBL zones cost one round trip, not five.
 *
 * Every answer is three-valued, with NXDOMAIN and NODATA kept apart:
 *   DNS_FOUND     records of the type asked for (rr[], as text)
 *   DNS_NXDOMAIN  the name does not exist
 *   DNS_NODATA    the name exists, without records of that type
 *   DNS_TEMPFAIL  no answer to trust: timeout, SERVFAIL, REFUSED, a bogus
 *                 DNSSEC answer, the per-batch query budget spent; why says
 *                 which.  Never to be read as "not listed".
 *
 * Threads: libunbound resolves in its own thread (ub_ctx_async); one
 * thread of ours runs ub_process() and hands each answer to its batch
 * under the batch's mutex.  dns_batch_wait() cancels what the deadline
 * left unanswered; a batch is freed only when no callback can reach it.
 * The counters are atomics.
 *
 * Record text: A and AAAA as addresses, TXT as its strings joined, MX as
 * "preference name", PTR, NS and CNAME as names (lower case, no final dot).
 */
#ifndef DOORMAN_DNS_H
#define DOORMAN_DNS_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_NS 2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28

#define DNS_RR_MAX 32 /* records kept per answer; more are counted, not kept */

enum dns_status { DNS_FOUND, DNS_NXDOMAIN, DNS_NODATA, DNS_TEMPFAIL };

struct dns_answer {
	enum dns_status status;
	const char *why;  /* static: "timeout", "servfail", "budget", ... */
	int ttl;
	int nrr;          /* records kept in rr[] */
	char *rr[DNS_RR_MAX];
	unsigned char *wire; /* the whole answer as it came (for libopendkim), or NULL */
	size_t wirelen;
};

struct dns_stats {
	unsigned long queries;   /* asked (not counting those over budget) */
	unsigned long cache_hits; /* of those, answered from doorman's own cache (dnscache.c) */
	unsigned long answers;   /* any answer that came back */
	unsigned long timeouts;  /* cancelled at the deadline */
	unsigned long failures;  /* SERVFAIL, REFUSED, errors */
	unsigned long over_budget;
};

struct dns;
struct dns_batch;

/*
 * dns_new - a resolver forwarding to upstreams ("192.0.2.53",
 * "127.0.0.1@5353"), or to the servers of /etc/resolv.conf when there are
 * none; zones asked of their own server (a local rbldnsd mirror of a DNSBL,
 * say) go there instead.
 * unblock: special-use zones libunbound answers itself by default (for
 * example "test." or "2.0.192.in-addr.arpa.") that must reach the
 * upstream instead (made "transparent").  NULL with a reason in why.

 */
struct dns_setup {
	const char *const *upstreams; /* "address" or "address@port" */
	size_t nupstreams;
	const char *const *unblock;   /* "test." */
	size_t nunblock;
	const char *const *zones;     /* "zone=address@port": that zone from that server */
	size_t nzones;
};

struct dns *dns_new(const struct dns_setup *setup, char *why, size_t whylen);
void dns_free(struct dns *d);
void dns_stats_get(struct dns *d, struct dns_stats *out);

/* dns_batch_new - budget: how many queries this batch may send; 0 is none,
 * DNS_NO_BUDGET no limit. */
#define DNS_NO_BUDGET 0xffffffffu
struct dns_batch *dns_batch_new(struct dns *d, unsigned budget);
/* dns_batch_add - start a query now; its index.  Over budget, the answer is
 * TEMPFAIL "budget" at once. */
int dns_batch_add(struct dns_batch *b, const char *name, int type);
/* dns_batch_add_zone - the same, counted in the metrics under a list's
 * zone (metrics.h); dns_batch_add counts under "other". */
int dns_batch_add_zone(struct dns_batch *b, const char *name, int type, const char *zone);
/* dns_batch_wait - until every query has an answer or timeout_ms passed;
 * then every unanswered query is TEMPFAIL "timeout". */
void dns_batch_wait(struct dns_batch *b, int timeout_ms);
const struct dns_answer *dns_batch_answer(const struct dns_batch *b, int i);
/* dns_batch_sent - queries this batch sent (what it cost of a budget). */
unsigned dns_batch_sent(const struct dns_batch *b);
void dns_batch_free(struct dns_batch *b);
/* dns_keep_questions - every query's name kept, answered from the cache or
 * not (before any batch; doorman -t), for dns_batch_question. */
void dns_keep_questions(struct dns *d);
/* dns_batch_count, dns_batch_question - the queries added, and query i's
 * name (NULL: not kept, see dns_keep_questions), type and list zone (NULL: not a list's; the caller's string, as
 * dns_batch_add_zone was given it), for the trace of doorman -t. */
int dns_batch_count(const struct dns_batch *b);
const char *dns_batch_question(const struct dns_batch *b, int i, int *type, const char **zone);
/* dns_type_name - "A", "TXT", ...; "TYPEn" style names are not needed. */
const char *dns_type_name(int type);

const char *dns_status_name(enum dns_status s);

/*
 * dns_txt_exact - the TXT records of an answer byte for byte, read from
 * its wire form: each record's strings joined with every byte kept (NUL,
 * control and 8-bit bytes included, no length cut), where rr[] shows
 * unprintable bytes as '?' and cuts at 1024.  Up to max records into
 * txt[] (each newly allocated, NUL-terminated for convenience) with their
 * lengths in len[]; how many, or -1 when there is no wire form to read.
 */
int dns_txt_exact(const struct dns_answer *a, char **txt, size_t *len, int max);

/*
 * dns_rr_text - one record's rdata (TYPE, as libunbound hands it) as the
 * text rr[] holds (see above), newly allocated; NULL when it is malformed
 * or of a type not listed: a name whose labels run past the rdata, a
 * compression pointer, a name over 255 octets, a short MX.  Every answer
 * goes through it; exported for the tests and t/fuzz.
 */
char *dns_rr_text(int type, const unsigned char *data, int len);

#endif
