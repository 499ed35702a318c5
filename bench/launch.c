/* launch.c: spawning, waiting, the monotonic clock and the abort path of the benchmarks. The
 * statistics are in stats.c, the /proc checks in members.c. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct launch_victims launch_victims;

static int devnull_fd = -1;

static const int reset_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGALRM, SIGCHLD,
                                    SIGPIPE, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, 0};

/* async-signal-safe: called from the signal handler too. */
static void kill_victims(void)
{
    if (launch_victims.pgid > 0)
        (void) kill(-launch_victims.pgid, SIGKILL); /* ESRCH: already gone */
    if (launch_victims.others > 0)
        (void) kill(-launch_victims.others, SIGKILL); /* ESRCH: already gone */
    if (launch_victims.engine > 0)
        (void) kill(launch_victims.engine, SIGKILL); /* ESRCH: already gone */
    if (launch_victims.pid > 0)
        (void) kill(launch_victims.pid, SIGKILL); /* ESRCH: already gone */
}

/* async-signal-safe: a signal handler. The victims die by SIGKILL; a killed pgsup guard makes
 * its engine kill the tree, and the group kill covers the rest. What is left becomes init's
 * once we exit. */
static void on_abort_signal(int sig)
{
    static const char msg[] = "bench: interrupted or stuck; killed what it had started\n";

    kill_victims();
    (void) write(STDERR_FILENO, msg, sizeof(msg) - 1); /* nothing to do if stderr is gone */
    _exit(sig == SIGALRM ? 2 : 128 + sig);
}

int launch_init(void)
{
    struct sigaction sa = {.sa_handler = on_abort_signal};

    devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull_fd < 0)
        return -errno;
    sigemptyset(&sa.sa_mask);
    for (const int *s = (const int[]){SIGINT, SIGTERM, SIGHUP, SIGALRM, 0}; *s; s++)
        if (sigaction(*s, &sa, NULL) < 0)
            return -errno;
    return 0;
}

double launch_now_s(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int launch_spawn(const char *const *argv, bool new_group, int pass_fd, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t empty, defaults;
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    pid_t pid;
    int r;

    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (const int *s = reset_signals; *s; s++)
        sigaddset(&defaults, *s);
    if (new_group)
        flags |= POSIX_SPAWN_SETPGROUP;
    r = posix_spawn_file_actions_init(&fa);
    if (r)
        return -r;
    r = posix_spawnattr_init(&attr);
    if (r) {
        (void) posix_spawn_file_actions_destroy(&fa); /* cannot fail on an initialized one */
        return -r;
    }
    r = posix_spawnattr_setflags(&attr, flags);
    if (!r)
        r = posix_spawnattr_setpgroup(&attr, 0);
    if (!r)
        r = posix_spawnattr_setsigmask(&attr, &empty);
    if (!r)
        r = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, devnull_fd, STDIN_FILENO);
    /* The caller makes pass_fd > 3, so this dup2 is a real one that clears FD_CLOEXEC. */
    if (!r && pass_fd >= 0)
        r = posix_spawn_file_actions_adddup2(&fa, pass_fd, 3);
    if (!r)
        r = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *) argv, environ);
    (void) posix_spawnattr_destroy(&attr);        /* cannot fail on an initialized one */
    (void) posix_spawn_file_actions_destroy(&fa); /* cannot fail on an initialized one */
    if (r)
        return -r;
    *ret_pid = pid;
    return 0;
}

pid_t launch_wait(pid_t pid, int *ret_status)
{
    for (;;) {
        pid_t p = waitpid(pid, ret_status, 0);
        if (p >= 0)
            return p;
        if (errno != EINTR)
            return -errno;
    }
}

void launch_watchdog(unsigned seconds)
{
    (void) alarm(seconds); /* the previous alarm's remainder is of no interest */
}

int launch_reap_all(double limit_s)
{
    const struct timespec tick = {.tv_nsec = 1000 * 1000};
    double end = launch_now_s() + limit_s;
    int n = 0;

    for (;;) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p > 0) {
            n++;
            continue;
        }
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            return n; /* ECHILD: nothing left, and as a subreaper no descendant either */
        if (launch_now_s() > end)
            return -ETIMEDOUT;
        (void) nanosleep(&tick, NULL); /* EINTR: just look again */
    }
}

_Noreturn void launch_abort(const char *why)
{
    launch_watchdog(0);
    fprintf(stderr, "bench: %s; killing what it started\n", why);
    kill_victims();
    if (launch_reap_all(10) < 0)
        fprintf(stderr, "bench: some children would not die; see ps -eo pid,ppid,stat,args\n");
    exit(1);
}
