/*
 * test_ratelimit.c - rate limits through the engine on LMDB: the fixed
 * windows and their boundaries, each key kind (user, client, network,
 * sender domain), recipients at RCPT and messages at RCPT and at end of
 * message, dry run, a store that fails (accept and tempfail), and the
 * rules the loader refuses.  Every case counts under its own key (a user,
 * a client address, a domain of its own), so cases do not share counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "session.h"
#include "store.h"
#include "rcpt_reply.h"

static char dir[] = "/tmp/doorman-rate.XXXXXX";

#define OVER(to) "450 4.7.1 <" to ">: Rate limit exceeded, try again later"

static const char policy_text[] =
    "me: { hostnames = [ \"mx.example.org\" ]; };\n"
    "domains: { local = [ \"example.org\" ]; };\n"
    "default_policy = \"inbound\";\n"
    "policies: {\n"
    "  inbound: { listeners = [ \"inbound\" ];\n"
    "    ratelimit: { rules = (\n"
    "      { key = \"client\"; messages = 2; window = 3600; },\n"
    "      { key = \"network\"; recipients = 5; window = 3600; },\n"
    "      { key = \"sender_domain\"; recipients = 3; window = 3600;\n"
    "        reply = \"451 4.7.1 Too much mail from your domain\"; }\n"
    "    ); ipv4_prefix = 28; };\n"
    "  };\n"
    "  submission: { listeners = [ \"submission\" ];\n"
    "    ratelimit: { rules = ( { key = \"user\"; recipients = 3; messages = 10; window = 3600; } "
    "); };\n"
    "  };\n"
    "  dry: { listeners = [ \"dry\" ];\n"
    "    ratelimit: { rules = ( { key = \"client\"; recipients = 1; window = 3600;\n"
    "      action = \"dryrun\"; } ); };\n"
    "  };\n"
    "  short: { listeners = [ \"short\" ];\n"
    "    ratelimit: { rules = ( { key = \"client\"; recipients = 1; window = 2; } ); };\n"
    "  };\n"
    "  strict: { listeners = [ \"strict\" ];\n"
    "    ratelimit: { rules = ( { key = \"client\"; recipients = 1; window = 60; } );\n"
    "      store_failure = \"tempfail\"; };\n"
    "  };\n"
    "};\n";

static struct config *cfg;

static struct config *
load(const char *path, const char *text, struct errs *errs)
{
	char file[300];
	FILE *fp;

	snprintf(file, sizeof(file), "%s/doorman.conf", dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fprintf(fp, "store: { path = \"%s\"; };\n%s", path, text);
	fclose(fp);
	return config_load(file, errs);
}

static struct config *
load_ok(const char *path)
{
	struct errs errs = {0};
	struct config *c = load(path, policy_text, &errs);

	errs_print(&errs, stderr);
	errs_free(&errs);
	assert_non_null(c);
	return c;
}

static int
setup(void **state)
{
	char path[300];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state", dir);
	cfg = load_ok(path);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	config_unref(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the end of message: "250" or the reply line */
static const char *
eom(struct conn *s)
{
	static char line[REPLY_LINE_MAX + 1];
	struct eom_edits e;
	struct verdict v;

	session_eom(s, &v, &e);
	eom_edits_free(&e);
	session_end_message(s);
	if (v.action == ACTION_CONTINUE)
		return "250";
	reply_format(&v.reply, line, sizeof(line));
	return line;
}

/* one message with one recipient: the first reply that is not 250 */
static const char *
message(struct config *c, const char *listener, const char *addr, const char *from,
        const char *auth, const char *to)
{
	struct conn *s = start_mail(c, listener, addr, "client.example.net", from, auth);
	const char *r = rcpt(s, to);

	if (strcmp(r, "250") == 0)
		r = eom(s);
	conn_free(s);
	return r;
}

/* ---- windows ---- */

static void
window__fixed_and_aligned(void **state)
{
	int64_t w;
	long ttl;

	(void)state;
	ratelimit_window(0, 3600, &w, &ttl);
	assert_int_equal(w, 0);
	assert_int_equal(ttl, 3600);
	ratelimit_window(3599, 3600, &w, &ttl);
	assert_int_equal(w, 0);
	assert_int_equal(ttl, 1);
	ratelimit_window(3600, 3600, &w, &ttl);
	assert_int_equal(w, 1);
	assert_int_equal(ttl, 3600);
	ratelimit_window(1764900000, 60, &w, &ttl);
	assert_int_equal(w, 29415000);
	assert_int_equal(ttl, 60);
}

/* a window of 2 s: the limit is reached, and the next window starts at 0 */
static void
window__boundary_starts_a_new_count(void **state)
{
	time_t t0;

	(void)state;
	/* start just after a boundary, so the first two RCPTs share a window */
	for (int i = 0; i < 300 && ((t0 = time(NULL)) % 2 != 0); i++)
		usleep(10000);
	while (time(NULL) == t0 - 1)
		usleep(10000);
	struct conn *s = start_mail(cfg, "short", "198.51.100.30", "client.example.net",
	                            "<a@short.example>", NULL);
	assert_string_equal(rcpt(s, "<a@example.org>"), "250");
	assert_string_equal(rcpt(s, "<b@example.org>"), OVER("b@example.org"));
	while (time(NULL) / 2 == t0 / 2)
		usleep(20000);
	assert_string_equal(rcpt(s, "<c@example.org>"), "250");
	conn_free(s);
}

/* ---- key kinds ---- */

static void
user__recipients_limit_per_user(void **state)
{
	struct conn *s;

	(void)state;
	s = start_mail(cfg, "submission", "192.0.2.10", "client.example.net", "<alice@example.org>",
	               "alice");
	assert_string_equal(rcpt(s, "<r1@example.net>"), "250");
	assert_string_equal(rcpt(s, "<r2@example.net>"), "250");
	assert_string_equal(rcpt(s, "<r3@example.net>"), "250");
	assert_string_equal(rcpt(s, "<r4@example.net>"), OVER("r4@example.net"));
	conn_free(s);
	/* another user has a count of her own, from the same client */
	assert_string_equal(
	    message(cfg, "submission", "192.0.2.10", "<bob@example.org>", "bob", "<x@example.net>"),
	    "250");
	/* alice again, another connection: still over */
	assert_string_equal(message(cfg, "submission", "192.0.2.11", "<alice@example.org>", "alice",
	                            "<r5@example.net>"),
	                    OVER("r5@example.net"));
}

static void
client__messages_limit_at_rcpt_and_eom(void **state)
{
	struct conn *a, *b, *c;

	(void)state;
	/* three transactions under way at once: all pass RCPT with 0 sent;
	 * the third end of message passes the limit of 2 */
	a = start_mail(cfg, "inbound", "198.51.100.7", "client.example.net", "<s1@c1.example>",
	               NULL);
	b = start_mail(cfg, "inbound", "198.51.100.7", "client.example.net", "<s2@c2.example>",
	               NULL);
	c = start_mail(cfg, "inbound", "198.51.100.7", "client.example.net", "<s3@c3.example>",
	               NULL);
	assert_string_equal(rcpt(a, "<u@example.org>"), "250");
	assert_string_equal(rcpt(b, "<u@example.org>"), "250");
	assert_string_equal(rcpt(c, "<u@example.org>"), "250");
	assert_string_equal(eom(a), "250");
	assert_string_equal(eom(b), "250");
	assert_string_equal(eom(c), "450 4.7.1 Rate limit exceeded, try again later");
	conn_free(a);
	conn_free(b);
	conn_free(c);
	/* the limit reached: the next message is refused at RCPT */
	assert_string_equal(
	    message(cfg, "inbound", "198.51.100.7", "<s4@c4.example>", NULL, "<u@example.org>"),
	    OVER("u@example.org"));
	/* another address of the network is its own client */
	assert_string_equal(
	    message(cfg, "inbound", "198.51.100.8", "<s5@c5.example>", NULL, "<u@example.org>"),
	    "250");
}

static void
network__shared_by_the_prefix(void **state)
{
	(void)state;
	/* ipv4_prefix = 28: .33 .. .47 are one network, 5 recipients */
	for (int i = 0; i < 5; i++) {
		char addr[32], from[64];
		snprintf(addr, sizeof(addr), "203.0.113.%d", 33 + (i % 2) * 10);
		snprintf(from, sizeof(from), "<n%d@n%d.example>", i, i);
		/* one message per address at most twice: the client limit stays out of it */
		struct conn *s = start_mail(cfg, "inbound", addr, "client.example.net", from, NULL);
		assert_string_equal(rcpt(s, "<u@example.org>"), "250");
		conn_free(s);
	}
	assert_string_equal(
	    message(cfg, "inbound", "203.0.113.40", "<n@n.example>", NULL, "<v@example.org>"),
	    OVER("v@example.org"));
	/* the next /28 */
	assert_string_equal(
	    message(cfg, "inbound", "203.0.113.48", "<n@n.example>", NULL, "<v@example.org>"),
	    "250");
}

static void
sender_domain__own_reply_and_case(void **state)
{
	(void)state;
	assert_string_equal(
	    message(cfg, "inbound", "192.0.2.101", "<a@Bulk.Example>", NULL, "<u@example.org>"),
	    "250");
	assert_string_equal(
	    message(cfg, "inbound", "192.0.2.120", "<b@bulk.example>", NULL, "<u@example.org>"),
	    "250");
	assert_string_equal(
	    message(cfg, "inbound", "192.0.2.140", "<c@BULK.example>", NULL, "<u@example.org>"),
	    "250");
	assert_string_equal(
	    message(cfg, "inbound", "192.0.2.160", "<d@bulk.example>", NULL, "<u@example.org>"),
	    "451 4.7.1 <u@example.org>: Too much mail from your domain");
	/* the null sender has no domain: not counted by this rule */
	assert_string_equal(message(cfg, "inbound", "192.0.2.180", "<>", NULL, "<u@example.org>"),
	                    "250");
}

/* ---- dry run ---- */

static void
dryrun__accepted_and_counted(void **state)
{
	unsigned long before[RATELIMIT_NCOUNTS], after[RATELIMIT_NCOUNTS];
	struct conn *s;

	(void)state;
	ratelimit_counts(before);
	s = start_mail(cfg, "dry", "198.51.100.50", "client.example.net", "<d@dry.example>", NULL);
	assert_string_equal(rcpt(s, "<a@example.org>"), "250");
	assert_string_equal(rcpt(s, "<b@example.org>"), "250");
	assert_string_equal(rcpt(s, "<c@example.org>"), "250");
	conn_free(s);
	ratelimit_counts(after);
	assert_int_equal(after[RATELIMIT_DRYRUN] - before[RATELIMIT_DRYRUN], 2);
	assert_int_equal(after[RATELIMIT_OVER] - before[RATELIMIT_OVER], 0);
}

/* ---- a store that fails ---- */

static void
store_failure__accept_and_tempfail(void **state)
{
	unsigned long before[RATELIMIT_NCOUNTS], after[RATELIMIT_NCOUNTS];
	char path[300];
	struct config *bad;

	(void)state;
	/* a state directory others may write is refused: every operation fails */
	snprintf(path, sizeof(path), "%s/unsafe", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 0777), 0);
	bad = load_ok(path);
	ratelimit_counts(before);
	assert_string_equal(message(bad, "submission", "192.0.2.10", "<alice@example.org>", "alice",
	                            "<r@example.net>"),
	                    "250");
	assert_string_equal(
	    message(bad, "strict", "192.0.2.10", "<s@s.example>", NULL, "<u@example.org>"),
	    "451 4.3.0 <u@example.org>: Temporary failure of the rate limit state, try again "
	    "later");
	ratelimit_counts(after);
	/* RCPT and end of message of the first, RCPT of the second */
	assert_int_equal(after[RATELIMIT_STORE_FAILURE] - before[RATELIMIT_STORE_FAILURE], 3);
	config_unref(bad);
}

/* ---- the loader ---- */

static void
config__refused_rules(void **state)
{
	static const struct {
		const char *rules, *want;
	} cases[] = {
	    {"{ key = \"helo\"; messages = 1; window = 60; }",
	     "client, network, user or sender_domain"},
	    {"{ key = \"user\"; messages = 1; window = 0; }", "window 0 out of range 1..604800"},
	    {"{ key = \"user\"; messages = 1; window = 60; action = \"reject\"; }",
	     "a rate limit can only tempfail or dryrun"},
	    {"{ key = \"user\"; messages = 1; window = 60; reply = \"550 5.7.1 No\"; }",
	     "a rate limit's reply is a 4xx"},
	    {"{ key = \"user\"; window = 60; }", "a rule needs a key, a window and messages"},
	    {"{ key = \"user\"; messages = -1; window = 60; }", "messages -1 out of range"},
	    {"{ key = \"user\"; messages = 1; window = 60; burst = 2; }",
	     "\"burst\" is not a rule setting"},
	    {"\"user\"", "a rule is a group"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], all[4096] = "";
		struct errs errs = {0};
		struct config *c;

		snprintf(text, sizeof(text),
		         "default_policy = \"x\";\n"
		         "policies: { x: {\n ratelimit: { rules = (\n%s\n ); }; }; };\n",
		         cases[i].rules);
		c = load("/tmp", text, &errs);
		for (size_t j = 0; j < errs.n; j++)
			strncat(all, errs.v[j], sizeof(all) - strlen(all) - 1);
		/* refused at the rule's own line (5; libconfig places a scalar item
		 * at the line after) */
		if (c != NULL || strstr(all, cases[i].want) == NULL ||
		    (cases[i].rules[0] == '{' && strstr(all, ":5: ") == NULL))
			fail_msg("case %zu: loaded %d, errors \"%s\", want \"%s\"", i, c != NULL,
			         all, cases[i].want);
		errs_free(&errs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(window__fixed_and_aligned),
	    cmocka_unit_test(window__boundary_starts_a_new_count),
	    cmocka_unit_test(user__recipients_limit_per_user),
	    cmocka_unit_test(client__messages_limit_at_rcpt_and_eom),
	    cmocka_unit_test(network__shared_by_the_prefix),
	    cmocka_unit_test(sender_domain__own_reply_and_case),
	    cmocka_unit_test(dryrun__accepted_and_counted),
	    cmocka_unit_test(store_failure__accept_and_tempfail),
	    cmocka_unit_test(config__refused_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
