/* spawn.h: start one command in a process group, with a clean signal state. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* The child fds a plan can set: stdin, stdout, stderr and one more (3) for a channel. */
#define SPAWN_FDS 4

struct spawn_plan {
    char *const *argv;  /* argv[0] is searched in PATH as execvp() does */
    char *const *envp;  /* NULL: the caller's environ */
    const char *cwd;    /* NULL: the caller's */
    pid_t pgid;         /* 0: the child leads a new group; > 0: it joins this group; < 0:
                         * it stays in the caller's */
    int tty_fd;         /* >= 0: the child's group becomes this terminal's foreground group */
    int fds[SPAWN_FDS]; /* fds[i] >= 0 becomes fd i of the child; -1: inherit fd i as is */
    bool inherit_fds;   /* false: every fd above the last one the plan sets (2, or 3 with
                         * fds[3]) is closed; true: fds without CLOEXEC pass (timeout(1)) */
    bool inherit_ignored; /* false: every signal 1..NSIG-1 starts at SIG_DFL; true: signals
                           * ignored here stay ignored (timeout(1)), the others are reset */
};

/* Fills a plan with the defaults: stdin, stdout and stderr inherited and no other fd, every
 * signal at its default, new group, no terminal. */
void spawn_plan_init(struct spawn_plan *plan);

/* Starts the command. The child is in its group and has an empty signal mask before it
 * execs; an exec failure is returned here as -errno (-ENOENT: not found, -EACCES, -ENOEXEC...),
 * never guessed from an exit status. Returns 0 and the child's pid in *ret_pid, or -errno. */
int spawn_start(const struct spawn_plan *plan, pid_t *ret_pid);
