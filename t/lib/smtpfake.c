/*
 * smtpfake.c - a small SMTP/LMTP server for callout tests
 *
 * SYNOPSIS
 *	smtpfake PORT USERS LOG
 *
 * Listens on 127.0.0.1:PORT; answers EHLO, LHLO and HELO; RCPT TO an
 * address listed in the file USERS (one per line, compared without
 * regard to case) gets 250, an address whose local part starts with
 * "busy" 451, "slow" 250 after 3 s, "drop" a closed connection, any
 * other 550 5.1.1.  Appends "connect" and "RCPT <addr>" lines to LOG so a
 * test can count connections and probes.  Runs until killed.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char users[256][128];
static int nusers;
static FILE *logfp;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* note - one log line: word, then arg when not NULL */
static void
note(const char *word, const char *arg)
{
	pthread_mutex_lock(&log_mu);
	fprintf(logfp, "%s%s%s\n", word, arg ? " " : "", arg ? arg : "");
	fflush(logfp);
	pthread_mutex_unlock(&log_mu);
}

static void
say(FILE *out, const char *s)
{
	fputs(s, out);
	fputs("\r\n", out);
	fflush(out);
}

static int
known(const char *addr)
{
	for (int i = 0; i < nusers; i++)
		if (strcasecmp(users[i], addr) == 0)
			return 1;
	return 0;
}

static void *
serve(void *arg)
{
	int fd = (int)(long)arg;
	FILE *in = fdopen(fd, "r"), *out = fdopen(dup(fd), "w");
	char line[1024], reply[1200];

	note("connect", NULL);
	say(out, "220 fake.test ESMTP");
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "LHLO", 4) == 0) {
			say(out, "250-fake.test");
			say(out, "250 PIPELINING");
		} else if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "MAIL", 4) == 0 ||
			   strncasecmp(line, "RSET", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0) {
			say(out, "250 2.0.0 Ok");
		} else if (strncasecmp(line, "RCPT TO:<", 9) == 0) {
			char *addr = line + 9;
			addr[strcspn(addr, ">")] = '\0';
			note("RCPT", addr);
			if (known(addr)) {
				say(out, "250 2.1.5 Ok");
			} else if (strncasecmp(addr, "busy", 4) == 0) {
				snprintf(reply, sizeof(reply), "451 4.3.0 <%s>: try again later", addr);
				say(out, reply);
			} else if (strncasecmp(addr, "slow", 4) == 0) {
				sleep(3);
				say(out, "250 2.1.5 Ok, slowly");
			} else if (strncasecmp(addr, "drop", 4) == 0) {
				break;
			} else {
				snprintf(reply, sizeof(reply), "550 5.1.1 <%s>: User unknown", addr);
				say(out, reply);
			}
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(out, "221 2.0.0 Bye");
			break;
		} else {
			say(out, "502 5.5.2 Command not implemented");
		}
	}
	fclose(in);
	fclose(out);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, ls;
	FILE *uf;

	if (argc != 4) {
		fprintf(stderr, "usage: smtpfake PORT USERS LOG\n");
		return 2;
	}
	if ((uf = fopen(argv[2], "r")) == NULL || (logfp = fopen(argv[3], "a")) == NULL) {
		perror("smtpfake");
		return 1;
	}
	while (nusers < 256 && fgets(users[nusers], sizeof(users[0]), uf) != NULL) {
		users[nusers][strcspn(users[nusers], "\r\n")] = '\0';
		if (users[nusers][0] != '\0' && users[nusers][0] != '#')
			nusers++;
	}
	fclose(uf);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 64) < 0) {
		perror("smtpfake: bind");
		return 1;
	}
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		pthread_t tid;
		if (fd < 0)
			continue;
		if (pthread_create(&tid, NULL, serve, (void *)(long)fd) == 0)
			pthread_detach(tid);
		else
			close(fd);
	}
}
