/* sigrec.c: the command of the timeout(1) compatibility suite (tests/compat/compat.py), and the
 * caller's context it runs in. It says what it got from the timeout that started it and records
 * every signal it receives, so that coreutils' timeout and `pgsup timeout` can be compared on
 * what the command saw, not only on their exit statuses.
 *
 *   sigrec wrap [--ignore SIG,...] [--block SIG,...] [--leak N] [--fork [--job]] -- CMD...
 *       The caller: from a clean state (every signal at its default and unblocked, whatever
 *       ran the test), ignores and blocks signals (names without SIG, numbers, or "all"; "all"
 *       includes glibc's internal 32 and 33, and leaves SIGCHLD alone in --ignore), leaves N
 *       fds open without CLOEXEC, then execs CMD. With --fork it starts a session of its own
 *       (the terminal of stdin, if any, becomes its controlling terminal, as for a shell) and
 *       runs CMD as a child in its group, the way a script does; with --job the child leads a
 *       group of its own that gets the terminal's foreground, the way an interactive shell runs
 *       a job. It writes "pid CHILD" to $SIGREC_READY, waits with every signal blocked (and
 *       writes "stopped SIG" there whenever the child stops, as a shell would see its job
 *       stop), and ends as the child did: the same exit code, or death by the same signal.
 *
 *   sigrec [--role NAME] [--exit N | --sleep S | --die SIG | --read] [--survive] [--core]
 *          [--ignore SIG,...] [--spawn ROLE[:setsid][:noterm]]...
 *       The command. First appends its start line to $SIGREC_OUT:
 *         ROLE PID start start=TICKS pgid=G sid=S fg=T blk=HEX ign=HEX fds=N
 *       (fg: the terminal's foreground group of stdin, -1 without one; blk, ign: SigBlk and
 *       SigIgn as the kernel shows them, glibc's 32 and 33 included; fds: open fds above 2).
 *       Then it installs a handler on every catchable signal it does not ignore, which appends
 *       "ROLE PID sig NAME" and then does what the signal's default action would (dies of it,
 *       stops), unless --survive: then it records and goes on, and also records SIGCONT and
 *       SIGCHLD, which it does not handle otherwise. --ignore ignores more signals after the
 *       start line; --core raises the core file size limit to the hard limit, so that a death
 *       by ABRT, SEGV, QUIT... dumps core. Each --spawn forks a child (in a new session with
 *       :setsid, ignoring SIGTERM with :noterm) that runs sigrec as ROLE and announces
 *       itself. Once its handlers are in
 *       place, it writes "ready ROLE PID" to the FIFO $SIGREC_READY, then: --exit N exits N,
 *       --sleep S sleeps S seconds and exits 0, --die SIG dies of SIG, --read reads a line
 *       from stdin and records "read LINE"; without any, it waits for signals forever.
 *
 * Every write is one write(2) of a whole line to an O_APPEND file or a FIFO (atomic), from
 * handlers too, so processes of one tree can share the files. Exit status: as asked, 2 on
 * usage or setup errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#define MAX_SPAWN 8

static const char *role = "cmd";
static int out_fd = -1;
static bool survive;

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "sigrec: %s\n", why);
    exit(2);
}

/* A name without SIG (glibc's sigabbrev_np, glibc 2.32+) or a number. */
static int sig_parse(const char *s)
{
    char *end;
    long n;

    for (int sig = 1; sig < NSIG; sig++)
        if (sigabbrev_np(sig) && strcmp(s, sigabbrev_np(sig)) == 0)
            return sig;
    if (strcmp(s, "IO") == 0)
        return SIGIO; /* glibc says POLL */
    n = strtol(s, &end, 10);
    if (end == s || *end || n < 1 || n >= NSIG)
        usage("unknown signal");
    return (int) n;
}

/* glibc's sigaction() refuses its internal signals 32 and 33; the kernel does not. The
 * kernel's struct on x86-64 has a restorer field, unused with SIG_IGN and SIG_DFL. */
static int set_disposition(int sig, void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};

    if (sigaction(sig, &sa, NULL) == 0)
        return 0;
#if defined(__x86_64__)
    {
        struct {
            void (*handler)(int);
            unsigned long flags;
            void *restorer;
            unsigned long mask;
        } k = {.handler = handler};
        if (syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask)) == 0)
            return 0;
    }
#endif
    return -errno;
}

static int ignore(int sig)
{
    return set_disposition(sig, SIG_IGN);
}

/* Calls fn(sig) for each signal of LIST ("all": 1..NSIG-1 but KILL and STOP). */
static void each_signal(const char *list, bool skip_chld, int (*fn)(int))
{
    char *copy = strdup(list), *save = NULL;

    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && !(skip_chld && sig == SIGCHLD) &&
                    fn(sig) < 0)
                    fprintf(stderr, "sigrec: cannot change signal %d, continuing\n", sig);
        } else if (fn(sig_parse(tok)) < 0) {
            usage("cannot change a signal of the list");
        }
    }
    free(copy);
}

/* Appends one line to fd in one write. */
static void put(int fd, const char *line, size_t len)
{
    (void) !write(fd, line, len);
}

static sigset_t block_set;

static int add_block(int sig)
{
    /* glibc's sigaddset refuses 32 and 33: set the kernel's bit by hand (glibc's sigset_t
     * starts with the kernel's mask, one bit per signal from 1). */
    ((unsigned long *) &block_set)[(sig - 1) / (8 * sizeof(unsigned long))] |=
        1UL << ((sig - 1) % (8 * sizeof(unsigned long)));
    return 0;
}

/* Ends as the child did (status from waitpid): its exit code, or its signal. */
static _Noreturn void mirror(int status)
{
    sigset_t one;
    int sig;

    if (WIFEXITED(status))
        exit(WEXITSTATUS(status));
    sig = WTERMSIG(status);
    (void) prctl(PR_SET_DUMPABLE, 0); /* no core file of ours */
    signal(sig, SIG_DFL);
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    exit(128 + sig);
}

static int wrap_fork(char **cmd, bool job)
{
    const char *fifo = getenv("SIGREC_READY");
    sigset_t all, ttou, old;
    char line[64];
    int status, fd, n;
    pid_t child;

    (void) setsid(); /* already a leader: the test asked for what it has */
    if (isatty(STDIN_FILENO))
        (void) ioctl(STDIN_FILENO, TIOCSCTTY, 0); /* fails if it is someone else's: fine */
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    child = fork();
    if (child < 0)
        usage("wrap: cannot fork");
    if (child == 0) {
        if (job) {
            /* A shell's job: its own group, in the foreground. tcsetpgrp from what is still a
             * background group would stop us with SIGTTOU unless it is blocked. */
            (void) setpgid(0, 0);
            (void) sigprocmask(SIG_BLOCK, &ttou, &old);
            if (isatty(STDIN_FILENO))
                (void) tcsetpgrp(STDIN_FILENO, getpid());
            (void) sigprocmask(SIG_SETMASK, &old, NULL);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "sigrec: cannot run '%s': %s\n", cmd[0], strerror(errno));
        _exit(2);
    }
    if (job)
        (void) setpgid(child, child); /* both sides, as shells do: EACCES once it exec'd */
    sigfillset(&all);
    (void) sigprocmask(SIG_BLOCK, &all, NULL);
    if (fifo) {
        fd = open(fifo, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            usage("cannot open $SIGREC_READY");
        n = snprintf(line, sizeof(line), "pid %d\n", (int) child);
        put(fd, line, (size_t) n);
        close(fd);
    }
    /* A shell sees its job stop (Ctrl-Z): so do we, and say so. */
    for (;;) {
        if (waitpid(child, &status, WUNTRACED) < 0) {
            if (errno == EINTR)
                continue;
            usage("wrap: cannot wait");
        }
        if (!WIFSTOPPED(status))
            break;
        if (fifo && (fd = open(fifo, O_WRONLY | O_CLOEXEC)) >= 0) {
            n = snprintf(line, sizeof(line), "stopped %d\n", WSTOPSIG(status));
            put(fd, line, (size_t) n);
            close(fd);
        }
    }
    if (job && isatty(STDIN_FILENO))
        (void) tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is blocked */
    mirror(status);
}

static int wrap(int argc, char **argv)
{
    bool fork_child = false, job = false;
    long leak = 0;
    int i = 2;

    /* A clean caller first, whatever ran the test (a shell's `&` ignores INT and QUIT): then
     * only what the test asks for. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void) set_disposition(sig, SIG_DFL);
    sigemptyset(&block_set);
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &block_set, NULL, 8) < 0)
        usage("wrap: cannot unblock");
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--ignore") == 0 && i + 1 < argc)
            each_signal(argv[++i], true, ignore);
        else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc)
            each_signal(argv[++i], false, add_block);
        else if (strcmp(argv[i], "--leak") == 0 && i + 1 < argc)
            leak = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--fork") == 0)
            fork_child = true;
        else if (strcmp(argv[i], "--job") == 0)
            job = true;
        else
            usage("wrap: bad option");
    }
    if (i + 1 >= argc)
        usage("wrap: missing command");
    for (long k = 0; k < leak; k++)
        if (open("/dev/null", O_RDONLY) < 0) /* no O_CLOEXEC: the point */
            usage("wrap: cannot open /dev/null");
    /* The raw call: glibc's sigprocmask would drop 32 and 33 from the set. */
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block_set, NULL, 8) < 0)
        usage("wrap: cannot block");
    if (fork_child)
        return wrap_fork(argv + i + 1, job);
    execvp(argv[i + 1], argv + i + 1);
    fprintf(stderr, "sigrec: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
    return 2;
}

/* async-signal-safe: decimal of a non-negative number into p; returns the end. */
static char *put_num(char *p, long v)
{
    char tmp[24];
    int n = 0;

    do
        tmp[n++] = (char) ('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static bool dies_by_default(int sig)
{
    return sig != SIGCHLD && sig != SIGCONT && sig != SIGURG && sig != SIGWINCH &&
           sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU;
}

/* async-signal-safe: a handler. */
static void on_signal(int sig)
{
    char line[128], *p = line;
    const char *name = sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
    int saved = errno;
    sigset_t one;

    p = put_str(p, role);
    *p++ = ' ';
    p = put_num(p, getpid());
    p = put_str(p, " sig ");
    if (name) {
        p = put_str(p, name);
    } else {
        p = put_str(p, "RTMIN+");
        p = put_num(p, sig - SIGRTMIN);
    }
    *p++ = '\n';
    put(out_fd, line, (size_t) (p - line));
    if (!survive && dies_by_default(sig)) {
        signal(sig, SIG_DFL);
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
    } else if (!survive && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
        raise(SIGSTOP); /* what their default action would do */
    }
    errno = saved;
}

static unsigned long long status_hex(const char *field)
{
    char line[256];
    size_t flen = strlen(field);
    unsigned long long v = ~0ULL;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return v;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':')
            v = strtoull(line + flen + 1, NULL, 16);
    fclose(f);
    return v;
}

static unsigned long long start_ticks(void)
{
    char buf[1024], *p;
    unsigned long long start = 0;
    FILE *f = fopen("/proc/self/stat", "re");

    if (!f)
        return 0;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
        (void) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                             "%*d %*d %*d %*d %llu",
                      &start);
    fclose(f);
    return start;
}

/* Open fds above 2, ours (the output, the listing) excluded. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        int fd = atoi(de->d_name);
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd > 2 && fd != dirfd(d) &&
            fd != out_fd)
            n++;
    }
    closedir(d);
    return n;
}

static void record_start(void)
{
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "%s %d start start=%llu pgid=%d sid=%d fg=%d blk=%016llx ign=%016llx "
                     "fds=%d\n",
                     role, (int) getpid(), start_ticks(), (int) getpgrp(), (int) getsid(0),
                     (int) tcgetpgrp(STDIN_FILENO), status_hex("SigBlk"), status_hex("SigIgn"),
                     count_fds());
    put(out_fd, line, (size_t) n);
}

static void announce_ready(void)
{
    const char *fifo = getenv("SIGREC_READY");
    char line[128];
    int fd, n;

    if (!fifo)
        return;
    fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        usage("cannot open $SIGREC_READY");
    n = snprintf(line, sizeof(line), "ready %s %d\n", role, (int) getpid());
    put(fd, line, (size_t) n);
    close(fd);
}

static void install_handlers(void)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) < 0)
            continue; /* glibc's 32 and 33 */
        if (old.sa_handler == SIG_IGN)
            continue; /* a program that does not touch it keeps it ignored */
        /* Whether a SIGCONT (sent right after the deadline's signal) or a SIGCHLD (of a child
         * killed with us) is handled before we die is a matter of scheduling: only a command
         * that survives records them. */
        if (!survive && (sig == SIGCONT || sig == SIGCHLD))
            continue;
        (void) sigaction(sig, &sa, NULL);
    }
}

static pid_t spawn_child(char *self, const char *spec)
{
    char name[64];
    const char *colon = strchr(spec, ':');
    bool new_session = colon && strstr(colon, ":setsid");
    bool no_term = colon && strstr(colon, ":noterm");
    pid_t pid;

    snprintf(name, sizeof(name), "%.*s", colon ? (int) (colon - spec) : (int) strlen(spec),
             spec);
    pid = fork();
    if (pid != 0)
        return pid;
    if (new_session)
        (void) setsid();
    if (no_term)
        execl(self, self, "--role", name, "--ignore", "TERM", (char *) NULL);
    else
        execl(self, self, "--role", name, (char *) NULL);
    _exit(2);
}

int main(int argc, char **argv)
{
    const char *out = getenv("SIGREC_OUT");
    const char *spawn[MAX_SPAWN], *ignore_list = NULL;
    size_t nspawn = 0;
    int exit_code = -1, i;
    double sleep_s = -1;
    bool do_read = false;
    int die_sig = 0;
    bool want_core = false;

    if (argc >= 2 && strcmp(argv[1], "wrap") == 0)
        return wrap(argc, argv);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc)
            exit_code = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc)
            sleep_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--die") == 0 && i + 1 < argc)
            die_sig = sig_parse(argv[++i]);
        else if (strcmp(argv[i], "--read") == 0)
            do_read = true;
        else if (strcmp(argv[i], "--core") == 0)
            want_core = true;
        else if (strcmp(argv[i], "--survive") == 0)
            survive = true;
        else if (strcmp(argv[i], "--ignore") == 0 && i + 1 < argc)
            ignore_list = argv[++i];
        else if (strcmp(argv[i], "--spawn") == 0 && i + 1 < argc && nspawn < MAX_SPAWN)
            spawn[nspawn++] = argv[++i];
        else
            usage("bad option");
    }
    if (!out)
        usage("$SIGREC_OUT is not set");
    out_fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (out_fd < 0)
        usage("cannot open $SIGREC_OUT");
    record_start();
    if (want_core) {
        struct rlimit core;
        if (getrlimit(RLIMIT_CORE, &core) == 0) {
            core.rlim_cur = core.rlim_max;
            (void) setrlimit(RLIMIT_CORE, &core);
        }
    }
    if (ignore_list)
        each_signal(ignore_list, true, ignore);
    install_handlers();
    for (size_t k = 0; k < nspawn; k++)
        if (spawn_child("/proc/self/exe", spawn[k]) < 0)
            usage("cannot fork");
    announce_ready();
    if (exit_code >= 0)
        return exit_code;
    if (die_sig) {
        sigset_t one;
        signal(die_sig, SIG_DFL);
        sigemptyset(&one);
        sigaddset(&one, die_sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(die_sig);
        return 2; /* a signal that does not kill */
    }
    if (do_read) {
        char buf[256], line[320];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
        int len;
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        len = snprintf(line, sizeof(line), "%s %d read %s\n", role, (int) getpid(), buf);
        put(out_fd, line, (size_t) len);
        return n > 0 ? 0 : 1;
    }
    if (sleep_s >= 0) {
        struct timespec ts = {(time_t) sleep_s, (long) ((sleep_s - (time_t) sleep_s) * 1e9)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        return 0;
    }
    for (;;)
        pause();
}
