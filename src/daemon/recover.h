/* recover.h: finding and killing what an earlier daemon left behind, after it crashed (or
 * what a run left behind when its pgsup supervisor was killed). Nothing is trusted by pid
 * alone: a process is a leftover when
 *   - its environment carries the marker (PGSUP_JOB=KEY/..., inherited by every process of
 *     every tree the daemon starts, unless a process clears its environment), or
 *   - it is a recorded process (state file) alive with the recorded start time, and it
 *     carries the marker as well (a forged record cannot name a stranger), or
 *   - it is in a recorded process group in which such a process was seen in the same scan
 *     (a group's number cannot be reused while a member lives), or
 *   - its parent chain leads to one of the above.
 * Each is killed through a pidfd opened before its reason is checked again on facts read while
 * the pidfd held it (pin.h): its marker read again, its parent pinned above it, its group;
 * a process that took a leftover's pid since the scan is not touched, even within the same
 * clock tick. A recorded process is still known by pid and start time alone (the state file
 * holds nothing more). The scan repeats until none is left: what forks meanwhile is found by
 * the next scan. The caller, its ancestors and pid 1 are never touched. A process whose main
 * thread has exited while other threads run is alive (proc_entry_alive()). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "core/proc.h"
#include "state.h"

struct recover_spec {
    const char *marker;         /* environment entry (prefix) that marks a leftover */
    bool exact;                 /* the entry must equal marker, not only start with it */
    const struct state *state;  /* recorded runs, or NULL */
};

/* Called once for each process killed (why: "marker", "recorded", "group", "descendant"). */
typedef void recover_note_fn(const struct proc_entry *e, const char *why, void *userdata);

/* Kills every leftover with SIGKILL and waits (polling /proc) until none is alive. Zombies
 * are not waited for: their parent reaps them (the caller reaps its own children). Returns
 * the number of processes killed, -ETIMEDOUT if some were still alive after limit_s, or
 * -errno (/proc cannot be read). */
int recover_kill(const struct recover_spec *spec, double limit_s, recover_note_fn *note,
                 void *userdata);

/* True if the environment of pid holds an entry starting with (exact: equal to) marker. The
 * environment of a process whose main thread has exited is read through a live thread. */
bool recover_has_marker(pid_t pid, const char *marker, bool exact);
