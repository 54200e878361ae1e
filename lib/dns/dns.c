/*
 * dns.c - the process's one DNS resolver (see dns.h)
 *
 * This is the only file that includes libunbound and ldns.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "dnscache.h"
#include "metrics.h"
#include "xalloc.h"

#define DNS_TXT_MAX 1024

/* answers kept in front of libunbound (dnscache.c) */
#define DNS_CACHE_ENTRIES 8192

struct dns {
	struct ub_ctx *ctx;
	pthread_t thread;
	int stop; /* atomic */
	struct dns_stats stats; /* atomics */
	struct dnscache *cache;
	bool keep_questions; /* dns_keep_questions: doorman -t */
};

/* One query in flight; its address is libunbound's mydata, so it does not move. */
struct dns_query {
	struct dns_batch *b;
	char *name;        /* the question, for the cache */
	int type;
	int idx;
	int async_id;
	bool pending;
	struct metrics_slot *zone; /* its zone's counters (metrics.h), or NULL */
	const char *zone_name;     /* the list's zone as given (the caller's), or NULL */
};

struct dns_batch {
	struct dns *d;
	pthread_mutex_t lock;      /* guards everything below */
	pthread_cond_t cond;
	unsigned budget, sent;
	int n, pending;
	struct dns_query **q;
	struct dns_answer *a;
};

#define COUNT(d, field) __atomic_add_fetch(&(d)->stats.field, 1, __ATOMIC_RELAXED)

static const char *const status_names[] = {
	[DNS_FOUND] = "found", [DNS_NXDOMAIN] = "nxdomain", [DNS_NODATA] = "nodata",
	[DNS_TEMPFAIL] = "tempfail",
};

const char *
dns_status_name(enum dns_status s)
{
	return status_names[s];
}

static void *
event_thread(void *arg)
{
	struct dns *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = ub_fd(d->ctx), .events = POLLIN };
		if (poll(&p, 1, 100) > 0)
			ub_process(d->ctx);
	}
	return NULL;
}

struct dns *
dns_new(const struct dns_setup *setup, char *why, size_t whylen)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	int err = 0;

	if ((d->ctx = ub_ctx_create()) == NULL) {
		snprintf(why, whylen, "cannot create a libunbound context");
		free(d);
		return NULL;
	}
	/* a thread, not a forked process, so the cache is shared in memory */
	if ((err = ub_ctx_async(d->ctx, 1)) != 0)
		goto fail;
	for (size_t i = 0; i < setup->nupstreams && err == 0; i++)
		err = ub_ctx_set_fwd(d->ctx, setup->upstreams[i]);
	if (setup->nupstreams == 0 && err == 0)
		err = ub_ctx_resolvconf(d->ctx, NULL);
	for (size_t i = 0; i < setup->nunblock && err == 0; i++) {
		char zone[300];
		/* "nodefault" is not enough from libunbound here (1.17): the built-in
		 * empty zone still answers; "transparent" lets the query through */
		snprintf(zone, sizeof(zone), "%s transparent", setup->unblock[i]);
		err = ub_ctx_set_option(d->ctx, "local-zone:", zone);
	}
	for (size_t i = 0; i < setup->nzones && err == 0; i++) {
		char zone[300];
		const char *eq = strchr(setup->zones[i], '=');
		if (eq == NULL || (size_t)(eq - setup->zones[i]) >= sizeof(zone)) {
			snprintf(why, whylen, "resolver: \"%s\" is not zone=address@port", setup->zones[i]);
			ub_ctx_delete(d->ctx);
			free(d);
			return NULL;
		}
		snprintf(zone, sizeof(zone), "%.*s", (int)(eq - setup->zones[i]), setup->zones[i]);
		err = ub_ctx_set_stub(d->ctx, zone, eq + 1, 0);
	}
	if (err != 0)
		goto fail;
	if (pthread_create(&d->thread, NULL, event_thread, d) != 0) {
		snprintf(why, whylen, "cannot start the resolver thread");
		ub_ctx_delete(d->ctx);
		free(d);
		return NULL;
	}
	/* last, so no failure above has it to free (the thread does not use it) */
	d->cache = dnscache_new(DNS_CACHE_ENTRIES);
	return d;
fail:
	snprintf(why, whylen, "resolver: %s", ub_strerror(err));
	ub_ctx_delete(d->ctx);
	free(d);
	return NULL;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	pthread_join(d->thread, NULL);
	ub_ctx_delete(d->ctx);
	dnscache_free(d->cache);
	free(d);
}

void
dns_stats_get(struct dns *d, struct dns_stats *out)
{
	out->queries = __atomic_load_n(&d->stats.queries, __ATOMIC_RELAXED);
	out->cache_hits = __atomic_load_n(&d->stats.cache_hits, __ATOMIC_RELAXED);
	out->answers = __atomic_load_n(&d->stats.answers, __ATOMIC_RELAXED);
	out->timeouts = __atomic_load_n(&d->stats.timeouts, __ATOMIC_RELAXED);
	out->failures = __atomic_load_n(&d->stats.failures, __ATOMIC_RELAXED);
	out->over_budget = __atomic_load_n(&d->stats.over_budget, __ATOMIC_RELAXED);
}

/*
 * A domain name in wire form (uncompressed, as libunbound hands rdata), or
 * NULL when malformed.  The labels are checked here before ldns sees them:
 * ldns_rdf2str() trusts the length bytes (a label running past the end,
 * "05 00 00 ff ff 00", made it loop without end), and libunbound's own
 * parser is not a bound this file relies on.
 */
static char *
name_text(const unsigned char *data, size_t len)
{
	ldns_rdf *rdf;
	char *s, *out;
	size_t n, off = 0;

	for (;;) {
		if (off >= len || data[off] > 63) /* past the end, or compressed */
			return NULL;
		if (data[off] == 0)
			break;
		off += 1 + (size_t)data[off];
	}
	if (off + 1 != len || len > 255) /* the whole rdata; RFC 1035 2.3.4: 255 octets */
		return NULL;
	if ((rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, off + 1, data)) == NULL)
		return NULL;
	s = ldns_rdf2str(rdf);
	ldns_rdf_deep_free(rdf);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	out = xstrdup(s);
	free(s);
	return out;
}

int
dns_txt_exact(const struct dns_answer *a, char **txt, size_t *len, int max)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *rrs;
	int n = 0;

	if (a->wire == NULL || ldns_wire2pkt(&pkt, a->wire, a->wirelen) != LDNS_STATUS_OK)
		return -1;
	rrs = ldns_pkt_answer(pkt);
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs) && n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		size_t used = 0;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		/* every string is <length><bytes>: the rdata's own size bounds the record */
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++)
			used += ldns_rdf_size(ldns_rr_rdf(rr, k));
		txt[n] = xmalloc(used + 1);
		used = 0;
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, k);
			const uint8_t *d = ldns_rdf_data(f);
			size_t l = ldns_rdf_size(f) > 0 ? d[0] : 0;
			if (l + 1 > ldns_rdf_size(f))
				l = ldns_rdf_size(f) > 0 ? ldns_rdf_size(f) - 1 : 0;
			memcpy(txt[n] + used, d + 1, l);
			used += l;
		}
		txt[n][used] = '\0';
		len[n++] = used;
	}
	ldns_pkt_free(pkt);
	return n;
}

char *
dns_rr_text(int type, const unsigned char *data, int len)
{
	char buf[DNS_TXT_MAX + 1];
	size_t used = 0;

	switch (type) {
	case DNS_TYPE_A:
		if (len != 4 || inet_ntop(AF_INET, data, buf, sizeof(buf)) == NULL)
			return NULL;
		return xstrdup(buf);
	case DNS_TYPE_AAAA:
		if (len != 16 || inet_ntop(AF_INET6, data, buf, sizeof(buf)) == NULL)
			return NULL;
		return xstrdup(buf);
	case DNS_TYPE_TXT:
		/* <len><bytes>... joined; unprintable bytes shown as '?' */
		for (int i = 0; i < len;) {
			int l = data[i++];
			if (i + l > len)
				return NULL;
			for (int k = 0; k < l && used < DNS_TXT_MAX; k++) {
				unsigned char ch = data[i + k];
				buf[used++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
			}
			i += l;
		}
		buf[used] = '\0';
		return xstrdup(buf);
	case DNS_TYPE_MX: {
		char *name;
		if (len < 3 || (name = name_text(data + 2, (size_t)len - 2)) == NULL)
			return NULL;
		snprintf(buf, sizeof(buf), "%u %s", (unsigned)(data[0] << 8 | data[1]), name);
		free(name);
		return xstrdup(buf);
	}
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		return name_text(data, (size_t)len);
	default:
		return NULL;
	}
}

/* a failure, counted for the process and for the query's zone */
#define FAILED(d, zone) (COUNT(d, failures), metrics_dns(zone, MDNS_FAILURE))

static void
fill(struct dns *d, struct metrics_slot *zone, struct dns_answer *a, int type, int err,
     struct ub_result *r)
{
	if (err != 0 || r == NULL) {
		a->status = DNS_TEMPFAIL;
		a->why = "resolver_error";
		FAILED(d, zone);
		return;
	}
	a->ttl = r->ttl;
	if (r->answer_packet != NULL && r->answer_len > 0) {
		a->wire = xmalloc((size_t)r->answer_len);
		memcpy(a->wire, r->answer_packet, (size_t)r->answer_len);
		a->wirelen = (size_t)r->answer_len;
	}
	if (r->bogus) {
		a->status = DNS_TEMPFAIL;
		a->why = "dnssec_bogus";
		FAILED(d, zone);
		return;
	}
	switch (r->rcode) {
	case 0:
		a->status = r->havedata ? DNS_FOUND : DNS_NODATA;
		break;
	case 3:
		a->status = DNS_NXDOMAIN;
		break;
	default:
		a->status = DNS_TEMPFAIL;
		a->why = r->rcode == 2 ? "servfail" : r->rcode == 5 ? "refused" : "rcode";
		FAILED(d, zone);
		return;
	}
	for (int i = 0; r->havedata && r->data[i] != NULL && a->nrr < DNS_RR_MAX; i++) {
		char *t = dns_rr_text(type, (const unsigned char *)r->data[i], r->len[i]);
		if (t != NULL)
			a->rr[a->nrr++] = t;
	}
	if (a->status == DNS_FOUND && a->nrr == 0) {
		/* records came, none of them readable: not an answer to trust */
		a->status = DNS_TEMPFAIL;
		a->why = "malformed";
	}
}

static void
on_answer(void *mydata, int err, struct ub_result *r)
{
	struct dns_query *q = mydata;
	struct dns_batch *b = q->b;

	pthread_mutex_lock(&b->lock);
	COUNT(b->d, answers);
	if (q->pending) {
		fill(b->d, q->zone, &b->a[q->idx], r ? r->qtype : 0, err, r);
		dnscache_put(b->d->cache, q->name, q->type, &b->a[q->idx]);
		q->pending = false;
		b->pending--;
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	if (r != NULL)
		ub_resolve_free(r);
}

struct dns_batch *
dns_batch_new(struct dns *d, unsigned budget)
{
	struct dns_batch *b = xcalloc(1, sizeof(*b));
	pthread_condattr_t attr;

	b->d = d;
	b->budget = budget;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &attr);
	pthread_condattr_destroy(&attr);
	return b;
}

int
dns_batch_add(struct dns_batch *b, const char *name, int type)
{
	return dns_batch_add_zone(b, name, type, NULL);
}

int
dns_batch_add_zone(struct dns_batch *b, const char *name, int type, const char *zone)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	struct dns_answer got;
	int idx, err;

	q->type = type;
	q->zone_name = zone;
	if (b->d->keep_questions)
		q->name = xstrdup(name); /* answered from the cache or not: a trace shows it */

	pthread_mutex_lock(&b->lock);
	idx = b->n++;
	b->q = xreallocarray(b->q, (size_t)b->n, sizeof(*b->q));
	b->a = xreallocarray(b->a, (size_t)b->n, sizeof(*b->a));
	memset(&b->a[idx], 0, sizeof(b->a[idx]));
	b->q[idx] = q;
	q->b = b;
	q->idx = idx;
	q->zone = metrics_dns_zone(zone);
	pthread_mutex_unlock(&b->lock);

	/* a warm answer costs nothing of the budget */
	if (dnscache_get(b->d->cache, name, type, &got)) {
		COUNT(b->d, queries);
		COUNT(b->d, cache_hits);
		metrics_dns(q->zone, MDNS_QUERY);
		metrics_dns(q->zone, MDNS_CACHE_HIT);
		pthread_mutex_lock(&b->lock);
		b->a[idx] = got;
		pthread_mutex_unlock(&b->lock);
		return idx;
	}
	pthread_mutex_lock(&b->lock);
	if (b->sent >= b->budget) {
		b->a[idx].status = DNS_TEMPFAIL;
		b->a[idx].why = "budget";
		COUNT(b->d, over_budget);
		pthread_mutex_unlock(&b->lock);
		return idx;
	}
	b->sent++;
	q->pending = true;
	b->pending++;
	pthread_mutex_unlock(&b->lock);

	COUNT(b->d, queries);
	metrics_dns(q->zone, MDNS_QUERY);
	if (q->name == NULL)
		q->name = xstrdup(name); /* for the cache */
	err = ub_resolve_async(b->d->ctx, name, type, 1 /* IN */, q, on_answer, &q->async_id);
	if (err != 0) {
		pthread_mutex_lock(&b->lock);
		if (q->pending) {
			b->a[idx].status = DNS_TEMPFAIL;
			b->a[idx].why = "resolver_error";
			q->pending = false;
			b->pending--;
			FAILED(b->d, q->zone);
		}
		pthread_mutex_unlock(&b->lock);
	}
	return idx;
}

void
dns_batch_wait(struct dns_batch *b, int timeout_ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (b->pending > 0)
		if (pthread_cond_timedwait(&b->cond, &b->lock, &deadline) == ETIMEDOUT)
			break;
	/*
	 * Cancel what the deadline left.  A cancelled query never calls back;
	 * one that could not be cancelled is being delivered right now, and
	 * its callback is awaited so that nothing touches the batch later.
	 */
	for (int i = 0; i < b->n && b->pending > 0; i++) {
		struct dns_query *q = b->q[i];
		if (!q->pending)
			continue;
		pthread_mutex_unlock(&b->lock);
		if (ub_cancel(b->d->ctx, q->async_id) == 0) {
			pthread_mutex_lock(&b->lock);
			if (q->pending) {
				b->a[i].status = DNS_TEMPFAIL;
				b->a[i].why = "timeout";
				q->pending = false;
				b->pending--;
				COUNT(b->d, timeouts);
				metrics_dns(q->zone, MDNS_TIMEOUT);
			}
		} else {
			pthread_mutex_lock(&b->lock);
		}
	}
	while (b->pending > 0)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

const struct dns_answer *
dns_batch_answer(const struct dns_batch *b, int i)
{
	return i >= 0 && i < b->n ? &b->a[i] : NULL;
}

void
dns_keep_questions(struct dns *d)
{
	d->keep_questions = true;
}

int
dns_batch_count(const struct dns_batch *b)
{
	return b->n;
}

const char *
dns_batch_question(const struct dns_batch *b, int i, int *type, const char **zone)
{
	if (i < 0 || i >= b->n)
		return NULL;
	*type = b->q[i]->type;
	*zone = b->q[i]->zone_name;
	return b->q[i]->name;
}

const char *
dns_type_name(int type)
{
	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_NS:
		return "NS";
	case DNS_TYPE_CNAME:
		return "CNAME";
	case DNS_TYPE_PTR:
		return "PTR";
	case DNS_TYPE_MX:
		return "MX";
	case DNS_TYPE_TXT:
		return "TXT";
	case DNS_TYPE_AAAA:
		return "AAAA";
	default:
		return "other";
	}
}

unsigned
dns_batch_sent(const struct dns_batch *b)
{
	return b->sent;
}

void
dns_batch_free(struct dns_batch *b)
{
	if (b == NULL)
		return;
	dns_batch_wait(b, 0);
	for (int i = 0; i < b->n; i++) {
		for (int k = 0; k < b->a[i].nrr; k++)
			free(b->a[i].rr[k]);
		free(b->a[i].wire);
		free(b->q[i]->name);
		free(b->q[i]);
	}
	free(b->q);
	free(b->a);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b);
}
