/*
 * rcpt_reply.h - one test helper shared by the unit tests that drive the
 * session engine to RCPT (test_rcpt.c, test_greylist.c, test_ratelimit.c):
 * a session brought to MAIL FROM, and the reply line a recipient gets,
 * "250" when accepted.  The line lives in a static buffer, good until the
 * next call.  Include after cmocka.h, session.h and reply.h.
 */
#ifndef DOORMAN_T_RCPT_REPLY_H
#define DOORMAN_T_RCPT_REPLY_H

/* a session of cfg's listener from addr (named host), through HELO and a
 * MAIL FROM that must go on; auth is the SMTP AUTH user or NULL */
static inline struct conn *
start_mail(struct config *cfg, const char *listener, const char *addr, const char *host,
           const char *from, const char *auth)
{
	struct conn_info ci = {listener, host, addr, NULL, NULL};
	struct conn *c = conn_new(config_ref(cfg), &ci);
	struct verdict v;

	session_connect(c, &v);
	session_helo(c, "client.example.net", &v);
	session_mail(c, from, auth, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	return c;
}

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
