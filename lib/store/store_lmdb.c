/*
 * store_lmdb.c - the store in an LMDB file (the default backend)
 *
 * NAME
 *	store_lmdb_ops - store.h's operations over one LMDB environment
 *
 * DESCRIPTION
 *	store.path is a directory holding data.mdb and lock.mdb.  It is made
 *	(mode 0750) when missing, and refused when it is not a directory, not
 *	ours, or writable by others (a state file others can write could open
 *	greylisting to them).  The map size is store.map_size megabytes; a
 *	write that does not fit is refused with MDB_MAP_FULL, which is a
 *	logged and counted temporary failure (store_count_map_full), never a
 *	crash: the caller's store_failure rule decides.
 *
 *	A record is the expiry (int64 unix seconds, 0 for none, native byte
 *	order like LMDB's own file) followed by the value's versioned text
 *	(store_val_encode).  An expired record reads as not found.  Expired
 *	records are dropped without a full scan on the hot path: each write
 *	transaction also looks at SWEEP_STEP records after where the last one
 *	stopped, and deletes the expired ones, so the whole file is swept in
 *	turn at the pace of the writes.
 *
 *	LMDB is copy-on-write with two meta pages: a process killed at any
 *	point (kill -9) leaves the last committed transaction intact, and
 *	stale reader slots of a dead process are cleared at open
 *	(mdb_reader_check).  Commits do not fsync (MDB_NOSYNC |
 *	MDB_NOMETASYNC): a commit's pages are in the kernel's page cache
 *	when it returns, which a killed process cannot lose; a thread of the
 *	environment flushes them to disk every SYNC_MS (mdb_env_sync), and
 *	closing flushes once more.  A crash of the whole machine may undo the
 *	commits of the last second, never corrupt the file (LMDB writes the
 *	meta page after the data); greylisting state lost that way only
 *	greylists a sender once more.  One fsync per commit cost a greylist
 *	decision milliseconds at the 99th percentile (bench/README).
 *
 *	Greylisting reads before it writes: a decision that changes nothing
 *	(an early retry, a known triplet renewed less than lifetime/100 ago,
 *	grey_step) is one read transaction, which never waits for the writer;
 *	only the others take the writer's lock, and decide again inside it.
 *
 * THREADS
 *	The environment is opened once per process (store.c's registry) with
 *	MDB_NOTLS, so a reader is tied to its transaction, not its thread.
 *	Each operation is one transaction: readers never wait for the writer;
 *	writers queue on LMDB's writer lock, which also guards the sweep
 *	position (read and written only inside write transactions).  The
 *	sync thread sleeps on a condition variable that lm_close signals.
 *
 * LIMITS
 *	Keys are at most STORE_KEY_MAX bytes (under LMDB's 511).  A map size
 *	change of an open environment waits for a restart (store.c).
 */
#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "xalloc.h"

#define SWEEP_STEP 8
#define REC_MAX 160
#define SYNC_MS 1000

struct syncer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop; /* guarded by mu */
	bool running;
};

struct lm {
	MDB_env *env;
	MDB_dbi dbi;
	char sweep[STORE_KEY_MAX + 1]; /* where the sweep goes on; empty: the start */
	size_t sweep_len;
	struct syncer sync;
};

/* flush the commits to disk every SYNC_MS until lm_close says stop */
static void *
sync_loop(void *arg)
{
	struct lm *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->sync.mu);
	while (!l->sync.stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += SYNC_MS / 1000;
		ts.tv_nsec += (SYNC_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&l->sync.cv, &l->sync.mu, &ts) != 0 && !l->sync.stop) {
			int rc;

			pthread_mutex_unlock(&l->sync.mu);
			if ((rc = mdb_env_sync(l->env, 1)) != 0)
				store_log_failure("store=lmdb op=sync failure=\"%s\"", mdb_strerror(rc));
			pthread_mutex_lock(&l->sync.mu);
		}
	}
	pthread_mutex_unlock(&l->sync.mu);
	return NULL;
}

static int
sync_start(struct lm *l)
{
	pthread_condattr_t ca;
	int rc;

	pthread_mutex_init(&l->sync.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->sync.cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&l->sync.tid, NULL, sync_loop, l);
	l->sync.running = rc == 0;
	return rc;
}

static void
sync_stop(struct lm *l)
{
	if (!l->sync.running)
		return;
	pthread_mutex_lock(&l->sync.mu);
	l->sync.stop = true;
	pthread_cond_signal(&l->sync.cv);
	pthread_mutex_unlock(&l->sync.mu);
	pthread_join(l->sync.tid, NULL);
	l->sync.running = false;
	pthread_cond_destroy(&l->sync.cv);
	pthread_mutex_destroy(&l->sync.mu);
}

/*
 * Read-only (store_readonly: doorman -t): nothing is created or taken
 * over, not even LMDB's lock file (MDB_NOLOCK: a trace reads while the
 * daemon may write; LMDB's copy-on-write keeps what a short read sees
 * whole unless the daemon commits twice meanwhile, and a trace is only an
 * explanation).  No data file yet: an empty store (env NULL).
 */
static void *
lm_open_readonly(const struct store_opts *o, char *why, size_t whylen)
{
	struct lm *l = xcalloc(1, sizeof(*l));
	char data[4096];
	MDB_txn *txn;
	int rc;

	snprintf(data, sizeof(data), "%s/data.mdb", o->path);
	if (access(data, F_OK) < 0)
		return l;
	if ((rc = mdb_env_create(&l->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_mapsize(l->env, (size_t)o->map_size_mb << 20)) != 0 ||
	    (rc = mdb_env_open(l->env, o->path, MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK, 0600)) != 0 ||
	    (rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	rc = mdb_dbi_open(txn, NULL, 0, &l->dbi);
	mdb_txn_abort(txn);
	if (rc == 0)
		return l;
fail:
	snprintf(why, whylen, "LMDB at %s (read only): %s", o->path, mdb_strerror(rc));
	if (l->env != NULL)
		mdb_env_close(l->env);
	free(l);
	return NULL;
}

static void *
lm_open(const struct store_opts *o, char *why, size_t whylen)
{
	struct lm *l;
	struct stat st;
	MDB_txn *txn;
	int rc, dead = 0;

	if (o->readonly)
		return lm_open_readonly(o, why, whylen);
	if (mkdir(o->path, 0750) < 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot make %s: %s", o->path, strerror(errno));
		return NULL;
	}
	if (stat(o->path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", o->path);
		return NULL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & S_IWOTH)) {
		snprintf(why, whylen,
		         "%s must belong to the user doorman runs as (uid %u) and not be "
		         "writable by others",
		         o->path, (unsigned)geteuid());
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	if ((rc = mdb_env_create(&l->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_mapsize(l->env, (size_t)o->map_size_mb << 20)) != 0 ||
	    (rc = mdb_env_set_maxreaders(l->env, 510)) != 0 ||
	    (rc = mdb_env_open(l->env, o->path, MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC,
	                         0600)) != 0)
		goto fail;
	mdb_reader_check(l->env, &dead);
	if ((rc = mdb_txn_begin(l->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &l->dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	if ((rc = sync_start(l)) != 0) {
		snprintf(why, whylen, "LMDB at %s: cannot start its sync thread: %s", o->path,
		         strerror(rc));
		mdb_env_close(l->env);
		free(l);
		return NULL;
	}
	if (dead > 0)
		log_msg(LOG_INFO, "store=lmdb path=%s stale_readers_cleared=%d", o->path, dead);
	return l;
fail:
	snprintf(why, whylen, "LMDB at %s: %s", o->path, mdb_strerror(rc));
	if (l->env != NULL)
		mdb_env_close(l->env);
	free(l);
	return NULL;
}

static void
lm_close(void *h)
{
	struct lm *l = h;

	if (l == NULL)
		return;
	if (l->env != NULL) {
		sync_stop(l);
		mdb_env_sync(l->env, 1);
		mdb_env_close(l->env);
	}
	free(l);
}

static int
fail(const char *op, int rc)
{
	if (rc == MDB_MAP_FULL) {
		store_count_map_full();
		store_log_failure("store=lmdb op=%s failure=map_full reason=\"the map is full: "
		                  "raise store.map_size\"",
		                  op);
	} else {
		store_log_failure("store=lmdb op=%s failure=\"%s\"", op, mdb_strerror(rc));
	}
	return STORE_TEMPFAIL;
}

static MDB_val
kval(const struct store_key *k)
{
	return (MDB_val){.mv_size = k->len, .mv_data = (void *)k->s};
}

/* a record as read: 1 live (v, *expires filled), 0 expired, -1 unreadable */
static int
rec_decode(const MDB_val *d, int64_t now, struct store_val *v, int64_t *expires)
{
	int64_t exp;

	if (d->mv_size < sizeof(exp) + 1)
		return -1;
	memcpy(&exp, d->mv_data, sizeof(exp));
	if (expires != NULL)
		*expires = exp;
	if (exp != 0 && exp <= now)
		return 0;
	return store_val_decode((const char *)d->mv_data + sizeof(exp), d->mv_size - sizeof(exp),
	                        v) < 0
	           ? -1
	           : 1;
}

static int
rec_put(struct lm *l, MDB_txn *txn, const struct store_key *k, const struct store_val *v,
        int64_t expires)
{
	char buf[REC_MAX];
	size_t n;
	MDB_val key = kval(k), d;

	memcpy(buf, &expires, sizeof(expires));
	n = store_val_encode(v, buf + sizeof(expires), sizeof(buf) - sizeof(expires));
	d = (MDB_val){.mv_size = sizeof(expires) + n, .mv_data = buf};
	return mdb_put(txn, l->dbi, &key, &d, 0);
}

/* read k in txn: STORE_FOUND, STORE_NOTFOUND (absent or expired) or STORE_TEMPFAIL */
static int
rec_get(struct lm *l, MDB_txn *txn, const struct store_key *k, int64_t now, struct store_val *v,
        int64_t *expires)
{
	MDB_val key = kval(k), d;
	int rc = mdb_get(txn, l->dbi, &key, &d);

	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return fail("get", rc);
	switch (rec_decode(&d, now, v, expires)) {
	case 1:
		return STORE_FOUND;
	case 0:
		return STORE_NOTFOUND;
	}
	store_log_failure("store=lmdb op=get failure=unreadable key=\"%s\" reason=\"a value of an "
	                  "unknown format (a newer doorman?)\"",
	                  k->s);
	return STORE_TEMPFAIL;
}

/* a few records after the last stop: the expired ones go */
static void
sweep(struct lm *l, MDB_txn *txn, int64_t now)
{
	MDB_cursor *cur;
	MDB_val key = {.mv_size = l->sweep_len, .mv_data = l->sweep}, d;
	int rc;

	if (mdb_cursor_open(txn, l->dbi, &cur) != 0)
		return;
	rc = mdb_cursor_get(cur, &key, &d, l->sweep_len ? MDB_SET_RANGE : MDB_FIRST);
	for (int i = 0; rc == 0 && i < SWEEP_STEP; i++) {
		if (rec_decode(&d, now, &(struct store_val){0}, NULL) == 0 &&
		    mdb_cursor_del(cur, 0) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT);
	}
	if (rc == 0 && key.mv_size <= STORE_KEY_MAX) {
		memcpy(l->sweep, key.mv_data, key.mv_size);
		l->sweep_len = key.mv_size;
	} else {
		l->sweep_len = 0; /* the end: start again */
	}
	mdb_cursor_close(cur);
}

static int
wbegin(struct lm *l, MDB_txn **txn)
{
	int rc = mdb_txn_begin(l->env, NULL, 0, txn);

	return rc == 0 ? 0 : fail("begin", rc);
}

/* sweep and commit txn; rc is the operation's own result so far */
static int
wend(struct lm *l, MDB_txn *txn, const char *op, int rc, int64_t now)
{
	if (rc != 0) {
		mdb_txn_abort(txn);
		return fail(op, rc);
	}
	sweep(l, txn, now);
	if ((rc = mdb_txn_commit(txn)) != 0)
		return fail(op, rc);
	return 0;
}

static int
lm_get(void *h, const struct store_key *k, struct store_val *v, int64_t now)
{
	struct lm *l = h;
	MDB_txn *txn;
	int rc;

	if (l->env == NULL)
		return STORE_NOTFOUND; /* read only, and no data file yet */
	if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0)
		return fail("get", rc);
	rc = rec_get(l, txn, k, now, v, NULL);
	mdb_txn_abort(txn);
	return rc;
}

static int
lm_put(void *h, const struct store_key *k, const struct store_val *v, long ttl, int64_t now)
{
	struct lm *l = h;
	MDB_txn *txn;

	if (wbegin(l, &txn) < 0)
		return STORE_TEMPFAIL;
	return wend(l, txn, "put", rec_put(l, txn, k, v, ttl > 0 ? now + ttl : 0), now);
}

/* every counter in one write transaction: all change, or none */
static int
lm_counts(void *h, struct store_count *c, size_t n, int64_t now)
{
	struct lm *l = h;
	MDB_txn *txn;
	int rc = 0;

	if (wbegin(l, &txn) < 0)
		return STORE_TEMPFAIL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_val v;
		int64_t expires = 0;
		int got = rec_get(l, txn, c[i].key, now, &v, &expires);

		if (got == STORE_TEMPFAIL) {
			mdb_txn_abort(txn);
			return STORE_TEMPFAIL;
		}
		if (got == STORE_NOTFOUND || v.n < 1) {
			v = (struct store_val){.f = {c[i].by}, .n = 1};
			expires = now + c[i].ttl;
		} else {
			v.f[0] += c[i].by;
		}
		c[i].count = v.f[0];
		rc = rec_put(l, txn, c[i].key, &v, expires);
	}
	return wend(l, txn, "incr", rc, now);
}

static int
lm_del(void *h, const struct store_key *k)
{
	struct lm *l = h;
	MDB_val key = kval(k);
	MDB_txn *txn;
	int rc;

	if (wbegin(l, &txn) < 0)
		return STORE_TEMPFAIL;
	rc = mdb_del(txn, l->dbi, &key, NULL);
	return wend(l, txn, "del", rc == MDB_NOTFOUND ? 0 : rc, store_now());
}

static int
lm_scan(void *h, const struct store_key *prefix,
        int (*fn)(void *arg, const char *key, const struct store_val *v, int64_t expires),
        void *arg, int64_t now)
{
	struct lm *l = h;
	MDB_val key = kval(prefix), d;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	if (l->env == NULL)
		return 0;
	if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0)
		return fail("scan", rc);
	if ((rc = mdb_cursor_open(txn, l->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return fail("scan", rc);
	}
	for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
		char name[STORE_KEY_MAX + 1];
		struct store_val v;
		int64_t expires;

		if (key.mv_size < prefix->len || memcmp(key.mv_data, prefix->s, prefix->len) != 0 ||
		    key.mv_size > STORE_KEY_MAX)
			break;
		if (rec_decode(&d, now, &v, &expires) != 1)
			continue;
		memcpy(name, key.mv_data, key.mv_size);
		name[key.mv_size] = '\0';
		if (fn(arg, name, &v, expires) != 0)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return 0;
}

static int
lm_grey(void *h, const struct store_key *triplet, const struct store_key *net,
        const struct grey_params *p, struct grey_result *r)
{
	struct lm *l = h;
	struct store_val tv, nv;
	struct grey_step st;
	MDB_txn *txn;
	int rt, rn, rc = 0;

	/* first as a reader: most decisions (a known triplet) change nothing */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0 && (rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0)
			return fail("grey", rc);
		if (pass == 1 && wbegin(l, &txn) < 0)
			return STORE_TEMPFAIL;
		rt = rec_get(l, txn, triplet, p->now, &tv, NULL);
		rn = rec_get(l, txn, net, p->now, &nv, NULL);
		if (rt == STORE_TEMPFAIL || rn == STORE_TEMPFAIL) {
			mdb_txn_abort(txn);
			return STORE_TEMPFAIL;
		}
		grey_step(&tv, rt == STORE_FOUND, &nv, rn == STORE_FOUND, p, r, &st);
		if (!st.write_triplet && !st.write_net) {
			mdb_txn_abort(txn); /* nothing to write: no writer's lock */
			return 0;
		}
		if (pass == 0)
			mdb_txn_abort(txn); /* decide again under the writer's lock */
	}
	if (st.write_triplet)
		rc = rec_put(l, txn, triplet, &st.triplet, p->now + st.triplet_ttl);
	if (rc == 0 && st.write_net)
		rc = rec_put(l, txn, net, &st.net, p->now + st.net_ttl);
	return wend(l, txn, "grey", rc, p->now);
}

size_t
store_lmdb_records(void *h)
{
	struct lm *l = h;
	MDB_stat st;
	MDB_txn *txn;
	size_t n = 0;

	if (l->env == NULL || mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_stat(txn, l->dbi, &st) == 0)
		n = st.ms_entries;
	mdb_txn_abort(txn);
	return n;
}

const struct store_ops store_lmdb_ops = {
    .name = "lmdb",
    .open = lm_open,
    .close = lm_close,
    .get = lm_get,
    .put = lm_put,
    .counts = lm_counts,
    .del = lm_del,
    .scan = lm_scan,
    .grey = lm_grey,
};
