/*
 * service.c - sd_notify(3) messages to systemd (see service.h)
 *
 * The only file that includes libsystemd.  sd_notify() reads
 * NOTIFY_SOCKET at each call and returns 0 without it, so outside systemd
 * (a foreground start, a test, another init) every call does nothing; it
 * leaves the variable in the environment (unset_environment 0), so a
 * reload's messages reach systemd as the first did.  Called from the main
 * thread and the reload thread: sd_notify() keeps no state between calls.
 * Errors are ignored: the notification is advice, and mail is not held
 * up by it.
 */
#include "service.h"

#include <systemd/sd-daemon.h>

void
service_ready(void)
{
	(void)sd_notify(0, "READY=1\nSTATUS=serving");
}

void
service_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1\nSTATUS=reloading the policy");
}

void
service_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
