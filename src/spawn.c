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
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

void spawn_plan_init(struct spawn_plan *plan)
{
    *plan = (struct spawn_plan){.tty_fd = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
}

static int add_dup(posix_spawn_file_actions_t *fa, int fd, int target)
{
    if (fd < 0)
        return 0;
    /* For fd == target glibc clears FD_CLOEXEC instead of a no-op dup2, as POSIX asks. */
    return -posix_spawn_file_actions_adddup2(fa, fd, target);
}

int spawn_start(const struct spawn_plan *plan, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t empty;
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
        r = add_dup(&fa, plan->stdin_fd, STDIN_FILENO);
    if (r == 0)
        r = add_dup(&fa, plan->stdout_fd, STDOUT_FILENO);
    if (r == 0)
        r = add_dup(&fa, plan->stderr_fd, STDERR_FILENO);
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
    return r;
}
