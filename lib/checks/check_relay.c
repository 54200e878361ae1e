/*
 * check_relay.c - relay authorization, at RCPT
 *
 * A recipient is accepted when the client may relay (networks.trusted, or
 * authenticated with SMTP AUTH: the {auth_authen} macro, never an AUTH=
 * parameter of MAIL FROM, which any client can write), or when it resolves
 * to a local or relay domain without any routing device.  As Postfix with
 * allow_untrusted_routing = no and resolve_dequoted_address = yes: a
 * source route, or '%', '!' or '@' in the local part (quoted or not) is a
 * relay attempt however the domain reads, because some host down the line
 * may honour it.  A source route alone is not: RFC 5321 3.6.1 and
 * Appendix C tell a server to ignore it and deliver to the final address,
 * as Postfix does, so <@a,@b:u@c> is decided as u@c (refused, with reason
 * source_route, when c is neither local nor a relay domain).  An address
 * literal is ours only when it is one of me.addresses.  A recipient without a domain is refused, except
 * "postmaster" (RFC 5321 4.5.1).  Trusted and authenticated clients are
 * not limited: they may relay anywhere.
 */
#include <stdio.h>
#include <strings.h>

#include "check.h"
#include "domlist.h"

/* where the final address (a source route aside) goes */
static enum relay_dest
final_dest(const struct config *cfg, const struct addr *a, const char **why)
{
	if (a->domain[0] == '\0') {
		if (strcasecmp(a->local, "postmaster") == 0)
			return DEST_LOCAL;
		*why = "no_domain";
		return DEST_REMOTE;
	}
	if (a->ip_literal) {
		if (cidrlist_match(&cfg->me_addresses, &a->ip) >= 0)
			return DEST_LOCAL;
		*why = "address_literal";
		return DEST_REMOTE;
	}
	if (domlist_match(&cfg->local_domains, a->domain))
		return DEST_LOCAL;
	if (domlist_match(&cfg->relay_domains, a->domain))
		return DEST_RELAY;
	*why = "remote_domain";
	return DEST_REMOTE;
}

enum relay_dest
relay_resolve(const struct config *cfg, const struct addr *a, const char **why)
{
	unsigned routing = a->routing & ~ADDR_R_SOURCE_ROUTE; /* the route is ignored */
	enum relay_dest d;

	*why = NULL;
	if (routing) {
		*why = addr_routing_text(routing);
		return DEST_ROUTING;
	}
	d = final_dest(cfg, a, why);
	if (d == DEST_REMOTE && (a->routing & ADDR_R_SOURCE_ROUTE)) {
		*why = addr_routing_text(ADDR_R_SOURCE_ROUTE);
		return DEST_ROUTING;
	}
	return d;
}

/* The recipient being checked is c->msg.rcpt, set by session_rcpt(). */
static void
relay_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct addr *a = &c->msg.rcpt;
	char prefix[sizeof(c->msg.rcpt_text) + 4];
	const char *why;

	(void)st;
	if (c->trusted || c->msg.auth[0] != '\0')
		return;
	snprintf(prefix, sizeof(prefix), "<%s>: ", c->msg.rcpt_text);
	if (!c->msg.rcpt_parsed) {
		verdict_set(v, "relay", &c->pol->relay, prefix, "bad_recipient_syntax");
		return;
	}
	if (relay_resolve(c->cfg, a, &why) == DEST_LOCAL || why == NULL)
		return;
	verdict_set(v, "relay", &c->pol->relay, prefix, why);
}

const struct check check_relay = {
	.name = "relay",
	.stages = STAGE_BIT(STAGE_RCPT),
	.exemptable = false,
	.run = relay_run,
};
