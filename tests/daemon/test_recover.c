/* test_recover.c: crash recovery's kills (src/daemon/recover.c) on real processes. The test
 * process is a child subreaper, so that the leftovers it makes and recover_kill() kills come
 * back to it to be reaped, and it checks each one's wait status. pidfd_get() is wrapped
 * (-Wl,--wrap) so that a leftover's pid can go to a stranger at the worst moment, in the
 * PID namespace of tests/helpers/recycle.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/fd.h"
#include "core/proc.h"
#include "daemon/recover.h"
#include "recycle.h"

#define MARKER "PGSUP_JOB=test-recover/job/1"
#define EVENT_TIMEOUT_MS 20000

static int setup(void **state)
{
    (void) state;
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
}

/* Reads mktree's "ready PID..." line from fd into pids; returns how many. */
static size_t read_ready(int fd, pid_t *pids, size_t max)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[512], *at, *end;
    size_t n = 0, len = 0;
    ssize_t k;

    while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
        if (poll(&p, 1, EVENT_TIMEOUT_MS) != 1)
            fail_msg("mktree did not say ready within %d ms", EVENT_TIMEOUT_MS);
        k = fd_read(fd, buf + len, sizeof(buf) - 1 - len);
        if (k <= 0)
            fail_msg("mktree died before it was ready");
        len += (size_t) k;
    }
    buf[len] = '\0';
    assert_true(strncmp(buf, "ready", 5) == 0);
    for (at = buf + 5; n < max; at = end) {
        long pid = strtol(at, &end, 10);
        if (end == at)
            break;
        pids[n++] = (pid_t) pid;
    }
    return n;
}

/* A leftover whose main thread has exited while its other thread runs: /proc shows it as a
 * zombie. recover_kill() must kill it, not report done while it lives. */
static void test_recover_kills_process_whose_main_thread_exited(void **state)
{
    const char *mktree = getenv("PGSUP_TEST_MKTREE");
    char ready_var[64];
    char *argv[] = {(char *)"mktree", (char *)"main-thread-exited", NULL};
    char *envp[] = {(char *) MARKER, ready_var, NULL};
    pid_t pids[4], leader;
    struct proc_entry e;
    int ready[2], st, r;

    (void) state;
    assert_non_null(mktree);
    assert_int_equal(pipe(ready), 0); /* not CLOEXEC: mktree inherits the write end */
    snprintf(ready_var, sizeof(ready_var), "PGSUP_TEST_READY_FD=%d", ready[1]);
    assert_int_equal(posix_spawn(&leader, mktree, NULL, NULL, argv, envp), 0);
    (void) close(ready[1]);
    assert_int_equal(read_ready(ready[0], pids, 4), 2);
    (void) close(ready[0]);
    assert_int_equal(pids[0], leader);
    assert_int_equal(proc_stat_read(pids[1], &e), 0);
    assert_int_equal(e.state, 'Z'); /* the shape under test */
    assert_true(e.threads > 1);

    r = recover_kill(&(struct recover_spec){.marker = MARKER, .exact = true}, 10.0, NULL, NULL);
    if (proc_stat_read(pids[1], &e) == 0 && proc_entry_alive(&e)) {
        (void) kill(pids[1], SIGKILL); /* reparented to us, unreaped: surely it */
        (void) kill(leader, SIGKILL);
        (void) waitpid(leader, NULL, 0);
        (void) waitpid(pids[1], NULL, 0);
        fail_msg("recover_kill returned %d with pid %d alive (state %c, %u threads)", r,
                 (int) pids[1], e.state, e.threads);
    }
    assert_int_equal(r, 2);
    assert_int_equal(waitpid(leader, &st, 0), leader);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    /* the escapee's parent died: it came to us, the subreaper */
    assert_int_equal(waitpid(pids[1], &st, 0), pids[1]);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* In the recycling namespace: the victim carries the marker and dies after the scan; a
 * stranger without it takes its pid in the same clock tick, before recovery opens the pidfd.
 * The stranger must survive, and recovery kill nothing. */
static int recover_recycled(const struct recycle *r, void *arg)
{
    (void) r;
    (void) arg;
    return recover_kill(&(struct recover_spec){.marker = MARKER, .exact = true}, 10.0, NULL,
                        NULL);
}

static void test_recover_spares_stranger_with_recycled_pid(void **state)
{
    char *envp[] = {(char *) MARKER, NULL};
    int r;

    (void) state;
    r = recycle_test(envp, recover_recycled, NULL);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recover_kills_process_whose_main_thread_exited),
        cmocka_unit_test(test_recover_spares_stranger_with_recycled_pid),
    };

    return cmocka_run_group_tests_name("recover", tests, setup, NULL);
}
