/*
 * domlist.h - sets of domain names (local domains, relay domains, our names)
 *
 * An entry "example.org" matches that domain only; ".example.org" matches
 * its subdomains only (list both for both), so a postmaster always says
 * which.  Entries are stored lower case without a trailing dot; lookups are
 * by binary search over a sorted array (O(log n)).  Immutable after load.
 */
#ifndef DOORMAN_DOMLIST_H
#define DOORMAN_DOMLIST_H

#include <stdbool.h>
#include <stddef.h>

struct domlist {
	char **v; /* sorted */
	size_t n;
};

/* domlist_add - add one entry; 0, or -1 with a reason in why. */
int domlist_add(struct domlist *l, const char *entry, char *why, size_t whylen);
/* domlist_sort - call once after the last add. */
void domlist_sort(struct domlist *l);
/* domlist_match - d lower case, without trailing dot. */
bool domlist_match(const struct domlist *l, const char *d);
void domlist_free(struct domlist *l);

#endif
