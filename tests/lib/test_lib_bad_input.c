/* test_lib_bad_input.c: every public function of pgsup.h given what it must refuse: NULL
 * pointers, empty argv, a struct size it does not know, closed fds, absurd durations
 * (negative, NaN, infinite, huge), invalid signals, unknown flags, and a $PGSUP_BIN that is
 * missing or not pgsup. Each must return an error (-EINVAL, -PGSUP_ENOHELPER...), leave the
 * out-parameters untouched, start nothing (the /proc check) and never crash. The edges that
 * are valid (a negative kill_after_s, a tiny timeout) must work. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtest.h"

static const char *const true_argv[] = {"true", NULL};

/* A result filled with a pattern, to prove a failing call did not write it. */
static void result_poison(pgsup_result *r)
{
    memset(r, 0xa5, sizeof(*r));
}

static void assert_result_poisoned(const pgsup_result *r)
{
    pgsup_result p;

    result_poison(&p);
    assert_memory_equal(r, &p, sizeof(p));
}

static int never_cb_calls;

static void never_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    (void) p;
    (void) r;
    (void) userdata;
    never_cb_calls++;
}

/* cmd must be refused with err by both pgsup_run() and pgsup_start(), with nothing written,
 * no callback, no watcher left on the loop and no process started. */
static void expect_refused_err(const pgsup_cmd *cmd, int err, const char *what)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    pgsup_proc *sentinel = (pgsup_proc *) &never_cb_calls, *p = sentinel;
    pgsup_result r;
    int got;

    assert_non_null(loop);
    result_poison(&r);
    got = pgsup_run(cmd, &r);
    if (got != err)
        fail_msg("%s: pgsup_run() = %d (%s), expected %d", what, got, pgsup_strerror(got), err);
    assert_result_poisoned(&r);
    never_cb_calls = 0;
    got = pgsup_start(loop, cmd, never_cb, NULL, &p);
    if (got != err)
        fail_msg("%s: pgsup_start() = %d (%s), expected %d", what, got, pgsup_strerror(got),
                 err);
    assert_ptr_equal(p, sentinel);
    /* No watcher is left active: the loop returns at once, and no callback ran. */
    ev_run(loop, 0);
    assert_int_equal(never_cb_calls, 0);
    ev_loop_destroy(loop);
    /* Every error has its own message. */
    assert_string_not_equal(pgsup_strerror(err), "Unknown error");
    if (procmark_check(what) != 0)
        fail_msg("%s: a refused command left processes", what);
}

static void expect_einval(const pgsup_cmd *cmd, const char *what)
{
    expect_refused_err(cmd, -EINVAL, what);
}

/* cmd must be accepted by pgsup_run() and the command (true, or what it says) must run. */
static pgsup_result expect_accepted(const pgsup_cmd *cmd, const char *what)
{
    pgsup_result r;
    int err;

    memset(&r, 0, sizeof(r));
    err = pgsup_run(cmd, &r);
    if (err != 0)
        fail_msg("%s: pgsup_run() = %d (%s), expected success", what, err, pgsup_strerror(err));
    if (procmark_check(what) != 0)
        fail_msg("%s: the run left processes", what);
    return r;
}

static void test_bad_null_pointers(void **state)
{
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    pgsup_proc *sentinel = (pgsup_proc *) &never_cb_calls, *p = sentinel;
    pgsup_result r;

    (void) state;
    assert_non_null(loop);
    cmd.argv = true_argv;
    result_poison(&r);
    assert_int_equal(pgsup_run(NULL, &r), -EINVAL);
    assert_result_poisoned(&r);
    assert_int_equal(pgsup_run(&cmd, NULL), -EINVAL);
    assert_int_equal(pgsup_run(NULL, NULL), -EINVAL);
    never_cb_calls = 0;
    assert_int_equal(pgsup_start(NULL, &cmd, never_cb, NULL, &p), -EINVAL);
    assert_int_equal(pgsup_start(loop, NULL, never_cb, NULL, &p), -EINVAL);
    assert_int_equal(pgsup_start(loop, &cmd, NULL, NULL, &p), -EINVAL);
    assert_int_equal(pgsup_start(loop, &cmd, never_cb, NULL, NULL), -EINVAL);
    assert_int_equal(pgsup_start(NULL, NULL, NULL, NULL, NULL), -EINVAL);
    assert_ptr_equal(p, sentinel);
    ev_run(loop, 0);
    assert_int_equal(never_cb_calls, 0);
    ev_loop_destroy(loop);
    /* The functions on a run refuse NULL. */
    assert_int_equal(pgsup_pid(NULL), -1);
    assert_int_equal(pgsup_signal(NULL, SIGTERM), -EINVAL);
    assert_int_equal(pgsup_terminate(NULL, 1), -EINVAL);
    assert_int_equal(pgsup_set_deadline(NULL, 1), -EINVAL);
    /* NULL and zeroed results are fine to free. */
    pgsup_result_free(NULL);
    memset(&r, 0, sizeof(r));
    pgsup_result_free(&r);
    assert_null(r.out);
    assert_int_equal(procmark_check("after NULL arguments"), 0);
}

static void test_bad_argv(void **state)
{
    const char *empty[] = {NULL};
    const char *empty_name[] = {"", "x", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;

    (void) state;
    expect_einval(&cmd, "argv NULL");
    cmd.argv = empty;
    expect_einval(&cmd, "argv empty");
    cmd.argv = empty_name;
    expect_einval(&cmd, "argv[0] empty");
}

/* A size the library does not know: too small to hold every field it reads, or larger than its
 * own struct (a newer header). */
static void test_bad_cmd_size(void **state)
{
    static const size_t sizes[] = {
        0, 1, sizeof(size_t), offsetof(pgsup_cmd, capture_max), sizeof(pgsup_cmd) - 1,
        sizeof(pgsup_cmd) + 1, sizeof(pgsup_cmd) * 2, SIZE_MAX,
    };
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char what[64];

    (void) state;
    cmd.argv = true_argv;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        cmd.size = sizes[i];
        snprintf(what, sizeof(what), "cmd.size %zu", sizes[i]);
        expect_einval(&cmd, what);
    }
    cmd.size = sizeof(pgsup_cmd);
    (void) expect_accepted(&cmd, "cmd.size exact");
}

static void test_bad_durations(void **state)
{
    static const double bad_timeouts[] = {-1, -1e-9, -INFINITY, INFINITY, NAN, -NAN, 1e10,
                                          1e300, DBL_MAX, -DBL_MAX};
    static const double bad_kill_after[] = {-INFINITY, INFINITY, NAN, 1e10, 1e300, DBL_MAX};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char what[64];

    (void) state;
    cmd.argv = true_argv;
    for (size_t i = 0; i < sizeof(bad_timeouts) / sizeof(bad_timeouts[0]); i++) {
        cmd.timeout_s = bad_timeouts[i];
        snprintf(what, sizeof(what), "timeout_s %g", bad_timeouts[i]);
        expect_einval(&cmd, what);
    }
    cmd.timeout_s = 0;
    for (size_t i = 0; i < sizeof(bad_kill_after) / sizeof(bad_kill_after[0]); i++) {
        cmd.kill_after_s = bad_kill_after[i];
        snprintf(what, sizeof(what), "kill_after_s %g", bad_kill_after[i]);
        expect_einval(&cmd, what);
    }
}

/* The valid edges: negative kill_after_s (never SIGKILL), long but finite durations, and a
 * positive timeout too small to matter, which still is a deadline. */
static void test_bad_durations_valid_edges(void **state)
{
    const char *sleep_argv[] = {"sleep", "1000", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result r;

    (void) state;
    cmd.argv = true_argv;
    cmd.kill_after_s = -1;
    r = expect_accepted(&cmd, "kill_after_s -1");
    assert_int_equal(r.exit_code, 0);
    cmd.kill_after_s = -1e300;
    r = expect_accepted(&cmd, "kill_after_s -1e300");
    assert_int_equal(r.exit_code, 0);
    cmd.kill_after_s = 1e6;
    cmd.timeout_s = 1e6;
    r = expect_accepted(&cmd, "durations 1e6");
    assert_int_equal(r.exit_code, 0);
    assert_false(r.timed_out);

    cmd.argv = sleep_argv;
    cmd.kill_after_s = 0;
    cmd.timeout_s = 1e-300;
    r = expect_accepted(&cmd, "timeout_s 1e-300");
    assert_true(r.timed_out);
    assert_int_equal(r.term_signal, SIGTERM);
}

static void test_bad_signal(void **state)
{
    const int bad[] = {-1, -SIGTERM, SIGRTMAX + 1, 65, 1000, INT_MAX, INT_MIN};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char what[64];

    (void) state;
    cmd.argv = true_argv;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cmd.signal = bad[i];
        snprintf(what, sizeof(what), "signal %d", bad[i]);
        expect_einval(&cmd, what);
    }
    cmd.signal = SIGRTMAX;
    (void) expect_accepted(&cmd, "signal SIGRTMAX");
}

static void test_bad_fds(void **state)
{
    /* A number that was an fd a moment ago. High: the fds the calls open (the loop's epoll)
     * take the lowest free numbers and cannot make it valid again meanwhile. */
    int closed = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 900);
    const int bad[] = {-2, INT_MIN, INT_MAX, 0 /* replaced by closed */};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char what[64];

    (void) state;
    assert_true(closed >= 900);
    assert_int_equal(close(closed), 0);
    cmd.argv = true_argv;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = i == 3 ? closed : bad[i];
        cmd.stdin_fd = fd;
        snprintf(what, sizeof(what), "stdin_fd %d", fd);
        expect_einval(&cmd, what);
        cmd.stdin_fd = -1;
        cmd.stdout_fd = fd;
        snprintf(what, sizeof(what), "stdout_fd %d", fd);
        expect_einval(&cmd, what);
        cmd.stdout_fd = -1;
        cmd.stderr_fd = fd;
        snprintf(what, sizeof(what), "stderr_fd %d", fd);
        expect_einval(&cmd, what);
        cmd.stderr_fd = -1;
    }
}

static void test_bad_stdin_and_flags(void **state)
{
    pgsup_cmd cmd = PGSUP_CMD_INIT;

    (void) state;
    cmd.argv = true_argv;
    cmd.stdin_len = 10; /* and no data */
    expect_einval(&cmd, "stdin_len without stdin_data");
    cmd.stdin_len = 0;
    cmd.flags = 1u << 2;
    expect_einval(&cmd, "unknown flag");
    cmd.flags = ~0u;
    expect_einval(&cmd, "every flag");
}

/* --- bad arguments to a running proc ------------------------------------------------------- */

struct outcome {
    int calls;
    pgsup_result r;
};

static void record_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    struct outcome *o = userdata;

    (void) p;
    o->calls++;
    o->r = *r;
    r->out = r->err = NULL;
}

/* None of the refused calls reaches the supervisor: if one did, the run would end by its
 * SIGTERM, its deadline or its SIGKILL before the SIGUSR1 sent last. The control channel keeps
 * the order of requests. */
static void test_bad_proc_arguments(void **state)
{
    const int bad_sigs[] = {0, -1, SIGRTMAX + 1, INT_MAX, INT_MIN};
    static const double bad_grace[] = {NAN, INFINITY, -INFINITY, 1e10, 1e300};
    static const double bad_deadline[] = {-1, -1e-9, NAN, INFINITY, -INFINITY, 1e10, 1e300};
    const char *argv[] = {"sleep", "1000", NULL};
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    struct outcome o = {0};
    pgsup_proc *p;

    (void) state;
    assert_non_null(loop);
    cmd.argv = argv;
    assert_int_equal(pgsup_start(loop, &cmd, record_cb, &o, &p), 0);
    assert_int_equal(pgsup_pid(p), 0); /* the start is reported later, on the loop */
    for (size_t i = 0; i < sizeof(bad_sigs) / sizeof(bad_sigs[0]); i++)
        if (pgsup_signal(p, bad_sigs[i]) != -EINVAL)
            fail_msg("pgsup_signal(p, %d) was not refused", bad_sigs[i]);
    for (size_t i = 0; i < sizeof(bad_grace) / sizeof(bad_grace[0]); i++)
        if (pgsup_terminate(p, bad_grace[i]) != -EINVAL)
            fail_msg("pgsup_terminate(p, %g) was not refused", bad_grace[i]);
    for (size_t i = 0; i < sizeof(bad_deadline) / sizeof(bad_deadline[0]); i++)
        if (pgsup_set_deadline(p, bad_deadline[i]) != -EINVAL)
            fail_msg("pgsup_set_deadline(p, %g) was not refused", bad_deadline[i]);
    assert_int_equal(pgsup_signal(p, SIGUSR1), 0);
    ev_run(loop, 0);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.r.term_signal, SIGUSR1);
    assert_false(o.r.timed_out);
    assert_false(o.r.killed);
    ev_loop_destroy(loop);
    assert_int_equal(procmark_check("after refused calls on a run"), 0);
}

/* --- a helper that is missing or is not pgsup ---------------------------------------------- */

static void expect_helper_error(const char *bin, int err)
{
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char saved[4096], what[4200];

    snprintf(saved, sizeof(saved), "%s", libtest_env("PGSUP_BIN"));
    snprintf(what, sizeof(what), "PGSUP_BIN=%s", bin);
    cmd.argv = true_argv;
    assert_int_equal(setenv("PGSUP_BIN", bin, 1), 0);
    expect_refused_err(&cmd, err, what);
    assert_int_equal(setenv("PGSUP_BIN", saved, 1), 0);
}

struct async_error {
    pgsup_result r;
    int calls;
};

static void error_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    struct async_error *e = userdata;

    (void) p;
    e->r = *r;
    e->calls++;
}

/* A $PGSUP_BIN that runs but is not pgsup: it is spawned, so pgsup_start() returns 0 (it does
 * not wait for the helper, issue 12) and the error comes once through the callback, while
 * pgsup_run() still returns it. */
static void expect_helper_error_async(const char *bin, int err)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    char saved[4096], what[4200];
    struct async_error e = {0};
    pgsup_result r;
    pgsup_proc *p;

    assert_non_null(loop);
    snprintf(saved, sizeof(saved), "%s", libtest_env("PGSUP_BIN"));
    snprintf(what, sizeof(what), "PGSUP_BIN=%s", bin);
    cmd.argv = true_argv;
    assert_int_equal(setenv("PGSUP_BIN", bin, 1), 0);
    assert_int_equal(pgsup_run(&cmd, &r), err);
    assert_int_equal(pgsup_start(loop, &cmd, error_cb, &e, &p), 0);
    ev_run(loop, 0);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.r.error, err);
    assert_int_equal(e.r.exit_code, -1);
    assert_int_equal(e.r.term_signal, -1);
    ev_loop_destroy(loop);
    assert_int_equal(setenv("PGSUP_BIN", saved, 1), 0);
    if (procmark_check(what) != 0)
        fail_msg("%s: processes left", what);
}

/* Without $PGSUP_BIN the installed binary is used, and the error names the path it tried. */
static void expect_installed_helper_named(void)
{
    const char *msg = pgsup_strerror(-PGSUP_ENOHELPER);
    const char *at = strchr(msg, '/');
    char path[4096], saved[4096];
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    size_t len;

    if (!at)
        fail_msg("'%s' names no path", msg);
    len = strcspn(at, " ");
    assert_true(len < sizeof(path));
    memcpy(path, at, len);
    path[len] = '\0';
    if (access(path, X_OK) == 0) {
        printf("note: %s is installed: its absence is not tested\n", path);
        return;
    }
    snprintf(saved, sizeof(saved), "%s", libtest_env("PGSUP_BIN"));
    cmd.argv = true_argv;
    assert_int_equal(unsetenv("PGSUP_BIN"), 0);
    expect_refused_err(&cmd, -PGSUP_ENOHELPER, "no $PGSUP_BIN");
    assert_int_equal(setenv("PGSUP_BIN", saved, 1), 0);
}

static void test_bad_helper(void **state)
{
    char dir[] = "/tmp/pgsup-lib-test-XXXXXX", file[64];
    int fd;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/pgsup", dir);
    fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);

    /* A wrong $PGSUP_BIN says so (it was -PGSUP_ENOHELPER, "not found", before issue 9), and
     * so does a program that is not pgsup: it exits without a word, which is not a supervisor
     * that failed (-PGSUP_EHELPER before). */
    expect_helper_error("/nonexistent/pgsup", -PGSUP_EBADBIN);
    expect_helper_error("pgsup-lib-test-no-such-helper", -PGSUP_EBADBIN);
    expect_helper_error(dir, -PGSUP_EBADBIN);  /* a directory */
    expect_helper_error(file, -PGSUP_EBADBIN); /* not executable */
    expect_helper_error_async("/bin/true", -PGSUP_EBADBIN);
    expect_helper_error_async("/bin/false", -PGSUP_EBADBIN);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
    expect_installed_helper_named();

    /* And the real one still works afterwards. */
    {
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        pgsup_result r;
        cmd.argv = true_argv;
        r = expect_accepted(&cmd, "the real helper again");
        assert_int_equal(r.exit_code, 0);
    }
}

/* pgsup_result_free() frees and zeroes: twice is harmless (ASan would see a double free). */
static void test_bad_result_free_twice(void **state)
{
    pgsup_result r;

    (void) state;
    memset(&r, 0, sizeof(r));
    r.out = strdup("out");
    r.err = strdup("err");
    assert_non_null(r.out);
    assert_non_null(r.err);
    r.out_len = r.err_len = 3;
    pgsup_result_free(&r);
    assert_null(r.out);
    assert_null(r.err);
    assert_int_equal(r.out_len, 0);
    assert_int_equal(r.err_len, 0);
    pgsup_result_free(&r);
}

static void test_bad_strerror_and_version(void **state)
{
    (void) state;
    assert_string_equal(pgsup_strerror(-EINVAL), strerror(EINVAL));
    assert_string_not_equal(pgsup_strerror(-PGSUP_ENOHELPER), "Unknown error");
    assert_string_not_equal(pgsup_strerror(-PGSUP_EHELPER), "Unknown error");
    assert_string_equal(pgsup_strerror(INT_MIN), "Unknown error");
    assert_string_equal(pgsup_strerror(INT_MAX), "Unknown error");
    assert_non_null(pgsup_version());
    assert_string_equal(pgsup_version(), PGSUP_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_bad_null_pointers),
        LIBTEST(test_bad_argv),
        LIBTEST(test_bad_cmd_size),
        LIBTEST(test_bad_durations),
        LIBTEST(test_bad_durations_valid_edges),
        LIBTEST(test_bad_signal),
        LIBTEST(test_bad_fds),
        LIBTEST(test_bad_stdin_and_flags),
        LIBTEST(test_bad_proc_arguments),
        LIBTEST(test_bad_helper),
        LIBTEST(test_bad_result_free_twice),
        LIBTEST(test_bad_strerror_and_version),
    };

    return cmocka_run_group_tests_name("lib_bad_input", tests, libtest_setup,
                                       libtest_group_teardown);
}
