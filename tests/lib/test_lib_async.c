/* test_lib_async.c: pgsup_start() on a libev loop: the callback runs exactly once with the
 * right result, pgsup_pid/pgsup_signal/pgsup_terminate/pgsup_set_deadline act on the whole
 * tree, the calls give -ESRCH from inside the callback, and 100 runs with random deadlines share
 * one loop. Every test ends with the /proc check (nothing marked alive, no child of the test).
 *
 * A loop is run with an unreferenced watchdog timer: ev_run() returns as soon as the library's
 * own watchers are all stopped, so a watcher left active after the callback shows up as the
 * watchdog firing instead of the test returning. */
#include <errno.h>
#include <ev.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtest.h"
#include "procscan.h"

#define WATCHDOG_S LIBTEST_BOUND_S

struct watchdog {
    ev_timer timer;
    bool fired;
};

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct watchdog *wd = w->data;

    (void) revents;
    wd->fired = true;
    ev_break(loop, EVBREAK_ALL);
}

/* Runs loop until no run is left; fails if that takes longer than limit_s. */
static void loop_run_all_within(struct ev_loop *loop, double limit_s)
{
    struct watchdog wd = {.fired = false};

    ev_timer_init(&wd.timer, on_watchdog, limit_s, 0);
    wd.timer.data = &wd;
    ev_timer_start(loop, &wd.timer);
    ev_unref(loop); /* the watchdog alone does not keep ev_run() going */
    ev_run(loop, 0);
    ev_ref(loop);
    ev_timer_stop(loop, &wd.timer);
    if (wd.fired)
        fail_msg("the loop still had active watchers after %.0f s", limit_s);
}

static void loop_run_all(struct ev_loop *loop)
{
    loop_run_all_within(loop, WATCHDOG_S);
}

static void on_pause_over(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) w;
    (void) revents;
    ev_break(loop, EVBREAK_ALL);
}

/* Runs loop for seconds, whatever happens meanwhile: to show that something did not happen. */
static void loop_run_for(struct ev_loop *loop, double seconds)
{
    ev_timer t;

    ev_timer_init(&t, on_pause_over, seconds, 0);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
}

static struct ev_loop *loop_new(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

    assert_non_null(loop);
    return loop;
}

/* One test's run: its loop, its command, and what the callback recorded. */
struct trial {
    struct ev_loop *loop;
    pgsup_cmd cmd;       /* argv borrowed: static, or on the test's stack */
    pgsup_proc *p;       /* valid until the callback has run */
    int calls;
    pid_t pid;           /* pgsup_pid() after the start */
    pid_t pid_in_cb;     /* pgsup_pid() in the callback */
    pgsup_result r;      /* a copy; out and err taken over */
    bool try_calls;      /* call signal/terminate/set_deadline in the callback */
    int in_cb_signal, in_cb_terminate, in_cb_deadline;
};

static void record_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    struct trial *t = userdata;

    t->calls++;
    t->pid_in_cb = pgsup_pid(p);
    if (t->try_calls) {
        t->in_cb_signal = pgsup_signal(p, SIGTERM);
        t->in_cb_terminate = pgsup_terminate(p, 0);
        t->in_cb_deadline = pgsup_set_deadline(p, 1);
    }
    t->r = *r;
    /* Documented: the callback may keep the buffers. */
    r->out = r->err = NULL;
}

/* A fresh loop and a command running argv; the test adjusts t->cmd, then starts it. */
static void trial_init(struct trial *t, const char *const *argv)
{
    *t = (struct trial){.loop = loop_new(), .cmd = PGSUP_CMD_INIT};
    t->cmd.argv = argv;
}

static void trial_start(struct trial *t)
{
    int err = pgsup_start(t->loop, &t->cmd, record_cb, t, &t->p);

    if (err != 0)
        fail_msg("pgsup_start('%s') = %d (%s)", t->cmd.argv[0], err, pgsup_strerror(err));
    assert_non_null(t->p);
    /* pgsup_start() does not wait for the helper: the command's pid is reported later, on
     * the loop (before the callback, which frees p). */
    assert_int_equal(t->calls, 0);
    while (t->calls == 0 && pgsup_pid(t->p) == 0)
        ev_run(t->loop, EVRUN_ONCE);
    assert_int_equal(t->calls, 0);
    t->pid = pgsup_pid(t->p);
    assert_true(t->pid > 0);
}

/* Starts t with a ready pipe and reads the one "ready PID..." line of its tree (mktree's, or
 * the shell's below): the tree stands. Returns the number of pids put in pids. */
static long trial_start_ready(struct trial *t, pid_t *pids, size_t max)
{
    int ready[2];
    long n;

    assert_int_equal(procmark_ready_pipe(ready, NULL), 0);
    trial_start(t);
    procmark_ready_release(ready);
    n = procmark_read_ready(ready[0], 1, 20, pids, max);
    procmark_ready_close(ready);
    return n;
}

/* Runs the loop until the run is over, checks the callback came once and only once, frees the
 * loop and checks /proc. */
static void trial_finish(struct trial *t, const char *what)
{
    loop_run_all(t->loop);
    assert_int_equal(t->calls, 1);
    assert_int_equal(t->pid_in_cb, t->pid);
    /* Run again: nothing is left that could call back a second time. */
    loop_run_all(t->loop);
    assert_int_equal(t->calls, 1);
    ev_loop_destroy(t->loop);
    assert_true(isfinite(t->r.wall_s) && t->r.wall_s >= 0 && t->r.wall_s < 600);
    if (procmark_check(what) != 0)
        fail_msg("%s: processes left", what);
}

static const char *const sleep_argv[] = {"sleep", "1000", NULL};

/* --- the callback -------------------------------------------------------------------------- */

static void test_async_exit_code(void **state)
{
    const char *argv[] = {"sh", "-c", "exit 3", NULL};
    struct trial t;

    (void) state;
    trial_init(&t, argv);
    trial_start(&t);
    /* The callback runs from the loop only, never from pgsup_start(). */
    assert_int_equal(t.calls, 0);
    trial_finish(&t, "after exit 3");
    assert_int_equal(t.r.exit_code, 3);
    assert_int_equal(t.r.term_signal, 0);
    assert_false(t.r.timed_out);
}

static void test_async_esrch_in_callback(void **state)
{
    const char *argv[] = {"true", NULL};
    struct trial t;

    (void) state;
    trial_init(&t, argv);
    t.try_calls = true;
    trial_start(&t);
    trial_finish(&t, "after -ESRCH calls");
    assert_int_equal(t.in_cb_signal, -ESRCH);
    assert_int_equal(t.in_cb_terminate, -ESRCH);
    assert_int_equal(t.in_cb_deadline, -ESRCH);
    assert_int_equal(t.r.exit_code, 0);
}

/* The callback takes the buffers (and frees them itself, later). */
static void test_async_callback_keeps_output(void **state)
{
    const char *argv[] = {"sh", "-c", "printf out; printf err >&2", NULL};
    struct trial t;

    (void) state;
    trial_init(&t, argv);
    t.cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    trial_start(&t);
    trial_finish(&t, "after capture");
    assert_string_equal(t.r.out, "out");
    assert_string_equal(t.r.err, "err");
    assert_int_equal(t.r.out_len, 3);
    pgsup_result_free(&t.r);
}

/* The start is asynchronous (issue 12): pgsup_start() returns 0 before the helper tried the
 * command, and its exec error comes through the callback, once, in r->error, with neither an
 * exit code nor a signal. (Before issue 12, pgsup_start() blocked until the helper reported
 * and returned -ENOENT itself.) */
static void test_async_start_not_found(void **state)
{
    const char *argv[] = {"pgsup-lib-test-no-such-command", NULL};
    struct trial t;

    (void) state;
    trial_init(&t, argv);
    assert_int_equal(pgsup_start(t.loop, &t.cmd, record_cb, &t, &t.p), 0);
    assert_int_equal(pgsup_pid(t.p), 0);
    assert_int_equal(t.calls, 0);
    loop_run_all(t.loop);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.pid_in_cb, 0);
    assert_int_equal(t.r.error, -ENOENT);
    assert_int_equal(t.r.exit_code, -1);
    assert_int_equal(t.r.term_signal, -1);
    ev_loop_destroy(t.loop);
    assert_int_equal(procmark_check("after a command not found"), 0);
}

/* --- pgsup_signal -------------------------------------------------------------------------- */

static void test_async_signal(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, sleep_argv);
    trial_start(&t);
    assert_int_equal(pgsup_signal(t.p, SIGUSR1), 0);
    trial_finish(&t, "after SIGUSR1");
    assert_int_equal(t.r.term_signal, SIGUSR1);
    assert_int_equal(t.r.exit_code, -1);
    assert_false(t.r.timed_out);
    assert_false(t.r.killed);
}

/* SIGSTOP and SIGCONT reach every member, escapees included (a new session, a daemon). */
static void test_async_signal_whole_tree(void **state)
{
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    const char *argv[] = {mktree, "setsid-tree", "doublefork", NULL};
    struct trial t;
    pid_t pids[16];
    long n;

    (void) state;
    trial_init(&t, argv);
    n = trial_start_ready(&t, pids, 16);
    assert_int_equal(n, 4); /* leader, escapee and its child, daemon */
    assert_int_equal(pids[0], t.pid);
    assert_int_equal(pgsup_signal(t.p, SIGSTOP), 0);
    if (!procmark_wait_states(pids, (size_t) n, true, 20))
        fail_msg("SIGSTOP did not reach every member of the tree");
    assert_int_equal(pgsup_signal(t.p, SIGCONT), 0);
    if (!procmark_wait_states(pids, (size_t) n, false, 20))
        fail_msg("SIGCONT did not reach every member of the tree");
    for (long i = 0; i < n; i++)
        assert_true(procmark_is_marked(pids[i]));
    assert_int_equal(pgsup_terminate(t.p, 5), 0);
    trial_finish(&t, "after stopping and continuing a tree");
    assert_int_equal(t.r.term_signal, SIGTERM);
    assert_false(t.r.killed);
    for (long i = 0; i < n; i++)
        assert_false(procmark_is_marked(pids[i]));
}

/* --- pgsup_terminate ----------------------------------------------------------------------- */

static void test_async_terminate(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, sleep_argv);
    trial_start(&t);
    assert_int_equal(pgsup_terminate(t.p, 5), 0);
    trial_finish(&t, "after terminate");
    assert_int_equal(t.r.term_signal, SIGTERM);
    assert_false(t.r.timed_out);
    assert_false(t.r.killed);
}

/* pgsup_terminate() sends cmd.signal. */
static void test_async_terminate_signal(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, sleep_argv);
    t.cmd.signal = SIGINT;
    trial_start(&t);
    assert_int_equal(pgsup_terminate(t.p, 5), 0);
    trial_finish(&t, "after terminate with SIGINT");
    assert_int_equal(t.r.term_signal, SIGINT);
    assert_false(t.r.killed);
}

/* A shell that ignores SIGTERM, then says so on the ready pipe and becomes a sleep that
 * ignores it too. Tests wait for that line: a SIGTERM sent before the trap would kill it. */
#define IGNORE_TERM "trap '' TERM; echo ready $$ >\"$" PROCMARK_READY_VAR "\"; exec sleep 1000"

static const char *const ignore_term_argv[] = {"sh", "-c", IGNORE_TERM, NULL};

static void start_term_ignorer(struct trial *t)
{
    pid_t pid = 0;

    assert_int_equal(trial_start_ready(t, &pid, 1), 1);
    assert_int_equal(pid, t->pid);
}

/* grace 0: SIGKILL at once, for a tree that ignores SIGTERM. */
static void test_async_terminate_grace_zero(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, ignore_term_argv);
    start_term_ignorer(&t);
    assert_int_equal(pgsup_terminate(t.p, 0), 0);
    trial_finish(&t, "after terminate with no grace");
    assert_int_equal(t.r.term_signal, SIGKILL);
    assert_true(t.r.killed);
    assert_false(t.r.timed_out);
}

/* grace < 0: never SIGKILL. The tree that ignores SIGTERM is still there after a while; only
 * our own SIGKILL ends it, and pgsup did not escalate. */
static void test_async_terminate_never_kill(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, ignore_term_argv);
    start_term_ignorer(&t);
    assert_int_equal(pgsup_terminate(t.p, -1), 0);
    loop_run_for(t.loop, 0.5);
    assert_int_equal(t.calls, 0);
    assert_true(procmark_is_marked(t.pid));
    assert_int_equal(pgsup_signal(t.p, SIGKILL), 0);
    trial_finish(&t, "after terminate without SIGKILL");
    assert_int_equal(t.r.term_signal, SIGKILL);
    assert_false(t.r.killed);
}

/* cmd.kill_after_s < 0: the deadline's SIGTERM, and never SIGKILL. */
static void test_async_kill_after_never(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, ignore_term_argv);
    t.cmd.kill_after_s = -1;
    start_term_ignorer(&t);
    assert_int_equal(pgsup_set_deadline(t.p, 0.1), 0);
    loop_run_for(t.loop, 1.0);
    assert_int_equal(t.calls, 0);
    assert_true(procmark_is_marked(t.pid));
    assert_int_equal(pgsup_signal(t.p, SIGKILL), 0);
    trial_finish(&t, "after a deadline without SIGKILL");
    assert_true(t.r.timed_out);
    assert_int_equal(t.r.term_signal, SIGKILL);
    assert_false(t.r.killed);
}

/* A graceful stop lets the tree shut down: the shell's TERM trap runs a cleanup that takes 1 s
 * and then writes a file. The cleanup's processes start after the stop signal: they get no
 * second one, and within a 3 s grace the file is written and the shell exits 0; with 0.2 s
 * the grace's KILL ends them first, and nothing is left. */
static void terminate_trap_cleanup(double grace_s, bool finishes)
{
    char path[96], script[256];
    const char *const argv[] = {"sh", "-c", script, NULL};
    const char *tmp = getenv("TMPDIR");
    struct trial t;
    pid_t pid = 0;

    snprintf(path, sizeof(path), "%s/pgsup-lib-trap-%d.out", tmp && *tmp ? tmp : "/tmp",
             (int) getpid());
    (void) unlink(path); /* ENOENT: as it should be */
    snprintf(script, sizeof(script),
             "trap 'sleep 1 && echo done > %s; exit 0' TERM; sleep 1000 & echo ready $$ > \"$"
             PROCMARK_READY_VAR "\"; wait",
             path);
    trial_init(&t, argv);
    assert_int_equal(trial_start_ready(&t, &pid, 1), 1);
    assert_int_equal(pgsup_terminate(t.p, grace_s), 0);
    trial_finish(&t, finishes ? "after a graceful stop" : "after a short grace");
    if ((access(path, F_OK) == 0) != finishes)
        fail_msg("grace %.1f s: the cleanup's file was%s written", grace_s,
                 finishes ? " not" : "");
    (void) unlink(path);
    if (finishes) {
        assert_int_equal(t.r.exit_code, 0);
        assert_false(t.r.killed);
    } else {
        assert_int_equal(t.r.term_signal, SIGKILL);
        assert_true(t.r.killed);
    }
}

static void test_async_terminate_lets_trap_cleanup_finish(void **state)
{
    (void) state;
    terminate_trap_cleanup(3.0, true);
}

static void test_async_terminate_short_grace_kills_trap_cleanup(void **state)
{
    (void) state;
    terminate_trap_cleanup(0.2, false);
}

/* --- pgsup_set_deadline -------------------------------------------------------------------- */

static void test_async_set_deadline(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, sleep_argv);
    trial_start(&t);
    assert_int_equal(pgsup_set_deadline(t.p, 0.1), 0);
    trial_finish(&t, "after a deadline set later");
    assert_true(t.r.timed_out);
    assert_int_equal(t.r.term_signal, SIGTERM);
}

/* A later deadline replaces an earlier one: the command outlives its first deadline. (The
 * first one leaves the request half a second to arrive.) */
static void test_async_set_deadline_extends(void **state)
{
    const char *argv[] = {"sh", "-c", "sleep 1; exit 4", NULL};
    struct trial t;

    (void) state;
    trial_init(&t, argv);
    t.cmd.timeout_s = 0.5;
    trial_start(&t);
    assert_int_equal(pgsup_set_deadline(t.p, 60), 0);
    trial_finish(&t, "after an extended deadline");
    assert_false(t.r.timed_out);
    assert_int_equal(t.r.exit_code, 4);
}

/* 0 removes the deadline. (The first one leaves the request half a second to arrive.) */
static void test_async_set_deadline_zero(void **state)
{
    struct trial t;

    (void) state;
    trial_init(&t, sleep_argv);
    t.cmd.timeout_s = 0.5;
    trial_start(&t);
    assert_int_equal(pgsup_set_deadline(t.p, 0), 0);
    loop_run_for(t.loop, 1.0);
    assert_int_equal(t.calls, 0);
    assert_int_equal(pgsup_terminate(t.p, 5), 0);
    trial_finish(&t, "after a removed deadline");
    assert_false(t.r.timed_out);
    assert_int_equal(t.r.term_signal, SIGTERM);
}

/* --- the supervisor dies ------------------------------------------------------------------- */

/* A run has one pgsup helper process (issue 12): the library's child, the tree's subreaper
 * and the command's parent, with no guard behind it: the host is the guard. SIGKILLed, the
 * host kills what it left: its group, while its zombie pins the number, and what left the
 * group (setsid, double fork) by the run's marker, wherever it was re-parented. The callback
 * still comes exactly once, when the tree is gone, and says that the supervisor failed
 * (error -PGSUP_EHELPER, neither an exit code nor a signal), with nothing printed: the
 * supervisor's stderr (the command's, captured here) stays empty. Returns NULL or what went
 * wrong; asserts nothing itself, so that a forked host can use it. */
static const char *helper_killed(void)
{
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    const char *argv[] = {mktree, "setsid-tree", "doublefork", "ignore-term", NULL};
    static char why[128];
    pid_t pids[16], helper;
    struct procscan_proc e;
    struct trial t;
    int ready[2];
    long n;

    trial_init(&t, argv);
    t.cmd.flags = PGSUP_CAPTURE_STDERR;
    if (procmark_ready_pipe(ready, NULL) < 0 || pgsup_start(t.loop, &t.cmd, record_cb, &t, &t.p))
        return "cannot start";
    procmark_ready_release(ready);
    n = procmark_read_ready(ready[0], 1, 20, pids, 16);
    procmark_ready_close(ready);
    while (t.calls == 0 && pgsup_pid(t.p) == 0)
        ev_run(t.loop, EVRUN_ONCE);
    if (n != 5 || t.calls || procscan_stat(pgsup_pid(t.p), &e) < 0)
        return "the tree did not stand";
    helper = e.ppid;
    if (procscan_stat(helper, &e) < 0 || e.ppid != getpid())
        return "the command's parent is not our child";
    /* Our child, alive and unreaped (the library reaps it only once it exited): surely it. */
    if (kill(helper, SIGKILL) < 0)
        return "cannot kill the helper";
    loop_run_all_within(t.loop, LIBTEST_BOUND_S);
    if (t.calls != 1 || t.r.error != -PGSUP_EHELPER || t.r.exit_code != -1 ||
        t.r.term_signal != -1)
        return "not one callback with -PGSUP_EHELPER";
    if (t.r.err_len)
        return "the supervisor printed something";
    free(t.r.err);
    for (long i = 0; i < n; i++)
        if (procmark_is_marked(pids[i])) {
            snprintf(why, sizeof(why), "pid %d of the tree is alive after the callback",
                     (int) pids[i]);
            return why;
        }
    ev_loop_destroy(t.loop);
    return NULL;
}

/* The test is a subreaper (procmark.h): what left the group comes to the host itself. */
static void test_async_helper_killed(void **state)
{
    const char *why;

    (void) state;
    why = helper_killed();
    if (why)
        fail_msg("%s", why);
    /* The orphans came to us, the subreaper: reaping them is the host's business. */
    if (procmark_settle("after the helper was killed", LIBTEST_BOUND_S) != 0)
        fail_msg("processes left after the helper was killed");
}

/* A host that is no subreaper (a forked child of the test): what left the group goes past it,
 * to the test, and only the marker lets the host find it. Without the marker sweep the setsid
 * tree and the double-forked daemon survived the callback here. */
static void test_async_helper_killed_host_not_subreaper(void **state)
{
    pid_t host;
    int status;

    (void) state;
    host = fork();
    assert_true(host >= 0);
    if (host == 0) {
        const char *why = helper_killed();
        if (why)
            fprintf(stderr, "host: %s\n", why);
        _exit(why ? 1 : 0);
    }
    assert_int_equal(waitpid(host, &status, 0), host);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    if (procmark_settle("after the helper of a host that is no subreaper was killed",
                        LIBTEST_BOUND_S) != 0)
        fail_msg("processes left after the helper was killed");
}

/* --- 100 runs on one loop ------------------------------------------------------------------ */

#define MANY 100

enum many_kind {
    MANY_EXIT,         /* exits by itself before its deadline */
    MANY_CAPTURE,      /* the same, with its stdout captured */
    MANY_DEADLINE,     /* sleep, ended by its deadline */
    MANY_TREE,         /* mktree with escapees, ended by its deadline */
    MANY_SET_DEADLINE, /* sleep, deadline set after the start */
    MANY_TERMINATE,    /* sleep, pgsup_terminate() from a timer */
    MANY_KINDS
};

struct many_run {
    struct ev_loop *loop;
    int index;
    enum many_kind kind;
    int code;              /* expected exit code (MANY_EXIT, MANY_CAPTURE) */
    pgsup_proc *p;
    pid_t pid;
    ev_timer terminate;
    int calls;
    bool pid_matched;
    pgsup_result r;
};

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64: reproducible from the printed seed */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rng_between(double lo, double hi)
{
    return lo + (hi - lo) * (double) (rng_next() >> 11) / (double) (1ULL << 53);
}

static void many_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    struct many_run *m = userdata;

    m->calls++;
    /* A run may not outlive its terminate timer: p is freed when this returns. */
    ev_timer_stop(m->loop, &m->terminate);
    /* The start is reported on the loop (issue 12): the pid is known by the callback. */
    m->pid_matched = pgsup_pid(p) > 0;
    m->r = *r;
    r->out = r->err = NULL;
}

static void on_many_terminate(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct many_run *m = w->data;

    (void) loop;
    (void) revents;
    if (pgsup_terminate(m->p, 5) != 0)
        m->code = -2; /* reported after the loop: a failed call is not allowed here */
}

static void test_async_many_concurrent(void **state)
{
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    struct ev_loop *loop = loop_new();
    struct many_run *runs = calloc(MANY, sizeof(*runs));
    uint64_t seed = (uint64_t) getpid() * 2654435761u ^ (uint64_t) (procmark_now() * 1e6);
    char asan[1024], *saved_asan;

    (void) state;
    assert_non_null(runs);
    /* Under AddressSanitizer each supervisor's exit runs a leak check, about 0.2 s of CPU for
     * each of its two processes: 200 of them on a loaded machine take longer than the runs.
     * This test is not about the supervisors' leaks (the integration tests check pgsup's
     * stderr for sanitizer reports), so its runs go without; no effect in a normal build.
     * The test process read its own options at its start and keeps them. */
    saved_asan = getenv("ASAN_OPTIONS") ? strdup(getenv("ASAN_OPTIONS")) : NULL;
    snprintf(asan, sizeof(asan), "%s%sdetect_leaks=0", saved_asan ? saved_asan : "",
             saved_asan ? ":" : "");
    assert_int_equal(setenv("ASAN_OPTIONS", asan, 1), 0);
    rng_state = seed | 1;
    fprintf(stderr, "many: seed %llu\n", (unsigned long long) seed);
    for (int i = 0; i < MANY; i++) {
        struct many_run *m = &runs[i];
        char sleep_s[32], code[16], index[16];
        const char *exit_argv[] = {"sh", "-c", "sleep $0; exit $1", sleep_s, code, NULL};
        const char *capture_argv[] = {"sh", "-c", "echo $0; exit $1", index, code, NULL};
        const char *tree_argv[] = {mktree, "setsid-tree", "doublefork", NULL};
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        int err;

        m->loop = loop;
        m->index = i;
        ev_timer_init(&m->terminate, on_many_terminate, 0, 0);
        m->terminate.data = m;
        /* every kind at least a few times, in a random order */
        m->kind = i < 2 * MANY_KINDS ? (enum many_kind) (i % MANY_KINDS)
                                     : (enum many_kind) (rng_next() % MANY_KINDS);
        m->code = (int) (rng_next() % 100);
        snprintf(sleep_s, sizeof(sleep_s), "%.2f", rng_between(0, 0.3));
        snprintf(code, sizeof(code), "%d", m->code);
        snprintf(index, sizeof(index), "%d", i);
        switch (m->kind) {
        case MANY_EXIT:
            cmd.argv = exit_argv;
            cmd.timeout_s = rng_between(LIBTEST_BOUND_S / 2, LIBTEST_BOUND_S);
            break;
        case MANY_CAPTURE:
            cmd.argv = capture_argv;
            cmd.flags = PGSUP_CAPTURE_STDOUT;
            cmd.timeout_s = rng_between(LIBTEST_BOUND_S / 2, LIBTEST_BOUND_S);
            break;
        case MANY_DEADLINE:
            cmd.argv = sleep_argv;
            cmd.timeout_s = rng_between(0.05, 1.0);
            break;
        case MANY_TREE:
            cmd.argv = tree_argv;
            cmd.timeout_s = rng_between(0.05, 1.0);
            break;
        case MANY_SET_DEADLINE:
            cmd.argv = sleep_argv;
            cmd.timeout_s = 1000;
            break;
        case MANY_TERMINATE:
        case MANY_KINDS:
            cmd.argv = sleep_argv;
            break;
        }
        err = pgsup_start(loop, &cmd, many_cb, m, &m->p);
        if (err != 0)
            fail_msg("run %d: pgsup_start = %d (%s)", i, err, pgsup_strerror(err));
        m->pid = pgsup_pid(m->p); /* 0: not reported yet */
        if (m->kind == MANY_SET_DEADLINE)
            assert_int_equal(pgsup_set_deadline(m->p, rng_between(0.05, 1.0)), 0);
        if (m->kind == MANY_TERMINATE) {
            ev_timer_set(&m->terminate, rng_between(0.05, 1.0), 0);
            ev_timer_start(loop, &m->terminate);
        }
    }
    if (saved_asan)
        assert_int_equal(setenv("ASAN_OPTIONS", saved_asan, 1), 0);
    else
        assert_int_equal(unsetenv("ASAN_OPTIONS"), 0);
    free(saved_asan);
    /* The deadlines are at most 1 s and the commands that exit take 0.3 s: the bound is only
     * for a machine loaded by the rest of the test suite. */
    loop_run_all_within(loop, 2 * LIBTEST_BOUND_S);
    ev_loop_destroy(loop);
    for (int i = 0; i < MANY; i++) {
        struct many_run *m = &runs[i];
        char want[32];
        if (m->calls != 1)
            fail_msg("run %d (kind %d): %d callbacks", i, m->kind, m->calls);
        if (!m->pid_matched)
            fail_msg("run %d: pgsup_pid() changed", i);
        switch (m->kind) {
        case MANY_EXIT:
        case MANY_CAPTURE:
            if (m->r.timed_out || m->r.exit_code != m->code)
                fail_msg("run %d (kind %d): timed_out %d, exit %d, signal %d; expected exit %d",
                         i, m->kind, m->r.timed_out, m->r.exit_code, m->r.term_signal, m->code);
            if (m->kind == MANY_CAPTURE) {
                snprintf(want, sizeof(want), "%d\n", i);
                if (!m->r.out || strcmp(m->r.out, want) != 0)
                    fail_msg("run %d: captured '%s', expected '%d'", i,
                             m->r.out ? m->r.out : "(null)", i);
            }
            break;
        case MANY_DEADLINE:
        case MANY_TREE:
        case MANY_SET_DEADLINE:
            if (!m->r.timed_out || m->r.term_signal != SIGTERM)
                fail_msg("run %d (kind %d): timed_out %d, exit %d, signal %d; expected the "
                         "deadline's SIGTERM",
                         i, m->kind, m->r.timed_out, m->r.exit_code, m->r.term_signal);
            break;
        case MANY_TERMINATE:
        case MANY_KINDS:
            if (m->code == -2)
                fail_msg("run %d: pgsup_terminate() failed", i);
            if (m->r.timed_out || m->r.term_signal != SIGTERM)
                fail_msg("run %d: timed_out %d, signal %d; expected SIGTERM", i,
                         m->r.timed_out, m->r.term_signal);
            break;
        }
        pgsup_result_free(&m->r);
    }
    free(runs);
    assert_int_equal(procmark_check("after 100 concurrent runs"), 0);
}

/* --- libev's default loop ------------------------------------------------------------------ */

/* The default loop reaps every child with waitpid(-1) on SIGCHLD, the supervisor included: the
 * result still comes over the control channel. Last: the default loop's SIGCHLD handler stays
 * until the loop is destroyed. */
/* --- fork() ------------------------------------------------------------------------------ */

/* A child forked by the host inherits the handle, but the run is the parent's: every call from
 * the child is refused and changes nothing (before issue 9 the child's pgsup_terminate()
 * ended the parent's run). */
static void test_async_handle_in_forked_child(void **state)
{
    struct trial t;
    pid_t child;
    int status;

    (void) state;
    trial_init(&t, sleep_argv);
    trial_start(&t);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int a = pgsup_signal(t.p, SIGTERM), b = pgsup_terminate(t.p, 0),
            c = pgsup_set_deadline(t.p, 0.01);
        _exit(a == -PGSUP_EFORKED && b == -PGSUP_EFORKED && c == -PGSUP_EFORKED ? 0 : 1);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("the forked child could use the parent's handle");
    /* Nothing was sent: the run goes on until the parent ends it. */
    loop_run_for(t.loop, 0.3);
    assert_int_equal(t.calls, 0);
    assert_true(procmark_is_marked(t.pid));
    assert_int_equal(pgsup_terminate(t.p, 5), 0);
    trial_finish(&t, "after a forked child tried the handle");
    assert_int_equal(t.r.term_signal, SIGTERM);
}

/* --- kill_after_s 0 ---------------------------------------------------------------------- */

/* cmd.kill_after_s = 0 is SIGKILL at once, as pgsup_terminate(p, 0) is; the default grace is
 * what PGSUP_CMD_INIT puts there. Before issue 9, 0 meant the default 5 s, so this TERM trap
 * had the time to finish its cleanup and exit 0. */
#define TERM_CLEANUP "trap 'echo term; sleep 3; echo survived; exit 0' TERM; " \
                     "echo ready $$ >\"$" PROCMARK_READY_VAR "\"; while :; do sleep 1; done"

static void test_async_kill_after_zero(void **state)
{
    const char *argv[] = {"sh", "-c", TERM_CLEANUP, NULL};
    pgsup_cmd init = PGSUP_CMD_INIT;
    pid_t pid = 0;
    struct trial t;

    (void) state;
    assert_true(init.kill_after_s == PGSUP_KILL_AFTER_DEFAULT_S);
    trial_init(&t, argv);
    t.cmd.kill_after_s = 0;
    t.cmd.flags = PGSUP_CAPTURE_STDOUT;
    assert_int_equal(trial_start_ready(&t, &pid, 1), 1);
    assert_int_equal(pgsup_set_deadline(t.p, 0.01), 0);
    trial_finish(&t, "after a deadline with kill_after_s 0");
    assert_true(t.r.timed_out);
    assert_true(t.r.killed);
    assert_int_equal(t.r.term_signal, SIGKILL);
    if (t.r.out && strstr(t.r.out, "survived"))
        fail_msg("the TERM trap finished its cleanup: there was a grace (%s)", t.r.out);
    free(t.r.out);
}

static void test_async_default_loop(void **state)
{
    const char *argv[] = {"sh", "-c", "sleep 0.1; exit 9", NULL};
    struct trial t = {.loop = ev_default_loop(0), .cmd = PGSUP_CMD_INIT};

    (void) state;
    assert_non_null(t.loop);
    t.cmd.argv = argv;
    trial_start(&t);
    trial_finish(&t, "after a run on the default loop");
    assert_int_equal(t.r.exit_code, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_async_exit_code),
        LIBTEST(test_async_esrch_in_callback),
        LIBTEST(test_async_callback_keeps_output),
        LIBTEST(test_async_start_not_found),
        LIBTEST(test_async_signal),
        LIBTEST(test_async_signal_whole_tree),
        LIBTEST(test_async_terminate),
        LIBTEST(test_async_terminate_signal),
        LIBTEST(test_async_terminate_grace_zero),
        LIBTEST(test_async_terminate_never_kill),
        LIBTEST(test_async_kill_after_never),
        LIBTEST(test_async_terminate_lets_trap_cleanup_finish),
        LIBTEST(test_async_terminate_short_grace_kills_trap_cleanup),
        LIBTEST(test_async_set_deadline),
        LIBTEST(test_async_set_deadline_extends),
        LIBTEST(test_async_set_deadline_zero),
        LIBTEST(test_async_helper_killed),
        LIBTEST(test_async_helper_killed_host_not_subreaper),
        LIBTEST(test_async_handle_in_forked_child),
        LIBTEST(test_async_kill_after_zero),
        LIBTEST(test_async_many_concurrent),
        LIBTEST(test_async_default_loop),
    };

    return cmocka_run_group_tests_name("lib_async", tests, libtest_setup,
                                       libtest_group_teardown);
}
