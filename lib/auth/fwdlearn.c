/*
 * fwdlearn.c - forwarders learned from DKIM (see fwdlearn.h)
 *
 * A placeholder of the shared base: nothing is learned yet.
 */
#include "fwdlearn.h"

#include "session.h"

bool
fwdlearn_known(struct conn *c)
{
	(void)c;
	return false;
}

void
fwdlearn_evidence(struct conn *c)
{
	(void)c;
}
