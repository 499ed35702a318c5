/* launch.h: how the benchmarks start, time and clean up what they measure. Every process is
 * started the same way (posix_spawn, stdin on /dev/null, empty signal mask, default
 * dispositions), so the variants compared differ only in the program run. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* What to kill if the benchmark is interrupted or stuck; written by the benchmark before and
 * after each measured round, read by the abort path (also from a signal handler). 0: none. */
struct launch_victims {
    volatile pid_t pid;    /* killed by pid: a pgsup guard or a baseline tree root */
    volatile pid_t engine; /* killed by pid: the pgsup engine (the tree's pgid) */
    volatile pid_t pgid;   /* killed as a group: the tree */
    volatile pid_t others; /* killed as a group: idle bystanders, outside any tree */
};
extern struct launch_victims launch_victims;

/* Opens /dev/null and installs the abort path on SIGINT, SIGTERM, SIGHUP and on the watchdog
 * (SIGALRM to this process). Returns 0 or -errno. */
int launch_init(void);

/* CLOCK_MONOTONIC, in seconds. */
double launch_now_s(void);

/* Starts argv (argv[0] searched in PATH) with stdin on /dev/null, stdout and stderr
 * inherited; in a new process group of its own if new_group; with pass_fd (if >= 0) as its fd
 * 3. Returns 0 or -errno; *ret_pid is written on success only. */
int launch_spawn(const char *const *argv, bool new_group, int pass_fd, pid_t *ret_pid);

/* waitpid(pid, 0) retried on EINTR. Returns pid or -errno. */
pid_t launch_wait(pid_t pid, int *ret_status);

/* Arms (seconds > 0) or disarms (0) the watchdog: when it fires, the victims are killed and
 * the benchmark exits with status 2. */
void launch_watchdog(unsigned seconds);

/* Kills the victims, reaps every child left (this process is a subreaper: orphans come here)
 * and exits with status 1 after printing why. */
_Noreturn void launch_abort(const char *why);

/* Reaps children until none is left, for at most limit_s seconds. Returns how many were
 * reaped, or -ETIMEDOUT if some remain. */
int launch_reap_all(double limit_s);
