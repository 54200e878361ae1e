/*
 * report.h - `doorman -R`: DMARC aggregate reports from dmarc.history
 *
 * report_run - takes the history file (milter/report.c), builds one report
 * per policy domain and UTC day, and writes each to outdir (when not
 * NULL) or mails it to the record's rua= destinations through
 * dmarc.report_sendmail.  Prints a line per report and a summary line;
 * returns the exit status: 0 every report handed over (or nothing to
 * report), 1 a report could not be (its rows are kept for the next run),
 * 2 the settings do not allow a run.
 */
#ifndef DOORMAN_REPORT_H
#define DOORMAN_REPORT_H

struct config;
int report_run(const struct config *cfg, const char *outdir);

#endif
