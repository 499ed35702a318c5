/* client.c: one run as seen by libpgsup, the implementation of pgsup_proc. The command runs
 * under `pgsup run --control-fd 3` (src/cli/supervise.c), one helper process which owns the
 * tree: it is its subreaper and the command's parent, kills it on the deadline, and kills it
 * when our end of the control socket closes or we (the host) die, so the tree dies with the
 * caller. The host is the guard: the helper runs in the host's process group, without a
 * guard process of its own. Here we only start the helper (and return at once: the start is
 * reported later, on the caller's loop), follow its messages and its exit, capture the
 * command's output, and, if the helper dies without a result, kill what it left
 * (leftovers.h): that is the guard's work, done by the host.
 *
 * The run is over when three things happened, in any order: the "done" or "failed" message
 * (or the socket closed without one: the helper failed), the helper's exit (seen on its
 * pidfd), and end of file on every captured stream.
 *
 * The helper is spawned clean, like any command (spawn.h): fds 0-2 and its control socket as
 * fd 3, nothing else of the host, every signal at its default, and the run's marker added to
 * the environment the command gets. A run belongs to the process that started it (pgsup.h,
 * fork()): the handle remembers that pid. */
#include "client.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/pidfd.h"
#include "core/spawn.h"
#include "core/timer.h"
#include "capture.h"
#include "leftovers.h"
#include "wire.h"

extern char **environ;

#define CAPTURE_DEFAULT_MAX ((size_t) 64 << 20)
#define REAP_POLL_S 0.01 /* only without pidfds */
/* `pgsup run --kill-after 0` means never (timeout(1)); SIGKILL at once is the shortest grace
 * the option keeps, which fires on the next loop iteration, as a grace of 0 does. */
#define KILL_AT_ONCE "1e-9"

/* The start report: continue a silent supervisor after this long, give up after that. */
#define START_CONT_S 1.0
#define START_LIMIT_S 30.0
/* How long the host polls /proc for what a dead helper left (leftovers.h). */
#define LEFTOVERS_LIMIT_S 10.0

struct pgsup_proc {
    struct ev_loop *loop;
    pgsup_exit_cb *cb;
    client_started_fn *started_cb; /* or NULL */
    void *userdata;
    pid_t pid;               /* the command; 0 until the helper reported the start */
    pid_t owner;             /* the process that started the run; set once */
    pid_t super_pid;         /* the pgsup helper, our child */
    int super_pidfd;         /* -1 without pidfds: then reap_timer polls */
    int control_fd;
    int in_fd;               /* our end of the stdin socket, -1 when done */
    char *in_data;
    size_t in_len, in_off;
    struct capture out, err;
    ev_io control_io, super_io, in_io;
    ev_timer reap_timer, start_timer;
    double start_limit;      /* ev_now() after which a silent helper is killed */
    bool done_msg, control_closed, super_gone;
    bool said_anything;      /* the helper sent a record, even one we did not expect */
    int error;               /* the run's failure (pgsup_result.error), 0 if none */
    int signal;              /* what pgsup_terminate() sends first */
    char marker[LEFTOVERS_MARKER_MAX];
    struct run_result result;
};

/* The supervisor's binary: $PGSUP_BIN, else the installed one. Returns 0 and the path in
 * *ret, or -PGSUP_EBADBIN. $PGSUP_BIN is resolved now, in the caller's working directory: the
 * supervisor starts in cmd->cwd, where a relative path would name another file, and a later
 * change of a link (/proc/self/exe, an upgrade) must not change which binary this run uses. */
static int helper_path(char buf[PATH_MAX], const char **ret)
{
    const char *env = getenv("PGSUP_BIN");

    if (!env || !*env) {
        *ret = PGSUP_BIN_PATH;
        return 0;
    }
    if (realpath(env, buf)) {
        *ret = buf;
        return 0;
    }
    /* An absolute path that does not resolve now fails at the spawn, with the same error. */
    if (env[0] != '/')
        return -PGSUP_EBADBIN;
    *ret = env;
    return 0;
}

static void finish_if_over(pgsup_proc *p)
{
    pgsup_result r = {0};

    if (!(p->done_msg || p->control_closed) || !p->super_gone || p->out.fd >= 0 ||
        p->err.fd >= 0)
        return;
    ev_io_stop(p->loop, &p->control_io);
    ev_io_stop(p->loop, &p->in_io);
    ev_timer_stop(p->loop, &p->reap_timer);
    ev_timer_stop(p->loop, &p->start_timer);
    if (p->done_msg) {
        r.exit_code = p->result.exited ? p->result.exit_code : -1;
        r.term_signal = p->result.exited ? 0 : p->result.term_signal;
        r.timed_out = p->result.timed_out;
        r.killed = p->result.escalated;
        r.wall_s = p->result.wall_s;
        r.rusage = p->result.rusage;
    } else {
        /* The command never ran (its exec failed), or the helper died before it reported
         * and what it left was killed (see the top): how the command ended is unknown, and
         * neither field may look like an answer. */
        r.error = p->error < 0 ? p->error : -PGSUP_EHELPER;
        r.exit_code = r.term_signal = -1;
    }
    r.out = capture_take(&p->out, &r.out_len);
    r.err = capture_take(&p->err, &r.err_len);
    r.out_truncated = p->out.truncated;
    r.err_truncated = p->err.truncated;
    p->cb(p, &r, p->userdata);
    /* The callback only borrowed the captures (pgsup.h); they are capture_take()'s buffers. */
    free(r.out);
    free(r.err);
    fd_close(&p->control_fd);
    fd_close(&p->in_fd);
    fd_close(&p->super_pidfd);
    capture_free(&p->out, p->loop);
    capture_free(&p->err, p->loop);
    free(p->in_data);
    free(p);
}

static void on_capture_eof(struct capture *c, void *userdata)
{
    (void) c;
    finish_if_over(userdata);
}

/* The error for a supervisor binary that cannot run, or did not speak pgsup's protocol. */
static int no_helper(void)
{
    const char *env = getenv("PGSUP_BIN");

    return env && *env ? -PGSUP_EBADBIN : -PGSUP_ENOHELPER;
}

static void on_started(pgsup_proc *p, pid_t pid)
{
    p->pid = pid;
    ev_timer_stop(p->loop, &p->start_timer);
    if (p->started_cb)
        p->started_cb(p, p->userdata);
}

/* Reads one record from the helper. Returns false once there is nothing more to read now
 * (EAGAIN), or ever (the socket closed, or "done" came: then finish_if_over() may have freed
 * p; the caller must not touch it). */
static bool read_control(pgsup_proc *p)
{
    char buf[WIRE_MAX];
    struct wire_msg m;
    ssize_t n = recv(p->control_fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0 && errno == EINTR)
        return true;
    if (n < 0 && errno == EAGAIN)
        return false;
    if (n > 0) {
        p->said_anything = true;
        if (wire_parse(buf, (size_t) n, &m) < 0)
            return true; /* a message we do not know */
        if (m.kind == WIRE_STARTED && p->pid == 0 && !p->error) {
            on_started(p, m.pid);
            return true;
        }
        if (m.kind == WIRE_FAILED && !p->error) {
            /* The command did not start (or the helper could not set up): the helper exits
             * next, and its socket closes. */
            p->error = m.err < 0 ? m.err : -PGSUP_EHELPER;
            ev_timer_stop(p->loop, &p->start_timer);
            return true;
        }
        if (m.kind != WIRE_DONE)
            return true; /* a message we do not need */
        p->result = m.result;
        p->done_msg = true;
    }
    ev_io_stop(p->loop, &p->control_io);
    p->control_closed = true;
    finish_if_over(p);
    return false;
}

static void on_control(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    (void) read_control(w->data);
}

static void on_reap_timer(struct ev_loop *loop, ev_timer *w, int revents);

/* The helper died without a result (killed, crashed, or killed by us for not reporting the
 * start). While it is our unreaped zombie, its pid, which numbers the command's group, is
 * still ours, so the group can be killed by number (pinned); a host that reaps with
 * waitpid(-1) may have taken it first (not pinned): then only the marker is used. One that
 * exited by itself without a word is not pgsup (or not this version of it): it started
 * nothing of ours. */
static void bury(pgsup_proc *p, bool silent_exit, bool pinned)
{
    if (silent_exit && !p->said_anything) {
        p->error = no_helper();
        return;
    }
    p->error = -PGSUP_EHELPER;
    (void) leftovers_kill(pinned ? p->super_pid : 0, p->marker, LEFTOVERS_LIMIT_S);
    /* What the nets killed has written all it will; one that escaped both (it cleared its
     * environment) must not hold the callback back by keeping a captured pipe open. */
    capture_abandon(&p->out, p->loop);
    capture_abandon(&p->err, p->loop);
}

/* exited: the helper's pidfd said it has exited. Its zombie may still not be ours to reap:
 * one traced by a process of its own tree (PTRACE_ATTACH by the command) is reported to that
 * tracer first, and to us only once the tracer is gone, which bury() sees to. Meanwhile the
 * pidfd stays readable: the wait goes on on the poll timer instead. */
static void reap_super(pgsup_proc *p, bool exited)
{
    siginfo_t si = {0};
    idtype_t type = p->super_pidfd >= 0 ? P_PIDFD : P_PID;
    id_t id = p->super_pidfd >= 0 ? (id_t) p->super_pidfd : (id_t) p->super_pid;
    int r = waitid(type, id, &si, WEXITED | WNOHANG | WNOWAIT);
    bool reapable = r == 0 && si.si_pid != 0;

    /* ECHILD: a host that reaps every child (libev's default loop, waitpid(-1)) took it; the
     * result still arrives on the socket, so that is fine. */
    if (r < 0 && errno != ECHILD)
        return;
    if (!reapable && r == 0 && !exited)
        return; /* not yet */
    /* Whatever it said before it exited is in the socket already; its exit may be seen
     * first. Read it all before deciding that it died without a result. (finish_if_over()
     * cannot free p here: the helper is not marked gone yet.) */
    while (!p->control_closed && read_control(p))
        ;
    if (!p->done_msg && !p->error)
        bury(p, reapable && si.si_code == CLD_EXITED, r == 0);
    ev_io_stop(p->loop, &p->super_io);
    ev_timer_stop(p->loop, &p->start_timer);
    if (!reapable && r == 0) {
        if (!ev_is_active(&p->reap_timer)) {
            ev_timer_init(&p->reap_timer, on_reap_timer, REAP_POLL_S, REAP_POLL_S);
            p->reap_timer.data = p;
            ev_timer_start(p->loop, &p->reap_timer);
        }
        return;
    }
    if (r == 0)
        (void) waitid(type, id, &si, WEXITED | WNOHANG); /* the zombie: at once */
    p->super_gone = true;
    ev_timer_stop(p->loop, &p->reap_timer);
    finish_if_over(p);
}

static void on_super(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    reap_super(w->data, true);
}

static void on_reap_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    reap_super(w->data, false);
}

/* The helper has not reported the start yet. The command runs as soon as it is spawned, before
 * the helper reports it, and it may stop its helper at once (kill -STOP $PPID): a silent
 * helper is continued every START_CONT_S (SIGCONT is harmless to a running one), and after
 * START_LIMIT_S it is killed (the run then ends with -PGSUP_EHELPER, its leftovers killed).
 * The timer runs only until the report, so an idle run costs no wakeup. */
static void on_start_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    pgsup_proc *p = w->data;
    int sig;

    (void) revents;
    /* A host whose loop was busy (a daemon starting thousands of jobs) may not have read the
     * report yet: read what is there before judging the helper. (p cannot be freed here: the
     * helper is not reaped while this timer runs.) */
    while (!p->control_closed && read_control(p))
        ;
    if (p->pid > 0 || p->error || p->control_closed) {
        ev_timer_stop(loop, w); /* started, failed, or gone: nothing to watch */
        return;
    }
    /* Our unreaped child (the timer stops when it is reaped): its pid is surely it. */
    sig = ev_now(loop) >= p->start_limit ? SIGKILL : SIGCONT;
    (void) pidfd_kill(p->super_pidfd, p->super_pid, sig);
    if (sig == SIGKILL)
        ev_timer_stop(loop, w);
}

static void on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
    pgsup_proc *p = w->data;

    (void) revents;
    while (p->in_off < p->in_len) {
        /* A socket, not a pipe: MSG_NOSIGNAL spares the host a SIGPIPE if the command does
         * not read its input. */
        ssize_t n = send(p->in_fd, p->in_data + p->in_off, p->in_len - p->in_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0)
            break; /* EPIPE: the command closed its stdin; the rest is not wanted */
        p->in_off += (size_t) n;
    }
    ev_io_stop(loop, w);
    fd_close(&p->in_fd); /* end of file for the command */
}

/* The supervisor's command line. Durations are passed in full precision; a kill_after below
 * zero (never) is `pgsup run`'s "0", and 0 (at once) is KILL_AT_ONCE. */
static char **helper_argv(const char *helper, const pgsup_cmd *cmd, char nums[3][32])
{
    size_t n = 0, extra = 13;
    char **argv;

    while (cmd->argv[n])
        n++;
    argv = calloc(n + extra + 1, sizeof(*argv));
    if (!argv)
        return NULL;
    snprintf(nums[0], 32, "%d", cmd->signal ? cmd->signal : SIGTERM);
    if (cmd->kill_after_s == 0)
        snprintf(nums[1], 32, "%s", KILL_AT_ONCE);
    else
        snprintf(nums[1], 32, "%.17g", cmd->kill_after_s < 0 ? 0 : cmd->kill_after_s);
    snprintf(nums[2], 32, "%.17g", cmd->timeout_s);
    size_t i = 0;
    argv[i++] = (char *) helper;
    argv[i++] = (char *) "run";
    argv[i++] = (char *) "--no-tty";
    argv[i++] = (char *) "--control-fd=3";
    argv[i++] = (char *) "--signal";
    argv[i++] = nums[0];
    argv[i++] = (char *) "--kill-after";
    argv[i++] = nums[1];
    argv[i++] = (char *) "--timeout";
    argv[i++] = nums[2];
    argv[i++] = (char *) "--";
    for (size_t k = 0; k < n; k++)
        argv[i++] = (char *) cmd->argv[k];
    argv[i] = NULL;
    return argv;
}

/* The command's environment (cmd->envp, else ours) plus the run's marker, which the helper
 * passes on to the command (leftovers.h). The strings are borrowed; the array is ours. */
static char **helper_envp(const pgsup_cmd *cmd, const char *marker)
{
    char *const *from = cmd->envp ? (char *const *) cmd->envp : environ;
    size_t n = 0;
    char **envp;

    while (from[n])
        n++;
    envp = calloc(n + 2, sizeof(*envp));
    if (!envp)
        return NULL;
    memcpy(envp, from, n * sizeof(*envp));
    envp[n] = (char *) marker;
    return envp;
}

static int open_streams(pgsup_proc *p, const pgsup_cmd *cmd, struct spawn_plan *plan,
                        int child[SPAWN_FDS])
{
    size_t max = cmd->capture_max ? cmd->capture_max : CAPTURE_DEFAULT_MAX;
    int sv[2], r;

    if (cmd->stdin_data) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            return -errno;
        p->in_fd = sv[0];
        child[0] = sv[1];
        r = fd_set_nonblock(p->in_fd, 1);
        if (r < 0)
            return r;
        p->in_data = malloc(cmd->stdin_len ? cmd->stdin_len : 1);
        if (!p->in_data)
            return -ENOMEM;
        memcpy(p->in_data, cmd->stdin_data, cmd->stdin_len);
        p->in_len = cmd->stdin_len;
        plan->fds[0] = child[0];
    } else {
        plan->fds[0] = cmd->stdin_fd;
    }
    if (cmd->flags & PGSUP_CAPTURE_STDOUT) {
        r = capture_open(&p->out, max, &child[1]);
        if (r < 0)
            return r;
        plan->fds[1] = child[1];
    } else {
        plan->fds[1] = cmd->stdout_fd;
    }
    if (cmd->flags & PGSUP_CAPTURE_STDERR) {
        r = capture_open(&p->err, max, &child[2]);
        if (r < 0)
            return r;
        plan->fds[2] = child[2];
    } else {
        plan->fds[2] = cmd->stderr_fd;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    p->control_fd = sv[0];
    child[3] = sv[1];
    plan->fds[3] = child[3];
    return 0;
}

/* The supervisor's spawn failed with ENOENT, EACCES, ENOEXEC or ENOTDIR: either its exec or,
 * before it, the change into cwd, which report through the same errno. A cwd that cannot be
 * entered is the caller's error, and not a missing command either: -PGSUP_ECWD. */
static int spawn_error(const char *cwd)
{
    if (cwd && faccessat(AT_FDCWD, cwd, X_OK, AT_EACCESS) < 0)
        return -PGSUP_ECWD;
    return no_helper();
}

static void free_unstarted(pgsup_proc *p)
{
    fd_close(&p->control_fd);
    fd_close(&p->in_fd);
    fd_close(&p->super_pidfd);
    capture_free(&p->out, NULL);
    capture_free(&p->err, NULL);
    free(p->in_data);
    free(p);
}

int client_start(struct ev_loop *loop, const pgsup_cmd *cmd, pgsup_exit_cb *cb, void *userdata,
                 pgsup_proc **ret_proc)
{
    int child[SPAWN_FDS] = {-1, -1, -1, -1};
    char path[PATH_MAX], nums[3][32];
    struct spawn_plan plan;
    const char *helper;
    char **argv = NULL, **envp = NULL;
    pgsup_proc *p;
    int r;

    r = helper_path(path, &helper);
    if (r < 0)
        return r;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    *p = (pgsup_proc){.loop = loop, .cb = cb, .userdata = userdata, .super_pidfd = -1,
                      .control_fd = -1, .in_fd = -1, .owner = getpid(),
                      .signal = cmd->signal ? cmd->signal : SIGTERM};
    leftovers_marker(p->marker);
    capture_init(&p->out);
    capture_init(&p->err);
    spawn_plan_init(&plan);
    r = open_streams(p, cmd, &plan, child);
    if (r < 0)
        goto fail;
    argv = helper_argv(helper, cmd, nums);
    if (!argv) {
        r = -ENOMEM;
        goto fail;
    }
    envp = helper_envp(cmd, p->marker);
    if (!envp) {
        r = -ENOMEM;
        goto fail;
    }
    plan.argv = argv;
    plan.envp = envp;
    plan.cwd = cmd->cwd;
    /* pgid -1: the helper stays in the caller's group (the command's group is numbered by
     * the helper's own pid, so the helper must be outside it); the caller's terminal signals
     * reach it as they reach the caller, which decides, and the helper ignores them. */
    plan.pgid = -1;
    r = spawn_start(&plan, &p->super_pid);
    if (r == -ENOENT || r == -EACCES || r == -ENOEXEC || r == -ENOTDIR)
        r = spawn_error(cmd->cwd);
    for (int i = 0; i < SPAWN_FDS; i++)
        fd_close(&child[i]);
    if (r < 0)
        goto fail;
    free(argv);
    free(envp);
    /* pidfd_open: Linux 5.3+; ENOSYS → poll with waitid on a timer. */
    r = pidfd_get(p->super_pid);
    p->super_pidfd = r >= 0 ? r : -1;
    /* From here on the run is started: whatever happens is reported through cb. */
    ev_io_init(&p->control_io, on_control, p->control_fd, EV_READ);
    p->control_io.data = p;
    ev_io_start(loop, &p->control_io);
    if (p->super_pidfd >= 0) {
        ev_io_init(&p->super_io, on_super, p->super_pidfd, EV_READ);
        p->super_io.data = p;
        ev_io_start(loop, &p->super_io);
    } else {
        ev_timer_init(&p->reap_timer, on_reap_timer, REAP_POLL_S, REAP_POLL_S);
        p->reap_timer.data = p;
        ev_timer_start(loop, &p->reap_timer);
    }
    ev_now_update(loop);
    p->start_limit = ev_now(loop) + START_LIMIT_S;
    ev_timer_init(&p->start_timer, on_start_timer, START_CONT_S, START_CONT_S);
    p->start_timer.data = p;
    ev_timer_start(loop, &p->start_timer);
    if (p->in_fd >= 0) {
        ev_io_init(&p->in_io, on_stdin, p->in_fd, EV_WRITE);
        p->in_io.data = p;
        ev_io_start(loop, &p->in_io);
    }
    if (p->out.fd >= 0)
        capture_start(&p->out, loop, on_capture_eof, p);
    if (p->err.fd >= 0)
        capture_start(&p->err, loop, on_capture_eof, p);
    *ret_proc = p;
    return 0;
fail:
    for (int i = 0; i < SPAWN_FDS; i++)
        fd_close(&child[i]);
    free(argv);
    free(envp);
    free_unstarted(p);
    return r;
}

pid_t client_pid(const pgsup_proc *p)
{
    return p->pid;
}

bool client_owned(const pgsup_proc *p)
{
    /* glibc no longer caches getpid(): a forked child sees its own pid here. */
    return p->owner == getpid();
}

pid_t client_helper_pid(const pgsup_proc *p)
{
    return p->super_pid;
}

void client_set_started(pgsup_proc *p, client_started_fn *fn)
{
    p->started_cb = fn;
}

static int send_msg(pgsup_proc *p, const struct wire_msg *m)
{
    char buf[WIRE_MAX];
    int n;

    if (p->control_closed || p->done_msg || p->error)
        return -ESRCH;
    n = wire_format(m, buf, sizeof(buf));
    if (n < 0)
        return n;
    if (send(p->control_fd, buf, (size_t) n, MSG_NOSIGNAL) < 0)
        return errno == EPIPE || errno == ECONNRESET ? -ESRCH : -errno;
    return 0;
}

int client_signal(pgsup_proc *p, int sig)
{
    return send_msg(p, &(struct wire_msg){.kind = WIRE_SIGNAL, .sig = sig});
}

int client_terminate(pgsup_proc *p, double grace_s)
{
    return send_msg(p,
                    &(struct wire_msg){.kind = WIRE_TERMINATE, .sig = p->signal, .seconds = grace_s});
}

int client_set_deadline(pgsup_proc *p, double timeout_s)
{
    return send_msg(p, &(struct wire_msg){.kind = WIRE_DEADLINE, .seconds = timeout_s});
}
