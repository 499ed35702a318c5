/* leftovers.c: the end of a tree whose library supervisor died (leftovers.h). Runs on the
 * host's thread, from its loop, only after such a death: it may block while /proc is
 * polled. */
#include "leftovers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/pin.h"
#include "core/proc.h"
#include "core/procenv.h"
#include "core/timer.h"

#define POLL_S 0.005

void leftovers_marker(char ret[LEFTOVERS_MARKER_MAX])
{
    static unsigned long long counter; /* only without getrandom(): any thread, best effort */
    unsigned long long r;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r))
        r = ((unsigned long long) getpid() << 32) ^ (unsigned long long) time(NULL) ^
            __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 2654435761ULL;
    snprintf(ret, LEFTOVERS_MARKER_MAX, "PGSUP_RUN_%016llX=1", r);
}

/* Kills e if, pinned, it still carries the marker: the environment read between pin_open()
 * and pin_holds() is the pinned process's own, not a stranger's that took its pid. */
static bool kill_marked(const struct proc_entry *e, const char *marker)
{
    struct pin p = PIN_INIT;
    bool killed = false;

    if (pin_open(e->pid, &p) == 0 && p.e.start == e->start && procenv_has(&p.e, marker, true) &&
        pin_holds(&p))
        killed = pin_kill(&p, SIGKILL) == 0;
    pin_close(&p);
    return killed;
}

int leftovers_kill(pid_t pgid, const char *marker, double limit_s)
{
    const struct timespec tick = {.tv_nsec = (long) (POLL_S * 1e9)};
    double limit = timer_now() + limit_s;
    struct proc_table t = {0};
    int killed = 0, r;

    if (pgid > 0)
        (void) kill(-pgid, SIGKILL); /* ESRCH: nobody is left in it */
    for (;;) {
        int alive = 0;
        r = proc_scan(&t);
        if (r < 0)
            break;
        for (size_t i = 0; i < t.len; i++) {
            const struct proc_entry *e = &t.v[i];
            if (e->pid == getpid() || !proc_entry_alive(e) || !procenv_has(e, marker, true))
                continue;
            alive++;
            killed += kill_marked(e, marker);
        }
        if (alive == 0) {
            r = killed;
            break;
        }
        if (timer_now() > limit) {
            r = -ETIMEDOUT;
            break;
        }
        (void) nanosleep(&tick, NULL); /* EINTR: scan again sooner, no harm */
    }
    proc_table_free(&t);
    return r;
}
