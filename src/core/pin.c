/* pin.c: pidfd first, /proc second, then a check that the pidfd still holds the pid (pin.h).
 * pidfd_open: Linux 5.3+; ENOSYS → the pid alone, with the recycling window documented. */
#include "pin.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "fd.h"
#include "pidfd.h"

int pin_open(pid_t pid, struct pin *ret)
{
    struct pin p = PIN_INIT;
    int r;

    p.fd = pidfd_get(pid);
    if (p.fd < 0 && p.fd != -ENOSYS)
        return p.fd == -EINVAL ? -ESRCH : p.fd; /* EINVAL: not a process (a thread id) */
    if (p.fd < 0)
        p.fd = -1;
    r = proc_stat_read(pid, &p.e);
    /* The stat file was read by number: it is the pinned process's only if that process
     * still holds the number now, after the read. */
    if (r == 0 && !pin_holds(&p))
        r = -ESRCH;
    if (r < 0) {
        pin_close(&p);
        return r;
    }
    *ret = p;
    return 0;
}

bool pin_holds(const struct pin *p)
{
    /* Signal 0 checks only that the pid still has its process: a zombie counts, as it keeps
     * the number until it is reaped. EPERM: it exists, but is not ours to signal. */
    int r = pidfd_kill(p->fd, p->e.pid, 0);

    return r == 0 || r == -EPERM;
}

int pin_kill(const struct pin *p, int sig)
{
    return pidfd_kill(p->fd, p->e.pid, sig);
}

int pin_chain_push(struct pin_chain *c, pid_t pid)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        pid_t *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->len++] = pid;
    return 0;
}

void pin_chain_free(struct pin_chain *c)
{
    free(c->v);
    *c = (struct pin_chain){0};
}

int pin_prove(const struct pin_chain *c, pin_anchor_fn *anchor, void *userdata,
              struct pin *ret)
{
    struct pin up = PIN_INIT, cur = PIN_INIT;
    int r = -EAGAIN;

    for (size_t i = c->len; i-- > 0;) {
        enum pin_verdict v;
        r = pin_open(c->v[i], &cur);
        if (r < 0) {
            /* the target gone: nothing to prove; a parent gone: its children moved */
            if (r == -ESRCH && i > 0)
                r = -EAGAIN;
            goto fail;
        }
        v = anchor(&cur, i, userdata);
        if (v == PIN_REJECT || (v == PIN_IF_PARENT && !(i + 1 < c->len &&
                                                        cur.e.ppid == c->v[i + 1] &&
                                                        pin_holds(&up)))) {
            r = -EAGAIN;
            goto fail;
        }
        pin_close(&up);
        up = cur;
        cur = PIN_INIT;
    }
    if (c->len == 0)
        return -EAGAIN;
    *ret = up;
    return 0;
fail:
    pin_close(&cur);
    pin_close(&up);
    return r;
}

void pin_close(struct pin *p)
{
    fd_close(&p->fd);
}
