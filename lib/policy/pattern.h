/*
 * pattern.h - regular expression rules on the recipient and the sender
 *
 * NAME
 *	pattern - PCRE2 rules for role accounts, tagged addresses and spam
 *	traps, each mapping a match to an action and a reply
 *
 * FILE FORMAT
 *	One rule per line; blank lines and lines starting with '#' are
 *	skipped:
 *	    WHAT /REGEX/FLAGS ACTION [CODE ECODE TEXT]
 *	WHAT is "rcpt" (the recipient) or "sender" (the envelope sender, ""
 *	for the null sender).  The address is matched as "local@domain",
 *	the domain lower-cased, the local part as the client wrote it.
 *	REGEX is a PCRE2 pattern between slashes ("\/" for a slash inside);
 *	FLAGS may be "i" (case-insensitive).  ACTION and the optional reply are
 *	those of the access lists (access.h): reject, tempfail, accept, dryrun.
 *	    rcpt   /^(postmaster|abuse)@/i                accept
 *	    rcpt   /^trap[0-9]+@example\.org$/i            reject 550 5.1.1 No such user
 *	    rcpt   /^[^+@]+\+[^@]*@example\.org$/            dryrun
 *	    sender /@bulk\.example$/i                      tempfail 451 4.7.1 Later
 *	Every bad line, a pattern PCRE2 will not compile among them, is an
 *	error "file:line: reason"; a file with one is not loaded.
 *
 * MATCHING
 *	Rules are tried in file order; the first whose address matches
 *	decides, for the recipient being checked.  A match that runs into
 *	PCRE2's match limit (a pattern that backtracks without end on a
 *	hostile address) is a temporary failure, never a silent "no match".
 *
 * CONCURRENCY
 *	A loaded set is immutable and shared by all threads (a compiled
 *	PCRE2 pattern and match context may be; each match gets its own
 *	match data).  This is the only file that includes pcre2.h.
 */
#ifndef DOORMAN_PATTERN_H
#define DOORMAN_PATTERN_H

#include "access.h"
#include "errs.h"

enum pattern_on { PATTERN_RCPT, PATTERN_SENDER };

struct pattern_rule {
	enum pattern_on on;
	struct access_entry entry; /* key: the pattern as written; action, reply, line */
	void *code;                /* pcre2_code */
};

struct pattern_set {
	char *path;
	struct pattern_rule *v;
	size_t n;
	void *mctx; /* pcre2_match_context: the match limit */
};

struct pattern_set *pattern_load(const char *path, struct errs *errs);
void pattern_free(struct pattern_set *s);

/*
 * pattern_match - the first rule matching sender or rcpt (either may be
 * NULL: its rules are skipped).  1 with *out set, 0 none, -1 a match that
 * could not be decided (match limit), with *out the rule.
 */
int pattern_match(const struct pattern_set *s, const char *sender, const char *rcpt,
		  const struct pattern_rule **out);

#endif
