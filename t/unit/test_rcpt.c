/*
 * test_rcpt.c - recipient validation through the engine (lists, patterns,
 * aliases, callout to t/lib/smtpfake.c on 127.0.0.1:17303, nothing on
 * 17304), one verdict per recipient, alias rewriting at end of message,
 * and the policy errors of the recipient settings
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callout.h"
#include "config.h"
#include "session.h"
#include "rcpt_reply.h"

static struct config *cfg;
static pid_t server;

static int
setup(void **state)
{
	struct errs errs = { 0 };

	(void)state;
	if ((server = fork()) == 0) {
		execl(SMTPFAKE, "smtpfake", "17303", T_DATA "/callout_users", "/dev/null", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	cfg = config_load(T_DATA "/recipients.conf", &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	return cfg ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	config_unref(cfg);
	callout_shutdown();
	return 0;
}

static struct conn *
start(const char *from)
{
	struct conn_info ci = { "inbound", "client.example.net", "203.0.113.5", NULL, NULL };
	struct conn *c = conn_new(config_ref(cfg), &ci);
	struct verdict v;

	session_connect(c, &v);
	session_helo(c, "client.example.net", &v);
	session_mail(c, from, NULL, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	return c;
}

static void
rcpt__table__verdicts(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "<s@example.net>", "<alice@example.org>", "250" },
		{ "<s@example.net>", "<ALICE+news@Example.org>", "250" },
		{ "<s@example.net>", "<carol@example.org>", "250" },
		{ "<s@example.net>", "<dave@example.org>",
		  "550 5.1.1 <dave@example.org>: Recipient address rejected: User unknown" },
		{ "<s@example.net>", "<postmaster@example.org>", "250" }, /* pattern accept, not listed */
		{ "<s@example.net>", "<trap7@example.org>", "550 5.1.1 <trap7@example.org>: No such user here" },
		{ "<s@bulk.example>", "<alice@example.org>", "451 4.7.1 <alice@example.org>: Later, bulk sender" },
		{ "<s@example.net>", "<sales@example.org>", "250" },	 /* an alias, targets listed */
		{ "<s@example.net>", "<alice@old.example>", "250" },	 /* domain alias to a listed user */
		{ "<s@example.net>", "<joe@old.example>",
		  "550 5.1.1 <joe@old.example>: Recipient address rejected: User unknown" },
		{ "<s@example.net>", "<alice@callout.example>", "250" },
		{ "<s@example.net>", "<zed@callout.example>",
		  "550 5.1.1 <zed@callout.example>: Recipient address rejected: User unknown" },
		{ "<s@example.net>", "<busy@callout.example>",
		  "451 4.3.0 <busy@callout.example>: Recipient address verification failed, try again later" },
		{ "<s@example.net>", "<alice@down.example>",
		  "451 4.3.0 <alice@down.example>: Recipient address verification failed, try again later" },
		{ "<s@example.net>", "<u@remote.example>", "554 5.7.1 <u@remote.example>: Relay access denied" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = start(cases[i].from);
		const char *got = rcpt(c, cases[i].to);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: %s: got \"%s\", want \"%s\"", i, cases[i].to, got, cases[i].want);
		conn_free(c);
	}
}

static void
rcpt__one_unknown__others_go_on(void **state)
{
	struct conn *c = start("<s@example.net>");

	(void)state;
	assert_string_equal(rcpt(c, "<alice@example.org>"), "250");
	assert_string_equal(rcpt(c, "<nobody@example.org>"),
			    "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown");
	assert_string_equal(rcpt(c, "<bob@example.org>"), "250");
	assert_int_equal(c->msg.naccepted, 2);
	conn_free(c);
}

static int
record(void *arg, const char *addr, bool add)
{
	char *buf = arg;

	snprintf(buf + strlen(buf), 512 - strlen(buf), "%s%s ", add ? "+" : "-", addr);
	return 0;
}

static int
refuse(void *arg, const char *addr, bool add)
{
	(void)arg;
	(void)addr;
	(void)add;
	return -1;
}

static void
rewrite__aliases__deleted_added_once(void **state)
{
	struct conn *c = start("<s@example.net>");
	char edits[512] = "";
	struct verdict v = { 0 };

	(void)state;
	assert_string_equal(rcpt(c, "<Sales@example.org>"), "250");
	assert_string_equal(rcpt(c, "<alice@example.org>"), "250");
	assert_string_equal(rcpt(c, "<keep@example.org>"), "250");
	assert_string_equal(rcpt(c, "<info@example.org>"), "250");
	session_rewrite_rcpts(c, record, edits, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	/* alice is a recipient already, bob is added once, keep keeps its copy */
	assert_string_equal(edits, "-<Sales@example.org> +<bob@example.org> +<archive@example.org> "
				   "-<info@example.org> +<carol@example.org> ");
	session_end_message(c);
	conn_free(c);
}

static void
rewrite__mta_refuses__tempfail(void **state)
{
	struct conn *c = start("<s@example.net>");
	struct verdict v = { 0 };

	(void)state;
	assert_string_equal(rcpt(c, "<sales@example.org>"), "250");
	session_rewrite_rcpts(c, refuse, NULL, &v);
	assert_int_equal(v.action, ACTION_TEMPFAIL);
	assert_int_equal(v.reply.code, 451);
	conn_free(c);
}

static void
config__recipient_settings__file_line_errors(void **state)
{
	char path[] = "/tmp/doorman-rcptconf.XXXXXX";
	struct errs errs = { 0 };
	FILE *fp = fdopen(mkstemp(path), "w");
	static const char *const want[] = {
		":4: recipients.lists: cannot read /nonexistent: No such file",
		":5: recipients.callout: \"smtp:localhost:25\" is not smtp:ADDRESS:PORT",
		":6: recipients.callout_timeout: 20000 out of range 100..8000 milliseconds",
		":7: recipients.separators: separators are printable characters other than '@'",
		":8: recipients.patterns: cannot read /nonexistent/patterns",
	};

	(void)state;
	fprintf(fp, "milter: { socket = \"inet:17998@127.0.0.1\"; user = \"\"; pidfile = \"\"; };\n"
		    "policies: {\n"
		    "  p: {\n"
		    "    recipients: { lists = [ \"example.org=/nonexistent\" ];\n"
		    "      callout = [ \"example.net=smtp:localhost:25\" ];\n"
		    "      callout_timeout = 20000;\n"
		    "      separators = \"@\";\n"
		    "      patterns = \"/nonexistent/patterns\"; };\n"
		    "  };\n"
		    "};\n");
	fclose(fp);
	assert_null(config_load(path, &errs));
	errs_print(&errs, stderr);
	assert_int_equal(errs.n, 5);
	for (size_t i = 0; i < 5; i++) {
		char w[300];
		snprintf(w, sizeof(w), "%s%s", path, want[i]);
		bool found = false;
		for (size_t j = 0; j < errs.n; j++)
			found = found || strstr(errs.v[j], w) != NULL;
		if (!found)
			fail_msg("no error \"%s\"", w);
	}
	errs_free(&errs);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rcpt__table__verdicts),
		cmocka_unit_test(rcpt__one_unknown__others_go_on),
		cmocka_unit_test(rewrite__aliases__deleted_added_once),
		cmocka_unit_test(rewrite__mta_refuses__tempfail),
		cmocka_unit_test(config__recipient_settings__file_line_errors),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
