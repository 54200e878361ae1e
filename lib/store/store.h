/*
 * store.h - state kept across messages and MX hosts: one interface, two backends
 *
 * NAME
 *	store - greylisting entries, counters and other small records with a
 *	time to live, in an LMDB file (store_lmdb.c) or in Redis (store_redis.c)
 *
 * SYNOPSIS
 *	struct store_key k;
 *	store_key_init(&k, "grey");
 *	store_key_net(&k, &ip, 24);
 *	store_key_str(&k, sender);
 *	struct store *s = store_open(&opts, why, sizeof(why));
 *	switch (store_get(s, &k, &val)) { STORE_FOUND, STORE_NOTFOUND, STORE_TEMPFAIL }
 *	store_put(s, &k, &val, ttl); store_incr(s, &k, window, by, &count);
 *	store_counts(s, counts, n);
 *	store_del(s, &k); store_scan(s, &prefix, fn, arg);
 *	store_grey(s, &triplet, &net, &params, &result);
 *	store_close(s);
 *
 * DESCRIPTION
 *	A store is a struct of operations (struct store_ops) and a backend
 *	handle; the policy chooses the backend (store.backend).  Every lookup
 *	answers found / not found / temporary failure, and a failure is never
 *	folded into "not found": the caller applies its rule's store_failure.
 *
 *	Keys are built by one function family from typed parts (a namespace,
 *	strings, IP networks, integers), never by pasting raw input: every
 *	byte outside a small safe set is percent-encoded, so no part can
 *	forge a separator, a Redis glob character or an over-long key; a
 *	string part longer than STORE_PART_MAX is replaced by a hash of it.
 *
 *	Values are a few 64-bit integers (struct store_val) stored with a
 *	format version: a later doorman reads every earlier version; a value
 *	of a version this one does not know is a temporary failure (logged),
 *	never misread.
 *
 *	store_incr is an atomic counter over a fixed window: the first
 *	increment creates it with a time to live of window seconds, later
 *	ones add to it without extending that.  store_counts is the same over
 *	several counters in one step (one write transaction in LMDB, one
 *	EVALSHA in Redis): a rate limit decision is one round trip however
 *	many limits it weighs.  store_grey is greylisting's
 *	decision in one atomic step (one write transaction in LMDB, one
 *	EVALSHA in Redis), see struct grey_params.
 *
 *	store_shared() hands out the process's store for the policy's store
 *	settings, opening it on first use (so after milter.user is taken: the
 *	state directory must belong to that user).  When opening fails, every
 *	call within STORE_RETRY_MS fails at once, then one tries again: a store
 *	that comes back is used again without a restart.  A reload that keeps
 *	the settings keeps the store; one that changes them gets a store of its
 *	own, and the old one stays open until the process ends (LMDB forbids
 *	opening one file twice in a process: the same path keeps its first
 *	map size, with a log line saying a restart applies the new one).
 *
 * THREADS
 *	Every operation may be called from any thread at once.  The LMDB
 *	environment is process-wide, opened with MDB_NOTLS; each operation is
 *	one transaction.  Redis connections come from a pool.  The shared
 *	registry and the counters are guarded by a mutex and atomics.
 *
 * LIMITS
 *	Every operation has a deadline (store.timeout).  Redis enforces it on
 *	the socket; LMDB operations are local and short, but a writer waits
 *	for LMDB's writer lock without a timeout (held for microseconds plus
 *	one fsync per commit).
 */
#ifndef DOORMAN_STORE_H
#define DOORMAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cidr.h"

struct config;

enum store_result {
	STORE_TEMPFAIL = -1,
	STORE_NOTFOUND = 0,
	STORE_FOUND = 1,
};

#define STORE_KEY_MAX 480  /* LMDB's default key limit is 511 */
#define STORE_PART_MAX 120 /* longer encoded string parts are hashed */
#define STORE_FIELDS 4
#define STORE_VAL_VERSION                                                                          \
	1 /* when you change the value layout, bump this and                                       \
	   * keep reading the older ones (store.c, the Lua script) */
#define STORE_RETRY_MS 1000
#define GREY_RENEW_DIV 100 /* see grey_step */

struct store_key {
	char s[STORE_KEY_MAX + 1];
	size_t len;
	bool bad; /* a part did not fit: every operation on it fails */
};

/* One counter of store_counts: key, the time to live a new counter gets,
 * what to add (0 reads it; a counter absent is created at 0), and its
 * value after the step. */
#define STORE_COUNTS_MAX 16
struct store_count {
	const struct store_key *key;
	long ttl;
	int64_t by;
	int64_t count; /* out */
};

struct store_val {
	int64_t f[STORE_FIELDS];
	unsigned n;
};

enum store_backend { STORE_LMDB, STORE_REDIS };

struct store_opts {
	enum store_backend backend;
	const char *path;  /* LMDB: the state directory */
	long map_size_mb;  /* LMDB: the map size */
	const char *redis; /* "unix:/path" or "host:port" */
	const char *redis_password;
	long redis_database;
	long redis_pool;
	long timeout_ms; /* deadline of one operation */
	bool readonly;   /* store_readonly() was called */
};

/* Greylisting in one step.  The triplet record is {first seen, last seen,
 * passed deliveries, milliseconds past first seen} (the fourth field is a
 * trailing one, so the value stays version 1: an older doorman reads the
 * first three; a record without it, written by an older doorman, is taken
 * as first seen at the end of its second, so a retry is never accepted
 * early); the network record {passed deliveries, last} or,
 * for a network the postmaster allowed (doorman-state allow), {passed
 * deliveries, when allowed, GREY_NET_PERMANENT}, stored without expiry: a
 * trailing field, so the value stays version 1 and an older doorman reads
 * it (as a network with that many passes).  A permanent network skips
 * greylisting whatever greylist.auto_allow says, and is never rewritten. */
#define GREY_NET_PERMANENT 1
struct grey_params {
	int64_t now;    /* unix seconds (the clock of expiries and "last seen") */
	int64_t now_ms; /* the same instant in milliseconds (0: now * 1000): a retry is
	                 * accepted when delay * 1000 of them have passed since the first sight */
	long delay;     /* seconds before a retry is accepted */
	long window;    /* seconds after delay a retry is still accepted */
	long lifetime;  /* seconds a passed triplet (and a network) is kept, renewed by each message
	                 */
	long auto_allow; /* passed deliveries after which the network skips greylisting; 0: never */
};

enum grey_state {
	GREY_NEW,     /* first sight (or a retry after the window): tempfail */
	GREY_EARLY,   /* seen, but the delay is not over: tempfail */
	GREY_PASSED,  /* a retry after the delay, or a known triplet: accept */
	GREY_ALLOWED, /* the client network passed auto_allow times, or is
	               * GREY_NET_PERMANENT: accept */
};

struct grey_result {
	enum grey_state state;
	int64_t retry_in; /* NEW, EARLY: seconds until a retry is accepted */
	int64_t passes;   /* PASSED, ALLOWED: the network's passed deliveries */
};

/* What a backend does; store.c checks keys and counts failures around it. */
struct store_ops {
	const char *name;
	void *(*open)(const struct store_opts *o, char *why, size_t whylen);
	void (*close)(void *h);
	int (*get)(void *h, const struct store_key *k, struct store_val *v, int64_t now);
	int (*put)(void *h, const struct store_key *k, const struct store_val *v, long ttl,
	           int64_t now);
	int (*counts)(void *h, struct store_count *c, size_t n, int64_t now);
	int (*del)(void *h, const struct store_key *k);
	int (*scan)(void *h, const struct store_key *prefix,
	            int (*fn)(void *arg, const char *key, const struct store_val *v,
	                      int64_t expires),
	            void *arg, int64_t now);
	int (*grey)(void *h, const struct store_key *triplet, const struct store_key *net,
	            const struct grey_params *p, struct grey_result *r);
};

extern const struct store_ops store_lmdb_ops;
extern const struct store_ops store_redis_ops;

struct store;

/* store_key_init - start a key in namespace ns (a literal of [a-z0-9_]). */
void store_key_init(struct store_key *k, const char *ns);
void store_key_str(struct store_key *k, const char *s);
void store_key_int(struct store_key *k, int64_t n);
/* store_key_net - the network of ip with prefix bits (of its own family). */
void store_key_net(struct store_key *k, const struct ipaddr *ip, int prefix);
/* store_key_parse - a key as listed (store_scan, doorman-state list) back
 * into k: 0, or -1 when text is not a key these functions could build (a
 * namespace, then '|'-separated parts of safe bytes and %XX escapes). */
int store_key_parse(struct store_key *k, const char *text);

/* Value records, shared by the backends: the encoded form is
 * "<version>:<f0>,<f1>,..." (Redis stores it so; LMDB prefixes the expiry). */
size_t store_val_encode(const struct store_val *v, char *buf, size_t len);
int store_val_decode(const char *buf, size_t len, struct store_val *v);

/* grey_step - greylisting's decision over the two records as read; fills
 * what to write back (want_* true) with its time to live.  A passed triplet
 * (or an allowed network) last renewed less than lifetime/GREY_RENEW_DIV
 * ago is not written again, unless its pass still counts towards
 * auto_allow: the entry's expiry and "last seen" lag by at most that, and
 * the hot path of known senders is a read.  The LMDB backend
 * runs it inside one write transaction; the Redis Lua script mirrors it
 * (store_redis.c: when you change this, change the script). */
struct grey_step {
	bool write_triplet;
	struct store_val triplet;
	long triplet_ttl;
	bool write_net;
	struct store_val net;
	long net_ttl;
};
void grey_step(const struct store_val *triplet, bool have_triplet, const struct store_val *net,
               bool have_net, const struct grey_params *p, struct grey_result *r,
               struct grey_step *out);

/* store_redis_parse - "unix:/path" (0, the path in host) or "host:port"
 * (1, *port set); -1 with why when it is neither. */
int store_redis_parse(const char *spec, char *host, size_t hostlen, int *port, char *why,
                      size_t whylen);

/*
 * store_readonly - from now on every store of the process only reads
 * (doorman -t: a trace must leave no state behind).  Called once, before
 * any store is opened.  LMDB is opened read-only and without its lock
 * file, and nothing is created: a state directory without a data file
 * reads as empty.  put and del write nothing and say they did; incr gives
 * the count it would reach; store_grey reads both records and decides
 * with grey_step, writing nothing back.
 */
void store_readonly(void);

/* store_open - a new store, or NULL with why.  store_close(NULL) is a no-op. */
struct store *store_open(const struct store_opts *o, char *why, size_t whylen);
void store_close(struct store *s);

int store_get(struct store *s, const struct store_key *k, struct store_val *v);
/* put, incr, del: 0, or STORE_TEMPFAIL */
int store_put(struct store *s, const struct store_key *k, const struct store_val *v, long ttl);
int store_incr(struct store *s, const struct store_key *k, long window, int64_t by, int64_t *count);
/* store_counts - n (1..STORE_COUNTS_MAX) counters in one atomic step:
 * 0 with each c[i].count set, or STORE_TEMPFAIL (none changed). */
int store_counts(struct store *s, struct store_count *c, size_t n);
int store_del(struct store *s, const struct store_key *k);
/* store_scan - fn for each live entry under prefix (its key is the prefix's
 * parts and more: "grey" lists "grey|...", not "greynet|...") (fn
 * returns nonzero to stop); 0 or STORE_TEMPFAIL.  expires: unix seconds,
 * 0 for none.  For listing, not for the hot path. */
int store_scan(struct store *s, const struct store_key *prefix,
               int (*fn)(void *arg, const char *key, const struct store_val *v, int64_t expires),
               void *arg);
int store_grey(struct store *s, const struct store_key *triplet, const struct store_key *net,
               const struct grey_params *p, struct grey_result *r);

/* store_shared - the process's store for cfg's store settings, or NULL
 * (a temporary failure, logged) when it cannot be opened now. */
struct store *store_shared(const struct config *cfg);

/* store_lmdb_records - records in an LMDB handle, expired ones included
 * (for tests of the sweep and for the state CLI). */
size_t store_lmdb_records(void *h);

/* Counters since start (atomics). */
struct store_stats {
	unsigned long ops;
	unsigned long failures; /* operations answered STORE_TEMPFAIL */
	unsigned long map_full; /* LMDB writes refused because the map is full */
	unsigned long reconnects;
};
void store_stats_get(struct store_stats *out);
/* store_log_failure - a backend's failure line, at most one a second (a
 * dead store must not add a line to every RCPT; the decision's own line
 * says store_failure each time); the next line says how many were left out. */
void store_log_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* for backends: count a full map */
void store_count_map_full(void);
void store_count_reconnect(void);

/* now, in unix seconds (the clock every TTL is measured on) */
int64_t store_now(void);
/* now, in unix milliseconds (greylisting's delay is measured on it) */
int64_t store_now_ms(void);

#endif
