/* procmark.c: the marker, the /proc scan and the cleanup of the libpgsup tests (procmark.h).
 * Nothing here synchronises by sleeping: the 10 ms polls of /proc are for moments when no
 * event exists to wait for, and every wait is bounded. */
#include "procmark.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 10
#define CLEANUP_LIMIT_S 10.0
#define LIST_MAX 4096

static char mark[96];       /* "PGSUP_LIB_TEST_MARK=<pid>-<random>" */
static char path_entry[4096];
static char san_dir[64];    /* empty until procmark_san_setup() */
static char san_entry[2][4096];
static char ready_entry[64];
static const char *envp_buf[64];

struct pinfo {
    pid_t pid, ppid;
    char state;
};

double procmark_now(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void pause_poll(void)
{
    const struct timespec tick = {.tv_nsec = POLL_MS * 1000 * 1000};

    (void) nanosleep(&tick, NULL); /* EINTR: the caller looks at the clock */
}

int procmark_setup(void)
{
    unsigned long long rnd = 0;
    const char *path = getenv("PATH");

    /* Orphans of a tree come here rather than to init, where the check sees them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
        rnd = (unsigned long long) procmark_now() * 1000003ULL;
    snprintf(mark, sizeof(mark), "%s=%d-%llx", PROCMARK_VAR, (int) getpid(), rnd);
    if (setenv(PROCMARK_VAR, strchr(mark, '=') + 1, 1) < 0)
        return -errno;
    snprintf(path_entry, sizeof(path_entry), "PATH=%s", path ? path : "/usr/bin:/bin");
    return 0;
}

const char *procmark_entry(void)
{
    return mark;
}

const char *const *procmark_envp(const char *const *extra)
{
    size_t n = 0;

    envp_buf[n++] = mark;
    envp_buf[n++] = path_entry;
    for (int i = 0; i < 2; i++) {
        const char *var = i == 0 ? "ASAN_OPTIONS" : "UBSAN_OPTIONS";
        const char *v = getenv(var);
        if (!v)
            continue;
        snprintf(san_entry[i], sizeof(san_entry[i]), "%s=%s", var, v);
        envp_buf[n++] = san_entry[i];
    }
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof(envp_buf) / sizeof(envp_buf[0]); i++)
        envp_buf[n++] = extra[i];
    envp_buf[n] = NULL;
    return envp_buf;
}

/* Reads /proc/PID/NAME whole (NUL-terminated). Returns the length, or -errno (gone: -ENOENT,
 * -ESRCH). */
static ssize_t proc_read(pid_t pid, const char *name, char **ret_buf)
{
    char path[64];
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int fd;

    if (!buf)
        return -ENOMEM;
    snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return -errno;
    }
    for (;;) {
        ssize_t n;
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                (void) close(fd); /* read-only: nothing to lose */
                return -ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int r = -errno;
            free(buf);
            (void) close(fd); /* read-only: nothing to lose */
            return r;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    (void) close(fd); /* read-only: nothing to lose */
    buf[len] = '\0';
    *ret_buf = buf;
    return (ssize_t) len;
}

static int proc_info(pid_t pid, struct pinfo *ret)
{
    char *text, *p, state;
    ssize_t len = proc_read(pid, "stat", &text);
    int ppid, r = 0;

    if (len < 0)
        return (int) len;
    /* The command name may hold anything, ')' included: the fields follow the last ')'. */
    p = strrchr(text, ')');
    if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
        r = -EINVAL;
    else
        *ret = (struct pinfo){.pid = pid, .ppid = ppid, .state = state};
    free(text);
    return r;
}

char procmark_state(pid_t pid)
{
    struct pinfo e;

    return proc_info(pid, &e) == 0 ? e.state : 0;
}

/* A zombie has no environment left: it is never "marked" (the children check finds it). */
static bool environ_has_mark(pid_t pid)
{
    size_t mark_len = strlen(mark);
    bool found = false;
    char *env;
    ssize_t len = proc_read(pid, "environ", &env);

    if (len < 0)
        return false;
    for (size_t at = 0; at < (size_t) len;) {
        size_t entry_len = strnlen(env + at, (size_t) len - at);
        if (entry_len == mark_len && memcmp(env + at, mark, mark_len) == 0) {
            found = true;
            break;
        }
        at += entry_len + 1;
    }
    free(env);
    return found;
}

bool procmark_is_marked(pid_t pid)
{
    char state = procmark_state(pid);

    return state && state != 'Z' && state != 'X' && environ_has_mark(pid);
}

struct scan {
    struct pinfo marked[LIST_MAX], children[LIST_MAX];
    size_t n_marked, n_children;
};

static struct scan scan_buf; /* large: static, the tests are single-threaded where they scan */

static int scan_take(struct scan *s)
{
    pid_t self = getpid();
    DIR *d = opendir("/proc");
    struct dirent *de;

    s->n_marked = s->n_children = 0;
    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        struct pinfo e;
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (!isdigit((unsigned char) de->d_name[0]) || *end || pid <= 0 || pid == self)
            continue;
        if (proc_info((pid_t) pid, &e) < 0)
            continue; /* gone since readdir */
        if (e.ppid == self && s->n_children < LIST_MAX)
            s->children[s->n_children++] = e;
        if (e.state != 'Z' && e.state != 'X' && environ_has_mark(e.pid) &&
            s->n_marked < LIST_MAX)
            s->marked[s->n_marked++] = e;
    }
    (void) closedir(d); /* a directory stream: nothing to lose */
    return 0;
}

int procmark_count(struct procmark_count *ret)
{
    int r = scan_take(&scan_buf);

    if (r < 0)
        return r;
    ret->marked = scan_buf.n_marked;
    ret->children = scan_buf.n_children;
    return 0;
}

static void print_process(const char *what, const char *kind, const struct pinfo *e)
{
    char *cmd = NULL;
    ssize_t len = proc_read(e->pid, "cmdline", &cmd);

    for (ssize_t i = 0; i < len; i++)
        if (cmd[i] == '\0' || !isprint((unsigned char) cmd[i]))
            cmd[i] = ' ';
    fprintf(stderr, "procmark: %s: %s: pid %d (state %c, ppid %d): %s\n", what, kind,
            (int) e->pid, e->state, (int) e->ppid, len > 0 ? cmd : "(no cmdline)");
    if (len >= 0)
        free(cmd);
}

static void reap_exited(void)
{
    pid_t p;

    while ((p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
        ;
}

/* SIGKILLs every marked process and reaps every child until neither is left (bounded). Only
 * pids seen marked are signalled, through a pidfd opened first and the marker checked again
 * after, so a recycled pid is never hit. */
static void cleanup(void)
{
    double limit = procmark_now() + CLEANUP_LIMIT_S;

    for (;;) {
        reap_exited();
        if (scan_take(&scan_buf) < 0 || (scan_buf.n_marked == 0 && scan_buf.n_children == 0))
            return;
        for (size_t i = 0; i < scan_buf.n_marked; i++) {
            /* pidfd_open: Linux 5.3+, through syscall(2) for older glibc. */
            long fd = syscall(SYS_pidfd_open, scan_buf.marked[i].pid, 0);
            if (fd < 0)
                continue; /* gone */
            if (environ_has_mark(scan_buf.marked[i].pid))
                (void) syscall(SYS_pidfd_send_signal, (int) fd, SIGKILL, NULL, 0); /* gone: ok */
            (void) close((int) fd); /* a pidfd: nothing to lose */
        }
        /* A live child that carries no marker is not ours to kill: it stays listed, and the
         * test fails; it is the host's own (for example a helper the test forgot). */
        if (procmark_now() > limit) {
            fprintf(stderr, "procmark: cleanup gave up with %zu marked, %zu children left\n",
                    scan_buf.n_marked, scan_buf.n_children);
            return;
        }
        pause_poll();
    }
}

size_t procmark_check(const char *what)
{
    size_t n;

    if (scan_take(&scan_buf) < 0) {
        fprintf(stderr, "procmark: %s: cannot read /proc: %s\n", what, strerror(errno));
        return 1;
    }
    n = scan_buf.n_marked;
    for (size_t i = 0; i < scan_buf.n_marked; i++)
        print_process(what, scan_buf.marked[i].ppid == getpid() ? "survivor, escaped to the test"
                                                                : "survivor",
                      &scan_buf.marked[i]);
    for (size_t i = 0; i < scan_buf.n_children; i++) {
        const struct pinfo *c = &scan_buf.children[i];
        bool listed = false;
        for (size_t j = 0; j < scan_buf.n_marked; j++)
            listed |= scan_buf.marked[j].pid == c->pid;
        if (listed)
            continue;
        print_process(what, c->state == 'Z' ? "zombie child of the test" : "child of the test",
                      c);
        n++;
    }
    if (n)
        cleanup();
    return n;
}

size_t procmark_settle(const char *what, double settle_s)
{
    double limit = procmark_now() + settle_s;

    for (;;) {
        reap_exited();
        if (scan_take(&scan_buf) == 0 && scan_buf.n_marked == 0 && scan_buf.n_children == 0)
            return 0;
        if (procmark_now() > limit)
            break;
        pause_poll();
    }
    fprintf(stderr, "procmark: %s: the tree did not vanish within %.1f s\n", what, settle_s);
    return procmark_check(what);
}

int procmark_san_setup(void)
{
    static const char *const vars[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS"};

    snprintf(san_dir, sizeof(san_dir), "/tmp/pgsup-lib-san-XXXXXX");
    if (!mkdtemp(san_dir)) {
        san_dir[0] = '\0';
        return -errno;
    }
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *old = getenv(vars[i]);
        char value[4096];
        snprintf(value, sizeof(value), "%s%slog_path=%s/%s", old ? old : "", old && *old ? ":" : "",
                 san_dir, i == 0 ? "asan" : "ubsan");
        if (setenv(vars[i], value, 1) < 0)
            return -errno;
    }
    return 0;
}

size_t procmark_san_reports(const char *what)
{
    DIR *d = san_dir[0] ? opendir(san_dir) : NULL;
    struct dirent *de;
    size_t n = 0;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char path[sizeof(san_dir) + 256];
        char *text = NULL;
        FILE *f;
        size_t len = 0;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", san_dir, de->d_name);
        f = fopen(path, "re");
        if (f) {
            text = malloc(65536);
            if (text)
                len = fread(text, 1, 65535, f);
            (void) fclose(f); /* read-only: nothing to lose */
        }
        fprintf(stderr, "procmark: %s: a sanitizer report of a started process (%s):\n%.*s\n",
                what, de->d_name, (int) len, text ? text : "");
        free(text);
        (void) unlink(path); /* reported once */
        n++;
    }
    (void) closedir(d); /* a directory stream: nothing to lose */
    return n;
}

void procmark_san_cleanup(void)
{
    if (san_dir[0])
        (void) rmdir(san_dir); /* not empty only if a report came after the last check */
    san_dir[0] = '\0';
}

int procmark_ready_pipe(int ret_fds[2], const char **ret_entry)
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    /* The write end goes down to mktree through the library and pgsup, which pass inherited
     * fds through as they are. */
    if (fcntl(fds[1], F_SETFD, 0) < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
        int r = -errno;
        (void) close(fds[0]); /* unused pipe: nothing to lose */
        (void) close(fds[1]);
        return r;
    }
    snprintf(ready_entry, sizeof(ready_entry), "%s=%d", PROCMARK_READY_VAR, fds[1]);
    if (setenv(PROCMARK_READY_VAR, strchr(ready_entry, '=') + 1, 1) < 0) {
        int r = -errno;
        (void) close(fds[0]); /* unused pipe: nothing to lose */
        (void) close(fds[1]);
        return r;
    }
    ret_fds[0] = fds[0];
    ret_fds[1] = fds[1];
    if (ret_entry)
        *ret_entry = ready_entry;
    return 0;
}

void procmark_ready_release(int fds[2])
{
    if (fds[1] >= 0)
        (void) close(fds[1]); /* a pipe end we never write: nothing to lose */
    fds[1] = -1;
    (void) unsetenv(PROCMARK_READY_VAR); /* cannot fail for a valid name */
}

long procmark_read_ready(int fd, size_t n, double limit_s, pid_t *pids, size_t max)
{
    double limit = procmark_now() + limit_s;
    char buf[8192];
    size_t len = 0, lines = 0, count = 0;

    while (lines < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        double left = limit - procmark_now();
        char *nl;
        ssize_t k;
        if (left <= 0)
            return -ETIMEDOUT;
        if (poll(&pfd, 1, (int) (left * 1000) + 1) <= 0)
            continue;
        k = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EPIPE;
        len += (size_t) k;
        buf[len] = '\0';
        while (lines < n && (nl = strchr(buf, '\n'))) {
            char *save = NULL, *tok;
            *nl = '\0';
            tok = strtok_r(buf, " ", &save);
            if (!tok || strcmp(tok, "ready") != 0)
                return -EINVAL;
            while ((tok = strtok_r(NULL, " ", &save)) && count < max)
                pids[count++] = (pid_t) atoi(tok);
            lines++;
            len -= (size_t) (nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len >= sizeof(buf) - 1)
            return -EINVAL;
    }
    return (long) count;
}

bool procmark_wait_states(const pid_t *pids, size_t n, bool want_stopped, double limit_s)
{
    double limit = procmark_now() + limit_s;

    for (;;) {
        size_t stopped = 0;
        for (size_t i = 0; i < n; i++)
            stopped += procmark_state(pids[i]) == 'T';
        if (want_stopped ? stopped == n : stopped == 0)
            return true;
        if (procmark_now() > limit)
            return false;
        pause_poll();
    }
}
