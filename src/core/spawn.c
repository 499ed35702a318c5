/* spawn.c: posix_spawn with everything a supervised child needs in one call. glibc runs the
 * child on clone(CLONE_VM | CLONE_VFORK), so the cost does not grow with the parent's memory,
 * and it reports an exec failure through that shared memory, so -ENOENT is not a guess.
 *
 * Signal state: SETSIGMASK sets the plan's mask (by default empty: the event loop blocks
 * signals for its signalfd and exec would keep that mask). SETSIGDEF resets the plan's
 * dispositions, by default all: exec keeps a SIG_IGN, and whoever started pgsup may have
 * ignored anything (nohup: HUP; a shell's `&`: INT and QUIT; some hosts: CHLD or PIPE).
 * glibc's sigfillset() leaves out its internal signals 32 and 33, which its posix_spawn then
 * sets to SIG_IGN in the child, so the set is made from the kernel's bits (signals.h).
 * timeout(1)'s plan keeps some ignored.
 *
 * Scripts without #!: glibc's posix_spawnp() fails with ENOEXEC (since glibc 2.15), where
 * execvp() runs them with /bin/sh, as shells and coreutils' timeout do; a plan with
 * sh_fallback does the same (spawn_script()).
 *
 * File descriptors: everything above the plan's own fds is closed in the child
 * (posix_spawn_file_actions_addclosefrom_np: glibc 2.34+, close_range(2) inside), so a host's
 * fd without CLOEXEC never reaches the command; timeout(1)'s plan (inherit_fds) passes them.
 *
 * The group is joined with SETPGROUP in the child before exec; the parent returns only after
 * that exec, so there is no window in which the child is outside it. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "signals.h"

extern char **environ;

void spawn_plan_init(struct spawn_plan *plan)
{
    *plan = (struct spawn_plan){.tty_fd = -1, .fds = {-1, -1, -1, -1},
                                .sigdefault = SIGNALS_ALL};
}

/* The file execvp() would have run for name: name itself if it has a slash, else the first
 * executable regular file of that name in $PATH (the caller's, as execvp() and posix_spawnp()
 * use; glibc's default without one). Returns a malloc'd path or NULL. */
static char *find_file(const char *name)
{
    const char *path = getenv("PATH");
    size_t name_len = strlen(name);

    if (strchr(name, '/'))
        return strdup(name);
    if (!path)
        path = "/bin:/usr/bin";
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dir_len = end ? (size_t) (end - p) : strlen(p);
        char *file = malloc(dir_len + name_len + 3);
        struct stat st;
        if (!file)
            return NULL;
        /* An empty entry is the working directory. */
        snprintf(file, dir_len + name_len + 3, "%.*s/%s", dir_len ? (int) dir_len : 1,
                 dir_len ? p : ".", name);
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
            return file;
        free(file);
        if (!end)
            return NULL;
        p = end;
    }
}

/* posix_spawnp() said ENOEXEC: run the file with /bin/sh as execvp() does, as
 * "/bin/sh FILE ARG...", FILE the path it found. Returns 0 or -errno. */
static int spawn_script(const struct spawn_plan *plan, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, pid_t *ret_pid)
{
    size_t argc = 0;
    char **argv;
    char *file;
    int r;

    while (plan->argv[argc])
        argc++;
    file = find_file(plan->argv[0]);
    argv = calloc(argc + 2, sizeof(*argv));
    if (!file || !argv) {
        free(file);
        free(argv);
        return -ENOMEM;
    }
    argv[0] = (char *) "/bin/sh";
    argv[1] = file;
    for (size_t i = 1; i < argc; i++)
        argv[i + 1] = plan->argv[i];
    r = -posix_spawn(ret_pid, "/bin/sh", fa, attr, argv, plan->envp ? plan->envp : environ);
    free(file);
    free(argv);
    return r;
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

/* The first fd the child does not get from the plan: 3, or 4 when the plan sets fd 3. */
static int first_closed_fd(const struct spawn_plan *plan)
{
    int keep = STDERR_FILENO + 1;

    for (int i = keep; i < SPAWN_FDS; i++)
        if (plan->fds[i] >= 0)
            keep = i + 1;
    return keep;
}

int spawn_start(const struct spawn_plan *plan, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t mask, dfl;
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    int high[SPAWN_FDS] = {-1, -1, -1, -1};
    pid_t pid;
    int r;

    r = -posix_spawn_file_actions_init(&fa);
    if (r < 0)
        return r;
    r = -posix_spawnattr_init(&attr);
    if (r < 0)
        goto out_fa;
    /* From the kernel's bits, glibc's 32 and 33 included (see the top). */
    signals_to_set(plan->sigmask, &mask);
    signals_to_set(plan->sigdefault, &dfl);
    if (plan->pgid >= 0)
        flags |= POSIX_SPAWN_SETPGROUP;
    r = -posix_spawnattr_setflags(&attr, flags);
    if (r == 0 && plan->pgid >= 0)
        r = -posix_spawnattr_setpgroup(&attr, plan->pgid);
    if (r == 0)
        r = -posix_spawnattr_setsigmask(&attr, &mask);
    if (r == 0)
        r = -posix_spawnattr_setsigdefault(&attr, &dfl);
    if (r == 0)
        r = add_dups(&fa, plan->fds, high);
    if (r == 0 && plan->cwd)
        r = -posix_spawn_file_actions_addchdir_np(&fa, plan->cwd);
    /* File actions run after setpgid, so the foreground goes to the child's new group. The
     * child runs with every signal blocked until exec, so tcsetpgrp from what is still a
     * background group does not stop it with SIGTTOU. */
    if (r == 0 && plan->tty_fd >= 0)
        r = -posix_spawn_file_actions_addtcsetpgrp_np(&fa, plan->tty_fd);
    /* Last: the dup2s and the terminal above may use fds in the closed range. */
    if (r == 0 && !plan->inherit_fds)
        r = -posix_spawn_file_actions_addclosefrom_np(&fa, first_closed_fd(plan));
    if (r == 0)
        r = -posix_spawnp(&pid, plan->argv[0], &fa, &attr, plan->argv,
                          plan->envp ? plan->envp : environ);
    if (r == -ENOEXEC && plan->sh_fallback)
        r = spawn_script(plan, &fa, &attr, &pid);
    if (r == 0)
        *ret_pid = pid;
    (void) posix_spawnattr_destroy(&attr); /* cannot fail on an initialized attr */
out_fa:
    (void) posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < SPAWN_FDS; i++)
        fd_close(&high[i]);
    return r;
}
