/*
 * test_received.c - the hop a Received field records, as the common MTAs
 * write it, and what is refused (learned forwarders read only this)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "received.h"

static void
expect(const char *value, const char *helo, const char *name, const char *addr, const char *by)
{
	struct received_from r;
	char ip[IP_TEXT_MAX];

	if (received_parse(value, strlen(value), &r) != 0)
		fail_msg("refused: %s", value);
	ip_format(&r.addr, ip, sizeof(ip));
	assert_string_equal(r.helo, helo);
	assert_string_equal(r.name, name);
	assert_string_equal(ip, addr);
	assert_string_equal(r.by, by);
}

static void
received_parse__mta_formats__hop(void **state)
{
	(void)state;
	/* Postfix */
	expect("from helo.example (rdns.example [192.0.2.1])\r\n\tby mx.example.net (Postfix) "
	       "with ESMTPS id 4Abc; Sat, 5 Dec 2026 03:00:00 +0000",
	       "helo.example", "rdns.example", "192.0.2.1", "mx.example.net");
	expect(
	    "from HELO.Example (unknown [IPv6:2001:DB8::7]) by MX.example.net (Postfix) with ESMTP",
	    "helo.example", "", "2001:db8::7", "mx.example.net");
	/* Sendmail */
	expect(
	    "from helo.example (rdns.example [198.51.100.9] (may be forged))\n\tby fwd.example.org "
	    "(8.17.1/8.17.1) with ESMTP id 0B53; Sat, 5 Dec 2026 03:00:00 GMT",
	    "helo.example", "rdns.example", "198.51.100.9", "fwd.example.org");
	expect("from helo.example ([198.51.100.9]) (authenticated bits=0) by fwd.example.org with "
	       "ESMTPA",
	       "helo.example", "", "198.51.100.9", "fwd.example.org");
	/* Exim */
	expect(
	    "from rdns.example ([203.0.113.5]:41234 helo=helo.example)\n\tby fwd.example.org with "
	    "esmtp (Exim 4.96)",
	    "helo.example", "rdns.example", "203.0.113.5", "fwd.example.org");
	expect("from [203.0.113.5] (helo=helo.example) by fwd.example.org with esmtp (Exim 4.96)",
	       "helo.example", "", "203.0.113.5", "fwd.example.org");
	/* Microsoft, Gmail */
	expect("from AM0PR01.prod.example (2001:db8:1::5) by AM0PR02.prod.example (2001:db8:1::6) "
	       "with Microsoft SMTP Server",
	       "am0pr01.prod.example", "", "2001:db8:1::5", "am0pr02.prod.example");
	expect("from mail-sor.example (mail-sor.example. [192.0.2.41])\n        by mx.example.com. "
	       "with "
	       "SMTPS id x; Sat, 05 Dec 2026 03:00:00 -0800 (PST)",
	       "mail-sor.example", "mail-sor.example", "192.0.2.41", "mx.example.com");
	/* an address literal as HELO: the connection's address still comes from TCP-info */
	expect("from [192.0.2.99] (rdns.example [192.0.2.1]) by mx.example.net (Postfix)",
	       "[192.0.2.99]", "rdns.example", "192.0.2.1", "mx.example.net");
	/* no by-part: the address, by empty */
	expect("from helo.example (rdns.example [192.0.2.1])", "helo.example", "rdns.example",
	       "192.0.2.1", "");
}

static void
received_parse__no_hop__refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "by mx.example.net (Postfix, from userid 0) id 4Abc; Sat, 5 Dec 2026 03:00:00 +0000",
	    "from helo.example by mx.example.net with SMTP",        /* no address at all */
	    "from helo.example (rdns.example [192.0.2.1] by mx",    /* the comment never closes */
	    "from helo.example (rdns.example [192.0.2.999]) by mx", /* not an address */
	    "from helo.example (rdns.example [IPv6:zz::1]) by mx",
	    "fromage.example (rdns.example [192.0.2.1]) by mx", /* not the keyword */
	    "from",
	    "from (",
	};
	struct received_from r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (received_parse(bad[i], strlen(bad[i]), &r) == 0)
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void
received_parse__length_bound__not_past_it(void **state)
{
	static const char v[] = "from helo.example (rdns.example [192.0.2.1]) by mx.example.net";
	struct received_from r;
	char ip[IP_TEXT_MAX];

	(void)state;
	/* cut inside the literal: refused, nothing read past the cut */
	assert_int_equal(received_parse(v, strlen("from helo.example (rdns.example [192.0"), &r),
	                 -1);
	/* cut after "by mx": the by-part is what the bound leaves */
	assert_int_equal(
	    received_parse(v, strlen("from helo.example (rdns.example [192.0.2.1]) by mx"), &r), 0);
	ip_format(&r.addr, ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.1");
	assert_string_equal(r.by, "mx");
	/* over-long names are dropped, not truncated into another name */
	char longv[700];
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "from ", 5);
	memcpy(longv + 400, " ([192.0.2.1]) by x", 19);
	assert_int_equal(received_parse(longv, 419, &r), 0);
	assert_string_equal(r.helo, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(received_parse__mta_formats__hop),
	    cmocka_unit_test(received_parse__no_hop__refused),
	    cmocka_unit_test(received_parse__length_bound__not_past_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
