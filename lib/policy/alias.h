/*
 * alias.h - alias rewriting of recipients, as Postfix virtual_alias_maps
 *
 * NAME
 *	alias - a map file from an address or a domain to one or more
 *	addresses, expanded recursively with limits, duplicates removed
 *
 * FILE FORMAT
 *	One entry per line; blank lines and lines starting with '#' are
 *	skipped:
 *	    KEY TARGET[, TARGET ...]
 *	    sales@example.org	alice@example.org, bob@example.org
 *	    info@example.org	sales@example.org
 *	    @old.example	@example.org	(user@old.example -> user@example.org)
 *	    @legacy.example	postmaster@example.org
 *	KEY is user@domain or @domain.  TARGETs are separated by commas or
 *	blanks; each is user@domain, or @domain after an @domain key (the
 *	same local part in that domain).  Keys and the domains of targets
 *	are compared without regard to case, local parts too (as recipient
 *	lists do, rcptlist.h).  A key listed twice, a bad address, and a key
 *	whose expansion loops or goes deeper than ALIAS_DEPTH_MAX levels are
 *	errors "file:line: reason"; such a file is not loaded.
 *
 * EXPANSION
 *	An address is looked up as it is, then without its tag ("user" of
 *	"user+tag", the recipient separators), then by its "@domain"; the
 *	first entry found replaces it by its targets, each expanded in turn.
 *	An address without an entry, or a target equal to the address it
 *	came from (keep a copy: "u@d  u@d, archive@d"), is final.  At most
 *	ALIAS_DEPTH_MAX levels and ALIAS_EXPANSION_MAX final addresses; past
 *	either the expansion fails (a temporary failure for the message).
 *	The tag of a rewritten address is not carried over to its targets.
 *
 * CONCURRENCY
 *	A loaded map is immutable, shared by all threads through the config.
 */
#ifndef DOORMAN_ALIAS_H
#define DOORMAN_ALIAS_H

#include <stdbool.h>
#include <stddef.h>

#include "errs.h"

#define ALIAS_DEPTH_MAX 10
#define ALIAS_EXPANSION_MAX 1000

struct alias_entry {
	char *key;      /* lower case: "user@domain" or "@domain" */
	char **targets; /* "user@domain" (domain lower case) or "@domain" */
	size_t ntargets;
	int line;
};

struct alias_map {
	char *path;
	struct alias_entry *v; /* sorted by key */
	size_t n;
};

/* alias_list - a set of addresses, without duplicates (compared without case) */
struct alias_list {
	char **v;
	size_t n;
};

struct alias_map *alias_load(const char *path, const char *separators, struct errs *errs);
void alias_free(struct alias_map *m);

/* alias_has - does addr ("user@domain") have an entry (as it is, untagged or by domain)? */
bool alias_has(const struct alias_map *m, const char *addr, const char *separators);

/*
 * alias_expand - the final addresses of addr, appended to out without
 * duplicates.  1 when addr had an entry, 0 when it has none (out
 * unchanged), -1 with why when the expansion went past a limit.
 */
int alias_expand(const struct alias_map *m, const char *addr, const char *separators,
		 struct alias_list *out, const char **why);

/* alias_list_add - add a copy of s unless there; alias_list_has - is s there? */
void alias_list_add(struct alias_list *l, const char *s);
bool alias_list_has(const struct alias_list *l, const char *s);
void alias_list_free(struct alias_list *l);

#endif
