/*
 * rcptlist.h - the valid recipients of one local domain, from a file
 *
 * NAME
 *	rcptlist - recipient list files, loaded into a hash table, re-read
 *	when they change without ever blocking a lookup
 *
 * FILE FORMAT
 *	One entry per line; blank lines and lines starting with '#' are
 *	skipped.  For the list of domain example.org:
 *	    alice		a bare local part: alice@example.org
 *	    bob@example.org	a full address; its domain must be the list's
 *	    @example.org	catch-all: every local part of example.org
 *	A local part is printable ASCII or UTF-8 without blanks and without
 *	'@', at most 256 octets.  A repeated entry is harmless and ignored.
 *	Every bad line is an error "file:line: reason"; a file with one is
 *	not loaded (at start: doorman refuses to run; later: the table in
 *	use stays and the errors are logged).
 *
 * CASE
 *	The domain is compared without regard to case (RFC 5321 2.4).  The
 *	local part is also compared without regard to ASCII case, a choice:
 *	RFC 5321 lets the receiving host treat it as case-sensitive but says
 *	that hinders interoperability, and mailbox stores (Dovecot, Cyrus,
 *	Postfix's lookup tables) fold it; octets above 127 are compared
 *	as they are.
 *
 * TAGS
 *	rcptlist_lookup() first looks the local part up as it is; when it is
 *	not found and it holds one of the separator characters (not first),
 *	the part before the first one ("user" of "user+tag"), like Postfix's
 *	recipient_delimiter; then the catch-all.
 *
 * CONCURRENCY
 *	A list holds one immutable table, shared by every thread.  A lookup
 *	takes a reference to the current table under a mutex held only for
 *	that, so a lookup never waits for a load.  At most every
 *	check_interval seconds a lookup stat()s the file; when its inode,
 *	size or mtime changed, a detached thread builds a new table off to
 *	the side and swaps it in; the old one is freed by its last reader.
 *	rcptlist_refresh() does the same synchronously (tests, bench).
 *
 * LIMITS
 *	2^32 octets of entries; the table is rebuilt whole on any change.
 */
#ifndef DOORMAN_RCPTLIST_H
#define DOORMAN_RCPTLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "errs.h"

struct rcptlist;

/*
 * rcptlist_open - load path as the list of domain; NULL with every problem
 * in errs (a missing or unreadable file is one, never an empty list).
 * check_interval 0 never looks at the file again.
 */
struct rcptlist *rcptlist_open(const char *path, const char *domain, long check_interval,
			       struct errs *errs);
/* rcptlist_unref - drop a reference; the last one frees.  NULL is a no-op. */
void rcptlist_unref(struct rcptlist *l);

/* rcptlist_lookup - is local (of the list's domain) a valid recipient? */
bool rcptlist_lookup(struct rcptlist *l, const char *local, const char *separators);

/* rcptlist_refresh - re-read the file now if it changed: 1 swapped, 0 same, -1 errors. */
int rcptlist_refresh(struct rcptlist *l, struct errs *errs);

/* rcptlist_size - entries in the current table (catch-all not counted). */
size_t rcptlist_size(struct rcptlist *l);
const char *rcptlist_domain(const struct rcptlist *l);

#endif
