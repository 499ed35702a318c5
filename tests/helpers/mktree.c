/* mktree.c: builds a real process tree for the integration tests, then every process of it
 * sleeps, so that only pgsup can end it.
 *
 *   mktree [--exit N] PART...
 *
 * The process started (the leader) builds each PART below itself:
 *   plain        nothing more: the leader alone sleeps
 *   chain N      a chain of N descendants, each the child of the previous one
 *   fanout N     N children
 *   setsid       a child that calls setsid(): it leaves pgsup's group and session
 *   setsid-tree  the same, and the escapee has a child of its own in its new session
 *   doublefork   a daemon: a child calls setsid(), forks the daemon and exits, so the daemon is
 *                re-parented to the nearest subreaper
 *   ignore-term  a child that ignores SIGTERM (the leader does not)
 *   stopped      a child whose own child has stopped itself with raise(SIGSTOP)
 *   main-thread-exited
 *                a child that calls setsid(), starts a thread and ends its main thread with
 *                pthread_exit(): /proc/PID/stat shows it as a zombie ('Z') while its other
 *                thread keeps it alive
 *
 * Every process of the tree writes its pid on an internal pipe once it is in its final state
 * (signal disposition set, session left, stopped); the leader waits for all of them and for
 * the intermediate processes of double forks to be gone, so the tree no longer changes. Then,
 * if PGSUP_TEST_READY_FIFO names a FIFO (or PGSUP_TEST_READY_FD an inherited fd), it writes
 * "ready PID..." there (its own pid first), which is how treecheck knows the tree is complete
 * without guessing from timing. A FIFO by path, because pgsup run and libpgsup pass no fd but
 * 0, 1 and 2 to the command; the line is one write below PIPE_BUF, so lines of several trees
 * on one FIFO never mix.
 * With --exit N the leader then exits with N instead of sleeping, leaving the rest behind.
 *
 * Exit status 2: usage error; 1: the tree could not be built. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Long enough that only pgsup ends the tree, short enough that a leak does not live forever. */
#define SLEEP_S 1000
#define COUNT_MAX 100000

static int report_fd = -1; /* write end of the internal pipe; each process closes it after use */
static int ready_fd = -1;  /* from PGSUP_TEST_READY_FIFO or _FD; only the leader writes it */

typedef void part_fn(long arg);

/* async-signal-safe: child (the leader ends here too). Exits after SLEEP_S seconds. */
static _Noreturn void sleep_long(void)
{
    struct timespec left = {.tv_sec = SLEEP_S};

    /* No handler is installed, so only a stop/continue can interrupt the sleep: resume it. */
    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* async-signal-safe: child. A pid_t is far below PIPE_BUF: each report arrives whole. */
static void report_pid(pid_t pid)
{
    ssize_t n;

    do
        n = write(report_fd, &pid, sizeof(pid));
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t) sizeof(pid))
        _exit(1);
}

/* async-signal-safe: child. Reports the caller and lets go of the pipe, so that the leader sees
 * end of file if a process dies before reporting instead of waiting forever. */
static _Noreturn void report_and_sleep(void)
{
    report_pid(getpid());
    (void) close(report_fd); /* nothing to do about an error on a pipe we only wrote */
    report_fd = -1;
    sleep_long();
}

/* Forks a process that runs body(arg), which must not return. In a child the failure to fork
 * ends the child, and the missing report tells the leader. */
static pid_t fork_part(part_fn *body, long arg, bool in_leader)
{
    pid_t pid = fork();

    if (pid < 0) {
        if (in_leader) {
            fprintf(stderr, "mktree: cannot fork: %s\n", strerror(errno));
            exit(1);
        }
        _exit(1);
    }
    if (pid == 0) {
        /* async-signal-safe: child, from here on. */
        if (ready_fd >= 0)
            (void) close(ready_fd); /* the leader's alone: "ready" must mean the whole tree */
        ready_fd = -1;
        body(arg);
        _exit(1);
    }
    return pid;
}

static void part_sleeper(long arg)
{
    (void) arg;
    report_and_sleep();
}

static void part_chain(long depth)
{
    /* The next link first: it inherits the pipe before we let go of it. */
    if (depth > 1)
        fork_part(part_chain, depth - 1, false);
    report_and_sleep();
}

static void part_setsid(long descendants)
{
    if (setsid() < 0)
        _exit(1);
    if (descendants > 0)
        fork_part(part_chain, descendants, false);
    report_and_sleep();
}

static void part_daemon_middle(long arg)
{
    (void) arg;
    /* The classic daemon dance: a new session, then a second fork so that the daemon is no
     * session leader, and the middle process exits: the daemon is re-parented to the nearest
     * subreaper (pgsup's engine), out of pgsup's group and with a parent chain that no longer
     * leads to the leader. */
    if (setsid() < 0)
        _exit(1);
    fork_part(part_sleeper, 0, false);
    _exit(0);
}

static void part_ignore_term(long arg)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};

    (void) arg;
    /* Before the report: once the leader says ready, TERM is certain to be ignored here. */
    if (sigaction(SIGTERM, &ign, NULL) < 0)
        _exit(1);
    report_and_sleep();
}

static void part_stop_self(long arg)
{
    (void) arg;
    /* A stopped process holding the pipe would keep the leader from ever seeing end of file. */
    (void) close(report_fd);
    report_fd = -1;
    (void) raise(SIGSTOP); /* SIGSTOP cannot be blocked or ignored: it stops us */
    sleep_long();
}

static void part_stopped_parent(long arg)
{
    pid_t child = fork_part(part_stop_self, 0, false);
    int status;

    (void) arg;
    /* Report the child only once it is stopped, so "ready" means a stopped process exists. It
     * stays our unreaped child: WUNTRACED reports the stop without consuming anything else. */
    while (waitpid(child, &status, WUNTRACED) < 0)
        if (errno != EINTR)
            _exit(1);
    if (!WIFSTOPPED(status))
        _exit(1);
    report_pid(child);
    report_and_sleep();
}

static pthread_t main_thread; /* of a main-thread-exited process */

/* True once /proc shows our main thread as a zombie. */
static bool main_thread_is_zombie(void)
{
    char buf[512], *p;
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

    if (fd >= 0)
        (void) close(fd); /* read-only */
    if (n <= 0)
        return false;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static void *outlive_main_thread(void *arg)
{
    (void) arg;
    /* The join ends as the main thread leaves its memory; /proc shows it as a zombie a moment
     * later, once its exit is complete. That moment has no event: poll it, so that "ready"
     * means the shape under test really stands. */
    if (pthread_join(main_thread, NULL) != 0)
        _exit(1);
    for (int i = 0; i < 10000 && !main_thread_is_zombie(); i++) {
        struct timespec ms = {.tv_nsec = 1000 * 1000};
        (void) nanosleep(&ms, NULL);
    }
    if (!main_thread_is_zombie())
        _exit(1);
    report_and_sleep();
    return NULL;
}

static void part_main_thread_exited(long arg)
{
    pthread_t t;

    (void) arg;
    if (setsid() < 0)
        _exit(1);
    main_thread = pthread_self();
    /* A fork of single-threaded mktree: starting a thread here is safe. */
    if (pthread_create(&t, NULL, outlive_main_thread, NULL) != 0)
        _exit(1);
    pthread_exit(NULL);
}

static _Noreturn void usage(void)
{
    fputs("usage: mktree [--exit N] PART...\n"
          "PART: plain | chain N | fanout N | setsid | setsid-tree | doublefork | ignore-term |"
          " stopped | main-thread-exited\n",
          stderr);
    exit(2);
}

static long parse_count(const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = s ? strtol(s, &end, 10) : -1;
    if (!s || errno || end == s || *end || n < 1 || n > COUNT_MAX)
        usage();
    return n;
}

static int open_ready_fd(void)
{
    const char *s = getenv("PGSUP_TEST_READY_FD");
    const char *fifo = getenv("PGSUP_TEST_READY_FIFO");
    char *end;
    long fd;

    if (fifo) {
        /* The reader holds the FIFO open already: the open does not block. */
        int r = open(fifo, O_WRONLY | O_CLOEXEC);
        if (r < 0) {
            fprintf(stderr, "mktree: PGSUP_TEST_READY_FIFO='%s': %s\n", fifo, strerror(errno));
            exit(2);
        }
        return r;
    }
    if (!s)
        return -1;
    errno = 0;
    fd = strtol(s, &end, 10);
    if (errno || end == s || *end || fd < 0 || fd > 65535 || fcntl((int) fd, F_GETFD) < 0) {
        fprintf(stderr, "mktree: PGSUP_TEST_READY_FD='%s' is not an open fd\n", s);
        exit(2);
    }
    /* Whatever the leader execs later (nothing today) must not hold it. */
    (void) fcntl((int) fd, F_SETFD, FD_CLOEXEC); /* checked open just above */
    return (int) fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Reads the n pids the tree reports and says ready. Returns 0 or -errno (-EPIPE: a process
 * died before reporting). */
static int collect_and_announce(int read_fd, size_t n, const pid_t *middles, size_t n_middles)
{
    pid_t *pids = calloc(n + 1, sizeof(*pids));
    size_t text_max = (n + 1) * 16 + 16, len;
    char *text = malloc(text_max);
    size_t got = 0;
    int r = 0;

    if (!pids || !text) {
        r = -ENOMEM;
        goto out;
    }
    pids[0] = getpid();
    while (got < n) {
        pid_t pid;
        ssize_t k = read(read_fd, &pid, sizeof(pid));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r = -errno;
            goto out;
        }
        if (k != (ssize_t) sizeof(pid)) {
            fprintf(stderr, "mktree: only %zu of %zu processes reported\n", got, n);
            r = -EPIPE;
            goto out;
        }
        pids[++got] = pid;
    }
    /* The middle processes of double forks exit right after forking their daemon; reaping them
     * here means that after "ready" no process of the tree appears or disappears. */
    for (size_t i = 0; i < n_middles; i++) {
        int status;
        while (waitpid(middles[i], &status, 0) < 0) {
            if (errno != EINTR) {
                r = -errno;
                goto out;
            }
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "mktree: a double-forking process failed\n");
            r = -EPIPE;
            goto out;
        }
    }
    if (ready_fd < 0)
        goto out;
    len = (size_t) snprintf(text, text_max, "ready");
    for (size_t i = 0; i <= n; i++)
        len += (size_t) snprintf(text + len, text_max - len, " %d", (int) pids[i]);
    len += (size_t) snprintf(text + len, text_max - len, "\n");
    r = write_all(ready_fd, text, len);
    (void) close(ready_fd); /* the reader has its line or will see the error: nothing to add */
    ready_fd = -1;
out:
    free(text);
    free(pids);
    return r;
}

/* Builds the parts of argv[i..] (build) or only checks them (!build), so that a usage error
 * leaves no process behind. Returns the number of reports to expect. */
static size_t build_parts(int argc, char **argv, int i, bool build, pid_t *middles,
                          size_t *ret_n_middles)
{
    size_t expected = 0, n_middles = 0;

    for (; i < argc; i++) {
        const char *part = argv[i];
        if (strcmp(part, "plain") == 0) {
            continue;
        } else if (strcmp(part, "chain") == 0) {
            long n = parse_count(argv[++i]);
            if (build)
                fork_part(part_chain, n, true);
            expected += (size_t) n;
        } else if (strcmp(part, "fanout") == 0) {
            long n = parse_count(argv[++i]);
            for (long k = 0; build && k < n; k++)
                fork_part(part_sleeper, 0, true);
            expected += (size_t) n;
        } else if (strcmp(part, "setsid") == 0 || strcmp(part, "setsid-tree") == 0) {
            long descendants = strcmp(part, "setsid-tree") == 0;
            if (build)
                fork_part(part_setsid, descendants, true);
            expected += 1 + (size_t) descendants;
        } else if (strcmp(part, "doublefork") == 0) {
            if (build)
                middles[n_middles] = fork_part(part_daemon_middle, 0, true);
            n_middles++;
            expected += 1;
        } else if (strcmp(part, "ignore-term") == 0) {
            if (build)
                fork_part(part_ignore_term, 0, true);
            expected += 1;
        } else if (strcmp(part, "main-thread-exited") == 0) {
            if (build)
                fork_part(part_main_thread_exited, 0, true);
            expected += 1;
        } else if (strcmp(part, "stopped") == 0) {
            if (build)
                fork_part(part_stopped_parent, 0, true);
            expected += 2;
        } else {
            fprintf(stderr, "mktree: unknown part '%s'\n", part);
            usage();
        }
    }
    *ret_n_middles = n_middles;
    return expected;
}

int main(int argc, char **argv)
{
    const struct rlimit no_core = {0, 0};
    pid_t *middles = calloc((size_t) argc, sizeof(*middles));
    size_t expected, n_middles;
    int exit_code = -1, pipe_fds[2], r;
    int first = 1;

    if (!middles)
        return 1;
    if (first + 1 < argc && strcmp(argv[first], "--exit") == 0) {
        char *end;
        long code = strtol(argv[first + 1], &end, 10);
        if (end == argv[first + 1] || *end || code < 0 || code > 255)
            usage();
        exit_code = (int) code;
        first += 2;
    }
    if (first >= argc)
        usage();
    (void) build_parts(argc, argv, first, false, middles, &n_middles); /* exits on bad usage */
    /* Tests kill the tree with SIGQUIT too: no core files in the build directory. */
    (void) setrlimit(RLIMIT_CORE, &no_core); /* lowering the soft limit cannot fail */
    ready_fd = open_ready_fd();
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "mktree: cannot make a pipe: %s\n", strerror(errno));
        return 1;
    }
    report_fd = pipe_fds[1];
    expected = build_parts(argc, argv, first, true, middles, &n_middles);
    /* Only the tree may hold the write end now: end of file means someone died unreported. */
    (void) close(report_fd); /* a pipe end we never wrote: close cannot lose data */
    report_fd = -1;
    r = collect_and_announce(pipe_fds[0], expected, middles, n_middles);
    free(middles);
    (void) close(pipe_fds[0]); /* read end: nothing to lose */
    if (r < 0) {
        fprintf(stderr, "mktree: the tree was not built: %s\n", strerror(-r));
        return 1;
    }
    if (exit_code >= 0)
        return exit_code;
    sleep_long();
}
