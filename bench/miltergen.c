/*
 * miltergen.c - a milter protocol load generator (the MTA's side)
 *
 * Speaks the milter protocol (version 6) to a filter the way Postfix does:
 * option negotiation, connect with {daemon_name}, HELO, MAIL with "i" and
 * {auth_authen}, RCPT, DATA, each header field, end of header, the body in
 * chunks, end of message (reading every modification request up to the
 * final answer), QUIT.  Messages come from a corpus directory (files with
 * CRLF line ends, t/auth/make-corpus.py writes one) or are generated
 * (4 KB).  Nothing here links libmilter: this is the MTA's end.
 *
 *   miltergen -s inet:PORT@ADDR [-c CONNS] [-n MSGS] [-d CORPUS] [-p PID]
 *             [-a ADDR[,ADDR...]] [-H HELO] [-f FROM] [-r RCPT] [-D NAME]
 *   miltergen -s inet:PORT@ADDR -S CONNS [-p PID] ...      (scale mode)
 *
 * Load mode: CONNS threads, each opening one milter connection per message
 * (as Postfix opens one per SMTP session), MSGS messages in all.  Prints
 * messages/s, p50/p99 of each stage and of the whole message, the answers
 * (continue, reject, tempfail), and with -p the filter's CPU seconds per
 * 1,000 messages (utime+stime from /proc/PID/stat).
 * Scale mode: opens CONNS connections and takes each past HELO, holds
 * them all open, then serves one message on each; with -p prints the
 * filter's resident memory (VmRSS) at 0, half and all connections.
 * Every loop is bounded by the counts given; every socket has a timeout.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_HEADER, ST_BODY, ST_EOM, ST_MSG, NSTAGES };
static const char *const stage_names[NSTAGES] = { "connect", "helo", "mail", "rcpt",
						  "header", "body", "eom", "message" };

struct msgfile {
	char *head; /* the header block, CRLF lines, folded lines kept */
	size_t headlen;
	char *body;
	size_t bodylen;
};

static struct {
	char host[64];
	int port;
	int conns, msgs, scale;
	pid_t pid;
	const char *helo, *from, *rcpt, *daemon;
	char **addrs;
	int naddrs;
	struct msgfile *corpus;
	int ncorpus;
} opt = { .host = "127.0.0.1", .conns = 20, .msgs = 2000, .helo = "client.auth.test",
	  .from = "<s@none.auth.test>", .rcpt = "<postmaster@example.org>", .daemon = "inbound" };

/* per-stage latencies, microseconds; one array per stage, filled under a lock */
static pthread_mutex_t lat_lock = PTHREAD_MUTEX_INITIALIZER;
static double *lat[NSTAGES];
static size_t nlat[NSTAGES], caplat[NSTAGES];
static unsigned long answers[4]; /* continue/accept, reject, tempfail, error */
static int next_msg;            /* messages handed out (under lat_lock) */

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "miltergen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
record(int st, double us)
{
	pthread_mutex_lock(&lat_lock);
	if (nlat[st] == caplat[st]) {
		caplat[st] = caplat[st] ? caplat[st] * 2 : 1024;
		lat[st] = realloc(lat[st], caplat[st] * sizeof(double));
		if (lat[st] == NULL)
			die("out of memory");
	}
	lat[st][nlat[st]++] = us;
	pthread_mutex_unlock(&lat_lock);
}

/* --- the wire --- */

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_cmd(int fd, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	if (write_all(fd, hdr, 5) < 0)
		return -1;
	return len ? write_all(fd, data, len) : 0;
}

/* one reply: its command letter, or -1; its first 12 bytes of data go to
 * head (when not NULL), the rest is skipped */
static int
read_reply_data(int fd, unsigned char head[12])
{
	unsigned char hdr[5], skip[4096];
	uint32_t n;
	size_t got = 0;

	if (read_all(fd, hdr, 5) < 0)
		return -1;
	memcpy(&n, hdr, 4);
	n = ntohl(n);
	if (n == 0 || n > 64 * 1024 * 1024)
		return -1;
	for (n--; n > 0;) {
		size_t k = n > sizeof(skip) ? sizeof(skip) : n;
		if (read_all(fd, skip, k) < 0)
			return -1;
		if (head != NULL && got < 12) {
			size_t c = k < 12 - got ? k : 12 - got;
			memcpy(head + got, skip, c);
			got += c;
		}
		n -= (uint32_t)k;
	}
	return hdr[4];
}

static int
read_reply(int fd)
{
	return read_reply_data(fd, NULL);
}

/* the steps the filter asked to answer no reply to (SMFIP_NR_*), per session */
static __thread uint32_t no_reply;
#define NR_CONN 0x00001000u
#define NR_HELO 0x00002000u
#define NR_MAIL 0x00004000u
#define NR_RCPT 0x00008000u
#define NR_HDR 0x00000080u
#define NR_DATA 0x00010000u
#define NR_EOH 0x00040000u
#define NR_BODY 0x00080000u

/* a step's answer, or "continue" when the filter said it sends none */
static int
step_reply(int fd, uint32_t nr)
{
	return (no_reply & nr) ? 'c' : read_reply(fd);
}

/* strings joined with their NULs: "a\0b\0" */
static size_t
pack(char *buf, size_t len, int n, ...)
{
	va_list ap;
	size_t used = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);
		size_t k = strlen(s) + 1;
		if (used + k > len)
			break;
		memcpy(buf + used, s, k);
		used += k;
	}
	va_end(ap);
	return used;
}

static int
dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	struct timeval tv = { .tv_sec = 30 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, opt.host, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A stage's command; its answer class: 0 continue, 1 reject, 2 tempfail, 3 error */
static int
answer_class(int r)
{
	switch (r) {
	case 'c':
	case 'a':
	case 's':
		return 0;
	case 'r':
	case 'd':
	case 'y': /* a reply code: doorman sends one only with reject or tempfail */
		return 1;
	case 't':
		return 2;
	default:
		return 3;
	}
}

/* a step the filter answers, unless it said it sends no reply (NR): then
 * its time is only the write, and its work shows in the next answered step */
static int
stage(int fd, int st, char cmd, const void *data, size_t len, uint32_t nr)
{
	double t0 = now_us();
	int r;

	if (send_cmd(fd, cmd, data, len) < 0 || (r = step_reply(fd, nr)) < 0)
		return 3;
	record(st, now_us() - t0);
	return answer_class(r);
}

/* negotiate, connect, HELO: the connection's fd, or -1 */
static int
open_session(int k)
{
	char buf[512];
	/* version 6, every action, values with their leading space
	 * (SMFIP_HDR_LEADSPC) and no-reply steps, as Postfix offers */
	uint32_t neg[3] = { htonl(6), htonl(0x1ff), htonl(0x001fff80u) };
	unsigned char agreed[12];
	const char *addr = opt.addrs[k % opt.naddrs];
	unsigned short port = htons(25);
	size_t n;
	int fd = dial();

	if (fd < 0)
		return -1;
	if (send_cmd(fd, 'O', neg, sizeof(neg)) < 0 || read_reply_data(fd, agreed) != 'O')
		goto fail;
	memcpy(&no_reply, agreed + 8, 4);
	no_reply = ntohl(no_reply) &
		   (NR_CONN | NR_HELO | NR_MAIL | NR_RCPT | NR_HDR | NR_DATA | NR_EOH | NR_BODY);
	n = 1;
	buf[0] = 'C';
	n += pack(buf + 1, sizeof(buf) - 1, 4, "{daemon_name}", opt.daemon, "j", "mx.example.org");
	if (send_cmd(fd, 'D', buf, n) < 0)
		goto fail;
	n = pack(buf, sizeof(buf), 1, "client.example.net");
	buf[n++] = '4';
	memcpy(buf + n, &port, 2);
	n += 2;
	n += pack(buf + n, sizeof(buf) - n, 1, addr);
	if (stage(fd, ST_CONNECT, 'C', buf, n, NR_CONN) != 0)
		goto fail;
	n = pack(buf, sizeof(buf), 1, opt.helo);
	if (stage(fd, ST_HELO, 'H', buf, n, NR_HELO) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static const struct msgfile *
pick(int i)
{
	return &opt.corpus[i % opt.ncorpus];
}

/* a request the filter may send at end of message before its answer */
static int
is_modification(int r)
{
	switch (r) {
	case 'h': case 'i': case 'm': case '+': case '-': case '2':
	case 'e': case 'q': case 'p': case 'b':
		return 1;
	default:
		return 0;
	}
}

/* One message on an open session; its answer class. */
static int
message(int fd, int i)
{
	const struct msgfile *m = pick(i);
	char buf[8192], qid[32];
	double t0 = now_us(), th;
	size_t n;
	int a, r;

	snprintf(qid, sizeof(qid), "GEN%d", i);
	n = 1;
	buf[0] = 'M';
	n += pack(buf + 1, sizeof(buf) - 1, 4, "i", qid, "{auth_authen}", "");
	if (send_cmd(fd, 'D', buf, n) < 0)
		return 3;
	n = pack(buf, sizeof(buf), 1, opt.from);
	if ((a = stage(fd, ST_MAIL, 'M', buf, n, NR_MAIL)) != 0)
		return a;
	n = pack(buf, sizeof(buf), 1, opt.rcpt);
	if ((a = stage(fd, ST_RCPT, 'R', buf, n, NR_RCPT)) != 0)
		return a;
	if (send_cmd(fd, 'T', NULL, 0) < 0 || answer_class(step_reply(fd, NR_DATA)) != 0)
		return 3;
	/* header fields: "name:value" lines, continuation lines joined */
	th = now_us();
	for (const char *p = m->head, *end = m->head + m->headlen; p < end;) {
		const char *colon, *eol = p;
		size_t nl;
		/* the field runs to a CRLF not followed by white space */
		for (;;) {
			eol = memchr(eol, '\n', (size_t)(end - eol));
			if (eol == NULL || eol + 1 >= end || (eol[1] != ' ' && eol[1] != '\t'))
				break;
			eol++;
		}
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && (size_t)(eol - p) + 2 < sizeof(buf)) {
			nl = (size_t)(colon - p);
			memcpy(buf, p, nl);
			buf[nl] = '\0';
			n = nl + 1;
			/* the value as it came (leading space kept), less the final CRLF */
			size_t vl = (size_t)(eol - colon - 1);
			if (vl > 0 && colon[vl] == '\r')
				vl--;
			memcpy(buf + n, colon + 1, vl);
			n += vl;
			buf[n++] = '\0';
			if (send_cmd(fd, 'L', buf, n) < 0 || answer_class(step_reply(fd, NR_HDR)) != 0)
				return 3;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (send_cmd(fd, 'N', NULL, 0) < 0 || answer_class(step_reply(fd, NR_EOH)) != 0)
		return 3;
	record(ST_HEADER, now_us() - th);
	th = now_us();
	for (size_t off = 0; off < m->bodylen; off += 65535) {
		size_t k = m->bodylen - off > 65535 ? 65535 : m->bodylen - off;
		if (send_cmd(fd, 'B', m->body + off, k) < 0 || answer_class(step_reply(fd, NR_BODY)) != 0)
			return 3;
	}
	record(ST_BODY, now_us() - th);
	th = now_us();
	if (send_cmd(fd, 'E', NULL, 0) < 0)
		return 3;
	/* modification requests, then the final answer */
	for (int k = 0; k < 10000; k++) {
		r = read_reply(fd);
		if (r < 0)
			return 3;
		if (!is_modification(r))
			break;
	}
	record(ST_EOM, now_us() - th);
	record(ST_MSG, now_us() - t0);
	return answer_class(r);
}

static void *
worker(void *arg)
{
	int k = (int)(intptr_t)arg;

	for (;;) {
		int i, fd, a;
		pthread_mutex_lock(&lat_lock);
		i = next_msg < opt.msgs ? next_msg++ : -1;
		pthread_mutex_unlock(&lat_lock);
		if (i < 0)
			break;
		fd = open_session(k + i);
		a = fd < 0 ? 3 : message(fd, i);
		if (fd >= 0) {
			send_cmd(fd, 'Q', NULL, 0);
			close(fd);
		}
		pthread_mutex_lock(&lat_lock);
		answers[a]++;
		pthread_mutex_unlock(&lat_lock);
	}
	return NULL;
}

/* --- the filter process --- */

static double
cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	/* after the ")" of the command name: state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
pct(int st, double p)
{
	if (nlat[st] == 0)
		return 0;
	qsort(lat[st], nlat[st], sizeof(double), cmp_double);
	return lat[st][(size_t)(p * (double)(nlat[st] - 1))];
}

/* --- the corpus --- */

static void
add_msg(char *data, size_t len)
{
	char *sep = NULL;

	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0) {
			sep = data + i;
			break;
		}
	if (sep == NULL)
		return;
	opt.corpus = realloc(opt.corpus, (size_t)(opt.ncorpus + 1) * sizeof(*opt.corpus));
	if (opt.corpus == NULL)
		die("out of memory");
	opt.corpus[opt.ncorpus].head = data;
	opt.corpus[opt.ncorpus].headlen = (size_t)(sep - data) + 2;
	opt.corpus[opt.ncorpus].body = sep + 4;
	opt.corpus[opt.ncorpus].bodylen = len - (size_t)(sep + 4 - data);
	opt.ncorpus++;
}

static void
load_corpus(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		FILE *f;
		long len;
		char *data;
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		if (len > 0 && (data = malloc((size_t)len + 1)) != NULL &&
		    fread(data, 1, (size_t)len, f) == (size_t)len)
			add_msg(data, (size_t)len);
		fclose(f);
	}
	closedir(d);
	if (opt.ncorpus == 0)
		die("%s: no .eml files with a header", dir);
}

/* a 4 KB message like smtp-source's */
static void
generate(void)
{
	size_t cap = 8192, n;
	char *m = malloc(cap);

	if (m == NULL)
		die("out of memory");
	n = (size_t)snprintf(m, cap,
			     "From: <s@none.auth.test>\r\nTo: <postmaster@example.org>\r\n"
			     "Subject: miltergen\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
			     "Message-ID: <gen@miltergen>\r\n\r\n");
	static const char line[] = "La de da de da de da de da de da de da de da de da de da de da.\r\n";
	while (n + sizeof(line) < 4096) {
		memcpy(m + n, line, sizeof(line) - 1);
		n += sizeof(line) - 1;
	}
	add_msg(m, n);
}

static void
usage(void)
{
	fprintf(stderr, "usage: miltergen -s inet:PORT@ADDR [-c conns] [-n msgs] [-S conns] [-d corpus]\n"
			"       [-p pid] [-a addr,...] [-H helo] [-f <from>] [-r <rcpt>] [-D daemon_name]\n");
	exit(2);
}

static void
split_addrs(char *s)
{
	for (char *t = strtok(s, ","); t != NULL; t = strtok(NULL, ",")) {
		opt.addrs = realloc(opt.addrs, (size_t)(opt.naddrs + 1) * sizeof(char *));
		if (opt.addrs == NULL)
			die("out of memory");
		opt.addrs[opt.naddrs++] = t;
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
scale(void)
{
	int *fds = calloc((size_t)opt.scale, sizeof(int)), open_ok = 0, served = 0;
	long r0, r_half = -1, r_all;

	if (fds == NULL)
		die("out of memory");
	r0 = opt.pid ? rss_kb(opt.pid) : -1;
	for (int k = 0; k < opt.scale; k++) {
		fds[k] = open_session(k);
		open_ok += fds[k] >= 0;
		if (k + 1 == opt.scale / 2 && opt.pid)
			r_half = rss_kb(opt.pid);
	}
	usleep(200000);
	r_all = opt.pid ? rss_kb(opt.pid) : -1;
	for (int k = 0; k < opt.scale; k++) {
		if (fds[k] < 0)
			continue;
		served += message(fds[k], k) == 0;
	}
	for (int k = 0; k < opt.scale; k++)
		if (fds[k] >= 0) {
			send_cmd(fds[k], 'Q', NULL, 0);
			close(fds[k]);
		}
	printf("scale: %d connections opened and held, %d messages served on them\n", open_ok, served);
	if (opt.pid)
		printf("scale: filter VmRSS %ld kB at 0, %ld kB at %d, %ld kB at %d connections; "
		       "%.1f MB per 1,000 connections\n",
		       r0, r_half, opt.scale / 2, r_all, opt.scale,
		       opt.scale > 0 ? (double)(r_all - r0) / 1024.0 * 1000.0 / opt.scale : 0);
	free(fds);
	return open_ok == opt.scale && served == opt.scale ? 0 : 1;
}

int
main(int argc, char **argv)
{
	char *addrs = NULL;
	const char *corpus = NULL, *sock = NULL;
	double t0, t1, c0 = 0, c1 = 0;
	pthread_t *tids;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:S:d:p:a:H:f:r:D:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'n':
			opt.msgs = atoi(optarg);
			break;
		case 'S':
			opt.scale = atoi(optarg);
			break;
		case 'd':
			corpus = optarg;
			break;
		case 'p':
			opt.pid = (pid_t)atoi(optarg);
			break;
		case 'a':
			addrs = optarg;
			break;
		case 'H':
			opt.helo = optarg;
			break;
		case 'f':
			opt.from = optarg;
			break;
		case 'r':
			opt.rcpt = optarg;
			break;
		case 'D':
			opt.daemon = optarg;
			break;
		default:
			usage();
		}
	}
	if (sock == NULL || sscanf(sock, "inet:%d@%63s", &opt.port, opt.host) < 1 || opt.port <= 0 ||
	    opt.conns < 1 || opt.msgs < 0 || opt.scale < 0)
		usage();
	split_addrs(addrs ? addrs : (char[]){ "203.0.113.5" });
	if (corpus)
		load_corpus(corpus);
	else
		generate();
	raise_nofile();
	if (opt.scale > 0)
		return scale();

	tids = calloc((size_t)opt.conns, sizeof(*tids));
	if (tids == NULL)
		die("out of memory");
	c0 = opt.pid ? cpu_seconds(opt.pid) : 0;
	t0 = now_us();
	for (int k = 0; k < opt.conns; k++)
		if (pthread_create(&tids[k], NULL, worker, (void *)(intptr_t)k) != 0)
			die("cannot start thread %d", k);
	for (int k = 0; k < opt.conns; k++)
		pthread_join(tids[k], NULL);
	t1 = now_us();
	c1 = opt.pid ? cpu_seconds(opt.pid) : 0;
	printf("messages: %d in %.3f s, %.1f msg/s over %d connections (%d corpus files)\n", opt.msgs,
	       (t1 - t0) / 1e6, opt.msgs / ((t1 - t0) / 1e6), opt.conns, opt.ncorpus);
	printf("answers: continue %lu, reject %lu, tempfail %lu, error %lu\n", answers[0], answers[1],
	       answers[2], answers[3]);
	for (int st = 0; st < NSTAGES; st++)
		if (nlat[st] > 0)
			printf("latency %-8s p50 %8.3f ms  p99 %8.3f ms  (%zu)\n", stage_names[st],
			       pct(st, 0.50) / 1000, pct(st, 0.99) / 1000, nlat[st]);
	if (opt.pid)
		printf("filter CPU: %.3f s in all, %.3f s per 1,000 messages\n", c1 - c0,
		       opt.msgs ? (c1 - c0) * 1000.0 / opt.msgs : 0);
	free(tids);
	return answers[3] == 0 ? 0 : 1;
}
