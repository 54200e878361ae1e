/*
 * metrics_http.c - the Prometheus endpoint (metrics.listen), served by libmicrohttpd
 *
 * NAME
 *	metrics_http - GET /metrics answers lib/util/metrics.c's text
 *
 * DESCRIPTION
 *	metrics_http_bind() makes the listening socket while doorman is
 *	still root (an address:port, or a unix socket: a stale one, that
 *	nobody answers on, is replaced; one in use refuses the start, as
 *	does an address in use); metrics_http_start() hands it to
 *	libmicrohttpd after the process has detached (a fork loses
 *	threads); the privilege drop in between does not matter to a
 *	socket already open.  libmicrohttpd answers in one thread of its own
 *	(MHD_USE_INTERNAL_POLLING_THREAD), so a scrape never runs on a
 *	thread that serves mail; it reads the counters with relaxed loads
 *	and takes no lock the mail path takes.
 *
 *	Only GET (and HEAD) of /metrics is answered, with text exposition
 *	format 0.0.4; any other path is 404, any other method 405.  The
 *	endpoint has no authentication: keep it on loopback or a unix
 *	socket (doorman.conf(5)).
 *
 *	This is the one file that includes libmicrohttpd.
 */
#include "metrics_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/* process state: set before any thread, then read by the stopping thread */
static int listen_fd = -1;
static struct MHD_Daemon *daemon_h;
static char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int
bind_unix(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, whylen, "metrics.listen unix:%s: %s", path, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		snprintf(why, whylen, "metrics.listen unix:%s: in use by another process", path);
		close(fd);
		return -1;
	}
	if (errno == ECONNREFUSED) /* a socket nobody listens on */
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		snprintf(why, whylen, "metrics.listen unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(unix_path, sizeof(unix_path), "%s", path);
	return fd;
}

static int
bind_inet(const struct metrics_addr *a, const char *spec, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int fd, one = 1, rc;

	if ((rc = getaddrinfo(a->host, a->port, &hints, &ai)) != 0) {
		snprintf(why, whylen, "metrics.listen %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		snprintf(why, whylen, "metrics.listen %s: cannot listen: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int
metrics_http_bind(const char *spec, char *why, size_t whylen)
{
	struct metrics_addr a;

	if (*spec == '\0')
		return 0;
	if (metrics_listen_parse(spec, &a, why, whylen) < 0)
		return -1;
	listen_fd = a.path[0] ? bind_unix(a.path, why, whylen) : bind_inet(&a, spec, why, whylen);
	return listen_fd < 0 ? -1 : 0;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *text = NULL;
	size_t len = 0;

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
	} else if ((text = metrics_render(&len)) == NULL) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	if (status != MHD_HTTP_OK) {
		static char msg[] = "doorman serves GET /metrics only\n";
		r = MHD_create_response_from_buffer(sizeof(msg) - 1, msg, MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	}
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
						      : "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

int
metrics_http_start(char *why, size_t whylen)
{
	if (listen_fd < 0)
		return 0;
	/* the scrape connections are few: a handful at once, each for a moment */
	daemon_h = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				    answer, NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				    MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				    MHD_OPTION_END);
	if (daemon_h == NULL) {
		snprintf(why, whylen, "metrics.listen: libmicrohttpd did not start");
		return -1;
	}
	return 0;
}

void
metrics_http_stop(void)
{
	if (daemon_h != NULL)
		MHD_stop_daemon(daemon_h); /* closes the listening socket too */
	else if (listen_fd >= 0)
		close(listen_fd);
	daemon_h = NULL;
	listen_fd = -1;
	if (unix_path[0] != '\0')
		unlink(unix_path);
	unix_path[0] = '\0';
}
