/*
 * errs.c - error lists (see errs.h)
 */
#include "errs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
errs_add(struct errs *e, const char *file, int line, const char *fmt, ...)
{
	char reason[1024], *msg;
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (line > 0)
		len = snprintf(NULL, 0, "%s:%d: %s", file, line, reason);
	else
		len = snprintf(NULL, 0, "%s: %s", file, reason);
	msg = xmalloc((size_t)len + 1);
	if (line > 0)
		snprintf(msg, (size_t)len + 1, "%s:%d: %s", file, line, reason);
	else
		snprintf(msg, (size_t)len + 1, "%s: %s", file, reason);
	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	e->v[e->n++] = msg;
}

void
errs_print(const struct errs *e, FILE *fp)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(fp, "%s\n", e->v[i]);
}

void
errs_free(struct errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}
