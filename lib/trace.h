/*
 * trace.h - what one session did, for `doorman -t` (milter/trace.c)
 *
 * NAME
 *	trace - the event sink of a traced session: every check that ran and
 *	its result, every DNS query and its answer, the facts the checks used
 *
 * DESCRIPTION
 *	A struct conn carries a trace pointer: NULL in the daemon, where every
 *	hook below returns at once (one test of a pointer: the mail path pays
 *	nothing else), and a struct trace under `doorman -t`.  The session and
 *	the checks call the hooks with what they have at hand; each hook is one
 *	line at its call site.  Events are kept in order, tagged with the stage
 *	and the check that was running (trace_at), and read back by the
 *	printer (milter/trace.c) once the session is over.
 *
 *	A conn with a trace is also the sign that nothing may be written:
 *	code that keeps state across messages (greylisting, counters, DMARC
 *	history rows) asks session_tracing() and writes nothing.  The state
 *	store is put in read-only mode for the whole process as well
 *	(store_readonly), so a check that forgets to ask still writes nothing.
 *
 * THREADS
 *	A trace belongs to one connection, used by one thread at a time, as
 *	the conn is; the trace driver runs one connection only.  Log lines
 *	(trace_log) may come from another thread: the event list is locked.
 */
#ifndef DOORMAN_TRACE_H
#define DOORMAN_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "dns.h"
#include "reply.h"

enum trace_kind {
	TRACE_CHECK, /* a check ran: text1 its result (action), text2 rule, text3 reason */
	TRACE_SKIP,  /* a check did not run: text1 why */
	TRACE_DNS,   /* text1 the query, text2 its type, text3 status[/why], rr[] the answer,
	                zone the list's zone (or NULL) */
	TRACE_FACT,  /* text1 a label ("spf.mailfrom", "dkim", "dmarc.record"), text2 what */
	TRACE_LOG,   /* text1 a log line the session wrote */
};

struct trace_event {
	enum trace_kind kind;
	int stage;         /* enum stage (session.h) */
	const char *check; /* static: the check that was running, or "session" */
	char *text1, *text2, *text3;
	char *zone;        /* TRACE_DNS: the list the query was for, or NULL */
	char **rr;
	int nrr;
};

struct trace {
	pthread_mutex_t lock; /* guards ev, n, cap: log lines may come from the resolver's thread */
	int stage;         /* where the session is (trace_at) */
	const char *check; /* static */
	struct trace_event *ev;
	size_t n, cap;
};

struct trace *trace_new(void);
void trace_free(struct trace *t);

/* trace_at - the stage and check the next events belong to. */
void trace_ev_at(struct trace *t, int stage, const char *check);
/* trace_check - the check trace_at named ended with verdict v. */
void trace_ev_check(struct trace *t, const struct verdict *v);
/* trace_skip - the check trace_at named did not run, and why. */
void trace_ev_skip(struct trace *t, const char *why);
/* trace_dns - every query of a batch that was waited for, with its answer. */
void trace_ev_dns(struct trace *t, const struct dns_batch *b);
/* trace_fact - a labelled fact in printf form. */
void trace_ev_fact(struct trace *t, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* trace_spf, trace_dkim - the SPF results, each DKIM signature's result. */
void trace_ev_spf(struct trace *t, const struct auth_msg *a);
void trace_ev_dkim(struct trace *t, const struct auth_msg *a);
void trace_ev_dmarc(struct trace *t, const struct dmarc_fact *d);
/*
 * The hooks the session and the checks call: with no trace (the daemon)
 * each is one test of a pointer, and its arguments are not evaluated (a
 * fact's text may cost a lookup or an alignment test).
 */
#define trace_at(t, stage, check) do { if ((t) != NULL) trace_ev_at((t), (stage), (check)); } while (0)
#define trace_check(t, v) do { if ((t) != NULL) trace_ev_check((t), (v)); } while (0)
#define trace_skip(t, why) do { if ((t) != NULL) trace_ev_skip((t), (why)); } while (0)
#define trace_dns(t, b) do { if ((t) != NULL) trace_ev_dns((t), (b)); } while (0)
#define trace_fact(t, ...) do { if ((t) != NULL) trace_ev_fact((t), __VA_ARGS__); } while (0)
#define trace_spf(t, a) do { if ((t) != NULL) trace_ev_spf((t), (a)); } while (0)
#define trace_dkim(t, a) do { if ((t) != NULL) trace_ev_dkim((t), (a)); } while (0)
#define trace_dmarc(t, d) do { if ((t) != NULL) trace_ev_dmarc((t), (d)); } while (0)

/* trace_log - a log line (the driver makes it log.c's sink). */
void trace_log(void *t, int prio, const char *line);

#endif
