/*
 * dnscache.h - answers kept in the process, in front of libunbound (see
 * dnscache.c).  Thread-safe; dns.c is its only user.
 */
#ifndef DOORMAN_DNSCACHE_H
#define DOORMAN_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"

struct dnscache;

struct dnscache *dnscache_new(size_t max_entries);
void dnscache_free(struct dnscache *c);
/* dnscache_get - a fresh answer to (name, type) copied into out (the
 * caller frees its records and wire); false when there is none. */
bool dnscache_get(struct dnscache *c, const char *name, int type, struct dns_answer *out);
/* dnscache_put - keep a copy of a, if it is a fact with a TTL. */
void dnscache_put(struct dnscache *c, const char *name, int type, const struct dns_answer *a);

#endif
