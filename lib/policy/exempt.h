/*
 * exempt.h - exemption lists: who a check (greylisting) leaves alone
 *
 * NAME
 *	exempt - entries by client network, client name, sender or recipient
 *
 * DESCRIPTION
 *	A file of lines "KIND VALUE" (blank lines and '#' comments as every
 *	policy data file, linefile.h), for senders a check must not delay:
 *	those that retry from large pools of addresses, say.
 *	    client 192.0.2.0/24       the client address is in this block
 *	    name   mail.example.com   the client's name (as the MTA verified it) is this
 *	    name   .example.com       ... ends with this (a subdomain of example.com)
 *	    sender user@example.com   the envelope sender is this address
 *	    sender @example.com       ... is in this domain
 *	    sender .example.com       ... is in a subdomain of it
 *	    rcpt   postmaster@        the recipient's local part is this, any domain
 *	    rcpt   user@example.com, rcpt @example.com, rcpt .example.com: as sender
 *	Names and addresses match without regard to ASCII case.
 *	exempt_load() reports each bad line as file:line: reason.
 *
 * THREADS
 *	A loaded list is immutable (part of a config snapshot); exempt_match
 *	is reentrant.
 */
#ifndef DOORMAN_EXEMPT_H
#define DOORMAN_EXEMPT_H

#include "cidr.h"
#include "errs.h"

struct exempt_list;

/* exempt_load - the list, or NULL with the errors in errs. */
struct exempt_list *exempt_load(const char *path, struct errs *errs);
void exempt_free(struct exempt_list *l);

/*
 * exempt_match - the line number of the first entry that matches, or 0.
 * ip may be NULL (no address), name "" or "unknown" (no name), sender ""
 * (the null sender), rcpt "user@domain".
 */
int exempt_match(const struct exempt_list *l, const struct ipaddr *ip, const char *name,
                 const char *sender, const char *rcpt);

#endif
