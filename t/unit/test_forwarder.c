/*
 * test_forwarder.c - which Received field is the client's own, and what
 * its origin is (forwarder_origin), and the store keys of forwarder state
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "forwarder.h"
#include "session.h"
#include "store.h"

static struct config *cfg;

/* a connection from 198.51.100.9, named fwd.example.net by the MTA, HELO helo */
static struct conn *
open_conn(const char *helo)
{
	struct conn_info ci = { "inbound", "fwd.example.net", "198.51.100.9", NULL, NULL };
	struct verdict v;
	struct conn *c = conn_new(config_ref(cfg), &ci);

	session_connect(c, &v);
	session_helo(c, helo, &v);
	session_mail(c, "<u@origin.test>", NULL, &v);
	return c;
}

static void
add(struct conn *c, const char *value)
{
	session_header(c, "Received", value);
}

static const char *ours = " from relay.example.net (fwd.example.net [198.51.100.9])\r\n"
			  "\tby mx.example.org (Postfix) with ESMTP id 1; Sat, 5 Dec 2026";

static void
origin_of(struct conn *c, const char *want)
{
	struct received_from r;
	char ip[IP_TEXT_MAX];

	if (want == NULL) {
		assert_int_equal(forwarder_origin(c, &r), -1);
		return;
	}
	assert_int_equal(forwarder_origin(c, &r), 0);
	ip_format(&r.addr, ip, sizeof(ip));
	assert_string_equal(ip, want);
}

static void
forwarder_origin__below_our_field__by_helo_name(void **state)
{
	struct conn *c = open_conn("relay.example.net");

	(void)state;
	add(c, ours);
	add(c, " from mail.origin.test (mail.origin.test [203.0.113.10]) by Relay.Example.Net. "
	       "(Postfix) with ESMTP id 2");
	add(c, " from forged (forged [192.0.2.1]) by mail.origin.test");
	origin_of(c, "203.0.113.10");
	conn_free(c);
}

static void
forwarder_origin__no_field_of_ours__the_top_one(void **state)
{
	struct conn *c = open_conn("relay.example.net");

	(void)state;
	/* an MTA that passes no field of its own: the top one is the client's;
	 * by the MTA's name for the client */
	add(c, " from a.origin.test ([203.0.113.11]) by fwd.example.net with SMTP");
	origin_of(c, "203.0.113.11");
	conn_free(c);
}

static void
forwarder_origin__by_someone_else__none(void **state)
{
	struct conn *c = open_conn("relay.example.net");

	(void)state;
	/* the field under ours was written by another host: not the client's */
	add(c, ours);
	add(c, " from mail.origin.test ([203.0.113.10]) by other.example.com (Postfix)");
	origin_of(c, NULL);
	conn_free(c);
	/* no field below ours, or none at all */
	c = open_conn("relay.example.net");
	add(c, ours);
	origin_of(c, NULL);
	conn_free(c);
	c = open_conn("relay.example.net");
	origin_of(c, NULL);
	conn_free(c);
	/* only one field of ours is skipped: a second one from the client's
	 * address names the client itself, which is no origin beyond it */
	c = open_conn("relay.example.net");
	add(c, ours);
	add(c, " from x ([198.51.100.9]) by relay.example.net");
	origin_of(c, NULL);
	conn_free(c);
	/* garbage under ours */
	c = open_conn("relay.example.net");
	add(c, ours);
	add(c, " by relay.example.net (Postfix, from userid 0)");
	origin_of(c, NULL);
	conn_free(c);
}

static void
forwarder_origin__next_message__fields_forgotten(void **state)
{
	struct conn *c = open_conn("relay.example.net");
	struct verdict v;

	(void)state;
	add(c, ours);
	add(c, " from m ([203.0.113.10]) by relay.example.net");
	for (int i = 0; i < 10; i++) /* more than are kept: the first ones stay */
		add(c, " from n ([192.0.2.7]) by relay.example.net");
	origin_of(c, "203.0.113.10");
	session_end_message(c);
	session_mail(c, "<u@origin.test>", NULL, &v);
	origin_of(c, NULL);
	conn_free(c);
}

static void
forwarder_key__layout(void **state)
{
	struct store_key k;
	struct ipaddr ip;

	(void)state;
	assert_int_equal(ip_parse("198.51.100.9", &ip), 0);
	forwarder_key(&ip, "fwd", NULL, &k);
	assert_false(k.bad);
	assert_int_equal(strncmp(k.s, "fwd|", 4), 0);
	assert_non_null(strstr(k.s, "198.51.100.9"));
	forwarder_key(&ip, "fwdd", "Example.COM", &k);
	assert_int_equal(strncmp(k.s, "fwdd|", 5), 0);
	assert_non_null(strstr(k.s, "|Example.COM") ? strstr(k.s, "|Example.COM")
						     : strstr(k.s, "|example.com"));
	assert_int_equal(ip_parse("2001:db8::9", &ip), 0);
	forwarder_key(&ip, "fwdev", NULL, &k);
	assert_false(k.bad);
	assert_non_null(strstr(k.s, "128"));
	assert_string_equal(forwarder_kind_name(FWD_LEARNED), "learned");
	assert_string_equal(forwarder_kind_name(FWD_LISTED), "listed");
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
		cmocka_unit_test(forwarder_origin__below_our_field__by_helo_name),
		cmocka_unit_test(forwarder_origin__no_field_of_ours__the_top_one),
		cmocka_unit_test(forwarder_origin__by_someone_else__none),
		cmocka_unit_test(forwarder_origin__next_message__fields_forgotten),
		cmocka_unit_test(forwarder_key__layout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
