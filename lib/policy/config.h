/*
 * config.h - the policy file, loaded into an immutable snapshot
 *
 * config_load() reads a libconfig file, checks every setting against the
 * schema table (schema.c), loads the files it names (access lists), and
 * returns a snapshot or NULL with every problem as "file:line: reason".
 * A snapshot never changes after load.  It is reference counted: a
 * connection pins the snapshot current when it started (config_ref), a
 * reload swaps in a new one (config_current_set) without locking out
 * callbacks, and the last config_unref() frees it.
 *
 * Shared state: the current snapshot pointer, guarded by a mutex held only
 * for the pointer swap and the reference increment.
 */
#ifndef DOORMAN_CONFIG_H
#define DOORMAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "access.h"
#include "alias.h"
#include "cidr.h"
#include "dnsbl.h"
#include "domlist.h"
#include "errs.h"
#include "exempt.h"
#include "keyfile.h"
#include "pattern.h"
#include "rcptlist.h"
#include "reply.h"

#define DOORMAN_DEFAULT_CONFIG "/etc/doorman/doorman.conf"

struct strlist {
	char **v;
	size_t n;
};

/* A domain whose recipients are validated: by a list file or a callout. */
struct rcpt_domain {
	char *domain;          /* lower case */
	struct rcptlist *list; /* or NULL */
	const char *callout;   /* backend (points into rcpt_callouts), or NULL */
};

/* A rate limit (check_ratelimit.c): what it counts per, its limits (0: none)
 * over a window of seconds, and what exceeding it does. */
enum rate_key { RATE_CLIENT, RATE_NETWORK, RATE_USER, RATE_SENDER_DOMAIN };
#define RATE_RULES_MAX 8
struct rate_rule {
	enum rate_key key;
	long messages;
	long recipients;
	long window;
	struct rule rule; /* tempfail or dryrun, and the reply */
	int line;         /* where the rule is written, for the log */
};
struct ratelist {
	struct rate_rule *v;
	size_t n;
};
const char *rate_key_name(enum rate_key k);

/* When you add a field here, add its setting to schema.c and document it in
 * man/doorman.conf.5 (t/man/check-man.sh checks the two agree). */
struct policy {
	char *name;
	int line;
	struct strlist listeners;
	bool delay_reject;
	bool exempt_trusted;
	bool dryrun;

	struct rule relay;

	struct rule helo_required;
	struct rule helo_syntax;
	struct rule helo_fqdn;
	struct rule helo_self;

	struct rule sender_syntax;
	struct rule sender_non_fqdn;
	struct rule sender_null;
	struct rule sender_null_multi;
	char *sender_access_path;
	struct reply sender_access_reply;
	struct access_table *sender_access;

	char *client_access_path;
	struct reply client_access_reply;
	struct access_table *client_access;

	struct zonelist dnsbl_zones;
	long dnsbl_threshold;
	long dnsbl_allow_threshold;
	struct rule dnsbl;
	struct rule dnsbl_tempfail;

	struct zonelist rhsbl_zones;
	long rhsbl_threshold;
	struct rule rhsbl;
	struct rule rhsbl_tempfail;

	struct rule fcrdns_fail;
	struct rule fcrdns_tempfail;

	struct rule sender_unknown_domain;
	struct rule sender_null_mx;
	struct rule sender_domain_tempfail;

	bool spf_enabled;
	bool spf_helo;
	bool spf_trusted;
	bool spf_received;
	struct rule spf_fail;
	struct rule spf_softfail;
	struct rule spf_neutral;
	struct rule spf_none;
	struct rule spf_permerror;
	struct rule spf_temperror;

	bool dkim_enabled;
	long dkim_max_signatures;

	bool dmarc_enabled;
	char *dmarc_on_reject;     /* "reject", "quarantine" or "tag" */
	struct reply dmarc_reject_reply;
	char *dmarc_on_quarantine; /* "quarantine" or "tag" */
	struct rule dmarc_temperror;
	struct rule dmarc_malformed;

	bool auth_header;

	/* recipient validation and aliases (check_rcpt.c, session_alias.c) */
	struct strlist rcpt_lists;     /* "domain=file" */
	struct strlist rcpt_callouts;  /* "domain=smtp:address:port" */
	char *rcpt_patterns_path;
	char *rcpt_aliases_path;
	char *rcpt_separators;
	long rcpt_check_interval;
	struct rule rcpt_unknown;
	struct rule rcpt_tempfail;
	struct reply rcpt_pattern_reply;
	long callout_timeout;
	long callout_positive_ttl;
	long callout_negative_ttl;
	long callout_max_conns;
	struct rcpt_domain *rcpt_domains; /* loaded from rcpt_lists and rcpt_callouts */
	size_t nrcpt_domains;
	struct pattern_set *rcpt_patterns;
	struct alias_map *rcpt_aliases;

	/* greylisting (check_greylist.c) */
	bool greylist_enabled;
	struct rule greylist;
	long greylist_delay;
	long greylist_retry_window;
	long greylist_lifetime;
	long greylist_auto_allow;
	long greylist_ipv4_prefix;
	long greylist_ipv6_prefix;
	char *greylist_exemptions_path;
	struct rule greylist_store_failure;
	struct exempt_list *greylist_exemptions; /* loaded from greylist_exemptions_path */

	/* rate limits (check_ratelimit.c) */
	struct ratelist ratelimit_rules;
	long ratelimit_ipv4_prefix;
	long ratelimit_ipv6_prefix;
	struct rule ratelimit_store_failure;
	/* BATV and SRS (session_fwd.c) */
	bool batv_sign;
	struct domlist batv_domains;
	char *batv_keys_path;
	long batv_max_age;
	struct rule batv;
	struct keyset *batv_keys;       /* loaded from batv_keys_path */
	bool srs_enabled;
	char *srs_domain;
	char *srs_secrets_path;
	long srs_max_age;
	char *srs_separator;
	struct rule srs;
	struct keyset *srs_secrets;     /* loaded from srs_secrets_path */
};

struct config {
	int refs; /* atomic */
	char *file;

	char *socket;
	char *user;
	char *socket_group; /* empty: milter.user's primary group (or the starting one) */
	char *socket_mode;  /* octal, checked by the schema */
	char *pidfile;
	long timeout;
	char *engine; /* "native" or "libmilter" (milter/engine.c) */
	long max_connections;

	char *log_facility;
	bool log_accepts;

	char *metrics_listen; /* empty: no metrics endpoint (milter/metrics_http.c) */

	struct strlist me_hostnames;
	struct cidrlist me_addresses;
	struct cidrlist trusted;
	struct domlist local_domains;
	struct domlist relay_domains;

	struct strlist resolver_upstreams;
	struct strlist resolver_unblock;
	struct strlist resolver_zones;
	long resolver_timeout;
	long resolver_budget;

	char *authserv_id;  /* after load: never empty (me.hostnames[0] or the host name) */
	char *public_suffix_list;
	/* DMARC aggregate reports (dmarc_history.h, milter/report.c) */
	char *dmarc_history;         /* "": no rows written */
	char *dmarc_report_org;      /* "": authserv_id */
	char *dmarc_report_from;     /* "": postmaster@authserv_id */
	char *dmarc_report_contact;  /* extra_contact_info; "": none */
	char *dmarc_report_sendmail;

	char *default_policy_name;
	struct policy *policies;
	size_t npolicies;
	const struct policy *default_policy;

	/* the state store (lib/store/store.h) */
	char *store_backend;         /* "lmdb" or "redis" */
	char *store_path;
	long store_map_size;         /* megabytes */
	char *store_redis;
	char *store_redis_password;
	long store_redis_database;
	long store_redis_pool;
	long store_timeout;          /* milliseconds */
	bool store_configured;       /* the file has a store section (fwdlearn needs one) */

	/* forwarders learned from DKIM (lib/auth/fwdlearn.h) */
	bool fwd_learn;
	long fwd_min_messages;
	long fwd_min_domains;
	long fwd_window;             /* seconds */
	long fwd_lifetime;           /* seconds */
};

/* config_load - a new snapshot with one reference, or NULL with errs filled. */
struct config *config_load(const char *path, struct errs *errs);
/* config_resolver_new - the resolver cfg's resolver.upstreams, .unblock and
 * .zones describe (dns_new), or NULL with why. */
struct dns;
struct dns *config_resolver_new(const struct config *cfg, char *why, size_t whylen);
struct config *config_ref(struct config *c);
void config_unref(struct config *c);

/* config_policy_for - the policy whose listeners name daemon_name, else the default. */
const struct policy *config_policy_for(const struct config *c, const char *daemon_name);
/* config_holds_until_rcpt - every policy holds what the connect, HELO and
 * MAIL checks find until RCPT (delay_reject or dry run): those steps never
 * answer anything but "go on". */
bool config_holds_until_rcpt(const struct config *c);

/* The process-wide current snapshot. */
struct config *config_current(void); /* returns a new reference */
void config_current_set(struct config *c); /* takes over the caller's reference */

/* strlist helpers shared with the loader */
bool strlist_has_nocase(const struct strlist *l, const char *s);

#endif
