/* supervisor.c: the daemon's jobs, their life cycle as a table of state × event → handler,
 * the restart policy (autorestart, exitcodes, startsecs, startretries, backoff) and the
 * priority levels of starts and stops; reload.c applies a new config to the jobs (its state
 * is shared through supervisor_internal.h). It starts nothing itself: runs go
 * through supervisor_ops (runner.c). It prints nothing either: lines for the daemon's log go
 * to ops->say. */
#include "supervisor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsup.h"
#include "core/signame.h"
#include "core/timer.h"
#include "backoff.h"
#include "supervisor_internal.h"

typedef void handler_fn(struct job *job);

static void run_cell(struct job *job, enum job_event event);

/* --- helpers ----------------------------------------------------------------------------- */

struct config_ref *sup_ref_new(struct config *config)
{
    struct config_ref *r = calloc(1, sizeof(*r));

    if (r)
        r->config = config;
    return r;
}

struct config_ref *sup_ref_get(struct config_ref *r)
{
    if (r)
        r->refs++;
    return r;
}

void sup_ref_put(struct config_ref *r)
{
    if (!r || --r->refs > 0)
        return;
    config_free(r->config);
    free(r);
}

static void say(const struct job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct job *job, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    if (!job->sup->ops->say)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    job->sup->ops->say(job, text, job->sup->userdata);
}

bool supervisor_settled(const struct job *job)
{
    return !job->has_run &&
           (job->state == JOB_STOPPED || job->state == JOB_EXITED || job->state == JOB_FATAL);
}

const char *supervisor_state_name(enum job_state state)
{
    static const char *const names[JOB_STATES] = {
        [JOB_STOPPED] = "STOPPED", [JOB_STARTING] = "STARTING", [JOB_RUNNING] = "RUNNING",
        [JOB_BACKOFF] = "BACKOFF", [JOB_STOPPING] = "STOPPING", [JOB_EXITED] = "EXITED",
        [JOB_FATAL] = "FATAL",
    };

    return (unsigned) state < JOB_STATES ? names[state] : "UNKNOWN";
}

static void arm(struct job *job, ev_timer *t, double s)
{
    ev_timer_stop(job->sup->loop, t);
    ev_timer_set(t, s, 0);
    ev_timer_start(job->sup->loop, t);
}

static void disarm(struct job *job)
{
    ev_timer_stop(job->sup->loop, &job->start_timer);
    ev_timer_stop(job->sup->loop, &job->retry_timer);
}

/* The last run's end, as a person reads it. */
static void describe_exit(struct job *job)
{
    const struct job_exit *e = &job->exit;
    char sig[SIGNAME_MAX];
    size_t n = sizeof(job->last_exit);

    if (e->spawn_error < 0)
        snprintf(job->last_exit, n, "cannot start: %s",
                 job->spawn_why[0] ? job->spawn_why : pgsup_strerror(e->spawn_error));
    else if (e->taken_over)
        snprintf(job->last_exit, n, "its pgsup supervisor was stopped or stuck; daemon killed "
                                    "it and the tree");
    else if (e->lost)
        snprintf(job->last_exit, n, "its pgsup supervisor died; tree killed");
    else if (e->timed_out)
        snprintf(job->last_exit, n, "timed out after %gs%s", job->spec->timeout,
                 e->killed ? ", KILL needed" : "");
    else if (e->term_signal)
        snprintf(job->last_exit, n, "killed by %s%s", signame_format(e->term_signal, sig),
                 e->killed && e->term_signal == 9 ? " after the grace" : "");
    else
        snprintf(job->last_exit, n, "exited %d", e->exit_code);
}

/* autorestart=unexpected: an exit code listed in exitcodes, or death by a signal that was
 * sent on purpose (ctl signal), is expected; a timeout or a lost supervisor never is. */
static bool exit_expected(const struct job *job)
{
    const struct job_exit *e = &job->exit;

    if (e->lost || e->timed_out || e->spawn_error < 0)
        return false;
    if (e->term_signal)
        return e->term_signal == job->sent_signal;
    for (size_t i = 0; i < job->spec->exitcodes_len; i++)
        if (job->spec->exitcodes[i] == e->exit_code)
            return true;
    return false;
}

static bool restart_wanted(const struct job *job)
{
    if (job->sup->shutting_down)
        return false;
    switch (job->spec->autorestart) {
    case CONFIG_RESTART_NEVER:
        return false;
    case CONFIG_RESTART_ALWAYS:
        return true;
    case CONFIG_RESTART_UNEXPECTED:
        return !exit_expected(job);
    }
    return false;
}

void sup_apply_next_spec(struct job *job)
{
    if (!job->next_spec)
        return;
    sup_ref_put(job->ref);
    job->spec = job->next_spec;
    job->ref = job->next_ref;
    job->next_spec = NULL;
    job->next_ref = NULL;
}

/* --- handlers: one per cell of the table --------------------------------------------------- */

/* Starts a run; the state is STARTING, or whatever a spawn failure leads to. */
static void spawn(struct job *job)
{
    int r;

    disarm(job);
    job->sent_signal = 0;
    job->state = JOB_STARTING;
    /* Before the call: the ops may report the start from inside it (supervisor_run_started). */
    job->launching = true;
    job->spawn_why[0] = '\0';
    r = job->sup->ops->start(job, job->sup->userdata);
    if (r < 0) {
        job->launching = false;
        job->exit = (struct job_exit){.exit_code = -1, .spawn_error = r};
        describe_exit(job);
        say(job, "%s", job->last_exit);
        run_cell(job, JOB_EV_SPAWN_FAILED);
        return;
    }
    /* "started (pid N)" is said, and startsecs counted, once the command's pid is known
     * (supervisor_run_started()): a job is never RUNNING without its pid. */
    job->has_run = true;
}

/* The command of a run is started: startsecs count from now. */
static void count_startsecs(struct job *job)
{
    if (job->spec->startsecs > 0)
        arm(job, &job->start_timer, job->spec->startsecs);
    else
        supervisor_dispatch(job, JOB_EV_STARTED);
}

/* START from a resting state: a fresh start, the failure counts begin again. */
static void h_start(struct job *job)
{
    job->failures = 0;
    job->streak = 0;
    spawn(job);
}

static void h_retry(struct job *job)
{
    job->restarts++;
    spawn(job);
}

static void h_started(struct job *job)
{
    job->state = JOB_RUNNING;
    job->failures = 0;
    say(job, "running (up for %gs)", job->spec->startsecs);
}

static void enter_backoff(struct job *job, const char *why)
{
    job->delay_s = backoff_delay(job->spec->backoff_initial, job->spec->backoff_max,
                                 job->streak);
    job->state = JOB_BACKOFF;
    arm(job, &job->retry_timer, job->delay_s);
    say(job, "%s (%s); starting again in %gs", job->last_exit, why, job->delay_s);
}

/* The run ended (or never began) before startsecs: a failed start. */
static void h_quick_exit(struct job *job)
{
    ev_timer_stop(job->sup->loop, &job->start_timer);
    describe_exit(job);
    if (job->sup->shutting_down) {
        job->state = JOB_STOPPED;
        return;
    }
    job->failures++;
    job->streak++;
    if (job->failures > job->spec->startretries) {
        job->state = JOB_FATAL;
        say(job, "%s; gave up after %u failed starts in a row (FATAL)", job->last_exit,
            job->failures);
        return;
    }
    char why[64];
    snprintf(why, sizeof(why), "failed start %u of %u", job->failures,
             job->spec->startretries + 1);
    enter_backoff(job, why);
}

static void h_exit(struct job *job)
{
    describe_exit(job);
    if (!restart_wanted(job)) {
        job->state = JOB_EXITED;
        say(job, "%s (%s)", job->last_exit, exit_expected(job) ? "expected" : "not expected");
        return;
    }
    if (job->exit.up_s >= backoff_stable_s(job->spec->startsecs, job->spec->backoff_max)) {
        /* A stable run: the next one starts at once, with a clean slate. */
        job->streak = 0;
        job->restarts++;
        say(job, "%s after %.0fs; restarting", job->last_exit, job->exit.up_s);
        spawn(job);
        return;
    }
    job->streak++;
    enter_backoff(job, "unstable");
}

static void h_stop(struct job *job)
{
    disarm(job);
    job->state = JOB_STOPPING;
    job->start_pending = false;
    say(job, "stopping");
    /* -ESRCH: the run is ending by itself; its exit arrives all the same. */
    (void) job->sup->ops->terminate(job, job->spec->stopsignal, job->spec->stopwaitsecs,
                                    job->sup->userdata);
}

static void h_cancel(struct job *job)
{
    disarm(job);
    job->state = JOB_STOPPED;
}

static void h_stopped(struct job *job)
{
    describe_exit(job);
    job->state = JOB_STOPPED;
    say(job, "stopped (%s)", job->last_exit);
    sup_apply_next_spec(job);
    if (job->start_pending && !job->sup->shutting_down) {
        job->start_pending = false;
        h_start(job);
    }
    job->start_pending = false;
}

static void h_defer_start(struct job *job)
{
    job->start_pending = true;
}

static void h_cancel_start(struct job *job)
{
    job->start_pending = false;
}

/* An empty cell: the event means nothing in that state (start of a running job...). */
static handler_fn *const table[JOB_STATES][JOB_EVENTS] = {
    [JOB_STOPPED] = {[JOB_EV_START] = h_start},
    [JOB_STARTING] = {[JOB_EV_STOP] = h_stop, [JOB_EV_EXIT] = h_quick_exit,
                      [JOB_EV_SPAWN_FAILED] = h_quick_exit, [JOB_EV_STARTED] = h_started},
    [JOB_RUNNING] = {[JOB_EV_STOP] = h_stop, [JOB_EV_EXIT] = h_exit},
    [JOB_BACKOFF] = {[JOB_EV_START] = h_start, [JOB_EV_STOP] = h_cancel,
                     [JOB_EV_RETRY] = h_retry},
    [JOB_STOPPING] = {[JOB_EV_START] = h_defer_start, [JOB_EV_STOP] = h_cancel_start,
                      [JOB_EV_EXIT] = h_stopped},
    [JOB_EXITED] = {[JOB_EV_START] = h_start},
    [JOB_FATAL] = {[JOB_EV_START] = h_start},
};

static void run_cell(struct job *job, enum job_event event)
{
    handler_fn *h = table[job->state][event];

    if (h)
        h(job);
}

/* --- jobs -------------------------------------------------------------------------------- */

static void step_stop_all(struct supervisor *s);

void sup_job_free(struct job *job)
{
    if (!job)
        return;
    disarm(job);
    if (job->sup->ops->forget)
        job->sup->ops->forget(job, job->sup->userdata);
    sup_ref_put(job->ref);
    sup_ref_put(job->next_ref);
    free(job->name);
    free(job);
}

/* Frees the removed jobs whose tree is gone. */
void sup_reap_leaving(struct supervisor *s)
{
    size_t w = 0;

    for (size_t i = 0; i < s->jobs_len; i++) {
        struct job *job = s->jobs[i];
        if (job->leaving && supervisor_settled(job))
            sup_job_free(job);
        else
            s->jobs[w++] = job;
    }
    s->jobs_len = w;
}

bool supervisor_dispatch(struct job *job, enum job_event event)
{
    struct supervisor *s = job->sup;
    enum job_state old = job->state;
    handler_fn *h = table[old][event];

    if (!h)
        return false;
    h(job);
    if (s->ops->changed)
        s->ops->changed(job, old, s->userdata);
    step_stop_all(s);
    sup_step_start(s);
    return true;
}

static void on_start_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    supervisor_dispatch(w->data, JOB_EV_STARTED);
}

static void on_retry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    supervisor_dispatch(w->data, JOB_EV_RETRY);
}

struct job *sup_job_new(struct supervisor *s, const struct config_job *spec,
                           struct config_ref *ref)
{
    struct job *job = calloc(1, sizeof(*job));

    if (!job)
        return NULL;
    job->name = strdup(spec->name);
    if (!job->name) {
        free(job);
        return NULL;
    }
    job->sup = s;
    job->spec = spec;
    job->ref = sup_ref_get(ref);
    job->state = JOB_STOPPED;
    ev_timer_init(&job->start_timer, on_start_timer, 0, 0);
    ev_timer_init(&job->retry_timer, on_retry_timer, 0, 0);
    job->start_timer.data = job->retry_timer.data = job;
    return job;
}

void supervisor_run_exited(struct job *job, const struct job_exit *e)
{
    struct supervisor *s = job->sup;

    job->exit = *e;
    job->has_run = false;
    job->launching = false;
    job->pid = job->pgid = job->engine_pid = job->guard_pid = 0;
    job->pid_start = job->engine_start = job->guard_start = 0;
    supervisor_dispatch(job, JOB_EV_EXIT);
    sup_reap_leaving(s);
    step_stop_all(s);
    sup_step_start(s);
}

void supervisor_run_started(struct job *job)
{
    struct supervisor *s = job->sup;

    if (!job->launching)
        return;
    job->launching = false;
    say(job, "started (pid %d)", (int) job->pid);
    if (s->ops->changed)
        s->ops->changed(job, job->state, s->userdata);
    if (job->state == JOB_STARTING)
        count_startsecs(job);
    sup_step_start(s);
}

/* --- starts by priority level -------------------------------------------------------------
 *
 * A start returns as soon as the run's helper is spawned (runner.c): the jobs of one level
 * start at once, and the next level's once every job of the lower levels has been reported
 * started or has failed, so that a level's commands run before the next level's are spawned,
 * as when starts were one after the other. */

static bool can_start(const struct job *job)
{
    return table[job->state][JOB_EV_START] != NULL;
}

/* The levels of starts and stops: the group's priority, then the job's own. */
static int level_compare(const struct job *a, const struct job *b)
{
    if (a->spec->group_priority != b->spec->group_priority)
        return a->spec->group_priority < b->spec->group_priority ? -1 : 1;
    if (a->spec->priority != b->spec->priority)
        return a->spec->priority < b->spec->priority ? -1 : 1;
    return 0;
}

void sup_step_start(struct supervisor *s)
{
    const struct job *low = NULL; /* a queued job of the lowest level */

    if (s->queueing)
        return;
    for (size_t i = 0; i < s->jobs_len; i++) {
        struct job *job = s->jobs[i];
        if (job->start_queued && (s->shutting_down || job->leaving || !can_start(job)))
            job->start_queued = false; /* stopped, removed or started meanwhile */
        if (job->start_queued && (!low || level_compare(job, low) < 0))
            low = job;
    }
    if (!low)
        return;
    for (size_t i = 0; i < s->jobs_len; i++)
        if (s->jobs[i]->launching && level_compare(s->jobs[i], low) < 0)
            return; /* a lower level is still starting */
    s->queueing = true;
    /* A start does not free jobs: low stays valid. */
    for (size_t i = 0; i < s->jobs_len; i++) {
        struct job *job = s->jobs[i];
        if (!job->start_queued || level_compare(job, low) != 0)
            continue;
        job->start_queued = false;
        supervisor_dispatch(job, JOB_EV_START);
    }
    s->queueing = false;
    /* Jobs that failed at once leave nothing launching: the next level may go now. */
    sup_step_start(s);
}

/* --- the supervisor ---------------------------------------------------------------------- */

struct supervisor *supervisor_new(struct ev_loop *loop, const struct supervisor_ops *ops,
                                  void *userdata)
{
    struct supervisor *s = calloc(1, sizeof(*s));

    if (s)
        *s = (struct supervisor){.loop = loop, .ops = ops, .userdata = userdata};
    return s;
}

void supervisor_free(struct supervisor *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->jobs_len; i++)
        sup_job_free(s->jobs[i]);
    free(s->jobs);
    sup_ref_put(s->current);
    free(s);
}

size_t supervisor_count(const struct supervisor *s)
{
    return s->jobs_len;
}

struct job *supervisor_job(const struct supervisor *s, size_t i)
{
    return i < s->jobs_len ? s->jobs[i] : NULL;
}

struct job *supervisor_find(const struct supervisor *s, const char *name)
{
    /* A current job first: a leaving job of the same name is the one being replaced. */
    for (size_t i = 0; i < s->jobs_len; i++)
        if (!s->jobs[i]->leaving && strcmp(s->jobs[i]->name, name) == 0)
            return s->jobs[i];
    for (size_t i = 0; i < s->jobs_len; i++)
        if (strcmp(s->jobs[i]->name, name) == 0)
            return s->jobs[i];
    return NULL;
}

const struct config_job *supervisor_target_spec(const struct job *job)
{
    return job->next_spec ? job->next_spec : job->spec;
}

int supervisor_start(struct job *job)
{
    if (job->sup->shutting_down)
        return -ESHUTDOWN;
    if (job->leaving)
        return -ENOENT;
    if (!can_start(job))
        return job->start_queued ? 0 : -EALREADY;
    job->start_queued = true;
    sup_step_start(job->sup);
    return 0;
}

int supervisor_stop(struct job *job)
{
    return supervisor_dispatch(job, JOB_EV_STOP) ? 0 : -EALREADY;
}

int supervisor_restart(struct job *job)
{
    if (job->sup->shutting_down)
        return -ESHUTDOWN;
    if (job->leaving)
        return -ENOENT;
    (void) supervisor_dispatch(job, JOB_EV_STOP); /* nothing to stop: start it all the same */
    return supervisor_dispatch(job, JOB_EV_START) ? 0 : -EALREADY;
}

int supervisor_signal(struct job *job, int sig, bool tree)
{
    if (!job->has_run)
        return -ESRCH;
    job->sent_signal = sig;
    return job->sup->ops->signal(job, sig, tree, job->sup->userdata);
}

static void step_stop_all(struct supervisor *s)
{
    if (!s->shutting_down || s->stepping)
        return;
    s->stepping = true;
    for (;;) {
        bool sent = false;
        const struct job *top = NULL;
        for (size_t i = 0; i < s->jobs_len; i++) {
            if (supervisor_settled(s->jobs[i]))
                continue;
            if (!top || level_compare(s->jobs[i], top) > 0)
                top = s->jobs[i];
        }
        if (!top) {
            void (*done)(void *) = s->all_stopped;
            s->stepping = false;
            s->all_stopped = NULL;
            if (done)
                done(s->all_stopped_data);
            return;
        }
        /* The highest unsettled priority; lower ones wait until it is gone. */
        for (size_t i = 0; i < s->jobs_len; i++) {
            struct job *job = s->jobs[i];
            if (supervisor_settled(job) || level_compare(job, top) != 0 ||
                job->state == JOB_STOPPING)
                continue;
            sent |= supervisor_dispatch(job, JOB_EV_STOP);
        }
        if (!sent)
            break; /* waiting for trees to go */
    }
    s->stepping = false;
}

void supervisor_stop_all(struct supervisor *s, void (*done)(void *userdata), void *userdata)
{
    s->all_stopped = done;
    s->all_stopped_data = userdata;
    s->shutting_down = true;
    /* Nothing starts from here on: no pending restart, no retry timer left to fire before
     * the job's priority group is reached. */
    for (size_t i = 0; i < s->jobs_len; i++) {
        s->jobs[i]->start_pending = false;
        if (s->jobs[i]->state == JOB_BACKOFF)
            supervisor_dispatch(s->jobs[i], JOB_EV_STOP);
    }
    step_stop_all(s);
}
