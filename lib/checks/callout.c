/*
 * callout.c - SMTP/LMTP recipient probes (see callout.h)
 *
 * A probe is three commands on a connection that has been greeted:
 * MAIL FROM:<>, RCPT TO:<addr>, RSET.  Each wait (connect, every reply)
 * is a poll() bounded by the probe's one deadline, on the monotonic
 * clock, as is the wait for a free slot.  Sockets are non-blocking and
 * written with MSG_NOSIGNAL, so a server that goes away costs an error,
 * never a SIGPIPE.
 */
#include "callout.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "strhash.h"
#include "xalloc.h"

#define IDLE_MAX_SECONDS 30
#define CACHE_BUCKETS 16384
#define ADDR_MAX 600

struct bconn {
	int fd;
	time_t last_used;
	size_t len;
	char buf[2048];
	struct bconn *next;
};

struct centry {
	char *key;
	enum callout_result r;
	time_t when;
	struct centry *next;
};

struct backend {
	char *spec;
	bool lmtp;
	struct sockaddr_storage sa;
	socklen_t salen;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;  /* a slot was given back */
	long active;
	struct bconn *idle;
	struct centry **cache;
	size_t ncache;
	struct backend *next;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct backend *registry; /* guarded by registry_mu; entries live until callout_shutdown */

static long
now_ms(void)
{
	return (long)clock_ms();
}

static int
parse_spec(const char *spec, bool *lmtp, struct sockaddr_storage *sa, socklen_t *salen)
{
	char host[64];
	const char *h, *colon;
	char *end;
	long port;
	size_t hl;

	if (strncmp(spec, "smtp:", 5) != 0 && strncmp(spec, "lmtp:", 5) != 0)
		return -1;
	*lmtp = spec[0] == 'l';
	h = spec + 5;
	if (*h == '[') {
		const char *rb = strchr(h, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - h - 1);
		h++;
		colon = rb + 1;
	} else {
		if ((colon = strrchr(h, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		((struct sockaddr_in *)sa)->sin_family = AF_INET;
		((struct sockaddr_in *)sa)->sin_port = htons((unsigned short)port);
		*salen = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)sa)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)sa)->sin6_port = htons((unsigned short)port);
		*salen = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}

int
callout_spec_check(const char *spec, char *why, size_t whylen)
{
	struct sockaddr_storage sa;
	socklen_t len;
	bool lmtp;

	if (parse_spec(spec, &lmtp, &sa, &len) == 0)
		return 0;
	snprintf(why, whylen,
		 "\"%s\" is not smtp:ADDRESS:PORT or lmtp:ADDRESS:PORT (an IP address, IPv6 in brackets)",
		 spec);
	return -1;
}

static struct backend *
backend_get(const char *spec)
{
	struct backend *b;

	pthread_mutex_lock(&registry_mu);
	for (b = registry; b != NULL; b = b->next)
		if (strcmp(b->spec, spec) == 0)
			break;
	if (b == NULL) {
		b = xcalloc(1, sizeof(*b));
		if (parse_spec(spec, &b->lmtp, &b->sa, &b->salen) < 0) {
			free(b);
			pthread_mutex_unlock(&registry_mu);
			return NULL;
		}
		b->spec = xstrdup(spec);
		b->cache = xcalloc(CACHE_BUCKETS, sizeof(*b->cache));
		pthread_mutex_init(&b->mu, NULL);
		clock_cond_init(&b->cv);
		b->next = registry;
		registry = b;
	}
	pthread_mutex_unlock(&registry_mu);
	return b;
}

/* ---- the cache, under b->mu ---- */

static void
cache_clear(struct backend *b)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		while (b->cache[i] != NULL) {
			struct centry *e = b->cache[i];
			b->cache[i] = e->next;
			free(e->key);
			free(e);
		}
	}
	b->ncache = 0;
}

static struct centry *
cache_find(struct backend *b, const char *key)
{
	for (struct centry *e = b->cache[strhash(key) % CACHE_BUCKETS]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
cache_put(struct backend *b, const char *key, enum callout_result r)
{
	struct centry *e = cache_find(b, key);

	if (e == NULL) {
		if (b->ncache >= CALLOUT_CACHE_MAX)
			cache_clear(b);
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(key);
		e->next = b->cache[strhash(key) % CACHE_BUCKETS];
		b->cache[strhash(key) % CACHE_BUCKETS] = e;
		b->ncache++;
	}
	e->r = r;
	e->when = time(NULL);
}

/* ---- one connection ---- */

/* wait for ev on fd until deadline: 0, or -1 with why */
static int
wait_fd(int fd, short ev, long deadline, const char **why)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long left;
	int rc;

	do {
		if ((left = deadline - now_ms()) <= 0) {
			*why = "timeout";
			return -1;
		}
		rc = poll(&p, 1, (int)left);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		*why = "timeout";
		return -1;
	}
	if (rc < 0) {
		*why = "poll failed";
		return -1;
	}
	return 0;
}

static int
send_line(struct bconn *c, const char *line, long deadline, const char **why)
{
	char out[ADDR_MAX + 32];
	size_t len = (size_t)snprintf(out, sizeof(out), "%s\r\n", line), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, out + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c->fd, POLLOUT, deadline, why) < 0)
				return -1;
			continue;
		}
		*why = "connection closed by the backend";
		return -1;
	}
	return 0;
}

/* the code of the next (multi-line) reply, its last line in text; -1 with why */
static int
read_reply(struct bconn *c, long deadline, char *text, size_t textlen, const char **why)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl != NULL) {
			size_t ll = (size_t)(nl - c->buf);
			bool last = ll < 4 || c->buf[3] != '-';
			int code = -1;
			if (ll >= 3 && isdigit((unsigned char)c->buf[0]) && isdigit((unsigned char)c->buf[1]) &&
			    isdigit((unsigned char)c->buf[2]))
				code = (c->buf[0] - '0') * 100 + (c->buf[1] - '0') * 10 + (c->buf[2] - '0');
			if (last)
				snprintf(text, textlen, "%.*s", (int)(ll > 0 && c->buf[ll - 1] == '\r' ? ll - 1 : ll),
					 c->buf);
			memmove(c->buf, nl + 1, c->len - ll - 1);
			c->len -= ll + 1;
			if (code < 0) {
				*why = "not an SMTP reply";
				return -1;
			}
			if (last)
				return code;
			continue;
		}
		if (c->len >= sizeof(c->buf) - 1) {
			*why = "reply line too long";
			return -1;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c->fd, POLLIN, deadline, why) < 0)
				return -1;
			continue;
		}
		*why = "connection closed by the backend";
		return -1;
	}
}

/* one command, its reply: the code, or -1 with text emptied (it says no
 * more than why) */
static int
command(struct bconn *c, const char *line, long deadline, char *text, size_t textlen, const char **why)
{
	int code = -1;

	if (line == NULL || send_line(c, line, deadline, why) == 0)
		code = read_reply(c, deadline, text, textlen, why);
	if (code < 0)
		text[0] = '\0';
	return code;
}

static void
bconn_close(struct bconn *c)
{
	if (c != NULL) {
		close(c->fd);
		free(c);
	}
}

/* a connected, greeted connection, or NULL with why (and text: a refusal) */
static struct bconn *
bconn_open(const struct backend *b, const char *helo, long deadline, char *text, size_t textlen,
	   const char **why)
{
	struct bconn *c = xcalloc(1, sizeof(*c));
	char cmd[300];
	int err = 0, code;
	socklen_t elen = sizeof(err);

	c->fd = socket(b->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		free(c);
		*why = "cannot create a socket";
		return NULL;
	}
	if (connect(c->fd, (const struct sockaddr *)&b->sa, b->salen) < 0) {
		if (errno != EINPROGRESS) {
			*why = errno == ECONNREFUSED ? "connection refused" : "cannot connect";
			goto fail;
		}
		if (wait_fd(c->fd, POLLOUT, deadline, why) < 0)
			goto fail;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
			*why = err == ECONNREFUSED ? "connection refused" : "cannot connect";
			goto fail;
		}
	}
	if ((code = command(c, NULL, deadline, text, textlen, why)) < 0)
		goto fail;
	if (code != 220) {
		*why = "refused the connection";
		goto fail;
	}
	snprintf(cmd, sizeof(cmd), "%s %s", b->lmtp ? "LHLO" : "EHLO", helo);
	if ((code = command(c, cmd, deadline, text, textlen, why)) < 0)
		goto fail;
	if (code / 100 != 2 && !b->lmtp) {
		snprintf(cmd, sizeof(cmd), "HELO %s", helo);
		if ((code = command(c, cmd, deadline, text, textlen, why)) < 0)
			goto fail;
	}
	if (code / 100 != 2) {
		*why = "refused our greeting";
		goto fail;
	}
	return c;
fail:
	bconn_close(c);
	return NULL;
}

/*
 * probe_on - MAIL FROM:<>, RCPT TO:<addr>, RSET.  The RCPT code; 0 when
 * MAIL FROM:<> was refused (text says why); -1 for an I/O failure.
 * *reusable: the connection is in a state to serve another probe.
 */
static int
probe_on(struct bconn *c, const char *addr, long deadline, char *text, size_t textlen,
	 bool *reusable, const char **why)
{
	char cmd[ADDR_MAX + 16], rset[256];
	int code, rcpt;

	*reusable = false;
	if ((code = command(c, "MAIL FROM:<>", deadline, text, textlen, why)) < 0)
		return -1;
	if (code / 100 != 2) {
		*why = "refused MAIL FROM:<>";
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", addr);
	if ((rcpt = command(c, cmd, deadline, text, textlen, why)) < 0)
		return -1;
	code = command(c, "RSET", deadline, rset, sizeof(rset), why);
	*reusable = code / 100 == 2 && rcpt != 421;
	return rcpt;
}

/* ---- the pool ---- */

static struct bconn *
take_idle(struct backend *b)
{
	time_t now = time(NULL);

	while (b->idle != NULL) {
		struct bconn *c = b->idle;
		b->idle = c->next;
		if (now - c->last_used < IDLE_MAX_SECONDS)
			return c;
		bconn_close(c);
	}
	return NULL;
}

static bool
probeable(const char *addr)
{
	if (strlen(addr) >= ADDR_MAX)
		return false;
	for (; *addr; addr++)
		if ((unsigned char)*addr < 0x20 || *addr == 0x7f)
			return false;
	return true;
}

/* wait for a slot until deadline; under b->mu */
static int
take_slot(struct backend *b, long max, long deadline)
{
	while (b->active >= (max > 0 ? max : 1))
		if (clock_cond_wait(&b->cv, &b->mu, deadline) < 0)
			return -1;
	b->active++;
	return 0;
}

enum callout_result
callout_probe(const char *spec, const char *addr, const struct callout_opts *o, char *why,
	      size_t whylen, bool *cached)
{
	struct backend *b;
	struct bconn *c;
	struct centry *e;
	char key[ADDR_MAX], text[512] = "";
	const char *err = NULL;
	long deadline = now_ms() + o->timeout_ms;
	enum callout_result r = CALLOUT_TEMPFAIL;
	bool reused, reusable = false;
	int code = -1;
	size_t i;

	*cached = false;
	if (!probeable(addr)) {
		snprintf(why, whylen, "address cannot be probed");
		return CALLOUT_REJECT;
	}
	if ((b = backend_get(spec)) == NULL) {
		snprintf(why, whylen, "%s: not a backend", spec);
		return CALLOUT_TEMPFAIL;
	}
	for (i = 0; addr[i]; i++)
		key[i] = (char)tolower((unsigned char)addr[i]);
	key[i] = '\0';

	pthread_mutex_lock(&b->mu);
	if ((e = cache_find(b, key)) != NULL &&
	    time(NULL) - e->when < (e->r == CALLOUT_ACCEPT ? o->positive_ttl : o->negative_ttl)) {
		r = e->r;
		pthread_mutex_unlock(&b->mu);
		*cached = true;
		snprintf(why, whylen, "%s: cached %s", spec, r == CALLOUT_ACCEPT ? "accept" : "reject");
		return r;
	}
	if (take_slot(b, o->max_conns, deadline) < 0) {
		pthread_mutex_unlock(&b->mu);
		snprintf(why, whylen, "%s: all %ld connections busy until the timeout", spec, o->max_conns);
		return CALLOUT_TEMPFAIL;
	}
	c = take_idle(b);
	pthread_mutex_unlock(&b->mu);

	/* a pooled connection the server closed meanwhile: once more on a new one */
	for (int attempt = 0; attempt < 2; attempt++) {
		reused = c != NULL;
		if (c == NULL && (c = bconn_open(b, o->helo, deadline, text, sizeof(text), &err)) == NULL)
			break;
		code = probe_on(c, addr, deadline, text, sizeof(text), &reusable, &err);
		if (code >= 0 || !reused)
			break;
		bconn_close(c);
		c = NULL;
	}
	if (code >= 200 && code < 300)
		r = CALLOUT_ACCEPT;
	else if (code >= 500 && code < 600)
		r = CALLOUT_REJECT;
	if (code > 0)
		snprintf(why, whylen, "%s said: %s", spec, text);
	else if (text[0] != '\0')
		snprintf(why, whylen, "%s %s: %s", spec, err ? err : "failed", text);
	else
		snprintf(why, whylen, "%s: %s", spec, err ? err : "failed");

	pthread_mutex_lock(&b->mu);
	if (c != NULL && reusable) {
		c->last_used = time(NULL);
		c->next = b->idle;
		b->idle = c;
		c = NULL;
	}
	if ((r == CALLOUT_ACCEPT && o->positive_ttl > 0) || (r == CALLOUT_REJECT && o->negative_ttl > 0))
		cache_put(b, key, r);
	b->active--;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	bconn_close(c);
	return r;
}

void
callout_shutdown(void)
{
	pthread_mutex_lock(&registry_mu);
	while (registry != NULL) {
		struct backend *b = registry;
		registry = b->next;
		while (b->idle != NULL) {
			struct bconn *c = b->idle;
			b->idle = c->next;
			bconn_close(c);
		}
		cache_clear(b);
		free(b->cache);
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		free(b->spec);
		free(b);
	}
	pthread_mutex_unlock(&registry_mu);
}
