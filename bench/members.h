/* members.h: what /proc says about a process group, for the reap benchmark's readiness check
 * and its "nothing left" check. Only reads /proc; decides nothing. */
#pragma once
#include <sys/types.h>

struct members_count {
    unsigned total;    /* processes of the group, zombies included */
    unsigned sleeping; /* of which in state S (interruptible sleep) */
    unsigned zombies;  /* of which in state Z */
};

/* Counts the processes whose pgid is pgid. Returns 0 or -errno (no /proc). */
int members_count_group(pid_t pgid, struct members_count *ret);

/* Counts the children of ppid outside group skip_pgid (0: none skipped), zombies included.
 * Returns 0 or -errno (no /proc). */
int members_count_children(pid_t ppid, pid_t skip_pgid, unsigned *ret);

/* Number of processes on the system (pgsup's sweeps read each one's stat file). */
int members_count_system(void);
