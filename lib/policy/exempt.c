/*
 * exempt.c - exemption lists (see exempt.h)
 *
 * A list is short (tens to a few hundred lines): entries are kept in file
 * order and matched one by one.
 */
#include "exempt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "linefile.h"
#include "xalloc.h"

enum exempt_kind { EX_CLIENT, EX_NAME, EX_SENDER, EX_RCPT };

struct exempt_entry {
	enum exempt_kind kind;
	int line;
	struct cidr net; /* EX_CLIENT */
	char *value;     /* the others: lower case */
};

struct exempt_list {
	struct exempt_entry *v;
	size_t n;
};

struct load {
	const char *path;
	struct errs *errs;
	struct exempt_list *l;
};

/* an address pattern: "user@domain", "@domain", ".domain", or (rcpt) "user@" */
static bool
addr_pattern_ok(const char *s, bool rcpt)
{
	const char *at = strchr(s, '@');

	if (s[0] == '.')
		return domain_syntax_ok(s + 1);
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	if (at[1] == '\0')
		return rcpt && at != s;
	return domain_syntax_ok(at + 1);
}

static void
load_line(void *arg, char *line, int lineno)
{
	struct load *ld = arg;
	static const char *const kinds[] = {"client", "name", "sender", "rcpt"};
	char *value = line + strcspn(line, " \t");
	struct exempt_entry e = {.line = lineno};
	char why[256];
	size_t i;

	if (*value != '\0')
		*value++ = '\0';
	value += strspn(value, " \t");
	for (i = 0; i < 4 && strcmp(line, kinds[i]) != 0; i++)
		;
	if (i == 4 || *value == '\0' || value[strcspn(value, " \t")] != '\0') {
		errs_add(ld->errs, ld->path, lineno,
		         "expected \"client CIDR\", \"name NAME\", \"sender ADDRESS\" or \"rcpt "
		         "ADDRESS\"");
		return;
	}
	e.kind = (enum exempt_kind)i;
	if (e.kind == EX_CLIENT) {
		if (cidr_parse(value, &e.net, why, sizeof(why)) < 0) {
			errs_add(ld->errs, ld->path, lineno, "%s", why);
			return;
		}
	} else {
		bool ok = e.kind == EX_NAME ? domain_syntax_ok(value[0] == '.' ? value + 1 : value)
		                            : addr_pattern_ok(value, e.kind == EX_RCPT);
		if (!ok) {
			errs_add(ld->errs, ld->path, lineno, "\"%s\" is not a %s", value,
			         e.kind == EX_NAME   ? "host name or .domain"
			         : e.kind == EX_RCPT ? "user@domain, @domain, .domain or user@"
			                             : "user@domain, @domain or .domain");
			return;
		}
		e.value = xstrdup(value);
		for (char *p = e.value; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	ld->l->v = xreallocarray(ld->l->v, ld->l->n + 1, sizeof(*ld->l->v));
	ld->l->v[ld->l->n++] = e;
}

struct exempt_list *
exempt_load(const char *path, struct errs *errs)
{
	struct exempt_list *l = xcalloc(1, sizeof(*l));
	struct load ld = {.path = path, .errs = errs, .l = l};
	size_t before = errs->n;

	if (linefile_read(path, LINEFILE_HASH_COMMENTS, errs, load_line, &ld) < 0 ||
	    errs->n > before) {
		exempt_free(l);
		return NULL;
	}
	return l;
}

void
exempt_free(struct exempt_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].value);
	free(l->v);
	free(l);
}

/* does domain d equal, or (pattern ".x") end in a label boundary before, the pattern? */
static bool
domain_matches(const char *pat, const char *d)
{
	size_t pl, dl;

	if (pat[0] != '.')
		return strcasecmp(pat, d) == 0;
	pl = strlen(pat);
	dl = strlen(d);
	return dl > pl && strcasecmp(d + dl - pl, pat) == 0;
}

static bool
addr_matches(const char *pat, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *pat_at = strchr(pat, '@');

	if (*addr == '\0' || at == NULL)
		return false;
	if (pat[0] == '.')
		return domain_matches(pat, at + 1);
	if (pat_at == pat)
		return strcasecmp(pat + 1, at + 1) == 0;
	if (pat_at[1] == '\0')
		return (size_t)(at - addr) == (size_t)(pat_at - pat) &&
		       strncasecmp(pat, addr, (size_t)(at - addr)) == 0;
	return strcasecmp(pat, addr) == 0;
}

int
exempt_match(const struct exempt_list *l, const struct ipaddr *ip, const char *name,
             const char *sender, const char *rcpt)
{
	if (l == NULL)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct exempt_entry *e = &l->v[i];
		bool hit = false;

		switch (e->kind) {
		case EX_CLIENT:
			hit = ip != NULL && cidr_match(&e->net, ip);
			break;
		case EX_NAME:
			hit = *name != '\0' && strcmp(name, "unknown") != 0 &&
			      domain_matches(e->value, name);
			break;
		case EX_SENDER:
			hit = addr_matches(e->value, sender);
			break;
		case EX_RCPT:
			hit = addr_matches(e->value, rcpt);
			break;
		}
		if (hit)
			return e->line;
	}
	return 0;
}
