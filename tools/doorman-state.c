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
 *
 * DESCRIPTION
 *	Reads the store.* settings of the policy file (the same file doorman
 *	runs with, so LMDB is opened with the same map size) and opens the
 *	store itself; doorman may be running: LMDB readers never wait for its
 *	writer, and a delete is one transaction like doorman's own.
 *	list prints one line per live entry under the namespace (and parts,
 *	given as doorman builds them): the key, its fields, and when it
 *	expires; greylisting's entries (grey, greynet) are shown with named
 *	fields.  delete takes keys as list prints them (an entry deleted is
 *	greylisted afresh at its next attempt).  count prints the number of
 *	live entries under the namespace.
 *
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be opened or answer, or a key is not
 *	a key; 2 for a usage error or an invalid policy file.
 *
 * BUGS
 *	A Redis listing walks the keyspace with SCAN (fine on a live server,
 *	but it takes time on a large one).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"

static void
usage(void)
{
	fprintf(stderr, "usage: doorman-state [-c policy-file] list [namespace [part...]]\n"
	                "       doorman-state [-c policy-file] delete key...\n"
	                "       doorman-state [-c policy-file] count [namespace]\n");
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

static int
print_entry(void *arg, const char *key, const struct store_val *v, int64_t expires)
{
	char a[32], b[32], e[32];

	(void)arg;
	iso(expires, e, sizeof(e));
	if (strncmp(key, "grey|", 5) == 0 && v->n >= 3) {
		iso(v->f[0], a, sizeof(a));
		iso(v->f[1], b, sizeof(b));
		printf("%s first=%s last=%s passes=%" PRId64 " expires=%s\n", key, a, b, v->f[2],
		       e);
	} else if (strncmp(key, "greynet|", 8) == 0 && v->n >= 2) {
		iso(v->f[1], b, sizeof(b));
		printf("%s passes=%" PRId64 " last=%s expires=%s\n", key, v->f[0], b, e);
	} else {
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
		bool list = argv[0][0] == 'l';

		if ((!list && argc > 2) || prefix_of(argc - 1, argv + 1, &k) < 0) {
			fprintf(
			    stderr,
			    "doorman-state: a namespace is lower-case letters, digits and '_'\n");
			rc = 2;
		} else if (store_scan(s, &k, list ? print_entry : count_entry, &n) != 0) {
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
	} else {
		store_close(s);
		config_unref(cfg);
		usage();
	}
	store_close(s);
	config_unref(cfg);
	return rc;
}
