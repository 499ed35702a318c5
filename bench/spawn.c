/* spawn.c: bench-spawn [-n ROUNDS] [-w WARMUP] [-m LARGE_MIB] [-s SMALL_MIB] — libpgsup's
 * spawn cost does not grow with the memory of the process that calls it.
 *
 * This process forks two hosts before it touches any memory of its own: a small one, which
 * mallocs and touches SMALL_MIB (10), and a large one, which touches LARGE_MIB (3072): every
 * page is written (prefaulted with MADV_POPULATE_WRITE, then memset), in 4 KiB pages
 * (MADV_NOHUGEPAGE: what a heap of small objects gets, and the worst case for fork, which
 * copies one page-table entry per page). Both report their RSS, and their swap at the end.
 * On request a host runs /bin/true one of three ways and answers with the wall time of the
 * whole call (CLOCK_MONOTONIC, in the host):
 *   pgsup_run():               libpgsup, synchronous (it starts `pgsup run` with posix_spawn);
 *   fork + execvp + waitpid:   what a program would otherwise write;
 *   posix_spawn + waitpid:     the floor (glibc: clone(CLONE_VM | CLONE_VFORK), no copy).
 * A round asks each host once for each method, the methods in an order rotated every round and
 * the hosts in an order alternated every round. One request is in flight at a time, so both
 * hosts are measured under the same conditions, and the two samples of a method in a round
 * form a pair for the bootstrap interval of the ratio large / small.
 *
 * The library finds the `pgsup` binary through $PGSUP_BIN (bench/run sets it). The hosts share
 * a process group, which the abort path kills; they also die with this process
 * (PR_SET_PDEATHSIG) and leave when their socket closes. A run that left a child is a failure. */
#include <errno.h>
#include <getopt.h>
#include <pgsup.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "stats.h"

extern char **environ;

enum { PGSUP, FORK, POSIX_SPAWN, METHODS };
enum { SMALL, LARGE, HOSTS };

#define QUIT 'q'
#define ROUND_LIMIT_S 60   /* watchdog per round: a 3 GiB fork takes ~50 ms */
#define SETUP_LIMIT_S 600  /* watchdog while the hosts touch their memory */
#define MEM_SPARE_MIB 1024 /* left available to the other users of the machine */

static const char *const method_name[METHODS] = {
    [PGSUP] = "pgsup_run()",
    [FORK] = "fork+execvp+waitpid",
    [POSIX_SPAWN] = "posix_spawn+waitpid",
};

/* The README table's words for each method. */
static const char *const row_name[METHODS] = {
    [PGSUP] = "`pgsup_run()`",
    [FORK] = "fork + execvp + waitpid",
    [POSIX_SPAWN] = "posix_spawn + waitpid",
};
static const char *const row_target[METHODS] = {
    [PGSUP] = "<= 1.2x",
    [FORK] = "info (grows with memory)",
    [POSIX_SPAWN] = "info (floor)",
};

static const char *const true_argv[] = {"/bin/true", NULL};

/* A host's answer: to the start (ready), to each request, and to QUIT. */
struct reply {
    int err;        /* 0, or -errno / -PGSUP_E...: the host has printed why */
    double value_s; /* a request: the time; ready: the time it took to touch its memory */
    long rss_kib, swap_kib;
};

struct host {
    pid_t pid;
    int fd; /* our end of its SOCK_SEQPACKET socket, -1 when closed */
    long mib;
    struct reply ready, last;
};

/* ---- in a host ---------------------------------------------------------------------------- */

/* VmRSS and VmSwap of this process, in KiB; -1 when unknown. */
static void host_memory(long *ret_rss_kib, long *ret_swap_kib)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];

    *ret_rss_kib = *ret_swap_kib = -1;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        (void) sscanf(line, "VmRSS: %ld", ret_rss_kib);   /* other lines: no match */
        (void) sscanf(line, "VmSwap: %ld", ret_swap_kib); /* other lines: no match */
    }
    fclose(f);
}

static int wait_true(pid_t pid)
{
    int status;
    pid_t r = launch_wait(pid, &status);

    if (r < 0)
        return r;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int run_pgsup(void)
{
    pgsup_cmd cmd = PGSUP_CMD_INIT;
    pgsup_result res;
    int r;

    cmd.argv = true_argv;
    r = pgsup_run(&cmd, &res);
    if (r < 0)
        return r;
    r = res.exit_code == 0 ? 0 : -ECHILD;
    pgsup_result_free(&res);
    return r;
}

static int run_fork(void)
{
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        /* child, before exec: argv[0] has a slash, so execvp is a bare execve (no PATH
         * search, no allocation), and the host is single-threaded anyway. */
        execvp(true_argv[0], (char *const *) true_argv);
        _exit(127);
    }
    return wait_true(pid);
}

static int run_posix_spawn(void)
{
    pid_t pid;
    int r = posix_spawn(&pid, true_argv[0], NULL, NULL, (char *const *) true_argv, environ);

    if (r)
        return -r;
    return wait_true(pid);
}

static int host_send(int fd, const struct reply *rep)
{
    return send(fd, rep, sizeof(*rep), MSG_NOSIGNAL) == (ssize_t) sizeof(*rep) ? 0 : -errno;
}

/* Runs in the forked host until QUIT or until the socket closes; never returns. */
static _Noreturn void host_main(int fd, long mib, pid_t coordinator)
{
    size_t len = (size_t) mib << 20, page = (size_t) sysconf(_SC_PAGESIZE);
    struct reply rep = {0};
    char *block, *aligned;
    unsigned char req;
    double t0;

    /* Die with the coordinator; checked after the prctl, which a death before it would miss. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != coordinator)
        _exit(1);
    t0 = launch_now_s();
    block = malloc(len);
    if (!block) {
        fprintf(stderr, "bench-spawn: host of %ld MiB: out of memory\n", mib);
        rep.err = -ENOMEM;
        (void) host_send(fd, &rep); /* the coordinator sees the error or the EOF */
        _exit(1);
    }
    /* glibc serves this from its own mmap, page-aligned but for its header. */
    aligned = (char *) (((uintptr_t) block + page - 1) & ~(uintptr_t) (page - 1));
    if (len > 2 * page) {
        size_t aligned_len = (len - (size_t) (aligned - block)) & ~(page - 1);
        (void) madvise(aligned, aligned_len,
                       MADV_NOHUGEPAGE); /* EINVAL without THP in the kernel: 4 KiB anyway */
#ifdef MADV_POPULATE_WRITE
        /* Linux 5.14+; EINVAL before: the memset faults the pages in one by one. On the
         * project's VM that took 15-20 s for 3 GiB; populating in one call about halves it. */
        (void) madvise(aligned, aligned_len, MADV_POPULATE_WRITE);
#endif
    }
    memset(block, 0x5a, len); /* every page written: private, resident, not the zero page */
    rep.value_s = launch_now_s() - t0;
    host_memory(&rep.rss_kib, &rep.swap_kib);
    if (host_send(fd, &rep) < 0)
        _exit(1);

    for (;;) {
        ssize_t n = recv(fd, &req, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || req == QUIT || req >= METHODS)
            break;
        rep = (struct reply){0};
        t0 = launch_now_s();
        rep.err = req == PGSUP ? run_pgsup() : req == FORK ? run_fork() : run_posix_spawn();
        rep.value_s = launch_now_s() - t0;
        if (rep.err < 0)
            fprintf(stderr, "bench-spawn: host of %ld MiB: %s of /bin/true failed: %s\n", mib,
                    method_name[req],
                    rep.err == -ECHILD ? "did not exit 0" : pgsup_strerror(rep.err));
        if (host_send(fd, &rep) < 0 || rep.err < 0)
            break;
    }
    /* Still touched: the final report shows that the block stayed resident (no swap). */
    host_memory(&rep.rss_kib, &rep.swap_kib);
    free(block);
    (void) host_send(fd, &rep); /* after QUIT only: nobody reads it otherwise */
    _exit(rep.err < 0 ? 1 : 0);
}

/* ---- in the coordinator ------------------------------------------------------------------- */

static long mem_available_mib(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    long kib = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib < 0 ? -1 : kib >> 10;
}

/* Forks a host of mib MiB into group pgid (0: a new group of its own). */
static int host_start(struct host *h, long mib, pid_t pgid, const struct host *other)
{
    pid_t coordinator = getpid();
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    fflush(stdout); /* nothing buffered is to be copied into the host */
    h->mib = mib;
    h->pid = fork();
    if (h->pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -errno;
    }
    if (h->pid == 0) {
        close(sv[0]);
        /* The other host's socket must close when the coordinator dies, not live on here. */
        if (other && other->fd >= 0)
            close(other->fd);
        (void) setpgid(0, pgid); /* the parent does the same: whoever runs first wins */
        host_main(sv[1], mib, coordinator);
    }
    close(sv[1]);
    h->fd = sv[0];
    /* EACCES: the host is quicker and already in the group; ESRCH/EPERM: it died, which the
     * ready message will tell. */
    (void) setpgid(h->pid, pgid ? pgid : h->pid);
    return 0;
}

static void host_recv(struct host *h, struct reply *ret)
{
    ssize_t n;

    do
        n = recv(h->fd, ret, sizeof(*ret), 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t) sizeof(*ret)) {
        fprintf(stderr, "bench-spawn: the host of %ld MiB died\n", h->mib);
        launch_abort("a host died");
    }
    if (ret->err < 0)
        launch_abort("a host failed");
}

static double host_request(struct host *h, unsigned char req)
{
    struct reply rep;

    if (send(h->fd, &req, 1, MSG_NOSIGNAL) != 1) {
        fprintf(stderr, "bench-spawn: the host of %ld MiB died\n", h->mib);
        launch_abort("a host died");
    }
    host_recv(h, &rep);
    return rep.value_s;
}

static void host_stop(struct host *h)
{
    unsigned char req = QUIT;
    int status;

    if (send(h->fd, &req, 1, MSG_NOSIGNAL) != 1)
        launch_abort("a host died");
    host_recv(h, &h->last);
    if (launch_wait(h->pid, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        launch_abort("a host failed at exit");
    close(h->fd);
    h->fd = -1;
}

/* "3 GiB" or "10 MiB". */
static const char *size_name(long mib, char buf[32])
{
    if (mib >= 1024 && mib % 1024 == 0)
        snprintf(buf, 32, "%ld GiB", mib / 1024);
    else
        snprintf(buf, 32, "%ld MiB", mib);
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-spawn [-n ROUNDS] [-w WARMUP] [-m LARGE_MIB] [-s SMALL_MIB]\n"
                    "  (the pgsup binary is taken from $PGSUP_BIN)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long rounds = 200, warmup = 20, mib[HOSTS] = {[SMALL] = 10, [LARGE] = 3072}, avail;
    struct host host[HOSTS] = {{.fd = -1}, {.fd = -1}};
    struct stats_summary s[METHODS][HOSTS];
    double *t[METHODS][HOSTS], ratio[METHODS], lo[METHODS], hi[METHODS];
    char small_name[32], large_name[32];
    int c, r;

    while ((c = getopt(argc, argv, "n:w:m:s:")) != -1) {
        switch (c) {
        case 'n':
            rounds = strtol(optarg, NULL, 10);
            break;
        case 'w':
            warmup = strtol(optarg, NULL, 10);
            break;
        case 'm':
            mib[LARGE] = strtol(optarg, NULL, 10);
            break;
        case 's':
            mib[SMALL] = strtol(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    if (optind != argc || rounds < 2 || warmup < 0 || mib[SMALL] < 1 || mib[LARGE] <= mib[SMALL])
        usage();
    if (!getenv("PGSUP_BIN"))
        fprintf(stderr, "bench-spawn: PGSUP_BIN is not set; libpgsup will look for pgsup where "
                        "it is installed\n");
    /* Other people use this machine: do not push it into reclaim or the OOM killer. */
    avail = mem_available_mib();
    if (avail >= 0 && avail < mib[LARGE] + mib[SMALL] + MEM_SPARE_MIB) {
        fprintf(stderr,
                "bench-spawn: %ld MiB available, the hosts need %ld MiB and %ld are kept "
                "spare; lower it with -m (BENCH_SPAWN_MIB)\n",
                avail, mib[LARGE] + mib[SMALL], (long) MEM_SPARE_MIB);
        return 1;
    }
    for (int m = 0; m < METHODS; m++)
        for (int h = 0; h < HOSTS; h++) {
            t[m][h] = calloc((size_t) rounds, sizeof(double));
            if (!t[m][h]) {
                fprintf(stderr, "bench-spawn: out of memory\n");
                return 1;
            }
        }

    /* Forked while this process is small; the abort path is installed after, in the
     * coordinator only (the hosts keep the default dispositions and die with it). */
    r = host_start(&host[SMALL], mib[SMALL], 0, NULL);
    if (r >= 0)
        r = host_start(&host[LARGE], mib[LARGE], host[SMALL].pid, &host[SMALL]);
    if (r >= 0) {
        launch_victims.pgid = host[SMALL].pid;
        r = launch_init();
    }
    if (r < 0) {
        fprintf(stderr, "bench-spawn: cannot start the hosts: %s\n", strerror(-r));
        launch_abort("cannot set up");
    }
    launch_watchdog(SETUP_LIMIT_S);
    for (int h = 0; h < HOSTS; h++)
        host_recv(&host[h], &host[h].ready);

    for (long i = -warmup; i < rounds; i++) {
        launch_watchdog(ROUND_LIMIT_S);
        for (int k = 0; k < METHODS; k++) {
            int m = (int) (((i % METHODS) + METHODS + k) % METHODS);
            for (int j = 0; j < HOSTS; j++) {
                int h = (int) ((i & 1) ^ j); /* small first in even rounds, large in odd */
                double d = host_request(&host[h], (unsigned char) m);
                if (i >= 0)
                    t[m][h][i] = d;
            }
        }
    }
    launch_watchdog(SETUP_LIMIT_S);
    for (int h = 0; h < HOSTS; h++)
        host_stop(&host[h]);
    launch_watchdog(0);
    launch_victims.pgid = 0;
    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
        launch_abort("a child is left after the run");

    for (int m = 0; m < METHODS; m++) {
        for (int h = 0; h < HOSTS; h++)
            stats_summarize(t[m][h], (size_t) rounds, &s[m][h]);
        ratio[m] = s[m][LARGE].median / s[m][SMALL].median;
        if (stats_ratio_interval(t[m][LARGE], t[m][SMALL], (size_t) rounds, &lo[m], &hi[m]) < 0)
            launch_abort("out of memory");
    }
    size_name(mib[SMALL], small_name);
    size_name(mib[LARGE], large_name);

    printf("spawn vs host memory: /bin/true from a host that touched %s and one that touched "
           "%s (4 KiB pages); wall time of spawn + wait in the host; %ld interleaved rounds "
           "after %ld warm-up\n",
           small_name, large_name, rounds, warmup);
    for (int h = 0; h < HOSTS; h++)
        printf("  host of %-7s: touched in %.2f s; RSS %.0f MiB at start, %.0f MiB at end, "
               "swap %ld KiB\n",
               h == SMALL ? small_name : large_name, host[h].ready.value_s,
               (double) host[h].ready.rss_kib / 1024, (double) host[h].last.rss_kib / 1024,
               host[h].last.swap_kib);
    printf("  %-22s %27s   %27s   %s\n", "", small_name, large_name, "ratio of medians");
    printf("  %-22s %8s %9s %8s   %8s %9s %8s   %s\n", "(ms)", "p10", "median", "p90", "p10",
           "median", "p90", "large / small (95% interval)");
    for (int m = 0; m < METHODS; m++)
        printf("  %-22s %8.3f %9.3f %8.3f   %8.3f %9.3f %8.3f   %6.2fx (%.2f-%.2f)\n",
               method_name[m], s[m][SMALL].p10 * 1e3, s[m][SMALL].median * 1e3,
               s[m][SMALL].p90 * 1e3, s[m][LARGE].p10 * 1e3, s[m][LARGE].median * 1e3,
               s[m][LARGE].p90 * 1e3, ratio[m], lo[m], hi[m]);
    printf("  pgsup_run() %s / %s: target <= 1.2x: %s\n", large_name, small_name,
           stats_verdict(lo[PGSUP], hi[PGSUP], 1.2));
    printf("  pgsup_run() above the posix_spawn floor: +%.3f ms (%s), +%.3f ms (%s)\n",
           (s[PGSUP][SMALL].median - s[POSIX_SPAWN][SMALL].median) * 1e3, small_name,
           (s[PGSUP][LARGE].median - s[POSIX_SPAWN][LARGE].median) * 1e3, large_name);
    printf("  both hosts exited 0 and freed their memory; no child left\n");
    for (int m = 0; m < METHODS; m++)
        printf("row: | spawn `/bin/true` with %s from a %s host vs a %s one | %.2f ms (%s) | "
               "%.2f ms (%s) | %.2fx | %s |\n",
               row_name[m], large_name, small_name, s[m][LARGE].median * 1e3, large_name,
               s[m][SMALL].median * 1e3, small_name, ratio[m], row_target[m]);
    for (int m = 0; m < METHODS; m++)
        for (int h = 0; h < HOSTS; h++)
            free(t[m][h]);
    return 0;
}
