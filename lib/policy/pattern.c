/*
 * pattern.c - regular expression rules (see pattern.h)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "xalloc.h"

/* enough for any sane address pattern, far below a second of backtracking */
#define PATTERN_MATCH_LIMIT 100000

struct loading {
	struct pattern_set *s;
	struct errs *errs;
};

/* The pattern between the slashes of "/re/flags", unescaping "\/"; end
 * points past the flags.  NULL when there is no closing slash. */
static char *
slashed(char *p, char **end, unsigned *opts)
{
	char *re = p + 1, *w = re;

	for (p = re; *p && *p != '/'; p++) {
		if (*p == '\\' && p[1] == '/')
			p++;
		else if (*p == '\\' && p[1] != '\0')
			*w++ = *p++;
		*w++ = *p;
	}
	if (*p != '/')
		return NULL;
	*w = '\0';
	*opts = 0;
	for (p++; *p == 'i'; p++)
		*opts |= PCRE2_CASELESS;
	*end = p;
	return re;
}

static void
load_line(void *arg, char *line, int lineno)
{
	struct loading *ld = arg;
	const char *path = ld->s->path;
	struct pattern_rule r = { .entry.line = lineno };
	char *what = line, *p, *re, *end;
	unsigned opts;
	int err;
	PCRE2_SIZE off;

	p = line + strcspn(line, " \t");
	if (*p != '\0')
		*p++ = '\0';
	p += strspn(p, " \t");
	if (strcmp(what, "rcpt") == 0)
		r.on = PATTERN_RCPT;
	else if (strcmp(what, "sender") == 0)
		r.on = PATTERN_SENDER;
	else {
		errs_add(ld->errs, path, lineno, "\"%s\": a rule starts with rcpt or sender", what);
		return;
	}
	if (*p != '/' || (re = slashed(p, &end, &opts)) == NULL) {
		errs_add(ld->errs, path, lineno, "the pattern must be written /regex/ or /regex/i");
		return;
	}
	if (*end != ' ' && *end != '\t') {
		errs_add(ld->errs, path, lineno, "after the pattern: flags may be \"i\", then the action");
		return;
	}
	r.entry.key = re;
	if (access_action_parse(end, &r.entry, path, ld->errs) < 0)
		return;
	r.code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
	if (r.code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		errs_add(ld->errs, path, lineno, "/%s/: %s at offset %zu", re, (char *)msg, (size_t)off);
		return;
	}
	r.entry.key = xstrdup(re);
	ld->s->v = xreallocarray(ld->s->v, ld->s->n + 1, sizeof(*ld->s->v));
	ld->s->v[ld->s->n++] = r;
}

struct pattern_set *
pattern_load(const char *path, struct errs *errs)
{
	struct pattern_set *s = xcalloc(1, sizeof(*s));
	struct loading ld = { s, errs };
	size_t before = errs->n;

	s->path = xstrdup(path);
	if ((s->mctx = pcre2_match_context_create(NULL)) == NULL)
		panic("pcre2_match_context_create: out of memory");
	pcre2_set_match_limit(s->mctx, PATTERN_MATCH_LIMIT);
	linefile_read(path, 0, errs, load_line, &ld);
	if (errs->n > before) {
		pattern_free(s);
		return NULL;
	}
	return s;
}

void
pattern_free(struct pattern_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		pcre2_code_free(s->v[i].code);
		free(s->v[i].entry.key);
	}
	pcre2_match_context_free(s->mctx);
	free(s->v);
	free(s->path);
	free(s);
}

int
pattern_match(const struct pattern_set *s, const char *sender, const char *rcpt,
	      const struct pattern_rule **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct pattern_rule *r = &s->v[i];
		const char *subject = r->on == PATTERN_RCPT ? rcpt : sender;
		pcre2_match_data *md;
		int rc;

		if (subject == NULL)
			continue;
		if ((md = pcre2_match_data_create_from_pattern(r->code, NULL)) == NULL)
			panic("pcre2_match_data_create: out of memory");
		rc = pcre2_match(r->code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, s->mctx);
		pcre2_match_data_free(md);
		if (rc >= 0 || rc < PCRE2_ERROR_NOMATCH) {
			*out = r;
			return rc >= 0 ? 1 : -1;
		}
	}
	return 0;
}
