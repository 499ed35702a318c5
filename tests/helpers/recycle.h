/* recycle.h: a PID namespace where a pid is recycled on demand, for the tests of pgsup's
 * identity checks. Inside it pid_max is 301 and the pid cursor has wrapped, so every new
 * process gets pid 300 as soon as it is free: when the victim (a member of some tree, pid
 * 300) is reaped, the next fork anywhere in the namespace, the stranger's, gets its pid. Done
 * within one clock tick (10 ms), the stranger even has the victim's start time: what pgsup
 * must never mistake for the victim.
 *
 *   init (the test, pid 1) ─┬─ parent ── victim (pid 300, until reaped)
 *                           └─ outsider ── stranger (pid 300, once the victim is gone)
 *
 * Everything is driven through sockets; nothing sleeps to synchronise. When init returns, the
 * kernel kills whatever is left in the namespace. Per-namespace pid_max needs Linux 6.14.
 *
 * recycle_test() does it all for a test: the code under test (act) is run once per try, and
 * the stranger takes the victim's pid at the very moment act opens the victim's pidfd with
 * pidfd_get(), which the test executable wraps (-Wl,--wrap=pidfd_get: recycle_wrap.c). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#define RECYCLE_PID 300

struct recycle {
    pid_t parent, outsider;     /* the victim's parent; the stranger's parent */
    int parent_fd, outsider_fd; /* socketpair ends: one command, one reply */
    pid_t victim, stranger;     /* 0: none now */
    unsigned long long victim_start, stranger_start; /* /proc/PID/stat start times */
};

/* Runs fn(arg) as PID 1 of a new PID and mount namespace with its own /proc and pid_max 301.
 * Returns fn's value (0: passed; 77: skipped, reason printed; else failed), or 77 with the
 * reason printed when the kernel cannot make such a namespace (Linux < 6.14, not root), or 1.
 * Call it from a single-threaded process; stdio is flushed before the fork. */
int recycle_run(int (*fn)(void *arg), void *arg);

/* Inside fn: starts the parent and the outsider, then wraps the pid cursor so that the next
 * process gets RECYCLE_PID. Returns 0 or -errno. */
int recycle_setup(struct recycle *r);

/* Waits for the start of the next clock tick, so that what follows has a whole tick. */
void recycle_align_tick(void);

/* The parent forks the victim (pid RECYCLE_PID). With envp, the victim execs /bin/sleep with
 * that environment (what /proc/PID/environ shows only after exec); without, it waits on a
 * pipe. Returns 0 once it stands, or -errno. */
int recycle_victim(struct recycle *r, char *const *envp);

/* The parent SIGKILLs and reaps the victim; then the outsider forks the stranger, which gets
 * the victim's pid (-EAGAIN if it did not). Returns 0 or -errno. */
int recycle_replace(struct recycle *r);

/* The code under test in one try: it must open the victim's pidfd with pidfd_get(). Returns a
 * number for the messages (what it reported). */
typedef int recycle_act_fn(const struct recycle *r, void *arg);

/* Runs tries in a recycling namespace (recycle_run()) until the stranger took the victim's pid
 * within the victim's clock tick while act ran; each try has a fresh victim (victim_envp as in
 * recycle_victim()). Returns 0 if the stranger was spared in such a try; 77 if the kernel
 * cannot make the namespace (reason printed); 1, with a message, if the stranger was SIGKILLed
 * in any try or anything failed. */
int recycle_test(char *const *victim_envp, recycle_act_fn *act, void *arg);

/* For recycle_wrap.c: called with every pid that pidfd_get() opens. */
void recycle_on_pidfd_get(pid_t pid);

/* True if the stranger started in the victim's clock tick. */
bool recycle_same_tick(const struct recycle *r);

/* The outsider sends SIGTERM to the stranger and reaps it; *ret_status is its wait status: a
 * SIGKILL that someone sent it before wins over the TERM (the kernel keeps the first fatal
 * signal), so WTERMSIG tells whether it was killed already. Returns 0 or -errno. */
int recycle_end_stranger(struct recycle *r, int *ret_status);
