/* control.c: the control socket (control.h): accepting, checking the peer, reading one
 * request line, acting on the supervisor, and answering, as a human table or as JSON for
 * status. Requests that take time (stop waits for whole trees to be gone) are answered when
 * the jobs get there: control_job_changed() looks at them on every state change. */
#include "control.h"

#include <errno.h>
#include <ev.h>
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
#include "core/proc.h"
#include "core/signame.h"
#include "core/timer.h"

#define REQUEST_MAX 65536
#define WORDS_MAX 4096
#define CONNS_MAX 256

enum wait_for { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED };

struct control_conn {
    struct control *c;
    struct control_conn *next;
    int fd;
    ev_io io;
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_cap, out_off;
    bool writing;
    bool denied;                  /* the peer is neither root nor the daemon's user */
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
    ev_io io;
    struct control_conn *conns;
    unsigned n_conns;
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

/* --- connections ------------------------------------------------------------------------- */

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
    fd_close(&conn->fd);
    for (size_t i = 0; i < conn->names_len; i++)
        free(conn->names[i]);
    free(conn->names);
    free(conn->in);
    free(conn->out);
    free(conn);
}

/* Sends what it can of the reply; frees conn when all is sent (or ctl is gone). Returns
 * false if conn is still there, waiting for the socket to take the rest. */
static bool conn_flush(struct control_conn *conn)
{
    while (conn->out_off < conn->out_len) {
        ssize_t n = send(conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return false;
        if (n < 0)
            break; /* ctl went away: nobody to tell */
        conn->out_off += (size_t) n;
    }
    conn_free(conn);
    return true;
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
    struct control *c = conn->c;

    conn->wait = WAIT_NONE;
    conn->writing = true;
    ev_io_stop(c->loop, &conn->io);
    if (conn_flush(conn))
        return;
    ev_io_init(&conn->io, on_conn_write, conn->fd, EV_WRITE);
    conn->io.data = conn;
    ev_io_start(c->loop, &conn->io);
}

bool control_busy(const struct control *c)
{
    return c && c->conns;
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
        next = conn->next; /* conn_check_wait does not free: it only starts the write */
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

/* start, stop, restart: act on each job, then wait for all of them. */
static void do_jobs(struct control_conn *conn, const char *verb, char **names, size_t len)
{
    struct supervisor *sup = conn->c->sup;
    const char *unknown;
    size_t n;
    struct job **jobs;
    bool stop = strcmp(verb, "stop") == 0;

    if (len == 0) {
        control_reply(conn, "error: %s: no job named (or 'all')", verb);
        return;
    }
    jobs = select_jobs(sup, names, len, &n, &unknown);
    if (!jobs) {
        control_reply(conn, "error: no job '%s'", unknown ? unknown : "(out of memory)");
        return;
    }
    conn->verb = stop ? "stopped" : strcmp(verb, "start") == 0 ? "started" : "restarted";
    /* conn->wait stays NONE until every job was acted on: the state changes this causes
     * call control_job_changed(), which must not answer (and free) conn meanwhile. */
    for (size_t i = 0; i < n; i++) {
        struct job *job = jobs[i];
        int r = stop ? supervisor_stop(job)
                     : strcmp(verb, "start") == 0 ? supervisor_start(job) : supervisor_restart(job);
        if (r == -EALREADY && stop) {
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
    conn->wait = stop ? WAIT_STOPPED : WAIT_STARTED;
}

static void do_signal(struct control_conn *conn, char **words, size_t len)
{
    struct supervisor *sup = conn->c->sup;
    char name[SIGNAME_MAX];
    const char *unknown;
    struct job **jobs;
    size_t n;
    int sig;

    if (len < 2 || signame_parse(words[0], &sig) < 0) {
        control_reply(conn, "error: signal: usage: signal SIG NAME...|all (SIG: TERM, HUP, 10...)");
        return;
    }
    jobs = select_jobs(sup, words + 1, len - 1, &n, &unknown);
    if (!jobs) {
        control_reply(conn, "error: no job '%s'", unknown ? unknown : "(out of memory)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int r = supervisor_signal(jobs[i], sig);
        if (r < 0)
            control_reply(conn, "error: %s: %s", jobs[i]->name, strerr_request(r));
        else
            control_reply(conn, "%s: sent %s", jobs[i]->name, signame_format(sig, name));
    }
    free(jobs);
}

static void conn_request(struct control_conn *conn, char *line)
{
    char *words[WORDS_MAX], *save = NULL;
    size_t n = 0;

    for (char *w = strtok_r(line, " \t\r", &save); w && n < WORDS_MAX;
         w = strtok_r(NULL, " \t\r", &save))
        words[n++] = w;
    if (n == 0) {
        control_reply(conn, "error: empty request");
    } else if (strcmp(words[0], "status") == 0) {
        bool json = n > 1 && strcmp(words[1], "--json") == 0;
        size_t first = json ? 2 : 1;
        char *text = control_format_status(conn->c->sup, json, words + first, n - first);
        if (!text)
            control_reply(conn, "error: out of memory");
        else
            control_reply(conn, "%.*s", (int) (strlen(text) ? strlen(text) - 1 : 0), text);
        free(text);
    } else if (strcmp(words[0], "start") == 0 || strcmp(words[0], "stop") == 0 ||
               strcmp(words[0], "restart") == 0) {
        do_jobs(conn, words[0], words + 1, n - 1);
    } else if (strcmp(words[0], "signal") == 0) {
        do_signal(conn, words + 1, n - 1);
    } else if (strcmp(words[0], "reload") == 0 && n == 1) {
        conn->c->reload(conn, conn->c->userdata);
    } else {
        control_reply(conn, "error: unknown request '%s' (status, start, stop, restart, signal, "
                            "reload)", words[0]);
    }
    if (conn->wait != WAIT_NONE)
        conn_check_wait(conn); /* maybe nothing to wait for: answer now */
    else
        conn_finish(conn);
}

static void on_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control_conn *conn = w->data;
    char *nl;
    ssize_t n;

    (void) loop;
    (void) revents;
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
    if (nl)
        *nl = '\0';
    ev_io_stop(conn->c->loop, &conn->io);
    if (conn->denied) {
        control_reply(conn, "error: permission denied (only root and the daemon's user)");
        conn_finish(conn);
        return;
    }
    conn_request(conn, conn->in);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control *c = w->data;

    (void) loop;
    (void) revents;
    for (;;) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct control_conn *conn;
        int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN, or a connection that died before we took it */
        /* Root, or the daemon's own user; the socket's mode already keeps others out unless
         * they were handed an fd. */
        bool denied = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
                      (cred.uid != 0 && cred.uid != geteuid());
        conn = c->n_conns < CONNS_MAX ? calloc(1, sizeof(*conn)) : NULL;
        if (!conn) {
            fd_close(&fd);
            continue;
        }
        /* A refused peer is still read before it is answered: closing a socket with its
         * request unread would reset the connection, and ctl would not see why. */
        conn->denied = denied;
        conn->c = c;
        conn->fd = fd;
        conn->next = c->conns;
        c->conns = conn;
        c->n_conns++;
        ev_io_init(&conn->io, on_conn_read, fd, EV_READ);
        conn->io.data = conn;
        ev_io_start(c->loop, &conn->io);
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
                          .fd = -1};
    c->path = strdup(path);
    if (!c->path) {
        r = -ENOMEM;
        goto fail;
    }
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        r = -errno;
        goto fail;
    }
    /* A socket left by a daemon that crashed: ours now (the caller holds the lock). Anything
     * else at that path is not ours to remove. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
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
    fd_close(&c->fd);
    (void) unlink(c->path); /* gone already: fine */
    free(c->path);
    free(c);
}
