/* reaper.c: reaping the daemon's adopted orphans without touching libpgsup's children (see
 * reaper.h). The children are listed by proc_each_child(), zombies included until they are
 * reaped. */
#include "reaper.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/proc.h"
#include "core/procns.h"

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

    return (x > y) - (x < y);
}

static bool owned(const struct reaper *r, pid_t pid)
{
    return r->len && bsearch(&pid, r->owned, r->len, sizeof(pid), cmp_pid);
}

int reaper_own(struct reaper *r, pid_t pid)
{
    size_t i = 0;

    if (owned(r, pid))
        return 0;
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        pid_t *v = realloc(r->owned, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->owned = v;
        r->cap = cap;
    }
    while (i < r->len && r->owned[i] < pid)
        i++;
    memmove(r->owned + i + 1, r->owned + i, (r->len - i) * sizeof(*r->owned));
    r->owned[i] = pid;
    r->len++;
    return 0;
}

void reaper_disown(struct reaper *r, pid_t pid)
{
    pid_t *p = r->len ? bsearch(&pid, r->owned, r->len, sizeof(pid), cmp_pid) : NULL;

    if (!p)
        return;
    memmove(p, p + 1, (size_t) (r->owned + r->len - (p + 1)) * sizeof(*p));
    r->len--;
}

void reaper_free(struct reaper *r)
{
    free(r->owned);
    *r = (struct reaper){0};
}

struct visit {
    struct reaper *r;
    int count;
};

static int reap_one(pid_t pid, void *userdata)
{
    struct visit *v = userdata;
    siginfo_t si = {0};

    if (owned(v->r, pid))
        return 0;
    /* WNOHANG: a live adopted child stays; ECHILD: someone reaped it meanwhile. */
    if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == pid)
        v->count++;
    return 0;
}

static int count_one(pid_t pid, void *userdata)
{
    struct visit *v = userdata;
    struct proc_entry e;

    if (!owned(v->r, pid) && proc_stat_read(pid, &e) == 0 && proc_entry_alive(&e))
        v->count++;
    return 0;
}

/* Calls fn for each of our children, as proc_each_child() lists them: from the children files,
 * or by a full /proc scan where the kernel has none, so that the reaper works there too.
 * Returns fn's count or -errno. */
static int each_child(struct reaper *r, proc_child_fn *fn)
{
    struct visit v = {.r = r};
    int err = proc_each_child(getpid(), fn, &v);

    return err < 0 ? err : v.count;
}

/* Without a /proc of our PID namespace (procns.h) /proc/self/task/TID/children lists other
 * processes' numbers: the exited children are found one at a time with WNOWAIT instead. An
 * owned one ends the pass: libpgsup reaps it, and the runner calls reaper_reap() after that. */
static int reap_unlisted(struct reaper *r)
{
    struct visit v = {.r = r};

    for (;;) {
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0 ||
            owned(r, si.si_pid))
            return v.count;
        reap_one(si.si_pid, &v);
    }
}

int reaper_reap(struct reaper *r)
{
    return procns_check() < 0 ? reap_unlisted(r) : each_child(r, reap_one);
}

int reaper_count_adopted(struct reaper *r)
{
    /* Live children cannot be listed without our /proc: none is counted (as PID 1, the
     * kernel kills them when the daemon exits). */
    return procns_check() < 0 ? 0 : each_child(r, count_one);
}
