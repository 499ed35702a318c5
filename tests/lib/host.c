/* host.c: a program that embeds libpgsup and dies in the middle of its runs, for
 * test_lib_host.c. The runs' command comes from the command line; the environment (with the
 * test's marker and mktree's ready fd) is inherited.
 *
 *   host async N -- CMD...   starts N runs of CMD on a libev loop and runs the loop
 *   host sync -- CMD...      runs CMD with pgsup_run (no deadline)
 *   host exit N -- CMD...    starts N runs, then waits for a byte (or end of file) on stdin
 *                            and leaves with _exit(0), runs still going
 *   host forked N -- CMD...  starts N runs, then forks a child that holds everything the host
 *                            held (the runs' control sockets) and waits for SIGKILL; writes
 *                            "forked PID" on stdout and runs the loop
 *   host run -- CMD...       pgsup_run(CMD), then exits with CMD's status (128+N: signal N);
 *                            the test gives the host its context (tests/helpers/cleanctx)
 *
 * None of the first four returns by itself while CMD runs: the test kills the host (or, for
 * `exit`, writes to its stdin) once the trees stand, and then checks that nothing of them
 * survives. Exit status 2: usage error; 1: a run could not be started (run: 100). */
#include <ev.h>
#include <pgsup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_exit_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    (void) p;
    (void) r;
    (void) userdata;
    /* The trees only end when the host is killed: a callback means the test is broken. */
    fputs("host: a run ended while the host lived\n", stderr);
}

static int start_runs(struct ev_loop *loop, long n, const char *const *argv)
{
    for (long i = 0; i < n; i++) {
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        pgsup_proc *p;
        int err;

        cmd.argv = argv;
        err = pgsup_start(loop, &cmd, on_exit_cb, NULL, &p);
        if (err < 0) {
            fprintf(stderr, "host: cannot start '%s': %s\n", argv[0], pgsup_strerror(err));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int cmd_at = 0;
    long n = 1;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            cmd_at = i + 1;
            break;
        }
    if (argc < 2 || cmd_at == 0 || cmd_at >= argc)
        goto usage;
    if (strcmp(argv[1], "async") == 0 || strcmp(argv[1], "exit") == 0 ||
        strcmp(argv[1], "forked") == 0) {
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        ssize_t k;
        char byte;

        if (cmd_at != 4 || (n = atol(argv[2])) < 1)
            goto usage;
        if (!loop || start_runs(loop, n, (const char *const *) argv + cmd_at) < 0)
            return 1;
        if (strcmp(argv[1], "forked") == 0) {
            pid_t child = fork();
            if (child < 0)
                return 1;
            if (child == 0) {
                /* The parent's copy of every fd, the control sockets included, and nothing
                 * to do: the test SIGKILLs it once it has seen the trees die. */
                for (;;)
                    pause();
            }
            printf("forked %d\n", (int) child);
            fflush(stdout);
        }
        if (strcmp(argv[1], "async") == 0 || strcmp(argv[1], "forked") == 0) {
            ev_run(loop, 0);
            return 0;
        }
        k = read(STDIN_FILENO, &byte, 1);
        (void) k; /* a byte, end of file or an error: any outcome means "go" */
        /* Leave as a crashing program would: no callback, nothing freed (_exit: no leak
         * report either), only the kernel closes the fds. */
        _exit(0);
    }
    if (strcmp(argv[1], "sync") == 0 && cmd_at == 3) {
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        pgsup_result r;
        int err;

        cmd.argv = (const char *const *) argv + cmd_at;
        err = pgsup_run(&cmd, &r);
        if (err < 0) {
            fprintf(stderr, "host: cannot run '%s': %s\n", argv[cmd_at], pgsup_strerror(err));
            return 1;
        }
        fputs("host: the run ended while the host lived\n", stderr);
        pgsup_result_free(&r);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0 && cmd_at == 3) {
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        pgsup_result r;
        int err, status;

        cmd.argv = (const char *const *) argv + cmd_at;
        cmd.timeout_s = 60; /* a bound: the runs here end by themselves at once */
        err = pgsup_run(&cmd, &r);
        if (err < 0) {
            fprintf(stderr, "host: cannot run '%s': %s\n", argv[cmd_at], pgsup_strerror(err));
            return 100;
        }
        status = r.term_signal > 0 ? 128 + r.term_signal : r.exit_code;
        pgsup_result_free(&r);
        return status;
    }
usage:
    fputs("usage: host async|exit|forked N -- CMD... | host sync|run -- CMD...\n", stderr);
    return 2;
}
