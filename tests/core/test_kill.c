/* test_kill.c: the sweep on real processes. This test process is the root of the trees it
 * makes and their subreaper, so it can reap escapees too. Readiness comes through pipes and
 * deaths through pidfds; nothing sleeps to synchronize. Every pid made is recorded, and the
 * teardown kills and reaps what a failed test left behind, by pid.
 *
 * Races the sweep must win are made certain by wrapping (-Wl,--wrap) what kill.c calls: kill()
 * (a member leaves its group just before kill(-pgid)), pidfd_get() (a member's pid goes to a
 * stranger just before its pidfd is opened, in a PID namespace where that is certain: see
 * tests/helpers/recycle.h) and proc_scan_descendants() (a snapshot that fails). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/fd.h"
#include "core/kill.h"
#include "core/proc.h"
#include "recycle.h"

/* --- faults between the sweep's steps ----------------------------------------------------- */

int __real_kill(pid_t pid, int sig);
int __wrap_kill(pid_t pid, int sig);
int __real_proc_scan_descendants(pid_t root, struct proc_table *t);
int __wrap_proc_scan_descendants(pid_t root, struct proc_table *t);

/* Armed (> 0): the next kill(-hop_pgid) first moves hop_pid into a group of its own. */
static pid_t hop_pid, hop_pgid;
static int hop_err;

int __wrap_kill(pid_t pid, int sig)
{
    if (hop_pid > 0 && pid == -hop_pgid) {
        pid_t p = hop_pid;
        hop_pid = 0;
        /* our child, not exec'd, in our session: we may move it */
        hop_err = setpgid(p, p) < 0 ? errno : 0;
    }
    return __real_kill(pid, sig);
}

/* Armed: the next snapshot fails, as when memory runs out. */
static bool snapshot_fails;

int __wrap_proc_scan_descendants(pid_t root, struct proc_table *t)
{
    if (snapshot_fails) {
        snapshot_fails = false;
        t->len = 0;
        return -ENOMEM;
    }
    return __real_proc_scan_descendants(root, t);
}

/* Deaths and reports are events; this bound only turns a missed signal into a failure instead
 * of a hang (meson would then kill only our group, and the escapees would stay). */
#define EVENT_TIMEOUT_MS 5000

/* Unreaped processes this test made, in the order they must be reaped (parents first: an
 * escapee becomes our child only once its parent is gone). */
static pid_t made[8];
static size_t made_len;

/* Every helper blocks reading the lifeline, whose write end only this process holds: if the
 * test process dies, however it dies, the helpers read end of file and exit. */
static int lifeline[2] = {-1, -1};

static void track(pid_t pid)
{
    assert_true(made_len < sizeof(made) / sizeof(made[0]));
    made[made_len++] = pid;
}

static void untrack(pid_t pid)
{
    for (size_t i = 0; i < made_len; i++) {
        if (made[i] == pid) {
            memmove(&made[i], &made[i + 1], (made_len - i - 1) * sizeof(made[0]));
            made_len--;
            return;
        }
    }
}

static int setup_group(void **state)
{
    (void) state;
    if (fd_pipe(lifeline) < 0)
        return -1;
    /* orphaned escapees come back to us, so they can be reaped and cannot reach init */
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
}

static int teardown_group(void **state)
{
    (void) state;
    fd_close(&lifeline[0]);
    fd_close(&lifeline[1]);
    return 0;
}

/* First call in every forked helper: only the test process keeps the lifeline's write end. */
static void child_begin(void)
{
    fd_close(&lifeline[1]);
}

/* Helpers wait here for their signals; they return only to exit when the test process dies. */
static _Noreturn void child_wait(void)
{
    for (;;) {
        char c;
        ssize_t n = read(lifeline[0], &c, 1);
        if (n == 0 || (n < 0 && errno != EINTR))
            _exit(0);
    }
}

static int teardown(void **state)
{
    (void) state;
    /* unreaped pids cannot have been recycled: killing them by pid is safe */
    for (size_t i = 0; i < made_len; i++)
        (void) kill(made[i], SIGKILL);
    for (size_t i = 0; i < made_len; i++)
        (void) waitpid(made[i], NULL, 0); /* ECHILD if it was never ours: nothing to do */
    made_len = 0;
    return 0;
}

/* Waits until pid has exited (it need not be our child), then reaps it and returns its wait
 * status. Fails the test if it is still alive after EVENT_TIMEOUT_MS. */
static int reap(pid_t pid)
{
    int fd = (int) syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int st = 0;

    if (fd >= 0) {
        int n = poll(&p, 1, EVENT_TIMEOUT_MS);
        fd_close(&fd);
        if (n == 0)
            fail_msg("pid %d still alive %d ms after the sweep", (int) pid, EVENT_TIMEOUT_MS);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    untrack(pid);
    return st;
}

/* Fails the test unless fd becomes readable (data or end of file) within EVENT_TIMEOUT_MS. */
static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    if (poll(&p, 1, EVENT_TIMEOUT_MS) != 1)
        fail_msg("no report from a helper process within %d ms", EVENT_TIMEOUT_MS);
}

static pid_t read_pid(int fd)
{
    pid_t pid = 0;

    wait_readable(fd);
    if (fd_read_all(fd, &pid, sizeof(pid)) != (ssize_t) sizeof(pid))
        fail_msg("a helper process died before reporting");
    return pid;
}

static char read_byte(int fd)
{
    char c = 0;

    wait_readable(fd);
    if (fd_read_all(fd, &c, 1) != 1)
        fail_msg("a helper process died before reporting");
    return c;
}

struct notes {
    struct kill_note v[8];
    size_t len;
};

static void note_cb(const struct kill_note *note, void *userdata)
{
    struct notes *n = userdata;

    if (n->len < sizeof(n->v) / sizeof(n->v[0]))
        n->v[n->len++] = *note;
}

/* Forks a child that leads a new group and waits for signals in child_wait(). With escapee, the
 * child first forks a grandchild that leaves with setsid(); *ret_escapee gets its pid once
 * it has. */
static pid_t make_group(bool escapee, pid_t *ret_escapee)
{
    int fds[2];
    pid_t child;

    assert_int_equal(fd_pipe(fds), 0);
    fflush(NULL);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* child: no cmocka from here on, only _exit */
        child_begin();
        pid_t me;
        fd_close(&fds[0]);
        if (setpgid(0, 0) < 0)
            _exit(101);
        if (escapee) {
            pid_t g = fork();
            if (g < 0)
                _exit(102);
            if (g == 0) {
                if (setsid() < 0)
                    _exit(103);
                me = getpid();
                if (fd_write_all(fds[1], &me, sizeof(me)) < 0)
                    _exit(104);
                child_wait();
            }
        }
        me = getpid();
        if (fd_write_all(fds[1], &me, sizeof(me)) < 0)
            _exit(105);
        fd_close(&fds[1]);
        child_wait();
    }
    /* both sides set the group: no window where it does not exist yet */
    if (setpgid(child, child) < 0)
        assert_true(errno == EACCES || errno == ESRCH);
    track(child);
    fd_close(&fds[1]);
    /* Both report, in either order; the child reports once it is in its group. */
    for (int i = 0; i < 1 + escapee; i++) {
        pid_t pid = read_pid(fds[0]);
        if (pid == child)
            continue;
        assert_true(escapee && pid > 0);
        *ret_escapee = pid;
        track(pid);
    }
    fd_close(&fds[0]);
    return child;
}

static void test_kill_phase_kill_reaches_group_and_setsid_escapee(void **state)
{
    struct proc_entry ce, ge;
    struct notes notes = {0};
    struct killer k;
    pid_t child, grandchild = 0;
    int st, n;

    (void) state;
    child = make_group(true, &grandchild);
    /* the shape we mean to test: the grandchild has left the group and the session */
    assert_int_equal(proc_stat_read(child, &ce), 0);
    assert_int_equal(proc_stat_read(grandchild, &ge), 0);
    assert_int_equal(ce.pgid, child);
    assert_int_equal(ge.ppid, child);
    assert_int_equal(ge.pgid, grandchild);
    assert_int_equal(ge.sid, grandchild);

    kill_init(&k, &(struct tree_scope){.pgid = child, .root = getpid(), .exclude = getpid()});
    assert_int_equal(kill_count(&k), 2);
    /* KILL reaches the group before the snapshot (kill.c): the child may be gone from it. */
    n = kill_phase(&k, SIGKILL, note_cb, &notes);
    assert_true(n == 1 || n == 2);

    /* one note for the group, one for the escapee, which was signalled on its own */
    assert_int_equal(notes.len, 2);
    assert_true(notes.v[0].group);
    assert_int_equal(notes.v[0].pid, child);
    assert_int_equal(notes.v[0].sig, SIGKILL);
    assert_int_equal(notes.v[0].count, (unsigned) n - 1);
    assert_false(notes.v[1].group);
    assert_true(notes.v[1].escapee);
    assert_int_equal(notes.v[1].pid, grandchild);
    assert_int_equal(notes.v[1].sig, SIGKILL);

    st = reap(child);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    st = reap(grandchild);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);

    assert_int_equal(kill_count(&k), 0);
    kill_free(&k);
}

static void on_term(int sig)
{
    (void) sig;
    _exit(42); /* async-signal-safe: child */
}

/* A stopped process acts on no signal but KILL until it is continued: the sweep must follow
 * TERM with CONT. The member handles TERM (a default TERM would kill even a stopped process),
 * so only the CONT lets it act on it. */
static void test_kill_phase_term_continues_stopped_member(void **state)
{
    struct sigaction sa = {.sa_handler = on_term};
    struct killer k;
    pid_t child;
    int st;

    (void) state;
    fflush(NULL);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* child */
        child_begin();
        if (setpgid(0, 0) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
            _exit(101);
        (void) raise(SIGSTOP);
        child_wait();
    }
    if (setpgid(child, child) < 0)
        assert_true(errno == EACCES || errno == ESRCH);
    track(child);
    assert_int_equal(waitpid(child, &st, WUNTRACED), child);
    assert_true(WIFSTOPPED(st));

    kill_init(&k, &(struct tree_scope){.pgid = child, .root = getpid(), .exclude = getpid()});
    assert_int_equal(kill_phase(&k, SIGTERM, NULL, NULL), 1);
    st = reap(child);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
    kill_free(&k);
}

/* Forks a child in a group of its own that echoes one byte from *ret_to to *ret_from. */
static pid_t make_echo(int *ret_to, int *ret_from)
{
    int in[2], out[2];
    pid_t pid;

    assert_int_equal(fd_pipe(in), 0);
    assert_int_equal(fd_pipe(out), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* child */
        child_begin();
        char c;
        fd_close(&in[1]);
        fd_close(&out[0]);
        if (setpgid(0, 0) < 0)
            _exit(101);
        if (fd_read_all(in[0], &c, 1) != 1 || fd_write_all(out[1], &c, 1) < 0)
            _exit(102);
        child_wait();
    }
    if (setpgid(pid, pid) < 0)
        assert_true(errno == EACCES || errno == ESRCH);
    track(pid);
    fd_close(&in[0]);
    fd_close(&out[1]);
    *ret_to = in[1];
    *ret_from = out[0];
    return pid;
}

static void test_kill_phase_spares_outsiders(void **state)
{
    struct killer k;
    pid_t target, bystander;
    int to = -1, from = -1, st;
    char c = 'x';

    (void) state;
    target = make_group(false, NULL);
    bystander = make_echo(&to, &from);

    /* the job is target's tree only; the bystander is our child too, but not target's */
    kill_init(&k, &(struct tree_scope){.pgid = target, .root = target, .exclude = 0});
    /* KILL goes to the group before the snapshot (kill.h): the target may be seen dying or
     * already dead, the bystander never. */
    assert_in_range(kill_phase(&k, SIGKILL, NULL, NULL), 0, 1);
    st = reap(target);
    assert_true(WIFSIGNALED(st));

    /* Any signal the sweep sent was sent before it returned; a KILL pending on the bystander
     * would end it as it wakes for the byte, before it could answer. */
    assert_int_equal(fd_write_all(to, &c, 1), 0);
    assert_int_equal(read_byte(from), 'x');
    fd_close(&to);
    fd_close(&from);

    assert_int_equal(kill(bystander, SIGKILL), 0);
    st = reap(bystander);
    assert_true(WIFSIGNALED(st));
    kill_free(&k);
}

/* The fd a child's signal handlers report to. */
static int report_fd = -1;

static void on_usr(int sig)
{
    /* async-signal-safe: child, in a handler */
    int saved = errno;
    char c = sig == SIGUSR1 ? 'U' : 'B';

    (void) fd_write_all(report_fd, &c, 1);
    errno = saved;
}

/* The reporting pair of the sweep tests. C leads a group of its own and reports every USR1 as
 * 'U' and USR2 as 'B' on c_pipe (after an 'R' once its handlers are set); a USR2 we send
 * ourselves after a sweep is the barrier: had the sweep sent a USR1, it would come first (the
 * lower signal is delivered first). C forks D, which leaves with setsid() and reports likewise
 * on d_pipe, after its pid: at once with cmd_fd < 0, else once a byte arrives on cmd_fd. The
 * pipes are the callers'; C is tracked, D is the caller's to read and track. */
static pid_t make_reporters(int cmd_fd, const int c_pipe[2], const int d_pipe[2])
{
    struct sigaction sa = {.sa_handler = on_usr};
    pid_t c;
    char x;

    fflush(NULL);
    c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        /* child C; D below */
        int c_rd = c_pipe[0], d_rd = d_pipe[0];
        child_begin();
        fd_close(&c_rd);
        fd_close(&d_rd);
        report_fd = c_pipe[1];
        if (setpgid(0, 0) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0 ||
            sigaction(SIGUSR2, &sa, NULL) < 0 || fd_write_all(report_fd, "R", 1) < 0)
            _exit(101);
        if (cmd_fd < 0 || fd_read_all(cmd_fd, &x, 1) == 1) {
            pid_t d = fork(), me;
            if (d < 0)
                _exit(102);
            if (d == 0) {
                report_fd = d_pipe[1];
                me = getpid();
                if (setsid() < 0 || fd_write_all(report_fd, &me, sizeof(me)) < 0)
                    _exit(103);
            }
        }
        child_wait();
    }
    if (setpgid(c, c) < 0)
        assert_true(errno == EACCES || errno == ESRCH);
    track(c);
    assert_int_equal(read_byte(c_pipe[0]), 'R');
    return c;
}

/* A graceful phase gives the tree one signal: the group and every member that existed get it
 * once; what the tree forks afterwards (a TERM trap's cleanup command: D here) is left to
 * finish by every later sweep of the phase. Only the KILL phase signals everyone on every
 * sweep. */
static void test_kill_sweep_spares_what_the_tree_forks_after_the_signal(void **state)
{
    int cmd[2], c_pipe[2], d_pipe[2];
    struct killer k;
    pid_t c, d;
    char x = '+';
    int n;

    (void) state;
    assert_int_equal(fd_pipe(cmd), 0);
    assert_int_equal(fd_pipe(c_pipe), 0);
    assert_int_equal(fd_pipe(d_pipe), 0);
    c = make_reporters(cmd[0], c_pipe, d_pipe);
    fd_close(&cmd[0]);
    fd_close(&c_pipe[1]);
    fd_close(&d_pipe[1]);

    kill_init(&k, &(struct tree_scope){.pgid = c, .root = getpid(), .exclude = getpid()});
    assert_int_equal(kill_phase(&k, SIGUSR1, NULL, NULL), 1);
    assert_int_equal(read_byte(c_pipe[0]), 'U');

    /* D appears after the signal: no later sweep of the phase signals it, nor C again */
    assert_int_equal(fd_write_all(cmd[1], &x, 1), 0);
    d = read_pid(d_pipe[0]);
    track(d);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kill_sweep(&k, NULL, NULL), 2);
        assert_int_equal(kill(d, SIGUSR2), 0);
        assert_int_equal(read_byte(d_pipe[0]), 'B');
        assert_int_equal(kill(c, SIGUSR2), 0);
        assert_int_equal(read_byte(c_pipe[0]), 'B');
    }

    /* a new phase starts over: everyone gets its signal again */
    assert_int_equal(kill_phase(&k, SIGUSR1, NULL, NULL), 2);
    assert_int_equal(read_byte(c_pipe[0]), 'U');
    assert_int_equal(read_byte(d_pipe[0]), 'U');
    /* KILL reaches the group before the snapshot (kill.c): C may be gone from it already. */
    n = kill_phase(&k, SIGKILL, NULL, NULL);
    assert_true(n == 1 || n == 2);
    assert_true(WIFSIGNALED(reap(c)));
    assert_true(WIFSIGNALED(reap(d)));
    assert_int_equal(kill_count(&k), 0);
    fd_close(&cmd[1]);
    fd_close(&c_pipe[0]);
    fd_close(&d_pipe[0]);
    kill_free(&k);
}

/* Waits until the clock tick in which pid started is over, so that "started before the
 * phase" is certain for it. */
static void wait_tick_after_start_of(pid_t pid)
{
    struct proc_entry e;

    assert_int_equal(proc_stat_read(pid, &e), 0);
    while (proc_boot_ticks() <= e.start) {
        struct timespec ms = {.tv_nsec = 1000 * 1000};
        (void) nanosleep(&ms, NULL); /* waits for the clock, not for another process */
    }
}

/* The phase's snapshot fails (no memory): the group gets its signal anyway, and the escapee D,
 * which existed before the signal, is still owed it: a later sweep of the phase delivers it,
 * once. */
static void test_kill_sweep_reaches_escapee_the_phase_missed(void **state)
{
    int c_pipe[2], d_pipe[2];
    struct notes notes = {0};
    struct killer k;
    pid_t c, d;
    int n;

    (void) state;
    assert_int_equal(fd_pipe(c_pipe), 0);
    assert_int_equal(fd_pipe(d_pipe), 0);
    c = make_reporters(-1, c_pipe, d_pipe);
    fd_close(&c_pipe[1]);
    fd_close(&d_pipe[1]);
    d = read_pid(d_pipe[0]);
    track(d);
    wait_tick_after_start_of(d);

    kill_init(&k, &(struct tree_scope){.pgid = c, .root = getpid(), .exclude = getpid()});
    snapshot_fails = true;
    assert_int_equal(kill_phase(&k, SIGUSR1, note_cb, &notes), -ENOMEM);
    assert_false(snapshot_fails);
    assert_int_equal(read_byte(c_pipe[0]), 'U');
    assert_int_equal(notes.len, 1); /* the group note alone: nobody was seen */
    assert_int_equal(kill_sweep(&k, note_cb, &notes), 2);
    assert_int_equal(read_byte(d_pipe[0]), 'U');
    assert_int_equal(notes.len, 2);
    assert_int_equal(notes.v[1].pid, d);
    assert_true(notes.v[1].escapee);
    /* once: the next sweep leaves both alone */
    assert_int_equal(kill_sweep(&k, NULL, NULL), 2);
    assert_int_equal(kill(d, SIGUSR2), 0);
    assert_int_equal(read_byte(d_pipe[0]), 'B');
    assert_int_equal(kill(c, SIGUSR2), 0);
    assert_int_equal(read_byte(c_pipe[0]), 'B');

    /* KILL reaches the group before the snapshot (kill.c): C may be gone from it already. */
    n = kill_phase(&k, SIGKILL, NULL, NULL);
    assert_true(n == 1 || n == 2);
    assert_true(WIFSIGNALED(reap(c)));
    assert_true(WIFSIGNALED(reap(d)));
    fd_close(&c_pipe[0]);
    fd_close(&d_pipe[0]);
    kill_free(&k);
}

/* A member leaves the group (setpgid) after the snapshot saw it there and before kill(-pgid):
 * the group signal misses it. The sweep must notice (the member is not in the group after
 * the signal) and signal it on its own; with --kill-after 0 nothing else ever would. */
static void test_kill_phase_reaches_member_that_left_the_group_before_the_signal(void **state)
{
    struct notes notes = {0};
    struct proc_entry e;
    struct killer k;
    pid_t leader, hopper;
    int st;

    (void) state;
    leader = make_group(false, NULL);
    fflush(NULL);
    hopper = fork();
    assert_true(hopper >= 0);
    if (hopper == 0) {
        /* child: waits. Only we move it between groups: had it joined the leader's group
         * itself, it could do so after the hop and undo it. */
        child_begin();
        child_wait();
    }
    assert_int_equal(setpgid(hopper, leader), 0); /* not exec'd, in our session: allowed */
    track(hopper);
    assert_int_equal(proc_stat_read(hopper, &e), 0);
    assert_int_equal(e.pgid, leader);

    kill_init(&k, &(struct tree_scope){.pgid = leader, .root = getpid(), .exclude = getpid()});
    hop_pgid = leader;
    hop_pid = hopper;
    assert_int_equal(kill_phase(&k, SIGTERM, note_cb, &notes), 2);
    assert_int_equal(hop_pid, 0); /* the hop happened, right before the group signal */
    assert_int_equal(hop_err, 0);

    st = reap(leader);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    st = reap(hopper);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    /* the group reached one member; the hopper was signalled on its own */
    assert_int_equal(notes.len, 2);
    assert_true(notes.v[0].group);
    assert_int_equal(notes.v[0].count, 1);
    assert_int_equal(notes.v[1].pid, hopper);
    assert_true(notes.v[1].escapee);
    kill_free(&k);
}

/* In the recycling namespace: the victim, a member of the parent's tree, dies and a stranger
 * takes its pid in the same clock tick, after the sweep's snapshot and before it opens the
 * victim's pidfd. The stranger must not get the sweep's SIGKILL. */
static int sweep_recycled(const struct recycle *r, void *arg)
{
    struct killer k;
    int n;

    (void) arg;
    kill_init(&k, &(struct tree_scope){.root = r->parent, .exclude = r->parent});
    n = kill_phase(&k, SIGKILL, NULL, NULL);
    kill_free(&k);
    return n;
}

static void test_kill_phase_spares_stranger_with_recycled_pid(void **state)
{
    int r;

    (void) state;
    r = recycle_test(NULL, sweep_recycled, NULL);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_kill_phase_kill_reaches_group_and_setsid_escapee,
                                  teardown),
        cmocka_unit_test_teardown(test_kill_phase_term_continues_stopped_member, teardown),
        cmocka_unit_test_teardown(test_kill_phase_spares_outsiders, teardown),
        cmocka_unit_test_teardown(test_kill_sweep_spares_what_the_tree_forks_after_the_signal,
                                  teardown),
        cmocka_unit_test_teardown(test_kill_sweep_reaches_escapee_the_phase_missed, teardown),
        cmocka_unit_test_teardown(
            test_kill_phase_reaches_member_that_left_the_group_before_the_signal, teardown),
        cmocka_unit_test_teardown(test_kill_phase_spares_stranger_with_recycled_pid, teardown),
    };

    return cmocka_run_group_tests_name("kill", tests, setup_group, teardown_group);
}
