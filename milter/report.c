/*
 * report.c - `doorman -R [-o DIR]`: DMARC aggregate reports (see report.h)
 *
 * Taking the history: FILE.lock is held (flock) for the whole run, so two
 * runs never race; FILE is renamed to FILE.taken, and the daemon's next
 * row starts a new FILE (it opens the file for each row).  A run waits a
 * second after the rename: a worker that opened FILE just before it ends
 * its one write(2) within that time.  A FILE.taken found at start is a run
 * that ended early (a crash, a failed delivery): it is reported first, and
 * FILE is left for the next run.  At the end, FILE.taken is removed, or
 * rewritten with the rows of the reports that could not be handed over,
 * to be tried again by the next run.  A row that does not decode is
 * dropped and counted.
 *
 * Reports: one per policy domain (the domain whose _dmarc record was
 * used) and UTC day; its date range runs from its first row to its last.
 * Named as RFC 7489 7.2.1.1 asks: receiver!policy-domain!begin!end.xml.gz,
 * the receiver being the domain of dmarc.report_from.
 *
 * Destinations: each mailto: URI of the rua= tag as the last row saw it.
 * One whose domain is not under the policy domain's organizational domain
 * is used only when <policy-domain>._report._dmarc.<its domain> has a TXT
 * record starting "v=DMARC1" (RFC 7489 7.1), asked through doorman's
 * resolver; no such record skips it, a lookup that fails for now keeps
 * the report for the next run.  One whose size limit (the "!10m" suffix)
 * the message exceeds is skipped.  Every skip is printed with its reason.
 *
 * Mail: a MIME message (a short text part, the gzip file as a base64
 * attachment) piped to `dmarc.report_sendmail -oi -f FROM -- TO`, one run
 * per destination; a sendmail that exits non-zero fails the report.
 *
 * Limits: the authorization record's own rua= override (RFC 7489 7.1)
 * is not read; destinations are the policy domain's own.  A report that
 * reached some destinations and failed for another is sent again to all
 * of them by the next run.
 */
#define _GNU_SOURCE /* pipe2 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "dmarc_history.h"
#include "dmarc_report.h"
#include "dns.h"
#include "xalloc.h"

/* rows one run reads (each takes some 4.6 KB while it runs): the rest of
 * the file stays for the next run */
#define ROWS_MAX 50000

struct run {
	const struct config *cfg;
	const char *outdir;
	struct dns *dns;
	char from[320], receiver[256], org[256];
	unsigned long reports, sent, written, skipped, failed;
};

static int
by_domain_time(const void *a, const void *b)
{
	const struct dmarc_row *x = a, *y = b;
	int c = strcmp(x->policy_domain, y->policy_domain);

	if (c != 0)
		return c;
	return x->time < y->time ? -1 : x->time > y->time;
}

static char *
base64(const unsigned char *in, size_t len)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t out_len = (len + 2) / 3 * 4, lines = out_len / 76 + 1;
	char *out = xmalloc(out_len + lines * 2 + 1), *o = out;
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = t[v >> 18 & 63];
		*o++ = t[v >> 12 & 63];
		*o++ = i + 1 < len ? t[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? t[v & 63] : '=';
		if ((col += 4) == 76) {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
	}
	if (col > 0) {
		*o++ = '\r';
		*o++ = '\n';
	}
	*o = '\0';
	return out;
}

/* the report as a MIME message to one destination; newly allocated */
static char *
message(const struct run *R, const char *to, const char *pdom, const char *id,
	const char *file, const unsigned char *gz, size_t gzlen)
{
	char date[64], *b64 = base64(gz, gzlen), *msg;
	time_t now = time(NULL);
	struct tm tm;
	size_t len;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	len = strlen(b64) + 4096;
	msg = xmalloc(len);
	snprintf(msg, len,
		 "From: %s\r\n"
		 "To: %s\r\n"
		 "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n"
		 "Date: %s\r\n"
		 "Message-ID: <%s@%s>\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: multipart/mixed; boundary=\"doorman-report-boundary\"\r\n"
		 "\r\n"
		 "--doorman-report-boundary\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n"
		 "\r\n"
		 "This is a DMARC aggregate report (RFC 7489) from %s for %s.\r\n"
		 "\r\n"
		 "--doorman-report-boundary\r\n"
		 "Content-Type: application/gzip; name=\"%s\"\r\n"
		 "Content-Disposition: attachment; filename=\"%s\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n"
		 "\r\n"
		 "%s"
		 "--doorman-report-boundary--\r\n",
		 R->from, to, pdom, R->org, id, date, id, R->receiver, R->org, pdom, file, file, b64);
	free(b64);
	return msg;
}

/* 0 handed over, -1 not (printed) */
static int
sendmail(const struct run *R, const char *to, const char *msg)
{
	int p[2], status;
	pid_t pid;
	size_t len = strlen(msg), off = 0;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		printf("  %s: cannot run %s: %s\n", to, R->cfg->dmarc_report_sendmail, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(p[0], 0);
		execl(R->cfg->dmarc_report_sendmail, R->cfg->dmarc_report_sendmail, "-oi", "-f",
		      R->from, "--", to, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	while (off < len) {
		ssize_t w = write(p[1], msg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (off < len || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("  %s: %s failed (status %d)\n", to, R->cfg->dmarc_report_sendmail,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

enum authz { AUTHZ_YES, AUTHZ_NO, AUTHZ_TEMPFAIL };

/* RFC 7489 7.1: may pdom's reports go to a destination in domain? */
static enum authz
authorized(const struct run *R, const char *pdom, const char *domain)
{
	char a[256], b[256], name[600];
	struct dns_batch *batch;
	const struct dns_answer *ans;
	enum authz res = AUTHZ_NO;
	int i;

	org_domain(pdom, a, sizeof(a));
	org_domain(domain, b, sizeof(b));
	if (strcmp(a, b) == 0)
		return AUTHZ_YES;
	if ((size_t)snprintf(name, sizeof(name), "%s._report._dmarc.%s", pdom, domain) >= 256)
		return AUTHZ_NO;
	batch = dns_batch_new(R->dns, 1);
	i = dns_batch_add(batch, name, DNS_TYPE_TXT);
	dns_batch_wait(batch, (int)R->cfg->resolver_timeout);
	ans = dns_batch_answer(batch, i);
	if (ans->status == DNS_TEMPFAIL)
		res = AUTHZ_TEMPFAIL;
	else if (ans->status == DNS_FOUND)
		for (int k = 0; k < ans->nrr; k++)
			if (strncmp(ans->rr[k], "v=DMARC1", 8) == 0 &&
			    (ans->rr[k][8] == '\0' || ans->rr[k][8] == ';' || ans->rr[k][8] == ' '))
				res = AUTHZ_YES;
	dns_batch_free(batch);
	return res;
}

static int
write_file(const char *dir, const char *file, const unsigned char *data, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "w")) == NULL) {
		printf("  %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0 || !ok) {
		printf("  %s: cannot write\n", path);
		return -1;
	}
	printf("  wrote %s\n", path);
	return 0;
}

/* one report from rows[0..n): 0 handed over (or nothing to do), -1 keep */
static int
one_report(struct run *R, const struct dmarc_row *rows, size_t n)
{
	const struct dmarc_row *last = &rows[n - 1];
	struct dmarc_rua rua[DMARC_RUA_MAX];
	struct dmarc_report_meta m;
	char id[400], file[700];
	size_t xlen, gzlen;
	char *xml;
	unsigned char *gz;
	int nrua = dmarc_rua_parse(last->rua, rua, DMARC_RUA_MAX), rc = 0;

	R->reports++;
	snprintf(id, sizeof(id), "%lld.%lld.%s", rows[0].time, last->time, last->policy_domain);
	snprintf(file, sizeof(file), "%s!%s!%lld!%lld.xml.gz", R->receiver, last->policy_domain,
		 rows[0].time, last->time);
	printf("report %s: %zu messages, %s\n", file, n,
	       nrua > 0 ? "rua" : "no rua= mailto: destination, not sent");
	if (nrua == 0 && R->outdir == NULL)
		return 0;
	m.org_name = R->org;
	m.email = R->from;
	m.contact = R->cfg->dmarc_report_contact;
	m.report_id = id;
	m.begin = rows[0].time;
	m.end = last->time;
	xml = dmarc_report_xml(&m, rows, n, &xlen);
	gz = dmarc_report_gzip(xml, xlen, file, &gzlen);
	free(xml);
	if (gz == NULL) {
		printf("  cannot compress\n");
		return -1;
	}
	if (R->outdir != NULL)
		rc = write_file(R->outdir, file, gz, gzlen);
	if (rc == 0 && R->outdir != NULL)
		R->written++;
	for (int i = 0; i < nrua; i++) {
		char *msg = message(R, rua[i].addr, last->policy_domain, id, file, gz, gzlen);
		size_t size = strlen(msg);
		enum authz az = authorized(R, last->policy_domain, rua[i].domain);
		if (az == AUTHZ_NO) {
			printf("  skip %s: no authorization record %s._report._dmarc.%s\n", rua[i].addr,
			       last->policy_domain, rua[i].domain);
			R->skipped++;
		} else if (az == AUTHZ_TEMPFAIL) {
			printf("  %s: authorization lookup failed for now\n", rua[i].addr);
			rc = -1;
		} else if (rua[i].limit > 0 && size > rua[i].limit) {
			printf("  skip %s: report of %zu bytes over its limit of %llu\n", rua[i].addr,
			       size, rua[i].limit);
			R->skipped++;
		} else if (R->outdir != NULL) {
			printf("  to %s (%zu bytes)\n", rua[i].addr, size);
		} else if (sendmail(R, rua[i].addr, msg) == 0) {
			printf("  sent to %s (%zu bytes)\n", rua[i].addr, size);
			R->sent++;
		} else {
			rc = -1;
		}
		free(msg);
	}
	free(gz);
	if (rc < 0)
		R->failed++;
	return rc;
}

/* rows kept for the next run (those of reports not handed over, and the
 * file from offset rest on, unread): FILE.taken rewritten, or removed
 * when none */
static int
keep_rows(const char *taken, const struct dmarc_row *rows, const bool *keep, size_t n, long rest)
{
	char tmp[4300], line[DMARC_ROW_MAX];
	bool any = rest >= 0;
	FILE *f, *in;
	size_t got;

	for (size_t i = 0; i < n; i++)
		any |= keep[i];
	if (!any)
		return unlink(taken);
	snprintf(tmp, sizeof(tmp), "%s.tmp", taken);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (keep[i] && dmarc_row_encode(&rows[i], line, sizeof(line)) > 0)
			fputs(line, f);
	if (rest >= 0 && (in = fopen(taken, "r")) != NULL) {
		if (fseek(in, rest, SEEK_SET) == 0)
			while ((got = fread(line, 1, sizeof(line), in)) > 0)
				fwrite(line, 1, got, f);
		fclose(in);
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, taken);
}

static int
take(const char *path, char *taken, size_t len)
{
	struct stat st;

	snprintf(taken, len, "%s.taken", path);
	if (stat(taken, &st) == 0) {
		printf("resuming %s (an earlier run did not finish)\n", taken);
		return 1;
	}
	if (rename(path, taken) < 0)
		return errno == ENOENT ? 0 : -1;
	sleep(1); /* a row begun before the rename lands in taken */
	return 1;
}

int
report_run(const struct config *cfg, const char *outdir)
{
	const char *path = cfg->dmarc_history;
	struct run R = { .cfg = cfg, .outdir = outdir };
	char lockname[4200], taken[4200], why[256], *line = NULL;
	struct dmarc_row *rows = NULL;
	size_t n = 0, cap = 0, linecap = 0, bad = 0;
	bool *keep;
	FILE *f;
	ssize_t got;
	int lock, t, status = 0;
	long rest;

	if (*path == '\0') {
		fprintf(stderr, "doorman -R: dmarc.history is not set in %s\n", cfg->file);
		return 2;
	}
	snprintf(R.from, sizeof(R.from), "%s", *cfg->dmarc_report_from ? cfg->dmarc_report_from : "");
	if (R.from[0] == '\0')
		snprintf(R.from, sizeof(R.from), "postmaster@%s", cfg->authserv_id);
	snprintf(R.receiver, sizeof(R.receiver), "%s", strrchr(R.from, '@') + 1);
	snprintf(R.org, sizeof(R.org), "%s", *cfg->dmarc_report_org ? cfg->dmarc_report_org : cfg->authserv_id);

	snprintf(lockname, sizeof(lockname), "%s.lock", path);
	if ((lock = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		fprintf(stderr, "doorman -R: %s: %s\n", lockname, strerror(errno));
		return 1;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "doorman -R: another run holds %s\n", lockname);
		close(lock);
		return 1;
	}
	if ((t = take(path, taken, sizeof(taken))) <= 0) {
		if (t < 0)
			fprintf(stderr, "doorman -R: %s: %s\n", path, strerror(errno));
		else
			printf("doorman -R: rows=0 bad=0 reports=0 sent=0 written=0 skipped=0 failed=0\n");
		close(lock);
		return t < 0 ? 1 : 0;
	}
	if ((f = fopen(taken, "r")) == NULL) {
		fprintf(stderr, "doorman -R: %s: %s\n", taken, strerror(errno));
		close(lock);
		return 1;
	}
	while (n < ROWS_MAX && (got = getline(&line, &linecap, f)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		if (dmarc_row_decode(line, (size_t)got, &rows[n]) == 0)
			n++;
		else
			bad++;
	}
	free(line);
	rest = n == ROWS_MAX ? ftell(f) : -1;
	fclose(f);
	if (bad > 0)
		printf("%zu rows of %s not understood: dropped\n", bad, taken);
	qsort(rows, n, sizeof(*rows), by_domain_time);

	if (auth_init(cfg->public_suffix_list, cfg->authserv_id, why, sizeof(why)) < 0 ||
	    (R.dns = config_resolver_new(cfg, why, sizeof(why))) == NULL) {
		fprintf(stderr, "doorman -R: %s\n", why);
		free(rows);
		close(lock);
		return 1;
	}
	keep = xcalloc(n ? n : 1, sizeof(*keep));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(rows[j].policy_domain, rows[i].policy_domain) == 0 &&
		       rows[j].time / 86400 == rows[i].time / 86400)
			j++;
		if (one_report(&R, rows + i, j - i) < 0) {
			for (size_t k = i; k < j; k++)
				keep[k] = true;
			status = 1;
		}
		i = j;
	}
	if (keep_rows(taken, rows, keep, n, rest) < 0) {
		fprintf(stderr, "doorman -R: %s: %s\n", taken, strerror(errno));
		status = 1;
	}
	printf("doorman -R: rows=%zu bad=%zu reports=%lu sent=%lu written=%lu skipped=%lu failed=%lu\n",
	       n, bad, R.reports, R.sent, R.written, R.skipped, R.failed);
	free(keep);
	free(rows);
	dns_free(R.dns);
	auth_shutdown();
	close(lock);
	return status;
}
