/*
 * test_auth.c - the parts of SPF/DKIM/DMARC that need no DNS: which
 * Authentication-Results fields claim our id, the domains of a From
 * field, the header we write, organizational domains from Debian's
 * public suffix list.  (The DNS-driven parts run against NSD in
 * t/miltertest and t/mta.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "session.h"

#define PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static void
claims__forms__matched(void **state)
{
	(void)state;
	assert_true(authres_claims(" mx.example.org; spf=pass", "mx.example.org"));
	assert_true(authres_claims("MX.Example.ORG;spf=pass", "mx.example.org"));
	assert_true(authres_claims(" (forged) mx.example.org 1; dkim=pass", "mx.example.org"));
	assert_true(authres_claims(" (a (nested \\) comment)) mx.example.org;", "mx.example.org"));
	assert_true(authres_claims("\r\n\t\"mx.example.org\"; none", "mx.example.org"));
	assert_true(authres_claims(" mx.example.org.; none", "mx.example.org"));
	assert_true(authres_claims(" mx.example.org", "mx.example.org"));
	assert_false(authres_claims(" mx.example.org.evil; spf=pass", "mx.example.org"));
	assert_false(authres_claims(" other.example; spf=pass mx.example.org", "mx.example.org"));
	assert_false(authres_claims(" x-mx.example.org; spf=pass", "mx.example.org"));
	assert_false(authres_claims("", "mx.example.org"));
	assert_false(authres_claims(" (unterminated mx.example.org;", "mx.example.org"));
}

static void
from_of(const char *value, struct auth_msg *m)
{
	memset(m, 0, sizeof(*m));
	from_field_domains(value, m);
}

static void
from__mailbox_forms__domains(void **state)
{
	struct auth_msg m;

	(void)state;
	from_of(" user@Example.ORG", &m);
	assert_false(m.from_bad);
	assert_int_equal(m.from_ndomains, 1);
	assert_string_equal(m.from_domains[0], "example.org");
	from_of(" \"Doe, John @ work\" <john@example.org> (comment, @evil.example)", &m);
	assert_false(m.from_bad);
	assert_int_equal(m.from_ndomains, 1);
	assert_string_equal(m.from_domains[0], "example.org");
	from_of(" \"a@b\"@example.net", &m);
	assert_int_equal(m.from_ndomains, 1);
	assert_string_equal(m.from_domains[0], "example.net");
	from_of(" =?utf-8?q?J=C3=B6rg?= <j@example.org>, x@example.org", &m);
	assert_false(m.from_bad);
	assert_int_equal(m.from_ndomains, 1);
	from_of(" a@one.example, B <b@two.example>", &m);
	assert_false(m.from_bad);
	assert_int_equal(m.from_ndomains, 2);
	assert_string_equal(m.from_domains[1], "two.example");
	from_of(" team: a@one.example, b@two.example;", &m);
	assert_false(m.from_bad);
	assert_int_equal(m.from_ndomains, 2);
	from_of(" <@relay.example:u@example.org>", &m);
	assert_false(m.from_bad);
	assert_string_equal(m.from_domains[0], "example.org");
}

static void
from__unusable__bad(void **state)
{
	static const char *const bad[] = {
		" user",		  /* no domain */
		" user@",		  /* empty domain */
		" <>",			  /* empty address */
		" Name <user@[192.0.2.1]>", /* a literal */
		" \"unterminated@example.org", " (open comment user@example.org",
		" Name <user@example.org", /* no '>' */
		" undisclosed-recipients:;", "", " user@exa mple..org",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct auth_msg m;
		from_of(bad[i], &m);
		if (!m.from_bad)
			fail_msg("\"%s\" was taken", bad[i]);
	}
}

static void
from__too_many_domains__bad(void **state)
{
	char v[2048] = "";
	struct auth_msg m;

	(void)state;
	for (int i = 0; i < FROM_DOMAINS_MAX + 1; i++) {
		char one[64];
		snprintf(one, sizeof(one), "%su@d%d.example", i ? ", " : " ", i);
		strcat(v, one);
	}
	from_of(v, &m);
	assert_true(m.from_bad);
}

static void
org_domain__psl__registrable(void **state)
{
	char buf[256];

	(void)state;
	org_domain("mail.example.com", buf, sizeof(buf));
	assert_string_equal(buf, "example.com");
	org_domain("a.b.example.co.uk", buf, sizeof(buf));
	assert_string_equal(buf, "example.co.uk");
	org_domain("Example.COM.", buf, sizeof(buf));
	assert_string_equal(buf, "example.com");
	org_domain("victim.blogspot.com", buf, sizeof(buf));
	assert_string_equal(buf, "victim.blogspot.com");
	/* the default "*" rule: an unlisted TLD is a public suffix */
	org_domain("a.b.auth.test", buf, sizeof(buf));
	assert_string_equal(buf, "auth.test");
	/* wildcard and exception rules: *.kawasaki.jp, !city.kawasaki.jp */
	org_domain("a.b.c.kawasaki.jp", buf, sizeof(buf));
	assert_string_equal(buf, "b.c.kawasaki.jp");
	org_domain("a.city.kawasaki.jp", buf, sizeof(buf));
	assert_string_equal(buf, "city.kawasaki.jp");
	/* a public suffix stands for itself */
	org_domain("co.uk", buf, sizeof(buf));
	assert_string_equal(buf, "co.uk");
}

/* RFC 7489 3.1: strict and relaxed; a trailing dot is no difference in either */
static void
dmarc_aligned__modes__trailing_dot_same(void **state)
{
	(void)state;
	assert_true(dmarc_aligned("example.com", "Example.COM", true));
	assert_true(dmarc_aligned("example.com.", "example.com", true));
	assert_true(dmarc_aligned("example.com", "example.com.", true));
	assert_true(dmarc_aligned("mail.example.com.", "example.com", false));
	assert_false(dmarc_aligned("mail.example.com.", "example.com", true));
	assert_false(dmarc_aligned("blogspot.com", "victim.blogspot.com", false));
	assert_false(dmarc_aligned("", "example.com", false));
	assert_false(dmarc_aligned(".", ".", false));
}

static void
build__all_methods__one_field(void **state)
{
	struct conn c;
	struct auth_msg m;
	char *h;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	c.have_ip = true;
	strcpy(c.addr_text, "192.0.2.1");
	c.iprev = IPREV_PASS;
	strcpy(c.ptr_name, "mail.example.org (evil) \\");
	m.spf_mailfrom.result = AUTH_PASS;
	strcpy(m.spf_mailfrom.identity, "a.b@example.org");
	m.spf_helo.result = AUTH_NONE;
	strcpy(m.spf_helo.identity, "mail.example.org");
	m.nsigs = 2;
	m.sigs[0].result = AUTH_PASS;
	strcpy(m.sigs[0].d, "example.org");
	strcpy(m.sigs[0].s, "sel");
	strcpy(m.sigs[0].a, "rsa-sha256");
	strcpy(m.sigs[0].b, "AbCdEfGh");
	m.sigs[1].result = AUTH_FAIL;
	m.sigs[1].reason = "signature (did) not verify";
	strcpy(m.sigs[1].d, "other.example");
	strcpy(m.sigs[1].s, "bad selector;");
	strcpy(m.sigs[1].a, "rsa-sha1");
	strcpy(m.sigs[1].b, "ab/cd+e=");
	m.dmarc.result = AUTH_PASS;
	m.dmarc.policy = "reject";
	m.dmarc.disposition = "none";
	strcpy(m.dmarc.from_domain, "example.org");
	h = authres_build(&c, &m, "mx.example.net");
	assert_non_null(h);
	assert_string_equal(h, "mx.example.net;\n"
			       "\tiprev=pass policy.iprev=192.0.2.1 (mail.example.org  evil   );\n"
			       "\tspf=pass smtp.mailfrom=a.b@example.org;\n"
			       "\tspf=none smtp.helo=mail.example.org;\n"
			       "\tdkim=pass header.d=example.org header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh;\n"
			       "\tdkim=fail (signature  did  not verify) header.d=other.example"
			       " header.a=rsa-sha1 header.b=\"ab/cd+e=\";\n"
			       "\tdmarc=pass (p=reject dis=none) header.from=example.org policy.dmarc=reject");
	free(h);
}

static void
build__odd_local_part__domain_only(void **state)
{
	struct conn c;
	struct auth_msg m;
	char *h;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	m.spf_mailfrom.result = AUTH_SOFTFAIL;
	strcpy(m.spf_mailfrom.identity, "\"a b;c\"@example.org");
	h = authres_build(&c, &m, "mx");
	assert_string_equal(h, "mx;\n\tspf=softfail smtp.mailfrom=example.org");
	free(h);
}

static void
build__nothing__null(void **state)
{
	struct conn c;
	struct auth_msg m;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	assert_null(authres_build(&c, &m, "mx"));
}

static int
setup(void **state)
{
	char why[256];

	(void)state;
	return dmarc_lib_init(PSL, why, sizeof(why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(claims__forms__matched),
		cmocka_unit_test(from__mailbox_forms__domains),
		cmocka_unit_test(from__unusable__bad),
		cmocka_unit_test(from__too_many_domains__bad),
		cmocka_unit_test(org_domain__psl__registrable),
		cmocka_unit_test(dmarc_aligned__modes__trailing_dot_same),
		cmocka_unit_test(build__all_methods__one_field),
		cmocka_unit_test(build__odd_local_part__domain_only),
		cmocka_unit_test(build__nothing__null),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
