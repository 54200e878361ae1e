/*
 * fwdlearn.h - forwarders learned from DKIM-signed mail they relay
 * (issue 12.3; the rule is in doorman.conf(5), the store layout in
 * forwarder.h)
 *
 * NAME
 *	fwdlearn_known - is the client a learned forwarder?
 *	fwdlearn_evidence - count a message as evidence, learn the client
 *	fwdlearn_count - the counting and the thresholds, on a store
 *
 * DESCRIPTION
 *	fwdlearn_known: one store read of the client's "fwd" record, at
 *	connect.  No store section or forwarders.learn = false: false
 *	without a read.  A store failure is logged and counted and answers
 *	false (the client's own results apply: nothing is opened).
 *
 *	fwdlearn_evidence, at end of message once the DKIM results are in,
 *	for a client that is neither trusted nor authenticated and not
 *	while tracing (a trace writes no state): for each organizational
 *	domain D with a passing DKIM signature (at most FWDLEARN_DOMAINS_MAX
 *	a message), when D's SPF (identity postmaster@D) does not pass for
 *	the client X and passes for the origin Y that X's own Received field
 *	names (forwarder_origin), the message is evidence (X, D).  The SPF
 *	queries count against the message's resolver.budget.  A message with
 *	evidence goes to fwdlearn_count; a store failure is logged and the
 *	message goes on untouched.
 *
 *	fwdlearn_count does the store's part, apart from SPF so a test can
 *	drive it: one store_counts step adds 1 to "fwdev|X" and to
 *	"fwdd|X|D" for each D (and reads "fwdnd|X"); the domains whose
 *	counter became 1 are added to "fwdnd|X"; X is learned when the
 *	messages reach min_messages and the domains min_domains, and the
 *	record "fwd|X" {first learned, last evidence, messages, domains} is
 *	written then and renewed by each later evidence message (first
 *	learned kept), with a time to live of lifetime.
 *
 * DIAGNOSTICS
 *	forwarder_evidence client=X origin=Y domain=D messages=N domains=M
 *	forwarder_learned client=X messages=N domains=M
 *	fwdlearn store_failure=evidence client=X origin=Y (a line per message)
 *	fwdlearn store_failure=lookup client=X (store_log_failure: one a second)
 *
 * THREADS
 *	Reentrant: all state is the store's and the connection's.
 */
#ifndef DOORMAN_FWDLEARN_H
#define DOORMAN_FWDLEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

struct conn;
struct store;

#define FWDLEARN_DOMAINS_MAX 4 /* signing organizational domains weighed per message */

struct fwdlearn_params {
	long min_messages;
	long min_domains;
	long window;   /* seconds */
	long lifetime; /* seconds */
};

struct fwdlearn_tally {
	int64_t messages; /* fwdev after this message */
	int64_t domains;  /* fwdnd after this message */
	bool learned;     /* the client is (now) a learned forwarder: "fwd" written */
	bool newly;       /* ... and was not one before this message */
};

bool fwdlearn_known(struct conn *c);
void fwdlearn_evidence(struct conn *c);

/* fwdlearn_count - one evidence message of x for the n (1..FWDLEARN_DOMAINS_MAX)
 * distinct lower-case organizational domains: 0 with *t, or -1 (a store
 * failure, logged; what was counted before it stays counted). */
int fwdlearn_count(struct store *s, const struct fwdlearn_params *p, const struct ipaddr *x,
                   const char *const *domains, size_t n, int64_t now, struct fwdlearn_tally *t);

#endif
