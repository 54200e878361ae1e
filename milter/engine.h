/*
 * engine.h - the milter protocol engines behind one set of operations
 *
 * SYNOPSIS
 *	const struct engine *e = engine_by_name(cfg->engine);
 *	e->listen(spec, &milter_filter, timeout, why, sizeof(why));
 *	... detach, drop privileges ...
 *	e->run(&stop);
 *
 * DESCRIPTION
 *	Two engines speak the milter protocol to the MTA and call the same
 *	struct pfilter (milter/proto.h) for each command: doorman's own
 *	(proto.c, "native") and Sendmail's libmilter (lmilter.c,
 *	"libmilter"), chosen by milter.engine at start.  Both agree to the
 *	same options with the MTA (the filter's protocol and more_protocol),
 *	so they skip the same replies.  milter.c reaches the MTA only
 *	through these operations; the per-connection ones take the struct
 *	pctx the engine handed to the callback and mean what proto.h says
 *	of the pctx_* function of the same name.
 *
 *	listen() binds SPEC as the starting user, before detaching, with the
 *	same checks for both engines (proto_listen(): a stale unix socket is
 *	replaced, a live one or another file refused; the socket bound is the
 *	one proto_unix_own() and proto_unix_remove() act on); run() serves
 *	until a stop signal and returns 0, -1 if serving could not start, or
 *	1 if callbacks still ran when the stop's bound ran out (their state
 *	must not be freed).
 *
 * THREADS
 *	listen() and run() are called once, from the main thread; the
 *	per-connection operations from a connection's callbacks only.
 *
 * LIMITS
 *	libmilter is process-global (one filter, one socket), so is an
 *	engine: a reload cannot change it (main.c warns).
 */
#ifndef DOORMAN_ENGINE_H
#define DOORMAN_ENGINE_H

#include <signal.h>
#include <stddef.h>

#include "proto.h"

struct engine {
	const char *name;
	int (*listen)(const char *spec, const struct pfilter *f, int timeout, char *why,
		      size_t whylen);
	int (*run)(const sigset_t *stop);

	const char *(*getsym)(struct pctx *, const char *name);
	void (*setpriv)(struct pctx *, void *);
	void *(*getpriv)(struct pctx *);
	unsigned long (*protocol)(const struct pctx *);
	int (*setreply)(struct pctx *, int code, const char *ecode, const char *text);
	int (*addheader)(struct pctx *, const char *name, const char *value);
	int (*insheader)(struct pctx *, int index, const char *name, const char *value);
	int (*chgheader)(struct pctx *, const char *name, int index, const char *value);
	int (*addrcpt)(struct pctx *, const char *rcpt);
	int (*delrcpt)(struct pctx *, const char *rcpt);
	int (*quarantine)(struct pctx *, const char *reason);
	int (*chgfrom)(struct pctx *, const char *sender);
};

extern const struct engine engine_native;    /* engine.c, over proto.c */
extern const struct engine engine_libmilter; /* lmilter.c */

/* engine_by_name - "native" or "libmilter" (the schema checks the name); NULL otherwise */
const struct engine *engine_by_name(const char *name);

#endif
