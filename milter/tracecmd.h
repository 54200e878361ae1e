/*
 * tracecmd.h - doorman -t: explain a verdict without an MTA (tracecmd.c, traceout.c)
 */
#ifndef DOORMAN_TRACECMD_H
#define DOORMAN_TRACECMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "reply.h"

#define TRACE_RCPT_MAX 100

struct trace_opts {
	const char *addr;     /* -a: the client address (required) */
	const char *name;     /* -N: the client's host name as the MTA gives it */
	const char *helo;     /* -H */
	const char *listener; /* -l: the MTA's {daemon_name} */
	const char *policy;   /* -p: a policy by name (instead of -l) */
	const char *auth;     /* -u: the SMTP AUTH user ({auth_authen}) */
	const char *sender;   /* -s (required; "" is the null sender) */
	const char *rcpt[TRACE_RCPT_MAX]; /* -r, at least one */
	int nrcpt;
	const char *msgfile;  /* -m: the message (header and body), or NULL */
	bool json;            /* -j */
};

/* One session call (connect, helo, mail, each rcpt, data, eom) and the
 * trace events it produced, [first, last). */
struct trace_step {
	int stage;           /* enum stage */
	char arg[600];       /* the HELO name, sender or recipient as given */
	size_t first, last;
	struct verdict v;    /* what the MTA would be told at this step */
	const char *held;    /* a rule whose verdict waits for RCPT (delay_reject), or NULL */
};

#define TRACE_STEPS_MAX (TRACE_RCPT_MAX + 6)

/* What the printer (traceout.c) reads. */
struct trace_report {
	const char *config;   /* the policy file */
	const char *policy;   /* the policy's name */
	char client[600];     /* name[address] */
	const char *store;    /* what the trace did about the state store */
	struct trace_step steps[TRACE_STEPS_MAX];
	size_t nsteps;
	bool no_message;      /* no -m: DATA and the end of message not run */
	unsigned accepted;    /* recipients accepted */
	unsigned nrcpt;       /* of so many */
	struct verdict decision; /* the outcome; ACTION_CONTINUE: accepted */
	int decided_stage;    /* where the decision came, -1: none */
	char *authres, *received_spf, *tag; /* header fields that would be added */
	char quarantine[300];
	char new_sender[600]; /* SRS or BATV: the envelope sender it would change to, or "" */
	int exit;
	const struct trace *t;
};

/* trace_print - the report for people, or as one JSON object. */
void trace_print(const struct trace_report *r, bool json, FILE *out);

/* trace_opt - one trace option letter with its argument: 0, or -1 when it
 * is not one (or is given too often). */
int trace_opt(struct trace_opts *o, int ch, const char *arg);

/* trace_run - the session with the policy in config_path, printed on
 * stdout.  Exit status: 0 accept, 1 reject, 2 tempfail, 3 usage or policy
 * error (said on stderr). */
int trace_run(const char *config_path, const struct trace_opts *o);

#endif
