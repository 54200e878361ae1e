/*
 * rcptlist.c - recipient list files (see rcptlist.h)
 *
 * The table is open addressing with linear probing over a power-of-two
 * array at most half full: each slot holds a key's 32-bit hash and its
 * offset in one arena of NUL-terminated lower-case keys, so a lookup is a
 * hash, one or two probes and one strcmp.  One arena and one slot array
 * per table keep a million entries at about 40 MB and one free each.
 */
#include "rcptlist.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "addr.h"
#include "linefile.h"
#include "log.h"
#include "strhash.h"
#include "xalloc.h"

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct table {
	int refs; /* atomic */
	char *arena;
	size_t used, cap;
	uint64_t *slots; /* hash << 32 | (offset + 1); 0 is empty */
	size_t mask;
	size_t n;
	bool catchall;
	struct file_id id;
};

struct rcptlist {
	int refs; /* atomic */
	char *path;
	char *domain;
	long interval;
	time_t next_check;  /* atomic */
	int loading;        /* atomic: a refresh thread runs */
	pthread_mutex_t mu; /* guards cur (the pointer and its reference count going up) */
	struct table *cur;
};

static void
table_unref(struct table *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free(t->arena);
	free(t->slots);
	free(t);
}

/* the slot of key, or the empty slot where it would go */
static uint64_t *
probe(const struct table *t, const char *key, uint32_t h)
{
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint64_t s = t->slots[i];
		if (s == 0 || ((uint32_t)(s >> 32) == h &&
			       strcmp(t->arena + (uint32_t)s - 1, key) == 0))
			return &t->slots[i];
	}
}

static bool
table_has(const struct table *t, const char *key)
{
	return t->n > 0 && *probe(t, key, strhash(key)) != 0;
}

static void
grow(struct table *t)
{
	size_t cap = (t->mask + 1) * 2;
	uint64_t *old = t->slots;
	size_t oldcap = t->mask + 1;

	t->slots = xcalloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != 0)
			*probe(t, t->arena + (uint32_t)old[i] - 1, (uint32_t)(old[i] >> 32)) = old[i];
	free(old);
}

static int
table_add(struct table *t, const char *key)
{
	size_t len = strlen(key) + 1;
	uint32_t h = strhash(key);
	uint64_t *slot;

	if ((t->n + 1) * 2 > t->mask + 1)
		grow(t);
	if (*(slot = probe(t, key, h)) != 0)
		return 0; /* a repeated entry */
	if (t->used + len >= UINT32_MAX)
		return -1;
	if (t->used + len > t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1 << 16;
		t->arena = xreallocarray(t->arena, t->cap, 1);
	}
	memcpy(t->arena + t->used, key, len);
	*slot = (uint64_t)h << 32 | (t->used + 1);
	t->used += len;
	t->n++;
	return 0;
}

struct loading {
	struct table *t;
	const char *path;
	const char *domain;
	struct errs *errs;
};

static bool
same_domain(const char *d, const char *want)
{
	size_t n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		n--;
	return n == strlen(want) && strncasecmp(d, want, n) == 0;
}

static void
load_line(void *arg, char *line, int lineno)
{
	struct loading *ld = arg;
	char *at = strchr(line, '@');
	size_t ll = at ? (size_t)(at - line) : strlen(line);

	for (char *p = line; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= ' ' || ch == 0x7f) {
			errs_add(ld->errs, ld->path, lineno, "\"%s\": one address or local part per line, without blanks", line);
			return;
		}
	}
	if (at != NULL && (strchr(at + 1, '@') != NULL || !same_domain(at + 1, ld->domain))) {
		errs_add(ld->errs, ld->path, lineno, "\"%s\" is not an address in %s, the domain of this list",
			 line, ld->domain);
		return;
	}
	if (ll == 0 && at != NULL) {
		ld->t->catchall = true;
		return;
	}
	if (ll > ADDR_LOCAL_MAX) {
		errs_add(ld->errs, ld->path, lineno, "local part longer than %d characters", ADDR_LOCAL_MAX);
		return;
	}
	line[ll] = '\0';
	for (char *p = line; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (table_add(ld->t, line) < 0)
		errs_add(ld->errs, ld->path, lineno, "the list is larger than 4 GB");
}

static int
file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	return 0;
}

static bool
file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* table_load - a new table with one reference, or NULL with errs added */
static struct table *
table_load(const char *path, const char *domain, struct errs *errs)
{
	struct table *t = xcalloc(1, sizeof(*t));
	struct loading ld = { t, path, domain, errs };
	size_t before = errs->n;

	t->refs = 1;
	t->mask = 15;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	/* the identity from before reading: a change while we read is seen next time */
	if (file_id_of(path, &t->id) < 0)
		errs_add(errs, path, 0, "cannot open: %s", strerror(errno));
	else
		linefile_read(path, 0, errs, load_line, &ld);
	if (errs->n > before) {
		table_unref(t);
		return NULL;
	}
	return t;
}

struct rcptlist *
rcptlist_open(const char *path, const char *domain, long check_interval, struct errs *errs)
{
	struct table *t = table_load(path, domain, errs);
	struct rcptlist *l;

	if (t == NULL)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->refs = 1;
	l->path = xstrdup(path);
	l->domain = xstrdup(domain);
	l->interval = check_interval;
	l->next_check = time(NULL) + check_interval;
	pthread_mutex_init(&l->mu, NULL);
	l->cur = t;
	return l;
}

void
rcptlist_unref(struct rcptlist *l)
{
	if (l == NULL || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	table_unref(l->cur);
	pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l->domain);
	free(l);
}

static struct table *
current(struct rcptlist *l)
{
	struct table *t;

	pthread_mutex_lock(&l->mu);
	t = l->cur;
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->mu);
	return t;
}

static bool
changed(struct rcptlist *l)
{
	struct file_id id;
	struct table *t = current(l);
	bool diff;

	/* a file gone for now (being replaced) is not a change: keep the table */
	diff = file_id_of(l->path, &id) == 0 && !file_id_equal(&id, &t->id);
	table_unref(t);
	return diff;
}

int
rcptlist_refresh(struct rcptlist *l, struct errs *errs)
{
	struct table *t, *old;

	if (!changed(l))
		return 0;
	if ((t = table_load(l->path, l->domain, errs)) == NULL)
		return -1;
	pthread_mutex_lock(&l->mu);
	old = l->cur;
	l->cur = t;
	pthread_mutex_unlock(&l->mu);
	table_unref(old);
	return 1;
}

static void *
refresh_thread(void *arg)
{
	struct rcptlist *l = arg;
	struct errs errs = { 0 };
	int rc = rcptlist_refresh(l, &errs);

	for (size_t i = 0; i < errs.n; i++)
		log_msg(LOG_ERR, "%s", errs.v[i]);
	if (rc > 0)
		log_msg(LOG_INFO, "recipients: %s re-read for %s: %zu entries", l->path, l->domain,
			rcptlist_size(l));
	else if (rc < 0)
		log_msg(LOG_ERR, "recipients: %s not re-read, the list in use stays", l->path);
	errs_free(&errs);
	__atomic_store_n(&l->loading, 0, __ATOMIC_RELEASE);
	rcptlist_unref(l);
	return NULL;
}

/* At most every interval seconds, one caller looks at the file; a change
 * is loaded by a thread of its own, never by the caller. */
static void
maybe_refresh(struct rcptlist *l)
{
	time_t now = time(NULL), due = __atomic_load_n(&l->next_check, __ATOMIC_RELAXED);
	pthread_attr_t attr;
	pthread_t tid;

	if (l->interval <= 0 || now < due ||
	    !__atomic_compare_exchange_n(&l->next_check, &due, now + l->interval, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	if (!changed(l) || __atomic_exchange_n(&l->loading, 1, __ATOMIC_ACQUIRE) != 0)
		return;
	__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, refresh_thread, l) != 0) {
		log_msg(LOG_ERR, "recipients: cannot start a thread to re-read %s", l->path);
		__atomic_store_n(&l->loading, 0, __ATOMIC_RELEASE);
		rcptlist_unref(l);
	}
	pthread_attr_destroy(&attr);
}

bool
rcptlist_lookup(struct rcptlist *l, const char *local, const char *separators)
{
	char key[ADDR_LOCAL_MAX + 1];
	size_t n = 0, cut;
	struct table *t;
	bool found;

	maybe_refresh(l);
	for (; local[n] && n < ADDR_LOCAL_MAX; n++)
		key[n] = (char)tolower((unsigned char)local[n]);
	key[n] = '\0';
	t = current(l);
	found = table_has(t, key);
	if (!found && separators != NULL && *separators && (cut = strcspn(key, separators)) > 0 &&
	    key[cut] != '\0') {
		key[cut] = '\0';
		found = table_has(t, key);
	}
	found = found || t->catchall;
	table_unref(t);
	return found;
}

size_t
rcptlist_size(struct rcptlist *l)
{
	struct table *t = current(l);
	size_t n = t->n;

	table_unref(t);
	return n;
}

const char *
rcptlist_domain(const struct rcptlist *l)
{
	return l->domain;
}
