/*
 * alias.c - alias rewriting (see alias.h)
 *
 * Alias maps are small next to recipient lists: a sorted array and a
 * binary search serve.
 */
#include "alias.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "linefile.h"
#include "xalloc.h"

#define ALIAS_ADDR_MAX (ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2)
#define STR(x) #x
#define XSTR(x) STR(x)

struct loading {
	struct alias_map *m;
	struct errs *errs;
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct alias_entry *)a)->key, ((const struct alias_entry *)b)->key);
}

/* "user@domain" or "@domain" with a valid domain; lower-cases the domain
 * (and, when fold, the local part) in place */
static bool
addr_ok(char *s, bool fold)
{
	char *at = strrchr(s, '@');

	if (at == NULL || strchr(s, '@') != at || (size_t)(at - s) > ADDR_LOCAL_MAX ||
	    strlen(at + 1) > ADDR_DOMAIN_MAX)
		return false;
	for (char *p = fold ? s : at; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return domain_syntax_ok(at + 1);
}

static void
entry_free(struct alias_entry *e)
{
	for (size_t i = 0; i < e->ntargets; i++)
		free(e->targets[i]);
	free(e->targets);
	free(e->key);
}

static void
load_line(void *arg, char *line, int lineno)
{
	struct loading *ld = arg;
	const char *path = ld->m->path;
	struct alias_entry e = { .line = lineno };
	char *save = NULL, *key = strtok_r(line, " \t", &save), *t;

	if (!addr_ok(key, true)) {
		errs_add(ld->errs, path, lineno, "\"%s\": a key is user@domain or @domain", key);
		return;
	}
	while ((t = strtok_r(NULL, ", \t", &save)) != NULL) {
		if (!addr_ok(t, false) || (t[0] == '@' && key[0] != '@')) {
			errs_add(ld->errs, path, lineno,
				 "\"%s\": a target is user@domain (or @domain after an @domain key)", t);
			entry_free(&e);
			return;
		}
		e.targets = xreallocarray(e.targets, e.ntargets + 1, sizeof(*e.targets));
		e.targets[e.ntargets++] = xstrdup(t);
	}
	if (e.ntargets == 0) {
		errs_add(ld->errs, path, lineno, "\"%s\" has no target", key);
		return;
	}
	e.key = xstrdup(key);
	ld->m->v = xreallocarray(ld->m->v, ld->m->n + 1, sizeof(*ld->m->v));
	ld->m->v[ld->m->n++] = e;
}

void
alias_free(struct alias_map *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		entry_free(&m->v[i]);
	free(m->v);
	free(m->path);
	free(m);
}

static const struct alias_entry *
find(const struct alias_map *m, const char *key)
{
	struct alias_entry k = { .key = (char *)key };

	return m->n ? bsearch(&k, m->v, m->n, sizeof(*m->v), entry_cmp) : NULL;
}

/* the entry of addr: as it is, without its tag, then by its domain */
static const struct alias_entry *
lookup(const struct alias_map *m, const char *addr, const char *seps)
{
	char key[ALIAS_ADDR_MAX + 1];
	const struct alias_entry *e;
	size_t len = strlen(addr), at, cut;

	if (m == NULL || len > ALIAS_ADDR_MAX || strrchr(addr, '@') == NULL)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		key[i] = (char)tolower((unsigned char)addr[i]);
	at = (size_t)(strrchr(key, '@') - key);
	if ((e = find(m, key)) != NULL)
		return e;
	if (seps != NULL && *seps && (cut = strcspn(key, seps)) > 0 && cut < at) {
		memmove(key + cut, key + at, len - at + 1);
		if ((e = find(m, key)) != NULL)
			return e;
		at = cut;
	}
	return find(m, key + at);
}

bool
alias_has(const struct alias_map *m, const char *addr, const char *separators)
{
	return lookup(m, addr, separators) != NULL;
}

void
alias_list_add(struct alias_list *l, const char *s)
{
	if (alias_list_has(l, s))
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

bool
alias_list_has(const struct alias_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
alias_list_free(struct alias_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
expand(const struct alias_map *m, const char *addr, const char *seps, int depth,
       struct alias_list *out, const char **why)
{
	const struct alias_entry *e = lookup(m, addr, seps);
	const char *local_end = strrchr(addr, '@');

	if (e == NULL) {
		if (out->n >= ALIAS_EXPANSION_MAX && !alias_list_has(out, addr)) {
			*why = "more than " XSTR(ALIAS_EXPANSION_MAX) " addresses";
			return -1;
		}
		alias_list_add(out, addr);
		return 0;
	}
	if (depth >= ALIAS_DEPTH_MAX) {
		*why = "alias loop, or deeper than " XSTR(ALIAS_DEPTH_MAX) " levels";
		return -1;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		char target[ALIAS_ADDR_MAX + 1];
		const char *t = e->targets[i];

		if (t[0] == '@') /* the same local part in another domain */
			snprintf(target, sizeof(target), "%.*s%s", (int)(local_end - addr), addr, t);
		else
			snprintf(target, sizeof(target), "%s", t);
		if (strcasecmp(target, addr) == 0)
			alias_list_add(out, target); /* keeps a copy of itself */
		else if (expand(m, target, seps, depth + 1, out, why) < 0)
			return -1;
	}
	return 1;
}

int
alias_expand(const struct alias_map *m, const char *addr, const char *separators,
	     struct alias_list *out, const char **why)
{
	*why = NULL;
	if (lookup(m, addr, separators) == NULL)
		return 0;
	return expand(m, addr, separators, 0, out, why);
}

struct alias_map *
alias_load(const char *path, const char *separators, struct errs *errs)
{
	struct alias_map *m = xcalloc(1, sizeof(*m));
	struct loading ld = { m, errs };
	size_t before = errs->n;

	m->path = xstrdup(path);
	linefile_read(path, 0, errs, load_line, &ld);
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), entry_cmp);
	for (size_t i = 1; i < m->n; i++)
		if (strcmp(m->v[i - 1].key, m->v[i].key) == 0)
			errs_add(errs, path, m->v[i].line, "duplicate key \"%s\" (also line %d)",
				 m->v[i].key, m->v[i - 1].line);
	/* every key must expand within the limits ("x" stands for any local part) */
	for (size_t i = 0, syntax_ok = errs->n == before; syntax_ok && i < m->n; i++) {
		struct alias_list out = { 0 };
		char addr[ALIAS_ADDR_MAX + 2];
		const char *why;

		snprintf(addr, sizeof(addr), "%s%s", m->v[i].key[0] == '@' ? "x" : "", m->v[i].key);
		if (alias_expand(m, addr, separators, &out, &why) < 0)
			errs_add(errs, path, m->v[i].line, "\"%s\": %s", m->v[i].key, why);
		alias_list_free(&out);
	}
	if (errs->n > before) {
		alias_free(m);
		return NULL;
	}
	return m;
}
