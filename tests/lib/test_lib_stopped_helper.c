/* test_lib_stopped_helper.c: a supervisor that is stopped before it reports the start. The
 * command runs as soon as it is spawned, before its engine says "started", and a command that
 * stops its engine at once (`kill -STOP $PPID`, as a hostile daemon job does) used to hold
 * pgsup_start() in a blocking read forever: the host's whole loop (the daemon) hung. Here a
 * fake helper stops itself before it reports; the library continues it and the run goes on. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "libtest.h"

static const char *const true_argv[] = {"true", NULL};

/* A stand-in for `pgsup run --control-fd=3 ...`: stops itself, then reports a start on fd 3
 * (SOCK_SEQPACKET: one write, one message) and exits without a result, like a supervisor
 * that died. */
static const char fake_helper[] = "#!/bin/sh\n"
                                  "kill -STOP $$\n"
                                  "printf 'started pid=%d' $$ >&3\n";

static void test_helper_stopped_before_it_reports(void **state)
{
    char dir[] = "/tmp/pgsup-lib-test-XXXXXX", file[64], saved[4096];
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result r = {0};
    int fd;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/pgsup", dir);
    fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, fake_helper, strlen(fake_helper)), (ssize_t) strlen(fake_helper));
    assert_int_equal(close(fd), 0);
    snprintf(saved, sizeof(saved), "%s", libtest_env("PGSUP_BIN"));
    assert_int_equal(setenv("PGSUP_BIN", file, 1), 0);
    cmd.argv = true_argv;
    /* Before: no return (the test's alarm fails it). Now: the start is reported once the
     * library continued the helper, and the run ends without a result: the supervisor died,
     * which pgsup_run() reports as -PGSUP_EHELPER (pgsup.h). */
    assert_int_equal(pgsup_run(&cmd, &r), -PGSUP_EHELPER);
    assert_int_equal(setenv("PGSUP_BIN", saved, 1), 0);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(procmark_check("after a helper stopped before its report"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LIBTEST(test_helper_stopped_before_it_reports),
    };

    return cmocka_run_group_tests_name("lib_stopped_helper", tests, libtest_setup,
                                       libtest_group_teardown);
}
