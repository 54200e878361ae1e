/*
 * check.h - the check registry
 *
 * A check is one file exporting one struct check: its name, the stages it
 * runs at, whether exempt clients (trusted or authenticated, see
 * session_exempt) skip it, and a run function that reads facts from the
 * connection and fills in a verdict, or leaves it at ACTION_CONTINUE.  The
 * session runs the checks of a stage in registry order (check.c) until one
 * decides.  A check that accepts (an access list allowlisting) sets its own
 * flag on the conn or msg so later checks can see it.
 *
 * When you add a check, add it to checks[] in check.c, its settings to
 * schema.c, and its documentation to man/doorman.conf.5.
 */
#ifndef DOORMAN_CHECK_H
#define DOORMAN_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

struct check {
	const char *name;
	unsigned stages;  /* STAGE_BIT()s */
	bool exemptable;  /* skipped for exempt clients */
	void (*run)(struct conn *c, enum stage st, struct verdict *v);
};

extern const struct check *const checks[];

extern const struct check check_client;
extern const struct check check_helo;
extern const struct check check_sender;
extern const struct check check_relay;
extern const struct check check_rcpt;
extern const struct check check_dnsbl;
extern const struct check check_rhsbl;
extern const struct check check_fcrdns;
extern const struct check check_sender_dns;
extern const struct check check_spf;
extern const struct check check_greylist;
extern const struct check check_ratelimit;
extern const struct check check_fwd;
extern const struct check check_forwarder;

/* DNSBL (check_dnsbl.c): every dnsbl zone of the policy asked about ip at
 * once, its score, and the verdict dnsbl.threshold gives it (addr_text
 * named in the reply); the connect check and a forwarder's origin at end
 * of message (check_forwarder.c) */
struct dnsbl_result {
	int score;
	int unknown;           /* positive weight of zones without an answer */
	char listed[200];      /* "zone, zone" */
	char txt[120];         /* the first TXT reason */
};
void dnsbl_lookup(struct conn *c, const struct ipaddr *ip, struct dnsbl_result *res);
void dnsbl_decide(struct conn *c, const struct dnsbl_result *res, const char *addr_text,
		  struct verdict *v);

/* SPF (check_spf.c): the verdict of the MAIL FROM fact's rule, as at MAIL
 * (the reply text the same); for a verdict held until end of message */
void spf_decide_mailfrom(struct conn *c, struct verdict *v);

/* forwarders (check_forwarder.c): at end of message, after the DKIM
 * results and before DMARC.  For a forwarder, the origin's SPF replaces
 * the MAIL FROM fact and the spf and dnsbl rules are weighed for it (or
 * for the client when there is no origin); for a verdict spf.defer held,
 * its rule, unless a DKIM pass aligned with the MAIL FROM domain overrides
 * it.  The verdict (continue, or the refusal) in v; logs its line. */
void forwarder_eom(struct conn *c, struct verdict *v);

/* relay resolution, exported for the unit tests */
enum relay_dest {
	DEST_LOCAL,   /* a local domain (or our address literal, or "postmaster") */
	DEST_RELAY,   /* a relay domain */
	DEST_REMOTE,  /* anywhere else */
	DEST_ROUTING, /* a routing device in the local part or a source route */
};

enum relay_dest relay_resolve(const struct config *cfg, const struct addr *a, const char **why);

/* greylisting (check_greylist.c): the sender as greylisting knows it, lower
 * case, without the parts that change from message to message (BATV
 * prvs= tags, SRS0/SRS1 rewriting: the original sender, +tags); "" for <> */
void greylist_sender(const struct addr *a, char *out, size_t len);

/* greylist_keys - the store keys of a triplet and of its client network:
 * ip masked to bits, sender as greylist_sender gives it, rcpt in lower
 * case (the one place that lays them out; bench/greylist_bench seeds with it) */
struct store_key;
void greylist_keys(const struct ipaddr *ip, int bits, const char *sender, const char *rcpt,
                   struct store_key *triplet, struct store_key *net);

/* greylisting's decisions since start, by kind (atomics) */
enum greylist_count {
	GREYLIST_NEW,
	GREYLIST_EARLY,
	GREYLIST_PASSED,
	GREYLIST_ALLOWED,
	GREYLIST_EXEMPT,
	GREYLIST_STORE_FAILURE,
	GREYLIST_DRYRUN, /* of new and early: would have been tempfailed */
	GREYLIST_NCOUNTS
};
void greylist_counts(unsigned long out[GREYLIST_NCOUNTS]);

/* rate limits (check_ratelimit.c).  ratelimit_window: the fixed window of
 * now (its index, now / window) and the seconds left in it.  ratelimit_key:
 * the counter of rule r for "messages" or "recipients" in window w; false
 * when the session has no such key (no user, the null sender, no address).
 * ratelimit_eom: count the message and weigh the messages limits (the end
 * of message; the RCPT side is the registered check). */
struct store_key;
void ratelimit_window(int64_t now, long window, int64_t *index, long *ttl);
bool ratelimit_key(const struct conn *c, const struct rate_rule *r, const char *what, int64_t w,
                   struct store_key *k);
void ratelimit_eom(struct conn *c, struct verdict *v);
enum ratelimit_count {
	RATELIMIT_OVER,          /* decisions over a limit that tempfailed */
	RATELIMIT_DRYRUN,        /* over a limit in dry run: would have tempfailed */
	RATELIMIT_STORE_FAILURE, /* the store could not answer */
	RATELIMIT_NCOUNTS
};
void ratelimit_counts(unsigned long out[RATELIMIT_NCOUNTS]);

#endif
