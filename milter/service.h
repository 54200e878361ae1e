/*
 * service.h - telling the service manager (systemd) where the daemon is
 *
 * SYNOPSIS
 *	service_ready();	once the socket listens and the policy is loaded
 *	service_reloading();	at the start of a SIGUSR1 reload ...
 *	service_ready();	... and once it is over (loaded or not)
 *	service_stopping();	when a stop begins
 *
 * DESCRIPTION
 *	With the unit's Type=notify, systemd holds "systemctl start" (and the
 *	MTA ordered after doorman) until READY=1, sent only once the milter
 *	socket accepts.  Outside systemd (no NOTIFY_SOCKET) each call does
 *	nothing.  Errors are ignored: the notification is advice, serving
 *	mail is not held up by it.
 */
#ifndef DOORMAN_SERVICE_H
#define DOORMAN_SERVICE_H

void service_ready(void);
void service_reloading(void);
void service_stopping(void);

#endif
