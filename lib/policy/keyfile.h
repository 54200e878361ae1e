/*
 * keyfile.h - the secret keys of BATV and SRS, one per line of a file
 *
 * NAME
 *	keyfile - a list of secrets: the first signs, every one verifies
 *
 * FILE FORMAT
 *	One key per line, used as the bytes written (blanks around it
 *	removed); blank lines and lines starting with '#' are skipped.  A
 *	new key is written at the top; the old one stays below it for as long
 *	as addresses signed with it may come back (rotation without lost
 *	bounces), then goes.  At most KEYFILE_MAX keys.
 *
 * DIAGNOSTICS
 *	A file that cannot be read, holds no key or more than KEYFILE_MAX,
 *	or a key shorter than KEYFILE_MIN_LEN bytes: "file:line: reason";
 *	the policy is not loaded.  A signing key that is the example shipped
 *	in policies/ is loaded with a warning in the log (doorman runs from
 *	the source tree as shipped; the Debian package's postinst writes
 *	fresh keys over the examples).
 *
 * CONCURRENCY
 *	A loaded list is immutable, shared by all threads through the config.
 */
#ifndef DOORMAN_KEYFILE_H
#define DOORMAN_KEYFILE_H

#include <stddef.h>

#include "errs.h"

#define KEYFILE_MIN_LEN 16
#define KEYFILE_MAX 10

struct keyset {
	char *v[KEYFILE_MAX]; /* v[0] signs */
	size_t len[KEYFILE_MAX];
	size_t n;
};

/* keyfile_load - the keys of path, or NULL with the errors in errs */
struct keyset *keyfile_load(const char *path, struct errs *errs);
void keyfile_free(struct keyset *k);

#endif
