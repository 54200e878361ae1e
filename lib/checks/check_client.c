/*
 * check_client.c - the client access list, at connect
 *
 * The client address is looked up in the policy's client.access file;
 * an entry's action decides, with its own reply or client.access_reply.
 * ACCEPT allowlists the client for the HELO and sender checks of this
 * connection (never for relaying: only networks.trusted and SMTP AUTH
 * allow that).  A client without an IP address (a unix socket, or the MTA
 * not telling) is not looked up.
 */
#include "check.h"

static void
client_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct access_entry *e;

	(void)st;
	if (!c->have_ip || (e = access_client(c->pol->client_access, &c->ip)) == NULL)
		return;
	access_verdict(e, "client_access", &c->pol->client_access_reply, NULL,
		       "listed in client.access", v);
	c->allowlisted = v->action == ACTION_ACCEPT;
}

const struct check check_client = {
	.name = "client_access",
	.stages = STAGE_BIT(STAGE_CONNECT),
	.exemptable = true,
	.run = client_run,
};
