/* supervisor.h: the daemon's jobs and their life cycle. Each job moves through supervisord's
 * states; what an event does in a state is one cell of a table (supervisor.c):
 *
 *   STOPPED ──start──▶ STARTING ──startsecs──▶ RUNNING ──exit, no restart──▶ EXITED
 *                        │  ▲                     │
 *        quick exit,     │  │ retry timer         │ exit, restart wanted: at once after a
 *        retries left    ▼  │                     │ stable run, else after a delay (BACKOFF)
 *                      BACKOFF ◀──────────────────┘
 *                        │ quick exit, no retries left
 *                        ▼
 *                      FATAL
 *   STARTING, RUNNING ──stop──▶ STOPPING ──tree gone──▶ STOPPED
 *
 * The supervisor decides; it does not spawn. Runs are started, signalled and stopped through
 * struct supervisor_ops (runner.c does it with libpgsup; the unit tests with fakes), which
 * reports the start of each run's command with supervisor_run_started() and its end with
 * supervisor_run_exited(). */
#pragma once
#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum job_state {
    JOB_STOPPED,  /* not running, by request or never started */
    JOB_STARTING, /* running for less than startsecs */
    JOB_RUNNING,  /* up for startsecs or more */
    JOB_BACKOFF,  /* waiting for the delay before the next start */
    JOB_STOPPING, /* stop signal sent; waiting until the whole tree is gone */
    JOB_EXITED,   /* ended by itself and not restarted (autorestart said so) */
    JOB_FATAL,    /* did not stay up for startsecs, startretries + 1 times in a row */
    JOB_STATES
};

enum job_event {
    JOB_EV_START,        /* start asked for (autostart, ctl start, reload) */
    JOB_EV_STOP,         /* stop asked for (ctl stop, shutdown, reload) */
    JOB_EV_EXIT,         /* the run ended: its whole tree is gone (job->exit says how) */
    JOB_EV_SPAWN_FAILED, /* the run could not be started (job->exit.spawn_error) */
    JOB_EV_STARTED,      /* startsecs passed */
    JOB_EV_RETRY,        /* the backoff delay passed */
    JOB_EVENTS
};

/* How the last run ended. */
struct job_exit {
    int exit_code;       /* -1 if a signal ended it */
    int term_signal;     /* 0 if it exited */
    bool timed_out;      /* its timeout= deadline hit */
    bool killed;         /* SIGKILL was needed after the grace */
    bool lost;           /* its pgsup supervisor died (the tree was killed anyway) */
    bool taken_over;     /* its supervisor was stopped or stuck, and the daemon killed it */
    int spawn_error;     /* < 0: it could not be started (-errno or -PGSUP_E...) */
    double up_s;         /* how long it ran */
};

struct supervisor;
struct config_ref;

struct job {
    struct supervisor *sup;
    char *name;                      /* owned copy */
    const struct config_job *spec;   /* the spec it runs with; lives in ref's config */
    struct config_ref *ref;
    const struct config_job *next_spec; /* a reload changed it: applied once stopped */
    struct config_ref *next_ref;
    enum job_state state;
    bool start_pending;              /* start once stopped (restart, changed spec) */
    bool start_queued;               /* start once the lower priority levels run */
    bool launching;                  /* started; its helper has not reported the start yet */
    bool leaving;                    /* removed from the config: freed once stopped */
    unsigned failures;               /* quick exits in a row (FATAL after startretries) */
    unsigned streak;                 /* unstable runs in a row (the backoff delay grows) */
    unsigned restarts;               /* runs started by the restart policy */
    double delay_s;                  /* the current backoff delay */
    int sent_signal;                 /* last signal sent with supervisor_signal() this run */
    struct job_exit exit;            /* of the last run */
    char last_exit[192];             /* how the last run ended, for people: "exited 1" */
    bool has_run;                    /* a run is in progress (from start to its exit) */
    /* Written by the ops' start, read by status and the state file: */
    pid_t pid;                       /* the command, 0 when not running */
    pid_t pgid;                      /* its group (= engine pid), 0 when unknown */
    pid_t engine_pid, guard_pid;
    unsigned long long pid_start, engine_start, guard_start; /* /proc start times */
    char spawn_why[160];             /* why the last start failed, for people (ops' start
                                      * may fill it when it fails): "command 'x' not found" */
    double started_mono;             /* when the run started (timer_now()) */
    double started_wall;             /* the same, in seconds since the epoch */
    char run_id[64];                 /* the run's marker suffix */
    void *run;                       /* the ops' own per-job data */
    ev_timer start_timer, retry_timer;
};

struct supervisor_ops {
    /* Starts a run of job->spec. Returns 0 (then supervisor_run_exited() follows once, later,
     * from the loop, never from inside this call) or -errno. */
    int (*start)(struct job *job, void *userdata);
    /* Sends sig to the whole tree, then SIGKILL after grace_s (0: at once). Returns 0 or
     * -errno (-ESRCH: the run is ending anyway; its exit follows). */
    int (*terminate)(struct job *job, int sig, double grace_s, void *userdata);
    /* Sends sig to the run's command, its main process (tree false), or to every process of
     * its tree. Returns 0 or -errno (-ESRCH: the command is gone). */
    int (*signal)(struct job *job, int sig, bool tree, void *userdata);
    /* The job's state changed (or it is about to be freed: job->leaving and settled). May be
     * NULL. */
    void (*changed)(struct job *job, enum job_state old, void *userdata);
    /* The job is freed right after this (drop job->run). May be NULL. */
    void (*forget)(struct job *job, void *userdata);
    /* A line for the daemon's log: what happened to a job. May be NULL. */
    void (*say)(const struct job *job, const char *text, void *userdata);
};

/* What supervisor_apply() did. Names point into the jobs; valid until the next apply. */
struct supervisor_diff {
    size_t added, removed, changed, unchanged;
};

/* Makes an empty supervisor on loop. Returns NULL without memory. */
struct supervisor *supervisor_new(struct ev_loop *loop, const struct supervisor_ops *ops,
                                  void *userdata);

/* Stops nothing: frees the jobs (call once every job is settled) and the configs. */
void supervisor_free(struct supervisor *s);

/* Which part of a config supervisor_apply() applies (ctl update NAME..., ctl add NAME). */
struct supervisor_scope {
    char *const *groups; /* only jobs of these groups are made, changed or removed; the jobs
                          * of the others stay as they are */
    size_t groups_len;
    bool add_only;       /* only jobs that do not exist are made: nothing changes or goes */
};

/* Takes config over (it is freed when no job uses it any more): new jobs are created and
 * started if autostart, removed ones stopped (and freed once their tree is gone), changed
 * ones (config_job_equal false) stopped and started again with the new spec, unchanged ones
 * left alone; all of them, or those that scope names (NULL: all). Starts go by priority
 * level: every job of a level at once, the next level once each of them was reported started
 * (or failed). Returns 0 or -ENOMEM (then nothing changed and config is freed). */
int supervisor_apply(struct supervisor *s, struct config *config,
                     const struct supervisor_scope *scope, struct supervisor_diff *ret);

/* What the job runs with once a pending change of a reload is applied: its spec's future. */
const struct config_job *supervisor_target_spec(const struct job *job);

/* Removes the jobs of group (ctl remove): all settled (STOPPED, EXITED or FATAL, no run).
 * Returns the number removed, -ENOENT (no job of that group), or -EBUSY (one is not
 * settled: nothing removed). */
int supervisor_remove(struct supervisor *s, const char *group);

/* The jobs in priority order (group priority, group, priority, name), then jobs still
 * stopping after a reload removed them. */
size_t supervisor_count(const struct supervisor *s);
struct job *supervisor_job(const struct supervisor *s, size_t i);
struct job *supervisor_find(const struct supervisor *s, const char *name);

/* Feeds event to job: the cell of the state table runs. Returns true if the event did
 * something in the job's state, false if it means nothing there (start of a running job). */
bool supervisor_dispatch(struct job *job, enum job_event event);

/* Requests from ctl. Return 0, -EALREADY (nothing to do in this state), or -ESHUTDOWN (the
 * daemon is stopping: nothing starts any more). A start is queued by priority level like the
 * autostarts (supervisor_apply()): job->start_queued until its level's turn. */
int supervisor_start(struct job *job);
int supervisor_stop(struct job *job);
int supervisor_restart(struct job *job);
/* Sends sig to the job's command (tree false: its main process, as supervisorctl does) or to
 * its whole tree. Returns 0, -ESRCH (not running) or -errno. */
int supervisor_signal(struct job *job, int sig, bool tree);

/* The ops report the end of a run (its tree is gone): job->exit is set from e. */
void supervisor_run_exited(struct job *job, const struct job_exit *e);

/* The ops report that a run's command was started (job->pid is known): the start of the next
 * priority level waits for that. */
void supervisor_run_started(struct job *job);

/* Stops every job, highest priority first (group priority, then the job's), each level of
 * equal priorities once the previous one is gone, then calls done (from the loop). Nothing is
 * started after this. */
void supervisor_stop_all(struct supervisor *s, void (*done)(void *userdata), void *userdata);

/* true once the job is not running and nothing will start it by itself. */
bool supervisor_settled(const struct job *job);

const char *supervisor_state_name(enum job_state state);
