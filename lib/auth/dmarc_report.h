/*
 * dmarc_report.h - the DMARC aggregate report (RFC 7489 7.2, appendix C)
 *
 * dmarc_report_xml() builds the XML of one report from the history rows
 * of one policy domain and period: identical rows (everything but the
 * time) become one <record> with their <count>; <policy_published> is the
 * record as the last row saw it.  The document is in the schema's
 * namespace (http://dmarc.org/dmarc-xml/0.1) and validates against
 * t/dmarc/rua.xsd, the schema of RFC 7489 appendix C; an IPv6 source
 * address is written in full (eight groups), the only form that schema's
 * pattern admits.  dmarc_report_gzip() wraps a document in gzip (zlib).
 * dmarc_rua_parse() reads a rua= value into its mailto: destinations.
 * Nothing here does I/O: milter/report.c reads the history, asks DNS and
 * mails.
 */
#ifndef DOORMAN_DMARC_REPORT_H
#define DOORMAN_DMARC_REPORT_H

#include <stddef.h>

#include "dmarc_history.h"

struct dmarc_report_meta {
	const char *org_name, *email, *contact; /* contact: NULL or "" for none */
	const char *report_id;
	long long begin, end;
};

/* dmarc_report_xml - a newly allocated NUL-terminated document (*len: its
 * length); rows must be n >= 1 rows of one policy domain. */
char *dmarc_report_xml(const struct dmarc_report_meta *m, const struct dmarc_row *rows, size_t n,
		       size_t *len);

/* dmarc_report_gzip - data in a gzip member named name; newly allocated,
 * NULL on a zlib failure. */
unsigned char *dmarc_report_gzip(const char *data, size_t len, const char *name, size_t *outlen);

#define DMARC_RUA_MAX 8
struct dmarc_rua {
	char addr[320];           /* local@domain, from mailto: */
	char domain[256];         /* its domain, lower case */
	unsigned long long limit; /* bytes; 0: no limit */
};

/* dmarc_rua_parse - the mailto: URIs of a rua= value (others are not
 * ours to use and are skipped, as is a malformed one); how many, at most
 * max. */
int dmarc_rua_parse(const char *rua, struct dmarc_rua *out, int max);

#endif
