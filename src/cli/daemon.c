/* daemon.c: `pgsup daemon [-c FILE]`, the supervisor of a config file of jobs, in the
 * foreground. This file wires the modules together and owns what is process-wide: signals
 * (signalfd), the lock, crash recovery at start, the state file, sd_notify, reloads, the exit.
 * The jobs' life cycle is supervisor.c's, the runs runner.c's, the socket control.c's.
 *
 * Children and SIGCHLD: the daemon is a child subreaper (or PID 1), so orphans may come to it.
 * Its own children are the pgsup supervisors of its runs, which libpgsup reaps itself through
 * their pidfds; every other child is an adopted orphan, reaped by reaper.c on SIGCHLD with
 * waitid(P_PID) one by one. Nothing here ever calls waitpid(-1) while a run is alive, so no
 * supervisor's exit status is taken from libpgsup. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/guard.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/procns.h"
#include "core/signals.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/notify.h"
#include "daemon/reaper.h"
#include "daemon/recover.h"
#include "daemon/runner.h"
#include "daemon/rundir.h"
#include "daemon/state.h"
#include "daemon/supervisor.h"
#include "daemon/trust.h"
#include "daemon/update.h"
#include "cli.h"

#define RECOVER_LIMIT_S 30.0
#define DRAIN_LIMIT_S 5.0
#define FDS_PER_JOB 6 /* log pipes, control socket, two pidfds of the helper, and some slack */

struct daemon {
    const char *config_path;
    struct ev_loop *loop;
    int signal_fd;
    ev_io signal_io;
    ev_prepare state_prepare;
    ev_timer drain_timer;
    struct supervisor *sup;
    struct supervisor_ops ops;
    struct control *control;
    struct runner runner;
    struct reaper reaper;
    char *state_path;         /* fixed for the daemon's life, like the socket */
    char *socket_path;
    char key[32], instance[32];
    int lock_fd;
    bool state_dirty;
    bool stopping;
    bool draining;
};

static const char usage[] =
    "Usage: pgsup daemon [--check] [-c FILE]\n"
    "Supervise the jobs of a config file, in the foreground, until SIGTERM or SIGINT.\n"
    "\n"
    "  -c, --config=FILE  the config file (default " "/etc/pgsup.conf" ")\n"
    "      --check        read and check the config file (includes, users, log and socket\n"
    "                     directories), print its errors and warnings, or its jobs; start\n"
    "                     nothing; exit 0 if the daemon would take it, else 1\n"
    "  -h, --help         show this help\n"
    "\n"
    "SIGHUP reloads the config file; SIGUSR2 reopens the log files. Control it with pgsup ctl.\n";

/* --- messages ---------------------------------------------------------------------------- */

static void format_diag(const struct config_diag *d, char *buf, size_t len)
{
    char line[24] = "";

    if (d->line)
        snprintf(line, sizeof(line), ":%u", d->line);
    snprintf(buf, len, "%s%s: %s%s%s%s%s%s", d->file ? d->file : "?", line,
             d->section ? "[" : "", d->section ? d->section : "", d->section ? "] " : "",
             d->key ? d->key : "", d->key ? ": " : "", d->message ? d->message : "");
}

struct warn_ctx {
    struct control_conn *conn;
};

static void on_config_warning(const struct config_diag *diag, void *userdata)
{
    struct warn_ctx *w = userdata;
    char text[1024];

    format_diag(diag, text, sizeof(text));
    log_msg("warning: %s", text);
    if (w && w->conn)
        control_reply(w->conn, "warning: %s", text);
}

static int load(const char *path, struct warn_ctx *w, struct config **ret, char *err, size_t len)
{
    struct config_diag diag = {0};
    int r = config_load(path, on_config_warning, w, ret, &diag);

    if (r < 0) {
        if (diag.message)
            format_diag(&diag, err, len);
        else
            snprintf(err, len, "%s: %s", path, strerror(-r));
    }
    return r;
}

/* --- the state file ---------------------------------------------------------------------- */

static void state_save(struct daemon *d)
{
    struct state st = {.key = d->key, .instance = d->instance};
    struct proc_entry self;
    int r = 0;

    d->state_dirty = false;
    ev_prepare_stop(d->loop, &d->state_prepare);
    if (proc_stat_read(getpid(), &self) == 0)
        st.daemon = (struct state_proc){.pid = self.pid, .start = self.start};
    for (size_t i = 0; r == 0 && i < supervisor_count(d->sup); i++) {
        const struct job *job = supervisor_job(d->sup, i);
        if (!job->has_run)
            continue;
        r = state_add_run(&st, &(struct state_run){
                                   .name = job->name, .run = (char *) job->run_id,
                                   .guard = {job->guard_pid, job->guard_start},
                                   .engine = {job->engine_pid, job->engine_start},
                                   .leader = {job->pid, job->pid_start}, .pgid = job->pgid});
    }
    if (r == 0)
        r = state_write(d->state_path, &st);
    if (r < 0)
        log_msg("cannot write the state file '%s': %s, continuing", d->state_path,
                strerror(-r));
    st.key = st.instance = NULL; /* ours, not the state's */
    state_free(&st);
}

/* Written once per loop iteration at most, before the loop sleeps: a burst of 200 starts
 * makes one write. */
static void on_state_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void) loop;
    (void) revents;
    state_save(w->data);
}

static void state_touch(struct daemon *d)
{
    if (d->state_dirty)
        return;
    d->state_dirty = true;
    ev_prepare_start(d->loop, &d->state_prepare);
}

/* --- supervisor callbacks ---------------------------------------------------------------- */

static void on_job_changed(struct job *job, enum job_state old, void *userdata)
{
    struct daemon *d = userdata;

    (void) job;
    (void) old;
    state_touch(d);
    control_job_changed(d->control);
}

static void on_job_say(const struct job *job, const char *text, void *userdata)
{
    (void) userdata;
    log_msg("'%s' %s", job->name, text);
}

static int op_start(struct job *job, void *userdata)
{
    return runner_start(job, &((struct daemon *) userdata)->runner);
}

static int op_terminate(struct job *job, int sig, double grace_s, void *userdata)
{
    return runner_terminate(job, sig, grace_s, &((struct daemon *) userdata)->runner);
}

static int op_signal(struct job *job, int sig, bool tree, void *userdata)
{
    return runner_signal(job, sig, tree, &((struct daemon *) userdata)->runner);
}

static void op_forget(struct job *job, void *userdata)
{
    runner_forget(job, &((struct daemon *) userdata)->runner);
}

static void raise_fd_limit(size_t jobs);

/* --- reload, stop ------------------------------------------------------------------------ */

static void reload(struct daemon *d, struct control_conn *conn)
{
    struct warn_ctx w = {.conn = conn};
    struct supervisor_diff diff;
    struct config *c;
    char err[2048];
    int r;

    if (d->stopping) {
        log_msg("reload: the daemon is shutting down, ignored");
        if (conn)
            control_reply(conn, "error: reload: the daemon is shutting down");
        return;
    }
    (void) notify_send("RELOADING=1"); /* not under systemd: nothing to tell */
    r = load(d->config_path, &w, &c, err, sizeof(err));
    if (r < 0) {
        log_msg("reload: %s; keeping the running config", err);
        if (conn)
            control_reply(conn, "error: %s; keeping the running config", err);
        (void) notify_send("READY=1");
        return;
    }
    raise_fd_limit(c->jobs_len);
    if (strcmp(c->socket_path, d->socket_path) != 0 || strcmp(c->state_path, d->state_path) != 0)
        on_config_warning(&(struct config_diag){.file = c->path, .section = "pgsup",
                                                .message = "socket= and state= changes take "
                                                           "effect at the next start"},
                          &w);
    r = supervisor_apply(d->sup, c, NULL, &diff);
    if (r < 0) {
        log_msg("reload: %s; keeping the running config", strerror(-r));
        if (conn)
            control_reply(conn, "error: reload: %s; keeping the running config", strerror(-r));
    } else {
        log_msg("reloaded '%s': %zu added, %zu removed, %zu changed, %zu unchanged",
                d->config_path, diff.added, diff.removed, diff.changed, diff.unchanged);
        if (conn)
            control_reply(conn, "reloaded: %zu added, %zu removed, %zu changed, %zu unchanged",
                          diff.added, diff.removed, diff.changed, diff.unchanged);
    }
    state_touch(d);
    (void) notify_send("READY=1");
}

/* The requests that read the config file again: reload applies all of it at once (and tells
 * systemd); the others are supervisorctl's, per group (update.c). */
static void on_control_config(struct control_conn *conn, const struct request *req,
                              void *userdata)
{
    struct daemon *d = userdata;
    struct warn_ctx w = {.conn = conn};
    struct config *c;
    char err[2048];

    if (req->verb == REQUEST_RELOAD) {
        reload(d, conn);
        return;
    }
    if (d->stopping) {
        control_reply(conn, "error: %s: the daemon is shutting down", request_verb_name(req->verb));
        return;
    }
    if (load(d->config_path, &w, &c, err, sizeof(err)) < 0) {
        control_reply(conn, "error: %s", err);
        return;
    }
    switch (req->verb) {
    case REQUEST_AVAIL:
        update_avail(conn, d->sup, c);
        config_free(c);
        break;
    case REQUEST_REREAD:
        update_reread(conn, d->sup, c);
        config_free(c);
        break;
    default: /* update, add */
        raise_fd_limit(c->jobs_len);
        update_apply(conn, d->sup, c, req->names, req->names_len, req->verb == REQUEST_ADD);
        state_touch(d);
        break;
    }
}

static void on_drain_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) w;
    (void) revents;
    ev_break(loop, EVBREAK_ALL);
}

/* Every job is stopped: let the last output reach the log files and the last replies reach
 * ctl, then leave the loop. */
static void on_all_stopped(void *userdata)
{
    struct daemon *d = userdata;

    log_msg("every job is stopped");
    d->draining = true;
    ev_timer_init(&d->drain_timer, on_drain_timer, DRAIN_LIMIT_S, 0);
    ev_timer_start(d->loop, &d->drain_timer);
}

static void shut_down(struct daemon *d, int sig)
{
    if (d->stopping) {
        log_msg("signal %d: already stopping every job", sig);
        return;
    }
    d->stopping = true;
    (void) notify_send("STOPPING=1");
    log_msg("signal %d: stopping every job", sig);
    supervisor_stop_all(d->sup, on_all_stopped, d);
}

static void on_signal(struct ev_loop *loop, ev_io *w, int revents)
{
    struct daemon *d = w->data;
    struct signalfd_siginfo si;

    (void) loop;
    (void) revents;
    while (signals_read(d->signal_fd, &si) == 1) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            (void) reaper_reap(&d->reaper); /* adopted orphans only; see the top */
            break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            shut_down(d, (int) si.ssi_signo);
            break;
        case SIGHUP:
            reload(d, NULL);
            break;
        case SIGUSR2:
            for (size_t i = 0; i < supervisor_count(d->sup); i++)
                runner_reopen_logs(supervisor_job(d->sup, i));
            break;
        default:
            break; /* SIGPIPE: the write that caused it reports EPIPE */
        }
    }
}

/* --- start ------------------------------------------------------------------------------- */

/* The marker key: the same for every start of a daemon with this state file, different for
 * another, so that two daemons on one machine never take each other's trees for leftovers. */
static void make_key(const char *state_path, char key[32])
{
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a, 64 bits */

    for (const unsigned char *p = (const unsigned char *) state_path; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    snprintf(key, 32, "%016llx", h);
}

static void make_instance(char instance[32])
{
    unsigned long long r = 0;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r))
        r = (unsigned long long) getpid() * 2654435761ULL ^ (unsigned long long) time(NULL);
    snprintf(instance, 32, "%016llx", r);
}

/* Each job holds a few fds (log pipes, the control socket and pidfd of its supervisor): raise
 * the soft limit when the jobs need it, and only then (jobs inherit it, and some programs
 * still use select(), which stops at 1024). */
static void raise_fd_limit(size_t jobs)
{
    struct rlimit rl;
    rlim_t need = (rlim_t) jobs * FDS_PER_JOB + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need)
        log_msg("%zu jobs may need %lu open files, the limit is %lu, continuing", jobs,
                (unsigned long) need, (unsigned long) rl.rlim_cur);
}

/* The directories of the socket and the state file (and so of the lock) are private, or
 * root's and ours alone: nobody else can pre-create, replace or hold a file there. */
static int check_dirs(struct daemon *d)
{
    const char *paths[] = {d->socket_path, d->state_path};
    char why[PATH_MAX + 256];

    for (size_t i = 0; i < 2; i++) {
        int r = rundir_prepare(paths[i], true, why, sizeof(why));
        if (r < 0) {
            log_msg("cannot keep the %s '%s' there: %s", i == 0 ? "control socket" : "state file",
                    paths[i], why);
            return r;
        }
    }
    return 0;
}

static int take_lock(struct daemon *d)
{
    char *path, why[TRUST_WHY_MAX];
    int r;

    if (asprintf(&path, "%s.lock", d->state_path) < 0)
        return -ENOMEM;
    r = trust_open(path, O_RDWR | O_CREAT, 0600, why);
    if (r >= 0) {
        d->lock_fd = r;
        r = flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
        if (r < 0)
            snprintf(why, sizeof(why), "%s", strerror(-r));
    }
    if (r == -EWOULDBLOCK)
        log_msg("another pgsup daemon uses the state file '%s' (locked: '%s')", d->state_path,
                path);
    else if (r < 0)
        log_msg("cannot lock '%s': it %s", path, why);
    free(path);
    return r;
}

static void on_recovered(const struct proc_entry *e, const char *why, void *userdata)
{
    (void) userdata;
    log_msg("recovery: killed process %d left by an earlier daemon (found by %s)", (int) e->pid,
            why);
}

/* Whatever an earlier daemon with this state file left running is killed before anything
 * starts: never two trees of one job. */
static int recover(struct daemon *d)
{
    struct state old = {0};
    char marker[64], why[TRUST_WHY_MAX];
    int r = state_read(d->state_path, &old, why), killed;

    if (r < 0 && r != -ENOENT)
        log_msg("not reading the state file '%s': it %s; looking for leftovers by marker only, "
                "continuing", d->state_path, why);
    if (r == 0 && old.key && strcmp(old.key, d->key) != 0)
        log_msg("the state file '%s' is another daemon's (key %s), ignoring its records, "
                "continuing", d->state_path, old.key);
    snprintf(marker, sizeof(marker), "%s=%s/", RUNNER_MARKER_VAR, d->key);
    killed = recover_kill(&(struct recover_spec){.marker = marker,
                                                 .state = r == 0 && old.key &&
                                                                  strcmp(old.key, d->key) == 0
                                                              ? &old
                                                              : NULL},
                          RECOVER_LIMIT_S, on_recovered, d);
    state_free(&old);
    (void) reaper_reap(&d->reaper); /* as PID 1, some of them were ours */
    if (killed == -ETIMEDOUT) {
        log_msg("recovery: processes of an earlier daemon are still alive after %.0f s; "
                "not starting anything (it would run jobs twice)", RECOVER_LIMIT_S);
        return killed;
    }
    if (killed < 0) {
        log_msg("recovery: cannot look for leftovers: %s", strerror(-killed));
        return killed;
    }
    if (killed > 0)
        log_msg("recovery: killed %d process%s left by an earlier daemon", killed,
                killed == 1 ? "" : "es");
    return 0;
}

/* After the last job: orphans adopted meanwhile (as subreaper or PID 1) are descendants of
 * jobs whose supervisors were killed, or, as PID 1, strays of the container; none outlives
 * the daemon. No run is alive now, so reaping everything is safe. */
/* --check: what the daemon would refuse at its start, without starting or creating
 * anything: the file (with what it includes), then the directories of the socket and the
 * state file. The private directory under /tmp may be missing: the daemon makes it. */
static int check(const char *path)
{
    struct config *c = NULL;
    char err[2048], why[PATH_MAX + 256], *dir = NULL;
    size_t groups = 0;
    int r;

    if (load(path, &(struct warn_ctx){0}, &c, err, sizeof(err)) < 0) {
        log_msg("%s", err);
        return 1;
    }
    if (rundir_default(&dir) < 0) {
        log_msg("out of memory");
        config_free(c);
        return 1;
    }
    for (size_t i = 0; i < 2; i++) {
        const char *file = i == 0 ? c->socket_path : c->state_path;
        const char *slash = strrchr(file, '/');
        r = rundir_prepare(file, false, why, sizeof(why));
        if (r == -ENOENT && slash && strlen(dir) == (size_t) (slash - file) &&
            strncmp(file, dir, strlen(dir)) == 0 && strncmp(dir, "/tmp/", 5) == 0)
            r = 0;
        if (r < 0) {
            log_msg("%s: cannot keep the %s '%s' there: %s", c->path,
                    i == 0 ? "control socket" : "state file", file, why);
            free(dir);
            config_free(c);
            return 1;
        }
    }
    for (size_t i = 0; i < c->jobs_len; i++)
        groups += i == 0 || strcmp(c->jobs[i].group, c->jobs[i - 1].group) != 0;
    printf("%s: ok, %zu job%s in %zu group%s\n", c->path, c->jobs_len,
           c->jobs_len == 1 ? "" : "s", groups, groups == 1 ? "" : "s");
    /* What it would run, in start order, as ctl avail shows it. */
    for (size_t i = 0; i < c->jobs_len; i++)
        printf("%-32s %-9s %d:%d\n", c->jobs[i].name, c->jobs[i].autostart ? "auto" : "manual",
               c->jobs[i].group_priority, c->jobs[i].priority);
    free(dir);
    config_free(c);
    return fflush(stdout) == 0 ? 0 : 1;
}

static void kill_adopted(struct daemon *d)
{
    int n = reaper_count_adopted(&d->reaper);

    if (n <= 0)
        return;
    log_msg("killing %d adopted orphan%s", n, n == 1 ? "" : "s");
    guard_kill_all(0);
}

int cli_daemon(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct daemon d = {.config_path = "/etc/pgsup.conf", .signal_fd = -1, .lock_fd = -1};
    bool check_only = false;
    struct config *config = NULL;
    char err[2048];
    sigset_t set;
    int c, r, status = STATUS_FAILED;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            d.config_path = optarg;
            break;
        case 'C':
            check_only = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            log_msg("daemon: option '%s' needs a value", argv[optind - 1]);
            return STATUS_FAILED;
        default:
            log_msg("daemon: unknown option '%s' (see pgsup daemon --help)", argv[optind - 1]);
            return STATUS_FAILED;
        }
    }
    if (optind < argc) {
        log_msg("daemon: unexpected argument '%s' (see pgsup daemon --help)", argv[optind]);
        return STATUS_FAILED;
    }
    if (check_only)
        return check(d.config_path);
    /* Job output to the daemon's terminal passes through the daemon (logfile.h): with
     * `stty tostop`, a daemon in the background would be stopped by its own write. */
    (void) signal(SIGTTOU, SIG_IGN);
    /* Signals are events from here on; the jobs start with an empty mask (spawn.c). */
    sigemptyset(&set);
    for (const int *s = (const int[]){SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2,
                                      SIGPIPE, 0};
         *s; s++)
        sigaddset(&set, *s);
    (void) sigprocmask(SIG_BLOCK, &set, NULL); /* cannot fail with SIG_BLOCK */
    if (load(d.config_path, NULL, &config, err, sizeof(err)) < 0) {
        log_msg("%s", err);
        return STATUS_FAILED;
    }
    d.state_path = strdup(config->state_path);
    d.socket_path = strdup(config->socket_path);
    d.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    r = d.state_path && d.socket_path && d.loop ? signals_open(&set) : -ENOMEM;
    if (r < 0) {
        log_msg("cannot set up the event loop: %s", strerror(-r));
        goto out;
    }
    d.signal_fd = r;
    /* PID 1 adopts every orphan anyway; elsewhere, become the subreaper of our jobs' trees. */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_msg("cannot become a subreaper: %s, continuing", strerror(errno));
    /* Each job's helper stays in our process group and must be able to name it (supervise.c).
     * Started in a PID namespace by a process outside it that kept its group (unshare --pid
     * --fork), ours is numbered outside (getpgrp() 0): lead one of our own, or every job
     * would need a guard process besides its helper. */
    if (getpgrp() == 0 && setpgid(0, 0) < 0)
        log_msg("cannot make a process group: %s; each job takes two helper processes, "
                "continuing", strerror(errno));
    raise_fd_limit(config->jobs_len);
    if (check_dirs(&d) < 0 || take_lock(&d) < 0)
        goto out;
    make_key(d.state_path, d.key);
    make_instance(d.instance);
    log_msg("daemon %d: %zu job%s from '%s'", (int) getpid(), config->jobs_len,
            config->jobs_len == 1 ? "" : "s", config->path);
    /* Once: every /proc reader then sees nothing (proc.c), so the rest degrades by itself. */
    if (procns_check() < 0)
        log_msg("warning: /proc is not this PID namespace's (mount one, e.g. unshare "
                "--mount-proc): no crash recovery, and processes that leave a job's group "
                "cannot be found, continuing");
    if (recover(&d) < 0)
        goto out;
    d.ops = (struct supervisor_ops){.start = op_start, .terminate = op_terminate,
                                    .signal = op_signal, .changed = on_job_changed,
                                    .forget = op_forget, .say = on_job_say};
    d.sup = supervisor_new(d.loop, &d.ops, &d);
    r = d.sup ? runner_init(&d.runner, d.loop, &d.reaper, d.key, d.instance) : -ENOMEM;
    if (r < 0) {
        log_msg("cannot start: %s", strerror(-r));
        goto out;
    }
    ev_prepare_init(&d.state_prepare, on_state_prepare);
    d.state_prepare.data = &d;
    state_save(&d); /* this daemon's key and instance, no run yet */
    r = control_new(d.loop, d.socket_path, d.sup, on_control_config, &d, &d.control);
    if (r < 0) {
        log_msg("cannot listen on '%s': %s", d.socket_path, strerror(-r));
        goto out;
    }
    ev_io_init(&d.signal_io, on_signal, d.signal_fd, EV_READ);
    d.signal_io.data = &d;
    ev_io_start(d.loop, &d.signal_io);
    log_msg("listening on '%s'", d.socket_path);
    r = supervisor_apply(d.sup, config, NULL, NULL);
    config = NULL; /* the supervisor's now, even on failure */
    if (r < 0) {
        log_msg("cannot start the jobs: %s", strerror(-r));
        goto out;
    }
    (void) notify_send("READY=1"); /* not under systemd: nothing to tell */
    /* Until every job is stopped, then until the pipes are drained and ctl answered (or the
     * drain timer gives up on a pipe some stranger still holds). */
    for (;;) {
        ev_run(d.loop, EVRUN_ONCE);
        if (d.draining && ((!runner_pipes_open(&d.runner) && !control_busy(d.control)) ||
                           !ev_is_active(&d.drain_timer)))
            break;
    }
    ev_timer_stop(d.loop, &d.drain_timer);
    kill_adopted(&d);
    status = 0;
out:
    control_free(d.control);
    if (d.sup)
        state_save(&d);
    if (status == 0)
        (void) unlink(d.state_path); /* a clean stop: nothing to recover */
    supervisor_free(d.sup);
    runner_free(&d.runner);
    reaper_free(&d.reaper);
    config_free(config);
    fd_close(&d.signal_fd);
    fd_close(&d.lock_fd);
    if (d.loop)
        ev_loop_destroy(d.loop);
    free(d.state_path);
    free(d.socket_path);
    return status;
}
