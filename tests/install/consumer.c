/* consumer.c: a program built against the installed libpgsup, with nothing but what
 * `pkg-config --cflags --libs pgsup` gives (install-pkgconfig.sh). It runs a command through the
 * installed pgsup and checks the result. Exit status 0: all good; 1: a check failed. */
#include <pgsup.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *argv[] = {"sh", "-c", "echo hello; exit 3", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result r;
    int err, ok;

    if (strcmp(pgsup_version(), WANT_VERSION) != 0) {
        fprintf(stderr, "consumer: version %s, expected %s\n", pgsup_version(), WANT_VERSION);
        return 1;
    }
    cmd.argv = argv;
    cmd.flags = PGSUP_CAPTURE_STDOUT;
    cmd.timeout_s = 60;
    err = pgsup_run(&cmd, &r);
    if (err < 0) {
        fprintf(stderr, "consumer: cannot run: %s\n", pgsup_strerror(err));
        return 1;
    }
    ok = r.exit_code == 3 && !r.timed_out && r.out && strcmp(r.out, "hello\n") == 0;
    printf("consumer: libpgsup %s: exit %d, stdout '%s'\n", pgsup_version(), r.exit_code,
           r.out ? r.out : "(null)");
    pgsup_result_free(&r);
    return ok ? 0 : 1;
}
