/*
 * access.c - access list files (see access.h)
 */
#include "access.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "xalloc.h"

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct access_entry *)a)->key, ((const struct access_entry *)b)->key);
}

static bool
sender_key_ok(const char *k)
{
	const char *at = strchr(k, '@');
	const char *dom = at ? at + 1 : k;

	if (strcmp(k, "<>") == 0)
		return true;
	if (at != NULL && strchr(at + 1, '@') != NULL)
		return false;
	if (at != NULL && *dom == '\0')
		return at != k; /* "user@" */
	if (at == NULL && *dom == '.')
		dom++;
	return domain_syntax_ok(dom);
}

/* Parse one non-empty line into e; 0 or -1 with errs added. */
int
access_action_parse(char *s, struct access_entry *e, const char *path, struct errs *errs)
{
	char *act, *rest, why[256];

	act = strtok_r(s, " \t", &rest);
	if (act == NULL) {
		errs_add(errs, path, e->line, "\"%s\" has no action", e->key ? e->key : "");
		return -1;
	}
	if (action_parse(act, &e->action) < 0) {
		errs_add(errs, path, e->line, "unknown action \"%s\" (reject, tempfail, accept or dryrun)", act);
		return -1;
	}
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest != '\0') {
		if (reply_parse(rest, &e->reply, why, sizeof(why)) < 0) {
			errs_add(errs, path, e->line, "%s", why);
			return -1;
		}
		e->reply.line = e->line;
		if (!reply_agrees(e->action, &e->reply)) {
			errs_add(errs, path, e->line, "reply %d does not agree with action %s", e->reply.code,
				 action_name(e->action));
			return -1;
		}
	}
	return 0;
}

static int
parse_line(char *line, struct access_entry *e, bool is_client, const char *path, int lineno,
	   struct errs *errs)
{
	char *key, *rest, why[256];

	key = strtok_r(line, " \t", &rest);
	memset(e, 0, sizeof(*e));
	e->line = lineno;
	e->key = key; /* for the message only: set below when kept */
	if (access_action_parse(rest, e, path, errs) < 0)
		return -1;
	e->key = NULL;
	if (is_client) {
		if (cidr_parse(key, &e->net, why, sizeof(why)) < 0) {
			errs_add(errs, path, lineno, "%s", why);
			return -1;
		}
		return 0;
	}
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!sender_key_ok(key)) {
		errs_add(errs, path, lineno, "\"%s\" is not an address, user@, @domain or domain key", key);
		return -1;
	}
	e->key = xstrdup(key);
	return 0;
}

struct loading {
	struct access_table *t;
	struct errs *errs;
};

static void
load_line(void *arg, char *line, int lineno)
{
	struct loading *ld = arg;
	struct access_entry e;

	if (parse_line(line, &e, ld->t->is_client, ld->t->path, lineno, ld->errs) < 0)
		return;
	ld->t->v = xreallocarray(ld->t->v, ld->t->n + 1, sizeof(*ld->t->v));
	ld->t->v[ld->t->n++] = e;
}

struct access_table *
access_load(const char *path, bool is_client, struct errs *errs)
{
	struct access_table *t = xcalloc(1, sizeof(*t));
	struct loading ld = { t, errs };
	size_t before = errs->n;

	t->path = xstrdup(path);
	t->is_client = is_client;
	linefile_read(path, LINEFILE_HASH_COMMENTS, errs, load_line, &ld);
	if (!is_client && t->n > 1) {
		qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
		for (size_t i = 1; i < t->n; i++)
			if (strcmp(t->v[i - 1].key, t->v[i].key) == 0)
				errs_add(errs, path, t->v[i].line, "duplicate key \"%s\" (also line %d)",
					 t->v[i].key, t->v[i - 1].line);
	}
	if (errs->n > before) {
		access_free(t);
		return NULL;
	}
	return t;
}

void
access_free(struct access_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].key);
	free(t->v);
	free(t->path);
	free(t);
}

static const struct access_entry *
find(const struct access_table *t, const char *key)
{
	struct access_entry k = { .key = (char *)key };

	if (t->n == 0)
		return NULL;
	return bsearch(&k, t->v, t->n, sizeof(*t->v), entry_cmp);
}

const struct access_entry *
access_sender(const struct access_table *t, const struct addr *a)
{
	char key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 3];
	const struct access_entry *e;
	size_t ll;

	if (t == NULL || t->is_client)
		return NULL;
	if (a->null)
		return find(t, "<>");
	ll = strlen(a->local);
	for (size_t i = 0; i < ll; i++)
		key[i] = (char)tolower((unsigned char)a->local[i]);
	key[ll] = '@';
	strcpy(key + ll + 1, a->domain);
	if (a->domain[0] && (e = find(t, key)) != NULL)
		return e;
	key[ll + 1] = '\0';
	if ((e = find(t, key)) != NULL)
		return e;
	if (a->domain[0] == '\0')
		return NULL;
	key[0] = '@';
	strcpy(key + 1, a->domain);
	if ((e = find(t, key)) != NULL)
		return e;
	if ((e = find(t, a->domain)) != NULL)
		return e;
	/* parents: "example.org" and ".example.org" both match sub.example.org */
	for (const char *p = strchr(a->domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		if ((e = find(t, p)) != NULL || (e = find(t, p + 1)) != NULL)
			return e;
	}
	return NULL;
}

const struct access_entry *
access_client(const struct access_table *t, const struct ipaddr *ip)
{
	if (t == NULL || !t->is_client)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (cidr_match(&t->v[i].net, ip))
			return &t->v[i];
	return NULL;
}

void
access_verdict(const struct access_entry *e, const char *rule, const struct reply *dflt,
	       const char *prefix, const char *reason, struct verdict *v)
{
	if (e->action == ACTION_ACCEPT) {
		memset(v, 0, sizeof(*v));
		v->action = ACTION_ACCEPT;
		v->rule = rule;
		return;
	}
	verdict_set_action(v, rule, e->action, e->reply.code ? &e->reply : dflt, prefix, reason);
}
