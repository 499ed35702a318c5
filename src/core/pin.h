/* pin.h: a process held by a pidfd, and the /proc facts read while it was held.
 *
 * A pid names a process only while that process holds it: once it is reaped, the number may
 * go to a stranger at once, even within the same clock tick (so its start time cannot tell
 * them apart). A pidfd names one process for good, but /proc is read by number. pin_open()
 * joins the two: it opens the pidfd first, then reads /proc/PID/stat, then checks that the
 * pidfd's process still holds the pid (it is not reaped, zombies included). If it does, it held
 * the pid all along, so the facts read are its own. Membership is then decided from those
 * facts (its group, its parent), never from an older snapshot. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"

struct pin {
    int fd;              /* the pidfd; -1 where the kernel has no pidfds (see pin_open) */
    struct proc_entry e; /* /proc/PID/stat, read while fd held the process */
};

/* Pins pid and reads its stat. Returns 0, -ESRCH if it is gone (or was replaced while we
 * read), or -errno (-EMFILE...). Without pidfds (Linux < 5.3: ENOSYS) ret->fd is -1 and the
 * facts come from a plain read: a pid recycled in between cannot be told apart there. */
int pin_open(pid_t pid, struct pin *ret);

/* True while the pinned process still holds its pid (alive or an unreaped zombie). */
bool pin_holds(const struct pin *p);

/* Sends sig to the pinned process. Returns 0 or -errno (-ESRCH: it has exited). */
int pin_kill(const struct pin *p, int sig);

/* What the caller knows of a pinned process from its fresh facts alone: it belongs (an anchor:
 * in the job's group, a child of the root, carrying a marker...), it belongs if its parent
 * does, or it must not be touched. chain_i is its place in the chain (0: the target). */
enum pin_verdict { PIN_REJECT = -1, PIN_IF_PARENT = 0, PIN_ANCHOR = 1 };
typedef enum pin_verdict pin_anchor_fn(const struct pin *p, size_t chain_i, void *userdata);

/* A parent chain as a snapshot saw it: v[0] the target, each next one the parent of the one
 * before, the last one an anchor. Zeroed is empty; the buffer is reused. */
struct pin_chain {
    pid_t *v;
    size_t len, cap;
};

/* Appends pid. Returns 0 or -ENOMEM. */
int pin_chain_push(struct pin_chain *c, pid_t pid);

void pin_chain_free(struct pin_chain *c);

/* Proves that c->v[0] belongs. The chain is pinned from the top down: each process is pinned,
 * its facts read, and judged by anchor; one that is no anchor belongs only if its fresh parent
 * is the process pinned just above it, and that one still holds its pid after the read, so
 * the parent named is the member pinned and not a stranger that took its number meanwhile.
 * Returns 0 with c->v[0] pinned in *ret, -ESRCH if c->v[0] is gone, -EAGAIN if the chain does
 * not hold now (a parent gone or changed, or a verdict PIN_REJECT), or -errno. */
int pin_prove(const struct pin_chain *c, pin_anchor_fn *anchor, void *userdata,
              struct pin *ret);

/* Closes the pidfd; safe twice. A pin that may never be opened starts as PIN_INIT, so that
 * closing it is harmless ({0} would close fd 0). */
void pin_close(struct pin *p);

#define PIN_INIT ((struct pin){.fd = -1})
