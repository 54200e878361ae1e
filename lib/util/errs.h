/*
 * errs.h - a list of "file:line: reason" messages
 *
 * Loading a policy collects every error instead of stopping at the first,
 * so that `doorman -n` shows them all.  Owned by whoever loads; not shared.
 */
#ifndef DOORMAN_ERRS_H
#define DOORMAN_ERRS_H

#include <stddef.h>
#include <stdio.h>

struct errs {
	char **v;
	size_t n;
};

/* errs_add - append "file:line: reason" (line 0 prints "file: reason"). */
void errs_add(struct errs *e, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void errs_print(const struct errs *e, FILE *fp);
void errs_free(struct errs *e);

#endif
