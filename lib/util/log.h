/*
 * log.h - logging to syslog (default) or stderr (foreground)
 *
 * log_open() is called once at start, before threads; after that every
 * function here is thread-safe (syslog(3) is, and stderr lines are written
 * with one locked stdio call).
 */
#ifndef DOORMAN_LOG_H
#define DOORMAN_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_open(const char *ident, bool to_stderr, int facility);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_set_sink - from now on every line goes to fn instead (doorman -t
 * collects them into its trace); set once, before threads. */
void log_set_sink(void (*fn)(void *arg, int prio, const char *line), void *arg);

/* log_facility_parse - "mail", "local0".."local7", "daemon", "user": or -1. */
int log_facility_parse(const char *name);

#endif
