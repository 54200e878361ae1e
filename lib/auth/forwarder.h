/*
 * forwarder.h - store-and-forward relays: listed by hand or learned from
 * DKIM-signed mail they relay (issue 12; the rule is in doorman.conf(5))
 *
 * NAME
 *	forwarder_origin - the hop a forwarder's own Received field records
 *	forwarder_key - the store keys of a client's forwarder state
 *
 * DESCRIPTION
 *	Received fields are forgeable: any client writes what it likes.  The
 *	one field doorman ever reads is the one the client itself added, and
 *	it trusts what it names only when the client is a forwarder (listed
 *	in forwarders.networks or learned), or, for learning, when the
 *	signing domain's own SPF vouches for the address it names.
 *
 *	forwarder_origin finds that field among the message's first Received
 *	fields (struct msg keeps FWD_RECEIVED_KEPT of them, top first): the
 *	MTA passes its own field (from the client, by us) first, so the
 *	topmost one is skipped when its from-part address is the client's;
 *	the next one is the client's only when its by-part names the client:
 *	its HELO name, the MTA's name for it or its verified PTR name (case
 *	and a trailing dot aside).  Its from-part is the origin (never the
 *	client itself).  Returns 0 with *out filled, or -1 (no such field:
 *	no origin).
 *
 *	forwarder_key lays out the store keys (the only place that does):
 *	ns "fwd" (the learned record), "fwdev" (evidence messages), "fwdnd"
 *	(distinct domains) with the client's address as a full-length
 *	network, and "fwdd" with the organizational domain after it (domain
 *	NULL for the other three).
 */
#ifndef DOORMAN_FORWARDER_H
#define DOORMAN_FORWARDER_H

#include "cidr.h"
#include "received.h"

struct conn;
struct store_key;

#define FWD_RECEIVED_KEPT 4 /* Received fields a message keeps, top first */

enum fwd_kind {
	FWD_NONE = 0,
	FWD_LISTED,  /* forwarders.networks */
	FWD_LEARNED, /* the store's "fwd" record */
};

const char *forwarder_kind_name(enum fwd_kind k);

int forwarder_origin(const struct conn *c, struct received_from *out);

void forwarder_key(const struct ipaddr *x, const char *ns, const char *domain,
		   struct store_key *k);

#endif
