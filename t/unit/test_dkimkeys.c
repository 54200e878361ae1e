/*
 * test_dkimkeys.c - DKIM public keys decoded once (lib/auth/dkimkeys.c)
 *
 * The test program, like doorman, defines d2i_PUBKEY_bio through
 * libdoorman: calls here go to the table first, as libopendkim's do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "dkimkeys.h"

/* a fresh Ed25519 public key and its DER */
static EVP_PKEY *
new_key(unsigned char **der, int *len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(k);
	*der = NULL;
	*len = i2d_PUBKEY(k, der);
	assert_true(*len > 0);
	return k;
}

static EVP_PKEY *
decode(const unsigned char *der, int len, int *left)
{
	BIO *b = BIO_new_mem_buf(der, len);
	EVP_PKEY *p;

	assert_non_null(b);
	p = d2i_PUBKEY_bio(b, NULL);
	*left = (int)BIO_pending(b);
	BIO_free(b);
	return p;
}

static void
stats(unsigned long *hits, unsigned long *misses)
{
	dkimkeys_stats(hits, misses);
}

static void
dkimkeys__same_key_twice__decoded_once_and_copied(void **state)
{
	unsigned long h0, m0, h1, m1;
	unsigned char *der;
	EVP_PKEY *k, *p1, *p2;
	int len, left;

	(void)state;
	assert_int_equal(dkimkeys_init(), 0);
	dkimkeys_flush();
	k = new_key(&der, &len);
	stats(&h0, &m0);
	p1 = decode(der, len, &left);
	assert_non_null(p1);
	assert_int_equal(left, 0);
	p2 = decode(der, len, &left);
	assert_non_null(p2);
	assert_int_equal(left, 0); /* consumed as the decoder would */
	stats(&h1, &m1);
	assert_int_equal(m1 - m0, 1);
	assert_int_equal(h1 - h0, 1);
	assert_ptr_not_equal(p1, p2); /* a copy each: the caller frees it */
	assert_int_equal(EVP_PKEY_eq(p1, k), 1);
	assert_int_equal(EVP_PKEY_eq(p2, k), 1);
	EVP_PKEY_free(p1);
	EVP_PKEY_free(p2);
	EVP_PKEY_free(k);
	OPENSSL_free(der);
}

static void
dkimkeys__two_keys__each_gets_its_own(void **state)
{
	unsigned char *d1, *d2;
	EVP_PKEY *k1, *k2, *p;
	int l1, l2, left;

	(void)state;
	k1 = new_key(&d1, &l1);
	k2 = new_key(&d2, &l2);
	for (int round = 0; round < 2; round++) {
		p = decode(d1, l1, &left);
		assert_int_equal(EVP_PKEY_eq(p, k1), 1);
		assert_int_not_equal(EVP_PKEY_eq(p, k2), 1);
		EVP_PKEY_free(p);
		p = decode(d2, l2, &left);
		assert_int_equal(EVP_PKEY_eq(p, k2), 1);
		assert_int_not_equal(EVP_PKEY_eq(p, k1), 1);
		EVP_PKEY_free(p);
	}
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
}

static void
dkimkeys__garbage__no_key_and_nothing_kept(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05, 0xff };
	unsigned long h0, m0, h1, m1;
	int left;

	(void)state;
	stats(&h0, &m0);
	assert_null(decode(junk, sizeof(junk), &left));
	assert_null(decode(junk, sizeof(junk), &left));
	stats(&h1, &m1);
	assert_int_equal(h1 - h0, 0);
	assert_int_equal(m1 - m0, 2);
}

static void
dkimkeys__a_truncated_key__not_the_whole_ones(void **state)
{
	unsigned char *der;
	EVP_PKEY *k, *p;
	int len, left;

	(void)state;
	k = new_key(&der, &len);
	p = decode(der, len, &left);
	assert_non_null(p);
	EVP_PKEY_free(p);
	assert_null(decode(der, len - 1, &left)); /* a prefix is another key: it does not decode */
	EVP_PKEY_free(k);
	OPENSSL_free(der);
}

static void
dkimkeys__other_bios_and_reuse__go_to_libcrypto(void **state)
{
	unsigned char *der;
	EVP_PKEY *k, *into = NULL, *p;
	int len;
	BIO *b;

	(void)state;
	k = new_key(&der, &len);
	b = BIO_new(BIO_s_null());
	assert_null(d2i_PUBKEY_bio(b, NULL));
	BIO_free(b);
	b = BIO_new_mem_buf(der, len);
	p = d2i_PUBKEY_bio(b, &into); /* the caller's own object: libcrypto's path */
	assert_non_null(p);
	assert_ptr_equal(p, into);
	assert_int_equal(EVP_PKEY_eq(p, k), 1);
	BIO_free(b);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	OPENSSL_free(der);
}

static void
dkimkeys__more_keys_than_the_table__still_right(void **state)
{
	enum { N = 80 };
	unsigned char *der[N];
	EVP_PKEY *k[N], *p;
	int len[N], left;

	(void)state;
	for (int i = 0; i < N; i++) {
		k[i] = new_key(&der[i], &len[i]);
		p = decode(der[i], len[i], &left);
		EVP_PKEY_free(p);
	}
	for (int i = 0; i < N; i++) {
		p = decode(der[i], len[i], &left);
		assert_int_equal(EVP_PKEY_eq(p, k[i]), 1);
		EVP_PKEY_free(p);
		EVP_PKEY_free(k[i]);
		OPENSSL_free(der[i]);
	}
	dkimkeys_flush();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dkimkeys__same_key_twice__decoded_once_and_copied),
		cmocka_unit_test(dkimkeys__two_keys__each_gets_its_own),
		cmocka_unit_test(dkimkeys__garbage__no_key_and_nothing_kept),
		cmocka_unit_test(dkimkeys__a_truncated_key__not_the_whole_ones),
		cmocka_unit_test(dkimkeys__other_bios_and_reuse__go_to_libcrypto),
		cmocka_unit_test(dkimkeys__more_keys_than_the_table__still_right),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
