/*
 * proto.c - the milter protocol (version 6), served by event-driven workers
 *
 * DESCRIPTION
 *	The MTA's side of a connection is a stream of packets: a 32-bit
 *	length in network order (the command byte included), a command
 *	byte, then its data.  Each command goes to one callback of the
 *	struct pfilter; the callback's answer goes back as one packet, unless
 *	the step's reply was negotiated away (SMFIP_NR_*).  Macros ('D')
 *	are kept per stage; a new MAIL, an abort or a new connection on the
 *	same socket drops those of the message.
 *
 * WHY NOT LIBMILTER
 *	Debian's libmilter hands each connection between a poll() thread
 *	and a worker pool, and polls again before every read: under load
 *	it made ~110 system calls and several thread hand-offs per message,
 *	most of doorman's CPU (bench/README).  Here a connection costs, per
 *	round trip with the MTA, one epoll_wait, one read of everything the
 *	MTA sent (header fields and body chunks arrive together), one write
 *	of every answer and one epoll_ctl, on whichever worker woke.
 *
 * THREADS
 *	Workers share one epoll set; every connection is registered
 *	EPOLLONESHOT, so exactly one worker handles it at a time, and its
 *	callbacks run one after the other (on any worker: nothing
 *	per-connection is thread-local).  Callbacks may block (DNS, a
 *	callout): a worker that takes an event when no other worker is idle
 *	starts another, after a gap that grows with the pool (a burst of
 *	short events, 2,000 sessions closing at once, needs few new
 *	threads), up to MAX_WORKERS; workers above MIN_WORKERS end after
 *	IDLE_EXIT seconds without work.  The listening socket is in the
 *	same set, also one-shot, and non-blocking; lst_lock keeps its
 *	accept and re-arm apart from its close at a stop.  The thread that
 *	called proto_run() waits for the stop signals; every TICK_MS it
 *	starts a worker if none is idle (workers all blocked in callbacks
 *	would start none), and once a second it closes connections that
 *	waited longer than the timeout for a whole command (shutdown(): the
 *	worker that sees the end of the stream frees it).  conns_lock
 *	guards the list of connections (touched at accept, close, that
 *	sweep and the stop only); the counters are atomic.  Times are
 *	CLOCK_MONOTONIC: a step of the wall clock closes nothing.
 *
 * FAILURES
 *	Malformed input (data over the negotiated size, a command too
 *	short for its fields, an unknown command, a write the MTA does not
 *	take within the timeout) closes that connection with one log line:
 *	the MTA then applies its own default action for the session
 *	(Postfix's milter_default_action, Sendmail's F= flags), as with
 *	libmilter.  No input makes the process exit.  A header value the
 *	filter hands over with a byte that could end the field (hdrval.h)
 *	is refused, never sent.
 *
 * LIMITS
 *	A packet's data may be 64 KiB - 1 bytes, as libmilter takes it;
 *	256 KiB - 1 or 1 MiB - 1 when the MTA offers SMFIP_MDS_256K or
 *	SMFIP_MDS_1M (answered as libmilter answers them: the largest
 *	offered).  The input buffer grows with the bytes that arrived, never
 *	with the length a packet announces, and is freed when a connection
 *	waits; a packet must arrive whole within the timeout of the last
 *	whole one.  At most proto_set_max_connections() connections are
 *	served: one more, or one that finds no file descriptor left (a
 *	spare one is kept for this), is accepted and closed at once, so the
 *	MTA sees a refusal now rather than a connection stuck in the
 *	backlog.
 *
 * STOP
 *	The listening socket is closed first (and a unix socket removed if
 *	it is still the one bound); connections waiting for the MTA are
 *	closed at once; a connection in a callback finishes that command,
 *	its answers are written, and it is closed: no new command is taken.
 *	The MTA applies its default action (a 4xx with Postfix's
 *	milter_default_action = tempfail or Sendmail's F=T) to a message
 *	under way.  proto_run() returns only once every worker is gone, or
 *	after STOP_WAIT seconds with callbacks still running, and says which.
 */
#define _GNU_SOURCE /* accept4 */
#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hdrval.h"
#include "log.h"

#define PROTO_VERSION 6
/* the most data in a packet (its command byte not counted), as libmilter
 * takes it: 64 KiB - 1 unless the MTA offers larger sizes (SMFIP_MDS_*) */
#define MDS_64K (64 * 1024 - 1)
#define MDS_256K (256 * 1024 - 1)
#define MDS_1M (1024 * 1024 - 1)
#define SMFIP_MDS_256K 0x10000000UL
#define SMFIP_MDS_1M 0x20000000UL
#define SMFI_INTERNAL 0x70000000UL /* between MTA and engine only */
/* what libmilter assumes of an MTA that offers no actions or no protocol
 * steps (the protocol's version 1-2 defaults) */
#define V1_ACTIONS 0x0FUL
#define V1_PROTOCOL 0x3FUL
#define READ_CHUNK 16384
#define MIN_WORKERS 4
#define MAX_WORKERS 128
#define START_GAP_MS 10 /* gap between new workers, per MIN_WORKERS workers */
#define TICK_MS 50      /* the main thread's look at the pool */
#define IDLE_EXIT 30    /* seconds */
#define STOP_WAIT 10    /* seconds */
#define MAX_ARGS 64  /* MAIL and RCPT arguments passed on; more are dropped */

/* macro stages, in protocol order: a lookup goes from the last back */
enum { MS_CONNECT, MS_HELO, MS_MAIL, MS_RCPT, MS_DATA, MS_EOH, MS_EOM, MS_N };

struct pctx {
	int fd;
	struct pctx *prev, *next; /* conns, under conns_lock */
	long last;                /* monotonic s of the last whole packet (atomic) */
	int busy;                 /* a worker has it (atomic) */
	int partial;              /* part of a packet is waiting (atomic) */
	size_t maxdata;           /* the most data a packet may carry */
	unsigned char *in;        /* input not yet taken as whole packets */
	size_t inlen, incap;
	unsigned char *out; /* answers not yet written */
	size_t outlen, outcap;
	bool out_failed; /* no memory for an answer: the connection ends */
	unsigned long actions, protocol;
	bool in_eom;
	char reply[1024]; /* "code ecode text" for the next reject/tempfail */
	char *mac[MS_N];  /* name\0value\0... */
	size_t maclen[MS_N];
	void *priv;
};

static struct {
	const struct pfilter *f;
	int epfd, timeout, max_conns;
	pthread_mutex_t lst_lock; /* lfd and spare: accept and re-arm vs close */
	int lfd, spare;           /* spare: kept open for refusing at EMFILE */
	int wakefd;               /* eventfd: readable once the workers are to end */
	pthread_mutex_t conns_lock;
	struct pctx *conns;
	int idle, workers, busy, stop, nconns; /* atomic */
	long long last_start;                  /* ms of the last worker start (atomic) */
	long long last_refusal_log;            /* ms (atomic) */
} eng = { .conns_lock = PTHREAD_MUTEX_INITIALIZER,
	  .lst_lock = PTHREAD_MUTEX_INITIALIZER,
	  .epfd = -1,
	  .lfd = -1,
	  .spare = -1,
	  .wakefd = -1,
	  .max_conns = 1024 };

/* the epoll data of the wake eventfd (the listener's is NULL) */
static char wake_mark;

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
mono_s(void)
{
	return (long)(mono_ms() / 1000);
}

static int
aload(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int
aadd(int *p, int n)
{
	return __atomic_add_fetch(p, n, __ATOMIC_SEQ_CST);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* the most data a packet may carry either way; a context made elsewhere
 * (a test's, zeroed) gets libmilter's default */
static size_t
data_limit(const struct pctx *c)
{
	return c->maxdata ? c->maxdata : MDS_64K;
}

/* ---- answers ---- */

/* queue one packet: CMD and the concatenation of N parts */
static int
send_packet(struct pctx *c, char cmd, const void *const *part, const size_t *len, int n)
{
	size_t total = 1;

	for (int i = 0; i < n; i++)
		total += len[i];
	if (total - 1 > data_limit(c))
		return -1;
	if (c->outlen + 4 + total > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 256;
		unsigned char *p;
		while (cap < c->outlen + 4 + total)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL) {
			c->out_failed = true;
			return -1;
		}
		c->out = p;
		c->outcap = cap;
	}
	put32(c->out + c->outlen, (uint32_t)total);
	c->out[c->outlen + 4] = (unsigned char)cmd;
	c->outlen += 5;
	for (int i = 0; i < n; i++) {
		memcpy(c->out + c->outlen, part[i], len[i]);
		c->outlen += len[i];
	}
	return 0;
}

static int
send_strings(struct pctx *c, char cmd, const char *a, const char *b)
{
	const void *part[2] = { a, b };
	size_t len[2] = { strlen(a) + 1, b ? strlen(b) + 1 : 0 };

	return send_packet(c, cmd, part, len, b ? 2 : 1);
}

/* the answer to a step: a verdict packet, or none where none is due */
static void
answer(struct pctx *c, enum pstat st, unsigned long nr)
{
	if (c->protocol & nr) {
		c->reply[0] = '\0';
		return; /* the MTA waits for nothing; a failed step is the filter's to remember */
	}
	switch (st) {
	case PS_REJECT:
	case PS_TEMPFAIL:
		if (c->reply[0] == (st == PS_REJECT ? '5' : '4'))
			send_strings(c, 'y', c->reply, NULL);
		else
			send_packet(c, st == PS_REJECT ? 'r' : 't', NULL, NULL, 0);
		break;
	case PS_CONTINUE:
	case PS_NOREPLY: /* not negotiated away after all: go on */
		send_packet(c, 'c', NULL, NULL, 0);
		break;
	}
	c->reply[0] = '\0';
}

/* write every queued answer; the MTA has TIMEOUT seconds to take them */
static int
flush(struct pctx *c)
{
	size_t off = 0;

	if (c->out_failed) {
		log_msg(LOG_ERR,
			"milter: no memory for an answer to the MTA: closing the connection");
		return -1;
	}
	while (off < c->outlen) {
		ssize_t n = write(c->fd, c->out + off, c->outlen - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			if (poll(&p, 1, eng.timeout * 1000) > 0)
				continue;
			log_msg(LOG_ERR,
				"milter: the MTA took no answer for %d s: closing the connection",
				eng.timeout);
			return -1;
		}
		if (n < 0 && errno != EPIPE && errno != ECONNRESET)
			log_msg(LOG_ERR, "milter: write to the MTA: %s", strerror(errno));
		return -1;
	}
	c->outlen = 0;
	if (c->outcap > 65536) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return 0;
}

/* ---- macros ---- */

static void
macros_clear(struct pctx *c, int from)
{
	for (int i = from; i < MS_N; i++) {
		free(c->mac[i]);
		c->mac[i] = NULL;
		c->maclen[i] = 0;
	}
}

static int
macro_stage(unsigned char cmd)
{
	switch (cmd) {
	case 'C':
		return MS_CONNECT;
	case 'H':
		return MS_HELO;
	case 'M':
		return MS_MAIL;
	case 'R':
		return MS_RCPT;
	case 'T':
		return MS_DATA;
	case 'N':
		return MS_EOH;
	case 'E':
		return MS_EOM;
	default:
		return -1; /* macros for a step we keep none of */
	}
}

static void
take_macros(struct pctx *c, const unsigned char *d, size_t len)
{
	int st;

	if (len < 1 || (st = macro_stage(d[0])) < 0)
		return;
	if (st == MS_MAIL)
		macros_clear(c, MS_MAIL); /* a new message: the last one's are gone */
	free(c->mac[st]);
	c->mac[st] = NULL;
	c->maclen[st] = 0;
	if (len > 1 && (c->mac[st] = malloc(len)) != NULL) {
		memcpy(c->mac[st], d + 1, len - 1);
		c->mac[st][len - 1] = '\0'; /* a last value the MTA did not end */
		c->maclen[st] = len;
	}
}

/* "i" and "{i}" name the same macro */
static bool
macro_name_eq(const char *want, const char *have)
{
	size_t w = strlen(want), h = strlen(have);

	if (w == h)
		return strcmp(want, have) == 0;
	if (w == 1 && h == 3)
		return have[0] == '{' && have[2] == '}' && have[1] == want[0];
	if (w == 3 && h == 1)
		return want[0] == '{' && want[2] == '}' && want[1] == have[0];
	return false;
}

const char *
pctx_getsym(struct pctx *c, const char *name)
{
	for (int st = MS_N - 1; st >= 0; st--) {
		const char *p = c->mac[st], *end;
		if (p == NULL) /* no macros for this stage (NULL + 0 is undefined) */
			continue;
		end = p + c->maclen[st];
		while (p < end) {
			const char *val = p + strlen(p) + 1;
			if (val >= end)
				break;
			if (macro_name_eq(name, p))
				return val;
			p = val + strlen(val) + 1;
		}
	}
	return NULL;
}

/* ---- what callbacks may ask ---- */

void
pctx_setpriv(struct pctx *c, void *p)
{
	c->priv = p;
}

void *
pctx_getpriv(struct pctx *c)
{
	return c->priv;
}

unsigned long
pctx_protocol(const struct pctx *c)
{
	return c->protocol;
}

int
pctx_setreply(struct pctx *c, int code, const char *ecode, const char *text)
{
	int n;

	if (code < 400 || code > 599 || strpbrk(text, "\r\n") != NULL ||
	    (ecode != NULL && strpbrk(ecode, "\r\n ") != NULL))
		return -1;
	n = snprintf(c->reply, sizeof(c->reply), "%03d%s%s %s", code, ecode && *ecode ? " " : "",
		     ecode ? ecode : "", text);
	if (n < 0 || (size_t)n >= sizeof(c->reply)) {
		c->reply[0] = '\0';
		return -1;
	}
	return 0;
}

static bool
may_edit(struct pctx *c, unsigned long action)
{
	return c->in_eom && (c->actions & action);
}

static bool
field_name_ok(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p == ':' || *p == 0x7f)
			return false;
	return true;
}

static int
send_indexed(struct pctx *c, char cmd, int index, const char *name, const char *value)
{
	unsigned char idx[4];
	const void *part[3] = { idx, name, value };
	size_t len[3] = { 4, strlen(name) + 1, strlen(value) + 1 };

	put32(idx, (uint32_t)index);
	return send_packet(c, cmd, part, len, 3);
}

/* a value the MTA would write into the message as it is: refused if it
 * could end the field early (hdrval.h) */
static bool
field_value_ok(const char *name, const char *value)
{
	const char *bad;

	if (value == NULL)
		return false;
	if ((bad = hdrval_bad(value)) != NULL) {
		log_msg(LOG_ERR, "milter: %s field with byte 0x%02x at %zu not sent", name,
			(unsigned char)*bad, (size_t)(bad - value));
		return false;
	}
	return true;
}

int
pctx_addheader(struct pctx *c, const char *name, const char *value)
{
	if (!may_edit(c, SMFIF_ADDHDRS) || !field_name_ok(name) || !field_value_ok(name, value))
		return -1;
	return send_strings(c, 'h', name, value);
}

int
pctx_insheader(struct pctx *c, int index, const char *name, const char *value)
{
	if (!may_edit(c, SMFIF_ADDHDRS) || !field_name_ok(name) || index < 0 ||
	    !field_value_ok(name, value))
		return -1;
	return send_indexed(c, 'i', index, name, value);
}

int
pctx_chgheader(struct pctx *c, const char *name, int index, const char *value)
{
	if (!may_edit(c, SMFIF_CHGHDRS) || !field_name_ok(name) || index < 1 ||
	    (value != NULL && !field_value_ok(name, value)))
		return -1;
	return send_indexed(c, 'm', index, name, value ? value : "");
}

int
pctx_addrcpt(struct pctx *c, const char *rcpt)
{
	if (!may_edit(c, SMFIF_ADDRCPT) || *rcpt == '\0')
		return -1;
	return send_strings(c, '+', rcpt, NULL);
}

int
pctx_delrcpt(struct pctx *c, const char *rcpt)
{
	if (!may_edit(c, SMFIF_DELRCPT) || *rcpt == '\0')
		return -1;
	return send_strings(c, '-', rcpt, NULL);
}

int
pctx_chgfrom(struct pctx *c, const char *sender)
{
	if (!may_edit(c, SMFIF_CHGFROM) || *sender == '\0')
		return -1;
	return send_strings(c, 'e', sender, NULL);
}

int
pctx_quarantine(struct pctx *c, const char *reason)
{
	if (!may_edit(c, SMFIF_QUARANTINE) || *reason == '\0')
		return -1;
	return send_strings(c, 'q', reason, NULL);
}

/* ---- commands ---- */

/* the NUL-terminated strings of D[0..LEN): at most MAX args, -1 if the
 * data does not end with a NUL */
static int
split_args(unsigned char *d, size_t len, char **argv, int max)
{
	int n = 0;

	if (len == 0 || d[len - 1] != '\0')
		return -1;
	for (size_t i = 0; i < len && n < max; i += strlen((char *)d + i) + 1)
		argv[n++] = (char *)d + i;
	return n;
}

/*
 * The options: what the MTA offers and the filter wants, with libmilter's
 * readings of what the MTA sends: no actions or no protocol steps offered
 * mean the version 1-2 defaults; SMFIP_MDS_1M (else SMFIP_MDS_256K)
 * offered raises the data size, and is answered whatever the filter asked.
 */
static int
negotiate(struct pctx *c, const unsigned char *d, size_t len)
{
	unsigned char o[12];
	const void *part[1] = { o };
	size_t plen[1] = { sizeof(o) };
	unsigned long mta_act, mta_proto, mds = 0;
	uint32_t version;

	if (len < 12) {
		log_msg(LOG_ERR, "milter: option negotiation of %zu bytes: closing the connection",
			len);
		return -1;
	}
	version = get32(d);
	if (version < 2) {
		log_msg(LOG_ERR,
			"milter: the MTA speaks protocol version %u: closing the connection",
			version);
		return -1;
	}
	if ((mta_act = get32(d + 4)) == 0)
		mta_act = V1_ACTIONS;
	if ((mta_proto = get32(d + 8)) == 0)
		mta_proto = V1_PROTOCOL;
	c->maxdata = MDS_64K;
	if (mta_proto & SMFIP_MDS_1M) {
		mds = SMFIP_MDS_1M;
		c->maxdata = MDS_1M;
	} else if (mta_proto & SMFIP_MDS_256K) {
		mds = SMFIP_MDS_256K;
		c->maxdata = MDS_256K;
	}
	c->actions = mta_act & eng.f->actions;
	c->protocol = mta_proto & ~SMFI_INTERNAL &
		      (eng.f->protocol | (eng.f->more_protocol ? eng.f->more_protocol(c) : 0));
	put32(o, version < PROTO_VERSION ? version : PROTO_VERSION);
	put32(o + 4, (uint32_t)c->actions);
	put32(o + 8, (uint32_t)(c->protocol | mds));
	return send_packet(c, 'O', part, plen, 1);
}

/* connect: hostname, family, then (for '4' and '6') port and address */
static int
cmd_connect(struct pctx *c, unsigned char *d, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "", *host = (char *)d, *a;
	size_t hl = strnlen(host, len);
	unsigned char buf[sizeof(struct in6_addr)];
	enum pstat st;

	if (hl + 2 > len) {
		log_msg(LOG_ERR, "milter: connect command too short: closing the connection");
		return -1;
	}
	if ((d[hl + 1] == '4' || d[hl + 1] == '6') && hl + 4 < len && d[len - 1] == '\0') {
		int af = d[hl + 1] == '4' ? AF_INET : AF_INET6;
		a = (char *)d + hl + 4;
		if (af == AF_INET6 && strncasecmp(a, "IPv6:", 5) == 0)
			a += 5;
		if (inet_pton(af, a, buf) != 1 || inet_ntop(af, buf, addr, sizeof(addr)) == NULL) {
			log_msg(LOG_WARNING,
				"milter: connect: client address \"%.64s\" not understood", a);
			addr[0] = '\0';
		}
	}
	macros_clear(c, MS_HELO);
	st = eng.f->connect(c, host, addr[0] ? addr : NULL);
	answer(c, st, SMFIP_NR_CONN);
	return 0;
}

/* one whole packet: 0 to go on, -1 to close the connection, 1 at QUIT */
static int
dispatch(struct pctx *c, unsigned char cmd, unsigned char *d, size_t len)
{
	char *argv[MAX_ARGS];
	int argc;

	switch (cmd) {
	case 'O':
		return negotiate(c, d, len);
	case 'D':
		take_macros(c, d, len);
		return 0;
	case 'C':
		return cmd_connect(c, d, len);
	case 'H':
		if (len == 0 || d[len - 1] != '\0')
			break;
		answer(c, eng.f->helo(c, (char *)d), SMFIP_NR_HELO);
		return 0;
	case 'M':
	case 'R':
		if ((argc = split_args(d, len, argv, MAX_ARGS)) < 1)
			break;
		answer(c, cmd == 'M' ? eng.f->mail(c, argv, argc) : eng.f->rcpt(c, argv, argc),
		       cmd == 'M' ? SMFIP_NR_MAIL : SMFIP_NR_RCPT);
		return 0;
	case 'T':
		answer(c, eng.f->data(c), SMFIP_NR_DATA);
		return 0;
	case 'L':
		if ((argc = split_args(d, len, argv, 2)) != 2)
			break;
		answer(c, eng.f->header(c, argv[0], argv[1]), SMFIP_NR_HDR);
		return 0;
	case 'N':
		answer(c, eng.f->eoh(c), SMFIP_NR_EOH);
		return 0;
	case 'B':
		answer(c, eng.f->body(c, d, len), SMFIP_NR_BODY);
		return 0;
	case 'E':
		if (len > 0)
			(void)eng.f->body(c, d, len); /* a last chunk: its answer is the eom's */
		c->in_eom = true;
		answer(c, eng.f->eom(c), 0);
		c->in_eom = false;
		macros_clear(c, MS_MAIL);
		return 0;
	case 'A':
		eng.f->abort(c);
		macros_clear(c, MS_MAIL);
		return 0;
	case 'K': /* QUIT, with a new connection to follow on this socket */
		eng.f->close(c);
		c->priv = NULL;
		macros_clear(c, MS_CONNECT);
		return 0;
	case 'Q':
		return 1;
	case 'U': /* negotiated away; an MTA that sends it anyway: go on */
		answer(c, PS_CONTINUE, SMFIP_NR_UNKN);
		return 0;
	default:
		log_msg(LOG_ERR, "milter: unknown command 0x%02x: closing the connection", cmd);
		return -1;
	}
	log_msg(LOG_ERR, "milter: malformed '%c' command (%zu bytes): closing the connection", cmd,
		len);
	return -1;
}

/* every whole packet in the input buffer; the rest stays for the next
 * read.  After a stop no new command is taken. */
static int
take_packets(struct pctx *c)
{
	size_t off = 0;
	int rc = 0;

	size_t maxdata = data_limit(c);
	size_t out0 = c->outlen;

	/*
	 * Once a stop has begun no new command is taken, except those the MTA
	 * sent together with the one under way up to the first that answers:
	 * with the replies to connect, HELO and MAIL negotiated away, Postfix
	 * sends them with the RCPT that waits for doorman's reply, and that
	 * RCPT is the command under way as the MTA sees it.
	 */
	while (rc == 0 && c->inlen - off >= 4 && (!aload(&eng.stop) || c->outlen == out0)) {
		uint32_t n = get32(c->in + off);
		if (n == 0 || n - 1 > maxdata) {
			log_msg(LOG_ERR,
				"milter: packet of %u bytes from the MTA (at most %zu): closing the connection",
				n, maxdata + 1);
			return -1;
		}
		if (c->inlen - off - 4 < n)
			break;
		rc = dispatch(c, c->in[off + 4], c->in + off + 5, n - 1);
		off += 4 + n;
		__atomic_store_n(&c->last, mono_s(), __ATOMIC_RELAXED);
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return rc;
}

int
proto_feed(const struct pfilter *f, const unsigned char *data, size_t len)
{
	struct pctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return -1;
	c->fd = -1;
	eng.f = f;
	if ((c->in = malloc(len > 0 ? len : 1)) == NULL) { /* serve() never has a NULL buffer */
		free(c);
		return -1;
	}
	if (len > 0)
		memcpy(c->in, data, len);
	c->inlen = c->incap = len;
	rc = take_packets(c);
	f->close(c);
	macros_clear(c, MS_CONNECT);
	free(c->in);
	free(c->out);
	free(c);
	return rc;
}

/*
 * Room for a new read.  The buffer grows with what arrived (by READ_CHUNK,
 * or doubling up to the rest of a packet whose length is known), never to
 * the length a packet announces before its bytes are here.
 */
static int
make_room(struct pctx *c)
{
	size_t want = c->inlen + READ_CHUNK;
	unsigned char *p;

	if (want <= c->incap)
		return 0;
	if (c->inlen >= 4) {
		size_t need = 4 + (size_t)get32(c->in), dbl = c->incap * 2;
		if (dbl > want)
			want = dbl < need ? dbl : (need > want ? need : want);
	}
	if ((p = realloc(c->in, want)) == NULL)
		return -1;
	c->in = p;
	c->incap = want;
	return 0;
}

/* read what the MTA sent and answer it: 0 to wait for more, -1 to close */
static int
serve(struct pctx *c)
{
	for (;;) {
		size_t room;
		ssize_t n;
		int rc;

		if (make_room(c) < 0) {
			log_msg(LOG_ERR,
				"milter: no memory for the MTA's input: closing the connection");
			return -1;
		}
		room = c->incap - c->inlen;
		n = read(c->fd, c->in + c->inlen, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0 && errno != ECONNRESET)
				log_msg(LOG_ERR, "milter: read from the MTA: %s", strerror(errno));
			return -1; /* end of stream: the MTA is done, or we shut it down */
		}
		c->inlen += (size_t)n;
		rc = take_packets(c);
		if (flush(c) < 0 || rc != 0)
			return -1;
		if ((size_t)n < room)
			break; /* nothing more waiting */
	}
	__atomic_store_n(&c->partial, c->inlen > 0, __ATOMIC_RELAXED);
	if (c->inlen == 0 && c->incap > 0) {
		/* an idle connection holds no buffer (2,000 of them, bench/README) */
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	return 0;
}

/* ---- connections ---- */

static void
conn_close(struct pctx *c)
{
	pthread_mutex_lock(&eng.conns_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		eng.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&eng.conns_lock);
	close(c->fd);
	eng.f->close(c);
	macros_clear(c, MS_CONNECT);
	free(c->in);
	free(c->out);
	free(c);
	aadd(&eng.nconns, -1);
}

/* a connection refused (too many, or no descriptor): one log line a second */
static void
log_refusal(const char *why)
{
	long long now = mono_ms(), last = __atomic_load_n(&eng.last_refusal_log, __ATOMIC_RELAXED);

	if (now - last >= 1000 &&
	    __atomic_compare_exchange_n(&eng.last_refusal_log, &last, now, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		log_msg(LOG_ERR, "milter: %s (%d connections): refusing new connections", why,
			aload(&eng.nconns));
}

/* no descriptor left: the spare one makes room to accept and close one
 * connection, so the MTA hears now instead of waiting in the backlog */
static bool
refuse_one(void)
{
	int fd;

	if (eng.spare < 0)
		return false;
	close(eng.spare);
	eng.spare = -1;
	fd = accept4(eng.lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	eng.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_refusal("out of file descriptors");
	return fd >= 0;
}

/* under lst_lock */
static void
accept_some(void)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(eng.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
		struct pctx *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				if (refuse_one())
					continue;
				usleep(10 * 1000); /* not even the spare: let connections end */
			}
			if (errno == ENOMEM || errno == ENOBUFS)
				log_msg(LOG_ERR, "milter: cannot accept a connection: %s",
					strerror(errno));
			break; /* EAGAIN: none left; others (ECONNABORTED...): the next event */
		}
		if (aload(&eng.nconns) >= eng.max_conns) {
			close(fd);
			log_refusal("milter.max_connections reached");
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_msg(LOG_ERR, "milter: no memory for a connection: refused");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last = mono_s();
		c->maxdata = MDS_64K;
		aadd(&eng.nconns, 1);
		pthread_mutex_lock(&eng.conns_lock);
		c->next = eng.conns;
		if (eng.conns)
			eng.conns->prev = c;
		eng.conns = c;
		pthread_mutex_unlock(&eng.conns_lock);
		ev.data.ptr = c;
		if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_msg(LOG_ERR, "milter: epoll_ctl: %s", strerror(errno));
			conn_close(c);
		}
	}
}

/* the listener's event: accept, then wait for the next one, unless the
 * listener was closed meanwhile (a stop) */
static void
listener_event(void)
{
	struct epoll_event lev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = NULL };

	pthread_mutex_lock(&eng.lst_lock);
	if (eng.lfd >= 0) {
		if (eng.spare < 0) /* lost to another thread at the last refusal */
			eng.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		accept_some();
		if (epoll_ctl(eng.epfd, EPOLL_CTL_MOD, eng.lfd, &lev) < 0)
			log_msg(LOG_ERR, "milter: epoll_ctl on the listener: %s", strerror(errno));
	}
	pthread_mutex_unlock(&eng.lst_lock);
}

static void *worker(void *);

static void
start_worker(void)
{
	pthread_t t;

	aadd(&eng.workers, 1);
	if (pthread_create(&t, NULL, worker, NULL) != 0) {
		aadd(&eng.workers, -1);
		log_msg(LOG_WARNING, "milter: cannot start a worker thread: %s", strerror(errno));
		return;
	}
	pthread_detach(t);
}

/*
 * Someone must stay in epoll_wait while this one works: a new worker when
 * none is idle, MAX_WORKERS in all, and not sooner than a gap after the
 * last one that grows with the pool (START_GAP_MS per MIN_WORKERS
 * workers): a burst of short events (2,000 sessions ending at once) adds a
 * few threads, callbacks that all block (a dead resolver) still get ~40
 * workers within two seconds.
 */
static void
more_workers(void)
{
	long long now, last;
	int w = aload(&eng.workers);

	if (aload(&eng.idle) > 0 || w >= MAX_WORKERS || aload(&eng.stop))
		return;
	now = mono_ms();
	last = __atomic_load_n(&eng.last_start, __ATOMIC_RELAXED);
	if (now - last < (long long)START_GAP_MS * w / MIN_WORKERS ||
	    !__atomic_compare_exchange_n(&eng.last_start, &last, now, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return;
	start_worker();
}

static void
handle(struct pctx *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = c };

	__atomic_store_n(&c->busy, 1, __ATOMIC_SEQ_CST);
	if (serve(c) < 0) {
		conn_close(c);
		return;
	}
	__atomic_store_n(&c->busy, 0, __ATOMIC_SEQ_CST);
	/* after a stop: its answers are written, no new command is taken
	 * (proto_run() shuts down those it finds idle; this one was busy) */
	if (aload(&eng.stop)) {
		conn_close(c);
		return;
	}
	if (epoll_ctl(eng.epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		log_msg(LOG_ERR, "milter: epoll_ctl: %s", strerror(errno));
		conn_close(c);
	}
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		int n;

		aadd(&eng.idle, 1);
		n = epoll_wait(eng.epfd, &ev, 1, IDLE_EXIT * 1000);
		aadd(&eng.idle, -1);
		if (n == 0 || (n < 0 && errno == EINTR)) {
			if (n == 0 && aadd(&eng.workers, -1) >= MIN_WORKERS)
				return NULL;
			if (n == 0)
				aadd(&eng.workers, 1);
			continue;
		}
		if (n < 0) {
			log_msg(LOG_ERR, "milter: epoll_wait: %s", strerror(errno));
			break;
		}
		if (ev.data.ptr == &wake_mark)
			break; /* the stop is over: every connection is closed */
		aadd(&eng.busy, 1);
		more_workers();
		if (ev.data.ptr == NULL)
			listener_event();
		else
			handle(ev.data.ptr);
		aadd(&eng.busy, -1);
	}
	aadd(&eng.workers, -1);
	return NULL;
}

/* close the connections that waited longer than the timeout for a whole
 * command from the MTA (a trickling one included) */
static void
sweep(void)
{
	long now = mono_s();

	pthread_mutex_lock(&eng.conns_lock);
	for (struct pctx *c = eng.conns; c != NULL; c = c->next) {
		if (__atomic_load_n(&c->busy, __ATOMIC_SEQ_CST) ||
		    now - __atomic_load_n(&c->last, __ATOMIC_RELAXED) <= eng.timeout)
			continue;
		if (__atomic_load_n(&c->partial, __ATOMIC_RELAXED))
			log_msg(LOG_INFO,
				"milter: a packet from the MTA took over %d s: closing the connection",
				eng.timeout);
		else
			log_msg(LOG_INFO,
				"milter: no command from the MTA for %d s: closing the connection",
				eng.timeout);
		/* the worker that sees the end of the stream frees it */
		shutdown(c->fd, SHUT_RDWR);
		__atomic_store_n(&c->last, now, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&eng.conns_lock);
}

/* shut down the connections no worker has (or all of them): their
 * workers close them; returns how many connections are left */
static int
shut_conns(bool busy_too)
{
	int n = 0;

	pthread_mutex_lock(&eng.conns_lock);
	for (struct pctx *c = eng.conns; c != NULL; c = c->next, n++)
		if (busy_too || !__atomic_load_n(&c->busy, __ATOMIC_SEQ_CST))
			shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&eng.conns_lock);
	return n;
}

void
proto_set_max_connections(int n)
{
	eng.max_conns = n > 0 ? n : 1;
}

/* the stop (see STOP above); 0 when every worker is gone, 1 if callbacks
 * still run after STOP_WAIT seconds */
static int
stop_serving(int sig)
{
	long long t0 = mono_ms(), deadline = t0 + STOP_WAIT * 1000;
	int left, nconns = aload(&eng.nconns);

	log_msg(LOG_INFO, "milter: signal %d: stopping (%d connections): no new connections or commands",
		sig, nconns);
	__atomic_store_n(&eng.stop, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&eng.lst_lock);
	epoll_ctl(eng.epfd, EPOLL_CTL_DEL, eng.lfd, NULL);
	proto_unix_remove();
	close(eng.lfd);
	eng.lfd = -1;
	if (eng.spare >= 0)
		close(eng.spare);
	eng.spare = -1;
	pthread_mutex_unlock(&eng.lst_lock);
	/* the idle ones now; a busy one closes itself after its command,
	 * or is shut down here once it waits again */
	while ((left = shut_conns(false)) > 0 && mono_ms() < deadline)
		usleep(5 * 1000);
	if (left > 0) {
		/* a worker blocked writing to an MTA that does not read: free it */
		shut_conns(true);
		for (int i = 0; i < 20 && aload(&eng.nconns) > 0; i++)
			usleep(5 * 1000);
	}
	/* every worker out of epoll_wait, for good */
	if (eventfd_write(eng.wakefd, 1) < 0)
		log_msg(LOG_ERR, "milter: eventfd: %s", strerror(errno));
	while (aload(&eng.workers) > 0 && mono_ms() < deadline + 1000)
		usleep(1000);
	if (aload(&eng.workers) > 0) {
		log_msg(LOG_WARNING,
			"milter: stopping after %lld ms with %d commands under way: not waiting for them",
			mono_ms() - t0, aload(&eng.busy));
		return 1;
	}
	log_msg(LOG_INFO, "milter: stopped in %lld ms (%d connections closed)", mono_ms() - t0,
		nconns);
	return 0;
}

int
proto_run(int fd, const struct pfilter *f, int timeout, const sigset_t *stop)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = NULL };
	struct epoll_event wev = { .events = EPOLLIN, .data.ptr = &wake_mark };
	struct timespec tick = { 0, TICK_MS * 1000000L };
	long last_sweep = mono_s();
	int sig, fl;

	eng.f = f;
	eng.lfd = fd;
	eng.timeout = timeout;
	/* a worker must never sit in accept4() (it would hold up the stop) */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (eng.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (eng.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(eng.epfd, EPOLL_CTL_ADD, eng.wakefd, &wev) < 0 ||
	    epoll_ctl(eng.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_msg(LOG_ERR, "milter: epoll: %s", strerror(errno));
		return -1;
	}
	eng.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < MIN_WORKERS; i++)
		start_worker();
	if (aload(&eng.workers) == 0)
		return -1;
	for (;;) {
		sig = sigtimedwait(stop, NULL, &tick);
		if (sig > 0)
			break;
		/* every worker in a callback that blocks: none would start more */
		more_workers();
		if (mono_s() != last_sweep) {
			last_sweep = mono_s();
			sweep();
		}
	}
	return stop_serving(sig);
}
