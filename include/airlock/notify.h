/* Telling the service manager how airlockd is doing: the sd_notify
 * protocol, spoken directly (a datagram of "KEY=value" lines to the Unix
 * socket named by $NOTIFY_SOCKET; '@' names an abstract socket), so
 * Type=notify units work without libsystemd.  Without $NOTIFY_SOCKET every
 * call does nothing. */
#ifndef AIRLOCK_NOTIFY_H
#define AIRLOCK_NOTIFY_H

/* Sends state ("READY=1\nSTATUS=..."), printf-style.  Returns 0 when sent
 * or when there is no manager to tell, a negative errno when sending
 * failed (the daemon goes on). */
int al_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
