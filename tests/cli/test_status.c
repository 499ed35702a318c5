/* test_status.c: the exit-status tables of pgsup run and pgsup timeout (src/cli/status.c), row
 * by row against coreutils timeout(1): passthrough of the command's code or signal, 124 on the
 * deadline, --preserve-status, 137 when the KILL escalation ended the command, 126/127 for
 * exec failures. status_exit() is checked in forked children, since it exits. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/cli.h"

static struct run_result exited(int code)
{
    return (struct run_result){.exited = true, .exit_code = code};
}

static struct run_result signalled(int sig)
{
    return (struct run_result){.exited = false, .term_signal = sig};
}

static struct guard_outcome outcome_of(struct run_result r, bool preserve_status)
{
    /* Poisoned: every field must be written by status_from_result(). */
    struct guard_outcome o = {.code = -99, .signal = -99};

    status_from_result(&r, preserve_status, &o);
    return o;
}

static void expect_code(struct run_result r, bool preserve, int code)
{
    struct guard_outcome o = outcome_of(r, preserve);

    if (o.code != code || o.signal != 0)
        fail_msg("exited=%d code=%d signal=%d timed_out=%d escalated=%d preserve=%d: "
                 "got code %d signal %d, expected code %d",
                 r.exited, r.exit_code, r.term_signal, r.timed_out, r.escalated, preserve,
                 o.code, o.signal, code);
}

static void expect_signal(struct run_result r, bool preserve, int sig)
{
    struct guard_outcome o = outcome_of(r, preserve);

    if (o.signal != sig || o.code != 0)
        fail_msg("exited=%d code=%d signal=%d timed_out=%d escalated=%d preserve=%d: "
                 "got code %d signal %d, expected signal %d",
                 r.exited, r.exit_code, r.term_signal, r.timed_out, r.escalated, preserve,
                 o.code, o.signal, sig);
}

static void test_status_exit_code_passes_through(void **state)
{
    static const int codes[] = {0, 1, 3, 124, 126, 127, 255};

    (void) state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        expect_code(exited(codes[i]), false, codes[i]);
        expect_code(exited(codes[i]), true, codes[i]);
    }
}

static void test_status_death_by_signal_passes_through(void **state)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGKILL, SIGSEGV, SIGTERM, SIGUSR1};

    (void) state;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        expect_signal(signalled(sigs[i]), false, sigs[i]);
        expect_signal(signalled(sigs[i]), true, sigs[i]);
    }
    expect_signal(signalled(SIGRTMAX), false, SIGRTMAX);
}

static void test_status_timed_out_is_124(void **state)
{
    struct run_result r;

    (void) state;
    /* whatever the command did once the deadline hit, even exit 0 */
    r = signalled(SIGTERM);
    r.timed_out = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    r = exited(0);
    r.timed_out = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    r = exited(1);
    r.timed_out = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    r = signalled(SIGINT);
    r.timed_out = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    /* KILL as the timeout signal itself (-s KILL), no escalation: still 124 */
    r = signalled(SIGKILL);
    r.timed_out = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    assert_int_equal(STATUS_TIMED_OUT, 124);
}

static void test_status_timed_out_preserve_status_keeps_own(void **state)
{
    struct run_result r;

    (void) state;
    r = exited(0);
    r.timed_out = true;
    expect_code(r, true, 0);
    r = exited(3);
    r.timed_out = true;
    expect_code(r, true, 3);
    r = signalled(SIGTERM);
    r.timed_out = true;
    expect_signal(r, true, SIGTERM);
    r = signalled(SIGKILL);
    r.timed_out = true;
    r.escalated = true;
    expect_signal(r, true, SIGKILL);
    r = exited(5);
    r.timed_out = true;
    r.escalated = true;
    expect_code(r, true, 5);
}

static void test_status_escalated_kill_is_signal_kill(void **state)
{
    struct run_result r = signalled(SIGKILL);

    (void) state;
    /* timeout(1) dies of its own KILL: the shell sees 137 */
    r.timed_out = true;
    r.escalated = true;
    expect_signal(r, false, SIGKILL);
}

static void test_status_escalated_but_exited_is_124(void **state)
{
    struct run_result r;

    (void) state;
    /* the command exited by itself just as KILL went out: the deadline is what counts */
    r = exited(0);
    r.timed_out = true;
    r.escalated = true;
    expect_code(r, false, STATUS_TIMED_OUT);
    r = exited(137);
    r.timed_out = true;
    r.escalated = true;
    expect_code(r, false, STATUS_TIMED_OUT);
}

/* pgsup timeout: what coreutils' timeout (9.1 and later) exits with, run the same way. */
static void expect_timeout(struct run_result r, bool preserve, bool foreground, int code,
                           int sig)
{
    struct guard_outcome o = {.code = -99, .signal = -99};

    status_from_timeout(&r, preserve, foreground, &o);
    if (o.code != code || o.signal != sig)
        fail_msg("exited=%d code=%d signal=%d timed_out=%d escalated=%d preserve=%d "
                 "foreground=%d: got code %d signal %d, expected code %d signal %d",
                 r.exited, r.exit_code, r.term_signal, r.timed_out, r.escalated, preserve,
                 foreground, o.code, o.signal, code, sig);
}

static void test_status_timeout_as_coreutils(void **state)
{
    struct run_result r;

    (void) state;
    for (int fg = 0; fg <= 1; fg++) {
        /* No deadline: the command's code or death passes through. */
        expect_timeout(exited(3), false, fg, 3, 0);
        expect_timeout(signalled(SIGUSR1), true, fg, 0, SIGUSR1);
        /* The deadline: 124, or with -p the code, or 128 + N as an exit code (coreutils does
         * not mimic a death once it timed out). */
        r = exited(0);
        r.timed_out = true;
        expect_timeout(r, false, fg, STATUS_TIMED_OUT, 0);
        expect_timeout(r, true, fg, 0, 0);
        r = signalled(SIGTERM);
        r.timed_out = true;
        expect_timeout(r, false, fg, STATUS_TIMED_OUT, 0);
        expect_timeout(r, true, fg, 128 + SIGTERM, 0);
        /* -s KILL: told as 137 even without -p (--foreground's case; without it coreutils
         * dies of its own KILL first, escalated below). */
        r = signalled(SIGKILL);
        r.timed_out = true;
        expect_timeout(r, false, fg, 128 + SIGKILL, 0);
    }
    /* Our KILL went out while the command ran: coreutils dies of it, unless --foreground
     * (then only the command got it): 137 as a code; a forwarded signal's -k grace counts as
     * a timeout there. */
    r = signalled(SIGKILL);
    r.escalated = true;
    expect_timeout(r, false, false, 0, SIGKILL);
    expect_timeout(r, true, false, 0, SIGKILL);
    expect_timeout(r, false, true, 128 + SIGKILL, 0);
    r = exited(0);
    r.escalated = true;
    expect_timeout(r, false, true, STATUS_TIMED_OUT, 0);
}

static void test_status_spawn_enoent_is_127(void **state)
{
    (void) state;
    assert_int_equal(status_from_spawn_error(-ENOENT), 127);
    assert_int_equal(STATUS_NOT_FOUND, 127);
}

static void test_status_spawn_cannot_execute_is_126(void **state)
{
    static const int errs[] = {EACCES, ENOEXEC, EPERM, EISDIR, ELOOP, ETXTBSY, E2BIG, ENOMEM};

    (void) state;
    assert_int_equal(STATUS_CANNOT_EXEC, 126);
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        int got = status_from_spawn_error(-errs[i]);
        if (got != 126)
            fail_msg("-%s: got %d, expected 126", strerrorname_np(errs[i]), got);
    }
}

/* A fork that fails (a cgroup's pids.max reached: posix_spawn says EAGAIN) is pgsup's own
 * failure, 125, as timeout(1)'s "fork system call failed"; it used to be 126. */
static void test_status_spawn_fork_failure_is_125(void **state)
{
    (void) state;
    assert_int_equal(status_from_spawn_error(-EAGAIN), 125);
    assert_int_equal(STATUS_FAILED, 125);
}

/* timeout(1) answers 127 only for ENOENT; any other exec error is 126. "timeout 1
 * /etc/passwd/x" fails with ENOTDIR and exits 126 (coreutils 9.1), as bash does. */
static void test_status_spawn_enotdir_is_126(void **state)
{
    (void) state;
    assert_int_equal(status_from_spawn_error(-ENOTDIR), 126);
}

/* Runs status_exit(o) in a child and returns its wait status. */
static int exit_status_of(struct guard_outcome o, bool block_and_ignore, bool allow_core,
                          const char *dir)
{
    pid_t pid;
    int st;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* child: never returns into cmocka */
        if (dir && chdir(dir) < 0)
            _exit(200);
        if (allow_core) {
            struct rlimit all = {RLIM_INFINITY, RLIM_INFINITY};
            (void) setrlimit(RLIMIT_CORE, &all); /* if refused, the test is merely weaker */
        }
        if (block_and_ignore && o.signal > 0) {
            sigset_t one;
            (void) signal(o.signal, SIG_IGN);
            sigemptyset(&one);
            sigaddset(&one, o.signal);
            (void) sigprocmask(SIG_BLOCK, &one, NULL);
        }
        status_exit(&o);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void test_status_exit_exits_with_code(void **state)
{
    int st;

    (void) state;
    st = exit_status_of((struct guard_outcome){.code = 3}, false, false, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    st = exit_status_of((struct guard_outcome){.code = 124}, false, false, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 124);
}

static void test_status_exit_dies_of_signal(void **state)
{
    int st;

    (void) state;
    st = exit_status_of((struct guard_outcome){.signal = SIGTERM}, false, false, NULL);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    st = exit_status_of((struct guard_outcome){.signal = SIGKILL}, false, false, NULL);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_status_exit_dies_of_blocked_ignored_signal(void **state)
{
    int st;

    (void) state;
    /* the engine runs with its signals blocked (signalfd): status_exit must still die of it */
    st = exit_status_of((struct guard_outcome){.signal = SIGINT}, true, false, NULL);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
}

static void test_status_exit_signal_ignored_by_default_exits_128_plus(void **state)
{
    int st;

    (void) state;
    st = exit_status_of((struct guard_outcome){.signal = SIGWINCH}, false, false, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 128 + SIGWINCH);
}

/* Empties and removes dir; returns how many entries it held. */
static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        (void) unlinkat(dirfd(d), de->d_name, 0);
        n++;
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
    return n;
}

static void test_status_exit_dumps_no_core(void **state)
{
    char dir[] = "/tmp/pgsup-test-status-XXXXXX";
    int st, left;

    (void) state;
    assert_non_null(mkdtemp(dir));
    /* QUIT dumps core by default; the child allows cores, status_exit must turn them off */
    st = exit_status_of((struct guard_outcome){.signal = SIGQUIT}, false, true, dir);
    left = remove_dir(dir);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGQUIT);
    assert_false(WCOREDUMP(st));
    assert_int_equal(left, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_exit_code_passes_through),
        cmocka_unit_test(test_status_death_by_signal_passes_through),
        cmocka_unit_test(test_status_timed_out_is_124),
        cmocka_unit_test(test_status_timed_out_preserve_status_keeps_own),
        cmocka_unit_test(test_status_escalated_kill_is_signal_kill),
        cmocka_unit_test(test_status_escalated_but_exited_is_124),
        cmocka_unit_test(test_status_timeout_as_coreutils),
        cmocka_unit_test(test_status_spawn_enoent_is_127),
        cmocka_unit_test(test_status_spawn_cannot_execute_is_126),
        cmocka_unit_test(test_status_spawn_enotdir_is_126),
        cmocka_unit_test(test_status_spawn_fork_failure_is_125),
        cmocka_unit_test(test_status_exit_exits_with_code),
        cmocka_unit_test(test_status_exit_dies_of_signal),
        cmocka_unit_test(test_status_exit_dies_of_blocked_ignored_signal),
        cmocka_unit_test(test_status_exit_signal_ignored_by_default_exits_128_plus),
        cmocka_unit_test(test_status_exit_dumps_no_core),
    };

    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
