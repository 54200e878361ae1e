/*
 * domlist.c - sets of domain names (see domlist.h)
 */
#include "domlist.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "xalloc.h"

int
domlist_add(struct domlist *l, const char *entry, char *why, size_t whylen)
{
	size_t len = strlen(entry);
	char *d;

	if (len > 0 && entry[len - 1] == '.')
		len--;
	if (len == 0 || len > ADDR_DOMAIN_MAX) {
		snprintf(why, whylen, "\"%s\" is not a domain name", entry);
		return -1;
	}
	d = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		d[i] = (char)tolower((unsigned char)entry[i]);
	d[len] = '\0';
	if (!domain_syntax_ok(d[0] == '.' ? d + 1 : d)) {
		snprintf(why, whylen, "\"%s\" is not a domain name", entry);
		free(d);
		return -1;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = d;
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
domlist_sort(struct domlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp);
}

static bool
has(const struct domlist *l, const char *d)
{
	return l->n > 0 && bsearch(&d, l->v, l->n, sizeof(*l->v), cmp) != NULL;
}

bool
domlist_match(const struct domlist *l, const char *d)
{
	if (l == NULL || *d == '\0')
		return false;
	if (has(l, d))
		return true;
	/* ".parent" entries for each parent of d */
	for (const char *p = strchr(d, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (has(l, p))
			return true;
	return false;
}

void
domlist_free(struct domlist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
