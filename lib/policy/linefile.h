/*
 * linefile.h - reading the line-oriented files a policy names
 *
 * Access lists, recipient lists, pattern and alias files share one
 * syntax for what is not an entry: blank lines, and comment lines whose
 * first non-blank character is '#'.  linefile_read() hands each other line
 * to a callback, without its line end and the blanks around it, with its
 * line number, so every entry error can be reported as "file:line: reason".
 *
 * With LINEFILE_HASH_COMMENTS a '#' anywhere starts a comment (access
 * lists); recipient, pattern and alias files keep '#' (a local part or a
 * regular expression may hold one).  Lines longer than LINEFILE_MAX are
 * errors, never cut.  Reentrant; the line buffer belongs to the call.
 */
#ifndef DOORMAN_LINEFILE_H
#define DOORMAN_LINEFILE_H

#include "errs.h"

#define LINEFILE_MAX 8192
#define LINEFILE_HASH_COMMENTS 0x1u

/* fn is called for each entry line; it adds its own errors to errs. */
typedef void (*linefile_fn)(void *arg, char *line, int lineno);

/* linefile_read - 0, or -1 when the file cannot be opened or read (in errs). */
int linefile_read(const char *path, unsigned flags, struct errs *errs, linefile_fn fn, void *arg);

#endif
