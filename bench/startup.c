/* startup.c: bench-startup PGSUP [-n RUNS] [-w WARMUP] — start-up overhead of
 * `pgsup run -- true` against `timeout 10 true`, with `/bin/true` alone as the floor.
 *
 * One run = posix_spawn + waitpid from this process, wall time on CLOCK_MONOTONIC. The three
 * variants are interleaved within one process (one run of each per round, the order rotated
 * every round) so that drift of the machine (frequency, other tenants, page cache) hits them
 * alike; the ratio is of medians, with a paired bootstrap interval over the rounds. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "launch.h"
#include "stats.h"

enum { TRUE_ALONE, TIMEOUT, PGSUP, VARIANTS };

static const char *const names[VARIANTS] = {"/bin/true", "timeout 10 true", "pgsup run -- true"};

static double run_once(const char *const *argv)
{
    double t0, t1;
    pid_t pid;
    int r, status;

    t0 = launch_now_s();
    r = launch_spawn(argv, false, -1, &pid);
    if (r < 0) {
        fprintf(stderr, "bench-startup: cannot run '%s': %s\n", argv[0], strerror(-r));
        launch_abort("spawn failed");
    }
    launch_victims.pid = pid;
    if (launch_wait(pid, &status) < 0)
        launch_abort("waitpid failed");
    t1 = launch_now_s();
    launch_victims.pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench-startup: '%s' did not exit 0 (status 0x%x)\n", argv[0],
                (unsigned) status);
        launch_abort("unexpected status");
    }
    return t1 - t0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-startup PGSUP [-n RUNS] [-w WARMUP]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long runs = 300, warmup = 30;
    const char *pgsup;
    double *t[VARIANTS];
    struct stats_summary s[VARIANTS];
    double lo, hi, ratio, over_p, over_t;
    int c;

    while ((c = getopt(argc, argv, "n:w:")) != -1) {
        switch (c) {
        case 'n':
            runs = strtol(optarg, NULL, 10);
            break;
        case 'w':
            warmup = strtol(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    if (optind + 1 != argc || runs < 2 || warmup < 0)
        usage();
    pgsup = argv[optind];
    if (launch_init() < 0)
        launch_abort("cannot set up");

    const char *const *argvs[VARIANTS] = {
        [TRUE_ALONE] = (const char *const[]){"/bin/true", NULL},
        [TIMEOUT] = (const char *const[]){"timeout", "10", "true", NULL},
        [PGSUP] = (const char *const[]){pgsup, "run", "--", "true", NULL},
    };
    for (int v = 0; v < VARIANTS; v++) {
        t[v] = calloc((size_t) runs, sizeof(double));
        if (!t[v])
            launch_abort("out of memory");
    }
    for (long i = -warmup; i < runs; i++) {
        /* One run per variant per round, starting with a different one each round. */
        for (int k = 0; k < VARIANTS; k++) {
            int v = (int) (((i % VARIANTS) + VARIANTS + k) % VARIANTS);
            double d;
            launch_watchdog(30);
            d = run_once(argvs[v]);
            if (i >= 0)
                t[v][i] = d;
        }
    }
    launch_watchdog(0);

    for (int v = 0; v < VARIANTS; v++)
        stats_summarize(t[v], (size_t) runs, &s[v]);
    ratio = s[PGSUP].median / s[TIMEOUT].median;
    if (stats_ratio_interval(t[PGSUP], t[TIMEOUT], (size_t) runs, &lo, &hi) < 0)
        launch_abort("out of memory");
    over_p = s[PGSUP].median - s[TRUE_ALONE].median;
    over_t = s[TIMEOUT].median - s[TRUE_ALONE].median;

    printf("start-up: posix_spawn + waitpid, wall time (CLOCK_MONOTONIC); %ld interleaved runs "
           "of each after %ld warm-up rounds\n",
           runs, warmup);
    printf("  %-20s %9s %9s %9s   (ms)\n", "", "p10", "median", "p90");
    for (int v = 0; v < VARIANTS; v++)
        printf("  %-20s %9.3f %9.3f %9.3f\n", names[v], s[v].p10 * 1e3, s[v].median * 1e3,
               s[v].p90 * 1e3);
    printf("  ratio of medians pgsup / timeout: %.3fx (95%% interval %.3f-%.3f); "
           "goal <= 1.0x: %s\n",
           ratio, lo, hi, stats_verdict(lo, hi, 1.0));
    printf("  above the /bin/true floor: pgsup +%.3f ms, timeout +%.3f ms\n", over_p * 1e3,
           over_t * 1e3);
    printf("row: | start-up, `pgsup run -- true` vs `timeout 10 true` | %.2f ms | %.2f ms | "
           "%.2fx (%.2f-%.2f) | <= 1.0x: %s |\n",
           s[PGSUP].median * 1e3, s[TIMEOUT].median * 1e3, ratio, lo, hi,
           stats_verdict(lo, hi, 1.0));
    for (int v = 0; v < VARIANTS; v++)
        free(t[v]);
    return 0;
}
