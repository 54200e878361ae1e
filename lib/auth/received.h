/*
 * received.h - what a Received header field says about the hop it records
 *
 * NAME
 *	received_parse - the from-part (the client's HELO name, the name and
 *	address of its connection) and the by-part (the host that wrote the
 *	field) of one Received field value (RFC 5321 4.4)
 *
 * DESCRIPTION
 *	For learned forwarders (issue 12): once a client is known to be a
 *	store-and-forward relay, the Received field that relay added names the
 *	origin of the message.  A field written by anyone else is never read
 *	for trust: a client writes what it likes.  This parser only reads; the
 *	caller decides whose field it is (the by-part naming the forwarder).
 *
 *	The stamp's grammar is "from Extended-Domain by Extended-Domain ...",
 *	with the connection's address inside the parentheses after the
 *	from-domain ("TCP-info").  What the common MTAs write:
 *	  Postfix    from helo.example (rdns.example [192.0.2.1]) by mx ...
 *	             from helo.example (unknown [192.0.2.1]) by mx ...
 *	  Sendmail   from helo.example (rdns.example [192.0.2.1] (may be forged)) by ...
 *	             from helo.example ([192.0.2.1]) by ...
 *	  Exim       from rdns.example ([192.0.2.1]:25 helo=helo.example) by ...
 *	             from [192.0.2.1] (helo=helo.example) by ...
 *	  Microsoft  from host.example (2001:db8::1) by ...
 *	  Gmail      from mail.example (mail.example. [192.0.2.1]) by ...
 *	IPv6 literals are written [IPv6:2001:db8::1].  The address is the
 *	first address literal inside the from-part's parentheses (a comment
 *	nested in them included), else a bare word there that is an address,
 *	else the from-domain itself when it is an address literal (Exim with no
 *	verified name).
 *
 *	received_parse returns 0 with *out filled, or -1 when the value has no
 *	from-part or no address can be read from it (a field of the local
 *	submission kind, "by host (Postfix, from userid 0)", and garbage).
 *	Names are lowercased, a trailing dot dropped; a missing one is "".
 *	Pure, reentrant, bounded by len; never reads past value[len - 1].
 */
#ifndef DOORMAN_RECEIVED_H
#define DOORMAN_RECEIVED_H

#include <stddef.h>

#include "cidr.h"

struct received_from {
	char helo[256];     /* the from-domain: the name the client gave */
	char name[256];     /* the name in TCP-info (the MTA's rDNS), "" if none or "unknown" */
	struct ipaddr addr; /* the connection's address */
	char by[256];       /* the by-domain: the host that wrote the field */
};

int received_parse(const char *value, size_t len, struct received_from *out);

#endif
