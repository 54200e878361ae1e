/*
 * engine.c - the engine table (see engine.h) and the native engine's entry
 *
 * The native engine is proto.c as it is: its pctx_* functions fill the
 * table directly; listen() keeps the descriptor and timeout for run(),
 * set once in the main thread before any other thread starts.
 */
#include "engine.h"

#include <string.h>

static int native_fd = -1;
static int native_timeout;
static const struct pfilter *native_filter;

static int
native_listen(const char *spec, const struct pfilter *f, int timeout, char *why, size_t whylen)
{
	if ((native_fd = proto_listen(spec, why, whylen)) < 0)
		return -1;
	native_filter = f;
	native_timeout = timeout;
	return 0;
}

static int
native_run(const sigset_t *stop)
{
	return proto_run(native_fd, native_filter, native_timeout, stop);
}

const struct engine engine_native = {
	.name = "native",
	.listen = native_listen,
	.run = native_run,
	.getsym = pctx_getsym,
	.setpriv = pctx_setpriv,
	.getpriv = pctx_getpriv,
	.protocol = pctx_protocol,
	.setreply = pctx_setreply,
	.addheader = pctx_addheader,
	.insheader = pctx_insheader,
	.chgheader = pctx_chgheader,
	.addrcpt = pctx_addrcpt,
	.delrcpt = pctx_delrcpt,
	.chgfrom = pctx_chgfrom,
	.quarantine = pctx_quarantine,
};

const struct engine *
engine_by_name(const char *name)
{
	static const struct engine *const all[] = { &engine_native, &engine_libmilter };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
