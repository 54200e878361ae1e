/*
 * test_config.c - loading the policy file: values, defaults, and every
 * error path with its file:line
 *
 * Each bad-file case is written to a fresh temporary directory, so the
 * text of the file and the error it must give sit side by side below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* Load text as t.conf; return the errors joined by newlines. */
static char *
load_errors(const char *text, struct config **out)
{
	static char joined[8192];
	struct errs errs = { 0 };
	char path[256];
	struct config *c;

	write_file("t.conf", text);
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	c = config_load(path, &errs);
	joined[0] = '\0';
	for (size_t i = 0; i < errs.n; i++) {
		strncat(joined, errs.v[i], sizeof(joined) - strlen(joined) - 2);
		strcat(joined, "\n");
	}
	assert_true((c == NULL) == (errs.n > 0));
	if (out != NULL)
		*out = c;
	else
		config_unref(c);
	errs_free(&errs);
	return joined;
}

#define POLICY "policies: { p: { }; };\n"

struct bad_case {
	const char *name;
	const char *text;
	const char *where;  /* "t.conf:LINE:" or another file's name and line */
	const char *phrase; /* part of the reason */
};

static const struct bad_case bad_cases[] = {
	{ "syntax_error", "milter: { socket = ; };\n" POLICY, "t.conf:1:", "syntax error" },
	{ "unknown_setting", "\n\nmilter: { sockets = \"x\"; };\n" POLICY, "t.conf:3:",
	  "unknown setting \"milter.sockets\"" },
	{ "unknown_section", "mitler: { socket = \"x\"; };\n" POLICY, "t.conf:1:", "unknown section \"mitler\"" },
	{ "policy_setting_at_top", "delay_reject = true;\n" POLICY, "t.conf:1:", "belongs inside a policy" },
	{ "global_setting_in_policy", "policies: {\n p: {\n  default_policy = \"p\";\n };\n};\n", "t.conf:3:",
	  "is a global setting" },
	{ "unknown_policy_setting", "policies: {\n p: {\n  relay: { reply_text = \"x\"; };\n };\n};\n",
	  "t.conf:3:", "unknown setting \"relay.reply_text\"" },
	{ "bool_wrong_type", "policies: { p: {\n delay_reject = \"yes\"; }; };\n", "t.conf:2:",
	  "delay_reject must be a boolean" },
	{ "int_wrong_type", "milter: {\n timeout = \"30\"; };\n" POLICY, "t.conf:2:", "must be an integer" },
	{ "string_wrong_type", "milter: {\n socket = 8891; };\n" POLICY, "t.conf:2:", "must be a quoted string" },
	{ "list_wrong_type", "networks: {\n trusted = \"127.0.0.1\"; };\n" POLICY, "t.conf:2:",
	  "must be a CIDR list" },
	{ "list_item_not_string", "domains: {\n local = [ 1, 2 ]; };\n" POLICY, "t.conf:2:", "is not a string" },
	{ "bad_socket", "milter: {\n socket = \"tcp:25\"; };\n" POLICY, "t.conf:2:", "is not a milter socket" },
	{ "bad_socket_port", "milter: {\n socket = \"inet:99999@127.0.0.1\"; };\n" POLICY, "t.conf:2:",
	  "is not a milter socket" },
	{ "socket_every_interface", "milter: {\n socket = \"inet:8891\"; };\n" POLICY, "t.conf:2:",
	  "would listen on every interface" },
	{ "bad_user", "milter: {\n user = \"no-such-user-here\"; };\n" POLICY, "t.conf:2:", "no such user" },
	{ "timeout_range", "milter: {\n timeout = 0; };\n" POLICY, "t.conf:2:", "out of range" },
	{ "bad_facility", "log: {\n facility = \"mial\"; };\n" POLICY, "t.conf:2:", "unknown syslog facility" },
	{ "relative_pidfile", "milter: {\n pidfile = \"run/x.pid\"; };\n" POLICY, "t.conf:2:",
	  "must be an absolute path" },
	{ "bad_cidr", "networks: {\n trusted = [ \"127.0.0.1/8\" ]; };\n" POLICY, "t.conf:2:",
	  "bits set beyond" },
	{ "bad_domain", "domains: {\n local = [ \"exa mple.org\" ]; };\n" POLICY, "t.conf:2:",
	  "is not a domain name" },
	{ "bad_action", "policies: { p: {\n helo: { fqdn = \"bounce\"; }; }; };\n", "t.conf:2:",
	  "unknown action \"bounce\"" },
	{ "bad_reply", "policies: { p: {\n relay: { reply = \"554 Relay denied\"; }; }; };\n", "t.conf:2:",
	  "not an enhanced status code" },
	{ "reply_disagrees", "policies: { p: {\n helo: { fqdn = \"tempfail\";\n fqdn_reply = \"504 5.5.2 x\"; }; }; };\n",
	  "t.conf:3:", "does not agree with helo.fqdn = tempfail" },
	{ "no_policies", "milter: { timeout = 10; };\n", "t.conf:", "no policy defined" },
	{ "empty_policies", "policies: { };\n", "t.conf:1:", "no policy defined" },
	{ "policy_not_group", "policies: {\n p = 1; };\n", "t.conf:2:", "must be a group" },
	{ "default_missing", "policies: { a: { }; b: { }; };\n", "t.conf:", "default_policy must name" },
	{ "default_undefined", "default_policy = \"c\";\npolicies: { a: { }; b: { }; };\n", "t.conf:",
	  "\"c\" is not defined" },
	{ "listener_twice", "default_policy = \"a\";\npolicies: {\n a: { listeners = [ \"x\" ]; };\n b: { listeners = [ \"x\" ]; };\n};\n",
	  "t.conf:4:", "listener \"x\" is named by policy a and policy b" },
	{ "access_missing", "policies: { p: {\n sender: { access = \"nope\"; }; }; };\n", "t.conf:2:",
	  "sender.access: cannot read" },
	{ "client_access_missing", "policies: { p: {\n client: { access = \"/nonexistent/x\"; }; }; };\n",
	  "t.conf:2:", "client.access: cannot read" },
	{ "sender_access_bad_line", "policies: { p: { sender: { access = \"sa\"; }; }; };\n", "sa:3:",
	  "unknown action \"bounce\"" },
	{ "sender_access_no_action", "policies: { p: { sender: { access = \"sa\"; }; }; };\n", "sa:4:",
	  "has no action" },
	{ "sender_access_bad_key", "policies: { p: { sender: { access = \"sa\"; }; }; };\n", "sa:5:",
	  "is not an address" },
	{ "sender_access_reply_disagrees", "policies: { p: { sender: { access = \"sa\"; }; }; };\n", "sa:6:",
	  "does not agree with action tempfail" },
	{ "sender_access_duplicate", "policies: { p: { sender: { access = \"sa\"; }; }; };\n", "sa:7:",
	  "duplicate key \"a@b.example\"" },
	{ "client_access_bad_cidr", "policies: { p: { client: { access = \"ca\"; }; }; };\n", "ca:2:",
	  "bits set beyond" },
	{ "bad_upstream", "resolver: {\n upstreams = [ \"dns.example\" ]; };\n" POLICY, "t.conf:2:",
	  "\"dns.example\" is not an IP address" },
	{ "bad_upstream_port", "resolver: {\n upstreams = [ \"127.0.0.1@99999\" ]; };\n" POLICY, "t.conf:2:",
	  "is not address or address@port" },
	{ "bad_stub_zone", "resolver: {\n zones = [ \"bl.example\" ]; };\n" POLICY, "t.conf:2:",
	  "is not zone=address@port" },
	{ "resolver_timeout_range", "resolver: {\n timeout = 3000; };\n" POLICY, "t.conf:2:",
	  "3000 ms out of range" },
	{ "dnsbl_threshold_zero", "policies: { p: {\n dnsbl: { threshold = 0; }; }; };\n", "t.conf:2:",
	  "a threshold must be 1 or more" },
	{ "dnsbl_allow_threshold_zero", "policies: { p: {\n dnsbl: { allow_threshold = 0; }; }; };\n",
	  "t.conf:2:", "must be -1 or less" },
	{ "bad_dnsbl_zone", "policies: { p: {\n dnsbl: { zones = [ \"bl.example=127.0.0\" ]; }; }; };\n",
	  "t.conf:2:", "the filter must be" },
	{ "bad_dnsbl_weight", "policies: { p: {\n dnsbl: { zones = [ \"bl.example*0\" ]; }; }; };\n",
	  "t.conf:2:", "the weight must be a non-zero integer" },
	{ "include_error", "@include \"inc.conf\"\n" POLICY, "inc.conf:2:", "unknown setting \"milter.bogus\"" },
};

static const char sender_access_text[] = "# comment\n"
					 "a@b.example reject\n"
					 "c@d.example bounce\n"
					 "lonely\n"
					 "a@@b reject\n"
					 "x@y.example tempfail 554 5.7.1 no\n"
					 "A@B.example accept\n";
static const char client_access_text[] = "192.0.2.0/24 reject\n"
					 "192.0.2.1/24 reject\n";
static const char include_text[] = "milter: {\n bogus = 1; };\n";

static void
config_load__bad_files__file_line_reason(void **state)
{
	(void)state;
	write_file("sa", sender_access_text);
	write_file("ca", client_access_text);
	write_file("inc.conf", include_text);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *errors = load_errors(c->text, NULL), want[512];
		bool found = false;

		print_message("case config_load__%s__error\n%s", c->name, errors);
		/* some line must be "<tmpdir>/<where> ...<phrase>..." */
		snprintf(want, sizeof(want), "%s/%s", tmpdir, c->where);
		for (char *line = errors; *line; line = strchr(line, '\n') + 1)
			if (strncmp(line, want, strlen(want)) == 0 && strstr(line, c->phrase) != NULL &&
			    strstr(line, c->phrase) < strchr(line, '\n'))
				found = true;
		assert_true(found);
	}
}

static void
config_load__several_errors__all_reported(void **state)
{
	char *errors;
	int n = 0;

	(void)state;
	errors = load_errors("milter: { socket = \"x\"; timeout = 0; bogus = 1; };\n"
			     "networks: { trusted = [ \"300.1.1.1\" ]; };\n" POLICY,
			     NULL);
	for (char *p = errors; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	assert_int_equal(n, 4);
}

static void
config_load__missing_file__error(void **state)
{
	struct errs errs = { 0 };

	(void)state;
	assert_null(config_load("/nonexistent/doorman.conf", &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "/nonexistent/doorman.conf: cannot read"));
	errs_free(&errs);
}

static void
config_load__valid__values_and_defaults(void **state)
{
	struct config *c = NULL;
	const struct policy *p;

	(void)state;
	assert_string_equal(load_errors("milter: { socket = \"unix:/run/d.sock\"; timeout = 20; };\n"
					"networks: { trusted = [ \"::ffff:198.51.100.0/120\" ]; };\n"
					"domains: { local = [ \"Example.ORG.\" ]; };\n"
					"default_policy = \"in\";\n"
					"policies: {\n"
					" in: { listeners = [ \"smtpd\" ]; helo: { fqdn = \"dryrun\"; }; };\n"
					" sub: { listeners = [ \"submission\" ]; delay_reject = false;\n"
					"        relay: { action = \"tempfail\"; reply = \"451 4.7.1 later\"; }; };\n"
					"};\n",
					&c),
			    "");
	assert_non_null(c);
	assert_string_equal(c->socket, "unix:/run/d.sock");
	assert_int_equal(c->timeout, 20);
	assert_string_equal(c->pidfile, "/run/doorman/doorman.pid");
	assert_string_equal(c->socket_group, "");
	assert_string_equal(c->socket_mode, "0660");
	assert_string_equal(c->user, "");
	assert_true(c->log_accepts);
	assert_int_equal(c->trusted.n, 1);
	assert_int_equal(c->trusted.v[0].prefix, 24);
	assert_true(domlist_match(&c->local_domains, "example.org"));
	assert_true(c->me_hostnames.n == 1); /* the system host name */
	p = config_policy_for(c, "smtpd");
	assert_string_equal(p->name, "in");
	assert_true(p->delay_reject);
	assert_true(p->exempt_trusted);
	assert_false(p->dryrun);
	assert_int_equal(p->helo_fqdn.action, ACTION_DRYRUN);
	assert_int_equal(p->helo_syntax.action, ACTION_REJECT);
	assert_int_equal(p->relay.reply.code, 554);
	assert_string_equal(p->relay.reply.text, "Relay access denied");
	assert_int_equal(p->sender_null.action, ACTION_ACCEPT);
	p = config_policy_for(c, "submission");
	assert_string_equal(p->name, "sub");
	assert_false(p->delay_reject);
	assert_int_equal(p->relay.action, ACTION_TEMPFAIL);
	assert_int_equal(p->relay.reply.code, 451);
	assert_string_equal(config_policy_for(c, "other")->name, "in");
	assert_string_equal(config_policy_for(c, NULL)->name, "in");
	config_unref(c);
}

static void
config_load__one_policy__is_default(void **state)
{
	struct config *c = NULL;

	(void)state;
	assert_string_equal(load_errors("policies: { only: { }; };\n", &c), "");
	assert_string_equal(config_policy_for(c, "anything")->name, "only");
	config_unref(c);
}

/* Every shipped policy in policies/ loads (the user they name must exist:
 * t/install-deps.sh creates it). */
static void
config_load__shipped_policies__valid(void **state)
{
	DIR *d = opendir(T_POLICIES);
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[512];
		struct errs errs = { 0 };
		struct config *c;

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", T_POLICIES, e->d_name);
		print_message("policy %s\n", path);
		c = config_load(path, &errs);
		errs_print(&errs, stderr);
		assert_int_equal(errs.n, 0);
		assert_non_null(c);
		config_unref(c);
		errs_free(&errs);
		n++;
	}
	closedir(d);
	assert_true(n >= 2);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/doorman-test-config.XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static int
teardown(void **state)
{
	static const char *const names[] = { "t.conf", "sa", "ca", "inc.conf" };
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_load__bad_files__file_line_reason),
		cmocka_unit_test(config_load__several_errors__all_reported),
		cmocka_unit_test(config_load__missing_file__error),
		cmocka_unit_test(config_load__valid__values_and_defaults),
		cmocka_unit_test(config_load__one_policy__is_default),
		cmocka_unit_test(config_load__shipped_policies__valid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
