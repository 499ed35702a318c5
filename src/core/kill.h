/* kill.h: signalling a whole tree. One sweep signals the group with kill(-pgid) and every
 * escapee one by one through a pidfd; the caller repeats sweeps until the tree is empty. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "pin.h"
#include "proc.h"
#include "tree.h"

/* What a sweep did, for --verbose: one note for the group, one per escapee. */
struct kill_note {
    int sig;
    pid_t pid;      /* the pgid for a group note */
    bool group;
    bool escapee;   /* the process had left the group */
    unsigned count; /* group note: members seen in the group */
};
typedef void kill_note_fn(const struct kill_note *note, void *userdata);

struct killer {
    struct tree_scope scope; /* pgid and root pinned by the caller (tree.h) */
    int sig;                /* signal of the current phase, 0 before the first */
    unsigned long long since; /* proc_boot_ticks() when the phase's signal went out */
    struct proc_table sent; /* who got sig in this phase, by pid + start time: a process
                             * that took a sent member's pid in the same tick would be
                             * skipped by the phase's later sweeps (never signalled wrongly;
                             * the KILL phase, which forgets `sent` each sweep, still ends it) */
    struct proc_table scan, members; /* scratch, kept to avoid reallocating per sweep */
    struct pin_chain chain; /* scratch: an escapee's parent chain */
    bool whole_proc;        /* the kernel lists no children: scan all of /proc */
    pid_t root_sid;         /* the root's session (scope.nested_jobs) */
};

void kill_init(struct killer *k, const struct tree_scope *scope);
void kill_free(struct killer *k);

/* Begins a phase with sig and sweeps once: sig goes to the group and to every member seen
 * outside it. Returns the number of live members seen (0: the tree is empty) or -errno; with
 * SIGKILL the snapshot follows the group signal, so dying members may be missing from it. */
int kill_phase(struct killer *k, int sig, kill_note_fn *note, void *userdata);

/* Begins a phase with sig sent to the group alone, by kill(-pgid), without reading /proc:
 * for SIGKILL, whose members can no longer fork or leave the group once it is sent, so that
 * only what was outside the group already remains to be found, by kill_sweep() (the caller
 * decides when: run.c, once the group is empty). scope.pgid must be > 0. Returns 0 or -errno
 * (-ESRCH: the group is empty). */
int kill_group(struct killer *k, int sig);

/* Sweeps again. With SIGKILL, everyone gets it again (the group and every member seen).
 * With any other signal the phase's signal goes once to what existed when the phase began:
 * only members that were forked before it and that it has not reached yet (missed by an
 * earlier snapshot) get it now; what the tree forks after the signal (a TERM trap's cleanup
 * command) is left to finish. Returns the number of live members seen or -errno.
 *
 * With scope.nested_jobs (this sweep and kill_phase()'s), no signal but SIGKILL goes to a
 * member in another group of the root's session that is not a child of the root: whoever
 * made that group (a nested timeout, reached as the root's child, or once it is re-parented
 * to the root) passes the signal on in its own way, as coreutils' timeouts cascade:
 * `timeout -s ALRM 9 timeout -s INT 5 CMD` makes the inner one end CMD with INT. Members in
 * another session (setsid()) are reached. */
int kill_sweep(struct killer *k, kill_note_fn *note, void *userdata);

/* Counts the live members without signalling anyone. Returns the count or -errno. */
int kill_count(struct killer *k);
