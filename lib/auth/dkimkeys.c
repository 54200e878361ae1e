/*
 * dkimkeys.c - DKIM public keys decoded once, not once per message
 *
 * DESCRIPTION
 *	libopendkim turns the key of every signature it verifies into an
 *	EVP_PKEY with d2i_PUBKEY_bio(), once per message.  In OpenSSL 3
 *	that call builds a decoder context (OSSL_DECODER_CTX_new_for_pkey)
 *	each time, and under load it was a fifth of doorman's CPU per signed
 *	message (bench/README).  Mail from one domain carries the same few
 *	keys over and over, so doorman defines d2i_PUBKEY_bio itself.  A
 *	program linked with libdoorman and libopendkim (the daemon, the unit
 *	tests) exports it, as ld exports every symbol of the executable that
 *	a shared library on its command line refers to: the dynamic linker
 *	then gives libopendkim's call to this function, ahead of libcrypto's
 *	(an unversioned definition in the executable satisfies libopendkim's
 *	reference to d2i_PUBKEY_bio@OPENSSL_3.0.0).  A memory BIO's bytes (the key as fetched from DNS, in
 *	DER) are looked up among the keys already decoded, and a copy of the
 *	decoded key (EVP_PKEY_dup: the caller owns and frees it, nothing is
 *	shared between threads) is returned.  Anything else (another kind of
 *	BIO, a caller that passes its own EVP_PKEY, a key that does not
 *	decode) goes to libcrypto's own function, found with dlsym(RTLD_NEXT).
 *
 *	A key is matched by all its bytes, never by a hash alone: a key is
 *	returned only for exactly the DER it was decoded from.  The table is
 *	small (DKIMKEYS_MAX, replaced in turn) and holds public keys only.
 *
 * THREADS
 *	One mutex guards the table; the decode of a new key runs outside it.
 *
 * LIMITS
 *	A program that does not export the symbol (one linked without
 *	libopendkim on its command line) simply decodes every time: correct,
 *	only slower.  mt-auth checks the daemon's log for keys reused.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "dkimkeys.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DKIMKEYS_MAX 64
#define DKIMKEYS_DER_MAX 4096 /* an RSA-8192 SubjectPublicKeyInfo is ~1.1 KB */

typedef EVP_PKEY *(*d2i_fn)(BIO *, EVP_PKEY **);

struct key {
	unsigned char *der;
	size_t len;
	EVP_PKEY *pkey;
};

static struct {
	pthread_mutex_t lock;
	pthread_once_t once;
	d2i_fn real;
	struct key keys[DKIMKEYS_MAX];
	size_t next; /* the slot replaced next */
	unsigned long hits, misses;
} kc = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

static void
find_real(void)
{
	kc.real = (d2i_fn)dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
}

int
dkimkeys_init(void)
{
	pthread_once(&kc.once, find_real);
	return kc.real != NULL ? 0 : -1;
}

/* a copy of the key decoded from DER, or NULL */
static EVP_PKEY *
lookup(const unsigned char *der, size_t len)
{
	EVP_PKEY *p = NULL;

	pthread_mutex_lock(&kc.lock);
	for (size_t i = 0; i < DKIMKEYS_MAX; i++) {
		struct key *k = &kc.keys[i];
		if (k->pkey != NULL && k->len == len && memcmp(k->der, der, len) == 0) {
			p = EVP_PKEY_dup(k->pkey);
			break;
		}
	}
	if (p != NULL)
		kc.hits++;
	else
		kc.misses++;
	pthread_mutex_unlock(&kc.lock);
	return p;
}

static void
keep(const unsigned char *der, size_t len, const EVP_PKEY *pkey)
{
	unsigned char *copy = malloc(len);
	EVP_PKEY *dup = EVP_PKEY_dup((EVP_PKEY *)pkey);
	struct key *k;

	if (copy == NULL || dup == NULL) {
		free(copy);
		EVP_PKEY_free(dup);
		return;
	}
	memcpy(copy, der, len);
	pthread_mutex_lock(&kc.lock);
	k = &kc.keys[kc.next];
	kc.next = (kc.next + 1) % DKIMKEYS_MAX;
	free(k->der);
	EVP_PKEY_free(k->pkey);
	k->der = copy;
	k->len = len;
	k->pkey = dup;
	pthread_mutex_unlock(&kc.lock);
}

/* the bytes of a memory BIO, not consumed; NULL for any other BIO */
static const unsigned char *
mem_bytes(BIO *bp, size_t *len)
{
	char *data = NULL;
	long n;

	if (bp == NULL || BIO_method_type(bp) != BIO_TYPE_MEM)
		return NULL;
	n = BIO_get_mem_data(bp, &data);
	if (n <= 0 || n > DKIMKEYS_DER_MAX || data == NULL)
		return NULL;
	*len = (size_t)n;
	return (const unsigned char *)data;
}

EVP_PKEY *
d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a)
{
	const unsigned char *der;
	unsigned char *copy;
	EVP_PKEY *p;
	size_t len;

	if (dkimkeys_init() < 0)
		return NULL; /* no libcrypto function to fall back on: no key */
	if (a != NULL || (der = mem_bytes(bp, &len)) == NULL)
		return kc.real(bp, a);
	if ((p = lookup(der, len)) != NULL) {
		char sink[256];
		/* consume the BIO as the decoder would have */
		for (size_t left = len; left > 0;) {
			int r = BIO_read(bp, sink, (int)(left < sizeof(sink) ? left : sizeof(sink)));
			if (r <= 0)
				break;
			left -= (size_t)r;
		}
		return p;
	}
	/* the decoder consumes the BIO: keep the bytes first */
	if ((copy = malloc(len)) == NULL)
		return kc.real(bp, a);
	memcpy(copy, der, len);
	if ((p = kc.real(bp, a)) != NULL)
		keep(copy, len, p);
	free(copy);
	return p;
}

void
dkimkeys_stats(unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&kc.lock);
	*hits = kc.hits;
	*misses = kc.misses;
	pthread_mutex_unlock(&kc.lock);
}

void
dkimkeys_flush(void)
{
	pthread_mutex_lock(&kc.lock);
	for (size_t i = 0; i < DKIMKEYS_MAX; i++) {
		free(kc.keys[i].der);
		EVP_PKEY_free(kc.keys[i].pkey);
		memset(&kc.keys[i], 0, sizeof(kc.keys[i]));
	}
	kc.next = 0;
	pthread_mutex_unlock(&kc.lock);
}
