/*
 * linefile.c - the line reader shared by the policy's data files (see linefile.h)
 */
#include "linefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
linefile_read(const char *path, unsigned flags, struct errs *errs, linefile_fn fn, void *arg)
{
	char line[LINEFILE_MAX + 2];
	int lineno = 0, rc = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		errs_add(errs, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		char *p = line, *hash;

		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			int c;
			errs_add(errs, path, lineno, "line longer than %d characters", LINEFILE_MAX);
			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		if ((flags & LINEFILE_HASH_COMMENTS) && (hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		fn(arg, p, lineno);
	}
	if (ferror(fp)) {
		errs_add(errs, path, lineno, "read error: %s", strerror(errno));
		rc = -1;
	}
	fclose(fp);
	return rc;
}
