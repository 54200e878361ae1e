/*
 * doorman-state.c - list and delete what doorman keeps in its state store
 *
 * NAME
 *	doorman-state - the postmaster's view of greylisting state (and
 *	whatever else lives in the store), LMDB or Redis
 *
 * SYNOPSIS
 *	doorman-state [-c policy-file] list [namespace [part...]]
 *	doorman-state [-c policy-file] delete key...
 *	doorman-state [-c policy-file] count [namespace]
 *	doorman-state [-c policy-file] allow network...
 *	doorman-state [-c policy-file] disallow network...
 *
 * DESCRIPTION
 *	Reads the store.* settings of the policy file (the same file doorman
 *	runs with, so LMDB is opened with the same map size) and opens the
 *	store itself; doorman may be running: LMDB readers never wait for its
 *	writer, and a delete is one transaction like doorman's own.
 *	list prints one line per live entry under the namespace (and parts,
 *	given as doorman builds them): the key, its fields, and when it
 *	expires; greylisting's entries (grey, greynet) and the rate limit
 *	counters (rate) are shown with named fields: a triplet with its state
 *	(waiting for a retry, or passed) and its age, a counter with its key
 *	kind, key, window and the window's start (it expires at the window's
 *	end: check_ratelimit.c).  delete takes keys as list prints them (an
 *	entry deleted is greylisted afresh at its next attempt).  count prints
 *	the number of live entries under the namespace.
 *	allow writes the greylisting entry of a client network (greynet,
 *	GREY_NET_PERMANENT: no expiry, store.h) so that it skips greylisting
 *	for good; the key comes from greylist_keys (check_greylist.c) as
 *	doorman builds it, so the network must be one greylisting keys by
 *	(greylist.ipv4_prefix or ipv6_prefix of a policy), or one address,
 *	which stands for its network at each prefix the policies use.
 *	disallow deletes such an entry (the network counts towards
 *	greylist.auto_allow from zero again).
 *
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be opened or answer, a key is not
 *	a key, or a network to disallow was not allowed; 2 for a usage error,
 *	a network that is not one greylisting keys by, or an invalid policy
 *	file.
 *
 * BUGS
 *	A Redis listing walks the keyspace with SCAN (fine on a live server,
 *	but it takes time on a large one).
 */
#include <inttypes.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "store.h"

#define NET_KEYS_MAX 8 /* distinct greylisting prefixes of one family */

static void
usage(void)
{
	fprintf(stderr, "usage: doorman-state [-c policy-file] list [namespace [part...]]\n"
	                "       doorman-state [-c policy-file] delete key...\n"
	                "       doorman-state [-c policy-file] count [namespace]\n"
	                "       doorman-state [-c policy-file] allow network...\n"
	                "       doorman-state [-c policy-file] disallow network...\n");
	exit(2);
}

static void
iso(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* a duration as 3d04h05m06s, leading zero units left out */
static void
duration(int64_t secs, char *buf, size_t len)
{
	int64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, sec = secs % 60;

	if (secs < 0)
		snprintf(buf, len, "0s");
	else if (d > 0)
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h%02" PRId64 "m%02" PRId64 "s", d, h,
		         m, sec);
	else if (h > 0)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m%02" PRId64 "s", h, m, sec);
	else if (m > 0)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", m, sec);
	else
		snprintf(buf, len, "%" PRId64 "s", sec);
}

/* a rate counter's key, "rate|KIND|KEY|WINDOW|INDEX|WHAT" (ratelimit_key),
 * with its fields named; false when it has not that shape */
static bool
print_rate(const char *key, const struct store_val *v)
{
	char kind[24], what[24], start[32], end[32];
	const char *p = key + 5, *bar;
	long long window, index;
	int used;

	if ((bar = strchr(p, '|')) == NULL || (size_t)(bar - p) >= sizeof(kind))
		return false;
	snprintf(kind, sizeof(kind), "%.*s", (int)(bar - p), p);
	/* the key part is percent-encoded and may hold anything else but '|' */
	p = bar + 1;
	if ((bar = strchr(p, '|')) == NULL || v->n < 1 ||
	    sscanf(bar, "|%lld|%lld|%23[a-z]%n", &window, &index, what, &used) != 3 ||
	    bar[used] != '\0' || window <= 0 || index < 0 || index > INT64_MAX / window - 1)
		return false;
	iso(index * window, start, sizeof(start));
	iso((index + 1) * window, end, sizeof(end));
	printf("%s kind=%s key=%.*s %s=%" PRId64 " window=%llds start=%s expires=%s\n", key, kind,
	       (int)(bar - p), p, what, v->f[0], window, start, end);
	return true;
}

static int
print_entry(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	char a[32], b[32], e[32], age[32];
	int64_t now = *(const int64_t *)arg;

	iso(expires, e, sizeof(e));
	if (strncmp(key, "grey|", 5) == 0 && v->n >= 3) {
		iso(v->f[0], a, sizeof(a));
		iso(v->f[1], b, sizeof(b));
		duration(now - v->f[0], age, sizeof(age));
		printf("%s state=%s age=%s first=%s last=%s passes=%" PRId64 " expires=%s\n", key,
		       v->f[2] > 0 ? "passed" : "waiting", age, a, b, v->f[2], e);
	} else if (strncmp(key, "greynet|", 8) == 0 && v->n >= 3 && v->f[2] == GREY_NET_PERMANENT) {
		iso(v->f[1], b, sizeof(b));
		printf("%s state=allowed passes=%" PRId64 " since=%s expires=%s\n", key, v->f[0], b,
		       e);
	} else if (strncmp(key, "greynet|", 8) == 0 && v->n >= 2) {
		iso(v->f[1], b, sizeof(b));
		printf("%s passes=%" PRId64 " last=%s expires=%s\n", key, v->f[0], b, e);
	} else if (strncmp(key, "rate|", 5) != 0 || !print_rate(key, v)) {
		printf("%s fields=", key);
		for (unsigned i = 0; i < v->n; i++)
			printf("%s%" PRId64, i ? "," : "", v->f[i]);
		printf(" expires=%s\n", e);
	}
	return 0;
}

static int
count_entry(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	(void)key;
	(void)v;
	(void)expires;
	(*(unsigned long *)arg)++;
	return 0;
}

/* the prefix of a listing: a namespace and parts, each encoded as doorman does */
static int
prefix_of(int argc, char **argv, struct store_key *k)
{
	const char *ns = argc > 0 ? argv[0] : "grey";

	for (const char *p = ns; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	if (*ns == '\0' || strlen(ns) > 16)
		return -1;
	store_key_init(k, ns);
	for (int i = 1; i < argc; i++)
		store_key_str(k, argv[i]);
	return k->bad ? -1 : 0;
}

/* net_keys - the greylisting keys of a client network given as text:
 * greylist_keys at the prefix greylisting keys this family by in some
 * policy (greylisting on first; any policy when none greylists), for a
 * network of such a prefix, or for one address each such prefix.  The
 * number of keys, or -1 with why. */
static int
net_keys(const struct config *cfg, const char *text, struct store_key *keys, char *why,
         size_t whylen)
{
	int prefixes[NET_KEYS_MAX], n = 0, nk = 0;
	struct store_key triplet;
	struct cidr c;

	if (cidr_parse(text, &c, why, whylen) < 0)
		return -1;
	for (int pass = 0; pass < 2 && n == 0; pass++)
		for (size_t i = 0; i < cfg->npolicies; i++) {
			const struct policy *p = &cfg->policies[i];
			int bits = (int)(c.net.family == AF_INET ? p->greylist_ipv4_prefix
			                                         : p->greylist_ipv6_prefix);
			bool seen = false;
			if (pass == 0 && !p->greylist_enabled)
				continue;
			for (int j = 0; j < n; j++)
				seen = seen || prefixes[j] == bits;
			if (!seen && n < NET_KEYS_MAX)
				prefixes[n++] = bits;
		}
	for (int j = 0; j < n; j++) {
		if (strchr(text, '/') != NULL && prefixes[j] != c.prefix)
			continue;
		greylist_keys(&c.net, prefixes[j], "", "", &triplet, &keys[nk]);
		if (keys[nk].bad)
			continue;
		nk++;
	}
	if (nk == 0) {
		char list[NET_KEYS_MAX * 6] = "";
		for (int j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s/%d",
			         j ? " or " : "", prefixes[j]);
		snprintf(why, whylen,
		         "\"%s\": greylisting keys %s clients by %s networks "
		         "(greylist.%s_prefix): give one such network or an address",
		         text, c.net.family == AF_INET ? "IPv4" : "IPv6", list,
		         c.net.family == AF_INET ? "ipv4" : "ipv6");
		return -1;
	}
	return nk;
}

/* allow or disallow the networks of argv; the exit status */
static int
allow(struct store *s, const struct config *cfg, bool on, int argc, char **argv)
{
	struct store_key keys[NET_KEYS_MAX];
	char why[256];
	int rc = 0, n;

	for (int i = 0; i < argc; i++)
		if (net_keys(cfg, argv[i], keys, why, sizeof(why)) < 0) {
			fprintf(stderr, "doorman-state: %s\n", why);
			return 2;
		}
	for (int i = 0; i < argc; i++) {
		n = net_keys(cfg, argv[i], keys, why, sizeof(why));
		for (int j = 0; j < n; j++) {
			struct store_val v;
			int got = store_get(s, &keys[j], &v);
			bool permanent =
			    got == STORE_FOUND && v.n >= 3 && v.f[2] == GREY_NET_PERMANENT;

			if (got == STORE_TEMPFAIL) {
				fprintf(stderr, "doorman-state: %s: the store did not answer\n",
				        keys[j].s);
				rc = 1;
			} else if (on) {
				/* keep the passes counted: an older doorman reads them */
				struct store_val w = {
				    .f = {got == STORE_FOUND && v.n >= 1 ? v.f[0] : 0, store_now(),
				          GREY_NET_PERMANENT},
				    .n = 3};
				if (permanent) {
					printf("%s already allowed\n", keys[j].s);
				} else if (store_put(s, &keys[j], &w, 0) != 0) {
					fprintf(stderr,
					        "doorman-state: %s: the store did not answer\n",
					        keys[j].s);
					rc = 1;
				} else {
					printf("%s allowed\n", keys[j].s);
				}
			} else if (!permanent) {
				fprintf(stderr, "doorman-state: %s was not allowed\n", keys[j].s);
				rc = 1;
			} else if (store_del(s, &keys[j]) != 0) {
				fprintf(stderr, "doorman-state: %s: the store did not answer\n",
				        keys[j].s);
				rc = 1;
			} else {
				printf("%s disallowed\n", keys[j].s);
			}
		}
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *path = DOORMAN_DEFAULT_CONFIG;
	struct errs errs = {0};
	struct store_opts o;
	struct store *s;
	struct config *cfg;
	char why[512];
	int ch, rc = 0;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch == 'c')
			path = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	signal(SIGPIPE, SIG_IGN); /* a Redis that goes away is an error, not a signal */
	if (argc < 1)
		usage();
	log_open("doorman-state", true, LOG_MAIL);
	if ((cfg = config_load(path, &errs)) == NULL) {
		errs_print(&errs, stderr);
		errs_free(&errs);
		return 2;
	}
	o = (struct store_opts){.backend = strcmp(cfg->store_backend, "redis") == 0 ? STORE_REDIS
	                                                                            : STORE_LMDB,
	                        .path = cfg->store_path,
	                        .map_size_mb = cfg->store_map_size,
	                        .redis = cfg->store_redis,
	                        .redis_password = cfg->store_redis_password,
	                        .redis_database = cfg->store_redis_database,
	                        .redis_pool = 1,
	                        /* a listing is no SMTP stage: give each round trip time */
	                        .timeout_ms = 5000};
	if ((s = store_open(&o, why, sizeof(why))) == NULL) {
		fprintf(stderr, "doorman-state: cannot open the store: %s\n", why);
		config_unref(cfg);
		return 1;
	}
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "count") == 0) {
		struct store_key k;
		unsigned long n = 0;
		int64_t now = store_now();
		bool list = argv[0][0] == 'l';

		if ((!list && argc > 2) || prefix_of(argc - 1, argv + 1, &k) < 0) {
			fprintf(
			    stderr,
			    "doorman-state: a namespace is lower-case letters, digits and '_'\n");
			rc = 2;
		} else if (store_scan(s, &k, list ? print_entry : count_entry,
		                      list ? (void *)&now : (void *)&n) != 0) {
			fprintf(stderr, "doorman-state: the store did not answer\n");
			rc = 1;
		} else if (!list) {
			printf("%lu\n", n);
		}
	} else if (strcmp(argv[0], "delete") == 0 && argc > 1) {
		for (int i = 1; i < argc; i++) {
			struct store_key k;
			if (store_key_parse(&k, argv[i]) < 0) {
				fprintf(stderr,
				        "doorman-state: \"%s\" is not a key as list prints them\n",
				        argv[i]);
				rc = 1;
			} else if (store_del(s, &k) != 0) {
				fprintf(stderr, "doorman-state: %s: the store did not answer\n",
				        argv[i]);
				rc = 1;
			}
		}
	} else if ((strcmp(argv[0], "allow") == 0 || strcmp(argv[0], "disallow") == 0) &&
	           argc > 1) {
		rc = allow(s, cfg, argv[0][0] == 'a', argc - 1, argv + 1);
	} else {
		store_close(s);
		config_unref(cfg);
		usage();
	}
	store_close(s);
	config_unref(cfg);
	return rc;
}
