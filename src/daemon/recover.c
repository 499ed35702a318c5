/* recover.c: leftovers of a crashed daemon, found by marker, recorded identity, group and
 * parentage, and killed by pidfd (recover.h). It runs before the daemon starts anything, or
 * for one run whose supervisor died, so it may block: it polls /proc until the leftovers are
 * gone. */
#include "recover.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/pidfd.h"
#include "core/timer.h"
#include "core/tree.h"

#define POLL_S 0.01
#define ENVIRON_MAX ((size_t) 16 << 20)

enum { UNKNOWN, IN, OUT, VISITING };

struct scan {
    struct proc_table t;     /* sorted by pid */
    char *mark;              /* per entry: UNKNOWN / IN / OUT */
    const char **why;
    pid_t *groups;           /* recorded pgids that hold a verified process */
    size_t groups_len;
};

bool recover_has_marker(pid_t pid, const char *marker, bool exact)
{
    char path[64], *buf = NULL;
    size_t len = 0, cap = 0, mlen = strlen(marker);
    bool found = false;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            char *b;
            if (cap >= ENVIRON_MAX)
                break;
            cap = cap ? cap * 2 : 16384;
            b = realloc(buf, cap + 1);
            if (!b)
                break;
            buf = b;
        }
        n = fd_read_all(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        if (len < cap)
            break;
    }
    fd_close(&fd);
    for (size_t at = 0; buf && at < len;) {
        const char *entry = buf + at;
        const char *end = memchr(entry, '\0', len - at);
        size_t elen = end ? (size_t) (end - entry) : len - at;
        if (elen >= mlen && memcmp(entry, marker, mlen) == 0 && (!exact || elen == mlen)) {
            found = true;
            break;
        }
        at += elen + 1;
    }
    free(buf);
    return found;
}

static const struct proc_entry *find(const struct scan *s, pid_t pid)
{
    return proc_entries_find(s->t.v, s->t.len, pid);
}

static bool recorded(const struct state *st, const struct proc_entry *e)
{
    if (!st)
        return false;
    for (size_t i = 0; i < st->runs_len; i++) {
        const struct state_run *r = &st->runs[i];
        const struct state_proc *p[] = {&r->guard, &r->engine, &r->leader};
        for (size_t k = 0; k < 3; k++)
            if (p[k]->pid > 0 && p[k]->pid == e->pid && p[k]->start == e->start)
                return true;
    }
    return false;
}

static bool recorded_group(const struct state *st, pid_t pgid)
{
    if (!st || pgid <= 1)
        return false;
    for (size_t i = 0; i < st->runs_len; i++)
        if (st->runs[i].pgid == pgid)
            return true;
    return false;
}

static bool in_groups(const struct scan *s, pid_t pgid)
{
    for (size_t i = 0; i < s->groups_len; i++)
        if (s->groups[i] == pgid)
            return true;
    return false;
}

/* Never ours to kill: pid 1, kernel threads, ourselves and our ancestors. */
static bool untouchable(const struct scan *s, const struct proc_entry *e)
{
    pid_t p = getpid();

    if (e->pid <= 1 || e->ppid == 2 || e->pid == 2)
        return true;
    for (int depth = 0; p > 1 && depth < 4096; depth++) {
        const struct proc_entry *a;
        if (p == e->pid)
            return true;
        a = find(s, p);
        if (!a)
            break;
        p = a->ppid;
    }
    return false;
}

static char resolve(struct scan *s, size_t i)
{
    const struct proc_entry *e = &s->t.v[i], *parent;
    char m;

    if (s->mark[i] != UNKNOWN)
        return s->mark[i] == VISITING ? OUT : s->mark[i];
    if (in_groups(s, e->pgid)) {
        s->why[i] = "group";
        return s->mark[i] = IN;
    }
    parent = e->ppid > 1 ? find(s, e->ppid) : NULL;
    if (!parent)
        return s->mark[i] = OUT;
    s->mark[i] = VISITING;
    m = resolve(s, (size_t) (parent - s->t.v));
    if (m == IN)
        s->why[i] = "descendant";
    return s->mark[i] = m;
}

/* Marks the leftovers of one snapshot. Returns how many are alive, or -ENOMEM. */
static int classify(struct scan *s, const struct recover_spec *spec)
{
    int alive = 0;

    proc_entries_sort(s->t.v, s->t.len);
    free(s->mark);
    free(s->why);
    free(s->groups);
    s->mark = calloc(s->t.len + 1, 1);
    s->why = calloc(s->t.len + 1, sizeof(*s->why));
    s->groups = calloc(s->t.len + 1, sizeof(*s->groups));
    s->groups_len = 0;
    if (!s->mark || !s->why || !s->groups)
        return -ENOMEM;
    /* Verified processes first: they make their recorded groups trustworthy. */
    for (size_t i = 0; i < s->t.len; i++) {
        const struct proc_entry *e = &s->t.v[i];
        if (untouchable(s, e)) {
            s->mark[i] = OUT;
            continue;
        }
        /* A record alone is not enough: whoever could write the state file could name any
         * process there. A recorded process counts only if it carries the marker too (every
         * process of a run inherits it); the record then also vouches for its group. */
        if (e->state == 'Z' || e->state == 'X' ||
            !recover_has_marker(e->pid, spec->marker, spec->exact))
            continue;
        s->why[i] = recorded(spec->state, e) ? "recorded" : "marker";
        s->mark[i] = IN;
        if (recorded_group(spec->state, e->pgid) && !in_groups(s, e->pgid))
            s->groups[s->groups_len++] = e->pgid;
    }
    for (size_t i = 0; i < s->t.len; i++) {
        const struct proc_entry *e = &s->t.v[i];
        if (resolve(s, i) == IN && e->state != 'Z' && e->state != 'X')
            alive++;
    }
    return alive;
}

void recover_kill_one(pid_t pid, unsigned long long start)
{
    struct proc_entry now;
    int pidfd = pidfd_get(pid);

    /* pidfd_open: Linux 5.3+; ENOSYS → kill() by pid right after the start-time check. */
    if (pidfd < 0 && pidfd != -ENOSYS)
        return; /* gone */
    if (proc_stat_read(pid, &now) == 0 && now.start == start)
        (void) pidfd_kill(pidfd, pid, SIGKILL); /* ESRCH: it died meanwhile */
    fd_close(&pidfd);
}

int recover_kill(const struct recover_spec *spec, double limit_s, recover_note_fn *note,
                 void *userdata)
{
    const struct timespec tick = {.tv_nsec = (long) (POLL_S * 1e9)};
    double limit = timer_now() + limit_s;
    struct proc_table killed = {0};
    struct scan s = {0};
    int r;

    for (;;) {
        int alive;
        r = proc_scan(&s.t);
        if (r < 0)
            break;
        alive = classify(&s, spec);
        if (alive < 0) {
            r = alive;
            break;
        }
        if (alive == 0) {
            r = (int) killed.len;
            break;
        }
        if (timer_now() > limit) {
            r = -ETIMEDOUT;
            break;
        }
        for (size_t i = 0; i < s.t.len; i++) {
            const struct proc_entry *e = &s.t.v[i];
            if (s.mark[i] != IN || e->state == 'Z' || e->state == 'X')
                continue;
            recover_kill_one(e->pid, e->start);
            if (!tree_contains(&killed, e->pid, e->start)) {
                if (proc_table_add(&killed, e) < 0) {
                    r = -ENOMEM;
                    goto out;
                }
                if (note)
                    note(e, s.why[i] ? s.why[i] : "marker", userdata);
            }
        }
        (void) nanosleep(&tick, NULL); /* EINTR: scan again sooner, no harm */
    }
out:
    proc_table_free(&s.t);
    proc_table_free(&killed);
    free(s.mark);
    free(s.why);
    free(s.groups);
    return r;
}
