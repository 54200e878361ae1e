/*
 * test_dns.c - the resolver against a real NSD (run by t/dns/dns.t.sh,
 * which serves t/dns/zones and passes its address in DOORMAN_TEST_DNS)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"

static struct dns *d;

static const char *const unblock[] = { "test.", "2.0.192.in-addr.arpa." };

static bool
has_rr(const struct dns_answer *a, const char *text)
{
	for (int i = 0; i < a->nrr; i++)
		if (strcmp(a->rr[i], text) == 0)
			return true;
	return false;
}

static void
dns__records__found_as_text(void **state)
{
	struct dns_batch *b = dns_batch_new(d, DNS_NO_BUDGET);
	int ia, iaaaa, itxt, imx, iptr, icname;
	const struct dns_answer *a;

	(void)state;
	ia = dns_batch_add(b, "a.doorman.test", DNS_TYPE_A);
	iaaaa = dns_batch_add(b, "a.doorman.test", DNS_TYPE_AAAA);
	itxt = dns_batch_add(b, "a.doorman.test", DNS_TYPE_TXT);
	imx = dns_batch_add(b, "A.DOORMAN.TEST.", DNS_TYPE_MX);
	iptr = dns_batch_add(b, "1.2.0.192.in-addr.arpa", DNS_TYPE_PTR);
	icname = dns_batch_add(b, "alias.doorman.test", DNS_TYPE_A);
	dns_batch_wait(b, 2000);

	a = dns_batch_answer(b, ia);
	assert_int_equal(a->status, DNS_FOUND);
	assert_int_equal(a->nrr, 2);
	assert_true(has_rr(a, "192.0.2.1") && has_rr(a, "192.0.2.2"));
	assert_true(a->ttl > 0 && a->ttl <= 300);
	a = dns_batch_answer(b, iaaaa);
	assert_int_equal(a->status, DNS_FOUND);
	assert_true(has_rr(a, "2001:db8::1"));
	a = dns_batch_answer(b, itxt);
	assert_int_equal(a->status, DNS_FOUND);
	assert_true(has_rr(a, "v=spf1 -all"));
	assert_true(has_rr(a, "two strings"));
	a = dns_batch_answer(b, imx);
	assert_int_equal(a->status, DNS_FOUND);
	assert_true(has_rr(a, "10 mx1.doorman.test"));
	assert_true(has_rr(a, "20 mx2.doorman.test"));
	a = dns_batch_answer(b, iptr);
	assert_int_equal(a->status, DNS_FOUND);
	assert_true(has_rr(a, "a.doorman.test"));
	a = dns_batch_answer(b, icname);
	assert_int_equal(a->status, DNS_FOUND);
	assert_true(has_rr(a, "192.0.2.1"));
	dns_batch_free(b);
}

static void
dns__nxdomain_and_nodata__kept_apart(void **state)
{
	struct dns_batch *b = dns_batch_new(d, DNS_NO_BUDGET);
	int nx, nodata, listed, notlisted;

	(void)state;
	nx = dns_batch_add(b, "missing.doorman.test", DNS_TYPE_A);
	nodata = dns_batch_add(b, "nodata.doorman.test", DNS_TYPE_TXT);
	listed = dns_batch_add(b, "2.0.0.127.bl.doorman.test", DNS_TYPE_A);
	notlisted = dns_batch_add(b, "3.0.0.127.bl.doorman.test", DNS_TYPE_A);
	dns_batch_wait(b, 2000);
	assert_int_equal(dns_batch_answer(b, nx)->status, DNS_NXDOMAIN);
	assert_int_equal(dns_batch_answer(b, nodata)->status, DNS_NODATA);
	assert_int_equal(dns_batch_answer(b, listed)->status, DNS_FOUND);
	assert_true(has_rr(dns_batch_answer(b, listed), "127.0.0.2"));
	assert_int_equal(dns_batch_answer(b, notlisted)->status, DNS_NXDOMAIN);
	dns_batch_free(b);
}

/* The second ask for the same name and type, within its TTL, is a cache hit. */
static void
dns__same_question__cache_hit(void **state)
{
	struct dns_stats before, after;

	(void)state;
	dns_stats_get(d, &before);
	for (int round = 0; round < 2; round++) {
		struct dns_batch *b = dns_batch_new(d, DNS_NO_BUDGET);
		dns_batch_add(b, "nodata.doorman.test", DNS_TYPE_A);
		dns_batch_add(b, "never-asked-before.doorman.test", DNS_TYPE_MX);
		dns_batch_wait(b, 2000);
		assert_int_equal(dns_batch_answer(b, 0)->status, DNS_FOUND);
		dns_batch_free(b);
	}
	dns_stats_get(d, &after);
	assert_int_equal(after.queries - before.queries, 4);
	/* nodata.doorman.test A: a hit the second time; the NXDOMAIN too (its
	 * TTL is the SOA minimum) */
	assert_int_equal(after.cache_hits - before.cache_hits, 2);
}

static void
dns__zone_not_served__tempfail(void **state)
{
	struct dns_batch *b = dns_batch_new(d, DNS_NO_BUDGET);
	int i;

	(void)state;
	/* NSD refuses names outside its zones: no answer to trust */
	i = dns_batch_add(b, "www.not-served.example", DNS_TYPE_A);
	dns_batch_wait(b, 3000);
	assert_int_equal(dns_batch_answer(b, i)->status, DNS_TEMPFAIL);
	assert_non_null(dns_batch_answer(b, i)->why);
	dns_batch_free(b);
}

/* Beyond the budget a query is a temporary failure at once; an answer
 * from doorman's cache costs nothing of it. */
static void
dns__budget__tempfail_beyond(void **state)
{
	struct dns_batch *warm = dns_batch_new(d, DNS_NO_BUDGET);
	struct dns_batch *b = dns_batch_new(d, 2);
	struct dns_stats before, after;
	int i0, i1, i2, i3;

	(void)state;
	dns_batch_add(warm, "budget1.doorman.test", DNS_TYPE_A);
	dns_batch_wait(warm, 2000);
	dns_batch_free(warm);
	dns_stats_get(d, &before);
	i0 = dns_batch_add(b, "budget1.doorman.test", DNS_TYPE_A); /* cached: free */
	i1 = dns_batch_add(b, "budget2.doorman.test", DNS_TYPE_A);
	i2 = dns_batch_add(b, "budget3.doorman.test", DNS_TYPE_A);
	i3 = dns_batch_add(b, "budget3.doorman.test", DNS_TYPE_TXT);
	dns_batch_wait(b, 2000);
	assert_int_equal(dns_batch_answer(b, i0)->status, DNS_FOUND);
	assert_int_equal(dns_batch_answer(b, i1)->status, DNS_FOUND);
	assert_int_equal(dns_batch_answer(b, i2)->status, DNS_FOUND);
	assert_int_equal(dns_batch_answer(b, i3)->status, DNS_TEMPFAIL);
	assert_string_equal(dns_batch_answer(b, i3)->why, "budget");
	assert_int_equal(dns_batch_sent(b), 2);
	dns_stats_get(d, &after);
	assert_int_equal(after.queries - before.queries, 3);
	assert_int_equal(after.cache_hits - before.cache_hits, 1);
	assert_int_equal(after.over_budget - before.over_budget, 1);
	dns_batch_free(b);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An upstream that takes queries and never answers: a timeout within the
 * deadline, never "not found". */
static void
dns__silent_upstream__timeout_bounded(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char fwd[64], why[256];
	const char *up[1] = { fwd };
	struct dns *silent;
	struct dns_batch *b;
	struct dns_stats st;
	double t0, took;
	int i, j;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", ntohs(sa.sin_port));
	struct dns_setup setup = { .upstreams = up, .nupstreams = 1, .unblock = unblock, .nunblock = 2 };
	assert_non_null(silent = dns_new(&setup, why, sizeof(why)));
	b = dns_batch_new(silent, DNS_NO_BUDGET);
	i = dns_batch_add(b, "a.doorman.test", DNS_TYPE_A);
	j = dns_batch_add(b, "2.0.0.127.bl.doorman.test", DNS_TYPE_A);
	t0 = now();
	dns_batch_wait(b, 400);
	took = now() - t0;
	assert_int_equal(dns_batch_answer(b, i)->status, DNS_TEMPFAIL);
	assert_string_equal(dns_batch_answer(b, i)->why, "timeout");
	assert_int_equal(dns_batch_answer(b, j)->status, DNS_TEMPFAIL);
	assert_true(took >= 0.35 && took < 1.5);
	dns_stats_get(silent, &st);
	assert_int_equal(st.timeouts, 2);
	dns_batch_free(b);
	dns_free(silent);
	close(fd);
}

static void *
worker(void *arg)
{
	int *bad = arg;

	for (int round = 0; round < 50; round++) {
		struct dns_batch *b = dns_batch_new(d, DNS_NO_BUDGET);
		int i = dns_batch_add(b, "a.doorman.test", DNS_TYPE_A);
		int j = dns_batch_add(b, "missing.doorman.test", DNS_TYPE_A);
		dns_batch_wait(b, 2000);
		if (dns_batch_answer(b, i)->status != DNS_FOUND ||
		    dns_batch_answer(b, j)->status != DNS_NXDOMAIN)
			(*bad)++;
		dns_batch_free(b);
	}
	return NULL;
}

static void
dns__threads__share_one_resolver(void **state)
{
	pthread_t t[4];
	int bad[4] = { 0 };

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

static void
dns_new__bad_upstream__error(void **state)
{
	const char *up[1] = { "not an address" };
	char why[256] = "";

	(void)state;
	struct dns_setup setup = { .upstreams = up, .nupstreams = 1 };
	assert_null(dns_new(&setup, why, sizeof(why)));
	assert_true(why[0] != '\0');
}

static int
setup(void **state)
{
	const char *fwd = getenv("DOORMAN_TEST_DNS");
	const char *up[1] = { fwd };
	char why[256];

	(void)state;
	if (fwd == NULL) {
		fprintf(stderr, "DOORMAN_TEST_DNS not set: run t/dns/dns.t.sh\n");
		return -1;
	}
	struct dns_setup setup = { .upstreams = up, .nupstreams = 1, .unblock = unblock, .nunblock = 2 };
	d = dns_new(&setup, why, sizeof(why));
	if (d == NULL)
		fprintf(stderr, "dns_new: %s\n", why);
	return d == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	dns_free(d);
	return 0;
}

/* rdata as a hostile upstream (or a libunbound bug) could hand it: a name
 * is read only within its rdata, label by label (issue 14: a label running
 * past the end made ldns loop without end) */
static void
dns_rr_text__malformed_names__refused(void **state)
{
	static const struct {
		int type;
		const char *what;
		unsigned char rd[8];
		int len;
		const char *want; /* NULL: refused */
	} cases[] = {
		{ DNS_TYPE_PTR, "label past the end", { 5, 0, 0, 0xff, 0xff, 0 }, 6, NULL },
		{ DNS_TYPE_PTR, "no root label", { 1, 'a' }, 2, NULL },
		{ DNS_TYPE_PTR, "compression pointer", { 0xc0, 0x0c }, 2, NULL },
		{ DNS_TYPE_PTR, "label length 64", { 64, 'a', 0 }, 3, NULL },
		{ DNS_TYPE_PTR, "bytes after the name", { 1, 'a', 0, 0 }, 4, NULL },
		{ DNS_TYPE_PTR, "empty rdata", { 0 }, 0, NULL },
		{ DNS_TYPE_MX, "MX with a label past the end", { 0, 10, 5, 'a', 0 }, 5, NULL },
		{ DNS_TYPE_PTR, "a good name", { 1, 'A', 2, 'b', 'c', 0 }, 6, "a.bc" },
		{ DNS_TYPE_CNAME, "the root", { 0 }, 1, "." },
		{ DNS_TYPE_MX, "a good MX", { 0, 10, 1, 'm', 0 }, 5, "10 m" },
	};
	unsigned char longname[300];
	char *t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t = dns_rr_text(cases[i].type, cases[i].rd, cases[i].len);
		if (cases[i].want == NULL && t != NULL)
			fail_msg("%s: got \"%s\", want refused", cases[i].what, t);
		if (cases[i].want != NULL && (t == NULL || strcmp(t, cases[i].want) != 0))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what, t ? t : "(refused)",
				 cases[i].want);
		free(t);
	}
	/* 256 octets: five 50-octet labels and the root label, one over RFC 1035's 255 */
	memset(longname, 'a', sizeof(longname));
	for (int i = 0; i < 5; i++)
		longname[i * 51] = 50;
	longname[255] = 0;
	assert_null(dns_rr_text(DNS_TYPE_PTR, longname, 256));
	longname[0] = 49; /* one octet less: 255 with the root */
	memmove(longname + 50, longname + 51, 205);
	assert_non_null(t = dns_rr_text(DNS_TYPE_PTR, longname, 255));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dns__records__found_as_text),
		cmocka_unit_test(dns__nxdomain_and_nodata__kept_apart),
		cmocka_unit_test(dns__same_question__cache_hit),
		cmocka_unit_test(dns__zone_not_served__tempfail),
		cmocka_unit_test(dns__budget__tempfail_beyond),
		cmocka_unit_test(dns__silent_upstream__timeout_bounded),
		cmocka_unit_test(dns__threads__share_one_resolver),
		cmocka_unit_test(dns_new__bad_upstream__error),
		cmocka_unit_test(dns_rr_text__malformed_names__refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
