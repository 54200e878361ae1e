/*
 * srs.h - the Sender Rewriting Scheme, as postsrsd (libsrs2's scheme) writes it
 *
 * NAME
 *	srs - rewrite the envelope sender of forwarded mail, and back
 *
 * DESCRIPTION
 *	srs_forward() rewrites the sender user@domain of a message an alias
 *	sends off-site into an address of ours:
 *	    SRS0=HHHH=TT=domain=user@srs.domain
 *	and a sender that is SRS already (a forwarder before us) into
 *	    SRS0=...=user@fwd      -> SRS1=HHHH=fwd==...=user@srs.domain
 *	    SRS1=hash=fwd==...@x   -> SRS1=HHHH=fwd==...@srs.domain
 *	TT is the day (seconds / 86400, modulo 1024) in two base32 letters;
 *	HHHH the first four base64 characters of HMAC-SHA1 under the first
 *	secret of the lower-cased TT, domain and user (SRS0) or of the
 *	forwarder and the rest (SRS1).  The separator after SRS0/SRS1 is
 *	'=' (or '+' or '-', postsrsd's -a); the others are always '='.
 *
 *	srs_reverse() reads a recipient's local part: SRS_NOT_SRS when it
 *	is not SRS0/SRS1; SRS_BAD when malformed or no secret gives its hash
 *	(compared without case, as postsrsd does); SRS_EXPIRED when an SRS0
 *	timestamp is more than max_age days old; SRS_VALID with the address
 *	to deliver to (user@domain, or the previous forwarder's SRS0 address
 *	for an SRS1).  Both directions agree with postsrsd 1.10 given the
 *	same secret (tested against it in t/mta/fwd.t.sh).
 *
 * CONCURRENCY
 *	Pure and reentrant.
 */
#ifndef DOORMAN_SRS_H
#define DOORMAN_SRS_H

#include <stddef.h>

#include "keyfile.h"

enum srs_result { SRS_VALID, SRS_NOT_SRS, SRS_BAD, SRS_EXPIRED };

/* srs_forward - the SRS address of user@domain into out; -1 if too long */
int srs_forward(const struct keyset *k, const char *user, const char *domain, const char *srs_domain,
		char sep, long now, char *out, size_t outlen);

/* srs_reverse - see above; out gets the original address on SRS_VALID */
enum srs_result srs_reverse(const struct keyset *k, const char *local, long now, long max_age,
			    char *out, size_t outlen);

/* srs_is_srs - does local start as an SRS0 or SRS1 address? */
int srs_is_srs(const char *local);

const char *srs_result_name(enum srs_result r);

#endif
