/* async.c: the asynchronous API on the host's own libev loop (here the default loop, whose
 * SIGCHLD handling libpgsup does not depend on). Three trees run at once with different
 * deadlines; each callback fires when its whole tree is gone.
 *
 *   cc async.c $(pkg-config --cflags --libs pgsup) -lev -o async */
#include <ev.h>
#include <pgsup.h>
#include <stdio.h>

static void on_exit_cb(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    const char *name = userdata;

    printf("%s (pid %d): %s", name, (int) pgsup_pid(p), r->timed_out ? "deadline hit" : "done");
    if (r->exit_code >= 0)
        printf(", exit %d\n", r->exit_code);
    else
        printf(", signal %d\n", r->term_signal);
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    const char *quick[] = {"true", NULL};
    const char *slow[] = {"sh", "-c", "sleep 60 & sleep 60", NULL};
    const char *slower[] = {"sh", "-c", "setsid sleep 60 & wait", NULL};
    struct {
        const char *name;
        const char *const *argv;
        double timeout_s;
    } jobs[] = {{"quick", quick, 5}, {"slow", slow, 0.3}, {"slower", slower, 0.6}};

    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
        pgsup_cmd cmd = PGSUP_CMD_INIT;
        pgsup_proc *p;
        int err;

        cmd.argv = jobs[i].argv;
        cmd.timeout_s = jobs[i].timeout_s;
        err = pgsup_start(loop, &cmd, on_exit_cb, (void *) jobs[i].name, &p);
        if (err < 0) {
            fprintf(stderr, "async: cannot start %s: %s\n", jobs[i].name, pgsup_strerror(err));
            return 1;
        }
    }
    ev_run(loop, 0); /* returns when no run is left */
    return 0;
}
