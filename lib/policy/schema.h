/*
 * schema.h - the table of every setting of the policy file
 *
 * One row per setting: its dotted name, where it may appear (top level or
 * inside a policy), its type, its default (written as it would be in the
 * file, lists as comma-separated items), where it lands in struct config or
 * struct policy, an optional extra check, and one line of documentation.
 * The loader, `doorman -D` and the man page test all read this table, so
 * it is the only place a setting is declared.
 */
#ifndef DOORMAN_SCHEMA_H
#define DOORMAN_SCHEMA_H

#include <stddef.h>

enum setting_scope { SCOPE_GLOBAL, SCOPE_POLICY };

enum setting_type {
	ST_BOOL,
	ST_INT,
	ST_STRING,
	ST_STRLIST,
	ST_ACTION,
	ST_REPLY,
	ST_CIDRLIST,
	ST_DOMLIST,
	ST_ZONELIST,
	ST_RATELIST, /* a list of groups: the loader reads it (config.c load_rates) */
};

struct setting {
	const char *name;
	enum setting_scope scope;
	size_t offset; /* into struct config or struct policy */
	enum setting_type type;
	const char *def;
	/* extra check of a loaded value (field points into the struct); 0 or -1 with why */
	int (*check)(const void *field, char *why, size_t whylen);
	const char *doc;
};

extern const struct setting schema[];
extern const size_t schema_len;

const char *setting_type_name(enum setting_type t);
const struct setting *schema_find(enum setting_scope scope, const char *name);

#endif
