/*
 * test_fwduse.c - mail from a forwarder without DNS: who is one at
 * connect (check_forwarder), the SPF verdict held until the end of the
 * message and its DKIM override (forwarder_eom), the header's origin
 * comment and override (authres_build)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "check.h"
#include "config.h"
#include "forwarder.h"
#include "session.h"

static struct config *cfg;

static struct conn *
open_conn(const char *listener, const char *addr)
{
	struct conn_info ci = {listener, "relay.example.net", addr, NULL, NULL};
	struct verdict v;
	struct conn *c = conn_new(config_ref(cfg), &ci);

	session_connect(c, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	session_helo(c, "relay.example.net", &v);
	return c;
}

static void
connect__listed_trusted_stranger__kind(void **state)
{
	struct conn *c;

	(void)state;
	c = open_conn("defer", "192.0.2.9");
	assert_int_equal(c->fwd, FWD_LISTED);
	assert_string_equal(forwarder_kind_name(c->fwd), "listed");
	conn_free(c);
	/* in the listed network, but trusted: never a forwarder */
	c = open_conn("defer", "192.0.2.200");
	assert_int_equal(c->fwd, FWD_NONE);
	conn_free(c);
	c = open_conn("defer", "198.51.100.7");
	assert_int_equal(c->fwd, FWD_NONE);
	conn_free(c);
}

/* a transaction whose MAIL FROM SPF fact is a held fail (as check_spf
 * leaves it with spf.defer), with a DKIM pass for d when d is not NULL */
static void
held_fail(struct conn *c, const char *d)
{
	struct verdict v;
	struct auth_msg *a = &c->msg.au;

	session_mail(c, "<u@dom.test>", NULL, &v);
	a->spf_mailfrom.result = AUTH_FAIL;
	snprintf(a->spf_mailfrom.identity, sizeof(a->spf_mailfrom.identity), "u@dom.test");
	snprintf(a->spf_mailfrom.domain, sizeof(a->spf_mailfrom.domain), "dom.test");
	c->msg.spf_held = true;
	if (d != NULL) {
		a->nsigs = 1;
		a->sigs[0].result = AUTH_PASS;
		snprintf(a->sigs[0].d, sizeof(a->sigs[0].d), "%s", d);
	}
}

static void
defer__aligned_dkim_pass__overridden(void **state)
{
	struct conn *c = open_conn("defer", "198.51.100.7");
	struct verdict v;

	(void)state;
	held_fail(c, "dom.test");
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	conn_free(c);
}

static void
defer__unaligned_or_unsigned__550_same_text(void **state)
{
	struct conn *c = open_conn("defer", "198.51.100.7");
	struct verdict v;
	char reply[REPLY_LINE_MAX + 1];

	(void)state;
	held_fail(c, "other.test");
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_REJECT);
	assert_string_equal(v.rule, "spf_fail");
	reply_format(&v.reply, reply, sizeof(reply));
	assert_string_equal(reply, "550 5.7.23 <u@dom.test>: SPF validation failed");
	held_fail(c, NULL);
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_REJECT);
	conn_free(c);
}

static void
nodefer__aligned_dkim_pass__no_override(void **state)
{
	struct conn *c = open_conn("nodefer", "198.51.100.7");
	struct verdict v;

	(void)state;
	/* without spf.defer only a forwarder's verdict is held; one held
	 * anyway is not overridden */
	held_fail(c, "dom.test");
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_REJECT);
	conn_free(c);
}

static void
defer__dryrun_rule__logged_not_given(void **state)
{
	struct conn *c = open_conn("dryspf", "198.51.100.7");
	struct verdict v;

	(void)state;
	/* a dry-run verdict must not stand in for DMARC's at end of message */
	held_fail(c, NULL);
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	conn_free(c);
}

static void
not_held__nothing(void **state)
{
	struct conn *c = open_conn("defer", "198.51.100.7");
	struct verdict v;

	(void)state;
	held_fail(c, NULL);
	c->msg.spf_held = false;
	forwarder_eom(c, &v);
	assert_int_equal(v.action, ACTION_CONTINUE);
	conn_free(c);
}

static void
authres__origin_and_override__as_specified(void **state)
{
	struct conn *c = open_conn("defer", "192.0.2.9");
	struct auth_msg *a = &c->msg.au;
	struct verdict v;
	char *h;

	(void)state;
	session_mail(c, "<user@dom.test>", NULL, &v);
	a->spf_helo.result = AUTH_UNSET; /* no DNS here: a temperror */
	a->spf_mailfrom.result = AUTH_PASS;
	snprintf(a->spf_mailfrom.identity, sizeof(a->spf_mailfrom.identity), "user@dom.test");
	snprintf(c->msg.spf_origin, sizeof(c->msg.spf_origin), "203.0.113.7");
	a->dmarc.result = AUTH_FAIL;
	a->dmarc.policy = "reject";
	a->dmarc.disposition = "none";
	a->dmarc.override = "forwarded";
	snprintf(a->dmarc.from_domain, sizeof(a->dmarc.from_domain), "dom.test");
	h = authres_build(c, a, "mx.example.org");
	assert_non_null(h);
	assert_string_equal(
	    h, "mx.example.org;\n\tspf=pass (origin 203.0.113.7 via forwarder 192.0.2.9, "
	       "listed) smtp.mailfrom=user@dom.test;\n\tdmarc=fail (p=reject dis=none; "
	       "override=forwarded) header.from=dom.test policy.dmarc=reject");
	free(h);
	conn_free(c);
}

static int
setup(void **state)
{
	struct errs errs = {0};

	(void)state;
	cfg = config_load(T_DATA "/fwduse.conf", &errs);
	errs_print(&errs, stderr);
	errs_free(&errs);
	return cfg == NULL ? -1 : 0;
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
	    cmocka_unit_test(connect__listed_trusted_stranger__kind),
	    cmocka_unit_test(defer__aligned_dkim_pass__overridden),
	    cmocka_unit_test(defer__unaligned_or_unsigned__550_same_text),
	    cmocka_unit_test(nodefer__aligned_dkim_pass__no_override),
	    cmocka_unit_test(defer__dryrun_rule__logged_not_given),
	    cmocka_unit_test(not_held__nothing),
	    cmocka_unit_test(authres__origin_and_override__as_specified),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
