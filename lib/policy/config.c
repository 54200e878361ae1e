/*
 * config.c - loading the policy file into a snapshot (see config.h)
 *
 * The loader is driven by the schema table: every value in the file must
 * be a row of it, of the row's type; every row not in the file takes the
 * row's default.  Groups are only name spaces ("helo: { fqdn = ...; }" is
 * the setting "helo.fqdn").
 * The file's own syntax errors come from libconfig with file and line.
 * Every problem found is added to errs; nothing half-loaded is returned.
 *
 * This is the only file that includes libconfig.
 */
#include "config.h"
#include "dns.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "schema.h"
#include "xalloc.h"

#define FIELD(base, s) ((void *)((char *)(base) + (s)->offset))

struct loader {
	const char *path;
	struct errs *errs;
	char incname[4096]; /* src_file()'s answer for an included file */
};

bool
strlist_has_nocase(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
ratelist_free(struct ratelist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One item of a list setting, or a scalar string-typed setting. */
static int
apply_string(const struct setting *s, void *field, const char *str, char *why, size_t whylen)
{
	switch (s->type) {
	case ST_STRING: {
		char **p = field;
		free(*p);
		*p = xstrdup(str);
		return 0;
	}
	case ST_ACTION:
		if (action_parse(str, field) < 0) {
			snprintf(why, whylen, "%s: unknown action \"%s\" (reject, tempfail, accept or dryrun)",
				 s->name, str);
			return -1;
		}
		return 0;
	case ST_REPLY:
		if (reply_parse(str, field, why, whylen) < 0)
			return -1;
		return 0;
	case ST_STRLIST: {
		struct strlist *l = field;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = xstrdup(str);
		return 0;
	}
	case ST_CIDRLIST: {
		struct cidrlist *l = field;
		struct cidr c;
		if (cidr_parse(str, &c, why, whylen) < 0)
			return -1;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = c;
		return 0;
	}
	case ST_DOMLIST:
		return domlist_add(field, str, why, whylen);
	case ST_ZONELIST: {
		struct zonelist *l = field;
		struct bl_zone z;
		if (bl_zone_parse(str, &z, why, whylen) < 0)
			return -1;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = z;
		return 0;
	}
	case ST_BOOL:
	case ST_INT:
	case ST_RATELIST:
		break;
	}
	snprintf(why, whylen, "internal error: %s is not a string setting", s->name);
	return -1;
}

static bool
is_list(enum setting_type t)
{
	return t == ST_STRLIST || t == ST_CIDRLIST || t == ST_DOMLIST || t == ST_ZONELIST ||
	       t == ST_RATELIST;
}

static void
clear_list(const struct setting *s, void *field)
{
	if (s->type == ST_STRLIST)
		strlist_free(field);
	else if (s->type == ST_CIDRLIST)
		cidrlist_free(field);
	else if (s->type == ST_DOMLIST)
		domlist_free(field);
	else if (s->type == ST_ZONELIST)
		zonelist_free(field);
	else if (s->type == ST_RATELIST)
		ratelist_free(field);
}

/* Defaults are written as in the file; lists as comma-separated items. */
static void
apply_default(const struct setting *s, void *base)
{
	void *field = FIELD(base, s);
	char why[256];

	switch (s->type) {
	case ST_BOOL:
		*(bool *)field = strcmp(s->def, "true") == 0;
		return;
	case ST_RATELIST:
		return; /* none by default */
	case ST_INT:
		*(long *)field = strtol(s->def, NULL, 10);
		return;
	case ST_STRLIST:
	case ST_CIDRLIST:
	case ST_DOMLIST:
	case ST_ZONELIST: {
		char *copy = xstrdup(s->def), *save = NULL;
		for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
			if (apply_string(s, field, tok, why, sizeof(why)) < 0)
				panic("schema default of %s: %s", s->name, why);
		free(copy);
		return;
	}
	default:
		if (apply_string(s, field, s->def, why, sizeof(why)) < 0)
			panic("schema default of %s: %s", s->name, why);
	}
}

/*
 * src_file - the file a setting came from, for error messages.  libconfig
 * names an @include'd file as the directive wrote it; a relative one is
 * relative to the main file's directory (config_set_include_dir), so say
 * so, giving a name the postmaster can open.
 */
static const char *
src_file(struct loader *ld, const config_setting_t *cs)
{
	const char *f = config_setting_source_file(cs), *slash;

	if (f == NULL)
		return ld->path;
	if (f[0] == '/' || strcmp(f, ld->path) == 0 || (slash = strrchr(ld->path, '/')) == NULL)
		return f;
	snprintf(ld->incname, sizeof(ld->incname), "%.*s%s", (int)(slash - ld->path + 1), ld->path, f);
	return ld->incname;
}

/*
 * refuse - a refused value is not kept: the setting goes back to its
 * default (which the schema guarantees valid), so nothing loaded after the
 * schema check (data files, recipient domains, rules) ever sees an item
 * the check refused.  The file is refused all the same (errs).  Loading a
 * list stops at its first refused item.
 */
static void
refuse(const struct setting *s, void *base)
{
	void *field = FIELD(base, s);

	if (is_list(s->type))
		clear_list(s, field);
	else if (s->type == ST_STRING) {
		free(*(char **)field);
		*(char **)field = NULL;
	}
	apply_default(s, base);
}

const char *
rate_key_name(enum rate_key k)
{
	static const char *const names[] = {[RATE_CLIENT] = "client",
					    [RATE_NETWORK] = "network",
					    [RATE_USER] = "user",
					    [RATE_SENDER_DOMAIN] = "sender_domain"};
	return names[k];
}

#define RATE_REPLY "450 4.7.1 Rate limit exceeded, try again later"

/* one group of ratelimit.rules into r: 0, or -1 with why */
static int
rate_rule_parse(config_setting_t *g, struct rate_rule *r, char *why, size_t whylen)
{
	const char *str;
	long long n;
	bool have_key = false;

	memset(r, 0, sizeof(*r));
	r->rule.action = ACTION_TEMPFAIL;
	if (reply_parse(RATE_REPLY, &r->rule.reply, why, whylen) < 0)
		panic("rate limit reply: %s", why);
	if (!config_setting_is_group(g)) {
		snprintf(why, whylen, "a rule is a group, like { key = \"user\"; messages = 100; "
				      "window = 3600; }");
		return -1;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *f = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(f);
		int t = config_setting_type(f);
		bool is_int = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;

		n = is_int ? config_setting_get_int64(f) : 0;
		str = t == CONFIG_TYPE_STRING ? config_setting_get_string(f) : NULL;
		if (strcmp(name, "key") == 0 && str != NULL) {
			for (int k = RATE_CLIENT; k <= RATE_SENDER_DOMAIN && !have_key; k++)
				if (strcmp(str, rate_key_name((enum rate_key)k)) == 0) {
					r->key = (enum rate_key)k;
					have_key = true;
				}
			if (!have_key) {
				snprintf(why, whylen, "key \"%s\": client, network, user or sender_domain",
					 str);
				return -1;
			}
		} else if ((strcmp(name, "messages") == 0 || strcmp(name, "recipients") == 0) &&
			   is_int) {
			if (n < 0 || n > 100000000) {
				snprintf(why, whylen, "%s %lld out of range 0..100000000", name, n);
				return -1;
			}
			*(name[0] == 'm' ? &r->messages : &r->recipients) = (long)n;
		} else if (strcmp(name, "window") == 0 && is_int) {
			if (n < 1 || n > 7 * 86400) {
				snprintf(why, whylen, "window %lld out of range 1..604800 seconds", n);
				return -1;
			}
			r->window = (long)n;
		} else if (strcmp(name, "action") == 0 && str != NULL) {
			if (action_parse(str, &r->rule.action) < 0 ||
			    (r->rule.action != ACTION_TEMPFAIL && r->rule.action != ACTION_DRYRUN)) {
				snprintf(why, whylen, "action \"%s\": a rate limit can only tempfail or dryrun",
					 str);
				return -1;
			}
		} else if (strcmp(name, "reply") == 0 && str != NULL) {
			if (reply_parse(str, &r->rule.reply, why, whylen) < 0)
				return -1;
			if (r->rule.reply.code / 100 != 4) {
				snprintf(why, whylen, "reply %d: a rate limit's reply is a 4xx",
					 r->rule.reply.code);
				return -1;
			}
		} else {
			snprintf(why, whylen, "\"%s\" is not a rule setting of the right type (key, "
					      "messages, recipients, window, action, reply)", name);
			return -1;
		}
	}
	if (!have_key || r->window == 0 || (r->messages == 0 && r->recipients == 0)) {
		snprintf(why, whylen, "a rule needs a key, a window and messages or recipients "
				      "(above 0)");
		return -1;
	}
	return 0;
}

/* ratelimit.rules: a list of groups, each refused at its own line */
static void
load_rates(struct loader *ld, const struct setting *s, void *base, config_setting_t *cs)
{
	struct ratelist *l = FIELD(base, s);
	const char *file = src_file(ld, cs);
	char why[512];

	if (config_setting_type(cs) != CONFIG_TYPE_LIST) {
		errs_add(ld->errs, file, (int)config_setting_source_line(cs),
			 "%s must be a list of groups, like ( { key = \"user\"; messages = 100; "
			 "window = 3600; } )", s->name);
		return;
	}
	ratelist_free(l);
	if (config_setting_length(cs) > RATE_RULES_MAX) {
		errs_add(ld->errs, file, (int)config_setting_source_line(cs),
			 "%s: at most %d rules", s->name, RATE_RULES_MAX);
		return;
	}
	l->v = xcalloc(RATE_RULES_MAX, sizeof(*l->v));
	for (int i = 0; i < config_setting_length(cs); i++) {
		config_setting_t *g = config_setting_get_elem(cs, (unsigned)i);
		struct rate_rule *r = &l->v[l->n];

		if (rate_rule_parse(g, r, why, sizeof(why)) < 0) {
			errs_add(ld->errs, src_file(ld, g), (int)config_setting_source_line(g),
				 "%s: rule %d: %s", s->name, i + 1, why);
			ratelist_free(l);
			return;
		}
		r->line = (int)config_setting_source_line(g);
		l->n++;
	}
}

static void
apply_value(struct loader *ld, const struct setting *s, void *base, config_setting_t *cs)
{
	void *field = FIELD(base, s);
	const char *file = src_file(ld, cs);
	int line = (int)config_setting_source_line(cs);
	int t = config_setting_type(cs);
	char why[512];

	if (s->type == ST_RATELIST) {
		load_rates(ld, s, base, cs);
	} else if (is_list(s->type)) {
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			errs_add(ld->errs, file, line, "%s must be a %s, like [\"a\", \"b\"]", s->name,
				 setting_type_name(s->type));
			return;
		}
		clear_list(s, field);
		for (int i = 0; i < config_setting_length(cs); i++) {
			config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);
			const char *str = config_setting_get_string(el);
			if (str == NULL) {
				errs_add(ld->errs, file, line, "%s: item %d is not a string", s->name, i + 1);
				continue;
			}
			if (apply_string(s, field, str, why, sizeof(why)) < 0) {
				errs_add(ld->errs, file, line, "%s: %s", s->name, why);
				refuse(s, base);
				return;
			}
		}
	} else if (s->type == ST_BOOL) {
		if (t != CONFIG_TYPE_BOOL) {
			errs_add(ld->errs, file, line, "%s must be a boolean (true or false)", s->name);
			return;
		}
		*(bool *)field = config_setting_get_bool(cs) != 0;
	} else if (s->type == ST_INT) {
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			errs_add(ld->errs, file, line, "%s must be an integer", s->name);
			return;
		}
		*(long *)field = (long)config_setting_get_int64(cs);
	} else {
		const char *str = config_setting_get_string(cs);
		if (t != CONFIG_TYPE_STRING || str == NULL) {
			errs_add(ld->errs, file, line, "%s must be a quoted string", s->name);
			return;
		}
		if (apply_string(s, field, str, why, sizeof(why)) < 0) {
			errs_add(ld->errs, file, line, "%s", why);
			refuse(s, base);
			return;
		}
		if (s->type == ST_REPLY)
			((struct reply *)field)->line = line;
	}
	if (s->check != NULL && s->check(field, why, sizeof(why)) < 0) {
		errs_add(ld->errs, file, line, "%s: %s", s->name, why);
		refuse(s, base);
	}
}

static bool
scope_has_prefix(enum setting_scope scope, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < schema_len; i++)
		if (schema[i].scope == scope && strncmp(schema[i].name, prefix, n) == 0 &&
		    schema[i].name[n] == '.')
			return true;
	return false;
}

/* Walk a group; prefix is the dotted name of the group ("" at the top). */
static void
walk(struct loader *ld, config_setting_t *group, const char *prefix, enum setting_scope scope,
     void *base)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *cs = config_setting_get_elem(group, (unsigned)i);
		const char *file = src_file(ld, cs);
		int line = (int)config_setting_source_line(cs);
		char name[256];
		const struct setting *s;

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", config_setting_name(cs));
		if (scope == SCOPE_GLOBAL && strcmp(name, "policies") == 0)
			continue; /* load_policies() */
		if (config_setting_is_group(cs)) {
			if (scope_has_prefix(scope, name))
				walk(ld, cs, name, scope, base);
			else
				errs_add(ld->errs, file, line, "unknown section \"%s\"%s", name,
					 scope == SCOPE_POLICY ? " in a policy" : "");
			continue;
		}
		if ((s = schema_find(scope, name)) == NULL) {
			const struct setting *other = schema_find(scope == SCOPE_GLOBAL ? SCOPE_POLICY : SCOPE_GLOBAL, name);
			errs_add(ld->errs, file, line, "unknown setting \"%s\"%s", name,
				 other == NULL ? "" : scope == SCOPE_GLOBAL ? " (it belongs inside a policy)"
								   : " (it is a global setting)");
			continue;
		}
		apply_value(ld, s, base, cs);
	}
}

static void
defaults(enum setting_scope scope, void *base)
{
	for (size_t i = 0; i < schema_len; i++)
		if (schema[i].scope == scope)
			apply_default(&schema[i], base);
}

static void
free_fields(enum setting_scope scope, void *base)
{
	for (size_t i = 0; i < schema_len; i++) {
		const struct setting *s = &schema[i];
		if (s->scope != scope)
			continue;
		if (s->type == ST_STRING) {
			free(*(char **)FIELD(base, s));
			*(char **)FIELD(base, s) = NULL;
		} else if (is_list(s->type)) {
			clear_list(s, FIELD(base, s));
		}
	}
}

/* Each ST_ACTION row is followed by its rule's ST_REPLY row. */
static void
check_rules(struct loader *ld, struct policy *p)
{
	for (size_t i = 0; i + 1 < schema_len; i++) {
		const struct setting *a = &schema[i], *r = &schema[i + 1];
		const struct reply *reply;
		enum action act;

		if (a->scope != SCOPE_POLICY || a->type != ST_ACTION)
			continue;
		if (r->type != ST_REPLY)
			panic("schema: %s is not followed by its reply", a->name);
		act = *(enum action *)FIELD(p, a);
		reply = FIELD(p, r);
		if (reply->line > 0 && !reply_agrees(act, reply))
			errs_add(ld->errs, ld->path, reply->line,
				 "%s: reply %d does not agree with %s = %s (%s needs a %s reply)", r->name,
				 reply->code, a->name, action_name(act), action_name(act),
				 act == ACTION_REJECT ? "5xx" : "4xx");
	}
}

/*
 * data_path - the file a setting name of policy group g names, relative to
 * the policy file's directory like @include, into full; NULL when it
 * cannot be read, reported at the line that names it (never taken as an
 * empty file).
 */
static const char *
data_path(struct loader *ld, config_setting_t *g, const char *name, const char *path, char *full,
	  size_t fulllen)
{
	config_setting_t *cs;

	if (path[0] != '/') {
		const char *slash = strrchr(ld->path, '/');
		snprintf(full, fulllen, "%.*s%s", slash ? (int)(slash - ld->path + 1) : 0, ld->path, path);
		path = full;
	}
	if (access(path, R_OK) != 0) {
		int err = errno;
		cs = config_setting_lookup(g, name);
		errs_add(ld->errs, cs ? src_file(ld, cs) : ld->path,
			 cs ? (int)config_setting_source_line(cs) : 0, "%s: cannot read %s: %s", name, path,
			 strerror(err));
		return NULL;
	}
	return path;
}

static struct access_table *
load_table(struct loader *ld, config_setting_t *g, const char *name, const char *path,
	   bool is_client)
{
	char full[4096];

	if (path == NULL || *path == '\0' || (path = data_path(ld, g, name, path, full, sizeof(full))) == NULL)
		return NULL;
	return access_load(path, is_client, ld->errs);
}

/* the entry of domain d in p->rcpt_domains, added when missing */
static struct rcpt_domain *
rcpt_domain_of(struct policy *p, const char *d, bool *added)
{
	for (size_t i = 0; i < p->nrcpt_domains; i++)
		if (strcasecmp(p->rcpt_domains[i].domain, d) == 0) {
			*added = false;
			return &p->rcpt_domains[i];
		}
	p->rcpt_domains = xreallocarray(p->rcpt_domains, p->nrcpt_domains + 1, sizeof(*p->rcpt_domains));
	memset(&p->rcpt_domains[p->nrcpt_domains], 0, sizeof(*p->rcpt_domains));
	p->rcpt_domains[p->nrcpt_domains].domain = xstrdup(d);
	for (char *q = p->rcpt_domains[p->nrcpt_domains].domain; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	*added = true;
	return &p->rcpt_domains[p->nrcpt_domains++];
}

/* recipients.lists and recipients.callout: "domain=file", "domain=backend";
 * one way to validate each domain */
static void
load_recipient_domains(struct loader *ld, config_setting_t *g, struct policy *p, bool lists)
{
	const char *name = lists ? "recipients.lists" : "recipients.callout";
	const struct strlist *l = lists ? &p->rcpt_lists : &p->rcpt_callouts;
	config_setting_t *cs = config_setting_lookup(g, name);

	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		char dom[256], full[4096];
		const char *path;
		struct rcpt_domain *d;
		bool added;

		if (eq == NULL) /* refused by the schema check: never kept (refuse()) */
			panic("%s: item \"%s\" without '=' got past the schema", name, l->v[i]);
		snprintf(dom, sizeof(dom), "%.*s", (int)(eq - l->v[i]), l->v[i]);
		d = rcpt_domain_of(p, dom, &added);
		if (!added) {
			errs_add(ld->errs, cs ? src_file(ld, cs) : ld->path, cs ? (int)config_setting_source_line(cs) : 0,
				 "%s: domain %s has a list or a callout already", name, d->domain);
			continue;
		}
		if (!lists)
			d->callout = eq + 1;
		else if ((path = data_path(ld, g, name, eq + 1, full, sizeof(full))) != NULL)
			d->list = rcptlist_open(path, d->domain, p->rcpt_check_interval, ld->errs);
	}
}

static void
load_recipients(struct loader *ld, config_setting_t *g, struct policy *p)
{
	char full[4096];
	const char *path;

	load_recipient_domains(ld, g, p, true);
	load_recipient_domains(ld, g, p, false);
	if (*p->rcpt_patterns_path &&
	    (path = data_path(ld, g, "recipients.patterns", p->rcpt_patterns_path, full, sizeof(full))))
		p->rcpt_patterns = pattern_load(path, ld->errs);
	if (*p->rcpt_aliases_path &&
	    (path = data_path(ld, g, "recipients.aliases", p->rcpt_aliases_path, full, sizeof(full))))
		p->rcpt_aliases = alias_load(path, p->rcpt_separators, ld->errs);
}

static void
load_greylist(struct loader *ld, config_setting_t *g, struct policy *p)
{
	char full[4096];
	const char *path;

	if (*p->greylist_exemptions_path &&
	    (path = data_path(ld, g, "greylist.exemptions", p->greylist_exemptions_path, full,
			      sizeof(full))))
		p->greylist_exemptions = exempt_load(path, ld->errs);
}

/* the key files of BATV and SRS, and the settings that need them */
static void
load_fwd(struct loader *ld, config_setting_t *g, struct policy *p)
{
	char full[4096];
	const char *path;
	bool batv = p->batv_sign || p->batv_domains.n > 0;

	domlist_sort(&p->batv_domains);

	if (*p->batv_keys_path &&
	    (path = data_path(ld, g, "batv.keys", p->batv_keys_path, full, sizeof(full))))
		p->batv_keys = keyfile_load(path, ld->errs);
	else if (batv && *p->batv_keys_path == '\0')
		errs_add(ld->errs, src_file(ld, g), p->line,
			 "policy %s: batv.sign or batv.domains needs batv.keys (the file of keys)", p->name);
	if (p->batv_sign && p->batv_domains.n == 0)
		errs_add(ld->errs, src_file(ld, g), p->line,
			 "policy %s: batv.sign needs batv.domains (the domains whose senders are signed)", p->name);
	if (!p->srs_enabled)
		return;
	if (*p->srs_domain == '\0' || !domain_syntax_ok(p->srs_domain))
		errs_add(ld->errs, src_file(ld, g), p->line,
			 "policy %s: srs.enabled needs srs.domain (a domain name, the domain of our SRS addresses)",
			 p->name);
	if (*p->srs_secrets_path == '\0')
		errs_add(ld->errs, src_file(ld, g), p->line,
			 "policy %s: srs.enabled needs srs.secrets (the file of secrets)", p->name);
	else if ((path = data_path(ld, g, "srs.secrets", p->srs_secrets_path, full, sizeof(full))))
		p->srs_secrets = keyfile_load(path, ld->errs);
}

static void
free_recipients(struct policy *p)
{
	for (size_t i = 0; i < p->nrcpt_domains; i++) {
		rcptlist_unref(p->rcpt_domains[i].list);
		free(p->rcpt_domains[i].domain);
	}
	free(p->rcpt_domains);
	pattern_free(p->rcpt_patterns);
	alias_free(p->rcpt_aliases);
}

static void
load_policies(struct loader *ld, config_t *cf, struct config *c)
{
	config_setting_t *ps = config_lookup(cf, "policies");
	int n;

	if (ps == NULL || !config_setting_is_group(ps) || (n = config_setting_length(ps)) == 0) {
		errs_add(ld->errs, ld->path, ps ? (int)config_setting_source_line(ps) : 0,
			 "no policy defined: add a group \"policies\" with at least one policy");
		return;
	}
	c->policies = xcalloc((size_t)n, sizeof(*c->policies));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(ps, (unsigned)i);
		struct policy *p = &c->policies[c->npolicies++];

		defaults(SCOPE_POLICY, p);
		p->name = xstrdup(config_setting_name(g));
		p->line = (int)config_setting_source_line(g);
		if (!config_setting_is_group(g)) {
			errs_add(ld->errs, src_file(ld, g), p->line,
				 "policies.%s must be a group { ... }", p->name);
			continue;
		}
		walk(ld, g, "", SCOPE_POLICY, p);
		check_rules(ld, p);
		/* refused settings are back at their defaults (refuse()): the
		 * data files named by the others are read, so -n reports their
		 * errors too */
		p->sender_access = load_table(ld, g, "sender.access", p->sender_access_path, false);
		p->client_access = load_table(ld, g, "client.access", p->client_access_path, true);
		load_recipients(ld, g, p);
		load_greylist(ld, g, p);
		load_fwd(ld, g, p);
	}
}

static void
finish(struct loader *ld, struct config *c)
{
	domlist_sort(&c->local_domains);
	domlist_sort(&c->relay_domains);
	if (c->me_hostnames.n == 0) {
		char host[256];
		if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			c->me_hostnames.v = xcalloc(1, sizeof(char *));
			c->me_hostnames.v[0] = xstrdup(host);
			c->me_hostnames.n = 1;
		}
	}
	if (*c->authserv_id == '\0' && c->me_hostnames.n > 0) {
		free(c->authserv_id);
		c->authserv_id = xstrdup(c->me_hostnames.v[0]);
	}
	if (strcmp(c->store_backend, "redis") == 0 && *c->store_redis == '\0')
		errs_add(ld->errs, ld->path, 0, "store.backend is redis: store.redis must name the server");
	if (c->npolicies == 0)
		return;
	if (*c->default_policy_name != '\0') {
		for (size_t i = 0; i < c->npolicies; i++)
			if (strcmp(c->policies[i].name, c->default_policy_name) == 0)
				c->default_policy = &c->policies[i];
		if (c->default_policy == NULL)
			errs_add(ld->errs, ld->path, 0, "default_policy \"%s\" is not defined in policies",
				 c->default_policy_name);
	} else if (c->npolicies == 1) {
		c->default_policy = &c->policies[0];
	} else {
		errs_add(ld->errs, ld->path, 0,
			 "default_policy must name the policy for listeners no policy lists");
	}
	/* one listener, one policy */
	for (size_t i = 0; i < c->npolicies; i++)
		for (size_t j = 0; j < c->policies[i].listeners.n; j++)
			for (size_t k = i; k < c->npolicies; k++)
				for (size_t m = (k == i ? j + 1 : 0); m < c->policies[k].listeners.n; m++)
					if (strcmp(c->policies[i].listeners.v[j], c->policies[k].listeners.v[m]) == 0)
						errs_add(ld->errs, ld->path, c->policies[k].line,
							 "listener \"%s\" is named by policy %s and policy %s",
							 c->policies[k].listeners.v[m], c->policies[i].name,
							 c->policies[k].name);
}

static void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->npolicies; i++) {
		struct policy *p = &c->policies[i];
		free_fields(SCOPE_POLICY, p);
		access_free(p->sender_access);
		access_free(p->client_access);
		free_recipients(p);
		exempt_free(p->greylist_exemptions);
		keyfile_free(p->batv_keys);
		keyfile_free(p->srs_secrets);
		free(p->name);
	}
	free(c->policies);
	free_fields(SCOPE_GLOBAL, c);
	free(c->file);
	free(c);
}

struct dns *
config_resolver_new(const struct config *cfg, char *why, size_t whylen)
{
	struct dns_setup setup = {
		.upstreams = (const char *const *)cfg->resolver_upstreams.v,
		.nupstreams = cfg->resolver_upstreams.n,
		.unblock = (const char *const *)cfg->resolver_unblock.v,
		.nunblock = cfg->resolver_unblock.n,
		.zones = (const char *const *)cfg->resolver_zones.v,
		.nzones = cfg->resolver_zones.n,
	};

	return dns_new(&setup, why, whylen);
}

struct config *
config_load(const char *path, struct errs *errs)
{
	struct loader ld = { .path = path, .errs = errs };
	size_t before = errs->n;
	struct config *c;
	config_t cf;
	char *dir, *slash;

	config_init(&cf);
	/* @include "x" is relative to the file's own directory */
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(&cf, *dir ? dir : "/");
	}
	free(dir);
	if (access(path, R_OK) != 0) {
		errs_add(errs, path, 0, "cannot read the policy file: %s", strerror(errno));
		config_destroy(&cf);
		return NULL;
	}
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		const char *f = config_error_file(&cf);
		errs_add(errs, f ? f : path, config_error_line(&cf), "%s", config_error_text(&cf));
		config_destroy(&cf);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->file = xstrdup(path);
	defaults(SCOPE_GLOBAL, c);
	walk(&ld, config_root_setting(&cf), "", SCOPE_GLOBAL, c);
	c->store_configured = config_lookup(&cf, "store") != NULL;
	load_policies(&ld, &cf, c);
	finish(&ld, c);
	config_destroy(&cf);
	if (errs->n > before) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_ref(struct config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
config_unref(struct config *c)
{
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(c);
}

const struct policy *
config_policy_for(const struct config *c, const char *daemon_name)
{
	if (daemon_name != NULL)
		for (size_t i = 0; i < c->npolicies; i++)
			for (size_t j = 0; j < c->policies[i].listeners.n; j++)
				if (strcmp(c->policies[i].listeners.v[j], daemon_name) == 0)
					return &c->policies[i];
	return c->default_policy;
}

bool
config_holds_until_rcpt(const struct config *c)
{
	for (size_t i = 0; i < c->npolicies; i++)
		if (!c->policies[i].delay_reject && !c->policies[i].dryrun)
			return false;
	return true;
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *current; /* guarded by current_lock */

struct config *
config_current(void)
{
	struct config *c;

	pthread_mutex_lock(&current_lock);
	c = current ? config_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return c;
}

void
config_current_set(struct config *c)
{
	struct config *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = c;
	pthread_mutex_unlock(&current_lock);
	config_unref(old);
}
