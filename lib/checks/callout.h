/*
 * callout.h - recipient verification by asking the delivery server
 *
 * NAME
 *	callout - an SMTP or LMTP probe (MAIL FROM:<> / RCPT TO:<addr> /
 *	RSET) on pooled connections, with a cache of the answers
 *
 * BACKENDS
 *	"smtp:ADDRESS:PORT" or "lmtp:ADDRESS:PORT", ADDRESS an IPv4 address or
 *	an IPv6 one in brackets ("lmtp:[::1]:24"); no host names, whose
 *	lookup would block outside any deadline.  We greet with EHLO (HELO
 *	when EHLO is refused) or LHLO, in the name given.
 *
 * ANSWERS
 *	A 2xx to RCPT is CALLOUT_ACCEPT, a 5xx CALLOUT_REJECT.  Everything
 *	else is CALLOUT_TEMPFAIL: a 4xx, a refused MAIL FROM:<>, a refused
 *	connection, a timeout, a closed connection, no free slot in time.  A
 *	backend that is down can never make a recipient look unknown.  The
 *	whole probe, waiting for a slot included, ends within timeout_ms.
 *
 * POOL AND CACHE
 *	Each backend (process-wide, by its spec, surviving reloads) keeps
 *	idle connections for reuse (RSET between probes; closed after 30 s
 *	idle; a reused connection the server closed is retried once on a new
 *	one) and runs at most max_conns probes at once.  Accept and reject
 *	answers are cached per lower-cased address for positive_ttl and
 *	negative_ttl seconds (0: not cached); temporary failures never.  The
 *	cache holds at most CALLOUT_CACHE_MAX addresses per backend, then
 *	starts again empty.  Kept in memory: a restart forgets it.
 *
 * CONCURRENCY
 *	The backend registry and each backend's pool, counters and cache are
 *	guarded by mutexes held only to take or give back a connection or
 *	to read or write the cache, never across network I/O.
 */
#ifndef DOORMAN_CALLOUT_H
#define DOORMAN_CALLOUT_H

#include <stdbool.h>
#include <stddef.h>

#define CALLOUT_CACHE_MAX 100000

enum callout_result { CALLOUT_ACCEPT, CALLOUT_REJECT, CALLOUT_TEMPFAIL };

struct callout_opts {
	long timeout_ms;
	long positive_ttl; /* seconds */
	long negative_ttl;
	long max_conns;
	const char *helo;
};

/* callout_spec_check - is spec a backend?  0, or -1 with why. */
int callout_spec_check(const char *spec, char *why, size_t whylen);

/*
 * callout_probe - ask backend spec about addr ("local@domain", as it goes
 * in RCPT TO).  why gets a line for the log (the backend's answer or what
 * went wrong); *cached says whether the answer came from the cache.
 */
enum callout_result callout_probe(const char *spec, const char *addr, const struct callout_opts *o,
				  char *why, size_t whylen, bool *cached);

/* callout_shutdown - close every pooled connection and forget every backend. */
void callout_shutdown(void);

#endif
