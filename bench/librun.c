/* librun.c: bench-librun [-n ROUNDS] [-w WARMUP] [-p PYTHON] — what a program pays to run
 * /bin/true and wait for it: libpgsup's pgsup_run() against Python's subprocess.run(["true"])
 * (what a script would use instead) and against posix_spawn + waitpid from C (the floor).
 *
 * pgsup_run() and posix_spawn + waitpid are timed in this process; subprocess.run() in one
 * Python process started once (the interpreter's start-up is not counted), which times each
 * call itself on time.perf_counter() and answers on a pipe. A round runs each method once, in
 * an order rotated every round; one call is in flight at a time, so the methods share the
 * machine's conditions, and the ratios are of medians with a paired bootstrap interval.
 *
 * The library finds the `pgsup` binary through $PGSUP_BIN (bench/run sets it). A run that
 * fails or leaves a child is a failure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pgsup.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "stats.h"

extern char **environ;

enum { PGSUP, PYTHON, POSIX_SPAWN, METHODS };

static const char *const names[METHODS] = {
    [PGSUP] = "pgsup_run()",
    [PYTHON] = "subprocess.run()",
    [POSIX_SPAWN] = "posix_spawn+waitpid",
};

/* The Python side: one line per request, one duration (seconds) per answer. */
static const char python_script[] =
    "import subprocess, sys, time\n"
    "for line in sys.stdin:\n"
    "    t0 = time.perf_counter()\n"
    "    subprocess.run(['true'], check=True)\n"
    "    print(time.perf_counter() - t0, flush=True)\n";

struct python {
    pid_t pid;
    FILE *in, *out;
};

static int python_start(const char *python, struct python *ret)
{
    int to[2], from[2], r;
    posix_spawn_file_actions_t fa;
    const char *argv[] = {python, "-c", python_script, NULL};

    if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 1);
    r = -posix_spawnp(&ret->pid, python, &fa, NULL, (char *const *) argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(to[0]);
    close(from[1]);
    if (r < 0)
        return r;
    ret->in = fdopen(to[1], "w");
    ret->out = fdopen(from[0], "r");
    return ret->in && ret->out ? 0 : -ENOMEM;
}

static double run_python(struct python *py)
{
    double d;

    if (fputs("go\n", py->in) == EOF || fflush(py->in) == EOF ||
        fscanf(py->out, "%lf", &d) != 1)
        launch_abort("the Python side failed");
    return d;
}

static double run_pgsup(void)
{
    const char *argv[] = {"/bin/true", NULL};
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result r;
    double t0 = launch_now_s(), t1;
    int err;

    cmd.argv = argv;
    err = pgsup_run(&cmd, &r);
    t1 = launch_now_s();
    if (err < 0 || r.exit_code != 0) {
        fprintf(stderr, "bench-librun: pgsup_run: %s (exit %d)\n", pgsup_strerror(err),
                err < 0 ? -1 : r.exit_code);
        launch_abort("pgsup_run failed");
    }
    pgsup_result_free(&r);
    return t1 - t0;
}

static double run_posix_spawn(void)
{
    char *const argv[] = {(char *) "/bin/true", NULL};
    double t0 = launch_now_s(), t1;
    pid_t pid;
    int status;

    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0 ||
        launch_wait(pid, &status) != pid || status != 0)
        launch_abort("posix_spawn of /bin/true failed");
    t1 = launch_now_s();
    return t1 - t0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-librun [-n ROUNDS] [-w WARMUP] [-p PYTHON]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long rounds = 400, warmup = 30;
    const char *python = "python3";
    struct stats_summary s[METHODS];
    double *t[METHODS], lo[METHODS], hi[METHODS];
    struct python py;
    int c, status;

    while ((c = getopt(argc, argv, "n:w:p:")) != -1) {
        switch (c) {
        case 'n':
            rounds = strtol(optarg, NULL, 10);
            break;
        case 'w':
            warmup = strtol(optarg, NULL, 10);
            break;
        case 'p':
            python = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || rounds < 2 || warmup < 0)
        usage();
    if (!getenv("PGSUP_BIN"))
        fprintf(stderr, "bench-librun: PGSUP_BIN is not set; libpgsup uses the installed "
                        "pgsup\n");
    if (launch_init() < 0 || python_start(python, &py) < 0)
        launch_abort("cannot set up");
    launch_victims.pid = py.pid;
    for (int m = 0; m < METHODS; m++) {
        t[m] = calloc((size_t) rounds, sizeof(double));
        if (!t[m])
            launch_abort("out of memory");
    }
    for (long i = -warmup; i < rounds; i++) {
        for (int k = 0; k < METHODS; k++) {
            int m = (int) (((i % METHODS) + METHODS + k) % METHODS);
            double d;
            launch_watchdog(30);
            d = m == PGSUP ? run_pgsup() : m == PYTHON ? run_python(&py) : run_posix_spawn();
            if (i >= 0)
                t[m][i] = d;
        }
    }
    launch_watchdog(0);
    fclose(py.in); /* end of input: the Python side exits */
    if (launch_wait(py.pid, &status) != py.pid || status != 0)
        launch_abort("the Python side did not exit 0");
    launch_victims.pid = 0;
    fclose(py.out);
    if (launch_reap_all(1) != 0)
        launch_abort("a run left a child");

    for (int m = 0; m < METHODS; m++) {
        stats_summarize(t[m], (size_t) rounds, &s[m]);
        if (m != PGSUP && stats_ratio_interval(t[PGSUP], t[m], (size_t) rounds, &lo[m], &hi[m]))
            launch_abort("out of memory");
    }
    printf("run /bin/true and wait, from a program: %ld interleaved rounds after %ld warm-up "
           "rounds (Python: %s, timed inside the interpreter)\n",
           rounds, warmup, python);
    printf("  %-22s %9s %9s %9s   (ms)\n", "", "p10", "median", "p90");
    for (int m = 0; m < METHODS; m++)
        printf("  %-22s %9.3f %9.3f %9.3f\n", names[m], s[m].p10 * 1e3, s[m].median * 1e3,
               s[m].p90 * 1e3);
    printf("  pgsup_run() / subprocess.run(): %.3fx (95%% interval %.3f-%.3f); goal <= 1.2x: "
           "%s\n",
           s[PGSUP].median / s[PYTHON].median, lo[PYTHON], hi[PYTHON],
           stats_verdict(lo[PYTHON], hi[PYTHON], 1.2));
    printf("  pgsup_run() / posix_spawn+waitpid: %.3fx (95%% interval %.3f-%.3f), +%.3f ms\n",
           s[PGSUP].median / s[POSIX_SPAWN].median, lo[POSIX_SPAWN], hi[POSIX_SPAWN],
           (s[PGSUP].median - s[POSIX_SPAWN].median) * 1e3);
    printf("row: | `pgsup_run(/bin/true)` vs Python `subprocess.run([\"true\"])` | %.2f ms | "
           "%.2f ms | %.2fx (%.2f-%.2f) | <= 1.2x: %s |\n",
           s[PGSUP].median * 1e3, s[PYTHON].median * 1e3, s[PGSUP].median / s[PYTHON].median,
           lo[PYTHON], hi[PYTHON], stats_verdict(lo[PYTHON], hi[PYTHON], 1.2));
    printf("row: | the same vs posix_spawn + waitpid (the floor) | %.2f ms | %.2f ms | "
           "%.2fx (%.2f-%.2f) | info |\n",
           s[PGSUP].median * 1e3, s[POSIX_SPAWN].median * 1e3,
           s[PGSUP].median / s[POSIX_SPAWN].median, lo[POSIX_SPAWN], hi[POSIX_SPAWN]);
    for (int m = 0; m < METHODS; m++)
        free(t[m]);
    return 0;
}
