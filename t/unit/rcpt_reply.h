/*
 * rcpt_reply.h - one test helper shared by the unit tests that drive the
 * session engine to RCPT (test_rcpt.c, test_greylist.c): the reply line a
 * recipient gets, "250" when accepted.  The line lives in a static buffer,
 * good until the next call.  Include after session.h and reply.h.
 */
#ifndef DOORMAN_T_RCPT_REPLY_H
#define DOORMAN_T_RCPT_REPLY_H

static const char *
rcpt(struct conn *c, const char *to)
{
	static char line[REPLY_LINE_MAX + 1];
	struct verdict v;

	session_rcpt(c, to, &v);
	if (v.action == ACTION_CONTINUE)
		return "250";
	reply_format(&v.reply, line, sizeof(line));
	return line;
}

#endif
