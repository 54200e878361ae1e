/*
 * clockstep.c - LD_PRELOAD shim: the wall clock jumps an hour ahead
 *
 * Once the file named by $CLOCKSTEP_FILE exists, time() and
 * clock_gettime(CLOCK_REALTIME) answer an hour later than the system
 * clock; every other clock is left alone.  t/proto uses it to step the
 * wall clock of one doorman (never the machine's): idle connections must
 * not be closed by it (issue 14: idle timeouts on CLOCK_MONOTONIC).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define STEP 3600

static int
stepped(void)
{
	const char *f = getenv("CLOCKSTEP_FILE");

	return f != NULL && access(f, F_OK) == 0;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && id == CLOCK_REALTIME && stepped())
		ts->tv_sec += STEP;
	return rc;
}

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (t != NULL)
		*t = now;
	return now;
}
