/*
 * auth.c - what SPF, DKIM and DMARC share (see auth.h)
 */
#include "auth.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static __thread struct conn *current;

void
auth_current_set(struct conn *c)
{
	current = c;
}

struct conn *
auth_current(void)
{
	return current;
}

long long
auth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long
auth_left_ms(long long t)
{
	long long left = t - auth_now_ms();

	return left < 0 ? 0 : (long)left;
}

const char *
auth_result_name(enum auth_result r)
{
	static const char *const names[] = {
		[AUTH_UNSET] = "unset",		[AUTH_NONE] = "none",	    [AUTH_PASS] = "pass",
		[AUTH_FAIL] = "fail",		[AUTH_SOFTFAIL] = "softfail", [AUTH_NEUTRAL] = "neutral",
		[AUTH_POLICY] = "policy",	[AUTH_TEMPERROR] = "temperror",
		[AUTH_PERMERROR] = "permerror",
	};
	return names[r];
}

void
auth_msg_reset(struct auth_msg *m)
{
	dkimv_free(m->dkim);
	free(m->ar_forged);
	memset(m, 0, sizeof(*m));
}

int
auth_init(const char *psl, const char *me, char *why, size_t whylen)
{
	if (spf_init(me, why, whylen) < 0 || dkim_lib_init(why, whylen) < 0 ||
	    dmarc_lib_init(psl, why, whylen) < 0)
		return -1;
	return 0;
}

void
auth_shutdown(void)
{
	spf_shutdown();
	dkim_lib_shutdown();
	dmarc_lib_shutdown();
}
