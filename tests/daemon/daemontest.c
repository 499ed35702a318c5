/* daemontest.c: the driver and the /proc checks of the daemon's integration tests.
 *
 *   daemontest run [--limit S] -- SCRIPT [ARG]...
 *       Runs a test script with a marker in its environment (PGSUP_TEST_MARK=<pid>-<random>),
 *       which the daemon it starts and every process of every job inherit. daemontest is a
 *       child subreaper: whatever loses its parent (the daemon SIGKILLed on purpose, a tree
 *       orphaned when its supervisors were killed) comes here, is reaped here, and is seen by
 *       the final check. When the script has exited: no live process may carry the marker and
 *       no child may be left (after up to 30 s for trees that the dead-man guarantee is still
 *       killing). Survivors are listed, SIGKILLed by pidfd and reaped; the test fails.
 *       Exit status: the script's if it failed, 1 if something survived, else 0.
 *
 *   daemontest absent [--within S] VAR=VALUE
 *       Succeeds once no live process has the entry VAR=VALUE in its environment (tests give
 *       each job's tree its own entry with environment=); polls /proc for up to S seconds
 *       (default 0: now). On failure, lists the processes. Run from a test script, it counts
 *       only processes that also carry the test's marker (tests may run in parallel), and so
 *       do count and pids.
 *
 *   daemontest count VAR=VALUE       prints how many live processes have the entry
 *   daemontest pids VAR=VALUE        prints their pids, one per line
 *
 *   daemontest zombies [--within S] PID
 *       Succeeds once no zombie is a child of PID or of any live descendant of PID (a
 *       supervisor must reap); polls like absent.
 *
 * Nothing is killed by name: only by pid through a pidfd, after checking the marker. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procscan.h"

#define MARK_VAR "PGSUP_TEST_MARK"
#define POLL_S 0.02
#define SETTLE_S 30.0
#define CLEANUP_LIMIT_S 2.0 /* the test has failed already: the cleanup is brief */
#define DEFAULT_LIMIT_S 600.0

extern char **environ;

static char scope[128]; /* the test's own marker, for the checks run from its script */

/* Live processes with entry (and, from a test script, the test's marker too: two tests running
 * at once may use the same VAR=VALUE), daemontest excluded; and daemontest's children. */
static int scan(struct procscan_snap *s, const char *entry)
{
    return procscan_snap_take(s, getpid(), entry, scope[0] ? scope : NULL);
}

static void print_process(const char *what, const struct procscan_proc *e)
{
    char cmd[256];

    procscan_cmdline(e->pid, cmd, sizeof(cmd));
    fprintf(stderr, "daemontest:   pid %d (state %c, ppid %d): %s: %s\n", (int) e->pid,
            e->state, (int) e->ppid, what, cmd);
}

static double parse_within(int *argc, char ***argv)
{
    double s = 0;

    if (*argc >= 2 && strcmp((*argv)[0], "--within") == 0) {
        s = atof((*argv)[1]);
        *argc -= 2;
        *argv += 2;
    }
    return s;
}

static int cmd_absent(int argc, char **argv)
{
    double limit = procscan_now_s() + parse_within(&argc, &argv);
    struct procscan_snap s = {0};
    bool ok = false;
    int r;

    if (argc != 1 || !strchr(argv[0], '=')) {
        fprintf(stderr, "usage: daemontest absent [--within S] VAR=VALUE\n");
        return 2;
    }
    while ((r = scan(&s, argv[0])) == 0) {
        if (s.marked.len == 0) {
            ok = true;
            break;
        }
        if (procscan_now_s() > limit) {
            fprintf(stderr, "daemontest: FAIL: processes with %s are still alive:\n", argv[0]);
            for (size_t i = 0; i < s.marked.len; i++)
                print_process("alive", &s.marked.v[i]);
            break;
        }
        procscan_pause(POLL_S);
    }
    if (r < 0)
        fprintf(stderr, "daemontest: FAIL: cannot read /proc: %s\n", strerror(-r));
    procscan_snap_free(&s);
    return ok ? 0 : 1;
}

static int cmd_count(int argc, char **argv, bool pids)
{
    struct procscan_snap s = {0};

    if (argc != 1 || !strchr(argv[0], '=')) {
        fprintf(stderr, "usage: daemontest count|pids VAR=VALUE\n");
        return 2;
    }
    if (scan(&s, argv[0]) < 0) {
        procscan_snap_free(&s);
        return 1;
    }
    for (size_t i = 0; pids && i < s.marked.len; i++)
        printf("%d\n", (int) s.marked.v[i].pid);
    if (!pids)
        printf("%zu\n", s.marked.len);
    procscan_snap_free(&s);
    return 0;
}

static bool under(const struct procscan_list *t, pid_t pid, pid_t root)
{
    for (int depth = 0; pid > 1 && depth < 100000; depth++) {
        if (pid == root)
            return true;
        size_t i = 0;
        while (i < t->len && t->v[i].pid != pid)
            i++;
        if (i == t->len)
            return false;
        pid = t->v[i].ppid;
    }
    return false;
}

static int cmd_zombies(int argc, char **argv)
{
    double limit = procscan_now_s() + parse_within(&argc, &argv);
    struct procscan_list t = {0};
    bool ok = false;
    pid_t root;

    if (argc != 1 || (root = atoi(argv[0])) <= 0) {
        fprintf(stderr, "usage: daemontest zombies [--within S] PID\n");
        return 2;
    }
    while (procscan_list_all(&t) == 0) {
        size_t n = 0;
        for (size_t i = 0; i < t.len; i++)
            if (!procscan_alive(&t.v[i]) && under(&t, t.v[i].ppid, root))
                n++;
        if (n == 0) {
            ok = true;
            break;
        }
        if (procscan_now_s() > limit) {
            fprintf(stderr, "daemontest: FAIL: %zu zombie(s) under %d:\n", n, (int) root);
            for (size_t i = 0; i < t.len; i++)
                if (!procscan_alive(&t.v[i]) && under(&t, t.v[i].ppid, root))
                    print_process("zombie", &t.v[i]);
            break;
        }
        procscan_pause(POLL_S);
    }
    procscan_list_free(&t);
    return ok ? 0 : 1;
}

/* --- run ------------------------------------------------------------------------------- */

static char mark[96];

static int cmd_run(int argc, char **argv)
{
    double limit_s = DEFAULT_LIMIT_S, deadline;
    struct procscan_snap s = {0};
    unsigned long long rnd = 0;
    char **envp;
    size_t n = 0;
    int status = 0;
    bool ok = true;
    pid_t self = getpid(), script;
    int r;

    if (argc >= 2 && strcmp(argv[0], "--limit") == 0) {
        limit_s = atof(argv[1]);
        argc -= 2;
        argv += 2;
    }
    if (argc >= 1 && strcmp(argv[0], "--") == 0) {
        argc--;
        argv++;
    }
    if (argc < 1) {
        fprintf(stderr, "usage: daemontest run [--limit S] -- SCRIPT [ARG]...\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        fprintf(stderr, "daemontest: cannot become a subreaper: %s\n", strerror(errno));
        return 1;
    }
    (void) getrandom(&rnd, sizeof(rnd), 0);
    snprintf(mark, sizeof(mark), "%s=%d-%016llx", MARK_VAR, (int) getpid(), rnd);
    while (environ[n])
        n++;
    envp = calloc(n + 2, sizeof(*envp));
    if (!envp)
        return 1;
    for (size_t i = 0, k = 0; i < n; i++)
        if (strncmp(environ[i], MARK_VAR "=", strlen(MARK_VAR) + 1) != 0)
            envp[k++] = environ[i];
    for (n = 0; envp[n]; n++)
        ;
    envp[n] = mark;
    fprintf(stderr, "daemontest: %s\n", mark);
    r = posix_spawn(&script, argv[0], NULL, NULL, argv, envp);
    free(envp);
    if (r != 0) {
        fprintf(stderr, "daemontest: cannot run '%s': %s\n", argv[0], strerror(r));
        return 1;
    }
    /* Reap whatever comes to us while the script runs; it ends the wait. */
    deadline = procscan_now_s() + limit_s;
    while (!procscan_reap(script, &status)) {
        if (procscan_now_s() > deadline) {
            fprintf(stderr, "daemontest: FAIL: the script ran for more than %.0f s\n", limit_s);
            (void) kill(script, SIGKILL); /* our unreaped child: the pid is surely it */
            (void) waitpid(script, &status, 0);
            ok = false;
            break;
        }
        procscan_pause(POLL_S);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        fprintf(stderr, "daemontest: FAIL: the script exited %d\n", WEXITSTATUS(status));
        ok = false;
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "daemontest: FAIL: the script died of signal %d\n", WTERMSIG(status));
        ok = false;
    }
    /* The check: nothing marked alive, no child of ours. */
    deadline = procscan_now_s() + SETTLE_S;
    for (;;) {
        /* Orphans adopted here exit in their own time: reaping them is part of settling. */
        (void) procscan_reap(0, NULL);
        r = scan(&s, mark);
        if (r == 0 && s.marked.len == 0 && s.children.len == 0)
            break;
        if (procscan_now_s() > deadline) {
            if (r < 0)
                fprintf(stderr, "daemontest: FAIL: cannot read /proc: %s\n", strerror(-r));
            else
                fprintf(stderr, "daemontest: FAIL: %zu process(es) survived, %zu child(ren) "
                        "left:\n", s.marked.len, s.children.len);
            for (size_t i = 0; i < s.marked.len; i++)
                print_process("alive", &s.marked.v[i]);
            for (size_t i = 0; i < s.children.len; i++)
                print_process("child of the test", &s.children.v[i]);
            /* Every child is killed too, marked or not: the script and all it started are
             * the test's, and none of them may outlive it. */
            (void) procscan_cleanup(&s, self, mark, CLEANUP_LIMIT_S, POLL_S, true);
            ok = false;
            break;
        }
        procscan_pause(POLL_S);
    }
    procscan_snap_free(&s);
    if (ok)
        printf("ok: the script passed; no process of any tree is left, no zombie\n");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *m = getenv(MARK_VAR);

    if (m && (argc < 2 || strcmp(argv[1], "run") != 0))
        snprintf(scope, sizeof(scope), "%s=%s", MARK_VAR, m);
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "absent") == 0)
        return cmd_absent(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "count") == 0)
        return cmd_count(argc - 2, argv + 2, false);
    if (argc >= 2 && strcmp(argv[1], "pids") == 0)
        return cmd_count(argc - 2, argv + 2, true);
    if (argc >= 2 && strcmp(argv[1], "zombies") == 0)
        return cmd_zombies(argc - 2, argv + 2);
    fprintf(stderr, "usage: daemontest run|absent|count|pids|zombies ...\n");
    return 2;
}
