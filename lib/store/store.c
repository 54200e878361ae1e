/*
 * store.c - keys, values, greylisting's step, the shared store (see store.h)
 *
 * The front of every backend: it refuses bad keys before a backend sees
 * them, counts operations and failures, and logs a failure once per
 * second at most (a dead store must not flood the log at every RCPT).
 */
#include "store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

struct store {
	const struct store_ops *ops;
	void *h;
};

static unsigned long n_ops, n_failures, n_map_full, n_reconnects; /* atomics */
static bool readonly; /* set once before any store opens (store_readonly) */

void
store_readonly(void)
{
	readonly = true;
}

int64_t
store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- keys ---- */

void
store_key_init(struct store_key *k, const char *ns)
{
	memset(k, 0, sizeof(*k));
	for (const char *p = ns; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			panic("store_key_init: namespace \"%s\"", ns);
	k->len = (size_t)snprintf(k->s, sizeof(k->s), "%s", ns);
	if (k->len == 0 || k->len > 16)
		panic("store_key_init: namespace \"%s\"", ns);
}

/* bytes a part may keep as they are: none is '|' (the separator), '%'
 * (the escape), '~' (a hashed part) or a Redis glob character */
static bool
safe(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '@' || ch == '_' || ch == '-' || ch == '+' || ch == '=' ||
	       ch == ':' || ch == '/';
}

static void
key_append(struct store_key *k, const char *part, size_t n)
{
	if (k->bad || k->len + 1 + n > STORE_KEY_MAX) {
		k->bad = true;
		return;
	}
	k->s[k->len++] = '|';
	memcpy(k->s + k->len, part, n);
	k->len += n;
	k->s[k->len] = '\0';
}

void
store_key_str(struct store_key *k, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[STORE_PART_MAX + 4];
	size_t n = 0;
	const char *p;

	for (p = s; *p && n + 3 <= STORE_PART_MAX; p++) {
		unsigned char ch = (unsigned char)*p;
		if (safe(ch)) {
			enc[n++] = (char)ch;
		} else {
			enc[n++] = '%';
			enc[n++] = hex[ch >> 4];
			enc[n++] = hex[ch & 15];
		}
	}
	if (*p != '\0') {
		/* too long for a key: a 64-bit FNV-1a hash of the whole part
		 * stands for it ('~' never appears in an encoded part) */
		uint64_t h = 0xcbf29ce484222325ULL;
		for (p = s; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		n = (size_t)snprintf(enc, sizeof(enc), "~%016" PRIx64, h);
	}
	key_append(k, enc, n);
}

void
store_key_int(struct store_key *k, int64_t v)
{
	char buf[24];

	key_append(k, buf, (size_t)snprintf(buf, sizeof(buf), "%" PRId64, v));
}

void
store_key_net(struct store_key *k, const struct ipaddr *ip, int prefix)
{
	struct ipaddr net = *ip;
	int bits = ip->family == AF_INET ? 32 : 128;
	char text[IP_TEXT_MAX], buf[IP_TEXT_MAX + 8];

	if (prefix < 0 || prefix > bits) {
		k->bad = true;
		return;
	}
	for (int i = 0; i < bits / 8; i++) {
		int keep = prefix - i * 8;
		net.a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	ip_format(&net, text, sizeof(text));
	key_append(k, buf, (size_t)snprintf(buf, sizeof(buf), "%s/%d", text, prefix));
}

static bool
hexdigit(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F');
}

int
store_key_parse(struct store_key *k, const char *text)
{
	size_t n = strlen(text), i = 0;

	memset(k, 0, sizeof(*k));
	if (n == 0 || n > STORE_KEY_MAX)
		return -1;
	while (i < n && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') ||
	                 text[i] == '_'))
		i++;
	if (i == 0 || i > 16 || (i < n && text[i] != '|'))
		return -1;
	while (i < n) {
		size_t start = ++i; /* past the '|' */
		if (i < n && text[i] == '~') {
			/* a hashed part: '~' and 16 lower-case hex digits */
			for (i++; i < n && text[i] != '|'; i++)
				if (!((text[i] >= '0' && text[i] <= '9') ||
				      (text[i] >= 'a' && text[i] <= 'f')))
					return -1;
			if (i - start != 17)
				return -1;
			continue;
		}
		for (; i < n && text[i] != '|'; i++) {
			if (text[i] == '%') {
				if (i + 2 >= n || !hexdigit(text[i + 1]) || !hexdigit(text[i + 2]))
					return -1;
				i += 2;
			} else if (!safe((unsigned char)text[i])) {
				return -1;
			}
		}
	}
	memcpy(k->s, text, n + 1);
	k->len = n;
	return 0;
}

/* ---- values ---- */

size_t
store_val_encode(const struct store_val *v, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%d:", STORE_VAL_VERSION);

	for (unsigned i = 0; i < v->n && i < STORE_FIELDS && used < len; i++)
		used +=
		    (size_t)snprintf(buf + used, len - used, "%s%" PRId64, i ? "," : "", v->f[i]);
	return used < len ? used : len - 1;
}

/* Version 1 is the only one so far; a later version adds a case here and
 * keeps this one. */
int
store_val_decode(const char *buf, size_t len, struct store_val *v)
{
	char tmp[128], *p, *end;
	long ver;

	memset(v, 0, sizeof(*v));
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	ver = strtol(tmp, &end, 10);
	if (end == tmp || *end != ':' || ver != 1)
		return -1;
	p = end + 1;
	while (*p != '\0') {
		if (v->n == STORE_FIELDS)
			return -1;
		v->f[v->n++] = strtoll(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0'))
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* ---- greylisting's step ---- */

/* When a waiting triplet was first seen, in milliseconds.  The delay is
 * measured on this, not on whole seconds: a triplet first seen at 10.9 s
 * and stored as second 10 would otherwise pass a retry at 10 + delay,
 * 0.9 s early.  A record of an older doorman (no fourth field) counts from
 * the end of its second: later by less than a second, never early. */
static int64_t
grey_first_ms(const struct store_val *t)
{
	int64_t frac = t->n >= 4 && t->f[3] >= 0 && t->f[3] <= 999 ? t->f[3] : 999;

	return t->f[0] * 1000 + frac;
}

void
grey_step(const struct store_val *trip, bool have_trip, const struct store_val *net, bool have_net,
          const struct grey_params *p, struct grey_result *r, struct grey_step *out)
{
	int64_t passes = have_net && net->n >= 1 ? net->f[0] : 0;
	int64_t now_ms = p->now_ms != 0 ? p->now_ms : p->now * 1000;
	int64_t waited = have_trip && trip->n >= 3 ? now_ms - grey_first_ms(trip) : 0;

	memset(out, 0, sizeof(*out));
	memset(r, 0, sizeof(*r));
	if (have_net && net->n >= 3 && net->f[2] == GREY_NET_PERMANENT) {
		/* allowed by the postmaster: no expiry, nothing to write */
		r->state = GREY_ALLOWED;
		r->passes = passes;
		return;
	}
	if (p->auto_allow > 0 && passes >= p->auto_allow) {
		/* renew the network's entry so a steady sender stays allowed */
		r->state = GREY_ALLOWED;
		r->passes = passes;
		if (net->n >= 2 && p->now - net->f[1] < p->lifetime / GREY_RENEW_DIV)
			return; /* renewed lately: a read, no write */
		out->write_net = true;
		out->net = (struct store_val){.f = {passes, p->now}, .n = 2};
		out->net_ttl = p->lifetime;
		return;
	}
	if (have_trip && trip->n >= 3 && trip->f[2] == 0 && waited < p->delay * 1000) {
		r->state = GREY_EARLY;
		r->retry_in = (p->delay * 1000 - waited + 999) / 1000; /* rounded up */
		return;
	}
	if (!have_trip || trip->n < 3 ||
	    (trip->f[2] == 0 && waited > (p->delay + p->window) * 1000)) {
		r->state = GREY_NEW;
		r->retry_in = p->delay;
		out->write_triplet = true;
		out->triplet =
		    (struct store_val){.f = {now_ms / 1000, p->now, 0, now_ms % 1000}, .n = 4};
		/* the record's expiry counts whole seconds from p->now: one more
		 * keeps it through the last millisecond of the window */
		out->triplet_ttl = p->delay + p->window + 1;
		return;
	}
	r->state = GREY_PASSED;
	if (trip->f[2] > 0 && p->now - trip->f[1] < p->lifetime / GREY_RENEW_DIV &&
	    !(p->auto_allow > 0 && passes < p->auto_allow)) {
		/* a passed triplet renewed lately, and no pass to count towards
		 * auto_allow: nothing to write, the hot path stays a read */
		r->passes = passes;
		return;
	}
	r->passes = passes + 1;
	out->write_triplet = true;
	out->triplet = (struct store_val){.f = {trip->f[0], p->now, trip->f[2] + 1}, .n = 3};
	out->triplet_ttl = p->lifetime;
	out->write_net = true;
	out->net = (struct store_val){.f = {passes + 1, p->now}, .n = 2};
	out->net_ttl = p->lifetime;
}

/* ---- the front ---- */

static int64_t last_failure_log = -1000; /* atomic: clock_ms() of the last line */
static unsigned long failures_unlogged;  /* atomic */

void
store_log_failure(const char *fmt, ...)
{
	int64_t now = clock_ms(), last = __atomic_load_n(&last_failure_log, __ATOMIC_RELAXED);
	unsigned long skipped;
	char line[512];
	va_list ap;

	if (now - last < 1000 || !__atomic_compare_exchange_n(&last_failure_log, &last, now, false,
	                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&failures_unlogged, 1, __ATOMIC_RELAXED);
		return;
	}
	skipped = __atomic_exchange_n(&failures_unlogged, 0, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (skipped > 0)
		log_msg(LOG_ERR, "%s unlogged_failures=%lu", line, skipped);
	else
		log_msg(LOG_ERR, "%s", line);
}

void
store_count_map_full(void)
{
	__atomic_add_fetch(&n_map_full, 1, __ATOMIC_RELAXED);
}

void
store_count_reconnect(void)
{
	__atomic_add_fetch(&n_reconnects, 1, __ATOMIC_RELAXED);
}

void
store_stats_get(struct store_stats *out)
{
	out->ops = __atomic_load_n(&n_ops, __ATOMIC_RELAXED);
	out->failures = __atomic_load_n(&n_failures, __ATOMIC_RELAXED);
	out->map_full = __atomic_load_n(&n_map_full, __ATOMIC_RELAXED);
	out->reconnects = __atomic_load_n(&n_reconnects, __ATOMIC_RELAXED);
}

/* an operation's result, counted for the process and per backend and op (metrics.h) */
static int
counted(const struct store *s, const char *op, int rc)
{
	__atomic_add_fetch(&n_ops, 1, __ATOMIC_RELAXED);
	if (rc == STORE_TEMPFAIL)
		__atomic_add_fetch(&n_failures, 1, __ATOMIC_RELAXED);
	metrics_store(s->ops->name, op, rc == STORE_TEMPFAIL);
	return rc;
}

struct store *
store_open(const struct store_opts *o, char *why, size_t whylen)
{
	const struct store_ops *ops =
	    o->backend == STORE_REDIS ? &store_redis_ops : &store_lmdb_ops;
	struct store_opts ro = *o;
	void *h;
	struct store *s;

	ro.readonly = readonly; /* the caller's field is not read: store_readonly() decides */
	h = ops->open(&ro, why, whylen);

	if (h == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->h = h;
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->h);
	free(s);
}

int
store_get(struct store *s, const struct store_key *k, struct store_val *v)
{
	memset(v, 0, sizeof(*v));
	if (k->bad)
		return counted(s, "get", STORE_TEMPFAIL);
	return counted(s, "get", s->ops->get(s->h, k, v, store_now()));
}

int
store_put(struct store *s, const struct store_key *k, const struct store_val *v, long ttl)
{
	if (k->bad || v->n > STORE_FIELDS)
		return counted(s, "put", STORE_TEMPFAIL);
	if (readonly)
		return counted(s, "put", 0);
	return counted(s, "put", s->ops->put(s->h, k, v, ttl, store_now()));
}

int
store_incr(struct store *s, const struct store_key *k, long window, int64_t by, int64_t *count)
{
	struct store_count c = {.key = k, .ttl = window, .by = by};
	int rc = store_counts(s, &c, 1);

	*count = c.count;
	return rc;
}

/* store_counts without writing: the counts the step would reach */
static int
counts_peek(struct store *s, struct store_count *c, size_t n)
{
	int64_t now = store_now();

	for (size_t i = 0; i < n; i++) {
		struct store_val cur = {0};
		int rc = s->ops->get(s->h, c[i].key, &cur, now);

		if (rc == STORE_TEMPFAIL)
			return STORE_TEMPFAIL;
		c[i].count = (rc == STORE_FOUND && cur.n > 0 ? cur.f[0] : 0) + c[i].by;
	}
	return 0;
}

int
store_counts(struct store *s, struct store_count *c, size_t n)
{
	if (n == 0 || n > STORE_COUNTS_MAX)
		return counted(s, "incr", STORE_TEMPFAIL);
	for (size_t i = 0; i < n; i++) {
		c[i].count = 0;
		if (c[i].key->bad || c[i].ttl <= 0)
			return counted(s, "incr", STORE_TEMPFAIL);
	}
	if (readonly)
		return counted(s, "incr", counts_peek(s, c, n));
	return counted(s, "incr", s->ops->counts(s->h, c, n, store_now()));
}

int
store_del(struct store *s, const struct store_key *k)
{
	if (k->bad)
		return counted(s, "del", STORE_TEMPFAIL);
	if (readonly)
		return counted(s, "del", 0);
	return counted(s, "del", s->ops->del(s->h, k));
}

int
store_scan(struct store *s, const struct store_key *prefix,
           int (*fn)(void *arg, const char *key, const struct store_val *v, int64_t expires),
           void *arg)
{
	struct store_key under = *prefix;

	/* the entries under the prefix's parts: "grey|" must not find "greynet|" */
	key_append(&under, "", 0);
	if (under.bad)
		return counted(s, "scan", STORE_TEMPFAIL);
	return counted(s, "scan", s->ops->scan(s->h, &under, fn, arg, store_now()));
}

/* store_grey's decision from what the records hold, nothing written */
static int
grey_peek(struct store *s, const struct store_key *triplet, const struct store_key *net,
          const struct grey_params *p, struct grey_result *r)
{
	struct store_val tv = { 0 }, nv = { 0 };
	struct grey_step out;
	int64_t now = store_now();
	int rt = s->ops->get(s->h, triplet, &tv, now), rn;

	if (rt == STORE_TEMPFAIL || (rn = s->ops->get(s->h, net, &nv, now)) == STORE_TEMPFAIL)
		return STORE_TEMPFAIL;
	grey_step(&tv, rt == STORE_FOUND, &nv, rn == STORE_FOUND, p, r, &out);
	return 0;
}

int
store_grey(struct store *s, const struct store_key *triplet, const struct store_key *net,
           const struct grey_params *p, struct grey_result *r)
{
	memset(r, 0, sizeof(*r));
	if (triplet->bad || net->bad)
		return counted(s, "grey", STORE_TEMPFAIL);
	if (readonly)
		return counted(s, "grey", grey_peek(s, triplet, net, p, r));
	return counted(s, "grey", s->ops->grey(s->h, triplet, net, p, r));
}

/* ---- the process's stores ---- */

/*
 * One entry per distinct set of store settings seen in a snapshot.  An
 * entry whose open failed keeps its time, so others fail at once for
 * STORE_RETRY_MS.  LMDB entries are matched by path alone (one open per
 * file and process).  Entries live until the process ends.
 */
struct shared {
	struct shared *next;
	struct store_opts o; /* strings owned */
	struct store *s;     /* NULL while closed */
	int64_t failed_ms;   /* when the last open failed */
	bool warned_map;
};

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared *shared_list; /* guarded by shared_lock */

static void
opts_from(const struct config *cfg, struct store_opts *o)
{
	o->backend = strcmp(cfg->store_backend, "redis") == 0 ? STORE_REDIS : STORE_LMDB;
	o->path = cfg->store_path;
	o->map_size_mb = cfg->store_map_size;
	o->redis = cfg->store_redis;
	o->redis_password = cfg->store_redis_password;
	o->redis_database = cfg->store_redis_database;
	o->redis_pool = cfg->store_redis_pool;
	o->timeout_ms = cfg->store_timeout;
}

static bool
same(const struct store_opts *a, const struct store_opts *b)
{
	if (a->backend != b->backend)
		return false;
	if (a->backend == STORE_LMDB)
		return strcmp(a->path, b->path) == 0;
	return strcmp(a->redis, b->redis) == 0 &&
	       strcmp(a->redis_password, b->redis_password) == 0 &&
	       a->redis_database == b->redis_database && a->redis_pool == b->redis_pool &&
	       a->timeout_ms == b->timeout_ms;
}

struct store *
store_shared(const struct config *cfg)
{
	struct store_opts o;
	struct shared *e;
	struct store *s = NULL;
	char why[512];

	opts_from(cfg, &o);
	pthread_mutex_lock(&shared_lock);
	for (e = shared_list; e != NULL && !same(&e->o, &o); e = e->next)
		;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->o = o;
		e->o.path = xstrdup(o.path);
		e->o.redis = xstrdup(o.redis);
		e->o.redis_password = xstrdup(o.redis_password);
		e->failed_ms = -STORE_RETRY_MS;
		e->next = shared_list;
		shared_list = e;
	}
	if (e->s != NULL && e->o.backend == STORE_LMDB && e->o.map_size_mb != o.map_size_mb &&
	    !e->warned_map) {
		e->warned_map = true;
		log_msg(LOG_WARNING,
		        "store=lmdb path=%s map_size=%ld kept: the new map_size=%ld "
		        "takes effect at restart",
		        e->o.path, e->o.map_size_mb, o.map_size_mb);
	}
	if (e->s == NULL && clock_ms() - e->failed_ms >= STORE_RETRY_MS) {
		e->s = store_open(&e->o, why, sizeof(why));
		if (e->s == NULL) {
			e->failed_ms = clock_ms();
			store_log_failure("store=%s failure=open reason=\"%s\"",
			                  o.backend == STORE_REDIS ? "redis" : "lmdb", why);
		} else {
			log_msg(LOG_INFO, "store=%s opened=%s", e->s->ops->name,
			        o.backend == STORE_REDIS ? o.redis : o.path);
		}
	}
	s = e->s;
	pthread_mutex_unlock(&shared_lock);
	if (s == NULL) {
		__atomic_add_fetch(&n_failures, 1, __ATOMIC_RELAXED);
		metrics_store(o.backend == STORE_REDIS ? "redis" : "lmdb", "open", true);
	}
	return s;
}
