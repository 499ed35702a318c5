/* kill.c: the sweep. The group gets one kill(-pgid) per phase, which reaches every member
 * atomically, however fast they fork; a member counts as reached by it only if it is still in
 * the group after the signal (one that left between the snapshot and kill(-pgid) is treated as
 * an escapee). Escapees (members outside the group) are signalled one by one, each through a
 * pidfd opened before its membership is checked from fresh /proc facts (pin.h): it is in the
 * group, or its parent is the root, or its parent is a pinned member. A stranger that got a
 * recycled pid fails that check, whatever its start time. Stopped processes act on nothing
 * but SIGKILL until they are continued, so every other signal is followed by SIGCONT, except
 * the stop signals, which SIGCONT would undo. Timing (grace, repeats) is the caller's: this
 * file never waits.
 *
 * A spare process in the group (tree.h: pgsup timeout's guard, leading it as coreutils'
 * timeout does) gets the group's signals, which it ignores as ours, but SIGKILL would end it:
 * then the group's members get SIGKILL one by one like escapees, each sweep, until none is
 * left. */
#include "kill.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "pidfd.h"

void kill_init(struct killer *k, const struct tree_scope *scope)
{
    *k = (struct killer){.scope = *scope};
    if (scope->nested_jobs)
        k->root_sid = getsid(scope->root); /* our own session: cannot fail */
}

/* scope.nested_jobs: e is in a job of its own within our session, below someone who manages
 * it (kill.h). */
static bool in_nested_job(const struct killer *k, const struct proc_entry *e)
{
    return k->scope.nested_jobs && e->pgid != k->scope.pgid && e->sid == k->root_sid &&
           e->ppid != k->scope.root;
}

void kill_free(struct killer *k)
{
    proc_table_free(&k->sent);
    proc_table_free(&k->scan);
    proc_table_free(&k->members);
    pin_chain_free(&k->chain);
}

static bool is_excluded(const struct killer *k, pid_t pid)
{
    return pid == k->scope.exclude || (k->scope.spare > 0 && pid == k->scope.spare);
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

/* A member without looking further up: in the group, or a child of the root. */
static bool is_anchor(const struct killer *k, const struct proc_entry *e)
{
    return (k->scope.pgid > 0 && e->pgid == k->scope.pgid) || e->ppid == k->scope.root;
}

/* Fills k->chain with e's pid and its ancestors as the snapshot saw them, up to the first
 * anchor. Returns 0, -EAGAIN if the snapshot shows no such chain (it changed while it was
 * read), or -ENOMEM. */
static int chain_of(struct killer *k, const struct proc_entry *e)
{
    k->chain.len = 0;
    for (;;) {
        if (pin_chain_push(&k->chain, e->pid) < 0)
            return -ENOMEM;
        if (is_anchor(k, e))
            return 0;
        /* Longer than the snapshot: a parent loop, only possible in a torn snapshot. */
        if (k->chain.len > k->scan.len)
            return -EAGAIN;
        e = proc_entries_find(k->scan.v, k->scan.len, e->ppid);
        if (!e || is_excluded(k, e->pid))
            return -EAGAIN;
    }
}

static enum pin_verdict judge(const struct pin *p, size_t chain_i, void *userdata)
{
    const struct killer *k = userdata;

    (void) chain_i;
    if (is_excluded(k, p->e.pid))
        return PIN_REJECT;
    return is_anchor(k, &p->e) ? PIN_ANCHOR : PIN_IF_PARENT;
}

/* Signals the member e of the snapshot through a pidfd, once its membership is proven from
 * facts read while pinned (pin_prove()). Returns 1 if signalled (*ret_pgid: its group now), 0
 * if e is gone (its pid may belong to another process now), -EAGAIN if membership could not
 * be proven now (the next sweep tries again), or -errno. */
static int reach(struct killer *k, const struct proc_entry *e, int sig, pid_t *ret_pgid)
{
    struct pin p = PIN_INIT;
    int r = chain_of(k, e);

    if (r < 0)
        return r;
    r = pin_prove(&k->chain, judge, k, &p);
    if (r < 0)
        return r == -ESRCH ? 0 : r;
    /* A member for sure; if it is not the process the snapshot saw, that one is gone, and
     * this one is news for the next sweep (which decides whether it gets the signal). */
    if (p.e.start != e->start || !proc_entry_alive(&p.e)) {
        pin_close(&p);
        return 0;
    }
    send_with_cont(p.fd, p.e.pid, sig);
    *ret_pgid = p.e.pgid;
    pin_close(&p);
    return 1;
}

/* After kill(-pgid): true if it reached e, which the snapshot saw in the group, or if e is
 * gone. A member that left the group (setsid(), setpgid()) between the snapshot and the
 * signal got nothing; one that left just after got it and may get it twice: better than
 * never. One that left and came back (setpgid() twice) before this read looks reached; with
 * a grace, the KILL phase still ends it. */
static bool reached_by_group(const struct killer *k, const struct proc_entry *e)
{
    struct proc_entry now;

    if (proc_stat_read(e->pid, &now) < 0 || now.start != e->start)
        return true;
    return now.pgid == k->scope.pgid;
}

/* Reads the process table the scope needs: the root's descendants where the kernel lists
 * children (the cost follows the tree, not the host), else all of /proc. Members outside the
 * root's descendants can only be in the group, which kill(-pgid) reaches without a list. */
static int snapshot(struct killer *k)
{
    int r = -ENOSYS;

    if (k->scope.root > 0 && !k->whole_proc) {
        r = proc_scan_descendants(k->scope.root, &k->scan);
        if (r == -ENOSYS)
            k->whole_proc = true;
    }
    if (r == -ENOSYS)
        r = proc_scan(&k->scan);
    /* Sorted, for the parent chains of reach(). */
    if (r == 0)
        proc_entries_sort(k->scan.v, k->scan.len);
    return r;
}

static int sweep(struct killer *k, bool first, kill_note_fn *note, void *userdata)
{
    const int sig = k->sig;
    const pid_t pgid = k->scope.pgid;
    unsigned in_group = 0;
    bool spare_in_group;
    int n, r;

    /* KILL goes to the group before the snapshot: the kernel starts ending the members at
     * once (on another CPU) instead of after our walk of /proc, and a member it reaches can
     * no longer fork or leave the group. An escapee that moves to the subreaper while the
     * snapshot walks is found by the caller's next sweep, which the KILL phase repeats while
     * anything is left. A graceful signal goes after the snapshot (below), so that it counts
     * who existed when it was sent: one signal per member. A spare in the group (above)
     * would die of it: then the KILL goes after the snapshot. */
    if (pgid > 0 && sig == SIGKILL && k->scope.spare == 0)
        send_with_cont(-1, -pgid, sig);
    /* Without a snapshot (no /proc, no memory) the group signal is still sent: it needs none. */
    r = snapshot(k);
    n = r < 0 ? r : tree_members(&k->scan, &k->scope, &k->members);
    if (n < 0)
        k->members.len = 0;
    if (sig == SIGKILL)
        k->sent.len = 0; /* KILL is idempotent: everyone gets it on every sweep */
    if (first)
        k->since = proc_boot_ticks(); /* before the signal: what starts later is newer */
    /* A graceful group signal comes after the snapshot: a member forked in between is still
     * reached by kill(-pgid); one forked after kill(-pgid) is not in `sent`. (Signalling first
     * would let a dying member's escapee move to the subreaper while the snapshot walks, and
     * be missed: the graceful phase does not repeat its signal.) Outside the KILL phase the
     * group gets the phase's signal once. With a spare in the group, SIGKILL goes member by
     * member below, unless no snapshot could be read: then the group it is, spare or not, lest
     * nothing be killed. */
    spare_in_group = sig == SIGKILL && k->scope.spare > 0 && n >= 0;
    if (pgid > 0 && (first || sig == SIGKILL) && !spare_in_group) {
        if (sig != SIGKILL || k->scope.spare > 0) /* else sent before the snapshot */
            send_with_cont(-1, -pgid, sig);
        for (size_t i = 0; i < k->members.len; i++) {
            const struct proc_entry *e = &k->members.v[i];
            /* With KILL a member that left meanwhile is an escapee at the next sweep. */
            if (e->pgid != pgid || (sig != SIGKILL && !reached_by_group(k, e)))
                continue;
            in_group++;
            r = proc_table_add(&k->sent, e);
            if (r < 0)
                return r;
        }
        if (note)
            note(&(struct kill_note){.sig = sig, .pid = pgid, .group = true, .count = in_group},
                 userdata);
    }
    for (size_t i = 0; i < k->members.len; i++) {
        const struct proc_entry *e = &k->members.v[i];
        pid_t now_pgid = 0;
        if (tree_contains(&k->sent, e->pid, e->start))
            continue;
        /* A later sweep of a graceful phase: the group had its signal; outside it, only what
         * existed before the signal (started in an earlier clock tick) is still owed it. */
        if (!first && sig != SIGKILL && ((pgid > 0 && e->pgid == pgid) || e->start >= k->since))
            continue;
        if (sig != SIGKILL && in_nested_job(k, e))
            continue;
        r = reach(k, e, sig, &now_pgid);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            continue; /* not proven a member now: not signalled, tried again next sweep */
        if (proc_table_add(&k->sent, e) < 0)
            return -ENOMEM;
        if (r == 1 && note)
            note(&(struct kill_note){.sig = sig, .pid = e->pid, .escapee = now_pgid != pgid},
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

int kill_group(struct killer *k, int sig)
{
    assert(k->scope.pgid > 0);
    k->sig = sig;
    k->sent.len = 0;
    k->since = proc_boot_ticks();
    return kill(-k->scope.pgid, sig) < 0 ? -errno : 0;
}

int kill_sweep(struct killer *k, kill_note_fn *note, void *userdata)
{
    return sweep(k, false, note, userdata);
}

int kill_count(struct killer *k)
{
    int r = snapshot(k);

    return r < 0 ? r : tree_members(&k->scan, &k->scope, &k->members);
}
