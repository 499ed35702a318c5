/* control.c: the control socket (control.h): accepting, checking the peer, reading one
 * request line, acting on the supervisor, and answering, as a human table or as JSON for
 * status. Requests that take time (stop waits for whole trees to be gone) are answered when
 * the jobs get there: control_job_changed() looks at them on every state change. */
#include "control.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/signame.h"
#include "core/timer.h"
#include "request.h"

/* A client has this long to send its whole request, and then to take each part of the
 * reply; waiting for jobs (stop, start) has no deadline of its own. */
#define CONN_DEADLINE_S 10.0
#define CONNS_MAX 256
#define CONNS_PER_UID_MAX 32  /* one user's connections, refused or not */
#define PAUSE_S 1.0           /* the listener's rest when not even the reserve fd is left */
#define DRAIN_MAX ((size_t) 1 << 20) /* read and dropped after a refusal, at most */

enum wait_for { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED };

/* READING the request (deadline) → WAITING for jobs (no deadline) → WRITING the reply
 * (deadline per part) → closed; or → DRAINING, after a reply to a request that was not read to
 * its end (a refusal, an oversized or late request): the rest is read and dropped until the
 * client closes, so that closing does not reset the connection before it read the reply. */
enum conn_phase { CONN_READING, CONN_WAITING, CONN_WRITING, CONN_DRAINING };

struct control_conn {
    struct control *c;
    struct control_conn *next;
    int fd;
    ev_io io;
    ev_timer deadline;
    enum conn_phase phase;
    uid_t uid;                    /* the peer's (SO_PEERCRED) */
    unsigned long long serial;    /* accept order: lower is older */
    unsigned polled;              /* generation of poll_reading() that read it last */
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_cap, out_off;
    bool denied;                  /* the peer is neither root nor the daemon's user */
    bool linger;                  /* the request was not read to its end: drain before close */
    size_t drained;
    enum wait_for wait;
    char **names;                 /* waited for */
    size_t names_len;
    const char *verb;
};

struct control {
    struct ev_loop *loop;
    struct supervisor *sup;
    control_reload_fn *reload;
    void *userdata;
    char *path;
    int fd;
    int reserve_fd;               /* /dev/null, closed to make room for one accept on EMFILE */
    ev_io io;
    ev_timer pause;               /* the listener is stopped until it fires */
    bool out_of_fds;              /* said once per shortage, in the daemon's log */
    struct control_conn *conns;
    unsigned n_conns;
    unsigned long long serial;
    unsigned poll_gen;
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

/* A process belongs to a job if it is in the job's group, a child of the job's engine (the
 * subreaper that adopts its orphans), or a descendant of such a process. The engines and
 * guards themselves are pgsup, not members. */
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
            if (m->owner[i] != (int) k || m->t.v[i].state == 'Z' || m->t.v[i].state == 'X')
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
            if (m->owner[i] != (int) k || m->t.v[i].state == 'Z' || m->t.v[i].state == 'X')
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

/* --- replies ------------------------------------------------------------------------------ */

void control_reply(struct control_conn *conn, const char *fmt, ...)
{
    struct buf b = {.p = conn->out, .len = conn->out_len, .cap = conn->out_cap};
    va_list ap;

    va_start(ap, fmt);
    buf_vadd(&b, fmt, ap);
    va_end(ap);
    buf_add(&b, "\n");
    conn->out = b.p;
    conn->out_len = b.len;
    conn->out_cap = b.cap;
}

static void conn_free(struct control_conn *conn)
{
    struct control *c = conn->c;

    for (struct control_conn **pp = &c->conns; *pp; pp = &(*pp)->next) {
        if (*pp == conn) {
            *pp = conn->next;
            break;
        }
    }
    c->n_conns--;
    ev_io_stop(c->loop, &conn->io);
    ev_timer_stop(c->loop, &conn->deadline);
    fd_close(&conn->fd);
    for (size_t i = 0; i < conn->names_len; i++)
        free(conn->names[i]);
    free(conn->names);
    free(conn->in);
    free(conn->out);
    free(conn);
}

static void conn_arm(struct control_conn *conn)
{
    ev_timer_stop(conn->c->loop, &conn->deadline);
    ev_timer_set(&conn->deadline, CONN_DEADLINE_S, 0);
    ev_timer_start(conn->c->loop, &conn->deadline);
}

static void conn_watch(struct control_conn *conn, void (*cb)(struct ev_loop *, ev_io *, int),
                       int events)
{
    ev_io_stop(conn->c->loop, &conn->io);
    ev_io_init(&conn->io, cb, conn->fd, events);
    conn->io.data = conn;
    ev_io_start(conn->c->loop, &conn->io);
}

/* Reads and drops what the client still sends; true once it is done (freed). */
static bool conn_drain(struct control_conn *conn)
{
    char scratch[4096];

    for (;;) {
        ssize_t n = recv(conn->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && conn->drained < DRAIN_MAX)
            return false;
        if (n <= 0 || (conn->drained += (size_t) n) >= DRAIN_MAX) {
            conn_free(conn);
            return true;
        }
    }
}

static void on_conn_drain(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    (void) conn_drain(w->data);
}

/* Sends what it can of the reply. Returns true if conn is gone (all sent and closed, or ctl
 * went away), false while it waits for the socket or for the client to close. */
static bool conn_flush(struct control_conn *conn)
{
    bool progress = false;

    while (conn->out_off < conn->out_len) {
        ssize_t n = send(conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (progress)
                conn_arm(conn); /* the deadline is per part: a big status may take a while */
            return false;
        }
        if (n < 0) {
            conn_free(conn); /* ctl went away: nobody to tell */
            return true;
        }
        conn->out_off += (size_t) n;
        progress = true;
    }
    if (!conn->linger) {
        conn_free(conn);
        return true;
    }
    conn->phase = CONN_DRAINING;
    (void) shutdown(conn->fd, SHUT_WR); /* the reply is whole: the client reads EOF after it */
    conn_arm(conn);
    conn_watch(conn, on_conn_drain, EV_READ);
    return conn_drain(conn);
}

static void on_conn_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    (void) conn_flush(w->data);
}

/* The reply is complete: send it, then close. conn may be freed on return. */
static void conn_finish(struct control_conn *conn)
{
    conn->wait = WAIT_NONE;
    conn->phase = CONN_WRITING;
    ev_io_stop(conn->c->loop, &conn->io);
    conn_arm(conn);
    if (conn_flush(conn))
        return;
    if (conn->phase == CONN_WRITING)
        conn_watch(conn, on_conn_write, EV_WRITE);
}

bool control_busy(const struct control *c)
{
    return c && c->conns;
}

/* --- requests ----------------------------------------------------------------------------- */

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
    for (size_t i = 0; i < conn->names_len; i++)
        if (!wait_done(conn, conn->names[i], false))
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
    for (conn = c->conns; conn; conn = next) {
        next = conn->next; /* conn_check_wait may free conn, never another one */
        if (conn->wait != WAIT_NONE)
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
    /* conn->wait stays NONE until every job was acted on: the state changes this causes
     * call control_job_changed(), which must not answer (and free) conn meanwhile. */
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

/* The request line is complete: answer it. conn may be freed on return. */
static void conn_request(struct control_conn *conn, char *line)
{
    struct request req = {0};
    char err[256];
    int r;

    conn->phase = CONN_WAITING;
    ev_timer_stop(conn->c->loop, &conn->deadline);
    r = conn->denied ? -EPERM : request_parse(line, &req, err, sizeof(err));
    if (r == -EPERM)
        control_reply(conn, "error: permission denied (only root and the daemon's user)");
    else if (r == -ENOMEM)
        control_reply(conn, "error: out of memory");
    else if (r < 0)
        control_reply(conn, "error: %s", err);
    else
        handlers[req.verb](conn, &req);
    request_free(&req);
    if (conn->wait != WAIT_NONE)
        conn_check_wait(conn); /* maybe nothing to wait for: answer now */
    else
        conn_finish(conn);
}

/* Reads what the client sent; answers once the line is whole (or too long, or the client
 * closed). conn may be freed on return. */
static void conn_read(struct control_conn *conn)
{
    char *nl;
    ssize_t n;

    if (!conn->in) {
        conn->in = malloc(REQUEST_MAX + 1);
        if (!conn->in) {
            conn_free(conn);
            return;
        }
    }
    n = recv(conn->fd, conn->in + conn->in_len, REQUEST_MAX - conn->in_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && conn->in_len == 0)) {
        conn_free(conn);
        return;
    }
    conn->in_len += (size_t) n;
    conn->in[conn->in_len] = '\0';
    nl = memchr(conn->in, '\n', conn->in_len);
    if (!nl && n > 0 && conn->in_len < REQUEST_MAX)
        return; /* more to come */
    ev_io_stop(conn->c->loop, &conn->io);
    if (!nl && n > 0) {
        /* Not even a whole line fits: say so, then drop the rest (an unread rest would reset
         * the connection before the client read why). */
        conn->linger = true;
        conn->phase = CONN_WAITING;
        control_reply(conn, "error: request longer than %d bytes", REQUEST_MAX);
        conn_finish(conn);
        return;
    }
    if (nl) {
        *nl = '\0';
        conn->linger = conn->denied || (size_t) (nl + 1 - conn->in) < conn->in_len;
    }
    conn_request(conn, conn->in);
}

static void on_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    conn_read(w->data);
}

static void on_conn_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control_conn *conn = w->data;

    (void) loop;
    (void) revents;
    if (conn->phase != CONN_READING) {
        conn_free(conn); /* a reply not taken, or a client that does not close: give up */
        return;
    }
    ev_io_stop(conn->c->loop, &conn->io);
    conn->linger = true;
    conn->phase = CONN_WAITING;
    control_reply(conn, "error: no complete request within %.0f s", CONN_DEADLINE_S);
    conn_finish(conn);
}

/* --- accepting ---------------------------------------------------------------------------- */

/* Answers a connection that gets no service with one line, then closes it. */
static void refuse(int *fd, const char *line)
{
    char scratch[4096];

    (void) send(*fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT); /* gone: nobody to tell */
    (void) shutdown(*fd, SHUT_WR);
    /* What the client sent already is read, so that the close does not reset the connection
     * before it reads the line; whatever comes later is its problem. */
    for (int i = 0; i < 16 && recv(*fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0; i++)
        ;
    fd_close(fd);
}

/* Reads what waits on the connections still reading a request (of uid, or of everyone): a
 * client whose request is there is served now, so that only connections that sent nothing
 * remain. Each serves at most once; a reply may free other connections (waiters answered),
 * so the walk starts over after each one. */
static void poll_reading(struct control *c, bool one_uid, uid_t uid)
{
    unsigned gen = ++c->poll_gen;

    for (;;) {
        struct control_conn *conn;
        for (conn = c->conns; conn; conn = conn->next)
            if (conn->phase == CONN_READING && conn->polled != gen && (!one_uid || conn->uid == uid))
                break;
        if (!conn)
            return;
        conn->polled = gen;
        conn_read(conn);
    }
}

static unsigned count_conns(const struct control *c, bool one_uid, uid_t uid)
{
    unsigned n = 0;

    for (const struct control_conn *conn = c->conns; conn; conn = conn->next)
        n += !one_uid || conn->uid == uid;
    return n;
}

/* Room for one more connection (of uid, or at all) under max: the idle connections are read
 * first; if still full, the oldest one that has sent no request yet is dropped (a client
 * that opens connections and sends nothing cannot lock the others out). false: every slot
 * holds a request being answered. */
static bool make_room(struct control *c, bool one_uid, uid_t uid, unsigned max)
{
    struct control_conn *oldest = NULL;

    if (count_conns(c, one_uid, uid) < max)
        return true;
    poll_reading(c, one_uid, uid);
    if (count_conns(c, one_uid, uid) < max)
        return true;
    for (struct control_conn *conn = c->conns; conn; conn = conn->next)
        if (conn->phase == CONN_READING && (!one_uid || conn->uid == uid) &&
            (!oldest || conn->serial < oldest->serial))
            oldest = conn;
    if (!oldest)
        return false;
    conn_free(oldest);
    return true;
}

static void conn_new(struct control *c, int fd)
{
    struct control_conn *conn;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    bool denied;
    char line[128];

    /* Root, or the daemon's own user; the socket's mode already keeps others out unless
     * they were handed an fd or the socket was opened up. Refused peers are still read
     * (below) before they are answered, and count against their own uid's bound. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        cred.uid = (uid_t) -1;
    denied = cred.uid != 0 && cred.uid != geteuid();
    if (!make_room(c, true, cred.uid, CONNS_PER_UID_MAX) ||
        !make_room(c, false, 0, CONNS_MAX)) {
        snprintf(line, sizeof(line), "error: too many connections (uid %u)\n",
                 (unsigned) cred.uid);
        refuse(&fd, line);
        return;
    }
    conn = calloc(1, sizeof(*conn));
    if (!conn) {
        refuse(&fd, "error: out of memory\n");
        return;
    }
    *conn = (struct control_conn){.c = c, .fd = fd, .uid = cred.uid, .denied = denied,
                                  .serial = ++c->serial, .phase = CONN_READING,
                                  .next = c->conns};
    c->conns = conn;
    c->n_conns++;
    ev_timer_init(&conn->deadline, on_conn_deadline, CONN_DEADLINE_S, 0);
    conn->deadline.data = conn;
    ev_timer_start(c->loop, &conn->deadline);
    conn_watch(conn, on_conn_read, EV_READ);
}

static void on_pause(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control *c = w->data;

    (void) revents;
    if (c->reserve_fd < 0)
        c->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_io_start(loop, &c->io);
}

/* accept() failed for want of fds: the connection stays queued and the listener readable, so
 * the loop would spin on it. The reserve fd makes room for one accept: that client gets one
 * line saying why, and the slot is reserved again. Without a reserve (another fd took its
 * place), the listener rests for PAUSE_S. Returns true if accepting may go on. */
static bool shed_one(struct control *c)
{
    int fd;

    if (!c->out_of_fds)
        log_msg("out of file descriptors: answering control connections with an error until "
                "some are free, continuing");
    c->out_of_fds = true;
    if (c->reserve_fd >= 0) {
        fd_close(&c->reserve_fd);
        fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0)
            refuse(&fd, "error: the daemon is out of file descriptors; try again later\n");
        c->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (c->reserve_fd >= 0)
            return true;
    }
    ev_io_stop(c->loop, &c->io);
    ev_timer_set(&c->pause, PAUSE_S, 0);
    ev_timer_start(c->loop, &c->pause);
    return false;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control *c = w->data;

    (void) loop;
    (void) revents;
    for (;;) {
        int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            if (shed_one(c))
                continue;
            return;
        }
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0)
            return; /* EAGAIN: nothing queued */
        c->out_of_fds = false;
        conn_new(c, fd);
    }
}

int control_new(struct ev_loop *loop, const char *path, struct supervisor *sup,
                control_reload_fn *reload, void *userdata, struct control **ret)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct control *c;
    struct stat st;
    mode_t old_mask;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    *c = (struct control){.loop = loop, .sup = sup, .reload = reload, .userdata = userdata,
                          .fd = -1, .reserve_fd = -1};
    ev_timer_init(&c->pause, on_pause, PAUSE_S, 0);
    c->pause.data = c;
    c->path = strdup(path);
    if (!c->path) {
        r = -ENOMEM;
        goto fail;
    }
    c->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0 || c->reserve_fd < 0) {
        r = -errno;
        goto fail;
    }
    /* A socket left by a daemon of ours that crashed: ours now (the caller holds the lock).
     * Anything else at that path, another user's socket included, is not ours to remove. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == geteuid())
        (void) unlink(path); /* if it fails, bind says why */
    /* 0600 from the first instant: no window in which others could connect. */
    old_mask = umask(0177);
    r = bind(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? -errno : 0;
    umask(old_mask);
    if (r == 0 && chmod(path, 0600) < 0)
        r = -errno;
    if (r == 0 && listen(c->fd, 128) < 0)
        r = -errno;
    if (r < 0)
        goto fail;
    ev_io_init(&c->io, on_accept, c->fd, EV_READ);
    c->io.data = c;
    ev_io_start(loop, &c->io);
    *ret = c;
    return 0;
fail:
    fd_close(&c->fd);
    fd_close(&c->reserve_fd);
    free(c->path);
    free(c);
    return r;
}

void control_free(struct control *c)
{
    if (!c)
        return;
    while (c->conns)
        conn_free(c->conns);
    ev_io_stop(c->loop, &c->io);
    ev_timer_stop(c->loop, &c->pause);
    fd_close(&c->fd);
    fd_close(&c->reserve_fd);
    (void) unlink(c->path); /* gone already: fine */
    free(c->path);
    free(c);
}
