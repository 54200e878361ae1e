/*
 * xalloc.h - allocation that never returns NULL
 *
 * Out of memory is a broken invariant for a mail filter: the process logs
 * and aborts, the MTA applies its milter_default_action (tempfail when the
 * postmaster followed the manual) and the sender retries.
 */
#ifndef DOORMAN_XALLOC_H
#define DOORMAN_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
