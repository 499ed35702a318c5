/* runner.c: one run of a daemon job = one pgsup_start() (runner.h). The supervisor decides
 * when; this file turns a config_job into a pgsup_cmd and the libpgsup result into a
 * job_exit. */
#include "runner.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pgsup.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/pin.h"
#include "core/pidfd.h"
#include "core/proc.h"
#include "core/timer.h"
#include "lib/client.h"
#include "recover.h"

#define SWEEP_LIMIT_S 10.0
/* A run that a stop does not end: after the grace, its helper is looked at every
 * TAKEOVER_CHECK_S and killed as soon as it is seen stopped or traced, and whatever its state
 * once TAKEOVER_LIMIT_S have passed. */
#define TAKEOVER_CHECK_S 1.0
#define TAKEOVER_LIMIT_S 5.0

extern char **environ;

/* Per job, across its runs: the log files stay open (one writer per file, so the rotation
 * size is right even while the previous run's pipe is still being drained). */
struct jobrun {
    struct runner *runner;
    struct job *job;
    pgsup_proc *proc;            /* the current run, NULL between runs */
    struct logfile *out, *err;   /* NULL: not a file */
    char marker[256];
    /* The daemon's own watch on the run's pgsup helper, which the job's tree can stop, trace
     * or kill (it runs as the same user, and is the command's parent): */
    int helper_pidfd;            /* a pidfd of the helper, our child; -1: none */
    ev_timer watchdog;           /* armed by a stop, until the run ends */
    double watchdog_limit;       /* ev_now() at which the run is taken over in any case */
    bool taken_over;             /* this run's supervisor was killed by the watchdog */
};

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents);

int runner_init(struct runner *r, struct ev_loop *loop, struct reaper *reaper, const char *key,
                const char *instance)
{
    *r = (struct runner){.loop = loop, .reaper = reaper, .devnull_fd = -1};
    logger_init(&r->logger, loop);
    r->key = strdup(key);
    r->instance = strdup(instance);
    if (getenv("PGSUP_BIN") && asprintf(&r->pgsup_bin, "PGSUP_BIN=%s", getenv("PGSUP_BIN")) < 0)
        r->pgsup_bin = NULL;
    /* libpgsup starts its helpers from $PGSUP_BIN: this very binary, so that the daemon and
     * its helpers speak the same version of their protocol. /proc/self/exe still works when
     * the file was replaced by an upgrade (libpgsup resolves it to the real path when it can,
     * and the kernel execs the daemon's own image when it cannot). */
    if (setenv("PGSUP_BIN", "/proc/self/exe", 1) < 0)
        log_msg("cannot set PGSUP_BIN: %s; helpers come from the installed pgsup, continuing",
                strerror(errno));
    r->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (!r->key || !r->instance || r->devnull_fd < 0) {
        int err = r->devnull_fd < 0 ? -errno : -ENOMEM;
        runner_free(r);
        return err;
    }
    return 0;
}

void runner_free(struct runner *r)
{
    free(r->key);
    free(r->instance);
    fd_close(&r->devnull_fd);
    free(r->pgsup_bin);
    r->key = r->instance = r->pgsup_bin = NULL;
    logger_free(&r->logger);
}

static struct jobrun *jobrun_of(struct job *job, struct runner *r)
{
    struct jobrun *jr = job->run;

    if (!jr) {
        jr = calloc(1, sizeof(*jr));
        if (!jr)
            return NULL;
        jr->runner = r;
        jr->job = job;
        jr->helper_pidfd = -1;
        ev_timer_init(&jr->watchdog, on_watchdog, 0, 0);
        jr->watchdog.data = jr;
        job->run = jr;
    }
    return jr;
}

/* The run is over (or forgotten): the watch on its supervisor goes with it. */
static void unwatch(struct jobrun *jr)
{
    ev_timer_stop(jr->runner->loop, &jr->watchdog);
    fd_close(&jr->helper_pidfd);
}

void runner_forget(struct job *job, void *userdata)
{
    struct jobrun *jr = job->run;

    (void) userdata;
    if (!jr)
        return;
    unwatch(jr);
    logfile_unref(jr->out);
    logfile_unref(jr->err);
    free(jr);
    job->run = NULL;
}

size_t runner_pipes_open(const struct runner *r)
{
    return r->logger.pipes;
}

const char *runner_marker(const struct job *job)
{
    const struct jobrun *jr = job->run;

    return jr ? jr->marker : "";
}

void runner_reopen_logs(struct job *job)
{
    struct jobrun *jr = job->run;

    if (!jr)
        return;
    struct logfile *files[] = {jr->out, jr->err};

    for (size_t i = 0; i < 2; i++) {
        int r = files[i] ? logfile_reopen(files[i]) : 0;
        if (r < 0)
            log_msg("cannot reopen log '%s' of '%s': %s, continuing", logfile_path(files[i]),
                    job->name, logfile_strerror(r));
    }
}

/* The log of one stream of a job: a file, the daemon's own stdout or stderr (own: AUTO, or
 * /dev/stdout and /dev/stderr), or nothing (NONE). Keeps the open one if the spec still names
 * the same destination. */
static int log_open(struct runner *r, struct logfile **f, const struct config_log *c, int own,
                    const char *job)
{
    int fd_own = c->own_fd ? c->own_fd : own, err;

    if (*f && (c->path && !c->own_fd ? logfile_path(*f) && strcmp(logfile_path(*f), c->path) == 0
                                     : !logfile_path(*f) && !c->discard &&
                                           logfile_own_fd(*f) == fd_own))
        return 0; /* the sizes may differ: the file object keeps the first ones (rare) */
    logfile_unref(*f);
    *f = NULL;
    if (c->discard)
        return 0;
    if (!c->path || c->own_fd)
        return logfile_open_stream(&r->logger, fd_own, f);
    err = logfile_open(c->path, c->maxbytes, c->backups, f);
    if (err < 0)
        log_msg("cannot open log '%s' of '%s': %s", c->path, job, logfile_strerror(err));
    return err;
}

/* The fd a stream of the job writes to: a new pipe into its log (a file, or the daemon's own
 * stream), or /dev/null. *ret_close is set when the fd is ours to close after the spawn. */
static int stream_fd(struct runner *r, struct logfile *f, int *ret_fd, int *ret_close)
{
    int fd, err;

    *ret_close = -1;
    if (!f) {
        *ret_fd = r->devnull_fd;
        return 0;
    }
    err = logpipe_open(&r->logger, f, &fd);
    if (err < 0)
        return err;
    *ret_fd = *ret_close = fd;
    return 0;
}

static bool env_key_is(const char *entry, const char *key, size_t key_len)
{
    return strncmp(entry, key, key_len) == 0 && entry[key_len] == '=';
}

static bool env_overridden(const char *entry, char *const *extra)
{
    const char *eq = strchr(entry, '=');
    size_t len = eq ? (size_t) (eq - entry) : strlen(entry);

    for (char *const *e = extra; e && *e; e++)
        if (env_key_is(*e, entry, len))
            return true;
    return false;
}

/* supervisord's variables, which programs test for (and its childutils read): what the job
 * is called and that a supervisor runs it. */
struct supervisor_env {
    char enabled[32], process[96], group[96];
};

static bool env_supervisor_var(const char *entry)
{
    return env_key_is(entry, "SUPERVISOR_ENABLED", 18) ||
           env_key_is(entry, "SUPERVISOR_PROCESS_NAME", 23) ||
           env_key_is(entry, "SUPERVISOR_GROUP_NAME", 21);
}

/* The daemon's environment, minus what is the daemon's alone (NOTIFY_SOCKET: a job must not
 * announce readiness for us; an inherited PGSUP_JOB or SUPERVISOR_*; the PGSUP_BIN we set for
 * our own helpers, replaced by the one we were given, if any), plus supervisord's
 * SUPERVISOR_ENABLED, SUPERVISOR_PROCESS_NAME and SUPERVISOR_GROUP_NAME, plus environment=
 * (which may replace those, as in supervisord), plus the marker. The strings are borrowed:
 * pgsup_start() copies them. */
static const char **make_envp(const struct config_job *spec, const char *marker,
                              const char *pgsup_bin, struct supervisor_env *sv)
{
    size_t n = 0, extra = 0, i = 0;
    const char **envp;

    while (environ[n])
        n++;
    while (spec->environment && spec->environment[extra])
        extra++;
    envp = calloc(n + extra + 6, sizeof(*envp));
    if (!envp)
        return NULL;
    for (char **e = environ; *e; e++) {
        if (env_key_is(*e, "NOTIFY_SOCKET", 13) || env_key_is(*e, "PGSUP_BIN", 9) ||
            env_key_is(*e, RUNNER_MARKER_VAR, strlen(RUNNER_MARKER_VAR)) ||
            env_supervisor_var(*e) || env_overridden(*e, spec->environment))
            continue;
        envp[i++] = *e;
    }
    if (pgsup_bin && !env_overridden(pgsup_bin, spec->environment))
        envp[i++] = pgsup_bin;
    snprintf(sv->enabled, sizeof(sv->enabled), "SUPERVISOR_ENABLED=1");
    snprintf(sv->process, sizeof(sv->process), "SUPERVISOR_PROCESS_NAME=%s", spec->process);
    snprintf(sv->group, sizeof(sv->group), "SUPERVISOR_GROUP_NAME=%s", spec->group);
    {
        const char *vars[] = {sv->enabled, sv->process, sv->group};
        for (size_t k = 0; k < 3; k++)
            if (!env_overridden(vars[k], spec->environment))
                envp[i++] = vars[k];
    }
    for (size_t k = 0; k < extra; k++)
        if (!env_key_is(spec->environment[k], RUNNER_MARKER_VAR, strlen(RUNNER_MARKER_VAR)))
            envp[i++] = spec->environment[k];
    envp[i++] = marker;
    envp[i] = NULL;
    return envp;
}

/* user=: the engine stays root (so it can kill whatever the job becomes) and the command is
 * started through setpriv(1), which switches ids and execs it: the command keeps its pid. */
static int user_argv(const struct config_job *spec, const char ***ret_argv, char ids[2][32])
{
    struct passwd *pw;
    size_t n = 0, i = 0;
    const char **argv;
    char *end;
    unsigned long uid;

    *ret_argv = NULL;
    if (!spec->user)
        return 0;
    /* A name, or a uid (config.c checked it); a uid without a passwd entry gets the group of
     * the same number and no supplementary groups. */
    uid = strtoul(spec->user, &end, 10);
    pw = *end || end == spec->user ? getpwnam(spec->user) : getpwuid((uid_t) uid);
    if (!pw && (*end || end == spec->user))
        return -ESRCH;
    if (pw)
        uid = pw->pw_uid;
    if (uid == geteuid())
        return 0;
    if (geteuid() != 0)
        return -EPERM;
    while (spec->argv[n])
        n++;
    argv = calloc(n + 8, sizeof(*argv));
    if (!argv)
        return -ENOMEM;
    snprintf(ids[0], 32, "--reuid=%lu", uid);
    snprintf(ids[1], 32, "--regid=%lu", pw ? (unsigned long) pw->pw_gid : uid);
    argv[i++] = "setpriv";
    argv[i++] = ids[0];
    argv[i++] = ids[1];
    argv[i++] = pw ? "--init-groups" : "--clear-groups";
    argv[i++] = "--";
    for (size_t k = 0; k < n; k++)
        argv[i++] = spec->argv[k];
    *ret_argv = argv;
    return 0;
}

/* The run's helper, known at once: our child, the command's parent, and the number of the
 * command's group (one process since issue 12, recorded as both guard and engine). */
static void record_helper(struct job *job, pgsup_proc *p)
{
    struct proc_entry e;

    job->guard_pid = job->engine_pid = job->pgid = client_helper_pid(p);
    if (proc_stat_read(job->guard_pid, &e) == 0)
        job->guard_start = job->engine_start = e.start;
}

/* The helper reported the start: the command's pid. It may be gone already (a quick crash):
 * then only its pid is known. */
static void on_run_started(pgsup_proc *p, void *userdata)
{
    struct job *job = userdata;
    struct proc_entry e;

    job->pid = pgsup_pid(p);
    if (proc_stat_read(job->pid, &e) == 0)
        job->pid_start = e.start;
    supervisor_run_started(job);
}

static void on_lost_note(const struct proc_entry *e, const char *why, void *userdata)
{
    const struct job *job = userdata;

    log_msg("'%s': killed process %d left by its dead supervisor (%s)", job->name, (int) e->pid,
            why);
}

/* The run's pgsup helper died without reporting (libpgsup killed its group and what carried
 * the run's own marker); the tree was re-parented to us as subreaper. Sweep again by the
 * job's marker, record and group, which also find a process that changed its environment
 * but keeps a marked parent. */
static void sweep_lost_run(struct job *job, pid_t guard, pid_t engine, pid_t pgid)
{
    struct state_run run = {.name = job->name, .run = job->run_id, .pgid = pgid,
                            .guard = {guard, job->guard_start},
                            .engine = {engine, job->engine_start},
                            .leader = {job->pid, job->pid_start}};
    struct state st = {.runs = &run, .runs_len = 1};
    struct recover_spec spec = {.marker = runner_marker(job), .exact = true, .state = &st};
    int r = recover_kill(&spec, SWEEP_LIMIT_S, on_lost_note, job);

    if (r < 0)
        log_msg("'%s': cannot sweep what its dead supervisor left: %s, continuing", job->name,
                strerror(-r));
}

/* --- the watchdog: a helper that its own tree stopped or traced ---------------------------
 *
 * The helper is the command's parent and runs as the same user (root, or the daemon's user):
 * a job can `kill -STOP $PPID` or attach a tracer to it. The helper then never acts on the
 * stop, and the run would never end: ctl stop and the daemon's shutdown would wait forever. So
 * once the grace of a stop has passed, the daemon looks at the helper itself, and kills it when
 * it finds it stopped or traced, or when TAKEOVER_LIMIT_S more have passed in any case. The run
 * then ends as a lost one: libpgsup kills the group and the run's marked processes, and the
 * daemon, as subreaper, sweeps by marker, record and group (sweep_lost_run). */

/* Stopped or traced: it will not act on anything until someone continues it. */
static bool halted(pid_t pid, unsigned long long start)
{
    struct proc_entry e;

    return pid > 0 && proc_stat_read(pid, &e) == 0 && e.start == start &&
           (e.state == 'T' || e.state == 't');
}

static void take_over(struct jobrun *jr, const char *why)
{
    struct job *job = jr->job;

    log_msg("'%s': its pgsup supervisor (pid %d) %s; killing it, the daemon sweeps the tree",
            job->name, (int) job->engine_pid, why);
    jr->taken_over = true;
    /* Our unreaped child while the run lasts (libpgsup reaps it): its pidfd or pid is surely
     * it. */
    (void) pidfd_kill(jr->helper_pidfd, job->engine_pid, SIGKILL);
    ev_timer_stop(jr->runner->loop, &jr->watchdog);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct jobrun *jr = w->data;
    struct job *job = jr->job;
    double left = jr->watchdog_limit - ev_now(loop);

    (void) revents;
    if (!jr->proc)
        return;
    if (halted(job->engine_pid, job->engine_start))
        take_over(jr, "is stopped or traced");
    else if (left <= 0)
        take_over(jr, "did not end the run in time");
    else {
        ev_timer_set(w, left < TAKEOVER_CHECK_S ? left : TAKEOVER_CHECK_S, 0);
        ev_timer_start(loop, w);
    }
}

/* Starts the watchdog after_s from now, unless it is due sooner already. */
static void arm_watchdog(struct jobrun *jr, double after_s)
{
    struct ev_loop *loop = jr->runner->loop;
    double at = ev_now(loop) + after_s;

    if (!jr->proc || jr->taken_over ||
        (ev_is_active(&jr->watchdog) && jr->watchdog_limit - TAKEOVER_LIMIT_S <= at))
        return;
    jr->watchdog_limit = at + TAKEOVER_LIMIT_S;
    ev_timer_stop(loop, &jr->watchdog);
    ev_timer_set(&jr->watchdog, after_s, 0);
    ev_timer_start(loop, &jr->watchdog);
}

/* "cannot start: No such file or directory" does not say what is missing: the command, its
 * #! interpreter, or directory=, which libpgsup tells apart (-PGSUP_ECWD) without saying why.
 * The reason for people goes to job->spawn_why. */
static void spawn_why(struct job *job, const struct config_job *spec, const char *argv0, int err)
{
    size_t n = sizeof(job->spawn_why);
    struct stat st;
    char *path = NULL;

    if (err == -PGSUP_ECWD) {
        const char *why = stat(spec->directory, &st) < 0 ? strerror(errno)
                          : !S_ISDIR(st.st_mode)         ? "not a directory"
                                                         : "cannot be entered (permission denied)";
        snprintf(job->spawn_why, n, "directory '%s' (directory=): %s", spec->directory, why);
        return;
    }
    if (err != -ENOENT && err != -EACCES && err != -ENOEXEC)
        return;
    if (!strchr(argv0, '/')) {
        if (err == -ENOENT)
            snprintf(job->spawn_why, n, "command '%s' not found in PATH", argv0);
        else
            snprintf(job->spawn_why, n, "command '%s' (found in PATH): %s", argv0,
                     strerror(-err));
        return;
    }
    /* A relative path is the job's, from its directory. */
    if (argv0[0] != '/' && spec->directory && asprintf(&path, "%s/%s", spec->directory, argv0) < 0)
        path = NULL;
    if (err == -ENOENT && stat(path ? path : argv0, &st) == 0)
        snprintf(job->spawn_why, n, "command '%s': its interpreter (the #! line) was not found",
                 argv0);
    else
        snprintf(job->spawn_why, n, "command '%s': %s", argv0, strerror(-err));
    free(path);
}

static void on_run_exit(pgsup_proc *p, pgsup_result *res, void *userdata)
{
    struct job *job = userdata;
    struct jobrun *jr = job->run;
    struct job_exit e = {
        .exit_code = res->exit_code,
        .term_signal = res->term_signal,
        .timed_out = res->timed_out,
        .killed = res->killed,
        .up_s = timer_now() - job->started_mono,
    };

    /* No result from the supervisor: it died (pgsup.h, pgsup_result.error); another error:
     * the command could not start (its exec failed), reported on the loop since issue 12. */
    e.lost = res->error == -PGSUP_EHELPER;
    if (res->error < 0 && !e.lost) {
        e.spawn_error = res->error;
        /* With user=, setpriv is what pgsup ran: the command's own failures are setpriv's. */
        spawn_why(job, job->spec, job->spec->user ? "setpriv" : job->spec->argv[0], res->error);
    }
    e.taken_over = jr->taken_over;
    reaper_disown(jr->runner->reaper, client_helper_pid(p));
    jr->proc = NULL;
    unwatch(jr);
    if (e.lost)
        sweep_lost_run(job, client_helper_pid(p), job->engine_pid, job->pgid);
    (void) reaper_reap(jr->runner->reaper); /* what the sweep killed may be ours to reap */
    supervisor_run_exited(job, &e);
}

int runner_start(struct job *job, void *userdata)
{
    struct runner *r = userdata;
    const struct config_job *spec = job->spec;
    struct jobrun *jr = jobrun_of(job, r);
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    const char **envp = NULL, **argv = NULL;
    struct supervisor_env sv;
    char ids[2][32];
    int out_close = -1, err_close = -1, old_umask = -1, err;
    pgsup_proc *p;

    if (!jr)
        return -ENOMEM;
    snprintf(job->run_id, sizeof(job->run_id), "%s.%llu", r->instance, ++r->runs);
    snprintf(jr->marker, sizeof(jr->marker), "%s=%s/%s/%s", RUNNER_MARKER_VAR, r->key,
             job->name, job->run_id);
    err = user_argv(spec, &argv, ids);
    if (err < 0)
        goto out;
    err = log_open(r, &jr->out, &spec->out, STDOUT_FILENO, job->name);
    if (err < 0 && spec->out.path)
        snprintf(job->spawn_why, sizeof(job->spawn_why), "log '%s': %s", spec->out.path,
                 logfile_strerror(err));
    if (err == 0 && !spec->redirect_stderr) {
        err = log_open(r, &jr->err, &spec->err, STDERR_FILENO, job->name);
        if (err < 0 && spec->err.path)
            snprintf(job->spawn_why, sizeof(job->spawn_why), "log '%s': %s", spec->err.path,
                     logfile_strerror(err));
    }
    if (err < 0)
        goto out;
    envp = make_envp(spec, jr->marker, r->pgsup_bin, &sv);
    if (!envp) {
        err = -ENOMEM;
        goto out;
    }
    err = stream_fd(r, jr->out, &cmd.stdout_fd, &out_close);
    if (err == 0 && spec->redirect_stderr)
        cmd.stderr_fd = cmd.stdout_fd;
    else if (err == 0)
        err = stream_fd(r, jr->err, &cmd.stderr_fd, &err_close);
    if (err < 0)
        goto out;
    cmd.argv = argv ? argv : (const char *const *) spec->argv;
    cmd.envp = envp;
    cmd.cwd = spec->directory;
    cmd.stdin_fd = r->devnull_fd;
    cmd.timeout_s = spec->timeout;
    cmd.signal = spec->stopsignal;
    /* The grace after a timeout= deadline; 0 means KILL at once here as in libpgsup. */
    cmd.kill_after_s = spec->stopwaitsecs;
    /* The umask passes to the command through both posix_spawns; we are single-threaded. */
    if (spec->umask >= 0)
        old_umask = (int) umask((mode_t) spec->umask);
    /* Returns once the helper is spawned: the command's start is reported later (started
     * hook), its failure through on_run_exit, so that a whole priority level starts at once. */
    err = pgsup_start(r->loop, &cmd, on_run_exit, job, &p);
    if (old_umask >= 0)
        (void) umask((mode_t) old_umask);
    if (err < 0) {
        spawn_why(job, spec, argv ? argv[0] : spec->argv[0], err);
        goto out;
    }
    client_set_started(p, on_run_started);
    jr->proc = p;
    jr->taken_over = false;
    job->started_mono = timer_now();
    job->started_wall = (double) time(NULL);
    record_helper(job, p);
    /* pidfd_open: Linux 5.3+; ENOSYS → the watchdog kills by pid (our unreaped child). */
    jr->helper_pidfd = pidfd_get(job->engine_pid);
    if (jr->helper_pidfd < 0)
        jr->helper_pidfd = -1;
    if (reaper_own(r->reaper, job->guard_pid) < 0)
        log_msg("'%s': out of memory tracking pid %d, continuing", job->name,
                (int) job->guard_pid);
out:
    /* The job has its copies (or failed): ours close, so end of file means the tree is gone. */
    fd_close(&out_close);
    fd_close(&err_close);
    free(envp);
    free(argv);
    return err;
}

int runner_terminate(struct job *job, int sig, double grace_s, void *userdata)
{
    struct jobrun *jr = job->run;

    (void) sig; /* the run was started with it as cmd.signal */
    (void) userdata;
    if (!jr || !jr->proc)
        return -ESRCH;
    /* Whatever the supervisor does with the request (or cannot do, stopped), the run ends
     * within the grace and TAKEOVER_LIMIT_S. */
    arm_watchdog(jr, grace_s + TAKEOVER_CHECK_S);
    return pgsup_terminate(jr->proc, grace_s);
}

int runner_signal(struct job *job, int sig, bool tree, void *userdata)
{
    struct jobrun *jr = job->run;
    struct pin p = PIN_INIT;
    int r;

    (void) userdata;
    if (!jr || !jr->proc)
        return -ESRCH;
    if (tree)
        return pgsup_signal(jr->proc, sig);
    /* The command alone, as supervisorctl signals it (gunicorn's and nginx's masters reload
     * their workers on HUP, USR2; a worker without a handler would die of it). Pinned, then
     * proven to be the command that was started: the start time recorded at the start, and
     * its parent, the run's engine (or its group, numbered by the engine, if it was
     * re-parented). Gone, or never seen (it exited at once): not running. */
    if (job->pid <= 0 || job->pid_start == 0)
        return -ESRCH;
    r = pin_open(job->pid, &p);
    if (r == 0 && (p.e.start != job->pid_start ||
                   (p.e.ppid != job->engine_pid && p.e.pgid != job->pgid) ||
                   !proc_entry_alive(&p.e)))
        r = -ESRCH;
    if (r == 0)
        r = pin_kill(&p, sig);
    pin_close(&p);
    return r;
}

int runner_log_tail(struct job *job, bool err, const char *from, size_t max,
                    struct logtail *ret)
{
    const struct jobrun *jr = job->run;
    const struct config_log *c = err ? &job->spec->err : &job->spec->out;

    if (c->path && !c->discard && !c->own_fd)
        return logtail_read_file(c->path, from, max, ret);
    return logtail_read_ring(jr ? logfile_ring(err ? jr->err : jr->out) : NULL, from, max, ret);
}

int runner_log_clear(struct job *job)
{
    struct jobrun *jr = job->run;
    const struct config_job *spec = job->spec;
    struct logfile *files[] = {jr ? jr->out : NULL, jr ? jr->err : NULL};
    const struct config_log *logs[] = {&spec->out, spec->redirect_stderr ? NULL : &spec->err};
    int r = 0;

    for (size_t i = 0; i < 2; i++) {
        int e = 0;
        if (files[i])
            e = logfile_clear(files[i]);
        else if (logs[i] && logs[i]->path && !logs[i]->discard && !logs[i]->own_fd)
            e = logfile_clear_path(logs[i]->path);
        if (e < 0 && r == 0)
            r = e;
    }
    return r;
}
