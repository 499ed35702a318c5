/* reaper.h: the daemon's children that belong to nobody. The daemon is a child subreaper (or
 * PID 1), so orphans can be re-parented to it: what is left of a tree whose pgsup helper was
 * killed (libpgsup kills it; the daemon reaps it), and, as PID 1, anything in the container.
 * They must be reaped, but the daemon's other children, the pgsup supervisors that libpgsup
 * started for its jobs, are libpgsup's to reap (it waits on their pidfds): reaping one would
 * take its exit status from under it. So the reaper keeps the set of those pids ("owned") and
 * reaps every other child, one by one with waitid(P_PID), never with waitpid(-1). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct reaper {
    pid_t *owned;        /* sorted */
    size_t len, cap;
};

/* pid is a child that someone else reaps. Returns 0 or -ENOMEM. */
int reaper_own(struct reaper *r, pid_t pid);

/* pid is no longer someone else's (it was reaped by its owner). */
void reaper_disown(struct reaper *r, pid_t pid);

/* Reaps every exited child that is not owned; call it on SIGCHLD. Returns how many were
 * reaped, or -errno if the children could not be listed. */
int reaper_reap(struct reaper *r);

/* The number of live children that are not owned (adopted orphans). */
int reaper_count_adopted(struct reaper *r);

void reaper_free(struct reaper *r);
