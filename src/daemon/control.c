/* control.c: the control socket's protocol (control.h): acting on the supervisor for each
 * request and answering, as a human table or as JSON for status. The connections and their
 * limits are clients.c's, the grammar of requests request.c's. Requests that take time (stop
 * waits for whole trees to be gone) are answered when the jobs get there:
 * control_job_changed() looks at them on every state change. */
#include "control.h"

#include <errno.h>
#include <ev.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proc.h"
#include "core/signame.h"
#include "core/timer.h"
#include "clients.h"
#include "request.h"

enum wait_for { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED };

/* One request being answered. */
struct control_conn {
    struct control *c;
    struct control_conn *next;    /* in c->waiting */
    struct client *client;
    enum wait_for wait;
    char **names;                 /* waited for */
    size_t names_len;
    size_t names_done;            /* names[0..names_done) were seen where they should be */
    const char *verb;
};

struct control {
    struct ev_loop *loop;
    struct supervisor *sup;
    control_reload_fn *reload;
    void *userdata;
    struct clients *clients;
    struct control_conn *waiting; /* requests waiting for jobs */
};

/* --- output buffer ------------------------------------------------------------------------ */

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void buf_vadd(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    if (b->failed)
        return;
    va_copy(copy, ap);
    n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!b->p || b->len + (size_t) n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + (size_t) n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t) n;
}

static void buf_add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_add(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vadd(b, fmt, ap);
    va_end(ap);
}

static void buf_json_string(struct buf *b, const char *s)
{
    buf_add(b, "\"");
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char) *s;
        if (ch == '"' || ch == '\\')
            buf_add(b, "\\%c", ch);
        else if (ch == '\n')
            buf_add(b, "\\n");
        else if (ch == '\t')
            buf_add(b, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            buf_add(b, "\\u%04x", ch);
        else
            buf_add(b, "%c", ch);
    }
    buf_add(b, "\"");
}

/* --- members of every job, from one /proc snapshot ------------------------------------------ */

enum { OWNER_UNKNOWN = -3, OWNER_VISITING = -2, OWNER_NONE = -1 };

struct members {
    struct proc_table t;         /* sorted by pid */
    int *owner;                  /* per entry: index of its job, or OWNER_* */
    struct job **jobs;
    size_t jobs_len;
};

static const struct proc_entry *members_find(const struct members *m, pid_t pid)
{
    return proc_entries_find(m->t.v, m->t.len, pid);
}

/* A process belongs to a job if it is in the job's group, a child of the job's engine (its
 * helper, the subreaper that adopts its orphans), or a descendant of such a process. The
 * helpers themselves are pgsup, not members. */
static int members_owner(struct members *m, size_t i)
{
    const struct proc_entry *e = &m->t.v[i], *parent;
    int o;

    if (m->owner[i] != OWNER_UNKNOWN)
        return m->owner[i] == OWNER_VISITING ? OWNER_NONE : m->owner[i];
    for (size_t k = 0; k < m->jobs_len; k++) {
        const struct job *job = m->jobs[k];
        if (e->pid == job->engine_pid || e->pid == job->guard_pid)
            return m->owner[i] = OWNER_NONE;
    }
    for (size_t k = 0; k < m->jobs_len; k++) {
        const struct job *job = m->jobs[k];
        if ((job->pgid > 0 && e->pgid == job->pgid) ||
            (job->engine_pid > 0 && e->ppid == job->engine_pid))
            return m->owner[i] = (int) k;
    }
    parent = e->ppid > 1 ? members_find(m, e->ppid) : NULL;
    if (!parent)
        return m->owner[i] = OWNER_NONE;
    m->owner[i] = OWNER_VISITING;
    o = members_owner(m, (size_t) (parent - m->t.v));
    return m->owner[i] = o;
}

static void members_load(struct members *m, struct job **jobs, size_t len)
{
    bool any = false;

    m->jobs = jobs;
    m->jobs_len = len;
    for (size_t k = 0; k < len; k++)
        any |= jobs[k]->has_run;
    if (!any || proc_scan(&m->t) < 0) {
        m->t.len = 0;
        return;
    }
    proc_entries_sort(m->t.v, m->t.len);
    m->owner = malloc((m->t.len + 1) * sizeof(*m->owner));
    if (!m->owner) {
        m->t.len = 0;
        return;
    }
    for (size_t i = 0; i < m->t.len; i++)
        m->owner[i] = OWNER_UNKNOWN;
    for (size_t i = 0; i < m->t.len; i++)
        (void) members_owner(m, i);
}

static void members_free(struct members *m)
{
    proc_table_free(&m->t);
    free(m->owner);
}

/* --- status ------------------------------------------------------------------------------ */

static void format_uptime(double s, char *buf, size_t len)
{
    unsigned long t = s > 0 ? (unsigned long) s : 0;

    if (t >= 86400)
        snprintf(buf, len, "%lud%02lu:%02lu:%02lu", t / 86400, t % 86400 / 3600, t % 3600 / 60,
                 t % 60);
    else
        snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t % 3600 / 60, t % 60);
}

static void status_json(struct buf *b, struct members *m)
{
    double now = timer_now();

    buf_add(b, "{\"jobs\":[");
    for (size_t k = 0; k < m->jobs_len; k++) {
        const struct job *job = m->jobs[k];
        bool first = true;
        buf_add(b, "%s{\"name\":", k ? "," : "");
        buf_json_string(b, job->name);
        buf_add(b, ",\"state\":\"%s\",\"command\":", supervisor_state_name(job->state));
        buf_json_string(b, job->spec->command);
        if (job->has_run)
            buf_add(b, ",\"pid\":%d,\"pgid\":%d,\"engine_pid\":%d,\"guard_pid\":%d,"
                       "\"uptime_s\":%.3f,\"run\":",
                    (int) job->pid, (int) job->pgid, (int) job->engine_pid,
                    (int) job->guard_pid, now - job->started_mono);
        else
            buf_add(b, ",\"pid\":null,\"pgid\":null,\"engine_pid\":null,\"guard_pid\":null,"
                       "\"uptime_s\":null,\"run\":");
        buf_json_string(b, job->run_id);
        buf_add(b, ",\"restarts\":%u,\"failures\":%u,\"backoff_s\":", job->restarts,
                job->failures);
        if (job->state == JOB_BACKOFF)
            buf_add(b, "%.3f", job->delay_s);
        else
            buf_add(b, "null");
        buf_add(b, ",\"last_exit\":");
        if (job->last_exit[0])
            buf_json_string(b, job->last_exit);
        else
            buf_add(b, "null");
        buf_add(b, ",\"leaving\":%s,\"members\":[", job->leaving ? "true" : "false");
        for (size_t i = 0; i < m->t.len; i++) {
            if (m->owner[i] != (int) k || !proc_entry_alive(&m->t.v[i]))
                continue;
            buf_add(b, "%s%d", first ? "" : ",", (int) m->t.v[i].pid);
            first = false;
        }
        buf_add(b, "]}");
    }
    buf_add(b, "]}\n");
}

#define MEMBERS_SHOWN 8

static void status_table(struct buf *b, struct members *m)
{
    double now = timer_now();
    size_t width = 4;

    for (size_t k = 0; k < m->jobs_len; k++)
        if (strlen(m->jobs[k]->name) > width)
            width = strlen(m->jobs[k]->name);
    buf_add(b, "%-*s  %-8s  %7s  %7s  %10s  %8s  %-24s  %s\n", (int) width, "NAME", "STATE",
            "PID", "PGID", "UPTIME", "RESTARTS", "LAST EXIT", "MEMBERS");
    for (size_t k = 0; k < m->jobs_len; k++) {
        const struct job *job = m->jobs[k];
        char pid[16] = "-", pgid[16] = "-", up[32] = "-";
        size_t n = 0;
        if (job->has_run) {
            snprintf(pid, sizeof(pid), "%d", (int) job->pid);
            snprintf(pgid, sizeof(pgid), "%d", (int) job->pgid);
            format_uptime(now - job->started_mono, up, sizeof(up));
        }
        buf_add(b, "%-*s  %-8s  %7s  %7s  %10s  %8u  %-24s  ", (int) width, job->name,
                supervisor_state_name(job->state), pid, pgid, up, job->restarts,
                job->last_exit[0] ? job->last_exit : "-");
        for (size_t i = 0; i < m->t.len; i++) {
            if (m->owner[i] != (int) k || !proc_entry_alive(&m->t.v[i]))
                continue;
            if (n < MEMBERS_SHOWN)
                buf_add(b, "%s%d", n ? "," : "", (int) m->t.v[i].pid);
            n++;
        }
        if (n > MEMBERS_SHOWN)
            buf_add(b, " +%zu", n - MEMBERS_SHOWN);
        buf_add(b, "%s\n", n ? "" : "-");
    }
}

/* Jobs by name (NULL: all), or NULL with *ret_unknown set to the first unknown name. */
static struct job **select_jobs(struct supervisor *sup, char *const *names, size_t names_len,
                                size_t *ret_len, const char **ret_unknown)
{
    size_t n = supervisor_count(sup), len = 0;
    struct job **v = calloc(n + names_len + 1, sizeof(*v));

    *ret_unknown = NULL;
    if (!v)
        return NULL;
    if (names_len == 0 || (names_len == 1 && strcmp(names[0], "all") == 0)) {
        for (size_t i = 0; i < n; i++)
            v[len++] = supervisor_job(sup, i);
    } else {
        for (size_t i = 0; i < names_len; i++) {
            struct job *job = supervisor_find(sup, names[i]);
            if (!job) {
                *ret_unknown = names[i];
                free(v);
                return NULL;
            }
            v[len++] = job;
        }
    }
    *ret_len = len;
    return v;
}

char *control_format_status(struct supervisor *sup, bool json, char *const *names,
                            size_t names_len)
{
    struct members m = {0};
    struct buf b = {0};
    const char *unknown;
    size_t len;
    struct job **jobs = select_jobs(sup, names, names_len, &len, &unknown);

    if (!jobs) {
        if (unknown)
            buf_add(&b, "error: no job '%s'\n", unknown);
        return b.failed ? (free(b.p), NULL) : b.p;
    }
    members_load(&m, jobs, len);
    if (json)
        status_json(&b, &m);
    else
        status_table(&b, &m);
    members_free(&m);
    free(jobs);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* --- requests ----------------------------------------------------------------------------- */

void control_reply(struct control_conn *conn, const char *fmt, ...)
{
    va_list ap;

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
    for (size_t i = 0; i < conn->names_len; i++)
        free(conn->names[i]);
    free(conn->names);
    free(conn);
}

/* The reply is complete: it goes out, and the request is done. */
static void conn_finish(struct control_conn *conn)
{
    struct client *client = conn->client;

    conn_free(conn);
    clients_finish(client);
}

bool control_busy(const struct control *c)
{
    return c && clients_busy(c->clients);
}

/* Whether a waited-for job is where the request wanted it; adds its line when it is. */
static bool wait_done(struct control_conn *conn, const char *name, bool report)
{
    struct job *job = supervisor_find(conn->c->sup, name);

    if (conn->wait == WAIT_STOPPED) {
        if (job && !supervisor_settled(job))
            return false;
        if (report)
            control_reply(conn, "%s: stopped", name);
        return true;
    }
    if (!job) {
        if (report)
            control_reply(conn, "error: %s: removed before it started", name);
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
        control_reply(conn, "%s: %s (pid %d)", name, conn->verb, (int) job->pid);
    else if (job->state == JOB_EXITED)
        control_reply(conn, "%s: %s, then %s", name, conn->verb, job->last_exit);
    else if (job->state == JOB_FATAL)
        control_reply(conn, "error: %s: did not stay up: %s (FATAL)", name, job->last_exit);
    else
        control_reply(conn, "error: %s: stopped before it was up", name);
    return true;
}

static void conn_check_wait(struct control_conn *conn)
{
    /* Called on every job change: what was seen done is not looked up again, so that `stop
     * all` of N jobs costs N lookups per change at worst, not N each time, for N changes. */
    for (; conn->names_done < conn->names_len; conn->names_done++)
        if (!wait_done(conn, conn->names[conn->names_done], false))
            return;
    for (size_t i = 0; i < conn->names_len; i++)
        (void) wait_done(conn, conn->names[i], true);
    conn_finish(conn);
}

void control_job_changed(struct control *c)
{
    struct control_conn *conn, *next;

    if (!c)
        return;
    for (conn = c->waiting; conn; conn = next) {
        next = conn->next; /* conn_check_wait may free conn, never another one */
        conn_check_wait(conn);
    }
}

static int conn_wait_for(struct control_conn *conn, const char *name)
{
    char **v = realloc(conn->names, (conn->names_len + 1) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    conn->names = v;
    v[conn->names_len] = strdup(name);
    if (!v[conn->names_len])
        return -ENOMEM;
    conn->names_len++;
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

static void do_status(struct control_conn *conn, const struct request *req)
{
    char *text = control_format_status(conn->c->sup, req->json, req->names, req->names_len);

    if (!text)
        control_reply(conn, "error: out of memory");
    else
        control_reply(conn, "%.*s", (int) (strlen(text) ? strlen(text) - 1 : 0), text);
    free(text);
}

/* start, stop, restart: act on each job, then wait for all of them. */
static void do_jobs(struct control_conn *conn, const struct request *req)
{
    struct supervisor *sup = conn->c->sup;
    const char *unknown;
    size_t n;
    struct job **jobs = select_jobs(sup, req->names, req->names_len, &n, &unknown);

    if (!jobs) {
        control_reply(conn, "error: no job '%s'", unknown ? unknown : "(out of memory)");
        return;
    }
    conn->verb = req->verb == REQUEST_STOP    ? "stopped"
                 : req->verb == REQUEST_START ? "started"
                                              : "restarted";
    /* conn->wait stays NONE (and conn out of the waiting list) until every job was acted on:
     * the state changes this causes call control_job_changed(), which must not answer (and
     * free) conn meanwhile. */
    for (size_t i = 0; i < n; i++) {
        struct job *job = jobs[i];
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
        if (conn_wait_for(conn, job->name) < 0)
            control_reply(conn, "error: %s: out of memory", job->name);
    }
    free(jobs);
    conn->wait = req->verb == REQUEST_STOP ? WAIT_STOPPED : WAIT_STARTED;
}

static void do_signal(struct control_conn *conn, const struct request *req)
{
    char name[SIGNAME_MAX];
    const char *unknown;
    size_t n;
    struct job **jobs = select_jobs(conn->c->sup, req->names, req->names_len, &n, &unknown);

    if (!jobs) {
        control_reply(conn, "error: no job '%s'", unknown ? unknown : "(out of memory)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int r = supervisor_signal(jobs[i], req->sig);
        if (r < 0)
            control_reply(conn, "error: %s: %s", jobs[i]->name, strerr_request(r));
        else
            control_reply(conn, "%s: sent %s", jobs[i]->name, signame_format(req->sig, name));
    }
    free(jobs);
}

static void do_reload(struct control_conn *conn, const struct request *req)
{
    (void) req;
    conn->c->reload(conn, conn->c->userdata);
}

/* What each request does (request.h has their grammar): a new request is one row here. */
static void (*const handlers[REQUEST_VERBS])(struct control_conn *, const struct request *) = {
    [REQUEST_STATUS] = do_status, [REQUEST_START] = do_jobs,   [REQUEST_STOP] = do_jobs,
    [REQUEST_RESTART] = do_jobs,  [REQUEST_SIGNAL] = do_signal, [REQUEST_RELOAD] = do_reload,
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
    *conn = (struct control_conn){.c = c, .client = client};
    r = request_parse(line, &req, err, sizeof(err));
    if (r == -ENOMEM)
        control_reply(conn, "error: out of memory");
    else if (r < 0)
        control_reply(conn, "error: %s", err);
    else
        handlers[req.verb](conn, &req);
    request_free(&req);
    if (conn->wait == WAIT_NONE) {
        conn_finish(conn);
        return;
    }
    conn->next = c->waiting;
    c->waiting = conn;
    conn_check_wait(conn); /* maybe nothing to wait for: answer now */
}

int control_new(struct ev_loop *loop, const char *path, struct supervisor *sup,
                control_reload_fn *reload, void *userdata, struct control **ret)
{
    struct control *c = calloc(1, sizeof(*c));
    int r;

    if (!c)
        return -ENOMEM;
    *c = (struct control){.loop = loop, .sup = sup, .reload = reload, .userdata = userdata};
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
