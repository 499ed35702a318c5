/* runner.h: runs of daemon jobs through libpgsup (the daemon is a libpgsup host on its own
 * loop). Each run is a pgsup_start() of the job's command, so it gets the engine's guarantees:
 * its own process group, a subreaper that catches escapees, the whole tree killed on stop and
 * on timeout, and the tree killed when the daemon dies (its control socket closes). What the
 * runner adds: the job's environment with the run's marker (PGSUP_JOB=KEY/NAME/RUN, which
 * crash recovery looks for), stdout/stderr through pipes into log files, the identity of the
 * run's processes for the state file, and a sweep of the tree if its supervisor is killed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "logfile.h"
#include "reaper.h"
#include "supervisor.h"

#define RUNNER_MARKER_VAR "PGSUP_JOB"

struct runner {
    struct ev_loop *loop;
    struct logger logger;
    struct reaper *reaper;     /* borrowed: the helpers are registered there while they run */
    char *key;                 /* marker key: stable for one state file */
    char *instance;            /* this daemon's id, in every run id */
    unsigned long long runs;   /* run counter */
    int devnull_fd;            /* the jobs' stdin, and NONE logs */
    char *pgsup_bin;           /* "PGSUP_BIN=..." as the daemon got it, for the jobs; or NULL */
};

/* Returns 0 or -errno. key and instance are copied. Sets $PGSUP_BIN for libpgsup (see
 * runner.c); call it before anything else reads the environment. */
int runner_init(struct runner *r, struct ev_loop *loop, struct reaper *reaper, const char *key,
                const char *instance);
void runner_free(struct runner *r);

/* The supervisor_ops functions (userdata: the runner). */
int runner_start(struct job *job, void *userdata);
int runner_terminate(struct job *job, int sig, double grace_s, void *userdata);
int runner_signal(struct job *job, int sig, bool tree, void *userdata);
void runner_forget(struct job *job, void *userdata);

/* The marker entry of the job's current (or last) run, "PGSUP_JOB=KEY/NAME/RUN". */
const char *runner_marker(const struct job *job);

/* The number of log pipes not yet at end of file. */
size_t runner_pipes_open(const struct runner *r);

/* Opens the job's log files again (SIGUSR2, after an external logrotate). */
void runner_reopen_logs(struct job *job);

/* ctl tail: up to max bytes of the job's stdout (err false) or stderr log, a file or what was
 * kept of the daemon's own stream, from the offset from (NULL: the last max bytes; see
 * logtail.h). The caller checks that the stream has a log (not NONE, not redirected).
 * Returns 0 or -errno. */
int runner_log_tail(struct job *job, bool err, const char *from, size_t max,
                    struct logtail *ret);

/* ctl clear: empties the job's log files (rotated ones stay) and its kept output. Returns 0 or
 * the first -errno. */
int runner_log_clear(struct job *job);
