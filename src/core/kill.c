/* kill.c: the sweep. The group gets one kill(-pgid) per phase, which reaches every member
 * atomically, however fast they fork; escapees (members outside the group) are signalled
 * one by one, each through a pidfd checked against the snapshot's start time so that a
 * recycled pid is never signalled. Stopped processes act on nothing but SIGKILL until they
 * are continued, so every other signal is followed by SIGCONT, except the stop signals, which
 * SIGCONT would undo. Timing (grace, repeats) is the caller's: this file never waits. */
#include "kill.h"

#include <errno.h>
#include <signal.h>

#include "fd.h"
#include "pidfd.h"

void kill_init(struct killer *k, const struct tree_scope *scope)
{
    *k = (struct killer){.scope = *scope};
}

void kill_free(struct killer *k)
{
    proc_table_free(&k->sent);
    proc_table_free(&k->scan);
    proc_table_free(&k->members);
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void send_with_cont(int pidfd, pid_t pid, int sig)
{
    /* Errors mean the target is already gone (ESRCH) or not ours to signal (EPERM, after a
     * setuid exec); either way the next sweep sees what is left. */
    (void) pidfd_kill(pidfd, pid, sig);
    /* A stop signal is sent to stop the tree (pgsup_signal(p, SIGSTOP)): no SIGCONT after. */
    if (sig != SIGKILL && sig != SIGCONT && !is_stop_signal(sig))
        (void) pidfd_kill(pidfd, pid, SIGCONT);
}

static void signal_escapee(const struct proc_entry *e, int sig)
{
    struct proc_entry now;
    int pidfd = pidfd_get(e->pid);

    if (pidfd < 0 && pidfd != -ENOSYS)
        return; /* gone */
    /* Between the snapshot and pidfd_get the pid may have been reused: the start time tells.
     * Once the pidfd is open it pins the process, so the check cannot go stale. Without
     * pidfds (ENOSYS) the window between check and kill() remains, as small as we can make it. */
    if (proc_stat_read(e->pid, &now) == 0 && now.start == e->start)
        send_with_cont(pidfd, e->pid, sig);
    fd_close(&pidfd);
}

/* Reads the process table the scope needs: the root's descendants where the kernel lists
 * children (the cost follows the tree, not the host), else all of /proc. Members outside the
 * root's descendants can only be in the group, which kill(-pgid) reaches without a list. */
static int snapshot(struct killer *k)
{
    if (k->scope.root > 0 && !k->whole_proc) {
        int r = proc_scan_descendants(k->scope.root, &k->scan);
        if (r != -ENOSYS)
            return r;
        k->whole_proc = true;
    }
    return proc_scan(&k->scan);
}

static int sweep(struct killer *k, bool group, kill_note_fn *note, void *userdata)
{
    const int sig = k->sig;
    unsigned in_group = 0;
    int n, r;

    /* Without a snapshot (no /proc, no memory) the group signal is still sent: it needs none. */
    r = snapshot(k);
    n = r < 0 ? r : tree_members(&k->scan, &k->scope, &k->members);
    if (n < 0)
        k->members.len = 0;
    if (sig == SIGKILL)
        k->sent.len = 0; /* KILL is idempotent: everyone gets it on every sweep */
    /* The group signal comes after the snapshot: a member forked in between is still reached
     * by kill(-pgid); one forked after kill(-pgid) is not in `sent` and gets the next sweep.
     * (Signalling first would let a dying member's escapee move to the subreaper while the
     * snapshot walks, and be missed until the next sweep.) */
    if (group && k->scope.pgid > 0) {
        send_with_cont(-1, -k->scope.pgid, sig);
        for (size_t i = 0; i < k->members.len; i++) {
            if (k->members.v[i].pgid != k->scope.pgid)
                continue;
            in_group++;
            r = proc_table_add(&k->sent, &k->members.v[i]);
            if (r < 0)
                return r;
        }
        if (note)
            note(&(struct kill_note){.sig = sig, .pid = k->scope.pgid, .group = true,
                                     .count = in_group},
                 userdata);
    }
    for (size_t i = 0; i < k->members.len; i++) {
        const struct proc_entry *e = &k->members.v[i];
        if (tree_contains(&k->sent, e->pid, e->start))
            continue;
        signal_escapee(e, sig);
        r = proc_table_add(&k->sent, e);
        if (r < 0)
            return r;
        if (note)
            note(&(struct kill_note){.sig = sig, .pid = e->pid,
                                     .escapee = e->pgid != k->scope.pgid},
                 userdata);
    }
    return n;
}

int kill_phase(struct killer *k, int sig, kill_note_fn *note, void *userdata)
{
    k->sig = sig;
    k->sent.len = 0;
    return sweep(k, true, note, userdata);
}

int kill_sweep(struct killer *k, kill_note_fn *note, void *userdata)
{
    return sweep(k, k->sig == SIGKILL, note, userdata);
}

int kill_count(struct killer *k)
{
    int r = snapshot(k);

    return r < 0 ? r : tree_members(&k->scan, &k->scope, &k->members);
}
