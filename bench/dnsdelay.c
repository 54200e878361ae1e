/*
 * dnsdelay.c - a UDP DNS relay that adds a fixed delay to every answer
 *
 * dnsdelay LISTEN_PORT SERVER_PORT DELAY_MS SECONDS: takes queries on
 * 127.0.0.1:LISTEN_PORT, passes them to 127.0.0.1:SERVER_PORT, and hands
 * each answer back DELAY_MS later: a DNS server at a realistic distance,
 * on loopback (no netem here).  Answers are matched to clients by DNS id.
 * Exits by itself after SECONDS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 8192

struct pending {
	double due;
	unsigned short id;
	int len;
	unsigned char pkt[1500];
};

static struct sockaddr_in client_of[65536];
static struct pending queue[QUEUE];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in front_sa = { .sin_family = AF_INET }, back_sa = { .sin_family = AF_INET };
	int front, back, head = 0, tail = 0;
	double delay, end;

	if (argc != 5)
		return 2;
	front_sa.sin_port = htons((unsigned short)atoi(argv[1]));
	back_sa.sin_port = htons((unsigned short)atoi(argv[2]));
	front_sa.sin_addr.s_addr = back_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	delay = atof(argv[3]);
	end = now_ms() + atof(argv[4]) * 1e3;
	front = socket(AF_INET, SOCK_DGRAM, 0);
	back = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(front, (struct sockaddr *)&front_sa, sizeof(front_sa)) < 0 ||
	    connect(back, (struct sockaddr *)&back_sa, sizeof(back_sa)) < 0) {
		perror("dnsdelay");
		return 1;
	}
	while (now_ms() < end) {
		struct pollfd p[2] = { { front, POLLIN, 0 }, { back, POLLIN, 0 } };
		int wait = head != tail ? (int)(queue[head].due - now_ms()) : 100;
		unsigned char buf[1500];

		if (poll(p, 2, wait < 0 ? 0 : wait) > 0) {
			if (p[0].revents & POLLIN) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t n = recvfrom(front, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
				if (n >= 12) {
					client_of[buf[0] << 8 | buf[1]] = from;
					send(back, buf, (size_t)n, 0);
				}
			}
			if ((p[1].revents & POLLIN) && (tail + 1) % QUEUE != head) {
				struct pending *q = &queue[tail];
				ssize_t n = recv(back, q->pkt, sizeof(q->pkt), 0);
				if (n >= 12) {
					q->len = (int)n;
					q->id = (unsigned short)(q->pkt[0] << 8 | q->pkt[1]);
					q->due = now_ms() + delay;
					tail = (tail + 1) % QUEUE;
				}
			}
		}
		/* the delay is the same for all: the queue is in due order */
		while (head != tail && queue[head].due <= now_ms()) {
			struct pending *q = &queue[head];
			sendto(front, q->pkt, (size_t)q->len, 0, (struct sockaddr *)&client_of[q->id],
			       sizeof(client_of[q->id]));
			head = (head + 1) % QUEUE;
		}
	}
	return 0;
}
