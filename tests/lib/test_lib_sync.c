/* test_lib_sync.c: pgsup_run() on real commands: exit statuses, signals, deadlines, stdin,
 * environment, working directory, capture (caps, 10 MB on both streams at once), redirection,
 * trees that hold the capture pipes past the deadline, threads. Every test ends with the /proc
 * check: pgsup_run() returns only once the whole tree is gone and its supervisor reaped, so
 * nothing marked may be alive and the test may have no child, not even a zombie. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blast.h"
#include "libtest.h"
#include "procscan.h"

extern char **environ;

/* A command running argv, everything else at its default; the test adjusts the rest. */
static pgsup_cmd cmd_for(const char *const *argv)
{
    pgsup_cmd cmd = PGSUP_CMD_INIT;

    cmd.argv = argv;
    return cmd;
}

/* The sanity every result must pass, whatever the command did. */
static void assert_plausible(const pgsup_result *r)
{
    assert_true(isfinite(r->wall_s));
    assert_true(r->wall_s >= 0);
    assert_true(r->wall_s < 600);
    if (r->term_signal == 0)
        assert_in_range(r->exit_code, 0, 255);
    else
        assert_int_equal(r->exit_code, -1);
    assert_true(r->out == NULL || r->out[r->out_len] == '\0');
    assert_true(r->err == NULL || r->err[r->err_len] == '\0');
    if (!r->out)
        assert_int_equal(r->out_len, 0);
    if (!r->err)
        assert_int_equal(r->err_len, 0);
}

/* A plain run that must succeed: returns the result, plausible, or fails the test. */
static pgsup_result run_ok(const pgsup_cmd *cmd)
{
    pgsup_result r;
    int err;

    memset(&r, 0, sizeof(r));
    err = pgsup_run(cmd, &r);
    if (err != 0)
        fail_msg("pgsup_run('%s') = %d (%s)", cmd->argv[0], err, pgsup_strerror(err));
    assert_plausible(&r);
    return r;
}

static void assert_clean(const char *what)
{
    assert_int_equal(procmark_check(what), 0);
}

/* The end of most tests: the last result freed, then the /proc check. */
static void finish(pgsup_result *r, const char *what)
{
    pgsup_result_free(r);
    assert_clean(what);
}

static int memfd_new(const char *content)
{
    int fd = memfd_create("pgsup-lib-test", MFD_CLOEXEC);

    assert_true(fd >= 0);
    if (content) {
        size_t len = strlen(content);
        assert_int_equal(write(fd, content, len), (ssize_t) len);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    }
    return fd;
}

/* Empties a memfd. The offset is shared with the child's copy: back to 0 as well, or the next
 * write would leave a hole of NUL bytes. */
static void memfd_reset(int fd)
{
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
}

/* The whole content of a memfd, NUL-terminated, in buf. */
static const char *memfd_text(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);

    assert_true(n >= 0);
    buf[n] = '\0';
    return buf;
}

/* --- exit statuses, signals, deadlines ----------------------------------------------------- */

static void test_sync_exit_code(void **state)
{
    const char *argv[] = {"sh", "-c", "exit 7", NULL};
    const char *argv_true[] = {"true", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 7);
    assert_int_equal(r.term_signal, 0);
    assert_false(r.timed_out);
    assert_false(r.killed);
    /* Nothing captured unless asked. */
    assert_null(r.out);
    assert_null(r.err);
    /* The tree's usage came back from the supervisor: a shell uses some memory. */
    assert_true(r.rusage.ru_maxrss > 0);
    finish(&r, "after exit 7");

    cmd.argv = argv_true;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.term_signal, 0);
    finish(&r, "after true");
}

static void test_sync_term_signal(void **state)
{
    const char *argv[] = {"sh", "-c", "kill -USR1 $$; sleep 1000", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.timeout_s = LIBTEST_BOUND_S; /* only a bound: the shell kills itself at once */
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.term_signal, SIGUSR1);
    assert_false(r.timed_out);
    assert_false(r.killed);
    assert_clean("after a death by SIGUSR1");
}

static void test_sync_timeout(void **state)
{
    const char *argv[] = {"sleep", "1000", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;
    double start = procmark_now(), took;

    (void) state;
    cmd.timeout_s = 0.2;
    r = run_ok(&cmd);
    took = procmark_now() - start;
    assert_true(r.timed_out);
    assert_false(r.killed);
    assert_int_equal(r.term_signal, SIGTERM);
    assert_int_equal(r.exit_code, -1);
    /* The deadline cannot come early (a small allowance for clock rounding), and the run ended
     * long before sleep would have. */
    assert_true(r.wall_s >= 0.19);
    assert_true(took < 60);
    assert_clean("after a deadline");
}

static void test_sync_timeout_signal(void **state)
{
    const char *argv[] = {"sleep", "1000", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.timeout_s = 0.1;
    cmd.signal = SIGINT;
    r = run_ok(&cmd);
    assert_true(r.timed_out);
    assert_int_equal(r.term_signal, SIGINT);
    assert_false(r.killed);
    assert_clean("after a deadline with SIGINT");

    cmd.signal = SIGKILL;
    r = run_ok(&cmd);
    assert_true(r.timed_out);
    assert_int_equal(r.term_signal, SIGKILL);
    assert_clean("after a deadline with SIGKILL");
}

/* A command that ignores the deadline's SIGTERM dies of the SIGKILL after kill_after_s. */
static void test_sync_kill_after(void **state)
{
    const char *argv[] = {"sh", "-c", "trap '' TERM; sleep 1000", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    /* Long enough for the shell to reach its trap first: a deadline before it would kill it
     * with SIGTERM. */
    cmd.timeout_s = 1;
    cmd.kill_after_s = 0.2;
    r = run_ok(&cmd);
    assert_true(r.timed_out);
    assert_true(r.killed);
    assert_int_equal(r.term_signal, SIGKILL);
    assert_true(r.wall_s >= 1.19);
    assert_clean("after SIGKILL at the end of the grace");
}

/* --- stdin --------------------------------------------------------------------------------- */

static void test_sync_stdin_data(void **state)
{
    static const char data[] = "line one\n\0binary\377\001 end";
    const char *argv[] = {"cat", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.stdin_data = data;
    cmd.stdin_len = sizeof(data) - 1;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    /* a bound: cat ends only at the end of file pgsup must give it */
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, sizeof(data) - 1);
    assert_memory_equal(r.out, data, sizeof(data) - 1);
    finish(&r, "after stdin data");
}

/* 4 MiB through cat: the input is fed while the output is read, on one loop. */
static void test_sync_stdin_large(void **state)
{
    const size_t len = (size_t) 4 << 20;
    const char *argv[] = {"cat", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    char *data = malloc(len);
    pgsup_result r;

    (void) state;
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char) blast_byte(i, 0);
    cmd.stdin_data = data;
    cmd.stdin_len = len;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, len);
    assert_memory_equal(r.out, data, len);
    free(data);
    finish(&r, "after 4 MiB through cat");
}

/* A command that never reads its input: the run ends normally, and the host is not killed by
 * SIGPIPE (it would die here, failing the test). */
static void test_sync_stdin_not_read(void **state)
{
    const size_t len = (size_t) 4 << 20;
    const char *argv[] = {"true", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    char *data = calloc(1, len);
    pgsup_result r;

    (void) state;
    assert_non_null(data);
    cmd.stdin_data = data;
    cmd.stdin_len = len;
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    free(data);
    assert_clean("after unread stdin data");
}

/* Zero bytes of stdin data: the command sees end of file at once. */
static void test_sync_stdin_empty(void **state)
{
    const char *argv[] = {"cat", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.stdin_data = "";
    cmd.stdin_len = 0;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    /* without the end of file, cat would wait for it until here */
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, 0);
    finish(&r, "after empty stdin data");
}

static void test_sync_stdin_fd(void **state)
{
    const char *argv[] = {"cat", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    int fd = memfd_new("from a file\n");
    pgsup_result r;

    (void) state;
    cmd.stdin_fd = fd;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "from a file\n");
    pgsup_result_free(&r);

    /* stdin_data wins over stdin_fd. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    cmd.stdin_data = "data";
    cmd.stdin_len = 4;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "data");
    pgsup_result_free(&r);
    assert_int_equal(close(fd), 0);
    assert_clean("after stdin from a file");
}

/* --- environment and working directory ----------------------------------------------------- */

static void test_sync_env(void **state)
{
    const char *argv[] = {"sh", "-c", "printf '%s|%s' \"$PGSUP_LIB_FOO\" "
                                      "\"${PGSUP_LIB_INHERITED-unset}\"",
                          NULL};
    const char *extra[] = {"PGSUP_LIB_FOO=bar baz", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    assert_int_equal(setenv("PGSUP_LIB_INHERITED", "yes", 1), 0);
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    /* An explicit envp is all the command gets. */
    cmd.envp = procmark_envp(extra);
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "bar baz|unset");
    pgsup_result_free(&r);
    /* NULL: the caller's environment. */
    cmd.envp = NULL;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "|yes");
    pgsup_result_free(&r);
    assert_int_equal(unsetenv("PGSUP_LIB_INHERITED"), 0);
    assert_clean("after the environment runs");
}

struct tmpdir {
    char path[64];
    char file[128];
};

static void tmpdir_make(struct tmpdir *t)
{
    int fd;

    snprintf(t->path, sizeof(t->path), "/tmp/pgsup-lib-test-XXXXXX");
    assert_non_null(mkdtemp(t->path));
    snprintf(t->file, sizeof(t->file), "%s/hello", t->path);
    fd = open(t->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hi there\n", 9), 9);
    assert_int_equal(close(fd), 0);
}

static void tmpdir_remove(struct tmpdir *t)
{
    assert_int_equal(unlink(t->file), 0);
    assert_int_equal(rmdir(t->path), 0);
}

static void test_sync_cwd(void **state)
{
    const char *argv_pwd[] = {"sh", "-c", "pwd -P", NULL};
    const char *argv_cat[] = {"cat", "hello", NULL};
    char real[PATH_MAX + 2];
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    struct tmpdir t;
    pgsup_result r;

    (void) state;
    tmpdir_make(&t);
    assert_non_null(realpath(t.path, real));
    strcat(real, "\n");
    cmd.cwd = t.path;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    cmd.argv = argv_pwd;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, real);
    pgsup_result_free(&r);
    /* A relative path in argv is resolved in cwd. */
    cmd.argv = argv_cat;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "hi there\n");
    pgsup_result_free(&r);
    tmpdir_remove(&t);
    assert_clean("after the cwd runs");
}

/* $PGSUP_BIN relative to the caller's directory keeps working when the command runs
 * elsewhere: the supervisor starts in cmd.cwd. */
static void test_sync_cwd_relative_helper(void **state)
{
    const char *argv[] = {"cat", "hello", NULL};
    char bin[PATH_MAX], old_cwd[PATH_MAX], *slash;
    pgsup_cmd cmd = cmd_for(argv);
    struct tmpdir t;
    pgsup_result r;
    int err;

    (void) state;
    snprintf(bin, sizeof(bin), "%s", libtest_env("PGSUP_BIN"));
    slash = strrchr(bin, '/');
    assert_non_null(slash);
    *slash = '\0';
    tmpdir_make(&t);
    assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
    assert_int_equal(chdir(bin[0] ? bin : "/"), 0);
    assert_int_equal(setenv("PGSUP_BIN", "./pgsup", 1), 0);
    cmd.cwd = t.path;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    memset(&r, 0, sizeof(r));
    err = pgsup_run(&cmd, &r);
    /* Restore before asserting: the other tests need both. */
    *slash = '/';
    assert_int_equal(setenv("PGSUP_BIN", bin, 1), 0);
    assert_int_equal(chdir(old_cwd), 0);
    assert_int_equal(err, 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "hi there\n");
    pgsup_result_free(&r);
    tmpdir_remove(&t);
    assert_clean("after a relative $PGSUP_BIN");
}

/* A working directory that does not exist is the caller's error, not a missing helper. */
static void test_sync_cwd_missing(void **state)
{
    const char *argv[] = {"true", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r, before;
    int err;

    (void) state;
    /* a pattern, compared bytewise: the bools in it are not valid bools */
    memset(&r, 0xa5, sizeof(r));
    memset(&before, 0xa5, sizeof(before));
    /* -ENOENT would say that the command was not found (it was, before issue 9). */
    cmd.cwd = "/nonexistent/pgsup-lib-test";
    err = pgsup_run(&cmd, &r);
    assert_int_equal(err, -PGSUP_ECWD);
    assert_memory_equal(&r, &before, sizeof(r));
    cmd.cwd = "/etc/passwd";
    err = pgsup_run(&cmd, &r);
    assert_int_equal(err, -PGSUP_ECWD);
    assert_clean("after a missing cwd");
}

/* --- not found, not executable ------------------------------------------------------------- */

static void test_sync_not_found(void **state)
{
    const char *argv[] = {"pgsup-lib-test-no-such-command", NULL};
    const char *argv_abs[] = {"/nonexistent/pgsup-lib-test", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r, before;

    (void) state;
    memset(&r, 0xa5, sizeof(r));
    memset(&before, 0xa5, sizeof(before));
    assert_int_equal(pgsup_run(&cmd, &r), -ENOENT);
    cmd.argv = argv_abs;
    assert_int_equal(pgsup_run(&cmd, &r), -ENOENT);
    /* untouched on failure */
    assert_memory_equal(&r, &before, sizeof(r));
    assert_clean("after a command not found");
}

static void test_sync_not_executable(void **state)
{
    const char *argv[] = {NULL, NULL};
    pgsup_cmd cmd = cmd_for(argv);
    struct tmpdir t;
    pgsup_result r;

    (void) state;
    tmpdir_make(&t); /* t.file: mode 0644 */
    argv[0] = t.file;
    assert_int_equal(pgsup_run(&cmd, &r), -EACCES);
    argv[0] = t.path; /* a directory */
    assert_int_equal(pgsup_run(&cmd, &r), -EACCES);
    tmpdir_remove(&t);
    assert_clean("after commands that cannot run");
}

/* --- capture and redirection --------------------------------------------------------------- */

static void test_sync_capture_both(void **state)
{
    const char *argv[] = {"sh", "-c", "printf 'to out'; printf 'to err' >&2; exit 3", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.out, "to out");
    assert_int_equal(r.out_len, 6);
    assert_string_equal(r.err, "to err");
    assert_int_equal(r.err_len, 6);
    assert_false(r.out_truncated);
    assert_false(r.err_truncated);
    pgsup_result_free(&r);
    /* freed and zeroed: a second call is harmless */
    assert_null(r.out);
    assert_null(r.err);
    assert_int_equal(r.out_len, 0);
    finish(&r, "after capturing both streams");
}

/* Runs blast with bytes per stream and capture_max max; checks lengths, flags and content. */
static void check_blast(size_t bytes, size_t max)
{
    const char *blast = libtest_env("PGSUP_TEST_BLAST");
    char num[32];
    const char *argv[] = {blast, num, NULL};
    size_t kept = max && max < bytes ? max : bytes;
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    snprintf(num, sizeof(num), "%zu", bytes);
    cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    cmd.capture_max = max;
    /* Only a bound: a pipe-fill deadlock shows up as timed_out instead of a hung test. */
    cmd.timeout_s = LIBTEST_BOUND_S;
    r = run_ok(&cmd);
    assert_false(r.timed_out);
    /* blast wrote everything: what is over the cap was read and dropped, not refused. */
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, kept);
    assert_int_equal(r.err_len, kept);
    assert_int_equal(r.out_truncated, kept < bytes);
    assert_int_equal(r.err_truncated, kept < bytes);
    for (size_t i = 0; i < kept; i++) {
        if ((unsigned char) r.out[i] != blast_byte(i, 0))
            fail_msg("stdout byte %zu of %zu is wrong", i, kept);
        if ((unsigned char) r.err[i] != blast_byte(i, 1))
            fail_msg("stderr byte %zu of %zu is wrong", i, kept);
    }
    pgsup_result_free(&r);
}

/* 10 MB on stdout and stderr at once: both pipes are drained as data comes. */
static void test_sync_capture_10mb_both(void **state)
{
    (void) state;
    check_blast((size_t) 10 << 20, 0);
    assert_clean("after 10 MB on both streams");
}

static void test_sync_capture_max(void **state)
{
    (void) state;
    check_blast((size_t) 10 << 20, (size_t) 1 << 20);
    check_blast(100000, 1000);
    check_blast(1000, 1000);  /* exactly the cap: not truncated */
    check_blast(1001, 1000);  /* one byte over */
    check_blast(4096, 1);
    assert_clean("after capped captures");
}

static void test_sync_capture_nothing(void **state)
{
    const char *argv[] = {"true", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    pgsup_result r;

    (void) state;
    cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    r = run_ok(&cmd);
    assert_int_equal(r.out_len, 0);
    assert_int_equal(r.err_len, 0);
    assert_false(r.out_truncated);
    finish(&r, "after an empty capture");
}

static void test_sync_redirect_fds(void **state)
{
    const char *argv[] = {"sh", "-c", "echo to out; echo to err >&2", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    int out_fd = memfd_new(NULL), err_fd = memfd_new(NULL);
    char buf[256];
    pgsup_result r;

    (void) state;
    cmd.stdout_fd = out_fd;
    cmd.stderr_fd = err_fd;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_null(r.out);
    assert_null(r.err);
    assert_string_equal(memfd_text(out_fd, buf, sizeof(buf)), "to out\n");
    assert_string_equal(memfd_text(err_fd, buf, sizeof(buf)), "to err\n");

    /* Capture wins over the fd; the other stream still goes to its fd. */
    memfd_reset(out_fd);
    memfd_reset(err_fd);
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    r = run_ok(&cmd);
    assert_string_equal(r.out, "to out\n");
    assert_null(r.err);
    assert_string_equal(memfd_text(out_fd, buf, sizeof(buf)), "");
    assert_string_equal(memfd_text(err_fd, buf, sizeof(buf)), "to err\n");
    pgsup_result_free(&r);
    assert_int_equal(close(out_fd), 0);
    assert_int_equal(close(err_fd), 0);
    assert_clean("after redirected runs");
}

/* The same file at a number above 3 (the lowest free number may be 3 itself). */
static int fd_move_high(int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

    assert_true(high >= 10);
    assert_int_equal(close(fd), 0);
    return high;
}

/* The caller's fd 3 is fine as stdout_fd or stderr_fd, although fd 3 of the supervisor is its
 * control socket. Whatever the test had on fd 3 is put back afterwards. */
static void test_sync_redirect_low_fds(void **state)
{
    const char *argv[] = {"sh", "-c", "echo to out; echo to err >&2", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    int saved = fcntl(3, F_DUPFD_CLOEXEC, 10); /* -1: fd 3 was not open */
    int memfd = fd_move_high(memfd_new(NULL)), err_fd = fd_move_high(memfd_new(NULL));
    char buf[256];
    pgsup_result r;

    (void) state;
    assert_int_equal(dup3(memfd, 3, O_CLOEXEC), 3);
    cmd.stdout_fd = 3;
    cmd.stderr_fd = err_fd;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(memfd_text(memfd, buf, sizeof(buf)), "to out\n");
    assert_string_equal(memfd_text(err_fd, buf, sizeof(buf)), "to err\n");
    /* and as stderr, with stdout going to the other file */
    memfd_reset(memfd);
    memfd_reset(err_fd);
    cmd.stdout_fd = err_fd;
    cmd.stderr_fd = 3;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(memfd_text(memfd, buf, sizeof(buf)), "to err\n");
    assert_string_equal(memfd_text(err_fd, buf, sizeof(buf)), "to out\n");
    if (saved >= 0) {
        assert_int_equal(dup3(saved, 3, O_CLOEXEC), 3);
        assert_int_equal(close(saved), 0);
    } else {
        assert_int_equal(close(3), 0);
    }
    assert_int_equal(close(memfd), 0);
    assert_int_equal(close(err_fd), 0);
    assert_clean("after redirection to fd 3");
}

/* --- deadlines on trees that hold the capture pipes ---------------------------------------- */

/* A background child holds stdout and stderr open: the run still ends at the deadline, and the
 * child is gone with the rest. */
static void test_sync_timeout_grandchild_holds_pipes(void **state)
{
    const char *argv[] = {"sh", "-c", "echo started; sleep 1000 & sleep 1000", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    double start = procmark_now();
    pgsup_result r;

    (void) state;
    cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    cmd.timeout_s = 0.3;
    r = run_ok(&cmd);
    assert_true(r.timed_out);
    assert_int_equal(r.term_signal, SIGTERM);
    assert_string_equal(r.out, "started\n");
    /* sanity, not timing: the sleeps would have lasted 1000 s */
    assert_true(procmark_now() - start < 60);
    finish(&r, "after a deadline with a grandchild on the pipes");
}

/* mktree's escapees (a new session; a double-forked daemon) and a TERM-ignorer hold both
 * capture pipes. The ready line proves the tree stood before the deadline; then every pid of
 * it must be gone when pgsup_run() returns. */
static void test_sync_timeout_escapees_hold_pipes(void **state)
{
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    const char *argv[] = {mktree, "setsid-tree", "doublefork", "ignore-term", NULL};
    pgsup_cmd cmd = cmd_for(argv);
    double start = procmark_now();
    const char *ready_entry, *extra[2] = {NULL, NULL};
    int ready[2];
    pid_t pids[16];
    pgsup_result r;
    long n;

    (void) state;
    assert_int_equal(procmark_ready_pipe(ready, &ready_entry), 0);
    extra[0] = ready_entry;
    cmd.envp = procmark_envp(extra);
    cmd.flags = PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR;
    cmd.timeout_s = 2; /* ample time to build the tree: the ready line tells */
    cmd.kill_after_s = 0.3;
    r = run_ok(&cmd);
    procmark_ready_release(ready);
    assert_true(r.timed_out);
    assert_true(procmark_now() - start < 60);
    /* leader, setsid child and its child, daemon, TERM-ignorer */
    n = procmark_read_ready(ready[0], 1, 0.1, pids, 16);
    assert_int_equal(n, 5);
    for (long i = 0; i < n; i++)
        assert_false(procmark_is_marked(pids[i]));
    procmark_ready_close(ready);
    finish(&r, "after a deadline with escapees on the pipes");
}

/* --- the supervisor killed during pgsup_run() ---------------------------------------------- */

struct killer {
    int ready_fd;
    int err;       /* 0, or what went wrong in the thread */
};

static pid_t parent_of(pid_t pid)
{
    struct procscan_proc e;

    return procscan_stat(pid, &e) == 0 ? e.ppid : -1;
}

/* Waits for the command to stand, then SIGKILLs its helper, the command's parent and the
 * test's child (one helper per run since issue 12): alive and unreaped then (libpgsup reaps it
 * only once it exited), so the pid is surely it. */
static void *kill_supervisor(void *arg)
{
    struct killer *k = arg;
    pid_t pid = 0, helper;

    if (procmark_read_ready(k->ready_fd, 1, 20, &pid, 1) != 1) {
        k->err = -ETIMEDOUT;
        return NULL;
    }
    helper = parent_of(pid);
    if (helper != getpid() && helper > 0 && parent_of(helper) == getpid()) {
        if (kill(helper, SIGKILL) < 0)
            k->err = -errno;
    } else {
        k->err = -ESRCH;
    }
    return NULL;
}

/* pgsup_run() whose supervisor is killed returns -PGSUP_EHELPER and prints nothing: the
 * supervisor writes to the host's stderr (fd 2, inherited), which is a memfd here. Before
 * issue 9 it returned 0 with exit_code -1 and term_signal 0 (engine) or an ordinary "killed by
 * SIGKILL" result (guard), and the guard wrote "pgsup: engine died of signal 9..." on fd 2. */
static void test_sync_helper_killed(void **state)
{
    const char *argv[] = {"sh", "-c", "echo ready $$ >\"$" PROCMARK_READY_VAR "\"; exec sleep 1000",
                          NULL};
    pgsup_cmd cmd = cmd_for(argv);
    struct killer k = {0};
    int ready[2], saved, memfd, err;
    char printed[512];
    pthread_t thread;
    pgsup_result r;
    ssize_t n;

    (void) state;
    assert_int_equal(procmark_ready_pipe(ready, NULL), 0);
    k.ready_fd = ready[0];
    memfd = memfd_create("host-stderr", MFD_CLOEXEC);
    assert_true(memfd >= 0);
    saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    assert_true(saved >= 0);
    assert_int_equal(pthread_create(&thread, NULL, kill_supervisor, &k), 0);
    assert_int_equal(dup2(memfd, STDERR_FILENO), STDERR_FILENO);
    err = pgsup_run(&cmd, &r);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    assert_int_equal(close(saved), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    procmark_ready_release(ready);
    procmark_ready_close(ready);
    n = pread(memfd, printed, sizeof(printed) - 1, 0);
    assert_int_equal(close(memfd), 0);
    printed[n > 0 ? n : 0] = '\0';
    if (k.err != 0)
        fail_msg("could not kill the supervisor: %s", strerror(-k.err));
    if (err == 0) {
        fail_msg("pgsup_run() returned 0 (exit_code %d, term_signal %d), expected "
                 "-PGSUP_EHELPER", r.exit_code, r.term_signal);
    }
    assert_int_equal(err, -PGSUP_EHELPER);
    if (n > 0)
        fail_msg("printed on the host's stderr: %s", printed);
    /* The command (in the helper's group) was killed by the host before pgsup_run returned;
     * it came to the test, the subreaper, whose business it is to reap it. */
    if (procmark_settle("after the helper was killed", LIBTEST_BOUND_S) != 0)
        fail_msg("processes left after the helper was killed");
}

/* --- the host's own children, threads ------------------------------------------------------ */

/* The library waits only for its own supervisor: a child of the host that exited meanwhile is
 * still there for the host to reap. */
static void test_sync_leaves_host_children(void **state)
{
    char *argv[] = {"sh", "-c", "exit 5", NULL};
    const char *run_argv[] = {"true", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    siginfo_t si = {0};
    pgsup_result r;
    pid_t child;
    int status;

    (void) state;
    assert_int_equal(posix_spawnp(&child, "sh", NULL, NULL, argv, environ), 0);
    /* Wait for it to exit without reaping it: it is a zombie during the run. */
    assert_int_equal(waitid(P_PID, (id_t) child, &si, WEXITED | WNOWAIT), 0);
    cmd.argv = run_argv;
    r = run_ok(&cmd);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 5);
    assert_clean("after a run beside a child of the host");
}

#define THREADS 4

struct thread_run {
    int index;
    int err;
    pgsup_result r;
};

static void *thread_main(void *arg)
{
    struct thread_run *t = arg;
    char num[16];
    const char *argv[] = {"sh", "-c", "printf %s \"$0\"; exit \"$0\"", num, NULL};
    pgsup_cmd cmd = cmd_for(argv);

    snprintf(num, sizeof(num), "%d", t->index);
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    cmd.timeout_s = LIBTEST_BOUND_S;
    t->err = pgsup_run(&cmd, &t->r);
    return NULL;
}

/* pgsup_run() from several threads at once: each gets its own result. */
static void test_sync_threads(void **state)
{
    struct thread_run t[THREADS];
    pthread_t tid[THREADS];

    (void) state;
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct thread_run){.index = i + 10};
        assert_int_equal(pthread_create(&tid[i], NULL, thread_main, &t[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        char want[16];
        assert_int_equal(pthread_join(tid[i], NULL), 0);
        assert_int_equal(t[i].err, 0);
        assert_int_equal(t[i].r.exit_code, i + 10);
        snprintf(want, sizeof(want), "%d", i + 10);
        assert_string_equal(t[i].r.out, want);
        pgsup_result_free(&t[i].r);
    }
    assert_clean("after runs from threads");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_sync_exit_code),
        LIBTEST(test_sync_term_signal),
        LIBTEST(test_sync_timeout),
        LIBTEST(test_sync_timeout_signal),
        LIBTEST(test_sync_kill_after),
        LIBTEST(test_sync_stdin_data),
        LIBTEST(test_sync_stdin_large),
        LIBTEST(test_sync_stdin_not_read),
        LIBTEST(test_sync_stdin_empty),
        LIBTEST(test_sync_stdin_fd),
        LIBTEST(test_sync_env),
        LIBTEST(test_sync_cwd),
        LIBTEST(test_sync_cwd_relative_helper),
        LIBTEST(test_sync_cwd_missing),
        LIBTEST(test_sync_helper_killed),
        LIBTEST(test_sync_not_found),
        LIBTEST(test_sync_not_executable),
        LIBTEST(test_sync_capture_both),
        LIBTEST(test_sync_capture_10mb_both),
        LIBTEST(test_sync_capture_max),
        LIBTEST(test_sync_capture_nothing),
        LIBTEST(test_sync_redirect_fds),
        LIBTEST(test_sync_redirect_low_fds),
        LIBTEST(test_sync_timeout_grandchild_holds_pipes),
        LIBTEST(test_sync_timeout_escapees_hold_pipes),
        LIBTEST(test_sync_leaves_host_children),
        LIBTEST(test_sync_threads),
    };

    return cmocka_run_group_tests_name("lib_sync", tests, libtest_setup,
                                       libtest_group_teardown);
}
