/* run.c: the life of one supervised tree, as a small state machine on the caller's loop:
 *
 *   RUNNING --deadline / run_terminate / command exits (wait_all)--> STOPPING (sig, grace)
 *   STOPPING --grace over--> KILLING (SIGKILL, repeated until nothing is left)
 *   any --command exits (!wait_all) / tree empty (wait_all)--> DONE
 *
 * While stopping or killing, a recheck timer sweeps again with a backoff. While stopping, it
 * only delivers the stop signal to members that existed when it was sent and that the first
 * sweep missed (re-parented while it walked); what the tree forks during the grace (a TERM
 * trap's cleanup) is let run (kill_sweep()). While killing, it finds and kills everything,
 * however fast it forks. Reaping happens in run_reap(), driven by the caller's SIGCHLD.
 *
 * The end is an event, not a poll: the tree is empty when we have no child left (every member
 * descends from us, the subreaper), which the reap that takes the last one sees at once. While
 * killing, the group had KILL and its members die by themselves: /proc is read only when a
 * reap finds the group empty (kill(-pgid, 0): ESRCH once every member is reaped) with children
 * of ours still alive, which can only be members outside the group (an escapee is re-parented
 * to us when its parent in the group dies), or at once if the group is empty when KILL goes
 * out; the timer stays as a slow net. Without a /proc of our namespace ("blind", see
 * run.h) children that left the group cannot be named, so the group's end is the tree's.
 *
 * command_only (timeout(1)'s --foreground) is the small case: each signal goes to the command
 * by its pid (an unreaped child of ours: the number cannot be reused), nothing is swept, and
 * its reaping ends the run. */
#include "run.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kill.h"
#include "procns.h"
#include "signals.h"
#include "spawn.h"
#include "timer.h"

#define RECHECK_FIRST_S 0.005
#define RECHECK_MAX_S 0.25
/* While killing, the sweeps that matter follow reaps (see the top); the timer is a net for a
 * member outside the group whose end sends us no SIGCHLD. */
#define RECHECK_KILL_FIRST_S 0.05

enum run_state { RUNNING, STOPPING, KILLING, DONE };

struct run {
    struct ev_loop *loop;
    run_done_fn *done;
    run_note_fn *note;
    void *userdata;
    pid_t pid;                 /* the command; set by run_start, read-only after */
    pid_t pgid;                /* its group, numbered by the caller; read-only */
    bool blind;                /* /proc is not our namespace's (procns.h); read-only */
    int signal;
    double kill_after_s;
    bool wait_all;
    bool command_only;         /* read-only */
    enum run_state state;
    bool leader_gone;          /* the command has been reaped */
    bool children_left;        /* the last reap found children still running */
    struct killer killer;
    ev_timer deadline, grace, recheck;
    double recheck_s;
    double start_s;
    struct run_result result;
};

static void note_from_kill(const struct kill_note *k, void *userdata)
{
    struct run *run = userdata;

    run->note(&(struct run_note){.kind = RUN_NOTE_SENT, .sig = k->sig, .pid = k->pid,
                                 .group = k->group, .escapee = k->escapee, .count = k->count},
              run->userdata);
}

static kill_note_fn *kill_notes(struct run *run)
{
    return run->note ? note_from_kill : NULL;
}

static void finish(struct run *run)
{
    run->state = DONE;
    ev_timer_stop(run->loop, &run->deadline);
    ev_timer_stop(run->loop, &run->grace);
    ev_timer_stop(run->loop, &run->recheck);
    run->result.wall_s = timer_now() - run->start_s;
    (void) getrusage(RUSAGE_CHILDREN, &run->result.rusage); /* cannot fail with this who */
    /* Last statement: the callback may free the run. */
    run->done(run, &run->result, run->userdata);
}

/* KILL goes to the whole group at once, and the group's end is an event: not with --verbose,
 * which counts the members first (that takes the snapshot), not blind, and not with a spare in
 * the group (pgsup timeout's guard), which KILL would end. */
static bool group_kill(const struct run *run)
{
    return !run->note && !run->blind && run->killer.scope.spare == 0;
}

static void arm_recheck(struct run *run, bool reset)
{
    if (reset)
        run->recheck_s = run->state == KILLING && group_kill(run) ? RECHECK_KILL_FIRST_S
                                                                  : RECHECK_FIRST_S;
    else if (run->recheck_s < RECHECK_MAX_S)
        run->recheck_s *= 2;
    ev_timer_stop(run->loop, &run->recheck);
    ev_timer_set(&run->recheck, run->recheck_s, 0);
    ev_timer_start(run->loop, &run->recheck);
}

/* Blind only: no process is left in the group. The caller numbered the group with its own
 * pid, which cannot be reused while it lives, so ESRCH cannot mean a stranger's group. */
static bool group_gone(const struct run *run)
{
    return run->blind && kill(-run->pgid, 0) < 0 && errno == ESRCH;
}

/* No process is left in the group, zombies reaped (see group_gone() for why ESRCH is ours). */
static bool group_empty(const struct run *run)
{
    return kill(-run->pgid, 0) < 0 && errno == ESRCH;
}

/* Sends sig to the command alone (command_only), while it is our unreaped child. */
static int signal_command(struct run *run, int sig)
{
    if (run->leader_gone)
        return -ESRCH;
    return kill(run->pid, sig) < 0 ? -errno : 0;
}

static void start_phase(struct run *run, int sig, double grace_s)
{
    if (run->note && !run->leader_gone)
        run->note(&(struct run_note){.kind = RUN_NOTE_SIGNALLED, .sig = sig, .pid = run->pid},
                  run->userdata);
    if (run->command_only) {
        (void) signal_command(run, sig); /* ESRCH: reaped, the run ends at once */
    } else if (sig == SIGKILL && group_kill(run)) {
        /* KILL to the group needs no snapshot: its members die where they are, and /proc is
         * read once the group is empty, for what was outside it (see the top), instead of
         * while the kernel is busy ending them. */
        if (kill_group(&run->killer, sig) == -ESRCH || group_empty(run))
            (void) kill_sweep(&run->killer, NULL, NULL); /* errors: the net retries */
    } else {
        /* A failed snapshot still sent the group signal; the recheck retries the rest. */
        (void) kill_phase(&run->killer, sig, kill_notes(run), run);
    }
    if (sig == SIGKILL) {
        run->state = KILLING;
        if (!run->leader_gone)
            run->result.escalated = true;
    } else {
        if (run->state == RUNNING)
            run->state = STOPPING;
        if (grace_s >= 0 && !ev_is_active(&run->grace)) {
            ev_timer_set(&run->grace, grace_s, 0);
            ev_timer_start(run->loop, &run->grace);
        }
    }
    if (!run->command_only)
        arm_recheck(run, true);
}

static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct run *run = w->data;

    (void) loop;
    (void) revents;
    if (run->state == STOPPING)
        start_phase(run, SIGKILL, -1);
}

static void on_recheck(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct run *run = w->data;

    (void) loop;
    (void) revents;
    (void) kill_sweep(&run->killer, kill_notes(run), run); /* errors: retried next time */
    /* Blind, the group can empty without a SIGCHLD for us (its last member was not our
     * child): the end is noticed here. */
    if (run->leader_gone && group_gone(run)) {
        finish(run);
        return;
    }
    arm_recheck(run, false);
}

void run_expire(struct run *run)
{
    if (run->state == DONE || run->leader_gone)
        return;
    ev_timer_stop(run->loop, &run->deadline);
    run->result.timed_out = true;
    if (run->note)
        run->note(&(struct run_note){.kind = RUN_NOTE_DEADLINE, .sig = run->signal},
                  run->userdata);
    start_phase(run, run->signal, run->kill_after_s);
}

void run_set_deadline(struct run *run, double timeout_s)
{
    if (run->state != RUNNING || run->leader_gone)
        return;
    ev_timer_stop(run->loop, &run->deadline);
    if (timeout_s <= 0 || timeout_s >= TIMER_FOREVER_S)
        return;
    ev_now_update(run->loop); /* the loop's cached time may be old: count from now */
    ev_timer_set(&run->deadline, timeout_s, 0);
    ev_timer_start(run->loop, &run->deadline);
}

pid_t run_pid(const struct run *run)
{
    return run->pid;
}

void run_spare(struct run *run, pid_t pid)
{
    run->killer.scope.spare = pid;
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    run_expire(w->data);
}

static void record_exit(struct run *run, int status)
{
    run->leader_gone = true;
    run->result.exited = WIFEXITED(status);
    run->result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run->result.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    run->result.core_dumped = WIFSIGNALED(status) && WCOREDUMP(status);
    ev_timer_stop(run->loop, &run->deadline);
}

void run_reap(struct run *run)
{
    bool leader_now = false;

    if (run->state == DONE)
        return;
    for (;;) {
        int status;
        /* WUNTRACED: a job-control stop of the command is news for the caller (--verbose,
         * terminal handover); stops of other members are not reported. */
        pid_t p = waitpid(-1, &status, WNOHANG | WUNTRACED);
        if (p < 0 && errno == EINTR)
            continue;
        if (p <= 0) {
            run->children_left = p == 0 && !group_gone(run);
            break;
        }
        if (WIFSTOPPED(status)) {
            if (p == run->pid && run->note)
                run->note(&(struct run_note){.kind = RUN_NOTE_STOPPED, .sig = WSTOPSIG(status),
                                             .pid = p},
                          run->userdata);
            continue;
        }
        if (p == run->pid) {
            record_exit(run, status);
            leader_now = true;
        }
    }
    if (leader_now && run->state == RUNNING && run->note)
        run->note(&(struct run_note){.kind = RUN_NOTE_EXITED,
                                     .count = run->children_left
                                                  ? (unsigned) kill_count(&run->killer)
                                                  : 0},
                  run->userdata);
    /* Killing, the group gone and children still alive: they left the group, and a sweep
     * missed them (they moved while it walked). Find them now rather than at the net's time. */
    if (run->children_left && run->state == KILLING && !run->blind && group_empty(run))
        (void) kill_sweep(&run->killer, kill_notes(run), run); /* errors: the net retries */
    if (!run->leader_gone)
        return;
    /* The command exited by itself and only it is waited for (timeout(1)'s way): the rest of
     * its tree is left as it is. With --foreground, the rest is never ours to stop. */
    if (!run->children_left || (!run->wait_all && run->state == RUNNING) || run->command_only) {
        finish(run);
        return;
    }
    if (run->state == RUNNING) {
        /* The command is gone but its tree is not: stop the rest as if the deadline fired. */
        start_phase(run, run->signal, run->kill_after_s);
    } else if (leader_now && !run->wait_all && !ev_is_active(&run->grace)) {
        /* The tree was being stopped and only the command is waited for, with no grace to
         * wait out: what is left was signalled already and gets SIGKILL now, so that nothing
         * outlives the deadline and the return is not delayed. */
        start_phase(run, SIGKILL, -1);
    }
}

int run_signal(struct run *run, int sig)
{
    struct killer once;
    int r;

    if (run->state == DONE)
        return -ESRCH;
    if (run->command_only)
        return signal_command(run, sig);
    /* A separate killer: a forwarded signal must not count as "sent" for the current phase. */
    kill_init(&once, &run->killer.scope);
    r = kill_phase(&once, sig, kill_notes(run), run);
    kill_free(&once);
    return r < 0 ? r : 0;
}

int run_terminate(struct run *run, int sig, double grace_s)
{
    if (run->state == DONE)
        return -ESRCH;
    if (run->state == KILLING)
        return 0;
    start_phase(run, sig, grace_s);
    return 0;
}

int run_start(struct ev_loop *loop, const struct run_spec *spec, run_done_fn *done,
              run_note_fn *note, void *userdata, struct run **ret_run)
{
    struct spawn_plan plan;
    struct run *run;
    int r;

    if (!spec->argv || !spec->argv[0] || !done ||
        !(spec->pgid > 0 || (spec->command_only && spec->pgid == -1)))
        return -EINVAL;
    run = calloc(1, sizeof(*run));
    if (!run)
        return -ENOMEM;
    *run = (struct run){.loop = loop, .done = done, .note = note, .userdata = userdata,
                        .signal = spec->signal, .kill_after_s = spec->kill_after_s,
                        .wait_all = spec->wait_all, .command_only = spec->command_only};
    spawn_plan_init(&plan);
    plan.argv = spec->argv;
    plan.envp = spec->envp;
    plan.cwd = spec->cwd;
    plan.pgid = spec->pgid;
    plan.tty_fd = spec->tty_fd;
    plan.inherit_fds = spec->inherit_fds;
    plan.sh_fallback = true; /* execvp() semantics for commands */
    plan.sigdefault = SIGNALS_ALL & ~spec->keep_ignored;
    plan.sigmask = spec->sigmask;
    run->pgid = spec->pgid;
    run->blind = procns_check() < 0;
    run->start_s = timer_now();
    r = spawn_start(&plan, &run->pid);
    if (r < 0) {
        free(run);
        return r;
    }
    /* The caller is the subreaper: everything below it, and the group, is the tree. */
    kill_init(&run->killer, &(struct tree_scope){.pgid = spec->pgid > 0 ? spec->pgid : 0,
                                                  .root = getpid(), .exclude = getpid(),
                                                  .spare = spec->spare,
                                                  .nested_jobs = spec->nested_jobs});
    ev_timer_init(&run->deadline, on_deadline, 0, 0);
    ev_timer_init(&run->grace, on_grace, 0, 0);
    ev_timer_init(&run->recheck, on_recheck, 0, 0);
    run->deadline.data = run->grace.data = run->recheck.data = run;
    run_set_deadline(run, spec->timeout_s);
    *ret_run = run;
    return 0;
}

void run_free(struct run *run)
{
    if (!run)
        return;
    ev_timer_stop(run->loop, &run->deadline);
    ev_timer_stop(run->loop, &run->grace);
    ev_timer_stop(run->loop, &run->recheck);
    kill_free(&run->killer);
    free(run);
}
