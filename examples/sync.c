/* sync.c: the synchronous helper. Runs a shell whose background child would outlive a plain
 * kill, captures its output, and stops the whole tree after half a second.
 *
 *   cc sync.c $(pkg-config --cflags --libs pgsup) -o sync */
#include <pgsup.h>
#include <stdio.h>

int main(void)
{
    const char *argv[] = {"sh", "-c", "echo started; sleep 60 & sleep 60", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result r;
    int err;

    cmd.argv = argv;
    cmd.timeout_s = 0.5;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    err = pgsup_run(&cmd, &r);
    if (err < 0) {
        fprintf(stderr, "sync: cannot run %s: %s\n", argv[0], pgsup_strerror(err));
        return 1;
    }
    printf("stdout: %s", r.out ? r.out : "(nothing)\n");
    printf("timed out: %s, signal: %d, wall: %.2f s\n", r.timed_out ? "yes" : "no",
           r.term_signal, r.wall_s);
    pgsup_result_free(&r);
    return 0;
}
