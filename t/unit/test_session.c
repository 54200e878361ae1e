/*
 * test_session.c - the engine's stages, driven without an MTA
 *
 * Each test opens a connection against t/unit/data/relay.conf and plays an
 * SMTP session stage by stage, checking the verdict of each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"
#include "session.h"

static struct config *cfg;

static struct conn *
open_conn(const char *daemon_name, const char *addr, const char *daemon_addr)
{
	struct conn_info ci = { daemon_name, "client.example.net", addr, daemon_addr, NULL };
	struct verdict v;
	struct conn *c = conn_new(config_ref(cfg), &ci);

	session_connect(c, &v);
	return c;
}

static int
rcpt(struct conn *c, const char *to)
{
	struct verdict v;

	session_rcpt(c, to, &v);
	return v.action == ACTION_CONTINUE ? 250 : v.reply.code;
}

static int
helo(struct conn *c, const char *name)
{
	struct verdict v;

	session_helo(c, name, &v);
	return v.action == ACTION_CONTINUE ? 250 : v.reply.code;
}

static int
mail(struct conn *c, const char *from, const char *auth)
{
	struct verdict v;

	session_mail(c, from, auth, &v);
	return v.action == ACTION_CONTINUE ? 250 : v.reply.code;
}

static void
relay__untrusted__per_recipient(void **state)
{
	struct conn *c = open_conn("inbound", "203.0.113.5", NULL);

	(void)state;
	assert_int_equal(helo(c, "client.example.net"), 250);
	assert_int_equal(mail(c, "<s@example.net>", NULL), 250);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	assert_int_equal(rcpt(c, "<u%remote.example@example.org>"), 554);
	assert_int_equal(rcpt(c, "<u@relay.example>"), 250);
	assert_int_equal(rcpt(c, "<bad syntax"), 554);
	assert_int_equal(c->msg.naccepted, 2);
	assert_int_equal(c->msg.nrcpt, 5);
	conn_free(c);
}

static void
relay__trusted_v4_v6_mapped__allowed(void **state)
{
	static const char *const addrs[] = { "198.51.100.7", "::ffff:198.51.100.7", "2001:db8:1::9" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct conn *c = open_conn("inbound", addrs[i], NULL);
		assert_true(c->trusted);
		assert_int_equal(helo(c, "client.example.net"), 250);
		assert_int_equal(mail(c, "<s@example.net>", NULL), 250);
		assert_int_equal(rcpt(c, "<u@remote.example>"), 250);
		assert_int_equal(rcpt(c, "<u%remote.example@example.org>"), 250);
		conn_free(c);
	}
}

static void
relay__authenticated__allowed_only_by_macro(void **state)
{
	struct conn *c = open_conn("inbound", "203.0.113.5", NULL);

	(void)state;
	helo(c, "client.example.net");
	assert_int_equal(mail(c, "<s@example.net>", "alice"), 250);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 250);
	/* next transaction without {auth_authen}: no relay */
	session_end_message(c);
	assert_int_equal(mail(c, "<s@example.net>", ""), 250);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554);
	assert_int_equal(mail(c, "<s@example.net>", NULL), 250);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554);
	conn_free(c);
}

static void
helo__delayed__rejected_at_every_rcpt(void **state)
{
	struct conn *c = open_conn("inbound", "203.0.113.5", NULL);

	(void)state;
	assert_int_equal(helo(c, "localhostish"), 250);
	assert_int_equal(mail(c, "<s@example.net>", NULL), 250);
	assert_int_equal(rcpt(c, "<u@example.org>"), 504);
	assert_int_equal(rcpt(c, "<v@example.org>"), 504);
	/* a new HELO replaces the old verdict */
	assert_int_equal(helo(c, "good.example.net"), 250);
	assert_int_equal(mail(c, "<s@example.net>", NULL), 250);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	conn_free(c);
}

static void
helo__checks__verdicts(void **state)
{
	static const struct {
		const char *helo;
		int code;
	} cases[] = {
		{ "client.example.net", 250 }, { "client.example.net.", 250 }, { "[203.0.113.5]", 250 },
		{ "[IPv6:2001:db8::5]", 250 }, { "localhostish", 504 },	       { "203.0.113.5", 504 },
		{ "bad..name", 501 },	       { "-bad-.example", 501 },       { "bad-.example", 501 },	       { "bad name", 501 },	       { "", 501 },
		{ "[not-an-ip]", 501 },	       { "mx.example.org", 550 },      { "MX.EXAMPLE.ORG", 550 },
		{ "example.org", 550 },	       { "[192.0.2.25]", 550 },	       { "192.0.2.25", 550 },
		{ "[127.0.0.1]", 550 },
		/* 300 characters of valid labels: too long, even cut to 255 */
		{ "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		  "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		  "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		  "aaaaaaaaa.aaaaaaaaa.example", 501 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = open_conn("inbound", "203.0.113.5", "127.0.0.1");
		print_message("case HELO %s\n", cases[i].helo);
		helo(c, cases[i].helo);
		mail(c, "<s@example.net>", NULL);
		assert_int_equal(rcpt(c, "<u@example.org>"), cases[i].code);
		conn_free(c);
	}
}

static void
nodelay__helo_tempfail_at_helo__mail_required(void **state)
{
	struct conn *c = open_conn("nodelay", "198.51.100.7", NULL);

	(void)state;
	/* exempt_trusted = false: a trusted client is checked too */
	assert_int_equal(mail(c, "<s@example.net>", NULL), 503); /* no HELO */
	assert_int_equal(helo(c, "shortname"), 450);
	assert_int_equal(mail(c, "<>", NULL), 550); /* sender.null = reject */
	conn_free(c);
}

static void
sender__access_keys__verdicts(void **state)
{
	static const struct {
		const char *from;
		int code;
	} cases[] = {
		{ "<spammer@bad.example>", 554 },  { "<SPAMMER@BAD.EXAMPLE>", 554 },
		{ "<friend@bad.example>", 250 },   { "<other@bad.example>", 250 },
		{ "<postmaster@anywhere.example>", 250 }, { "<x@exact.example>", 554 },
		{ "<x@sub.exact.example>", 250 },  { "<x@parent.example>", 454 },
		{ "<x@deep.sub.parent.example>", 454 }, { "<x@subonly.example>", 250 },
		{ "<x@a.subonly.example>", 554 },  { "<x@nodots>", 504 },
		{ "<x>", 504 },			   { "<x@[192.0.2.1]>", 250 },
		{ "<>", 250 },			   { "<bad", 501 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = open_conn("inbound", "203.0.113.5", NULL);
		print_message("case MAIL FROM %s\n", cases[i].from);
		helo(c, "client.example.net");
		assert_int_equal(mail(c, cases[i].from, NULL), 250); /* delayed */
		assert_int_equal(rcpt(c, "<u@example.org>"), cases[i].code);
		conn_free(c);
	}
}

static void
sender__null_second_rcpt__rejected(void **state)
{
	struct conn *c = open_conn("inbound", "203.0.113.5", NULL);

	(void)state;
	helo(c, "client.example.net");
	mail(c, "<>", NULL);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554); /* not accepted: does not count */
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	assert_int_equal(rcpt(c, "<v@example.org>"), 550);
	conn_free(c);
}

static void
client__access__verdicts(void **state)
{
	struct conn *c;

	(void)state;
	c = open_conn("inbound", "192.0.2.66", NULL);
	helo(c, "client.example.net");
	mail(c, "<s@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 554);
	conn_free(c);
	/* accept: HELO and sender checks skipped, relay still refused */
	c = open_conn("inbound", "192.0.2.67", NULL);
	assert_true(c->allowlisted);
	helo(c, "shortname");
	mail(c, "<spammer@bad.example>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554);
	conn_free(c);
	/* tempfail with the default 554 reply: 454 4.7.1, never a 5xx */
	c = open_conn("inbound", "2001:db8:bad::1", NULL);
	helo(c, "client.example.net");
	mail(c, "<s@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 454);
	conn_free(c);
	/* no address (unix socket, unknown family): no lookup */
	c = open_conn("inbound", NULL, NULL);
	assert_false(c->have_ip);
	helo(c, "client.example.net");
	mail(c, "<s@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	conn_free(c);
}

static void
transaction__reset__checked_again(void **state)
{
	struct conn *c = open_conn("inbound", "203.0.113.5", NULL);

	(void)state;
	helo(c, "client.example.net");
	mail(c, "<spammer@bad.example>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 554);
	session_end_message(c); /* abort */
	assert_int_equal(c->msg.nrcpt, 0);
	mail(c, "<good@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	assert_int_equal(c->msg.nrcpt, 1);
	/* a second MAIL without an abort in between resets too */
	mail(c, "<spammer@bad.example>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 554);
	mail(c, "<x@exact.example>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 554);
	mail(c, "<good@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);
	assert_int_equal(c->transactions, 5);
	conn_free(c);
}

static void
dryrun__policy_and_rule__continue(void **state)
{
	struct conn *c;

	(void)state;
	c = open_conn("dry", "203.0.113.5", NULL);
	assert_string_equal(c->pol->name, "dry");
	helo(c, "shortname");
	mail(c, "<s@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);    /* HELO: only logged */
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554); /* never an open relay */
	conn_free(c);
	c = open_conn("dryrule", "203.0.113.5", NULL);
	helo(c, "shortname");
	mail(c, "<s@example.net>", NULL);
	assert_int_equal(rcpt(c, "<u@example.org>"), 250);  /* HELO rule dry */
	assert_int_equal(rcpt(c, "<u@remote.example>"), 554); /* relay is not */
	conn_free(c);
}

/* A rule set to accept does nothing; it does not end the stage: the sender
 * access list still applies after a MAIL without HELO. */
static void
rule_accept__stage_goes_on(void **state)
{
	struct conn *c = open_conn("lenient", "203.0.113.5", NULL);

	(void)state;
	assert_int_equal(mail(c, "<spammer@bad.example>", NULL), 250);
	assert_int_equal(rcpt(c, "<u@example.org>"), 554);
	conn_free(c);
}

static void
policy__unknown_listener__default(void **state)
{
	struct conn *c = open_conn("nobody-names-this", "203.0.113.5", NULL);

	(void)state;
	assert_string_equal(c->pol->name, "inbound");
	conn_free(c);
	c = open_conn(NULL, "203.0.113.5", NULL);
	assert_string_equal(c->pol->name, "inbound");
	conn_free(c);
}

static int
setup(void **state)
{
	struct errs errs = { 0 };

	(void)state;
	cfg = config_load(T_DATA "/relay.conf", &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	return cfg == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	config_unref(cfg);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relay__untrusted__per_recipient),
		cmocka_unit_test(relay__trusted_v4_v6_mapped__allowed),
		cmocka_unit_test(relay__authenticated__allowed_only_by_macro),
		cmocka_unit_test(helo__delayed__rejected_at_every_rcpt),
		cmocka_unit_test(helo__checks__verdicts),
		cmocka_unit_test(nodelay__helo_tempfail_at_helo__mail_required),
		cmocka_unit_test(sender__access_keys__verdicts),
		cmocka_unit_test(sender__null_second_rcpt__rejected),
		cmocka_unit_test(client__access__verdicts),
		cmocka_unit_test(transaction__reset__checked_again),
		cmocka_unit_test(dryrun__policy_and_rule__continue),
		cmocka_unit_test(rule_accept__stage_goes_on),
		cmocka_unit_test(policy__unknown_listener__default),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
