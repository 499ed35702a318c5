/* spawn.c: posix_spawn with everything a supervised child needs in one call. glibc runs the
 * child on clone(CLONE_VM | CLONE_VFORK), so the cost does not grow with the parent's memory,
 * and it reports an exec failure through that shared memory, so -ENOENT is not a guess.
 *
 * Signal state: SETSIGMASK empties the mask (the event loop blocks signals for its signalfd
 * and exec would keep that mask). Dispositions need no SETSIGDEF: glibc resets every handled
 * signal to SIG_DFL in the child, and a signal ignored when pgsup started stays ignored, as
 * with timeout(1). The group is joined with SETPGROUP in the child before exec; the parent
 * returns only after that exec, so there is no window in which the child is outside it. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "fd.h"

extern char **environ;

void spawn_plan_init(struct spawn_plan *plan)
{
    *plan = (struct spawn_plan){.tty_fd = -1, .fds = {-1, -1, -1, -1}};
}

/* The dup2s run in order, so a source that is itself a target of an earlier dup2 (a caller
 * whose fd 1 was closed gets pipes numbered 1...) would be overwritten before use. Sources in
 * that range are first copied above it, into high[], which the caller closes. */
static int add_dups(posix_spawn_file_actions_t *fa, const int fds[SPAWN_FDS], int high[SPAWN_FDS])
{
    for (int i = 0; i < SPAWN_FDS; i++) {
        int src = fds[i];
        if (src < 0)
            continue;
        if (src < SPAWN_FDS && src != i) {
            high[i] = fcntl(src, F_DUPFD_CLOEXEC, SPAWN_FDS);
            if (high[i] < 0)
                return -errno;
            src = high[i];
        }
        /* For src == i glibc clears FD_CLOEXEC instead of a no-op dup2, as POSIX asks. */
        int r = -posix_spawn_file_actions_adddup2(fa, src, i);
        if (r < 0)
            return r;
    }
    return 0;
}

int spawn_start(const struct spawn_plan *plan, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t empty;
    int high[SPAWN_FDS] = {-1, -1, -1, -1};
    pid_t pid;
    int r;

    r = -posix_spawn_file_actions_init(&fa);
    if (r < 0)
        return r;
    r = -posix_spawnattr_init(&attr);
    if (r < 0)
        goto out_fa;
    sigemptyset(&empty);
    r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    if (r == 0)
        r = -posix_spawnattr_setpgroup(&attr, plan->pgid);
    if (r == 0)
        r = -posix_spawnattr_setsigmask(&attr, &empty);
    if (r == 0)
        r = add_dups(&fa, plan->fds, high);
    if (r == 0 && plan->cwd)
        r = -posix_spawn_file_actions_addchdir_np(&fa, plan->cwd);
    /* File actions run after setpgid, so the foreground goes to the child's new group. The
     * child runs with every signal blocked until exec, so tcsetpgrp from what is still a
     * background group does not stop it with SIGTTOU. */
    if (r == 0 && plan->tty_fd >= 0)
        r = -posix_spawn_file_actions_addtcsetpgrp_np(&fa, plan->tty_fd);
    if (r == 0)
        r = -posix_spawnp(&pid, plan->argv[0], &fa, &attr, plan->argv,
                          plan->envp ? plan->envp : environ);
    if (r == 0)
        *ret_pid = pid;
    (void) posix_spawnattr_destroy(&attr); /* cannot fail on an initialized attr */
out_fa:
    (void) posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < SPAWN_FDS; i++)
        fd_close(&high[i]);
    return r;
}
