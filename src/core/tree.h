/* tree.h: who belongs to a job. Pure logic over a proc_table snapshot, so it can be tested
 * on made-up process tables. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"

/* The caller keeps pgid and root pinned while it uses the scope (the engine's own pid, or an
 * unreaped child): membership checked against them then cannot be fooled by a recycled
 * number. */
struct tree_scope {
    pid_t pgid;    /* the job's process group; 0: none (descendants of root only) */
    pid_t root;    /* every descendant of root belongs to the job */
    pid_t exclude; /* never a member (the supervisor itself), 0 for none */
    pid_t spare;   /* never a member either, though it may be in the group (pgsup timeout's
                    * guard, which leads it as coreutils' timeout does); signalled only
                    * through the group, never with SIGKILL (kill.h). 0 for none */
    bool nested_jobs; /* kill.h: a graceful signal leaves alone the members that made a group
                       * of their own in root's session (a nested timeout's tree, a script's
                       * job), unless they are root's children */
};

/* Fills ret with the live members of the job seen in snapshot t: processes in the group,
 * descendants of root, and descendants of group members (those that left with setsid() or
 * setpgid()). Zombies are not members (they cannot act on a signal), nor is scope->exclude;
 * a process whose main thread alone has exited is alive (proc_entry_alive()).
 * ret is emptied first. Returns the number of members or -ENOMEM. */
int tree_members(const struct proc_table *t, const struct tree_scope *scope,
                 struct proc_table *ret);

/* True if the table holds an entry with this pid and start time. */
bool tree_contains(const struct proc_table *t, pid_t pid, unsigned long long start);
