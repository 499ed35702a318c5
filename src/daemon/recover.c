/* recover.c: leftovers of a crashed daemon, found by marker, recorded identity, group and
 * parentage, and killed by pidfd (recover.h). It runs before the daemon starts anything, or
 * for one run whose supervisor died, so it may block: it polls /proc until the leftovers are
 * gone. */
#include "recover.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/pin.h"
#include "core/procenv.h"
#include "core/timer.h"
#include "core/tree.h"

#define POLL_S 0.01

enum { UNKNOWN, IN, OUT, VISITING };

struct scan {
    struct proc_table t;     /* sorted by pid */
    char *mark;              /* per entry: UNKNOWN / IN / OUT */
    const char **why;
    pid_t *groups;           /* recorded pgids that hold a verified process */
    size_t groups_len;
    struct pin_chain chain;  /* scratch: a leftover's parent chain */
};

bool recover_has_marker(pid_t pid, const char *marker, bool exact)
{
    struct proc_entry e;

    return proc_stat_read(pid, &e) == 0 && procenv_has(&e, marker, exact);
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
        if (!proc_entry_alive(e) || !procenv_has(e, spec->marker, spec->exact))
            continue;
        s->why[i] = recorded(spec->state, e) ? "recorded" : "marker";
        s->mark[i] = IN;
        if (recorded_group(spec->state, e->pgid) && !in_groups(s, e->pgid))
            s->groups[s->groups_len++] = e->pgid;
    }
    for (size_t i = 0; i < s->t.len; i++) {
        const struct proc_entry *e = &s->t.v[i];
        if (resolve(s, i) == IN && proc_entry_alive(e))
            alive++;
    }
    return alive;
}

struct proof {
    const struct scan *s;
    const struct recover_spec *spec;
    const struct proc_entry *top; /* the chain's top in the scan: why it is a leftover */
    const char *why;
    size_t top_i;                 /* its place in the chain */
};

/* Judges a pinned process of a leftover's chain from its fresh facts: the top by the reason
 * the scan found it for, everything below it only as a child of the one above. */
static enum pin_verdict judge(const struct pin *p, size_t chain_i, void *userdata)
{
    const struct proof *pf = userdata;
    const struct proc_entry *e = &p->e;

    if (e->pid <= 1 || e->pid == 2 || e->ppid == 2 || e->pid == getpid())
        return PIN_REJECT;
    if (chain_i != pf->top_i)
        return PIN_IF_PARENT; /* below the top: a leftover as a child of the one above */
    if (strcmp(pf->why, "group") != 0)
        /* "marker" and "recorded" alike stand on the marker (a record alone proves nothing).
         * The environment is read by number too: still held after the read, it was its own. */
        return procenv_has(e, pf->spec->marker, pf->spec->exact) && pin_holds(p)
                   ? PIN_ANCHOR
                   : PIN_REJECT;
    if (e->start != pf->top->start)
        return PIN_REJECT;
    /* "group": still in the recorded group that a verified process was seen in */
    return e->pgid == pf->top->pgid && in_groups(pf->s, e->pgid) ? PIN_ANCHOR : PIN_REJECT;
}

/* Kills the leftover v[i] of the scan through a pidfd, once the reason it was found for holds
 * on facts read while it (and each parent its reason goes through) was pinned (pin_prove()):
 * a process that took a leftover's pid since the scan, however soon, is not touched. Returns
 * 1 if killed, 0 if not (gone, or not proven now: the next scan tries again), or -ENOMEM. */
static int kill_one(struct scan *s, const struct recover_spec *spec, size_t i)
{
    const struct proc_entry *e = &s->t.v[i], *top = e;
    struct proof pf = {.s = s, .spec = spec};
    struct pin p = PIN_INIT;
    int r;

    /* The chain up to the first process found for a reason of its own. */
    s->chain.len = 0;
    for (;;) {
        size_t k = (size_t) (top - s->t.v);
        if (pin_chain_push(&s->chain, top->pid) < 0)
            return -ENOMEM;
        if (!s->why[k] || strcmp(s->why[k], "descendant") != 0 || s->chain.len > s->t.len)
            break;
        top = find(s, top->ppid);
        if (!top)
            return 0;
    }
    pf.top = top;
    pf.top_i = s->chain.len - 1;
    pf.why = s->why[top - s->t.v] ? s->why[top - s->t.v] : "marker";
    r = pin_prove(&s->chain, judge, &pf, &p);
    if (r < 0)
        return 0;
    /* Proven a leftover; if not the process the scan saw, the next scan judges it. */
    r = p.e.start == e->start && proc_entry_alive(&p.e) && pin_kill(&p, SIGKILL) == 0;
    pin_close(&p);
    return r;
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
            int k;
            if (s.mark[i] != IN || !proc_entry_alive(e))
                continue;
            k = kill_one(&s, spec, i);
            if (k < 0) {
                r = k;
                goto out;
            }
            if (k == 1 && !tree_contains(&killed, e->pid, e->start)) {
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
    pin_chain_free(&s.chain);
    return r;
}
