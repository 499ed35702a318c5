/* test_lib_host.c: the program that embeds libpgsup dies in the middle of its runs (host.c):
 * SIGKILLed while its loop runs several trees, SIGKILLed inside pgsup_run(), leaving with
 * _exit() with runs going, or SIGKILLed while a child it forked lives on with its control
 * sockets. Each tree has escapees (a new session, a double-forked daemon), a member that
 * ignores SIGTERM and a stopped one. Nothing of any tree may survive: the supervisors see their
 * control socket close, or their host's pidfd turn readable, and kill their trees.
 *
 * And the host's context: a host that ignores SIGCHLD (or every signal), blocks every signal
 * and leaks fds without CLOEXEC (tests/helpers/cleanctx) still gets its result, and neither the
 * command nor the supervisor inherits any of it.
 *
 * The trees end asynchronously after the host's death, so the /proc check here settles for
 * a bounded time; as the test is a subreaper, the host's orphaned supervisors come to it and
 * are reaped while it waits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtest.h"
#include "procscan.h"

#define SETTLE_S 20.0
#define TREE_MEMBERS 7 /* leader, escapee + child, daemon, TERM-ignorer, stopped + parent */
#define PIDS_MAX 256

extern char **environ;

enum ending { BY_SIGKILL, BY_EXIT, BY_SIGKILL_FORKED };

/* Forked mode: until every pid is gone (or limit_s passes), while `alive` lives on. Returns
 * true if the trees went first. */
static bool trees_gone_before(const pid_t *pids, long n, pid_t alive, double limit_s)
{
    double limit = procmark_now() + limit_s;

    for (;;) {
        long left = 0;
        for (long i = 0; i < n; i++)
            left += procmark_is_marked(pids[i]);
        if (procmark_state(alive) == 0 || procmark_state(alive) == 'Z')
            return false;
        if (left == 0)
            return true;
        if (procmark_now() > limit)
            return false;
        procscan_pause(0.01);
    }
}

static void host_dies(const char *mode, long n, enum ending ending)
{
    const char *host = libtest_env("PGSUP_TEST_HOST");
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    char count[16];
    char *argv[] = {(char *) host, (char *) mode, count, "--", (char *) mktree, "setsid-tree",
                    "doublefork", "ignore-term", "stopped", NULL};
    posix_spawn_file_actions_t fa;
    int ready[2], in[2] = {-1, -1}, out[2] = {-1, -1}, status;
    pid_t host_pid, pids[PIDS_MAX], forked = 0;
    long got;
    int pidfd;

    snprintf(count, sizeof(count), "%ld", n);
    if (strcmp(mode, "sync") == 0) /* host sync -- CMD...: no count */
        memmove(&argv[2], &argv[3], sizeof(argv) - 3 * sizeof(argv[0]));
    assert_int_equal(procmark_ready_pipe(ready, NULL), 0);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO), 0);
    if (ending == BY_SIGKILL_FORKED)
        assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO), 0);
    assert_int_equal(posix_spawn(&host_pid, host, &fa, NULL, argv, environ), 0);
    assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
    procmark_ready_release(ready);
    assert_int_equal(close(in[0]), 0);
    assert_int_equal(close(out[1]), 0);
    if (ending == BY_SIGKILL_FORKED) {
        char line[64] = "";
        FILE *f = fdopen(out[0], "r");
        assert_non_null(f);
        out[0] = -1;
        if (!fgets(line, sizeof(line), f) || sscanf(line, "forked %d", &forked) != 1)
            fail_msg("%s: the host did not say which child it forked: '%s'", mode, line);
        assert_int_equal(fclose(f), 0);
    }
    /* pidfd_open: Linux 5.3+. The host is our unreaped child: the pid is surely its. */
    pidfd = (int) syscall(SYS_pidfd_open, host_pid, 0);
    assert_true(pidfd >= 0);

    /* Every tree stands: mktree says so once each member is in its final state. */
    got = procmark_read_ready(ready[0], (size_t) n, 30, pids, PIDS_MAX);
    if (got != n * TREE_MEMBERS)
        fail_msg("%s: %ld pids reported by %ld trees (%s), expected %ld", mode, got, n,
                 got < 0 ? strerror((int) -got) : "ok", n * TREE_MEMBERS);
    for (long i = 0; i < got; i++)
        assert_true(procmark_is_marked(pids[i]));

    if (ending != BY_EXIT) {
        assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
    } else {
        assert_int_equal(write(in[1], "x", 1), 1);
    }
    assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
    if (ending != BY_EXIT) {
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
    } else {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(close(pidfd), 0);
    assert_int_equal(close(in[1]), 0);
    if (out[0] >= 0)
        assert_int_equal(close(out[0]), 0);
    procmark_ready_close(ready);

    if (ending == BY_SIGKILL_FORKED) {
        /* The forked child holds every control socket open: only the host's own death,
         * seen on its pidfd, can tell the supervisors (before issue 9 the trees lived as long
         * as the child). It is ours now (a subreaper): its pid is surely it. */
        bool gone = trees_gone_before(pids, got, forked, SETTLE_S);
        assert_int_equal(kill(forked, SIGKILL), 0);
        assert_int_equal(waitpid(forked, &status, 0), forked);
        if (!gone)
            fail_msg("%s: the trees lived on while the host's forked child did", mode);
    }

    if (procmark_settle(mode, SETTLE_S) != 0)
        fail_msg("%s: processes of the trees survived their host", mode);
    for (long i = 0; i < got; i++)
        assert_false(procmark_is_marked(pids[i]));
}

static void test_host_sigkill_async(void **state)
{
    (void) state;
    host_dies("async", 3, BY_SIGKILL);
}

static void test_host_sigkill_sync(void **state)
{
    (void) state;
    host_dies("sync", 1, BY_SIGKILL);
}

static void test_host_exits_with_runs(void **state)
{
    (void) state;
    host_dies("exit", 2, BY_EXIT);
}

static void test_host_sigkill_forked_child_lives(void **state)
{
    (void) state;
    host_dies("forked", 2, BY_SIGKILL_FORKED);
}

/* --- the host's context ------------------------------------------------------------------- */

/* Runs `cleanctx wrap WRAP... -- host run -- CMD...` and returns its wait status; a host that
 * has not exited within the bound is a failure (it hangs), and is killed. */
static int host_run_in(const char *const *wrap, const char *const *cmd)
{
    const char *argv[64];
    size_t n = 0;
    struct pollfd pfd;
    pid_t pid;
    int status;

    argv[n++] = libtest_env("PGSUP_TEST_CLEANCTX");
    argv[n++] = "wrap";
    while (*wrap)
        argv[n++] = *wrap++;
    argv[n++] = "--";
    argv[n++] = libtest_env("PGSUP_TEST_HOST");
    argv[n++] = "run";
    argv[n++] = "--";
    while (*cmd && n < 63)
        argv[n++] = *cmd++;
    argv[n] = NULL;
    assert_int_equal(posix_spawn(&pid, argv[0], NULL, NULL, (char **) argv, environ), 0);
    pfd = (struct pollfd){.fd = (int) syscall(SYS_pidfd_open, pid, 0), .events = POLLIN};
    assert_true(pfd.fd >= 0);
    if (poll(&pfd, 1, 30 * 1000) != 1) {
        (void) kill(pid, SIGKILL); /* our unreaped child: surely it */
        (void) waitpid(pid, &status, 0);
        (void) close(pfd.fd);
        fail_msg("the host did not return from pgsup_run() within 30 s");
    }
    assert_int_equal(close(pfd.fd), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void expect_exit(int status, int code, const char *what)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
        fail_msg("%s: host ended with status 0x%x, expected exit %d", what, status, code);
}

/* A host that ignores SIGCHLD: its supervisor used to inherit that, the kernel reaped the
 * command for it, and pgsup_run() never returned. */
static void test_host_ignores_chld(void **state)
{
    const char *wrap[] = {"--ignore", "CHLD", NULL};
    const char *cmd[] = {"sh", "-c", "exit 7", NULL};

    (void) state;
    expect_exit(host_run_in(wrap, cmd), 7, "SIGCHLD ignored");
    if (procmark_check("after a host that ignores SIGCHLD") != 0)
        fail_msg("processes left");
}

/* A host that ignores TERM and PIPE (and HUP, INT, QUIT: nohup, a shell's &) and leaks 20 fds:
 * the command starts with every signal at its default and fds 0-2 only, and its supervisor
 * (one helper since issue 12: --ancestors 1; above it is the careless host) ignores nothing
 * and holds none of the leaked fds. */
static void test_host_ignores_term_leaks_fds(void **state)
{
    const char *wrap[] = {"--ignore", "TERM,PIPE,HUP,INT,QUIT", "--leak", "20", NULL};
    const char *cmd[] = {libtest_env("PGSUP_TEST_CLEANCTX"), "clean", "--ancestors", "1", NULL};

    (void) state;
    expect_exit(host_run_in(wrap, cmd), 0, "TERM and PIPE ignored, fds leaked");
    if (procmark_check("after a host that ignores TERM") != 0)
        fail_msg("processes left");
}

/* The worst host: every signal ignored (SIGCHLD, glibc's 32 and 33 included) and blocked, 20
 * leaked fds. */
static void test_host_hostile_context(void **state)
{
    const char *wrap[] = {"--ignore-all", "--block-all", "--leak", "20", NULL};
    const char *cmd[] = {libtest_env("PGSUP_TEST_CLEANCTX"), "clean", "--ancestors", "1", NULL};

    (void) state;
    expect_exit(host_run_in(wrap, cmd), 0, "every signal ignored and blocked, fds leaked");
    if (procmark_check("after a hostile host") != 0)
        fail_msg("processes left");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_host_sigkill_async),
        LIBTEST(test_host_sigkill_sync),
        LIBTEST(test_host_exits_with_runs),
        LIBTEST(test_host_sigkill_forked_child_lives),
        LIBTEST(test_host_ignores_chld),
        LIBTEST(test_host_ignores_term_leaks_fds),
        LIBTEST(test_host_hostile_context),
    };

    return cmocka_run_group_tests_name("lib_host", tests, libtest_setup,
                                       libtest_group_teardown);
}
