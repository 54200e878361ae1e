/*
 * access.h - access list files: sender addresses and client networks
 *
 * A file has one entry per line, "KEY ACTION [CODE ECODE TEXT]", with '#'
 * comments and blank lines.  ACTION is REJECT, TEMPFAIL (or DEFER), ACCEPT
 * (or OK) or DRYRUN; an optional reply overrides the rule's default reply
 * and must agree with the action (5xx for REJECT, 4xx for TEMPFAIL).
 *
 * Sender keys, most specific first (the first that matches wins):
 *   user@example.org   that address
 *   user@              that local part in any domain
 *   @example.org       any address in exactly example.org
 *   example.org        example.org and all of its subdomains
 *   .example.org       subdomains of example.org only
 * Keys are matched without regard to case.  The null sender is looked up as
 * "<>".  Lookups are binary searches over a sorted array.
 *
 * Client keys are addresses or CIDR blocks (IPv4, IPv6, IPv4-mapped IPv6),
 * matched in file order; the first match wins, as in Postfix cidr tables.
 *
 * Loading reports every bad line as "file:line: reason".  Tables are
 * immutable once loaded and shared by all threads through the config.
 */
#ifndef DOORMAN_ACCESS_H
#define DOORMAN_ACCESS_H

#include "addr.h"
#include "cidr.h"
#include "errs.h"
#include "reply.h"

struct access_entry {
	char *key;          /* sender tables: lower case key */
	struct cidr net;    /* client tables */
	enum action action;
	struct reply reply; /* code 0: use the rule's default reply */
	int line;
};

struct access_table {
	char *path;
	struct access_entry *v;
	size_t n;
	bool is_client;
};

/* access_load - read a table; NULL after adding every problem to errs. */
struct access_table *access_load(const char *path, bool is_client, struct errs *errs);
void access_free(struct access_table *t);

/*
 * access_action_parse - "ACTION [CODE ECODE TEXT]" of an entry line into
 * e->action and e->reply, which must agree; errors at path:e->line (named
 * by e->key when set).  Shared by every data file whose lines end so.
 */
int access_action_parse(char *s, struct access_entry *e, const char *path, struct errs *errs);

/* access_sender - the entry for address a (its matched key in *key), or NULL. */
const struct access_entry *access_sender(const struct access_table *t, const struct addr *a);
/* access_client - the first entry whose network holds ip, or NULL. */
const struct access_entry *access_client(const struct access_table *t, const struct ipaddr *ip);

/*
 * access_verdict - the verdict of a matched entry: ACTION_ACCEPT (the
 * caller records the allowlisting), or the entry's action with its own reply
 * or dflt, under rule name rule, with reason for the log.
 */
void access_verdict(const struct access_entry *e, const char *rule, const struct reply *dflt,
		    const char *prefix, const char *reason, struct verdict *v);

#endif
