/*
 * listen.c - the milter socket: proto_listen() (see proto.h)
 *
 * milter.socket is checked by the schema (lib/policy/schema.c); here it is bound.
 * An inet address may be a name (looked up once, at start: the first
 * address of the family is used).  The listening TCP socket gets
 * TCP_NODELAY, which Linux passes on to every accepted socket: neither
 * Postfix nor Sendmail sets it, and with few sessions Nagle's algorithm
 * plus delayed ACKs stall every milter round trip by ~40 ms on loopback.
 */
#include "proto.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG SOMAXCONN

/* a socket file nobody accepts on is stale: remove it; anything else stays */
static int
clear_unix_path(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, alive;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	alive = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	if (alive) {
		snprintf(why, whylen, "%s: another process listens on it", path);
		return -1;
	}
	if (unlink(path) < 0) {
		snprintf(why, whylen, "cannot remove the stale socket %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_unix(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "socket path %s is too long", path);
		return -1;
	}
	if (clear_unix_path(path, why, whylen) < 0)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
listen_inet(const char *spec, int family, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = family,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	const char *colon = strchr(spec, ':'), *at = strchr(spec, '@');
	char port[8];
	int fd = -1, one = 1, rc;

	if (colon == NULL || at == NULL || at < colon || (size_t)(at - colon - 1) >= sizeof(port)) {
		snprintf(why, whylen, "\"%s\" is not a milter socket", spec);
		return -1;
	}
	memcpy(port, colon + 1, (size_t)(at - colon - 1));
	port[at - colon - 1] = '\0';
	if ((rc = getaddrinfo(at + 1, port, &hints, &ai)) != 0) {
		snprintf(why, whylen, "%s: address %s: %s", spec, at + 1, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

const char *
proto_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

int
proto_listen(const char *spec, char *why, size_t whylen)
{
	const char *path = proto_unix_path(spec);

	if (path != NULL)
		return listen_unix(path, why, whylen);
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(spec, AF_INET, why, whylen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return listen_inet(spec, AF_INET6, why, whylen);
	snprintf(why, whylen, "\"%s\" is not a milter socket", spec);
	return -1;
}
