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
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_VAR "PGSUP_TEST_MARK"
#define POLL_S 0.02
#define SETTLE_S 30.0
#define DEFAULT_LIMIT_S 600.0

extern char **environ;

struct pinfo {
    pid_t pid, ppid;
    char state;
};

struct table {
    struct pinfo *v;
    size_t len, cap;
};

static double now_s(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void pause_s(double s)
{
    struct timespec t = {.tv_sec = (time_t) s, .tv_nsec = (long) ((s - (double) (time_t) s) * 1e9)};

    (void) nanosleep(&t, NULL); /* EINTR: the caller looks at the clock */
}

static ssize_t read_file(const char *path, char **ret)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || !buf) {
        int r = fd < 0 ? -errno : -ENOMEM;
        free(buf);
        if (fd >= 0)
            (void) close(fd); /* read-only: nothing to lose */
        return r;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            char *b = realloc(buf, (cap *= 2) + 1);
            if (!b)
                break;
            buf = b;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    (void) close(fd); /* read-only: nothing to lose */
    buf[len] = '\0';
    *ret = buf;
    return (ssize_t) len;
}

static int proc_info(pid_t pid, struct pinfo *ret)
{
    char path[64], *text, *p;
    int ppid, r = -EINVAL;
    char state;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    len = read_file(path, &text);
    if (len < 0)
        return (int) len;
    p = strrchr(text, ')');
    if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2) {
        *ret = (struct pinfo){.pid = pid, .ppid = ppid, .state = state};
        r = 0;
    }
    free(text);
    return r;
}

static bool env_holds(const char *env, size_t len, const char *entry)
{
    size_t elen = strlen(entry);

    for (size_t at = 0; at < len;) {
        size_t n = strnlen(env + at, len - at);
        if (n == elen && memcmp(env + at, entry, elen) == 0)
            return true;
        at += n + 1;
    }
    return false;
}

static char scope[128]; /* the test's own marker, for the checks run from its script */

/* True if the process's environment has entry (and, from a test script, the test's marker
 * too: two tests running at once may use the same VAR=VALUE). */
static bool has_entry(pid_t pid, const char *entry)
{
    char path[64], *env;
    bool found;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int) pid);
    len = read_file(path, &env);
    if (len < 0)
        return false;
    found = env_holds(env, (size_t) len, entry) &&
            (!scope[0] || env_holds(env, (size_t) len, scope));
    free(env);
    return found;
}

static int table_scan(struct table *t)
{
    DIR *d = opendir("/proc");
    struct dirent *de;

    t->len = 0;
    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        struct pinfo e;
        if (!isdigit((unsigned char) de->d_name[0]) || proc_info(atoi(de->d_name), &e) < 0)
            continue;
        if (t->len == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 1024;
            struct pinfo *v = realloc(t->v, cap * sizeof(*v));
            if (!v) {
                closedir(d);
                return -ENOMEM;
            }
            t->v = v;
            t->cap = cap;
        }
        t->v[t->len++] = e;
    }
    closedir(d);
    return 0;
}

static void print_process(const char *what, const struct pinfo *e)
{
    char path[64], *cmd;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) e->pid);
    len = read_file(path, &cmd);
    for (ssize_t i = 0; i < len - 1; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    fprintf(stderr, "daemontest:   pid %d (state %c, ppid %d): %s: %s\n", (int) e->pid,
            e->state, (int) e->ppid, what, len > 0 ? cmd : "(no cmdline)");
    if (len >= 0)
        free(cmd);
}

/* Live processes with the entry (not ourselves). */
static size_t marked(struct table *t, const char *entry, bool print)
{
    size_t n = 0;

    if (table_scan(t) < 0)
        return 0;
    for (size_t i = 0; i < t->len; i++) {
        const struct pinfo *e = &t->v[i];
        if (e->pid == getpid() || e->state == 'Z' || e->state == 'X' || !has_entry(e->pid, entry))
            continue;
        n++;
        if (print)
            print_process("alive", e);
    }
    return n;
}

static int pidfd_open_pid(pid_t pid)
{
    long fd = syscall(SYS_pidfd_open, pid, 0);

    return fd < 0 ? -errno : (int) fd;
}

/* SIGKILLs a marked process through a pidfd, after checking (with the pidfd held, so the pid
 * cannot be recycled in between) that it still carries the entry. */
static void kill_marked(pid_t pid, const char *entry)
{
    int fd = pidfd_open_pid(pid);

    if (fd < 0)
        return;
    if (has_entry(pid, entry))
        (void) syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0); /* gone: fine */
    (void) close(fd); /* a pidfd: nothing to lose */
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
    double limit = now_s() + parse_within(&argc, &argv);
    struct table t = {0};

    if (argc != 1 || !strchr(argv[0], '=')) {
        fprintf(stderr, "usage: daemontest absent [--within S] VAR=VALUE\n");
        return 2;
    }
    while (marked(&t, argv[0], false) > 0) {
        if (now_s() > limit) {
            fprintf(stderr, "daemontest: FAIL: processes with %s are still alive:\n", argv[0]);
            (void) marked(&t, argv[0], true);
            free(t.v);
            return 1;
        }
        pause_s(POLL_S);
    }
    free(t.v);
    return 0;
}

static int cmd_count(int argc, char **argv, bool pids)
{
    struct table t = {0};
    size_t n = 0;

    if (argc != 1 || !strchr(argv[0], '=')) {
        fprintf(stderr, "usage: daemontest count|pids VAR=VALUE\n");
        return 2;
    }
    if (table_scan(&t) < 0)
        return 1;
    for (size_t i = 0; i < t.len; i++) {
        const struct pinfo *e = &t.v[i];
        if (e->pid == getpid() || e->state == 'Z' || e->state == 'X' ||
            !has_entry(e->pid, argv[0]))
            continue;
        n++;
        if (pids)
            printf("%d\n", (int) e->pid);
    }
    if (!pids)
        printf("%zu\n", n);
    free(t.v);
    return 0;
}

static bool under(const struct table *t, pid_t pid, pid_t root)
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
    double limit = now_s() + parse_within(&argc, &argv);
    struct table t = {0};
    pid_t root;

    if (argc != 1 || (root = atoi(argv[0])) <= 0) {
        fprintf(stderr, "usage: daemontest zombies [--within S] PID\n");
        return 2;
    }
    for (;;) {
        size_t n = 0;
        if (table_scan(&t) < 0)
            return 1;
        for (size_t i = 0; i < t.len; i++)
            if (t.v[i].state == 'Z' && under(&t, t.v[i].ppid, root))
                n++;
        if (n == 0)
            break;
        if (now_s() > limit) {
            fprintf(stderr, "daemontest: FAIL: %zu zombie(s) under %d:\n", n, (int) root);
            for (size_t i = 0; i < t.len; i++)
                if (t.v[i].state == 'Z' && under(&t, t.v[i].ppid, root))
                    print_process("zombie", &t.v[i]);
            free(t.v);
            return 1;
        }
        pause_s(POLL_S);
    }
    free(t.v);
    return 0;
}

/* --- run ------------------------------------------------------------------------------- */

static char mark[96];

static void reap_all(pid_t script, int *script_status, bool *script_done)
{
    int status;
    pid_t p;

    while ((p = waitpid(-1, &status, WNOHANG)) > 0 || (p < 0 && errno == EINTR)) {
        if (p == script) {
            *script_status = status;
            *script_done = true;
        }
    }
}

static int cmd_run(int argc, char **argv)
{
    double limit_s = DEFAULT_LIMIT_S, deadline;
    struct table t = {0};
    unsigned long long rnd = 0;
    char **envp;
    size_t n = 0;
    int status = 0;
    bool done = false, ok = true;
    pid_t script;
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
    deadline = now_s() + limit_s;
    while (!done) {
        reap_all(script, &status, &done);
        if (done)
            break;
        if (now_s() > deadline) {
            fprintf(stderr, "daemontest: FAIL: the script ran for more than %.0f s\n", limit_s);
            (void) kill(script, SIGKILL); /* our unreaped child: the pid is surely it */
            (void) waitpid(script, &status, 0);
            ok = false;
            break;
        }
        pause_s(POLL_S);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        fprintf(stderr, "daemontest: FAIL: the script exited %d\n", WEXITSTATUS(status));
        ok = false;
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "daemontest: FAIL: the script died of signal %d\n", WTERMSIG(status));
        ok = false;
    }
    /* The check: nothing marked alive, no child of ours. */
    deadline = now_s() + SETTLE_S;
    for (;;) {
        size_t children = 0, alive;
        reap_all(0, &status, &done);
        alive = marked(&t, mark, false);
        for (size_t i = 0; i < t.len; i++)
            children += t.v[i].ppid == getpid();
        if (alive == 0 && children == 0)
            break;
        if (now_s() > deadline) {
            fprintf(stderr, "daemontest: FAIL: %zu process(es) survived, %zu child(ren) left:\n",
                    alive, children);
            (void) marked(&t, mark, true);
            for (size_t i = 0; i < t.len; i++)
                if (t.v[i].ppid == getpid())
                    print_process("child of the test", &t.v[i]);
            /* Clean up: every marked process, by pidfd; then reap. */
            for (int round = 0; round < 100; round++) {
                size_t left = marked(&t, mark, false);
                for (size_t i = 0; i < t.len; i++)
                    left += t.v[i].ppid == getpid();
                if (left == 0)
                    break;
                for (size_t i = 0; i < t.len; i++) {
                    if (t.v[i].state == 'Z' || t.v[i].pid == getpid())
                        continue;
                    if (t.v[i].ppid == getpid())
                        (void) kill(t.v[i].pid, SIGKILL); /* our unreaped child: surely it */
                    else
                        kill_marked(t.v[i].pid, mark);
                }
                pause_s(POLL_S);
                reap_all(0, &status, &done);
            }
            ok = false;
            break;
        }
        pause_s(POLL_S);
    }
    free(t.v);
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
