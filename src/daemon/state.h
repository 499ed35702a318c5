/* state.h: the daemon's state file, read after a crash to find what the previous daemon
 * left running. It records, for every run, the processes that identify its tree, each as
 * pid + start time (a pid alone may have been recycled since), and the run's marker, which
 * every process of the tree inherits in its environment (PGSUP_JOB=KEY/NAME/RUN).
 *
 * Text, one record per line, so that it can be read by a person and by older or newer
 * versions (unknown lines are skipped):
 *   pgsup-state 1
 *   key KEY                      the marker prefix of this daemon (stable across restarts)
 *   instance ID                  this daemon's run of itself
 *   daemon PID START
 *   run NAME RUN GUARD:START ENGINE:START LEADER:START PGID   (0:0 where unknown) */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "trust.h"

struct state_proc {
    pid_t pid;                    /* 0: unknown */
    unsigned long long start;     /* clock ticks since boot, /proc/PID/stat field 22 */
};

struct state_run {
    char *name;                   /* the job */
    char *run;                    /* the run's id: PGSUP_JOB=KEY/NAME/RUN */
    struct state_proc guard;      /* the pgsup process libpgsup started (our child) */
    struct state_proc engine;     /* its child, the tree's subreaper */
    struct state_proc leader;     /* the job's command */
    pid_t pgid;                   /* the tree's group: numbered by the engine's pid */
};

struct state {
    char *key;
    char *instance;
    struct state_proc daemon;
    struct state_run *runs;
    size_t runs_len, runs_cap;
};

/* Appends a copy of run (its strings are copied). Returns 0 or -ENOMEM. */
int state_add_run(struct state *s, const struct state_run *run);

/* Frees everything s owns and zeroes it. A zeroed state is fine. */
void state_free(struct state *s);

/* Writes s as text into a new string (free()). Returns 0 or -ENOMEM. */
int state_format(const struct state *s, char **ret_text);

/* Parses text into *ret (zeroed first; state_free() it). Lines that cannot be read are
 * skipped. Returns 0, or -EINVAL if the text is not a state file at all, or -ENOMEM. */
int state_parse(const char *text, struct state *ret);

/* Replaces the file at path atomically: written to a new PATH.tmp (whatever was there is
 * unlinked first, a symlink included: it is never written through), then renamed over path,
 * so a reader (the next daemon, after a crash at any instant) sees the old or the new file
 * whole. Not fsync'ed: only a process crash must be survived; after a machine crash no
 * process of any tree is left to find. Returns 0 or -errno. */
int state_write(const char *path, const struct state *s);

/* Reads the file at path into *ret, opened with trust_open(): a symlink, a FIFO, a file of
 * another user or one that others may write is refused before a byte is read. Returns 0, or
 * -errno with why filled: -ENOENT if there is none, -EPERM (not trusted), -ELOOP (a symlink),
 * -EINVAL (not a state file). */
int state_read(const char *path, struct state *ret, char why[TRUST_WHY_MAX]);
