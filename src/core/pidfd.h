/* pidfd.h: process handles that cannot be fooled by PID reuse. Linux-only; every function
 * returns -ENOSYS where the kernel lacks pidfds, and the caller falls back to the pid. */
#pragma once
#include <sys/types.h>

/* pidfd_open(pid), CLOEXEC. Returns the fd or -errno (-ESRCH: gone, -ENOSYS: no pidfds). */
int pidfd_get(pid_t pid);

/* Sends sig through the pidfd if pidfd >= 0, else with kill(pid). Returns 0 or -errno. */
int pidfd_kill(int pidfd, pid_t pid, int sig);

/* A pidfd of the caller's parent (CLOEXEC): the process that started us, while it lives.
 * Returns the fd, -ESRCH if the parent is gone already (we were re-parented), or -errno
 * (-ENOSYS: no pidfds). */
int pidfd_parent(void);
