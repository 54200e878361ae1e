/*
 * check.c - the registry of checks, in the order they run within a stage
 *
 * Order matters as in a Postfix restriction list: at RCPT the relay
 * decision comes first, so nothing a later check says can open a relay.
 */
#include "check.h"

#include <stddef.h>

const struct check *const checks[] = {
	&check_client,
	&check_forwarder, /* before the DNSBL check: a forwarder's score is its origin's */
	&check_dnsbl,
	&check_fcrdns,
	&check_helo,
	&check_relay,
	&check_fwd, /* BATV and SRS recipients untagged before they are validated */
	&check_rcpt, /* recipient validation right after relay, as reject_unlisted_recipient */
	&check_greylist, /* after relay and recipient validation: nothing stored for those refused */
	&check_sender,
	&check_sender_dns,
	&check_rhsbl,
	&check_spf,
	&check_ratelimit, /* the last RCPT check: a recipient another check refused is not counted */
	NULL,
};
