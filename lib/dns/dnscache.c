/*
 * dnscache.c - answers kept in the process, in front of libunbound
 *
 * libunbound has its own cache, but reaching it costs a round trip
 * through its worker thread: pipe writes with fcntl() around each, an
 * epoll wake-up, the answer back through another pipe, our event thread,
 * a condition variable.  Profiled under load (bench/README), that was
 * most of doorman's CPU per message: about 0.1 ms for each of the ~17
 * lookups a message costs with the full inbound policy, nearly all of it
 * in the kernel.  A warm answer found here costs a hash lookup and a copy.
 *
 * What is kept: answers that are facts (found, NXDOMAIN, NODATA) with a
 * TTL, for that TTL (at most DNSCACHE_TTL_MAX); never a temporary failure.
 * The whole answer is copied in and out (records as text, and the wire
 * form of TXT answers, which libopendkim reads), so an entry never escapes
 * its lock.  Bounded: at most max entries, 16 shards each with its own
 * lock and a ring of its entries in the order they came; a full shard
 * drops its oldest.
 */
#include "dnscache.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xalloc.h"

#define SHARDS 16
#define DNSCACHE_TTL_MAX 3600

struct entry {
	struct entry *next;   /* hash chain */
	unsigned long hash;
	int type;
	char *name;           /* lower case */
	time_t expires;       /* monotonic seconds */
	struct dns_answer a;  /* owned copy */
};

struct shard {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets;
	struct entry **ring;  /* entries by age; ring[head] is the oldest */
	size_t cap, count, head;
};

struct dnscache {
	struct shard shard[SHARDS];
};

static time_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static unsigned long
hash_of(const char *name, int type)
{
	unsigned long h = 1469598103934665603ul ^ (unsigned long)type;

	for (; *name; name++) {
		h ^= (unsigned long)tolower((unsigned char)*name);
		h *= 1099511628211ul;
	}
	return h;
}

static void
answer_copy(struct dns_answer *dst, const struct dns_answer *src, bool with_wire)
{
	memset(dst, 0, sizeof(*dst));
	dst->status = src->status;
	dst->why = src->why;
	dst->ttl = src->ttl;
	dst->nrr = src->nrr;
	for (int i = 0; i < src->nrr; i++)
		dst->rr[i] = xstrdup(src->rr[i]);
	if (with_wire && src->wire != NULL) {
		dst->wire = xmalloc(src->wirelen);
		memcpy(dst->wire, src->wire, src->wirelen);
		dst->wirelen = src->wirelen;
	}
}

static void
answer_free(struct dns_answer *a)
{
	for (int i = 0; i < a->nrr; i++)
		free(a->rr[i]);
	free(a->wire);
}

static void
entry_free(struct entry *e)
{
	answer_free(&e->a);
	free(e->name);
	free(e);
}

struct dnscache *
dnscache_new(size_t max)
{
	struct dnscache *c = xcalloc(1, sizeof(*c));
	size_t per = max / SHARDS ? max / SHARDS : 1;

	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];
		pthread_mutex_init(&s->lock, NULL);
		s->cap = per;
		s->nbuckets = per * 2;
		s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
		s->ring = xcalloc(per, sizeof(*s->ring));
	}
	return c;
}

void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];
		for (size_t k = 0; k < s->count; k++)
			entry_free(s->ring[(s->head + k) % s->cap]);
		free(s->buckets);
		free(s->ring);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}

static struct entry **
find(struct shard *s, unsigned long h, const char *name, int type)
{
	struct entry **p = &s->buckets[(h / SHARDS) % s->nbuckets];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->hash == h && (*p)->type == type && strcasecmp((*p)->name, name) == 0)
			return p;
	return p;
}

bool
dnscache_get(struct dnscache *c, const char *name, int type, struct dns_answer *out)
{
	unsigned long h = hash_of(name, type);
	struct shard *s = &c->shard[h % SHARDS];
	struct entry **p;
	bool hit = false;

	pthread_mutex_lock(&s->lock);
	p = find(s, h, name, type);
	if (*p != NULL && (*p)->expires > now()) {
		answer_copy(out, &(*p)->a, true);
		out->ttl = (int)((*p)->expires - now());
		hit = true;
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

/* unlink e from its chain (it is there) */
static void
unchain(struct shard *s, struct entry *e)
{
	struct entry **p = find(s, e->hash, e->name, e->type);

	if (*p == e)
		*p = e->next;
}

void
dnscache_put(struct dnscache *c, const char *name, int type, const struct dns_answer *a)
{
	unsigned long h = hash_of(name, type);
	struct shard *s = &c->shard[h % SHARDS];
	struct entry *e, *drop = NULL, **p;
	struct dns_answer old;
	int ttl = a->ttl > DNSCACHE_TTL_MAX ? DNSCACHE_TTL_MAX : a->ttl;

	if (a->status == DNS_TEMPFAIL || ttl <= 0)
		return;
	/* made outside the lock */
	e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->type = type;
	e->name = xstrdup(name);
	for (char *q = e->name; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	e->expires = now() + ttl;
	answer_copy(&e->a, a, type == DNS_TYPE_TXT);

	pthread_mutex_lock(&s->lock);
	p = find(s, h, name, type);
	if (*p != NULL) {
		/* a newer answer to a question already kept: it replaces the answer
		 * (the entry keeps its place in the ring) */
		old = (*p)->a;
		(*p)->a = e->a;
		(*p)->expires = e->expires;
		pthread_mutex_unlock(&s->lock);
		answer_free(&old);
		free(e->name);
		free(e);
		return;
	}
	if (s->count == s->cap) {
		drop = s->ring[s->head];
		unchain(s, drop);
		s->ring[s->head] = e;
		s->head = (s->head + 1) % s->cap;
	} else {
		s->ring[(s->head + s->count) % s->cap] = e;
		s->count++;
	}
	/* found again: the eviction may have changed the chain */
	p = find(s, h, name, type);
	e->next = NULL;
	*p = e;
	pthread_mutex_unlock(&s->lock);
	if (drop != NULL)
		entry_free(drop);
}
