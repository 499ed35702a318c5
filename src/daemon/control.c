/* control.c: the control socket's protocol (control.h): acting on the supervisor for each
 * request and answering. The connections and their limits are clients.c's, the grammar of
 * requests request.c's, names → jobs namespec.c's, the status table and JSON jobstatus.c's,
 * and the requests that read the config file the daemon's (update.c helps it). Requests that
 * take time (stop waits for whole trees to be gone) are answered when the jobs get there:
 * control_job_changed() looks at them on every state change. */
#include "control.h"

#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/signame.h"
#include "clients.h"
#include "jobstatus.h"
#include "namespec.h"
#include "runner.h"

/* A job a request waits for. */
struct waited {
    char *name;
    enum control_wait what;
};

/* One request being answered. */
struct control_conn {
    struct control *c;
    struct control_conn *next;    /* in c->waiting */
    struct client *client;
    bool waiting;                 /* in c->waiting: its reply waits for jobs */
    bool failed;                  /* an error line was replied */
    int exit;                     /* ctl's exit status, if the request sets one; else -1 */
    struct waited *waits;
    size_t waits_len;
    size_t waits_done;            /* waits[0..waits_done) were seen where they should be */
    const char *verb;             /* "started", "restarted": the lines of WAIT_STARTED */
};

struct control {
    struct ev_loop *loop;
    struct supervisor *sup;
    control_config_fn *config;
    void *userdata;
    struct clients *clients;
    struct control_conn *waiting; /* requests waiting for jobs */
};

/* --- requests ----------------------------------------------------------------------------- */

void control_reply(struct control_conn *conn, const char *fmt, ...)
{
    va_list ap;

    conn->failed |= strncmp(fmt, "error: ", 7) == 0;
    va_start(ap, fmt);
    clients_vreply(conn->client, fmt, ap);
    va_end(ap);
}

static void conn_free(struct control_conn *conn)
{
    for (struct control_conn **pp = &conn->c->waiting; *pp; pp = &(*pp)->next) {
        if (*pp == conn) {
            *pp = conn->next;
            break;
        }
    }
    for (size_t i = 0; i < conn->waits_len; i++)
        free(conn->waits[i].name);
    free(conn->waits);
    free(conn);
}

/* The reply is complete: it goes out, and the request is done. */
static void conn_finish(struct control_conn *conn)
{
    struct client *client = conn->client;

    /* The last line says the reply is whole, and with which status ctl exits. */
    clients_reply(client, "exit: %d", conn->exit >= 0 ? conn->exit : conn->failed ? 1 : 0);
    conn_free(conn);
    clients_finish(client);
}

bool control_busy(const struct control *c)
{
    return c && clients_busy(c->clients);
}

/* Whether a waited-for job is where the request wanted it; adds its line when it is. */
static bool wait_done(struct control_conn *conn, const struct waited *w, bool report)
{
    struct job *job = supervisor_find(conn->c->sup, w->name);

    switch (w->what) {
    case CONTROL_WAIT_STOPPED:
    case CONTROL_WAIT_GONE:
        if (job && !supervisor_settled(job))
            return false;
        if (report && w->what == CONTROL_WAIT_STOPPED)
            control_reply(conn, "%s: stopped", w->name);
        return true;
    case CONTROL_WAIT_REPLACED:
        return !job || job->state != JOB_STOPPING;
    case CONTROL_WAIT_STARTED:
        break;
    }
    if (!job) {
        if (report)
            control_reply(conn, "error: %s: removed before it started", w->name);
        return true;
    }
    if (job->start_queued)
        return false; /* waiting for a lower priority level to start (supervisor.h) */
    switch (job->state) {
    case JOB_STARTING:
    case JOB_BACKOFF:
    case JOB_STOPPING:
        return false;
    default:
        break;
    }
    if (!report)
        return true;
    if (job->state == JOB_RUNNING)
        control_reply(conn, "%s: %s (pid %d)", w->name, conn->verb, (int) job->pid);
    else if (job->state == JOB_EXITED)
        control_reply(conn, "%s: %s, then %s", w->name, conn->verb, job->last_exit);
    else if (job->state == JOB_FATAL)
        control_reply(conn, "error: %s: did not stay up: %s (FATAL)", w->name, job->last_exit);
    else
        control_reply(conn, "error: %s: stopped before it was up", w->name);
    return true;
}

static void conn_check_wait(struct control_conn *conn)
{
    /* Called on every job change: what was seen done is not looked up again, so that `stop
     * all` of N jobs costs N lookups per change at worst, not N each time, for N changes. */
    for (; conn->waits_done < conn->waits_len; conn->waits_done++)
        if (!wait_done(conn, &conn->waits[conn->waits_done], false))
            return;
    for (size_t i = 0; i < conn->waits_len; i++)
        (void) wait_done(conn, &conn->waits[i], true);
    conn_finish(conn);
}

void control_job_changed(struct control *c)
{
    struct control_conn *conn, *next;

    if (!c)
        return;
    for (conn = c->waiting; conn; conn = next) {
        next = conn->next; /* conn_check_wait may free conn, never another one */
        if (conn->waiting)
            conn_check_wait(conn);
    }
}

int control_wait(struct control_conn *conn, const char *name, enum control_wait what)
{
    struct waited *v = realloc(conn->waits, (conn->waits_len + 1) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    conn->waits = v;
    v[conn->waits_len].name = strdup(name);
    if (!v[conn->waits_len].name)
        return -ENOMEM;
    v[conn->waits_len++].what = what;
    return 0;
}

static const char *strerr_request(int r)
{
    switch (r) {
    case -ESHUTDOWN:
        return "the daemon is shutting down";
    case -ENOENT:
        return "removed from the config";
    case -ESRCH:
        return "not running";
    default:
        return strerror(-r);
    }
}

/* The jobs that the request's names mean; an error line for each name that means none. NULL
 * (after an error line) without memory. */
static bool select_jobs(struct control_conn *conn, const struct request *req,
                        struct namespec_result *ret)
{
    if (namespec_select(conn->c->sup, req->names, req->names_len, ret) < 0) {
        control_reply(conn, "error: out of memory");
        return false;
    }
    for (size_t i = 0; i < ret->unknown_len; i++)
        control_reply(conn, "error: no job '%s'", ret->unknown[i]);
    return true;
}

static void do_status(struct control_conn *conn, const struct request *req)
{
    struct namespec_result sel;
    char *text;

    if (namespec_select(conn->c->sup, req->names, req->names_len, &sel) < 0) {
        control_reply(conn, "error: out of memory");
        return;
    }
    text = jobstatus_format(sel.jobs, sel.len, req->json, sel.unknown, sel.unknown_len);
    if (!text)
        control_reply(conn, "error: out of memory");
    else
        control_reply(conn, "%.*s", (int) (strlen(text) ? strlen(text) - 1 : 0), text);
    /* JSON stays JSON: the unknown names are in it. */
    for (size_t i = 0; i < sel.unknown_len && !req->json; i++)
        control_reply(conn, "error: no job '%s'", sel.unknown[i]);
    conn->exit = jobstatus_exit(sel.jobs, sel.len, sel.unknown_len);
    free(text);
    namespec_result_free(&sel);
}

/* start, stop, restart: act on each job, then wait for all of them. */
static void do_jobs(struct control_conn *conn, const struct request *req)
{
    struct namespec_result sel;

    if (!select_jobs(conn, req, &sel))
        return;
    conn->verb = req->verb == REQUEST_STOP    ? "stopped"
                 : req->verb == REQUEST_START ? "started"
                                              : "restarted";
    /* conn stays out of the waiting list until every job was acted on: the state changes
     * this causes call control_job_changed(), which must not answer (and free) conn
     * meanwhile. */
    for (size_t i = 0; i < sel.len; i++) {
        struct job *job = sel.jobs[i];
        int r = req->verb == REQUEST_STOP    ? supervisor_stop(job)
                : req->verb == REQUEST_START ? supervisor_start(job)
                                             : supervisor_restart(job);
        if (r == -EALREADY && req->verb == REQUEST_STOP) {
            control_reply(conn, "%s: not running", job->name);
            continue;
        }
        if (r == -EALREADY && job->state == JOB_RUNNING) {
            control_reply(conn, "%s: already running (pid %d)", job->name, (int) job->pid);
            continue;
        }
        if (r < 0 && r != -EALREADY) {
            control_reply(conn, "error: %s: %s", job->name, strerr_request(r));
            continue;
        }
        if (control_wait(conn, job->name, req->verb == REQUEST_STOP ? CONTROL_WAIT_STOPPED
                                                                      : CONTROL_WAIT_STARTED) < 0)
            control_reply(conn, "error: %s: out of memory", job->name);
    }
    namespec_result_free(&sel);
}

static void do_signal(struct control_conn *conn, const struct request *req)
{
    char name[SIGNAME_MAX];
    struct namespec_result sel;

    if (!select_jobs(conn, req, &sel))
        return;
    for (size_t i = 0; i < sel.len; i++) {
        int r = supervisor_signal(sel.jobs[i], req->sig, req->tree);
        if (r < 0)
            control_reply(conn, "error: %s: %s", sel.jobs[i]->name, strerr_request(r));
        else
            control_reply(conn, "%s: sent %s to %s", sel.jobs[i]->name,
                          signame_format(req->sig, name),
                          req->tree ? "the whole tree" : "the command");
    }
    namespec_result_free(&sel);
}

/* supervisorctl's pid: the daemon's own without a name; a job's, 0 when it does not run (and
 * then LSB's 7, "program is not running", for a named one). */
static void do_pid(struct control_conn *conn, const struct request *req)
{
    struct namespec_result sel;
    bool all = req->names_len == 1 && strcmp(req->names[0], "all") == 0, stopped = false;

    if (req->names_len == 0) {
        control_reply(conn, "%d", (int) getpid());
        return;
    }
    if (!select_jobs(conn, req, &sel))
        return;
    for (size_t i = 0; i < sel.len; i++) {
        pid_t pid = sel.jobs[i]->has_run ? sel.jobs[i]->pid : 0;
        control_reply(conn, "%d", (int) pid);
        stopped |= pid == 0;
    }
    if (stopped && !all && sel.unknown_len == 0)
        conn->exit = 7;
    namespec_result_free(&sel);
}

static void do_tail(struct control_conn *conn, const struct request *req)
{
    struct namespec_result sel;
    struct logtail t = {0};
    const struct config_log *log;
    const struct job *job;
    int r;

    if (!select_jobs(conn, req, &sel))
        return;
    if (sel.len != 1) {
        if (sel.len > 1)
            control_reply(conn, "error: '%s' is %zu jobs: tail shows one (such as %s)",
                          req->names[0], sel.len, sel.jobs[0]->name);
        goto out;
    }
    job = sel.jobs[0];
    log = req->err ? &job->spec->err : &job->spec->out;
    if (req->err && job->spec->redirect_stderr) {
        control_reply(conn, "error: %s: stderr goes to stdout (redirect_stderr): tail %s stdout",
                      job->name, job->name);
        goto out;
    }
    if (log->discard) {
        control_reply(conn, "error: %s: its %s is discarded (%s_logfile = NONE)", job->name,
                      req->err ? "stderr" : "stdout", req->err ? "stderr" : "stdout");
        goto out;
    }
    r = runner_log_tail(sel.jobs[0], req->err, req->from, req->bytes, &t);
    if (r < 0) {
        control_reply(conn, "error: %s: cannot read its log%s%s: %s", job->name,
                      log->path ? " " : "", log->path ? log->path : "",
                      r == -EINVAL ? "not an offset of this log" : logfile_strerror(r));
        goto out;
    }
    /* One append, so that the reply has all of the data after its length or none of it. */
    char *framed = NULL, *whole;
    int n = asprintf(&framed, "next: %s\ndata: %zu\n", t.next, t.len);
    r = -ENOMEM;
    if (n >= 0 && (whole = realloc(framed, (size_t) n + t.len))) {
        framed = whole;
        memcpy(framed + n, t.data, t.len);
        r = clients_reply_raw(conn->client, framed, (size_t) n + t.len);
    }
    if (n >= 0)
        free(framed);
    if (r < 0)
        control_reply(conn, "error: out of memory");
    free(t.data);
out:
    namespec_result_free(&sel);
}

static void do_clear(struct control_conn *conn, const struct request *req)
{
    struct namespec_result sel;

    if (!select_jobs(conn, req, &sel))
        return;
    for (size_t i = 0; i < sel.len; i++) {
        int r = runner_log_clear(sel.jobs[i]);
        if (r < 0)
            control_reply(conn, "error: %s: cannot clear its logs: %s", sel.jobs[i]->name,
                          logfile_strerror(r));
        else
            control_reply(conn, "%s: cleared", sel.jobs[i]->name);
    }
    namespec_result_free(&sel);
}

/* supervisorctl's remove: a group leaves the daemon (until add or update brings it back
 * from the file), if every job of it is stopped. */
static void do_remove(struct control_conn *conn, const struct request *req)
{
    for (size_t i = 0; i < req->names_len; i++) {
        int r = supervisor_remove(conn->c->sup, req->names[i]);
        if (r == -ENOENT)
            control_reply(conn, "error: no group '%s'", req->names[i]);
        else if (r == -EBUSY)
            control_reply(conn, "error: %s: still running (stop it first)", req->names[i]);
        else
            control_reply(conn, "%s: removed process group", req->names[i]);
    }
}

static void do_config(struct control_conn *conn, const struct request *req)
{
    conn->c->config(conn, req, conn->c->userdata);
}

/* What each request does (request.h has their grammar): a new request is one row here. */
static void (*const handlers[REQUEST_VERBS])(struct control_conn *, const struct request *) = {
    [REQUEST_STATUS] = do_status, [REQUEST_START] = do_jobs,   [REQUEST_STOP] = do_jobs,
    [REQUEST_RESTART] = do_jobs,  [REQUEST_SIGNAL] = do_signal, [REQUEST_RELOAD] = do_config,
    [REQUEST_TAIL] = do_tail,     [REQUEST_PID] = do_pid,       [REQUEST_CLEAR] = do_clear,
    [REQUEST_AVAIL] = do_config,  [REQUEST_REREAD] = do_config, [REQUEST_UPDATE] = do_config,
    [REQUEST_ADD] = do_config,    [REQUEST_REMOVE] = do_remove,
};

/* A complete request line from a peer allowed to ask (clients.c checked). */
static void on_request(struct client *client, char *line, void *userdata)
{
    struct control *c = userdata;
    struct control_conn *conn = calloc(1, sizeof(*conn));
    struct request req = {0};
    char err[256];
    int r;

    if (!conn) {
        clients_reply(client, "error: out of memory");
        clients_finish(client);
        return;
    }
    *conn = (struct control_conn){.c = c, .client = client, .exit = -1};
    r = request_parse(line, &req, err, sizeof(err));
    if (r == -ENOMEM)
        control_reply(conn, "error: out of memory");
    else if (r < 0)
        control_reply(conn, "error: %s", err);
    else
        handlers[req.verb](conn, &req);
    request_free(&req);
    if (conn->waits_len == 0) {
        conn_finish(conn);
        return;
    }
    conn->waiting = true;
    conn->next = c->waiting;
    c->waiting = conn;
    conn_check_wait(conn); /* maybe nothing to wait for: answer now */
}

int control_new(struct ev_loop *loop, const char *path, struct supervisor *sup,
                control_config_fn *config, void *userdata, struct control **ret)
{
    struct control *c = calloc(1, sizeof(*c));
    int r;

    if (!c)
        return -ENOMEM;
    *c = (struct control){.loop = loop, .sup = sup, .config = config, .userdata = userdata};
    r = clients_new(loop, path, on_request, c, &c->clients);
    if (r < 0) {
        free(c);
        return r;
    }
    *ret = c;
    return 0;
}

void control_free(struct control *c)
{
    if (!c)
        return;
    while (c->waiting)
        conn_free(c->waiting);
    clients_free(c->clients);
    free(c);
}
