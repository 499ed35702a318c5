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
 * says the supervisor failed, not that the command was killed. */
#include <errno.h>
#include <ev.h>
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
    struct guard_outcome outcome;
};

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
    status_from_result(result, e->job->preserve_status, &e->outcome);
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
         * on the forwarded copy only. Alone, we share the host's group: the host decides. */
        if (si.ssi_code == SI_KERNEL || e->alone)
            continue;
        if (e->job->verbose)
            log_msg("received signal %s, passing it to the tree", signame_format(sig, name));
        if (sig == SIGALRM)
            run_expire(e->run);
        else if (sig == SIGUSR1 || sig == SIGUSR2)
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
        .inherit_fds = job->inherit,
        .inherit_ignored = job->inherit,
    };
    int r;

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

/* A failure before or instead of the run: on the control socket for libpgsup, which prints
 * nothing, else one line on stderr, "cannot WHAT 'NAME': ERROR" (no NAME: NULL). */
static void say_failure(int control_fd, int err, const char *what, const char *name)
{
    char buf[WIRE_MAX];
    int n;

    if (control_fd < 0 && name && err == -EAGAIN) { /* see status_from_spawn_error() */
        log_msg("cannot start '%s': fork failed: %s (too many processes: the limit of "
                "ulimit -u, of the cgroup's pids.max or pid_max is reached)",
                name, strerror(-err));
        return;
    }
    if (control_fd < 0 && name) {
        log_msg("cannot %s '%s': %s", what, name, strerror(-err));
        return;
    }
    if (control_fd < 0) {
        log_msg("cannot %s: %s", what, strerror(-err));
        return;
    }
    n = wire_format(&(struct wire_msg){.kind = WIRE_FAILED, .err = err}, buf, sizeof(buf));
    if (n > 0)
        (void) send(control_fd, buf, (size_t) n, MSG_NOSIGNAL); /* EPIPE: nobody to tell */
}

static _Noreturn void engine_main(const struct cli_job *job, int guard_fd, int host_fd,
                                  bool tty, pid_t home_pgid)
{
    struct engine e = {.job = job, .guard_fd = guard_fd, .signal_fd = -1, .guard_pid = getppid(),
                       .control_fd = job->control_fd, .host_fd = host_fd,
                       .tty_fd = tty ? STDIN_FILENO : -1, .home_pgid = home_pgid,
                       .alone = guard_fd < 0, .outcome = {.code = STATUS_FAILED}};
    sigset_t set;
    int r;

    sigemptyset(&set);
    for (const int *s = (const int[]){SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM,
                                      SIGUSR1, SIGUSR2, SIGALRM, 0};
         *s; s++)
        sigaddset(&set, *s);
    e.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    r = e.loop ? signals_open(&set) : -ENOMEM;
    if (r < 0) {
        say_failure(e.control_fd, r, "set up the event loop", NULL);
        goto report;
    }
    e.signal_fd = r;
    /* Once, before anything is signalled: what the sweep will not be able to do. */
    e.blind = procns_check() < 0;
    if (job->verbose && e.blind)
        log_msg("/proc is not this PID namespace's: signalling the group and pgsup's own "
                "children only (processes that left the group cannot be found)");
    r = engine_start(&e);
    if (r < 0) {
        give_back_tty(&e);
        if (!e.run) {
            say_failure(e.control_fd, r, "run", job->argv[0]);
            e.outcome.code = status_from_spawn_error(r);
        } else {
            say_failure(e.control_fd, r, "supervise", job->argv[0]);
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

_Noreturn void supervise(const struct cli_job *job)
{
    sigset_t all, forward;
    struct guard_outcome outcome;
    pid_t engine, home_pgid;
    int fd, status, r, host_fd = -1;
    bool tty;

    /* Every signal is blocked from here on: the guard takes them with sigwaitinfo, the engine
     * from its signalfd, and the command gets an empty mask at spawn. */
    sigfillset(&all);
    (void) sigprocmask(SIG_BLOCK, &all, NULL); /* cannot fail with SIG_BLOCK */
    /* Hand the terminal over only if it is ours to give: stdin is a terminal and we are its
     * foreground group (not `pgsup run ... &`). A foreground group outside our namespace
     * reads as 0, like our own group then: whether it is ours cannot be told, so no. */
    home_pgid = getpgrp();
    tty = job->tty && home_pgid > 0 && isatty(STDIN_FILENO) &&
          tcgetpgrp(STDIN_FILENO) == home_pgid;
    home_pgid = home_group();
    if (home_pgid < 0) {
        say_failure(job->control_fd, home_pgid, "make a process group", NULL);
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
            say_failure(job->control_fd, -errno, "become a subreaper", NULL);
            exit(STATUS_FAILED);
        }
        engine_main(job, -1, host_fd < 0 ? -1 : host_fd, tty, home_pgid);
    }
    engine = guard_fork(&fd);
    if (engine < 0) {
        say_failure(job->control_fd, engine, "start the engine", NULL);
        exit(STATUS_FAILED);
    }
    if (engine == 0)
        engine_main(job, fd, host_fd < 0 ? -1 : host_fd, tty, home_pgid);
    fd_close(&host_fd); /* the engine watches the host */

    sigemptyset(&forward);
    for (const int *s = (const int[]){SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                      SIGALRM, 0};
         *s; s++)
        sigaddset(&forward, *s);
    r = guard_wait(engine, fd, &forward, &outcome, &status);
    fd_close(&fd);
    if (r < 0) {
        if (tty && tcgetpgrp(STDIN_FILENO) != home_pgid)
            (void) tcsetpgrp(STDIN_FILENO, home_pgid); /* best effort: the shell retakes it */
        /* libpgsup learns it from the missing result (see the top); stderr is its host's.
         * Said in words too: an engine killed before it reported the start would otherwise
         * look like a $PGSUP_BIN that is not pgsup (an exit without a word). */
        if (job->control_fd >= 0) {
            say_failure(job->control_fd, -PGSUP_EHELPER, "supervise", NULL);
            exit(STATUS_FAILED);
        }
        if (WIFSIGNALED(status))
            log_msg("engine died of signal %d; killed what was left of the tree",
                    WTERMSIG(status));
        else
            log_msg("engine exited (status %d) without a result; killed what was left of "
                    "the tree", WEXITSTATUS(status));
        exit(STATUS_FAILED);
    }
    status_exit(&outcome);
}
