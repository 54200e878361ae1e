/*
 * store_redis.c - the store in Redis, shared by several MX hosts
 *
 * NAME
 *	store_redis_ops - store.h's operations over a pool of hiredis connections
 *
 * DESCRIPTION
 *	store.redis names the server: "unix:/path" or "host:port" (an address
 *	is best: a host name is resolved by the system at each connect).
 *	Each new connection sends AUTH (store.redis_password), SELECT
 *	(store.redis_database) and SCRIPT LOAD of the one Lua script below,
 *	once; after that every decision is one round trip: GET, SET, DEL, or
 *	EVALSHA of the script for the read-modify-write steps (greylisting,
 *	counters), which Redis runs atomically whichever host asks.  A server
 *	that lost its scripts (restarted, SCRIPT FLUSH) answers NOSCRIPT, and
 *	that one call goes again as EVAL, which loads it again.
 *
 *	Values are store_val_encode()'s versioned text, with Redis's own
 *	expiry (EX): Redis drops expired keys itself.
 *
 *	Every operation has a deadline of store.timeout milliseconds from its
 *	start, waiting for a pooled connection included; it bounds connect
 *	and every read and write on the socket.  A pooled connection keeps the
 *	socket timeout it was given last while that is at most the time the
 *	next operation has left and not much less (KEEP_TIMEOUT): an
 *	operation that found a connection at once makes no setsockopt(2),
 *	only its write and read.  A connection that failed in
 *	any way is closed with the idle ones (most likely dead as well), and
 *	the next operation opens a new one: the store reconnects by itself.
 *	After a connect fails, operations fail at once for STORE_RETRY_MS (a
 *	dead server must not cost every RCPT a connect timeout), then one
 *	tries again.
 *
 * THREADS
 *	The pool (idle connections, the count of open ones, the down-until
 *	time, the script's SHA1) is guarded by one mutex, taken once to
 *	check a connection out and once to put it back; a connection is used
 *	by one operation at a time, outside the lock.
 *
 * LIMITS
 *	hiredis writes with write(2): a process using this backend ignores
 *	SIGPIPE (doorman does, milter/main.c; so do doorman-state and the tests),
 *	or a server that goes away would kill it.
 *	One server (or a primary behind a proxy): greylisting's two keys go
 *	in one script call, which Redis Cluster would refuse across slots.
 *	At most store.redis_pool connections; more operations wait for one
 *	within their deadline.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

/*
 * The read-modify-write steps, run atomically by Redis.  ARGV[1] names the
 * step.  "grey" mirrors grey_step() in store.c (when you change one,
 * change the other; test_store runs the same cases through both);
 * "incr" is store_counts' fixed-window counters: KEYS, then a (by, ttl)
 * pair of ARGV per key; every value is read before any is written, so an
 * unreadable one changes none.  A value of an unknown
 * version is an error reply, never misread.
 */
static const char script[] =
    "local function dec(s)\n"
    "  if not s then return nil end\n"
    "  local ver, rest = string.match(s, '^(%d+):(.*)$')\n"
    "  if ver ~= '1' then return false end\n"
    "  local t = {}\n"
    "  for x in string.gmatch(rest, '[^,]+') do t[#t + 1] = tonumber(x) end\n"
    "  return t\n"
    "end\n"
    "local function enc(t) return '1:' .. table.concat(t, ',') end\n"
    "if ARGV[1] == 'incr' then\n"
    "  local out = {}\n"
    "  for i = 1, #KEYS do\n"
    "    local v = dec(redis.call('GET', KEYS[i]))\n"
    "    if v == false then return redis.error_reply('unreadable value') end\n"
    "  end\n"
    "  for i = 1, #KEYS do\n"
    "    local by, ttl = tonumber(ARGV[2 * i]), ARGV[2 * i + 1]\n"
    "    local v = dec(redis.call('GET', KEYS[i]))\n"
    "    if v and #v >= 1 then\n"
    "      out[i] = v[1] + by\n"
    "      redis.call('SET', KEYS[i], enc({out[i]}), 'KEEPTTL')\n"
    "    else\n"
    "      out[i] = by\n"
    "      redis.call('SET', KEYS[i], enc({by}), 'EX', ttl)\n"
    "    end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "local now, delay, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local life, auto, nowms = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local tr = dec(redis.call('GET', KEYS[1]))\n"
    "local nt = dec(redis.call('GET', KEYS[2]))\n"
    "if tr == false or nt == false then return redis.error_reply('unreadable value') end\n"
    "local passes = 0\n"
    "if nt and #nt >= 1 then passes = nt[1] end\n"
    "local fresh = math.floor(life / 100) -- GREY_RENEW_DIV\n"
    "if nt and #nt >= 3 and nt[3] == 1 then return {3, 0, passes} end -- GREY_NET_PERMANENT\n"
    "if auto > 0 and passes >= auto then\n"
    "  if not (#nt >= 2 and now - nt[2] < fresh) then\n"
    "    redis.call('SET', KEYS[2], enc({passes, now}), 'EX', life)\n"
    "  end\n"
    "  return {3, 0, passes}\n"
    "end\n"
    "local waited = 0\n"
    "if tr and #tr >= 3 then -- grey_first_ms\n"
    "  local frac = 999\n"
    "  if #tr >= 4 and tr[4] >= 0 and tr[4] <= 999 then frac = tr[4] end\n"
    "  waited = nowms - (tr[1] * 1000 + frac)\n"
    "end\n"
    "if tr and #tr >= 3 and tr[3] == 0 and waited < delay * 1000 then\n"
    "  return {1, math.ceil((delay * 1000 - waited) / 1000), 0}\n"
    "end\n"
    "if not tr or #tr < 3 or (tr[3] == 0 and waited > (delay + window) * 1000) then\n"
    "  local first = {math.floor(nowms / 1000), now, 0, nowms % 1000}\n"
    "  redis.call('SET', KEYS[1], enc(first), 'EX', delay + window + 1)\n"
    "  return {0, delay, 0}\n"
    "end\n"
    "if tr[3] > 0 and now - tr[2] < fresh and not (auto > 0 and passes < auto) then\n"
    "  return {2, 0, passes}\n"
    "end\n"
    "redis.call('SET', KEYS[1], enc({tr[1], now, tr[3] + 1}), 'EX', life)\n"
    "redis.call('SET', KEYS[2], enc({passes + 1, now}), 'EX', life)\n"
    "return {2, 0, passes + 1}\n";

/* a pooled connection */
struct rconn {
	redisContext *c;
	int64_t tmo_ms;     /* the socket's timeout (SO_RCVTIMEO, SO_SNDTIMEO) now */
	char sha[48];       /* of the script, copied at checkout */
};

struct rd {
	char host[256]; /* or the socket path */
	int port;       /* 0: a unix socket */
	char *password;
	long database;
	long timeout_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a connection came back or closed */
	struct rconn **idle;
	size_t nidle, nopen, max;
	int64_t down_until; /* monotonic ms: no connect before */
	char sha[48];       /* of the script; guarded by mu */
};

static struct timeval
tv_ms(int64_t ms)
{
	if (ms < 1)
		ms = 1;
	return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/*
 * The socket's timeout for an operation due at deadline.  The one set
 * last is kept when it is at most the time left (the operation never waits
 * past its deadline) and at least 7/8 of it (KEEP_TIMEOUT): an operation
 * that found a connection at once pays no setsockopt(2), one that waited
 * for a connection gets its shorter time set.
 */
#define KEEP_TIMEOUT(set, left) ((set) <= (left) && (set) * 8 >= (left) * 7)

static void
set_deadline(struct rconn *rc, int64_t deadline)
{
	int64_t left = deadline - clock_ms();

	if (left < 1)
		left = 1;
	if (KEEP_TIMEOUT(rc->tmo_ms, left))
		return;
	redisSetTimeout(rc->c, tv_ms(left));
	rc->tmo_ms = left;
}

static void
rconn_free(struct rconn *rc)
{
	redisFree(rc->c);
	free(rc);
}

int
store_redis_parse(const char *spec, char *host, size_t hostlen, int *port, char *why, size_t whylen)
{
	const char *colon;
	char *end;
	long p;

	*port = 0;
	if (strncmp(spec, "unix:", 5) == 0 && spec[5] == '/' && strlen(spec + 5) < hostlen &&
	    strlen(spec + 5) < 100) {
		snprintf(host, hostlen, "%s", spec + 5);
		return 0;
	}
	colon = strrchr(spec, ':');
	if (colon != NULL && colon != spec && (size_t)(colon - spec) < hostlen) {
		p = strtol(colon + 1, &end, 10);
		if (end != colon + 1 && *end == '\0' && p > 0 && p < 65536) {
			snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
			*port = (int)p;
			return 1;
		}
	}
	snprintf(why, whylen, "\"%s\" is not unix:/path or host:port", spec);
	return -1;
}

static void *
rd_open(const struct store_opts *o, char *why, size_t whylen)
{
	struct rd *r = xcalloc(1, sizeof(*r));

	if (store_redis_parse(o->redis, r->host, sizeof(r->host), &r->port, why, whylen) < 0) {
		free(r);
		return NULL;
	}
	r->password = xstrdup(o->redis_password ? o->redis_password : "");
	r->database = o->redis_database;
	r->timeout_ms = o->timeout_ms;
	r->max = o->redis_pool > 0 ? (size_t)o->redis_pool : 1;
	r->idle = xcalloc(r->max, sizeof(*r->idle));
	pthread_mutex_init(&r->mu, NULL);
	clock_cond_init(&r->cv);
	/* connections open on first use: a server down now is not an error
	 * of the configuration, and comes into use when it is up */
	return r;
}

static void
rd_close(void *h)
{
	struct rd *r = h;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nidle; i++)
		rconn_free(r->idle[i]);
	free(r->idle);
	free(r->password);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static void
rd_log(const char *op, const char *what)
{
	store_log_failure("store=redis op=%s failure=\"%s\"", op, what);
}

/* one command on a new connection, checked for an error reply */
static bool
setup_cmd(redisContext *c, const char *op, redisReply *rep, char *sha, size_t shalen)
{
	bool ok = rep != NULL && rep->type != REDIS_REPLY_ERROR;

	if (!ok)
		rd_log(op, rep ? rep->str : c->errstr);
	else if (sha != NULL && rep->type == REDIS_REPLY_STRING)
		snprintf(sha, shalen, "%s", rep->str);
	freeReplyObject(rep);
	return ok;
}

static struct rconn *
connect_new(struct rd *r, int64_t deadline)
{
	struct rconn *rc;
	struct timeval tv = tv_ms(deadline - clock_ms());
	redisContext *c = r->port ? redisConnectWithTimeout(r->host, r->port, tv)
	                          : redisConnectUnixWithTimeout(r->host, tv);
	char sha[48] = "";

	if (c == NULL || c->err) {
		rd_log("connect", c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	rc = xcalloc(1, sizeof(*rc));
	rc->c = c;
	set_deadline(rc, deadline);
	if ((*r->password &&
	     !setup_cmd(c, "auth", redisCommand(c, "AUTH %s", r->password), NULL, 0)) ||
	    (r->database &&
	     !setup_cmd(c, "select", redisCommand(c, "SELECT %ld", r->database), NULL, 0)) ||
	    !setup_cmd(c, "script_load", redisCommand(c, "SCRIPT LOAD %s", script), sha,
	               sizeof(sha))) {
		rconn_free(rc);
		return NULL;
	}
	pthread_mutex_lock(&r->mu);
	memcpy(r->sha, sha, sizeof(sha));
	pthread_mutex_unlock(&r->mu);
	memcpy(rc->sha, sha, sizeof(sha));
	store_count_reconnect();
	return rc;
}

/* a connection for one operation, or NULL (logged) */
static struct rconn *
acquire(struct rd *r, int64_t deadline)
{
	struct rconn *c = NULL;

	pthread_mutex_lock(&r->mu);
	while (r->nidle == 0 && r->nopen >= r->max)
		if (clock_cond_wait(&r->cv, &r->mu, deadline) < 0)
			break;
	if (r->nidle > 0) {
		c = r->idle[--r->nidle];
		memcpy(c->sha, r->sha, sizeof(c->sha));
		pthread_mutex_unlock(&r->mu);
		set_deadline(c, deadline);
		return c;
	}
	if (r->nopen >= r->max || clock_ms() < r->down_until) {
		const char *why = r->nopen >= r->max ? "no connection free within the deadline"
		                                     : "server down, next try within a second";
		pthread_mutex_unlock(&r->mu);
		rd_log("connect", why);
		return NULL;
	}
	r->nopen++;
	pthread_mutex_unlock(&r->mu);
	if ((c = connect_new(r, deadline)) == NULL) {
		pthread_mutex_lock(&r->mu);
		r->nopen--;
		r->down_until = clock_ms() + STORE_RETRY_MS;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return c;
}

/* back to the pool, or closed when it failed in any way; a connection
 * that failed takes the idle ones with it: opened before the failure, they
 * are most likely dead too (a restarted server), and each would cost one
 * decision a store failure */
static void
release(struct rd *r, struct rconn *c, bool ok)
{
	pthread_mutex_lock(&r->mu);
	if (ok && c->c->err == 0) {
		r->idle[r->nidle++] = c;
	} else {
		rconn_free(c);
		r->nopen--;
		for (; r->nidle > 0; r->nopen--)
			rconn_free(r->idle[--r->nidle]);
	}
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* a reply that is not a transport failure nor an error reply */
static bool
reply_ok(redisContext *c, const char *op, redisReply *rep)
{
	if (rep == NULL) {
		rd_log(op, c->errstr[0] ? c->errstr : "no reply");
		return false;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		rd_log(op, rep->str);
		return false;
	}
	return true;
}

static int
rd_get(void *h, const struct store_key *k, struct store_val *v, int64_t now)
{
	struct rd *r = h;
	struct rconn *c = acquire(r, clock_ms() + r->timeout_ms);
	redisReply *rep;
	int rc = STORE_TEMPFAIL;

	(void)now;
	if (c == NULL)
		return STORE_TEMPFAIL;
	rep = redisCommand(c->c, "GET %b", k->s, k->len);
	if (reply_ok(c->c, "get", rep)) {
		if (rep->type == REDIS_REPLY_NIL)
			rc = STORE_NOTFOUND;
		else if (rep->type == REDIS_REPLY_STRING &&
		         store_val_decode(rep->str, rep->len, v) == 0)
			rc = STORE_FOUND;
		else
			store_log_failure(
			    "store=redis op=get failure=unreadable key=\"%s\" reason=\"a value "
			    "of an unknown format (a newer doorman?)\"",
			    k->s);
	}
	release(r, c, rep != NULL);
	freeReplyObject(rep);
	return rc;
}

static int
rd_put(void *h, const struct store_key *k, const struct store_val *v, long ttl, int64_t now)
{
	struct rd *r = h;
	struct rconn *c = acquire(r, clock_ms() + r->timeout_ms);
	redisReply *rep;
	char buf[128];
	size_t n = store_val_encode(v, buf, sizeof(buf));
	int rc;

	(void)now;
	if (c == NULL)
		return STORE_TEMPFAIL;
	rep = ttl > 0 ? redisCommand(c->c, "SET %b %b EX %ld", k->s, k->len, buf, n, ttl)
	              : redisCommand(c->c, "SET %b %b", k->s, k->len, buf, n);
	rc = reply_ok(c->c, "put", rep) ? 0 : STORE_TEMPFAIL;
	release(r, c, rep != NULL);
	freeReplyObject(rep);
	return rc;
}

static int
rd_del(void *h, const struct store_key *k)
{
	struct rd *r = h;
	struct rconn *c = acquire(r, clock_ms() + r->timeout_ms);
	redisReply *rep;
	int rc;

	if (c == NULL)
		return STORE_TEMPFAIL;
	rep = redisCommand(c->c, "DEL %b", k->s, k->len);
	rc = reply_ok(c->c, "del", rep) ? 0 : STORE_TEMPFAIL;
	release(r, c, rep != NULL);
	freeReplyObject(rep);
	return rc;
}

/* EVALSHA of the script with argv (argv[0] "EVALSHA", argv[1] the sha,
 * filled here); a server without the script gets EVAL once */
static redisReply *
run_script(struct rconn *rc, int argc, const char **argv, size_t *argl)
{
	redisContext *c = rc->c;
	redisReply *rep;

	argv[0] = "EVALSHA";
	argv[1] = rc->sha;
	argl[0] = 7;
	argl[1] = strlen(rc->sha);
	rep = redisCommandArgv(c, argc, argv, argl);
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(rep);
		argv[0] = "EVAL";
		argv[1] = script;
		argl[0] = 4;
		argl[1] = strlen(script);
		rep = redisCommandArgv(c, argc, argv, argl);
	}
	return rep;
}

static int
rd_counts(void *h, struct store_count *cs, size_t n, int64_t now)
{
	struct rd *r = h;
	struct rconn *c;
	char nums[2 * STORE_COUNTS_MAX][24], nkeys[8];
	const char *argv[4 + 3 * STORE_COUNTS_MAX] = {NULL, NULL, nkeys};
	size_t argl[4 + 3 * STORE_COUNTS_MAX] = {0}, argc = 3;
	redisReply *rep;
	int rc = STORE_TEMPFAIL;

	(void)now;
	if ((c = acquire(r, clock_ms() + r->timeout_ms)) == NULL)
		return STORE_TEMPFAIL;
	argl[2] = (size_t)snprintf(nkeys, sizeof(nkeys), "%zu", n);
	for (size_t i = 0; i < n; i++, argc++) {
		argv[argc] = cs[i].key->s;
		argl[argc] = cs[i].key->len;
	}
	argv[argc] = "incr";
	argl[argc++] = 4;
	for (size_t i = 0; i < n; i++) {
		argl[argc] =
		    (size_t)snprintf(nums[2 * i], sizeof(nums[0]), "%lld", (long long)cs[i].by);
		argv[argc++] = nums[2 * i];
		argl[argc] = (size_t)snprintf(nums[2 * i + 1], sizeof(nums[0]), "%ld", cs[i].ttl);
		argv[argc++] = nums[2 * i + 1];
	}
	rep = run_script(c, (int)argc, argv, argl);
	if (reply_ok(c->c, "incr", rep) && rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
		rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (rep->element[i]->type != REDIS_REPLY_INTEGER)
				rc = STORE_TEMPFAIL;
			else
				cs[i].count = rep->element[i]->integer;
		}
	}
	release(r, c, rep != NULL);
	freeReplyObject(rep);
	return rc;
}

static int
rd_grey(void *h, const struct store_key *triplet, const struct store_key *net,
        const struct grey_params *p, struct grey_result *res)
{
	struct rd *r = h;
	struct rconn *c = acquire(r, clock_ms() + r->timeout_ms);
	char nums[6][24];
	long long vals[6] = {p->now,        p->delay,
	                     p->window,     p->lifetime,
	                     p->auto_allow, p->now_ms != 0 ? p->now_ms : p->now * 1000};
	const char *argv[12] = {NULL, NULL, "2", triplet->s, net->s, "grey"};
	size_t argl[12] = {0, 0, 1, triplet->len, net->len, 4};
	redisReply *rep;
	int rc = STORE_TEMPFAIL;

	if (c == NULL)
		return STORE_TEMPFAIL;
	for (int i = 0; i < 6; i++) {
		argl[6 + i] = (size_t)snprintf(nums[i], sizeof(nums[i]), "%lld", vals[i]);
		argv[6 + i] = nums[i];
	}
	rep = run_script(c, 12, argv, argl);
	if (reply_ok(c->c, "grey", rep) && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[0]->integer >= GREY_NEW &&
	    rep->element[0]->integer <= GREY_ALLOWED) {
		res->state = (enum grey_state)rep->element[0]->integer;
		res->retry_in = rep->element[1]->integer;
		res->passes = rep->element[2]->integer;
		rc = 0;
	}
	release(r, c, rep != NULL);
	freeReplyObject(rep);
	return rc;
}

/* SCAN with MATCH prefix* (key parts never hold a glob character), then
 * GET and PTTL of each key found, pipelined per batch */
static int
rd_scan(void *h, const struct store_key *prefix,
        int (*fn)(void *arg, const char *key, const struct store_val *v, int64_t expires),
        void *arg, int64_t now)
{
	struct rd *r = h;
	struct rconn *rc = acquire(r, clock_ms() + r->timeout_ms);
	char cursor[32] = "0";
	bool ok = true, stop = false;
	redisContext *c;

	if (rc == NULL)
		return STORE_TEMPFAIL;
	c = rc->c;
	/* per batch: a listing takes what it takes */
	set_deadline(rc, clock_ms() + r->timeout_ms);
	do {
		redisReply *rep =
		    redisCommand(c, "SCAN %s MATCH %b* COUNT 500", cursor, prefix->s, prefix->len);
		if (!(ok = reply_ok(c, "scan", rep) && rep->type == REDIS_REPLY_ARRAY &&
		           rep->elements == 2 && rep->element[1]->type == REDIS_REPLY_ARRAY)) {
			freeReplyObject(rep);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		redisReply *keys = rep->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			redisAppendCommand(c, "GET %b", keys->element[i]->str,
			                   keys->element[i]->len);
			redisAppendCommand(c, "PTTL %b", keys->element[i]->str,
			                   keys->element[i]->len);
		}
		for (size_t i = 0; ok && i < keys->elements; i++) {
			redisReply *g = NULL, *t = NULL;
			struct store_val v;
			if (redisGetReply(c, (void **)&g) != REDIS_OK ||
			    redisGetReply(c, (void **)&t) != REDIS_OK) {
				rd_log("scan", c->errstr);
				ok = false;
			} else if (!stop && g->type == REDIS_REPLY_STRING &&
			           store_val_decode(g->str, g->len, &v) == 0 &&
			           t->type == REDIS_REPLY_INTEGER && t->integer != -2) {
				int64_t exp = t->integer >= 0 ? now + (t->integer + 999) / 1000 : 0;
				stop = fn(arg, keys->element[i]->str, &v, exp) != 0;
			}
			freeReplyObject(g);
			freeReplyObject(t);
		}
		freeReplyObject(rep);
	} while (ok && !stop && strcmp(cursor, "0") != 0);
	release(r, rc, ok);
	return ok ? 0 : STORE_TEMPFAIL;
}

const struct store_ops store_redis_ops = {
    .name = "redis",
    .open = rd_open,
    .close = rd_close,
    .get = rd_get,
    .put = rd_put,
    .counts = rd_counts,
    .del = rd_del,
    .scan = rd_scan,
    .grey = rd_grey,
};
