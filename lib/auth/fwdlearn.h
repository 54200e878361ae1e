/*
 * fwdlearn.h - forwarders learned from DKIM-signed mail they relay
 * (issue 12.3; the rule is in doorman.conf(5), the store layout in
 * forwarder.h)
 *
 * fwdlearn_known - is the client a learned forwarder?  One store read,
 *	at connect; a store failure is logged and answers false (the
 *	client's own results apply: nothing is opened).
 * fwdlearn_evidence - at end of message, once the DKIM results are in:
 *	count the message as evidence when the rule says so, and learn the
 *	client when the evidence is enough.  Writes nothing while tracing.
 */
#ifndef DOORMAN_FWDLEARN_H
#define DOORMAN_FWDLEARN_H

#include <stdbool.h>

struct conn;

bool fwdlearn_known(struct conn *c);
void fwdlearn_evidence(struct conn *c);

#endif
