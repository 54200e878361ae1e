/*
 * log.c - logging (see log.h)
 *
 * The two settings below are written once by log_open() before any thread
 * starts and only read afterwards.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool log_stderr = true;
static const char *log_ident = "doorman";
static void (*log_sink)(void *arg, int prio, const char *line);
static void *log_sink_arg;

void
log_set_sink(void (*fn)(void *arg, int prio, const char *line), void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
log_open(const char *ident, bool to_stderr, int facility)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_msg(int prio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_sink != NULL) {
		log_sink(log_sink_arg, prio, buf);
	} else if (log_stderr) {
		static const char *const names[] = { "emerg", "alert", "crit", "error",
						     "warning", "notice", "info", "debug" };
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[prio & 7], buf);
		fflush(stderr);
	} else {
		syslog(prio, "%s", buf);
	}
}

int
log_facility_parse(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} facilities[] = {
		{ "mail", LOG_MAIL },     { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}
