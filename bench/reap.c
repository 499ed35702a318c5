/* reap.c: bench-reap PGSUP TREE [-s KILL|TERM] [-r ROUNDS] [-w WARMUP] [-m MEMBERS]
 * [-q SETTLE_MS] [-b BYSTANDERS] — time from the deadline to an empty tree.
 *
 * The tree is TREE (bench-tree) and its MEMBERS `sleep` children. Two ways to end it,
 * alternated round by round in this one process (which is a child subreaper throughout):
 *   pgsup: `pgsup run --signal SIG -- TREE MEMBERS`; t0 = SIGALRM sent to pgsup (the deadline
 *          fires at once), end = pgsup exited and reaped, which it does only once every member
 *          is gone;
 *   bare:  TREE started here in a new process group; t0 = kill(-pgid, SIG), end = waitpid(-pgid)
 *          reports that no child of that group is left (as a subreaper this process inherits
 *          every orphaned member, so no member is left either).
 * Before t0 every member exists and sleeps (checked in /proc); after each round /proc must
 * show nothing of the tree's group and this process no child but the bystanders.
 *
 * BYSTANDERS (default 0) idle `sleep` processes, started once in a group of their own and
 * outside every tree, stand for a busy host: pgsup reads /proc/PID/stat of every process on
 * the system when it sweeps, so its time depends on them; the bare way's does not. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "members.h"
#include "stats.h"

enum { PGSUP, BARE, WAYS };

struct config {
    const char *pgsup, *tree;
    const char *sig_name;
    int sig;
    long rounds, warmup, members, settle_ms, bystanders;
};

struct tree {
    pid_t pid;  /* what we started: the pgsup guard, or the tree root */
    pid_t pgid; /* the tree's group: the pgsup engine's pid, or the root's */
};

static int pgsup_status = -1;
static pid_t bystanders_pgid; /* 0: none */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Reads the tree's "PGID\n" line, waiting at most 20 s. */
static pid_t read_pgid(int fd)
{
    char buf[32];
    size_t len = 0;
    double end = launch_now_s() + 20;

    while (len < sizeof(buf) - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left_ms = (int) ((end - launch_now_s()) * 1000);
        ssize_t n;
        if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0)
            return -ETIMEDOUT;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return -EPIPE; /* the tree failed before reporting */
        len += (size_t) n;
        if (memchr(buf, '\n', len))
            break;
    }
    buf[len] = '\0';
    return (pid_t) strtol(buf, NULL, 10);
}

static void start_tree(const struct config *cfg, int way, long n_members, struct tree *ret)
{
    char members[24], report[64];
    int fds[2], r;
    struct members_count c = {0};
    double end;
    pid_t pid, pgid;

    snprintf(members, sizeof(members), "%ld", n_members);
    if (pipe2(fds, O_CLOEXEC) < 0)
        launch_abort("pipe failed");
    /* The report pipe is passed by name: `pgsup run` gives its command fds 0-2 only (issue 9),
     * and both ways must start the tree alike. Our write end stays open until the line came,
     * so that the name stays valid; a tree that fails is caught by read_pgid's limit. */
    snprintf(report, sizeof(report), "/proc/%d/fd/%d", (int) getpid(), fds[1]);
    if (way == PGSUP)
        r = launch_spawn((const char *const[]){cfg->pgsup, "run", "--signal", cfg->sig_name,
                                               "--", cfg->tree, members, report, NULL},
                         false, -1, &pid);
    else
        r = launch_spawn((const char *const[]){cfg->tree, members, report, NULL}, true, -1,
                         &pid);
    if (r < 0) {
        fprintf(stderr, "bench-reap: cannot run '%s': %s\n",
                way == PGSUP ? cfg->pgsup : cfg->tree, strerror(-r));
        launch_abort("spawn failed");
    }
    launch_victims.pid = pid;
    if (way == BARE)
        launch_victims.pgid = pid; /* SETPGROUP happened before exec */
    pgid = read_pgid(fds[0]);
    (void) close(fds[0]);
    (void) close(fds[1]);
    if (pgid <= 0)
        launch_abort("the tree did not report its group");
    if (way == PGSUP)
        launch_victims.engine = pgid; /* pgsup numbers the group by the engine's pid */
    launch_victims.pgid = pgid;
    /* Every member must have exec'd and gone to sleep, so that t0 finds a quiet tree. */
    end = launch_now_s() + 10;
    for (;;) {
        if (members_count_group(pgid, &c) < 0)
            launch_abort("cannot read /proc");
        if (c.total == (unsigned) n_members + 1 && c.sleeping == c.total)
            break;
        if (launch_now_s() > end) {
            fprintf(stderr, "bench-reap: group %d has %u processes, %u asleep; expected %ld\n",
                    (int) pgid, c.total, c.sleeping, n_members + 1);
            launch_abort("the tree did not settle");
        }
        sleep_ms(5); /* a scan of a busy /proc costs ~10 us per process: do not spin on it */
    }
    sleep_ms(cfg->settle_ms);
    *ret = (struct tree){.pid = pid, .pgid = pgid};
}

static double end_with_pgsup(const struct tree *t)
{
    double t0, t1;
    int status;

    t0 = launch_now_s();
    if (kill(t->pid, SIGALRM) < 0)
        launch_abort("cannot signal pgsup");
    if (launch_wait(t->pid, &status) < 0)
        launch_abort("waitpid failed");
    t1 = launch_now_s();
    launch_victims.pid = launch_victims.engine = 0; /* reaped: their pids may be reused */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 125)
        launch_abort("pgsup failed (status 125)");
    pgsup_status = status;
    return t1 - t0;
}

static double end_bare(const struct config *cfg, const struct tree *t)
{
    double t0, t1;

    t0 = launch_now_s();
    if (kill(-t->pgid, cfg->sig) < 0)
        launch_abort("cannot signal the group");
    for (;;) {
        pid_t p = waitpid(-t->pgid, NULL, 0);
        if (p > 0 || (p < 0 && errno == EINTR))
            continue;
        break; /* ECHILD: no child in the group, hence (subreaper) no member left */
    }
    t1 = launch_now_s();
    return t1 - t0;
}

static void check_empty(const struct tree *t)
{
    struct members_count c;
    unsigned zombies = 0, children;

    /* Nothing may be left to reap, not even a zombie. */
    for (;;) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p > 0)
            zombies++;
        else if (!(p < 0 && errno == EINTR))
            break; /* 0: only living children (the bystanders); ECHILD: none */
    }
    if (members_count_group(t->pgid, &c) < 0 ||
        members_count_children(getpid(), bystanders_pgid, &children) < 0)
        launch_abort("cannot read /proc");
    if (c.total || zombies || children) {
        fprintf(stderr, "bench-reap: after the round: %u processes in group %d, %u zombie "
                        "children, %u other children\n",
                c.total, (int) t->pgid, zombies, children);
        /* The group number is safe to kill only while a survivor still holds it. */
        if (!c.total)
            launch_victims.pgid = 0;
        launch_abort("the tree was not empty");
    }
    launch_victims.pgid = 0;
}

static double measure(const struct config *cfg, int way)
{
    struct tree t;
    double d;

    launch_watchdog(60);
    start_tree(cfg, way, cfg->members, &t);
    d = way == PGSUP ? end_with_pgsup(&t) : end_bare(cfg, &t);
    /* pgsup (and its engine) or the bare tree's root are reaped now: their pids may be reused,
     * so from here on only the group may be killed. */
    launch_victims.pid = launch_victims.engine = 0;
    check_empty(&t);
    launch_watchdog(0);
    return d;
}

static const char *describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "died of signal %d (shell: %d)", WTERMSIG(status),
                 128 + WTERMSIG(status));
    else
        snprintf(buf, len, "exited %d", WEXITSTATUS(status));
    return buf;
}

/* The bystanders: a tree of their own that nobody ends until the benchmark is over. */
static void start_bystanders(const struct config *cfg)
{
    struct tree t;

    launch_watchdog(120);
    start_tree(cfg, BARE, cfg->bystanders, &t);
    launch_watchdog(0);
    bystanders_pgid = t.pgid;
    launch_victims.others = t.pgid;
    launch_victims.pid = launch_victims.pgid = 0;
}

static void stop_bystanders(void)
{
    if (!bystanders_pgid)
        return;
    launch_watchdog(60);
    (void) kill(-bystanders_pgid, SIGKILL); /* ESRCH: already gone, which the reap shows */
    for (;;) {
        pid_t p = waitpid(-bystanders_pgid, NULL, 0);
        if (p > 0 || (p < 0 && errno == EINTR))
            continue;
        break; /* ECHILD: all of them reaped */
    }
    launch_watchdog(0);
    launch_victims.others = bystanders_pgid = 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-reap PGSUP TREE [-s KILL|TERM] [-r ROUNDS] [-w WARMUP] "
                    "[-m MEMBERS] [-q SETTLE_MS] [-b BYSTANDERS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct config cfg = {.sig_name = "KILL", .sig = SIGKILL, .rounds = 20, .warmup = 2,
                         .members = 100, .settle_ms = 20};
    struct stats_summary s[WAYS];
    double *t[WAYS], lo, hi, ratio;
    char way_name[WAYS][64], status[64];
    int c, procs;

    while ((c = getopt(argc, argv, "s:r:w:m:q:b:")) != -1) {
        switch (c) {
        case 's':
            if (strcmp(optarg, "KILL") == 0)
                cfg.sig = SIGKILL;
            else if (strcmp(optarg, "TERM") == 0)
                cfg.sig = SIGTERM;
            else
                usage();
            cfg.sig_name = optarg;
            break;
        case 'r':
            cfg.rounds = strtol(optarg, NULL, 10);
            break;
        case 'w':
            cfg.warmup = strtol(optarg, NULL, 10);
            break;
        case 'm':
            cfg.members = strtol(optarg, NULL, 10);
            break;
        case 'q':
            cfg.settle_ms = strtol(optarg, NULL, 10);
            break;
        case 'b':
            cfg.bystanders = strtol(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    if (optind + 2 != argc || cfg.rounds < 2 || cfg.warmup < 0 || cfg.members < 1 ||
        cfg.members > 10000 || cfg.settle_ms < 0 || cfg.bystanders < 0 ||
        cfg.bystanders > 30000)
        usage();
    cfg.pgsup = argv[optind];
    cfg.tree = argv[optind + 1];
    if (launch_init() < 0)
        launch_abort("cannot set up");
    /* Orphans of the bare tree (and of a crashed pgsup) come here, not to init. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        launch_abort("cannot become a subreaper");
    if (launch_reap_all(0) != 0)
        launch_abort("started with children of its own");
    if (cfg.bystanders > 0)
        start_bystanders(&cfg);
    procs = members_count_system();

    for (int w = 0; w < WAYS; w++) {
        t[w] = calloc((size_t) cfg.rounds, sizeof(double));
        if (!t[w])
            launch_abort("out of memory");
    }
    for (long i = -cfg.warmup; i < cfg.rounds; i++) {
        /* Alternate which way goes first, so neither always follows the other. */
        for (int k = 0; k < WAYS; k++) {
            int w = (int) ((i + cfg.warmup + k) % WAYS);
            double d = measure(&cfg, w);
            if (i >= 0)
                t[w][i] = d;
        }
    }
    stop_bystanders();

    snprintf(way_name[PGSUP], sizeof(way_name[PGSUP]), "pgsup run --signal %s", cfg.sig_name);
    snprintf(way_name[BARE], sizeof(way_name[BARE]), "bare kill(-pgid, SIG%s) + reap",
             cfg.sig_name);
    for (int w = 0; w < WAYS; w++)
        stats_summarize(t[w], (size_t) cfg.rounds, &s[w]);
    ratio = s[PGSUP].median / s[BARE].median;
    if (stats_ratio_interval(t[PGSUP], t[BARE], (size_t) cfg.rounds, &lo, &hi) < 0)
        launch_abort("out of memory");

    printf("reap, --signal %s: bench-tree + %ld `sleep` members (%ld processes); %ld "
           "alternating rounds of each after %ld warm-up; %d processes on the system",
           cfg.sig_name, cfg.members, cfg.members + 1, cfg.rounds, cfg.warmup, procs);
    if (cfg.bystanders)
        printf(", %ld of them idle bystanders started for this run", cfg.bystanders + 1);
    printf("\n");
    printf("  t0 = SIGALRM to pgsup / kill(-pgid) here; end = pgsup reaped / last member "
           "reaped\n");
    printf("  %-32s %9s %9s %9s   (ms)\n", "", "p10", "median", "p90");
    for (int w = WAYS - 1; w >= 0; w--)
        printf("  %-32s %9.2f %9.2f %9.2f\n", way_name[w], s[w].p10 * 1e3, s[w].median * 1e3,
               s[w].p90 * 1e3);
    printf("  ratio of medians pgsup / bare: %.3fx (95%% interval %.3f-%.3f)", ratio, lo, hi);
    if (cfg.sig == SIGKILL && !cfg.bystanders)
        printf("; goal <= 1.1x: %s\n", stats_verdict(lo, hi, 1.1));
    else
        printf("; for information\n");
    printf("  per member: pgsup %.3f ms, bare %.3f ms; pgsup above bare: %+.2f ms (median)\n",
           s[PGSUP].median * 1e3 / (double) (cfg.members + 1),
           s[BARE].median * 1e3 / (double) (cfg.members + 1),
           (s[PGSUP].median - s[BARE].median) * 1e3);
    if (cfg.sig == SIGKILL && !cfg.bystanders)
        printf("  absolute: the issue's <= 5 ms is %s the bare floor measured here (%.2f ms)\n",
               s[BARE].median > 0.005 ? "below" : "above", s[BARE].median * 1e3);
    printf("  pgsup's own exit: %s; after all %ld rounds: no process of the tree's group left, "
           "no child left to reap\n",
           describe_status(pgsup_status, status, sizeof(status)), 2 * (cfg.rounds + cfg.warmup));
    printf("row: | deadline to empty tree of %ld, `--signal %s`", cfg.members + 1, cfg.sig_name);
    if (cfg.bystanders)
        printf(", %d processes on the host", procs);
    printf(" vs bare killpg + reap | %.1f ms | %.1f ms | %.2fx (%.2f-%.2f) | %s%s |\n",
           s[PGSUP].median * 1e3, s[BARE].median * 1e3, ratio, lo, hi,
           cfg.sig == SIGKILL && !cfg.bystanders ? "<= 1.1x: " : "info",
           cfg.sig == SIGKILL && !cfg.bystanders ? stats_verdict(lo, hi, 1.1) : "");
    for (int w = 0; w < WAYS; w++)
        free(t[w]);
    return 0;
}
