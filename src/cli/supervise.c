/* supervise.c: one command under pgsup, shared by `pgsup run` and `pgsup timeout`. pgsup
 * splits into a guard and an engine (see guard.h); this file runs the engine's event loop:
 * the signalfd, the socket to the guard, the terminal, and --verbose.
 *
 * Under libpgsup (--control-fd) the caller is the library's host, and the host is the guard:
 * it holds the other end of the control socket and watches our pidfd, so there is no guard
 * process; this one process is the engine (one process per run, not two). Errors go to the
 * control socket, never to stderr (which is the host's), and the tree dies when the host
 * does: its end of the socket closes, or, even while a forked child of the host still holds
 * that end, the pidfd of the host (our parent) turns readable. Signals sent to us are not
 * acted on there: we stay in the host's process group, so a terminal's Ctrl-C or a shell's
 * `kill %job` reaches us with the host, which decides (over the socket). If we die, the host
 * kills what we leave (pgsup.h). A run whose engine died reports no result: the library then
 * says the supervisor failed, not that the command was killed.
 *
 * The groups (struct shape):
 *   - pgsup run (and libpgsup's helper): the engine numbers the command's group with its own
 *     pid, then goes back to the guard's group, which the caller's shell knows.
 *   - pgsup timeout: the guard leads the command's group, as coreutils' timeout leads its own:
 *     the command's group is the pid the caller holds, and at a shell's prompt the command is
 *     in the foreground job. Once the command is in it, the guard moves to the engine's group,
 *     out of the way of the SIGKILL the tree may get, unless it led its group before (a
 *     shell's job, a session leader, which cannot move): it stays, and the tree spares it
 *     (run_spec.spare). Without a /proc of our namespace the group's members cannot be listed
 *     one by one, so such a guard cannot be spared: then the command's group is the engine's,
 *     as for pgsup run.
 *   - pgsup timeout --foreground: the command stays in the caller's group, and only the
 *     command is signalled (run_spec.command_only), as coreutils does. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgsup.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/pidfd.h"
#include "core/procns.h"
#include "core/signals.h"
#include "core/signame.h"
#include "lib/wire.h"
#include "cli.h"
#include "coreutils.h"

enum shape_kind {
    SHAPE_ENGINE_GROUP, /* the engine numbers the group, the guard stays home */
    SHAPE_GUARD_GROUP,  /* the guard's group (pgsup timeout) */
    SHAPE_CALLER_GROUP, /* the caller's group, the command alone signalled (--foreground) */
};

struct shape {
    enum shape_kind kind;
    pid_t pgid;       /* SHAPE_GUARD_GROUP: the tree's group, numbered by the guard's pid */
    bool guard_stays; /* SHAPE_GUARD_GROUP: the guard led a group before: it stays, spared */
};

struct engine {
    const struct cli_job *job;
    struct ev_loop *loop;
    struct run *run;
    ev_io signal_io, guard_io, control_io, host_io;
    int signal_fd, guard_fd, control_fd;
    int host_fd;              /* pidfd of libpgsup's host (--control-fd), or -1 */
    int tty_fd;               /* the terminal we may hand over (stdin), or -1 */
    bool tty_lent;            /* the command's group is the terminal's foreground group */
    bool suspended;           /* the command stopped (Ctrl-Z) and we stopped the guard */
    pid_t guard_pid;
    pid_t home_pgid;          /* the group of the guard, which the caller's shell knows */
    bool orphaned;            /* the guard died: kill everything, report nothing */
    bool alone;               /* --control-fd without a guard: the host is the guard */
    bool blind;               /* /proc is not our namespace's: members cannot be counted */
    struct shape shape;
    struct guard_outcome outcome;
};

/* A failure before or instead of the run: on the control socket for libpgsup, which prints
 * nothing; as coreutils' timeout would say it for pgsup timeout; else one line on stderr,
 * "cannot WHAT 'NAME': ERROR" (no NAME: NULL). */
static void say_failure(const struct cli_job *job, int err, const char *what, const char *name)
{
    char buf[WIRE_MAX];
    int n;

    if (job->control_fd >= 0) {
        n = wire_format(&(struct wire_msg){.kind = WIRE_FAILED, .err = err}, buf, sizeof(buf));
        if (n > 0)
            (void) send(job->control_fd, buf, (size_t) n, MSG_NOSIGNAL); /* EPIPE: nobody */
    } else if (job->drop_in && name && err == -EAGAIN) {
        coreutils_error(job->program, "fork system call failed: %s", strerror(-err));
    } else if (job->drop_in && name) {
        coreutils_error(job->program, "failed to %s %s: %s", strcmp(what, "run") == 0
                        ? "run command" : what, job->quoted_command, strerror(-err));
    } else if (job->drop_in) {
        coreutils_error(job->program, "cannot %s: %s", what, strerror(-err));
    } else if (name && err == -EAGAIN) { /* see status_from_spawn_error() */
        log_msg("cannot start '%s': fork failed: %s (too many processes: the limit of "
                "ulimit -u, of the cgroup's pids.max or pid_max is reached)",
                name, strerror(-err));
    } else if (name) {
        log_msg("cannot %s '%s': %s", what, name, strerror(-err));
    } else {
        log_msg("cannot %s: %s", what, strerror(-err));
    }
}

static void give_back_tty(struct engine *e)
{
    /* We are in a background group now; SIGTTOU is blocked, so tcsetpgrp goes through. */
    if (e->tty_lent)
        (void) tcsetpgrp(e->tty_fd, e->home_pgid); /* the terminal went away: nothing to do */
    e->tty_lent = false;
}

/* Ctrl-Z stopped the command, which holds the terminal: behave like a shell's job. Take the
 * terminal back and stop the guard, so the user's shell sees pgsup stopped and gets its
 * prompt back; `fg` continues us (on_signal, SIGCONT) and we hand everything back. */
static void suspend(struct engine *e, int sig)
{
    if (!e->tty_lent || e->orphaned || (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU))
        return;
    give_back_tty(e);
    e->suspended = true;
    (void) kill(e->guard_pid, SIGSTOP); /* our parent, alive (not orphaned) */
}

static void resume(struct engine *e)
{
    if (!e->suspended)
        return;
    e->suspended = false;
    /* `fg` made our group the foreground again; `bg` did not, and the terminal stays put. */
    if (tcgetpgrp(e->tty_fd) == e->home_pgid) {
        /* The command's group is numbered by our pid (engine_start). */
        e->tty_lent = tcsetpgrp(e->tty_fd, getpid()) == 0;
    }
    (void) run_signal(e->run, SIGCONT); /* ESRCH: the run is over */
}

static void on_note(const struct run_note *note, void *userdata)
{
    struct engine *e = userdata;
    char sig[SIGNAME_MAX];

    if (note->kind == RUN_NOTE_STOPPED) {
        suspend(e, note->sig);
        return;
    }
    if (!e->job->verbose)
        return;
    if (e->job->drop_in) {
        /* coreutils' one line per signal it sends, escalation and forwarded ones included. */
        if (note->kind == RUN_NOTE_SIGNALLED)
            coreutils_error(e->job->program, "sending signal %s to command %s",
                            coreutils_signal_name(note->sig, sig), e->job->quoted_command);
        return;
    }
    signame_format(note->sig, sig);
    switch (note->kind) {
    case RUN_NOTE_DEADLINE:
        log_msg("deadline reached, stopping the tree of '%s'", e->job->argv[0]);
        break;
    case RUN_NOTE_SENT:
        if (note->group && e->blind)
            log_msg("sending signal %s to group %d", sig, (int) note->pid);
        else if (note->group)
            log_msg("sending signal %s to group %d (%u %s)", sig, (int) note->pid, note->count,
                    note->count == 1 ? "process" : "processes");
        else
            log_msg("sending signal %s to process %d%s", sig, (int) note->pid,
                    note->escapee ? ", which left the group" : "");
        break;
    case RUN_NOTE_STOPPED:
    case RUN_NOTE_SIGNALLED:
        break;
    case RUN_NOTE_EXITED:
        if (e->job->wait_all && note->count)
            log_msg("'%s' exited; stopping the %u %s left in its tree", e->job->argv[0],
                    note->count, note->count == 1 ? "process" : "processes");
        break;
    }
}

static void control_send(struct engine *e, const struct wire_msg *m)
{
    char buf[WIRE_MAX];
    int n = wire_format(m, buf, sizeof(buf));

    /* The caller gone (EPIPE) is noticed as EOF by on_control; nothing to do here. */
    if (n > 0 && e->control_fd >= 0)
        (void) send(e->control_fd, buf, (size_t) n, MSG_NOSIGNAL);
}

static void on_done(struct run *run, const struct run_result *result, void *userdata)
{
    struct engine *e = userdata;

    (void) run;
    give_back_tty(e);
    if (e->job->drop_in) {
        if (result->core_dumped)
            coreutils_error(e->job->program, "the monitored command dumped core");
        status_from_timeout(result, e->job->preserve_status, e->job->foreground, &e->outcome);
    } else {
        status_from_result(result, e->job->preserve_status, &e->outcome);
    }
    /* Orphaned, the result is our own SIGKILL of the tree: reporting it would pass a dead
     * guard off as an ordinary killed run. Without "done" the library reports the failure. */
    if (!e->orphaned)
        control_send(e, &(struct wire_msg){.kind = WIRE_DONE, .result = *result});
    ev_break(e->loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_io *w, int revents)
{
    struct engine *e = w->data;
    struct signalfd_siginfo si;
    char name[SIGNAME_MAX];

    (void) loop;
    (void) revents;
    while (signals_read(e->signal_fd, &si) == 1) {
        int sig = (int) si.ssi_signo;
        if (sig == SIGCHLD) {
            run_reap(e->run);
            continue;
        }
        if (sig == SIGCONT) {
            resume(e);
            continue;
        }
        /* A signal from the terminal reaches the guard too, and the guard forwards it: act
         * on the forwarded copy only. Alone, we share the host's group: the host decides.
         * pgsup timeout acts only on the guard's copies: others come from an outer supervisor
         * that reaches the tree itself (nested pgsup). */
        if (si.ssi_code == SI_KERNEL || e->alone ||
            (e->job->drop_in && si.ssi_pid != (uint32_t) e->guard_pid))
            continue;
        if (e->job->verbose && !e->job->drop_in)
            log_msg("received signal %s, passing it to the tree", signame_format(sig, name));
        /* coreutils' timeout ends the command on every signal it passes on, and counts the
         * -k grace from it; pgsup run lets USR1 and USR2 through. */
        if (sig == SIGALRM)
            run_expire(e->run);
        else if ((sig == SIGUSR1 || sig == SIGUSR2) && !e->job->drop_in)
            (void) run_signal(e->run, sig); /* ESRCH: the run is over */
        else
            (void) run_terminate(e->run, sig, e->job->kill_after_s);
    }
}

/* The caller of `pgsup run --control-fd` is gone when its end of the socket closes: like the
 * guard's death, nothing of the tree may outlive it. */
static void orphan(struct engine *e)
{
    e->orphaned = true;
    ev_io_stop(e->loop, &e->guard_io);
    ev_io_stop(e->loop, &e->control_io);
    ev_io_stop(e->loop, &e->host_io);
    (void) run_terminate(e->run, SIGKILL, 0);
}

/* libpgsup's host died: its pidfd is readable once it has exited, whoever still holds its end
 * of the control socket (a child it forked). */
static void on_host(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    orphan(w->data);
}

static void on_guard(struct ev_loop *loop, ev_io *w, int revents)
{
    struct engine *e = w->data;

    (void) revents;
    if (!guard_gone(e->guard_fd))
        return;
    /* The process the user started is gone (SIGKILL): nobody is left to report to, and
     * nothing of the tree may outlive it. */
    (void) loop;
    orphan(e);
}

static void on_control(struct ev_loop *loop, ev_io *w, int revents)
{
    struct engine *e = w->data;
    char buf[WIRE_MAX];
    struct wire_msg m;
    ssize_t n;

    (void) loop;
    (void) revents;
    n = recv(e->control_fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        orphan(e);
        return;
    }
    if (wire_parse(buf, (size_t) n, &m) < 0)
        return; /* a newer library's request we do not know: ignore it */
    switch (m.kind) {
    case WIRE_SIGNAL:
        (void) run_signal(e->run, m.sig); /* ESRCH: the run is over */
        break;
    case WIRE_TERMINATE:
        (void) run_terminate(e->run, m.sig, m.seconds);
        break;
    case WIRE_DEADLINE:
        run_set_deadline(e->run, m.seconds);
        break;
    default:
        break;
    }
}

static int engine_start(struct engine *e)
{
    const struct cli_job *job = e->job;
    struct run_spec spec = {
        .argv = job->argv,
        .tty_fd = e->tty_fd,
        .timeout_s = job->timeout_s,
        .signal = job->signal,
        .kill_after_s = job->kill_after_s,
        .wait_all = job->wait_all,
        .inherit_fds = job->drop_in,
        .nested_jobs = job->drop_in,
        .keep_ignored = job->keep_ignored,
        .sigmask = job->sigmask,
    };
    int r, left;

    switch (e->shape.kind) {
    case SHAPE_CALLER_GROUP:
        spec.pgid = -1;
        spec.command_only = true;
        return run_start(e->loop, &spec, on_done, on_note, e, &e->run);
    case SHAPE_GUARD_GROUP:
        /* A group of our own: what goes to the tree's group, or comes from the terminal, is
         * not for us. The guard is still in the tree's group, which therefore exists. */
        if (setpgid(0, 0) < 0)
            return -errno;
        spec.pgid = e->shape.pgid;
        spec.spare = e->shape.guard_stays ? e->guard_pid : 0;
        r = run_start(e->loop, &spec, on_done, on_note, e, &e->run);
        if (e->shape.guard_stays)
            return r;
        left = guard_handover(e->guard_fd, r == 0);
        if (r == 0 && left == 0)
            run_spare(e->run, e->guard_pid); /* it could not move: spare it */
        return r; /* the guard gone (-EPIPE): on_guard() sees to it */
    case SHAPE_ENGINE_GROUP:
        break;
    }
    /* The command's group is numbered by our own pid: the command is not a group leader (as
     * under timeout(1), so `setsid CMD` does not fork), and the number cannot be reused while
     * we live. We join it only long enough for the command to join it too. */
    if (setpgid(0, 0) < 0)
        return -errno;
    spec.pgid = getpid();
    r = run_start(e->loop, &spec, on_done, on_note, e, &e->run);
    e->tty_lent = r == 0 && e->tty_fd >= 0;
    if (setpgid(0, e->home_pgid) < 0 && r == 0)
        r = -errno;
    return r;
}

/* The signals the guard passes on: pgsup timeout's are timeout.c's; pgsup run's are the
 * ones that end a run (HUP, INT, QUIT, TERM), ALRM (the deadline), USR1 and USR2. */
static void forwarded(const struct cli_job *job, sigset_t *ret)
{
    if (job->drop_in) {
        *ret = job->forward;
        return;
    }
    sigemptyset(ret);
    for (const int *s = (const int[]){SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                      SIGALRM, 0};
         *s; s++)
        sigaddset(ret, *s);
}

static _Noreturn void engine_main(const struct cli_job *job, int guard_fd, int host_fd,
                                  bool tty, pid_t home_pgid, const struct shape *shape)
{
    struct engine e = {.job = job, .guard_fd = guard_fd, .signal_fd = -1, .guard_pid = getppid(),
                       .control_fd = job->control_fd, .host_fd = host_fd,
                       .tty_fd = tty ? STDIN_FILENO : -1, .home_pgid = home_pgid,
                       .alone = guard_fd < 0, .shape = *shape,
                       .outcome = {.code = STATUS_FAILED}};
    sigset_t set;
    int r;

    /* What the guard passes on, and our own events. */
    forwarded(job, &set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGCONT);
    e.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    r = e.loop ? signals_open(&set) : -ENOMEM;
    if (r < 0) {
        say_failure(job, r, "set up the event loop", NULL);
        goto report;
    }
    e.signal_fd = r;
    /* Once, before anything is signalled: what the sweep will not be able to do. */
    e.blind = procns_check() < 0;
    if (job->verbose && e.blind && !job->drop_in)
        log_msg("/proc is not this PID namespace's: signalling the group and pgsup's own "
                "children only (processes that left the group cannot be found)");
    r = engine_start(&e);
    if (r < 0) {
        give_back_tty(&e);
        if (!e.run) {
            say_failure(job, r, "run", job->argv[0]);
            e.outcome.code = status_from_spawn_error(r);
        } else {
            say_failure(job, r, "supervise", job->argv[0]);
            guard_kill_all(0); /* we are still in the group: spare it, sweep by pid */
        }
        if (e.alone) /* our exit status is all a guard would have said */
            exit(e.outcome.code);
        goto report;
    }
    ev_io_init(&e.signal_io, on_signal, e.signal_fd, EV_READ);
    ev_io_init(&e.guard_io, on_guard, e.guard_fd, EV_READ);
    ev_io_init(&e.control_io, on_control, e.control_fd, EV_READ);
    ev_io_init(&e.host_io, on_host, e.host_fd, EV_READ);
    e.signal_io.data = e.guard_io.data = e.control_io.data = e.host_io.data = &e;
    ev_io_start(e.loop, &e.signal_io);
    if (!e.alone)
        ev_io_start(e.loop, &e.guard_io);
    if (e.host_fd >= 0)
        ev_io_start(e.loop, &e.host_io);
    if (e.control_fd >= 0) {
        control_send(&e, &(struct wire_msg){.kind = WIRE_STARTED, .pid = run_pid(e.run)});
        ev_io_start(e.loop, &e.control_io);
    }
    ev_run(e.loop, 0);
report:
    if (!e.orphaned && !e.alone)
        (void) guard_report(guard_fd, &e.outcome); /* the guard died meanwhile: it cannot care */
    run_free(e.run);
    fd_close(&e.signal_fd);
    fd_close(&e.guard_fd);
    fd_close(&e.control_fd);
    fd_close(&e.host_fd);
    if (e.loop)
        ev_loop_destroy(e.loop);
    exit(0);
}

/* The group the engine returns to once the command's group is numbered. Started in a PID
 * namespace by a process outside it that kept its own group (unshare --pid --fork), our group
 * is numbered outside: getpgrp() says 0 and setpgid() cannot name it, so the engine would stay
 * in the command's group and signal itself with the tree. The guard then leads a group of its
 * own (it is no session leader: that group would be visible). Returns the group or -errno. */
static pid_t home_group(void)
{
    pid_t home = getpgrp();

    if (home > 0)
        return home;
    return setpgid(0, 0) < 0 ? -errno : getpid();
}

/* The groups of the run (see the top); for pgsup timeout, the guard makes its own group now,
 * before the engine exists. */
static struct shape choose_shape(const struct cli_job *job)
{
    bool was_leader = getpgrp() == getpid();
    /* A leader may be a session leader, which cannot move. PID 1 of a namespace must not join
     * a group numbered by another process there: its exit would wait forever for that number
     * to be freed, which its own membership prevents (the kernel's zap_pid_ns_processes). */
    bool stays = was_leader || getpid() == 1;

    if (!job->drop_in)
        return (struct shape){.kind = SHAPE_ENGINE_GROUP};
    if (job->foreground)
        return (struct shape){.kind = SHAPE_CALLER_GROUP};
    if (stays && procns_check() < 0)
        return (struct shape){.kind = SHAPE_ENGINE_GROUP};
    /* Not yet a leader: as coreutils' setpgid(0, 0). */
    if (!was_leader && setpgid(0, 0) < 0)
        return (struct shape){.kind = SHAPE_ENGINE_GROUP};
    return (struct shape){.kind = SHAPE_GUARD_GROUP, .pgid = getpid(), .guard_stays = stays};
}

/* coreutils' timeout stops on SIGTSTP (Ctrl-Z at a shell's prompt stops the job, timeout
 * included) and dies of a fault signal; the guard, which the caller holds as timeout, does
 * the same. The others stay blocked for sigwaitinfo(). */
static void guard_unblock_own(void)
{
    sigset_t own;

    sigemptyset(&own);
    for (const int *s = (const int[]){SIGTSTP, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
                                      SIGSEGV, SIGSYS, 0};
         *s; s++)
        sigaddset(&own, *s);
    (void) sigprocmask(SIG_UNBLOCK, &own, NULL); /* cannot fail with a valid set */
}

/* The engine died without a result: say so, once. */
static _Noreturn void engine_lost(const struct cli_job *job, int status)
{
    char what[64];

    /* libpgsup learns it from the missing result (see the top); stderr is its host's. Said in
     * words too: an engine killed before it reported the start would otherwise look like a
     * $PGSUP_BIN that is not pgsup (an exit without a word). */
    if (job->control_fd >= 0) {
        say_failure(job, -PGSUP_EHELPER, "supervise", NULL);
        exit(STATUS_FAILED);
    }
    if (WIFSIGNALED(status))
        snprintf(what, sizeof(what), "engine died of signal %d", WTERMSIG(status));
    else
        snprintf(what, sizeof(what), "engine exited (status %d) without a result",
                 WEXITSTATUS(status));
    if (job->drop_in)
        coreutils_error(job->program, "%s; killed what was left of the tree", what);
    else
        log_msg("%s; killed what was left of the tree", what);
    exit(STATUS_FAILED);
}

_Noreturn void supervise(const struct cli_job *job)
{
    sigset_t all, forward;
    struct guard_outcome outcome;
    struct shape shape;
    pid_t engine, home_pgid, tree_pgid;
    int fd, status, r, host_fd = -1;
    bool tty;

    /* Every signal is blocked from here on: the guard takes them with sigwaitinfo, the engine
     * from its signalfd, and the command gets its mask at spawn. */
    sigfillset(&all);
    (void) sigprocmask(SIG_BLOCK, &all, NULL); /* cannot fail with SIG_BLOCK */
    /* Hand the terminal over only if it is ours to give: stdin is a terminal and we are its
     * foreground group (not `pgsup run ... &`). A foreground group outside our namespace
     * reads as 0, like our own group then: whether it is ours cannot be told, so no. */
    home_pgid = getpgrp();
    tty = job->tty && home_pgid > 0 && isatty(STDIN_FILENO) &&
          tcgetpgrp(STDIN_FILENO) == home_pgid;
    shape = choose_shape(job);
    if (shape.kind == SHAPE_ENGINE_GROUP)
        home_pgid = home_group();
    if (home_pgid < 0) {
        say_failure(job, home_pgid, "make a process group", NULL);
        exit(STATUS_FAILED);
    }
    /* libpgsup's host is our parent; pidfd_open: Linux 5.3+; ENOSYS → the socket alone. */
    if (job->control_fd >= 0) {
        host_fd = pidfd_parent();
        if (host_fd == -ESRCH)
            exit(STATUS_FAILED); /* the host is gone already: nothing to run for */
    }
    /* The host is the guard (see the top): one process, in the host's group, which the
     * command's group must not be. Only a host whose group we cannot name (getpgrp() 0, in
     * a PID namespace) makes home_group() lead one of ours, whose number would be the
     * command's too: then the guard keeps that group and the engine numbers the command's. */
    if (job->control_fd >= 0 && home_pgid != getpid()) {
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
            say_failure(job, -errno, "become a subreaper", NULL);
            exit(STATUS_FAILED);
        }
        engine_main(job, -1, host_fd < 0 ? -1 : host_fd, tty, home_pgid, &shape);
    }
    engine = guard_fork(&fd);
    if (engine < 0) {
        say_failure(job, engine, "start the engine", NULL);
        exit(STATUS_FAILED);
    }
    if (engine == 0)
        engine_main(job, fd, host_fd < 0 ? -1 : host_fd, tty, home_pgid, &shape);
    fd_close(&host_fd); /* the engine watches the host */

    tree_pgid = engine;
    if (shape.kind == SHAPE_GUARD_GROUP) {
        tree_pgid = shape.pgid;
        /* Errors: the engine is gone, which guard_wait() sees to. */
        if (!shape.guard_stays)
            (void) guard_leave_group(fd, engine);
    } else if (shape.kind == SHAPE_CALLER_GROUP) {
        tree_pgid = 0; /* the caller's group is not the tree's */
    }
    if (job->drop_in)
        guard_unblock_own();
    forwarded(job, &forward);
    r = guard_wait(engine, fd, &forward, tree_pgid, &outcome, &status);
    fd_close(&fd);
    if (r < 0) {
        if (tty && tcgetpgrp(STDIN_FILENO) != home_pgid)
            (void) tcsetpgrp(STDIN_FILENO, home_pgid); /* best effort: the shell retakes it */
        engine_lost(job, status);
    }
    status_exit(&outcome);
}
