/* tree.c: membership of a job's tree. A process belongs to the job if it is in the job's
 * group, or if following its parents leads to the job's root or to a group member: that is
 * how an escapee that called setsid() or setpgid() is still found while its parent lives.
 * Orphans re-parented to a subreaper are found because the subreaper is the root. */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>

enum { UNKNOWN, IN, OUT, VISITING };

/* Resolves the membership of v[i] by walking up its parents, then gives the answer to the
 * whole path walked; marks are memoized, so the whole table costs O(n log n). The walk is a
 * loop, not a recursion: a fork chain may be as long as pid_max. path has room for len
 * indices. A parent chain that loops (only possible in a corrupt snapshot) is outside. */
static char resolve(const struct proc_entry *v, size_t len, char *mark, size_t *path, size_t i,
                    const struct tree_scope *s)
{
    size_t n = 0;
    char m;

    for (;;) {
        const struct proc_entry *p;
        if (mark[i] != UNKNOWN) {
            m = mark[i] == VISITING ? OUT : mark[i];
            break;
        }
        if (v[i].pid == s->exclude || (s->spare > 0 && v[i].pid == s->spare)) {
            m = OUT;
            path[n++] = i;
            break;
        }
        if ((s->pgid > 0 && v[i].pgid == s->pgid) || v[i].ppid == s->root) {
            m = IN;
            path[n++] = i;
            break;
        }
        mark[i] = VISITING;
        path[n++] = i;
        p = v[i].ppid > 0 ? proc_entries_find(v, len, v[i].ppid) : NULL;
        if (!p) {
            m = OUT;
            break;
        }
        i = (size_t) (p - v);
    }
    while (n > 0)
        mark[path[--n]] = m;
    return m;
}

int tree_members(const struct proc_table *t, const struct tree_scope *scope,
                 struct proc_table *ret)
{
    struct proc_entry *v;
    size_t *path;
    char *mark;
    int r = 0;

    ret->len = 0;
    if (t->len == 0)
        return 0;
    v = malloc(t->len * sizeof(*v));
    path = malloc(t->len * sizeof(*path));
    mark = calloc(t->len, 1);
    if (!v || !path || !mark) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < t->len; i++)
        v[i] = t->v[i];
    proc_entries_sort(v, t->len);
    for (size_t i = 0; i < t->len; i++) {
        if (resolve(v, t->len, mark, path, i, scope) != IN)
            continue;
        if (!proc_entry_alive(&v[i]))
            continue;
        r = proc_table_add(ret, &v[i]);
        if (r < 0)
            goto out;
    }
    r = (int) ret->len;
out:
    free(mark);
    free(path);
    free(v);
    return r;
}

bool tree_contains(const struct proc_table *t, pid_t pid, unsigned long long start)
{
    for (size_t i = 0; i < t->len; i++)
        if (t->v[i].pid == pid && t->v[i].start == start)
            return true;
    return false;
}
