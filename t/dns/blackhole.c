/*
 * blackhole.c - a DNS server that never answers, for the timeout tests
 *
 * blackhole PORT: binds 127.0.0.1:PORT (UDP and TCP), takes what comes and
 * says nothing; exits by itself after 300 seconds so no run leaves it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int u, t, one = 1;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	t = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    bind(t, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(t, 16) < 0) {
		perror("blackhole");
		return 1;
	}
	alarm(300);
	for (;;)
		pause();
}
