/*
 * keyfile.c - the secret keys of BATV and SRS (see keyfile.h)
 */
#include "keyfile.h"

#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "log.h"
#include "xalloc.h"

/* the keys of policies/batv.keys and srs.secrets, which anyone can read */
static const char *const examples[] = {
	"3f0c9a1d5e7b2c4869f1a0e3d7c5b2a18e6f4d2c0b9a7e5d3c1f8a6b4e2d0c97",
	"Qm9vdW5jZXMgY29tZSBiYWNrIHRvIHRoZSBzZW5kZXI",
};

struct loading {
	const char *path;
	struct keyset *k;
	struct errs *errs;
	int bad;
};

static void
one_key(void *arg, char *line, int lineno)
{
	struct loading *ld = arg;
	size_t len = strlen(line);

	if (len < KEYFILE_MIN_LEN) {
		errs_add(ld->errs, ld->path, lineno, "key of %zu bytes, shorter than %d: write a longer one",
			 len, KEYFILE_MIN_LEN);
		ld->bad++;
		return;
	}
	if (ld->k->n == KEYFILE_MAX) {
		errs_add(ld->errs, ld->path, lineno, "more than %d keys: remove the oldest (at the bottom)",
			 KEYFILE_MAX);
		ld->bad++;
		return;
	}
	ld->k->v[ld->k->n] = xstrdup(line);
	ld->k->len[ld->k->n++] = len;
}

struct keyset *
keyfile_load(const char *path, struct errs *errs)
{
	struct loading ld = { .path = path, .k = xcalloc(1, sizeof(struct keyset)), .errs = errs };

	if (linefile_read(path, 0, errs, one_key, &ld) < 0 || ld.bad) {
		keyfile_free(ld.k);
		return NULL;
	}
	if (ld.k->n == 0) {
		errs_add(errs, path, 0, "no key in the file: write one of at least %d bytes", KEYFILE_MIN_LEN);
		keyfile_free(ld.k);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		if (strcmp(ld.k->v[0], examples[i]) == 0)
			log_msg(LOG_WARNING,
				"%s: the signing key is the example shipped with doorman: anyone can "
				"make tags that verify; write your own (the Debian package does so at "
				"install)",
				path);
	return ld.k;
}

void
keyfile_free(struct keyset *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		/* secrets: not left in freed memory */
		memset(k->v[i], 0, k->len[i]);
		free(k->v[i]);
	}
	free(k);
}
