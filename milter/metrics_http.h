/*
 * metrics_http.h - the Prometheus endpoint of metrics.listen (metrics_http.c)
 *
 * metrics_http_bind - bind spec ("" binds nothing) while still root; 0, or
 *	-1 with a reason (an address in use, a bad spec).
 * metrics_http_start - serve what was bound, in a thread of libmicrohttpd's;
 *	after detaching.  0, or -1 with a reason.
 * metrics_http_stop - stop serving, close the socket, remove a unix socket.
 * Called from main's thread only.
 */
#ifndef DOORMAN_METRICS_HTTP_H
#define DOORMAN_METRICS_HTTP_H

#include <stddef.h>

int metrics_http_bind(const char *spec, char *why, size_t whylen);
int metrics_http_start(char *why, size_t whylen);
void metrics_http_stop(void);

#endif
