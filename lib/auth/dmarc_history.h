/*
 * dmarc_history.h - one row per DMARC-evaluated message, for aggregate
 * reports (RFC 7489 7.2)
 *
 * The daemon appends a row to the file dmarc.history names for every
 * message whose DMARC result (pass or fail) came from a published record;
 * `doorman -R` (milter/report.c) takes the file, groups its rows and
 * builds the reports (dmarc_report.h).
 *
 * A row is one line of tab-separated fields, the first "D1" (the format's
 * version).  Every field is percent-encoded: '%', every byte below '!'
 * (tab, newline, space) and above '~', and '/' and ',' (which separate the
 * parts of the DKIM field) are written %XX; so a field never holds a tab
 * or a newline whatever a client sent.  Fields, in order:
 *   D1 time source_ip header_from envelope_from policy_domain
 *   p sp pct adkim aspf fo rua disposition dkim_eval spf_eval reason
 *   spf_result spf_domain spf_scope dkim
 * where dkim is "" or "result/domain/selector" items joined by ",".
 *
 * dmarc_history_append() writes a row with one write(2) on a descriptor
 * opened with O_APPEND for that row alone: rows of concurrent workers (or
 * processes) never interleave, and a file renamed away by `doorman -R`
 * is let go at the next row.  The file is created mode 0640.
 */
#ifndef DOORMAN_DMARC_HISTORY_H
#define DOORMAN_DMARC_HISTORY_H

#include <stddef.h>

#define DMARC_ROW_MAX 8192 /* an encoded row, newline included */

struct dmarc_row_dkim {
	char result[12]; /* RFC 8601 word */
	char domain[256];
	char selector[64];
};

struct dmarc_row {
	long long time;       /* seconds since the epoch */
	char source_ip[64];   /* as inet_ntop writes it */
	char header_from[256];
	char envelope_from[256]; /* the MAIL FROM domain (the HELO name for <>) */
	char policy_domain[256];
	char p[12], sp[12];   /* none, quarantine, reject */
	int pct;
	char adkim, aspf;     /* 'r' or 's' */
	char fo[16];
	char rua[512];        /* rua= as published */
	char disposition[12]; /* applied: none, quarantine, reject */
	char dkim_eval[8], spf_eval[8]; /* pass or fail: aligned */
	char reason[20];      /* "" or a PolicyOverrideType word */
	char spf_result[12], spf_domain[256], spf_scope[8]; /* scope: mfrom, helo */
	int ndkim;
	struct dmarc_row_dkim dkim[8];
};

/* dmarc_row_encode - the row as a line (with its newline) into buf;
 * its length, or -1 when it does not fit. */
int dmarc_row_encode(const struct dmarc_row *r, char *buf, size_t len);

/* dmarc_row_decode - a line (without or with its newline) into r: 0, or
 * -1 for a line that is not a row of this format (a field missing or too
 * long, a bad number or word). */
int dmarc_row_decode(const char *line, size_t len, struct dmarc_row *r);

/* dmarc_history_append - one row at the end of the file at path: 0, or
 * -1 with why. */
int dmarc_history_append(const char *path, const struct dmarc_row *r, char *why, size_t whylen);

#endif
