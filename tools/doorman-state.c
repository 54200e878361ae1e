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
 *	doorman-state [-c policy-file] list forwarders
 *	doorman-state [-c policy-file] forget address...
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
 *	list forwarders gathers the forwarder state (the keys forwarder_key
 *	lays out, forwarder.h: fwd, fwdev, fwdnd, fwdd) into one line per
 *	client: learned forwarders first, then clients with evidence only,
 *	each by address; forget deletes every one of those keys of an
 *	address (the client is then learned afresh, from no evidence).
 *
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be opened or answer, a key is not
 *	a key, or a network to disallow was not allowed; 2 for a usage error,
 *	a network that is not one greylisting keys by, or an invalid policy
 *	file.
 *
 * BUGS
 *	A Redis listing walks the keyspace with SCAN (fine on a live server,
 *	but it takes time on a large one).  list forwarders holds every
 *	client with forwarder state in memory to join its keys.
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
#include "forwarder.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define NET_KEYS_MAX 8 /* distinct greylisting prefixes of one family */

static void
usage(void)
{
	fprintf(stderr, "usage: doorman-state [-c policy-file] list [namespace [part...]]\n"
	                "       doorman-state [-c policy-file] delete key...\n"
	                "       doorman-state [-c policy-file] count [namespace]\n"
	                "       doorman-state [-c policy-file] allow network...\n"
	                "       doorman-state [-c policy-file] disallow network...\n"
	                "       doorman-state [-c policy-file] list forwarders\n"
	                "       doorman-state [-c policy-file] forget address...\n");
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

/* ---- learned forwarders: the keys of forwarder_key, joined per client ---- */

struct fwd_domain {
	char *name; /* the key's domain part */
	int64_t n;
};

struct fwd_client {
	char *net;            /* the key's network part, "192.0.2.9/32" */
	struct store_val rec; /* fwd: first learned, last evidence, messages, domains */
	int64_t rec_expires;
	bool learned, have_ev;
	int64_t ev, nd, ev_expires; /* fwdev, fwdnd: the window's counters */
	struct fwd_domain *doms;    /* fwdd */
	size_t ndoms;
};

struct fwd_list {
	const char *ns; /* the namespace being scanned */
	struct fwd_client *c;
	size_t n;
};

static struct fwd_client *
fwd_client(struct fwd_list *l, const char *net, size_t len)
{
	struct fwd_client *c;

	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->c[i].net) == len && memcmp(l->c[i].net, net, len) == 0)
			return &l->c[i];
	l->c = xreallocarray(l->c, l->n + 1, sizeof(*l->c));
	c = &l->c[l->n++];
	memset(c, 0, sizeof(*c));
	c->net = xmalloc(len + 1);
	memcpy(c->net, net, len);
	c->net[len] = '\0';
	return c;
}

static int
fwd_collect(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	struct fwd_list *l = arg;
	const char *net = strchr(key, '|'), *end;
	bool per_domain = strcmp(l->ns, "fwdd") == 0;
	struct fwd_client *c;

	if (net == NULL || v->n < 1)
		return 0;
	net++;
	end = strchr(net, '|');
	if (per_domain != (end != NULL))
		return 0; /* not a key forwarder_key lays out */
	c = fwd_client(l, net, end != NULL ? (size_t)(end - net) : strlen(net));
	if (strcmp(l->ns, "fwd") == 0 && v->n >= 4) {
		c->learned = true;
		c->rec = *v;
		c->rec_expires = expires;
	} else if (strcmp(l->ns, "fwdev") == 0) {
		c->have_ev = true;
		c->ev = v->f[0];
		c->ev_expires = expires;
	} else if (strcmp(l->ns, "fwdnd") == 0) {
		c->nd = v->f[0];
	} else if (per_domain) {
		c->doms = xreallocarray(c->doms, c->ndoms + 1, sizeof(*c->doms));
		c->doms[c->ndoms++] = (struct fwd_domain){xstrdup(end + 1), v->f[0]};
	}
	return 0;
}

static int
fwd_domain_order(const void *a, const void *b)
{
	const struct fwd_domain *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
fwd_client_order(const void *a, const void *b)
{
	const struct fwd_client *x = a, *y = b;

	if (x->learned != y->learned)
		return x->learned ? -1 : 1;
	return strcmp(x->net, y->net);
}

/* one client: its address (the network's length left out), learned or
 * not, the counts of its record (learned) or of its window (not yet),
 * then the window's own and each domain's count, most first */
static void
fwd_print(struct fwd_client *c)
{
	char first[32], last[32], exp[32], wexp[32];
	const char *slash = strrchr(c->net, '/');
	int addrlen = slash != NULL ? (int)(slash - c->net) : (int)strlen(c->net);

	if (c->ndoms > 1)
		qsort(c->doms, c->ndoms, sizeof(*c->doms), fwd_domain_order);
	if (c->have_ev)
		iso(c->ev_expires, wexp, sizeof(wexp));
	else
		snprintf(wexp, sizeof(wexp), "-");
	if (c->learned) {
		iso(c->rec.f[0], first, sizeof(first));
		iso(c->rec.f[1], last, sizeof(last));
		iso(c->rec_expires, exp, sizeof(exp));
		printf("%.*s state=learned messages=%" PRId64 " domains=%" PRId64
		       " first=%s last=%s expires=%s",
		       addrlen, c->net, c->rec.f[2], c->rec.f[3], first, last, exp);
	} else {
		printf("%.*s state=evidence messages=%" PRId64 " domains=%" PRId64
		       " first=- last=- expires=%s",
		       addrlen, c->net, c->ev, c->nd, wexp);
	}
	printf(" window_messages=%" PRId64 " window_domains=%" PRId64 " window_expires=%s counts=",
	       c->ev, c->nd, wexp);
	for (size_t i = 0; i < c->ndoms; i++)
		printf("%s%s:%" PRId64, i ? "," : "", c->doms[i].name, c->doms[i].n);
	printf("%s\n", c->ndoms == 0 ? "-" : "");
}

/* list forwarders; the exit status */
static int
list_forwarders(struct store *s)
{
	static const char *const ns[] = {"fwd", "fwdev", "fwdnd", "fwdd"};
	struct fwd_list l = {0};
	int rc = 0;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]) && rc == 0; i++) {
		struct store_key k;

		store_key_init(&k, ns[i]);
		l.ns = ns[i];
		if (store_scan(s, &k, fwd_collect, &l) != 0) {
			fprintf(stderr, "doorman-state: the store did not answer\n");
			rc = 1;
		}
	}
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.c, l.n, sizeof(*l.c), fwd_client_order);
		for (size_t i = 0; i < l.n; i++)
			fwd_print(&l.c[i]);
	}
	for (size_t i = 0; i < l.n; i++) {
		for (size_t j = 0; j < l.c[i].ndoms; j++)
			free(l.c[i].doms[j].name);
		free(l.c[i].doms);
		free(l.c[i].net);
	}
	free(l.c);
	return rc;
}

struct fwd_keys {
	struct store_key *k;
	size_t n;
};

static int
fwd_key_collect(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	struct fwd_keys *ks = arg;

	(void)v;
	(void)expires;
	ks->k = xreallocarray(ks->k, ks->n + 1, sizeof(*ks->k));
	if (store_key_parse(&ks->k[ks->n], key) == 0)
		ks->n++;
	return 0;
}

/* forget the forwarder state of the addresses of argv; the exit status */
static int
forget(struct store *s, int argc, char **argv)
{
	static const char *const ns[] = {"fwd", "fwdev", "fwdnd"};
	struct ipaddr ip;
	int rc = 0;

	for (int i = 0; i < argc; i++)
		if (ip_parse(argv[i], &ip) < 0) {
			fprintf(stderr, "doorman-state: \"%s\" is not an IPv4 or IPv6 address\n",
			        argv[i]);
			return 2;
		}
	for (int i = 0; i < argc; i++) {
		struct fwd_keys ks = {0};
		struct store_key dk;
		size_t found = 0;
		int failed = 0;
		char text[IP_TEXT_MAX];

		ip_parse(argv[i], &ip);
		ip_format(&ip, text, sizeof(text));
		for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			ks.k = xreallocarray(ks.k, ks.n + 1, sizeof(*ks.k));
			forwarder_key(&ip, ns[j], NULL, &ks.k[ks.n++]);
		}
		forwarder_key(&ip, "fwdd", NULL, &dk);
		if (store_scan(s, &dk, fwd_key_collect, &ks) != 0)
			failed = 1;
		for (size_t j = 0; j < ks.n && !failed; j++) {
			struct store_val v;
			int got = store_get(s, &ks.k[j], &v);

			if (got == STORE_TEMPFAIL ||
			    (got == STORE_FOUND && store_del(s, &ks.k[j]) != 0))
				failed = 1;
			else if (got == STORE_FOUND)
				found++;
		}
		free(ks.k);
		if (failed) {
			rc = 1;
			fprintf(stderr, "doorman-state: %s: the store did not answer\n", text);
		} else if (found == 0) {
			fprintf(stderr, "doorman-state: %s has no forwarder state\n", text);
			rc = 1;
		} else {
			printf("%s forgotten keys=%zu\n", text, found);
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
	if (strcmp(argv[0], "list") == 0 && argc == 2 && strcmp(argv[1], "forwarders") == 0) {
		rc = list_forwarders(s);
	} else if (strcmp(argv[0], "forget") == 0 && argc > 1) {
		rc = forget(s, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "count") == 0) {
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
