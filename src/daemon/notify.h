/* notify.h: readiness and status for systemd (Type=notify), without libsystemd: one datagram
 * to the socket named by $NOTIFY_SOCKET, as sd_notify(3) sends it. */
#pragma once

/* Sends state ("READY=1", "STOPPING=1", "RELOADING=1"...; newline-separated assignments) to
 * $NOTIFY_SOCKET. Returns 1 if it was sent, 0 if $NOTIFY_SOCKET is not set (not run by a
 * service manager that asked for it), or -errno. */
int notify_send(const char *state);
