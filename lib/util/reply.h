/*
 * reply.h - actions, verdicts and SMTP replies
 *
 * Every decision doorman makes is a verdict: an action, the rule that fired,
 * and the reply the client will see.  reply.c is the one place that builds
 * replies; it guarantees a 4xx only for tempfail, a 5xx only for reject, an
 * enhanced status code whose class agrees with the code, printable text and
 * a reply line that fits in an SMTP line.
 */
#ifndef DOORMAN_REPLY_H
#define DOORMAN_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* When you add an action, also update action_names[] in reply.c and the
 * ACTIONS section of man/doorman.conf.5. */
enum action {
	ACTION_CONTINUE = 0, /* no decision: go on with the next check */
	ACTION_ACCEPT,       /* allowlisted: skip the remaining checks of the stage */
	ACTION_REJECT,       /* 5xx */
	ACTION_TEMPFAIL,     /* 4xx */
	ACTION_DRYRUN,       /* log what the rule would have done, then go on */
};

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
#define REPLY_LINE_MAX 510
#define REPLY_TEXT_MAX 400
#define REPLY_ECODE_MAX 16

struct reply {
	int code;                     /* 0 = no reply set */
	char ecode[REPLY_ECODE_MAX];  /* "5.7.1" */
	char text[REPLY_TEXT_MAX + 1];
	int line;                     /* policy file line it came from, 0 = default */
};

/* A configured rule: what to do when the check fires, and what to say. */
struct rule {
	enum action action;
	struct reply reply;
};

struct verdict {
	enum action action;
	enum action would;   /* for ACTION_DRYRUN: the action not taken */
	const char *rule;    /* static name of the rule that fired */
	const char *reason;  /* static detail for the log, may be NULL */
	bool binds_exempt;   /* held, it is given to exempt clients too (spf.trusted) */
	struct reply reply;
};

const char *action_name(enum action a);
int action_parse(const char *s, enum action *out);

/*
 * reply_parse - parse "554 5.7.1 text" into r.  Returns 0, or -1 with a
 * reason in why.  The code must be 4xx or 5xx, the enhanced code must have
 * the same class, the text must be printable ASCII and the line must fit.
 */
int reply_parse(const char *s, struct reply *r, char *why, size_t whylen);

/* reply_agrees - is r a proper reply for action a (5 for reject, 4 for tempfail)? */
bool reply_agrees(enum action a, const struct reply *r);

/*
 * reply_build - the reply sent for action a, ACTION_REJECT or ACTION_TEMPFAIL
 * (a dry run builds the reply of the action it would have taken).  The configured reply is taken as it is when
 * its class agrees; otherwise its first digits are changed to the action's
 * class (like Postfix's soft_bounce), so a tempfail can never go out as a
 * 5xx.  prefix (may be NULL), e.g. "<user@example.com>: ", is put before the
 * text after replacing unprintable bytes; the text is cut to fit the line.
 */
void reply_build(enum action a, const struct reply *configured, const char *prefix,
		 struct reply *out);

/* reply_format - "554 5.7.1 text" into buf. */
void reply_format(const struct reply *r, char *buf, size_t len);

/* reply_class_action - the action a reply's class stands for (5 reject, 4 tempfail). */
enum action reply_class_action(const struct reply *r);

/* verdict_set - fill v from a fired rule; the reply is built for rule->action.
 * A rule whose action is accept leaves v at ACTION_CONTINUE. */
void verdict_set(struct verdict *v, const char *rule_name, const struct rule *rule,
		 const char *prefix, const char *reason);

/* verdict_set_action - like verdict_set with an explicit action and reply. */
void verdict_set_action(struct verdict *v, const char *rule_name, enum action a,
			const struct reply *r, const char *prefix, const char *reason);

#endif
