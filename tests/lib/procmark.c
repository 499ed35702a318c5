/* procmark.c: the marker, the /proc check and the cleanup of the libpgsup tests (procmark.h),
 * on the /proc reading of tests/helpers/procscan.c. Nothing here synchronises by sleeping: the
 * 10 ms polls of /proc are for moments when no event exists to wait for, and every wait is
 * bounded. */
#include "procmark.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "procscan.h"

#define POLL_S 0.01
#define CLEANUP_LIMIT_S 10.0

static char mark[96];       /* "PGSUP_LIB_TEST_MARK=<pid>-<random>" */
static char path_entry[4096];
static char san_dir[64];    /* empty until procmark_san_setup() */
static char ready_dir[64];  /* the ready FIFO's directory, empty when there is none */
static char san_entry[2][4096];
static char ready_entry[128];
static const char *envp_buf[64];

double procmark_now(void)
{
    return procscan_now_s();
}

int procmark_setup(void)
{
    unsigned long long rnd = 0;
    const char *path = getenv("PATH");

    /* Orphans of a tree come here rather than to init, where the check sees them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
        rnd = (unsigned long long) procscan_now_s() * 1000003ULL;
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

char procmark_state(pid_t pid)
{
    struct procscan_proc e;

    return procscan_stat(pid, &e) == 0 ? e.state : 0;
}

bool procmark_is_marked(pid_t pid)
{
    return procscan_is_alive(pid) && procscan_has_entry(pid, mark, NULL);
}

int procmark_count(struct procmark_count *ret)
{
    struct procscan_snap s = {0};
    int r = procscan_snap_take(&s, getpid(), mark, NULL);

    if (r == 0)
        *ret = (struct procmark_count){.marked = s.marked.len, .children = s.children.len};
    procscan_snap_free(&s);
    return r;
}

static void print_process(const char *what, const char *kind, const struct procscan_proc *e)
{
    char cmd[256];

    procscan_cmdline(e->pid, cmd, sizeof(cmd));
    fprintf(stderr, "procmark: %s: %s: pid %d (state %c, ppid %d): %s\n", what, kind,
            (int) e->pid, e->state, (int) e->ppid, cmd);
}

/* SIGKILLs every marked process and reaps every child until neither is left (bounded). */
static void cleanup(void)
{
    struct procscan_snap s = {0};

    /* A live child that carries no marker is not ours to kill: it stays listed, and the test
     * fails; it is the host's own (for example a helper the test forgot). */
    if (!procscan_cleanup(&s, getpid(), mark, CLEANUP_LIMIT_S, POLL_S, false))
        fprintf(stderr, "procmark: cleanup gave up with %zu marked, %zu children left\n",
                s.marked.len, s.children.len);
    procscan_snap_free(&s);
}

size_t procmark_check(const char *what)
{
    struct procscan_snap s = {0};
    pid_t self = getpid();
    int r = procscan_snap_take(&s, self, mark, NULL);
    size_t n;

    if (r < 0) {
        fprintf(stderr, "procmark: %s: cannot read /proc: %s\n", what, strerror(-r));
        procscan_snap_free(&s);
        return 1;
    }
    n = s.marked.len;
    for (size_t i = 0; i < s.marked.len; i++)
        print_process(what, s.marked.v[i].ppid == self ? "survivor, escaped to the test"
                                                       : "survivor",
                      &s.marked.v[i]);
    for (size_t i = 0; i < s.children.len; i++) {
        const struct procscan_proc *c = &s.children.v[i];
        if (procscan_list_has(&s.marked, c->pid))
            continue;
        print_process(what, c->state == 'Z' ? "zombie child of the test" : "child of the test",
                      c);
        n++;
    }
    procscan_snap_free(&s);
    if (n)
        cleanup();
    return n;
}

size_t procmark_settle(const char *what, double settle_s)
{
    double limit = procscan_now_s() + settle_s;
    struct procscan_snap s = {0};
    bool clean = false;

    for (;;) {
        /* Orphans adopted by the test exit in their own time: reaping them is settling. */
        (void) procscan_reap(0, NULL);
        clean = procscan_snap_take(&s, getpid(), mark, NULL) == 0 && s.marked.len == 0 &&
                s.children.len == 0;
        if (clean || procscan_now_s() > limit)
            break;
        procscan_pause(POLL_S);
    }
    procscan_snap_free(&s);
    if (clean)
        return 0;
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
    char path[sizeof(ready_dir) + 16];
    int r;

    snprintf(ready_dir, sizeof(ready_dir), "%s", "/tmp/procmark-ready.XXXXXX");
    r = procscan_fifo_open(ready_dir, path, sizeof(path), ret_fds);
    if (r < 0) {
        ready_dir[0] = '\0';
        return r;
    }
    snprintf(ready_entry, sizeof(ready_entry), "%s=%s", PROCMARK_READY_VAR, path);
    if (setenv(PROCMARK_READY_VAR, path, 1) < 0) {
        r = -errno;
        procmark_ready_close(ret_fds);
        return r;
    }
    if (ret_entry)
        *ret_entry = ready_entry;
    return 0;
}

void procmark_ready_release(int fds[2])
{
    (void) fds;
    (void) unsetenv(PROCMARK_READY_VAR); /* cannot fail for a valid name */
}

void procmark_ready_close(int fds[2])
{
    procscan_fifo_close(ready_dir, fds);
    ready_dir[0] = '\0';
}

long procmark_read_ready(int fd, size_t n, double limit_s, pid_t *pids, size_t max)
{
    double limit = procscan_now_s() + limit_s;
    char buf[8192];
    size_t len = 0, lines = 0, count = 0;

    while (lines < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        double left = limit - procscan_now_s();
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
    double limit = procscan_now_s() + limit_s;

    for (;;) {
        size_t stopped = 0;
        for (size_t i = 0; i < n; i++)
            stopped += procmark_state(pids[i]) == 'T';
        if (want_stopped ? stopped == n : stopped == 0)
            return true;
        if (procscan_now_s() > limit)
            return false;
        procscan_pause(POLL_S);
    }
}
