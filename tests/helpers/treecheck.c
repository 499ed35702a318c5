/* treecheck.c: runs pgsup on a command tree and proves that nothing of the tree survives it.
 *
 *   treecheck [OPTION]... -- PGSUP [ARG]...
 *
 *   --expect-exit N      pgsup must exit with N (the default: 0)
 *   --expect-signal SIG  pgsup must die of SIG (a name such as TERM, or a number)
 *   --members N          before going on, wait until N processes of the tree exist (pgsup's
 *                        two processes not counted); with --ready, mktree must have built
 *                        exactly N (its leader included)
 *   --ready              wait for the "ready PID..." line that mktree writes to the FIFO named
 *                        by PGSUP_TEST_READY_FIFO once its whole tree stands (a path: pgsup
 *                        passes no fd but 0, 1 and 2 to the command)
 *   --send SIG           once the tree is built, send SIG to pgsup (the pid started)
 *   --kill-engine        once the tree is built, SIGKILL pgsup's engine (the guard's child)
 *   --settle S           after pgsup exits, give the tree up to S seconds to vanish (for an
 *                        engine that cleans up after its guard was SIGKILLed)
 *   --stderr-lines N     pgsup's stderr must hold exactly N lines (it is always shown, and
 *                        always checked for sanitizer reports)
 *   --stderr-prefix STR  ... each starting with STR
 *   --build-limit S      give up waiting for the tree after S seconds (default 20)
 *   --exit-limit S       give up waiting for pgsup to exit after S seconds (default 30)
 *   --file-written PATH  after pgsup exits, PATH must exist (it is removed before pgsup
 *                        starts): what a command's cleanup writes when it was let finish
 *   --file-not-written PATH
 *                        ... PATH must not exist
 *
 * Every process of the tree is recognised by a marker, PGSUP_TEST_MARK=<pid>-<random>, put in
 * the environment of pgsup and so inherited by the whole tree. treecheck is a child subreaper:
 * whatever escapes pgsup is re-parented here, where it is seen and cleaned up. The check after
 * pgsup exits: no live process carries the marker (/proc/PID/environ), and treecheck has no
 * child left, alive or zombie, other than pgsup's engine (re-parented here when the guard
 * died first). On failure every survivor is listed, SIGKILLed by pidfd and reaped.
 *
 * Nothing here synchronises by sleeping: the tree is ready when mktree says so or when /proc
 * shows it, pgsup has exited when its pidfd says so. The only waits on time are bounds after
 * which the test fails, and 10 ms polls of /proc where no event exists to wait for.
 *
 * Exit status: 0 the check passed, 1 it failed, 2 usage error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procscan.h"

#define MARK_VAR "PGSUP_TEST_MARK"
#define READY_VAR "PGSUP_TEST_READY_FIFO"
#define POLL_MS 10
#define CLEANUP_LIMIT_S 10.0

extern char **environ;

struct options {
    bool expect_signal;  /* expect is a signal number, else an exit code */
    int expect;
    long members;        /* 0: do not wait for members */
    bool ready;
    int send_sig;        /* 0: none */
    bool kill_engine;
    double settle_s;
    long stderr_lines;   /* < 0: any number of lines */
    const char *stderr_prefix;
    double build_limit_s, exit_limit_s;
    const char *file;    /* NULL: none */
    bool file_wanted;    /* file must exist (--file-written), else must not */
    char **argv;
};

static char mark[96];             /* "PGSUP_TEST_MARK=<pid>-<random>"; set once in main */
static char ready_var[128];       /* "PGSUP_TEST_READY_FIFO=<path>" with --ready */
static char ready_dir[64];        /* the private directory of that FIFO, or "" */
static pid_t self_pid;
static pid_t guard_pid;           /* the pid started (pgsup's guard), our child */
static pid_t engine_pid;          /* the guard's child, once seen; 0 before */
static volatile sig_atomic_t interrupted; /* set by the handler of INT/TERM/HUP */

static void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_msg(const char *fmt, ...)
{
    va_list ap;

    fputs("treecheck: FAIL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* --- signal names ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int sig;
} signames[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"SYS", SIGSYS},
};

static int signal_parse(const char *s)
{
    char *end;
    long n;

    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
        if (strcasecmp(s, signames[i].name) == 0)
            return signames[i].sig;
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || end == s || *end || n <= 0 || n >= NSIG)
        return -EINVAL;
    return (int) n;
}

static const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
        if (signames[i].sig == sig)
            return signames[i].name;
    return "?";
}

static void status_describe(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "signal %s (%d)", signal_name(WTERMSIG(status)), WTERMSIG(status));
    else
        snprintf(buf, len, "wait status 0x%x", (unsigned) status);
}

/* --- /proc ------------------------------------------------------------------------------- */

/* Fills s from /proc: live processes carrying the marker, and treecheck's own children (zombies
 * included). Returns 0 or -errno. */
static int snapshot_take(struct procscan_snap *s)
{
    int r = procscan_snap_take(s, self_pid, mark, NULL);

    for (size_t i = 0; i < s->marked.len; i++) {
        const struct procscan_proc *e = &s->marked.v[i];
        /* The engine is the guard's child until the guard dies: remember it. */
        if (guard_pid > 0 && e->ppid == guard_pid && engine_pid == 0)
            engine_pid = e->pid;
    }
    return r;
}

/* Marked processes that are part of the command's tree: not the guard, not the engine. */
static size_t snapshot_members(const struct procscan_snap *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->marked.len; i++) {
        const struct procscan_proc *e = &s->marked.v[i];
        if (e->pid != guard_pid && e->ppid != guard_pid && e->pid != engine_pid)
            n++;
    }
    return n;
}

static void print_process(const char *what, const struct procscan_proc *e)
{
    char cmd[256];

    procscan_cmdline(e->pid, cmd, sizeof(cmd));
    fprintf(stderr, "treecheck:   pid %d (state %c, ppid %d): %s: %s\n", (int) e->pid, e->state,
            (int) e->ppid, what, cmd);
}

/* --- cleanup ----------------------------------------------------------------------------- */

/* SIGKILLs every marked process and reaps every child, until neither is left or the bound is
 * reached. Returns true if everything is gone. */
static bool cleanup_all(void)
{
    struct procscan_snap s = {0};
    /* A live child without the marker is not killed: the tree's processes all carry it. */
    bool clean = procscan_cleanup(&s, self_pid, mark, CLEANUP_LIMIT_S, POLL_MS / 1e3, false);

    if (!clean) {
        fprintf(stderr, "treecheck: cleanup incomplete after %.0f s, left:\n", CLEANUP_LIMIT_S);
        for (size_t i = 0; i < s.marked.len; i++)
            print_process("marked", &s.marked.v[i]);
        for (size_t i = 0; i < s.children.len; i++)
            print_process("child", &s.children.v[i]);
    }
    procscan_snap_free(&s);
    return clean;
}

/* --- the phases of one check ------------------------------------------------------------- */

static void on_interrupt(int sig)
{
    (void) sig;
    interrupted = 1; /* async-signal-safe: a handler; the loops look at it */
}

static _Noreturn void usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage(const char *fmt, ...)
{
    va_list ap;

    fputs("treecheck: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nusage: treecheck [--expect-exit N | --expect-signal SIG] [--members N] [--ready]\n"
          "         [--send SIG] [--kill-engine] [--settle S] [--stderr-lines N]\n"
          "         [--stderr-prefix STR] [--build-limit S] [--exit-limit S]\n"
          "         [--file-written PATH | --file-not-written PATH] -- PGSUP ARG...\n",
          stderr);
    exit(2);
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || end == s || *end || n < min || n > max)
        usage("%s: invalid number '%s'", opt, s);
    return n;
}

static double parse_seconds(const char *opt, const char *s)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(s, &end);
    if (errno || end == s || *end || !(d >= 0) || d > 3600)
        usage("%s: invalid duration '%s'", opt, s);
    return d;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    enum { EXIT = 256, SIGNAL, MEMBERS, READY, SEND, KILL_ENGINE, SETTLE, LINES, PREFIX,
           BUILD_LIMIT, EXIT_LIMIT, FILE_WRITTEN, FILE_NOT_WRITTEN };
    static const struct option longopts[] = {
        {"expect-exit", required_argument, NULL, EXIT},
        {"expect-signal", required_argument, NULL, SIGNAL},
        {"members", required_argument, NULL, MEMBERS},
        {"ready", no_argument, NULL, READY},
        {"send", required_argument, NULL, SEND},
        {"kill-engine", no_argument, NULL, KILL_ENGINE},
        {"settle", required_argument, NULL, SETTLE},
        {"stderr-lines", required_argument, NULL, LINES},
        {"stderr-prefix", required_argument, NULL, PREFIX},
        {"build-limit", required_argument, NULL, BUILD_LIMIT},
        {"exit-limit", required_argument, NULL, EXIT_LIMIT},
        {"file-written", required_argument, NULL, FILE_WRITTEN},
        {"file-not-written", required_argument, NULL, FILE_NOT_WRITTEN},
        {NULL, 0, NULL, 0},
    };
    bool have_expect = false;
    int c;

    *o = (struct options){.stderr_lines = -1, .build_limit_s = 20, .exit_limit_s = 30};
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case EXIT:
        case SIGNAL:
            if (have_expect)
                usage("--expect-exit and --expect-signal: one only");
            have_expect = true;
            o->expect_signal = c == SIGNAL;
            if (c == EXIT)
                o->expect = (int) parse_long("--expect-exit", optarg, 0, 255);
            else if ((o->expect = signal_parse(optarg)) < 0)
                usage("--expect-signal: unknown signal '%s'", optarg);
            break;
        case MEMBERS:
            o->members = parse_long("--members", optarg, 1, 1000000);
            break;
        case READY:
            o->ready = true;
            break;
        case SEND:
            if ((o->send_sig = signal_parse(optarg)) < 0)
                usage("--send: unknown signal '%s'", optarg);
            break;
        case KILL_ENGINE:
            o->kill_engine = true;
            break;
        case SETTLE:
            o->settle_s = parse_seconds("--settle", optarg);
            break;
        case LINES:
            o->stderr_lines = parse_long("--stderr-lines", optarg, 0, 1000000);
            break;
        case PREFIX:
            o->stderr_prefix = optarg;
            break;
        case BUILD_LIMIT:
            o->build_limit_s = parse_seconds("--build-limit", optarg);
            break;
        case EXIT_LIMIT:
            o->exit_limit_s = parse_seconds("--exit-limit", optarg);
            break;
        case FILE_WRITTEN:
        case FILE_NOT_WRITTEN:
            if (o->file)
                usage("--file-written and --file-not-written: one only");
            o->file = optarg;
            o->file_wanted = c == FILE_WRITTEN;
            break;
        default:
            usage("unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        usage("missing the pgsup command line after --");
    if ((o->send_sig || o->kill_engine) && !o->members && !o->ready)
        usage("--send and --kill-engine need --members or --ready: the tree must exist first");
    if (o->stderr_prefix && o->stderr_lines < 0)
        usage("--stderr-prefix needs --stderr-lines");
    o->argv = argv + optind;
}

static int make_mark(void)
{
    unsigned char rnd[8];
    char hex[2 * sizeof(rnd) + 1];

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
        return -EIO;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    snprintf(mark, sizeof(mark), "%s=%d-%s", MARK_VAR, (int) getpid(), hex);
    return 0;
}

/* The environment of pgsup: ours, minus stale test variables, plus the marker (and the ready
 * FIFO). The array is heap-allocated, owned by the caller; the strings are borrowed. */
static char **make_envp(bool ready)
{
    size_t n = 0, k = 0;
    char **envp;

    while (environ[n])
        n++;
    envp = calloc(n + 3, sizeof(*envp));
    if (!envp)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], MARK_VAR "=", strlen(MARK_VAR) + 1) != 0 &&
            strncmp(environ[i], READY_VAR "=", strlen(READY_VAR) + 1) != 0 &&
            strncmp(environ[i], "PGSUP_TEST_READY_FD=", 20) != 0)
            envp[k++] = environ[i];
    envp[k++] = mark;
    if (ready)
        envp[k++] = ready_var;
    envp[k] = NULL;
    return envp;
}

/* Starts pgsup with stdin on /dev/null (so that it never takes a terminal over), stderr on
 * err_fd if >= 0, the signal state reset. Returns its pid or -errno. */
static pid_t start_pgsup(char **argv, char **envp, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    pid_t pid;
    int r;

    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGHUP);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return r ? -r : pid;
}

/* The ready FIFO (procscan.h): our writer keeps reads from seeing end of file before mktree
 * opens it; pgsup's exit, watched on its pidfd, says the tree died instead. */
static int ready_fifo_open(int ret_fds[2])
{
    char path[sizeof(ready_dir) + 16];
    int r;

    snprintf(ready_dir, sizeof(ready_dir), "%s", "/tmp/treecheck.XXXXXX");
    r = procscan_fifo_open(ready_dir, path, sizeof(path), ret_fds);
    if (r < 0)
        ready_dir[0] = '\0';
    else
        snprintf(ready_var, sizeof(ready_var), "%s=%s", READY_VAR, path);
    return r;
}

/* Reads what is available of the ready line. Returns 1 once the line is complete, 0 if more is
 * to come, -EPIPE on end of file without a line, or -errno. */
static int ready_read(int fd, char *buf, size_t buf_max, size_t *len)
{
    for (;;) {
        ssize_t n;
        if (*len + 1 >= buf_max)
            return -E2BIG;
        n = read(fd, buf + *len, buf_max - 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -errno;
        if (n == 0)
            return -EPIPE;
        *len += (size_t) n;
        buf[*len] = '\0';
        if (strchr(buf, '\n'))
            return 1;
    }
}

/* A process killed while it is being looked at can be between releasing its memory and
 * becoming a zombie: it still runs, but its environment reads as empty. */
static bool proc_has_memory(pid_t pid)
{
    char *env;
    ssize_t len = procscan_read(pid, "environ", &env);

    if (len < 0)
        return false;
    free(env);
    return len > 0;
}

/* Parses the ready line and cross-checks it with /proc: a reported process may already be gone
 * (a deadline, or mktree --exit, can end the tree as soon as it is complete), but one that
 * lives must carry the marker, or the check could not see it. Returns the number of processes
 * reported, or -1 after saying what is wrong. */
static long ready_verify(const char *line, const struct procscan_snap *s)
{
    const char *p = line + strlen("ready");
    long n = 0;

    if (strncmp(line, "ready", 5) != 0) {
        fail_msg("mktree's ready line is garbled: '%s'", line);
        return -1;
    }
    for (;;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        p = end;
        n++;
        if (!procscan_list_has(&s->marked, (pid_t) pid) && pid > 0 &&
            procscan_is_alive((pid_t) pid) && proc_has_memory((pid_t) pid)) {
            fail_msg("mktree reported pid %ld, which lives without the marker", pid);
            return -1;
        }
    }
    return n;
}

/* Waits until the tree is built (--ready and/or --members). Returns 0, or -1 after saying why
 * not: pgsup exited first, the bound was reached, or the tree is not what was asked. */
static int wait_for_tree(const struct options *o, int guard_fd, int ready_fd)
{
    double limit = procscan_now_s() + o->build_limit_s;
    struct procscan_snap s = {0};
    char line[1 << 16];
    size_t line_len = 0;
    bool ready = !o->ready;
    size_t members = 0;
    int r = -1;

    for (;;) {
        struct pollfd pfd[2] = {{.fd = guard_fd, .events = POLLIN},
                                {.fd = ready ? -1 : ready_fd, .events = POLLIN}};
        double left = limit - procscan_now_s();
        /* With --ready there is an event to wait for; /proc is polled only for --members. */
        int timeout_ms = o->ready ? (int) (left > 0 ? left * 1000 + 1 : 0) : POLL_MS;
        int k = poll(pfd, 2, timeout_ms), rr;
        if (k < 0 && errno != EINTR) {
            fail_msg("poll: %s", strerror(errno));
            goto out;
        }
        if (!ready && k > 0 && pfd[1].revents) {
            rr = ready_read(ready_fd, line, sizeof(line), &line_len);
            if (rr < 0) {
                fail_msg("no ready line from the tree (%s): did the command die?",
                         strerror(-rr));
                goto out;
            }
            ready = rr == 1;
        }
        if ((rr = snapshot_take(&s)) < 0) {
            fail_msg("cannot read /proc: %s", strerror(-rr));
            goto out;
        }
        members = snapshot_members(&s);
        if (ready && (o->ready || members >= (size_t) o->members))
            break;
        if (k > 0 && pfd[0].revents) {
            fail_msg("pgsup exited before the tree was built (%s; %zu of %ld members seen): "
                     "the deadline or the command's end came first",
                     ready ? "ready" : o->ready ? "no ready line" : "not all there",
                     members, o->members);
            goto out;
        }
        if (interrupted) {
            fail_msg("interrupted while waiting for the tree");
            goto out;
        }
        if (procscan_now_s() > limit) {
            fail_msg("the tree was not built after %.0f s (%s, %zu of %ld members):",
                     o->build_limit_s, o->ready ? "no ready line" : "waiting for members",
                     members, o->members);
            for (size_t i = 0; i < s.marked.len; i++)
                print_process("marked", &s.marked.v[i]);
            goto out;
        }
    }
    if (o->ready) {
        long reported;
        *strchr(line, '\n') = '\0';
        reported = ready_verify(line, &s);
        if (reported < 0)
            goto out;
        /* mktree's own count, not /proc's: pgsup may already be ending the tree (a deadline
         * right after "ready"), but what was built is known exactly. */
        if (o->members && reported != o->members) {
            fail_msg("mktree built %ld processes, expected %ld (%zu seen in /proc):", reported,
                     o->members, members);
            for (size_t i = 0; i < s.marked.len; i++)
                print_process("marked", &s.marked.v[i]);
            goto out;
        }
    }
    fprintf(stderr, "treecheck: tree built: %zu members seen in /proc (pgsup %d, engine %d)\n",
            members, (int) guard_pid, (int) engine_pid);
    r = 0;
out:
    procscan_snap_free(&s);
    return r;
}

/* Sends what the options ask for to pgsup. Returns 0 or -1 after saying why. */
static int provoke(const struct options *o, int guard_fd)
{
    if (o->send_sig) {
        int r = procscan_pidfd_signal(guard_fd, o->send_sig);
        if (r < 0) {
            fail_msg("cannot send SIG%s to pgsup: %s", signal_name(o->send_sig), strerror(-r));
            return -1;
        }
        fprintf(stderr, "treecheck: sent SIG%s to pgsup %d\n", signal_name(o->send_sig),
                (int) guard_pid);
    }
    if (o->kill_engine) {
        struct procscan_proc e;
        int fd, r;
        if (engine_pid <= 0) {
            fail_msg("pgsup's engine (the child of pid %d) was never seen", (int) guard_pid);
            return -1;
        }
        fd = procscan_pidfd_open(engine_pid);
        /* The pidfd pins the process; if it is still the guard's child, it is the engine. */
        if (fd < 0 || procscan_stat(engine_pid, &e) < 0 || e.ppid != guard_pid) {
            fail_msg("pgsup's engine %d is gone before it could be killed", (int) engine_pid);
            if (fd >= 0)
                (void) close(fd); /* a pidfd: nothing to lose */
            return -1;
        }
        r = procscan_pidfd_signal(fd, SIGKILL);
        (void) close(fd); /* a pidfd: nothing to lose */
        if (r < 0) {
            fail_msg("cannot SIGKILL pgsup's engine %d: %s", (int) engine_pid, strerror(-r));
            return -1;
        }
        fprintf(stderr, "treecheck: sent SIGKILL to pgsup's engine %d\n", (int) engine_pid);
    }
    return 0;
}

/* Waits for the guard (bounded) and reaps it. Returns 0 with its wait status, or -1. */
static int wait_for_pgsup(const struct options *o, int guard_fd, int *ret_status)
{
    double limit = procscan_now_s() + o->exit_limit_s;
    int status;

    for (;;) {
        struct pollfd pfd = {.fd = guard_fd, .events = POLLIN};
        double left = limit - procscan_now_s();
        int k;
        if (interrupted) {
            fail_msg("interrupted while waiting for pgsup");
            return -1;
        }
        if (left <= 0) {
            fail_msg("pgsup did not exit within %.0f s", o->exit_limit_s);
            return -1;
        }
        k = poll(&pfd, 1, (int) (left * 1000) + 1);
        if (k < 0 && errno != EINTR) {
            fail_msg("poll: %s", strerror(errno));
            return -1;
        }
        if (k > 0)
            break;
    }
    /* The pidfd is readable: the guard is a zombie, this returns at once. */
    while (waitpid(guard_pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail_msg("waitpid(pgsup): %s", strerror(errno));
            return -1;
        }
    }
    *ret_status = status;
    return 0;
}

#define ECHO_LINES_MAX 200

/* True if the line is the start of a sanitizer report: a leak or an error in pgsup's engine
 * does not change what the guard exits with, so it is caught here. */
static bool is_sanitizer_report(const char *line, size_t len)
{
    static const char *const needles[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "runtime error:", "ERROR: UndefinedBehaviorSanitizer"};

    for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
        if (memmem(line, len, needles[i], strlen(needles[i])))
            return true;
    return false;
}

/* Echoes what pgsup and its tree wrote on stderr and checks it: no sanitizer report, and with
 * --stderr-lines the number of lines (and their prefix). Returns 0 or -1. */
static int check_stderr(const struct options *o, int err_fd)
{
    struct stat st;
    long lines = 0;
    bool sanitizer = false;
    char *buf = NULL;
    size_t len;
    int r = -1;

    if (fstat(err_fd, &st) < 0) {
        fail_msg("fstat(stderr capture): %s", strerror(errno));
        return -1;
    }
    len = (size_t) st.st_size;
    buf = malloc(len + 1);
    if (!buf) {
        fail_msg("out of memory reading %zu bytes of stderr", len);
        return -1;
    }
    if (pread(err_fd, buf, len, 0) != (ssize_t) len) {
        fail_msg("pread(stderr capture): %s", strerror(errno));
        goto out;
    }
    buf[len] = '\0';
    r = 0;
    for (size_t at = 0; at < len;) {
        char *line = buf + at, *nl = memchr(line, '\n', len - at);
        size_t line_len = nl ? (size_t) (nl - line) : len - at;
        if (++lines <= ECHO_LINES_MAX)
            fprintf(stderr, "treecheck: pgsup's stderr: %.*s\n", (int) line_len, line);
        sanitizer |= is_sanitizer_report(line, line_len);
        if (o->stderr_prefix && (line_len < strlen(o->stderr_prefix) ||
                                 strncmp(line, o->stderr_prefix, strlen(o->stderr_prefix)))) {
            fail_msg("line %ld of pgsup's stderr does not start with '%s'", lines,
                     o->stderr_prefix);
            r = -1;
        }
        at += line_len + (nl != NULL);
    }
    if (lines > ECHO_LINES_MAX)
        fprintf(stderr, "treecheck: (%ld more lines of stderr not shown)\n",
                lines - ECHO_LINES_MAX);
    if (sanitizer) {
        fail_msg("a sanitizer reported an error on pgsup's stderr (see above)");
        r = -1;
    }
    if (o->stderr_lines >= 0 && len > 0 && buf[len - 1] != '\n') {
        fail_msg("pgsup's stderr does not end with a newline");
        r = -1;
    }
    if (o->stderr_lines >= 0 && lines != o->stderr_lines) {
        fail_msg("pgsup wrote %ld lines on stderr, expected %ld", lines, o->stderr_lines);
        r = -1;
    }
out:
    free(buf);
    return r;
}

/* The check proper: no marked process alive, no child of ours but the engine. With settle_s,
 * polls up to that long for the tree to vanish. Returns 0 or -1 after listing survivors. */
static int check_nothing_left(double settle_s, double *ret_waited_s)
{
    double start = procscan_now_s(), limit = start + settle_s;
    struct procscan_snap s = {0};
    int r = -1;

    for (;;) {
        size_t escaped = 0;
        int rs;
        /* The engine comes here if its guard died first: reaping it is part of settling. */
        if (engine_pid > 0)
            (void) waitpid(engine_pid, NULL, WNOHANG); /* ECHILD: it is not ours */
        if ((rs = snapshot_take(&s)) < 0) {
            fail_msg("cannot read /proc: %s", strerror(-rs));
            break;
        }
        for (size_t i = 0; i < s.children.len; i++)
            escaped += s.children.v[i].pid != engine_pid;
        if (s.marked.len == 0 && escaped == 0) {
            r = 0;
            break;
        }
        if (procscan_now_s() >= limit || interrupted) {
            fail_msg("%zu process(es) of the tree survived pgsup, %zu escaped to the test's "
                     "subreaper%s:",
                     s.marked.len, escaped, settle_s > 0 ? " (after settling)" : "");
            for (size_t i = 0; i < s.marked.len; i++)
                print_process(s.marked.v[i].ppid == self_pid ? "survivor, escaped to the test's "
                                                               "subreaper"
                                                             : "survivor",
                              &s.marked.v[i]);
            for (size_t i = 0; i < s.children.len; i++) {
                const struct procscan_proc *c = &s.children.v[i];
                if (c->pid != engine_pid && !procscan_list_has(&s.marked, c->pid))
                    print_process(c->state == 'Z' ? "zombie, escaped to the test's subreaper"
                                                  : "escaped to the test's subreaper",
                                  c);
            }
            break;
        }
        procscan_pause(POLL_MS / 1e3);
    }
    *ret_waited_s = procscan_now_s() - start;
    procscan_snap_free(&s);
    return r;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = on_interrupt};
    struct options o;
    char **envp = NULL;
    int ready_fds[2] = {-1, -1}, err_fd = -1, guard_fd = -1, status = 0, r;
    bool ok = false, stderr_checked = false;
    double waited_s = 0;
    char got[64], want[64];
    pid_t pid;

    parse_options(argc, argv, &o);
    self_pid = getpid();
    /* No SA_RESTART: an interrupted poll or nanosleep returns and the loops see the flag. */
    (void) sigaction(SIGINT, &sa, NULL); /* cannot fail for these signals */
    (void) sigaction(SIGTERM, &sa, NULL);
    (void) sigaction(SIGHUP, &sa, NULL);
    /* Orphans of the tree come here rather than to init, where the check sees them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        fprintf(stderr, "treecheck: cannot become a subreaper: %s\n", strerror(errno));
        return 1;
    }
    if (make_mark() < 0) {
        fprintf(stderr, "treecheck: cannot make a marker\n");
        return 1;
    }
    if (o.ready && (r = ready_fifo_open(ready_fds)) < 0) {
        fprintf(stderr, "treecheck: cannot make the ready FIFO: %s\n", strerror(-r));
        return 1;
    }
    /* pgsup's stderr is kept to be checked. A memfd rather than a pipe: the tree inherits
     * stderr, and a pipe would not end while an escapee holds it. */
    if ((err_fd = memfd_create("pgsup-stderr", MFD_CLOEXEC)) < 0) {
        fprintf(stderr, "treecheck: memfd_create: %s\n", strerror(errno));
        procscan_fifo_close(ready_dir, ready_fds);
        return 1;
    }
    envp = make_envp(o.ready);
    if (!envp) {
        fprintf(stderr, "treecheck: out of memory\n");
        procscan_fifo_close(ready_dir, ready_fds);
        return 1;
    }
    if (o.file && unlink(o.file) < 0 && errno != ENOENT) {
        fprintf(stderr, "treecheck: cannot remove '%s': %s\n", o.file, strerror(errno));
        return 1;
    }
    fprintf(stderr, "treecheck: %s\n", mark);
    pid = start_pgsup(o.argv, envp, err_fd);
    if (pid < 0) {
        fprintf(stderr, "treecheck: cannot start '%s': %s\n", o.argv[0], strerror((int) -pid));
        procscan_fifo_close(ready_dir, ready_fds);
        return 1;
    }
    guard_pid = pid;
    /* pidfd_open: Linux 5.3+. The guard is our unreaped child: the pid is surely its. */
    guard_fd = procscan_pidfd_open(guard_pid);
    if (guard_fd < 0) {
        fprintf(stderr, "treecheck: pidfd_open: %s\n", strerror(-guard_fd));
        goto cleanup;
    }
    if ((o.ready || o.members) && wait_for_tree(&o, guard_fd, ready_fds[0]) < 0)
        goto cleanup;
    if (provoke(&o, guard_fd) < 0)
        goto cleanup;
    if (wait_for_pgsup(&o, guard_fd, &status) < 0)
        goto cleanup;
    status_describe(status, got, sizeof(got));
    status_describe(o.expect_signal ? o.expect : W_EXITCODE(o.expect, 0), want, sizeof(want));
    ok = true;
    if (o.expect_signal ? !WIFSIGNALED(status) || WTERMSIG(status) != o.expect
                        : !WIFEXITED(status) || WEXITSTATUS(status) != o.expect) {
        fail_msg("pgsup ended with %s, expected %s", got, want);
        ok = false;
    }
    if (check_nothing_left(o.settle_s, &waited_s) < 0)
        ok = false;
    /* After the check: nothing of the tree is left that could still write it. */
    if (o.file && (access(o.file, F_OK) == 0) != o.file_wanted) {
        fail_msg("'%s' was%s written", o.file, o.file_wanted ? " not" : "");
        ok = false;
    }
    /* Last: with --settle, the engine may write until it is gone. */
    stderr_checked = true;
    if (check_stderr(&o, err_fd) < 0)
        ok = false;
    if (ok) {
        printf("ok: pgsup ended with %s as expected; nothing of the tree is left, no zombie"
               " (checked after %.2f s)\n",
               got, waited_s);
    }
cleanup:
    if (!ok && !cleanup_all())
        fprintf(stderr, "treecheck: some processes could not be removed\n");
    if (!stderr_checked && guard_pid > 0)
        (void) check_stderr(&o, err_fd); /* only to show it: the test has failed already */
    if (guard_fd >= 0)
        (void) close(guard_fd); /* a pidfd: nothing to lose */
    procscan_fifo_close(ready_dir, ready_fds);
    if (err_fd >= 0)
        (void) close(err_fd); /* a memfd we only read: nothing to lose */
    free(envp);
    return ok ? 0 : 1;
}
