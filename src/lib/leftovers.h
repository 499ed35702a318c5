/* leftovers.h: what a library run's supervisor leaves when it dies without a result (killed,
 * crashed). It was the tree's subreaper and the command's parent, and there is no guard
 * process behind it (the host is the guard, see client.c): its orphans go to the host if the
 * host is a subreaper, else to init, and only the host is left to end them. Two nets catch
 * them:
 *   - the group: kill(-pgid, SIGKILL) while the caller still pins the number (the dead
 *     supervisor numbered the group with its own pid, and it is the caller's unreaped child);
 *   - the marker: every library run gives its command a unique environment entry
 *     (PGSUP_RUN_<hex>=1), which every process of the tree inherits, so those that left the
 *     group (setsid(), double forks) are found in /proc wherever they were re-parented, and
 *     each is killed through a pidfd once the marker is read again while the pidfd held it.
 * A process that cleared its environment, or runs as a user whose /proc/PID/environ we
 * cannot read (and so cannot signal either, unless we are root), escapes the second net. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* The marker entry "PGSUP_RUN_<16 hex>=1": one per run, made from 64 random bits. */
#define LEFTOVERS_MARKER_MAX 40
void leftovers_marker(char ret[LEFTOVERS_MARKER_MAX]);

/* Kills the group pgid (if > 0; the caller pins its number) and every live process that
 * carries marker, scanning /proc again (every POLL) until none is left or limit_s passed.
 * Blocks meanwhile. Returns the number killed, -ETIMEDOUT, or -errno (/proc unreadable). */
int leftovers_kill(pid_t pgid, const char *marker, double limit_s);
