/* spawn.h: start one command in a process group, with a clean signal state. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The child fds a plan can set: stdin, stdout, stderr and one more (3) for a channel. */
#define SPAWN_FDS 4

struct spawn_plan {
    char *const *argv;  /* argv[0] is searched in PATH as execvp() does */
    char *const *envp;  /* NULL: the caller's environ */
    const char *cwd;    /* NULL: the caller's */
    pid_t pgid;         /* 0: the child leads a new group; > 0: it joins this group; -1: it
                         * stays in the caller's */
    int tty_fd;         /* >= 0: the child's group becomes this terminal's foreground group */
    int fds[SPAWN_FDS]; /* fds[i] >= 0 becomes fd i of the child; -1: inherit fd i as is */
    bool inherit_fds;   /* false: every fd above the last one the plan sets (2, or 3 with
                         * fds[3]) is closed; true: fds without CLOEXEC pass (timeout(1)) */
    bool sh_fallback;   /* a file that is no executable format (no #!) runs with /bin/sh, as
                         * execvp() does; false: it fails with -ENOEXEC */
    uint64_t sigdefault; /* signals reset to SIG_DFL in the child, bit sig-1 (1..64, glibc's
                          * 32 and 33 included); the others keep this process's disposition
                          * (a handler becomes SIG_DFL, as with exec) */
    uint64_t sigmask;   /* the child's signal mask, bit sig-1 (glibc keeps 32 and 33 out) */
};

/* Fills a plan with the defaults: stdin, stdout and stderr inherited and no other fd, every
 * signal at its default and unblocked, new group, no terminal, no /bin/sh fallback. */
void spawn_plan_init(struct spawn_plan *plan);

/* Starts the command. The child is in its group and has the plan's signal mask before it
 * execs; an exec failure is returned here as -errno (-ENOENT: not found, -EACCES, -ENOEXEC...),
 * never guessed from an exit status. Returns 0 and the child's pid in *ret_pid, or -errno. */
int spawn_start(const struct spawn_plan *plan, pid_t *ret_pid);
