/*
 * hdrval.c - header field values doorman sends to the MTA (see hdrval.h)
 */
#include "hdrval.h"

#include <stdbool.h>

static bool
byte_ok(const char *p)
{
	unsigned char ch = (unsigned char)*p;

	if (ch == '\n')
		return p[1] == ' ' || p[1] == '\t'; /* folding; a LF at the end is not */
	return ch >= 0x20 ? ch != 0x7f : ch == '\t';
}

const char *
hdrval_bad(const char *value)
{
	for (const char *p = value; *p != '\0'; p++)
		if (!byte_ok(p))
			return p;
	return NULL;
}

size_t
hdrval_clean(char *value)
{
	size_t n = 0;
	char *p = value;

	while ((p = (char *)hdrval_bad(p)) != NULL) {
		*p++ = '?';
		n++;
	}
	return n;
}
