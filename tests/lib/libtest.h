/* libtest.h: what the cmocka tests of libpgsup share: the group setup (marker, subreaper,
 * default signal dispositions), the per-test teardown that proves and restores a clean /proc,
 * and the paths of the helper programs, which meson passes in the environment. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgsup.h"
#include "procmark.h"

/* The deadline given to runs that should end by themselves, and the watchdog of the async
 * loops: never reached when the library works, it turns a hang into a failure that names the
 * test, well within meson's timeout (300 s per test binary). */
#define LIBTEST_BOUND_S 20.0

/* Group setup. The runs' commands inherit the dispositions the test had: a harness that
 * ignores SIGINT or SIGTERM (a background job of a non-interactive shell ignores SIGINT)
 * would make the commands ignore them too, and the tests that end a command with those
 * signals would measure the harness. So every signal starts at its default here. */
static inline int libtest_setup(void **state)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;
    int r;

    (void) state;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void) sigaction(sig, &dfl, NULL); /* EINVAL for glibc's reserved ones: fine */
    sigemptyset(&none);
    (void) sigprocmask(SIG_SETMASK, &none, NULL); /* cannot fail with SIG_SETMASK */
    r = procmark_setup();
    if (r == 0)
        r = procmark_san_setup();
    if (r < 0) {
        fprintf(stderr, "libtest: cannot set up the checks: %s\n", strerror(-r));
        return -1;
    }
    return 0;
}

/* Group teardown: the last sanitizer reports fail the group. */
static inline int libtest_group_teardown(void **state)
{
    size_t n;

    (void) state;
    n = procmark_san_reports("group teardown");
    procmark_san_cleanup();
    return n == 0 ? 0 : -1;
}

/* Per-test setup: a test that hangs (a run that never ends, a loop that never returns) is
 * ended by SIGALRM's default action, well before meson's timeout. The host's death is a case
 * the library handles: the supervisors then kill their trees. */
#define LIBTEST_ALARM_S 100

static inline int libtest_test_setup(void **state)
{
    (void) state;
    (void) alarm(LIBTEST_ALARM_S); /* no earlier alarm is pending: teardown cancels it */
    return 0;
}

/* Per-test teardown: a test that failed halfway may have left a tree; it is listed, killed
 * and reaped here (and the teardown fails), so that the next test starts clean. A sanitizer
 * report of a process the test started fails it too. */
static inline int libtest_teardown(void **state)
{
    size_t left, reports;

    (void) state;
    (void) alarm(0);
    left = procmark_check("teardown");
    reports = procmark_san_reports("teardown");
    return left == 0 && reports == 0 ? 0 : -1;
}

/* The path in environment variable name (set by tests/lib/meson.build), or the test fails. */
static inline const char *libtest_env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v)
        fail_msg("%s is not set: run the test with meson test", name);
    return v;
}

#define LIBTEST(f) cmocka_unit_test_setup_teardown(f, libtest_test_setup, libtest_teardown)
