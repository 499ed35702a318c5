/* test_lib_host.c: the program that embeds libpgsup dies in the middle of its runs (host.c):
 * SIGKILLed while its loop runs several trees, SIGKILLed inside pgsup_run(), or leaving with
 * _exit() with runs going. Each tree has escapees (a new session, a double-forked daemon), a
 * member that ignores SIGTERM and a stopped one. Nothing of any tree may survive: the
 * supervisors see their control socket close and kill their trees.
 *
 * The trees end asynchronously after the host's death, so the /proc check here settles for
 * a bounded time; as the test is a subreaper, the host's orphaned supervisors come to it and
 * are reaped while it waits. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtest.h"

#define SETTLE_S 20.0
#define TREE_MEMBERS 7 /* leader, escapee + child, daemon, TERM-ignorer, stopped + parent */
#define PIDS_MAX 256

extern char **environ;

enum ending { BY_SIGKILL, BY_EXIT };

static void host_dies(const char *mode, long n, enum ending ending)
{
    const char *host = libtest_env("PGSUP_TEST_HOST");
    const char *mktree = libtest_env("PGSUP_TEST_MKTREE");
    char count[16];
    char *argv[] = {(char *) host, (char *) mode, count, "--", (char *) mktree, "setsid-tree",
                    "doublefork", "ignore-term", "stopped", NULL};
    posix_spawn_file_actions_t fa;
    int ready[2], in[2] = {-1, -1}, status;
    pid_t host_pid, pids[PIDS_MAX];
    long got;
    int pidfd;

    snprintf(count, sizeof(count), "%ld", n);
    if (strcmp(mode, "sync") == 0) /* host sync -- CMD...: no count */
        memmove(&argv[2], &argv[3], sizeof(argv) - 3 * sizeof(argv[0]));
    assert_int_equal(procmark_ready_pipe(ready, NULL), 0);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO), 0);
    assert_int_equal(posix_spawn(&host_pid, host, &fa, NULL, argv, environ), 0);
    assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
    procmark_ready_release(ready);
    assert_int_equal(close(in[0]), 0);
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

    if (ending == BY_SIGKILL) {
        assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
    } else {
        assert_int_equal(write(in[1], "x", 1), 1);
    }
    assert_int_equal(waitpid(host_pid, &status, 0), host_pid);
    if (ending == BY_SIGKILL) {
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
    } else {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(close(pidfd), 0);
    assert_int_equal(close(in[1]), 0);
    procmark_ready_close(ready);

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_host_sigkill_async),
        LIBTEST(test_host_sigkill_sync),
        LIBTEST(test_host_exits_with_runs),
    };

    return cmocka_run_group_tests_name("lib_host", tests, libtest_setup,
                                       libtest_group_teardown);
}
