/*
 * listen.c - the milter socket: proto_listen() (see proto.h)
 *
 * milter.socket is checked by the schema (lib/policy/schema.c); here it is bound.
 * An inet address may be a name (looked up once, at start: the first
 * address of the family is used).  The listening TCP socket gets
 * TCP_NODELAY, which Linux passes on to every accepted socket: neither
 * Postfix nor Sendmail sets it, and with few sessions Nagle's algorithm
 * plus delayed ACKs stall every milter round trip by ~40 ms on loopback.
 *
 * A unix socket is made with care, because doorman starts as root and the
 * socket's directory may be shared:
 *	- a directory that others (its group, every user) may write is
 *	  refused: they could swap the socket for a link between the bind
 *	  and the chown;
 *	- an old socket is removed only if connecting to it is refused
 *	  (ECONNREFUSED: nobody listens); any other answer (accepted, a full
 *	  backlog, no permission) leaves it and refuses the start;
 *	- the inode bound is remembered: proto_unix_own() changes the owner,
 *	  group and mode of that inode only (through a descriptor that does
 *	  not follow links; the mode through /proc/self/fd, since fchmod()
 *	  cannot act on an O_PATH descriptor), and proto_unix_remove() removes the path at stop only if
 *	  it is still that inode.
 * The remembered socket is process state, set once before any thread.
 */
#define _GNU_SOURCE /* O_PATH, AT_EMPTY_PATH */
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define BACKLOG SOMAXCONN

/* the unix socket proto_listen() bound (see above) */
static struct {
	bool set;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
} bound;

/* the directory of PATH must be writable by its owner only */
static int
check_dir(const char *path, char *why, size_t whylen)
{
	char dir[sizeof(bound.path)];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) < 0) {
		snprintf(why, whylen, "socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen,
			 "socket directory %s is writable by others (mode %03o): not creating %s there",
			 dir, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* a socket file nobody listens on is stale: remove it; anything else stays */
static int
clear_unix_path(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc, err;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* non-blocking: a live socket with a full backlog answers EAGAIN */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	close(fd);
	if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
		snprintf(why, whylen, "%s: another process listens on it", path);
		return -1;
	}
	if (err != ECONNREFUSED) {
		snprintf(why, whylen, "%s: cannot tell whether it is in use (%s): not replacing it",
			 path, strerror(err));
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
	if (check_dir(path, why, whylen) < 0 || clear_unix_path(path, why, whylen) < 0)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (proto_unix_adopt(path, why, whylen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
proto_unix_adopt(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (strlen(path) >= sizeof(bound.path)) {
		snprintf(why, whylen, "socket path %s is too long", path);
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "%s changed right after it was bound: not serving it", path);
		return -1;
	}
	memcpy(bound.path, path, strlen(path) + 1);
	bound.dev = st.st_dev;
	bound.ino = st.st_ino;
	bound.set = true;
	return 0;
}

int
proto_unix_own(uid_t uid, gid_t gid, mode_t mode, char *why, size_t whylen)
{
	char proc[64];
	struct stat st;
	int fd;

	if (!bound.set)
		return 0;
	/* O_PATH | O_NOFOLLOW: a symlink is opened as itself, never followed */
	if ((fd = open(bound.path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "socket %s: %s", bound.path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_dev != bound.dev ||
	    st.st_ino != bound.ino) {
		snprintf(why, whylen, "%s is no longer the socket doorman bound: not changing its owner",
			 bound.path);
		close(fd);
		return -1;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		snprintf(why, whylen, "chown %s: %s", bound.path, strerror(errno));
		close(fd);
		return -1;
	}
	/* the magic link names the inode the descriptor holds, whatever the path is now */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, mode) < 0) {
		snprintf(why, whylen, "chmod %s: %s", bound.path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
proto_unix_remove(void)
{
	struct stat st;

	if (!bound.set)
		return;
	if (lstat(bound.path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == bound.dev &&
	    st.st_ino == bound.ino)
		unlink(bound.path);
	else
		log_msg(LOG_WARNING, "%s is not the socket doorman bound: left in place", bound.path);
	bound.set = false;
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
