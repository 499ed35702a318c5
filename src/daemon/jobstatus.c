/* jobstatus.c: ctl status (jobstatus.h): each job's state, pid, group, uptime, restarts, last
 * exit and the live members of its tree (from one /proc snapshot), as a table for people or
 * one line of JSON, and supervisorctl's exit status for it. */
#include "jobstatus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proc.h"
#include "core/timer.h"

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
        buf_add(b, ",\"group\":");
        buf_json_string(b, supervisor_target_spec(job)->group);
        buf_add(b, ",\"process\":");
        buf_json_string(b, supervisor_target_spec(job)->process);
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
    buf_add(b, "]");
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

char *jobstatus_format(struct job **jobs, size_t len, bool json, const char *const *unknown,
                       size_t unknown_len)
{
    struct members m = {0};
    struct buf b = {0};

    members_load(&m, jobs, len);
    if (json) {
        status_json(&b, &m);
        /* Names that mean no job: in the JSON too, so that a reader gets JSON whatever it
         * asked. */
        buf_add(&b, ",\"unknown\":[");
        for (size_t i = 0; i < unknown_len; i++) {
            buf_add(&b, "%s", i ? "," : "");
            buf_json_string(&b, unknown[i]);
        }
        buf_add(&b, "]}\n");
    } else {
        status_table(&b, &m);
    }
    members_free(&m);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int jobstatus_exit(struct job **jobs, size_t len, size_t unknown_len)
{
    int status = unknown_len > 0 ? JOBSTATUS_UNKNOWN : 0;

    /* supervisorctl 4.2's do_status(): an unknown name sets 4, then any job shown in a
     * stopped state (STOPPED, EXITED, FATAL) sets 3, over the 4. STARTING, BACKOFF and
     * STOPPING count as running. */
    for (size_t i = 0; i < len; i++)
        if (jobs[i]->state == JOB_STOPPED || jobs[i]->state == JOB_EXITED ||
            jobs[i]->state == JOB_FATAL)
            status = JOBSTATUS_NOT_RUNNING;
    return status;
}
