/*
 * fuzz.h - what the libFuzzer targets of t/fuzz share (header only)
 *
 * fuzz_str() turns the fuzzer's bytes into a C string (cut at the first
 * NUL, as every caller of these parsers gets its strings); fuzz_lines()
 * splits them at NUL bytes into up to max strings, for targets that take
 * several inputs; fuzz_file() writes them to a file of this process (the
 * loaders read files by name) and returns its name.  Everything is freed
 * by the next call or at exit: a target stays leak-free under ASan.
 */
#ifndef DOORMAN_FUZZ_H
#define DOORMAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* the NUL-separated parts of data into v[0..max), missing ones "" ;
 * free v[0] only */
static inline void
fuzz_lines(const uint8_t *data, size_t size, char **v, int max)
{
	char *s = malloc(size + 1), *p;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	p = s;
	for (int i = 0; i < max; i++) {
		v[i] = p;
		p += strlen(p);
		if (p < s + size)
			p++; /* past the NUL that ended this part */
	}
}

static inline const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/doorman-fuzz.%ld", (long)getpid());
	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	return path;
}

#endif
