/* procscan.c: the /proc readers, the snapshot of marked processes and the cleanup by pidfd that
 * treecheck, procmark and daemontest share (procscan.h). The checks themselves, their waits and
 * their messages stay in those three files. */
#include "procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double procscan_now_s(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void procscan_pause(double s)
{
    struct timespec t = {.tv_sec = (time_t) s, .tv_nsec = (long) ((s - (double) (time_t) s) * 1e9)};

    (void) nanosleep(&t, NULL); /* EINTR: the caller looks at the clock */
}

ssize_t procscan_read(pid_t pid, const char *name, char **ret_buf)
{
    char path[64];
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int fd = -1, r;

    if (!buf)
        return -ENOMEM;
    snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        goto fail;
    }
    for (;;) {
        ssize_t n;
        /* One byte is kept for the NUL: stat and environ are parsed as strings. */
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                r = -ENOMEM;
                goto fail;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    (void) close(fd); /* read-only: nothing to lose */
    buf[len] = '\0';
    *ret_buf = buf;
    return (ssize_t) len;
fail:
    free(buf);
    if (fd >= 0)
        (void) close(fd); /* read-only: nothing to lose */
    return r;
}

int procscan_stat(pid_t pid, struct procscan_proc *ret)
{
    char *text, *p, state;
    ssize_t len = procscan_read(pid, "stat", &text);
    int ppid, r = -EINVAL;
    unsigned threads;

    if (len < 0)
        return (int) len;
    /* The command name may hold anything, ')' included: the fields follow the last ')'. */
    p = strrchr(text, ')');
    /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
     * cutime cstime priority nice num_threads */
    if (p && sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %u",
                    &state, &ppid, &threads) == 3) {
        *ret = (struct procscan_proc){.pid = pid, .ppid = ppid, .state = state,
                                      .threads = threads};
        r = 0;
    }
    free(text);
    return r;
}

bool procscan_alive(const struct procscan_proc *p)
{
    return (p->state != 'Z' && p->state != 'X') || p->threads > 1;
}

bool procscan_is_alive(pid_t pid)
{
    struct procscan_proc e;

    return procscan_stat(pid, &e) == 0 && procscan_alive(&e);
}

bool procscan_env_holds(const char *env, size_t len, const char *entry)
{
    size_t entry_len = strlen(entry);

    /* The last entry may lack its NUL if the process overwrote its environment. */
    for (size_t at = 0; at < len;) {
        size_t n = strnlen(env + at, len - at);
        if (n == entry_len && memcmp(env + at, entry, entry_len) == 0)
            return true;
        at += n + 1;
    }
    return false;
}

static bool environ_has(pid_t pid, const char *name, const char *entry, const char *also,
                        bool *ret_read)
{
    char *env;
    ssize_t len = procscan_read(pid, name, &env);
    bool found;

    *ret_read = len > 0;
    if (len < 0)
        return false;
    found = procscan_env_holds(env, (size_t) len, entry) &&
            (!also || procscan_env_holds(env, (size_t) len, also));
    free(env);
    return found;
}

/* procscan_has_entry() for a process whose stat is known: only one whose main thread has
 * exited is read through its live threads (a kernel thread's environ is empty too, and there
 * are many: each scan would look into all their tasks). */
static bool has_entry(const struct procscan_proc *e, const char *entry, const char *also)
{
    char name[64];
    struct dirent *de;
    bool read = false, found = environ_has(e->pid, "environ", entry, also, &read);
    DIR *d;

    if (read || e->state != 'Z' || e->threads < 2)
        return found;
    /* The main thread has exited: the file follows it, and it has no memory left. A live
     * thread shares the process's memory: its own file tells. */
    snprintf(name, sizeof(name), "/proc/%d/task", (int) e->pid);
    d = opendir(name);
    if (!d)
        return false;
    while (!read && (de = readdir(d))) {
        if (!isdigit((unsigned char) de->d_name[0]))
            continue;
        snprintf(name, sizeof(name), "task/%.16s/environ", de->d_name);
        found = environ_has(e->pid, name, entry, also, &read);
    }
    (void) closedir(d); /* a directory stream: nothing to lose */
    return found;
}

bool procscan_has_entry(pid_t pid, const char *entry, const char *also)
{
    struct procscan_proc e;

    return procscan_stat(pid, &e) == 0 && has_entry(&e, entry, also);
}

void procscan_cmdline(pid_t pid, char *buf, size_t buf_len)
{
    char *text;
    ssize_t len = procscan_read(pid, "cmdline", &text);
    size_t n;

    if (len <= 0) {
        snprintf(buf, buf_len, "%s", len == 0 ? "(no cmdline: zombie or kernel thread)" : "(gone)");
        if (len == 0)
            free(text);
        return;
    }
    n = (size_t) len < buf_len - 1 ? (size_t) len : buf_len - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = text[i] == '\0' ? ' ' : isprint((unsigned char) text[i]) ? text[i] : '?';
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    free(text);
}

static int list_push(struct procscan_list *l, const struct procscan_proc *e)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct procscan_proc *bigger = realloc(l->v, cap * sizeof(*bigger));
        if (!bigger)
            return -ENOMEM;
        l->v = bigger;
        l->cap = cap;
    }
    l->v[l->len++] = *e;
    return 0;
}

bool procscan_list_has(const struct procscan_list *l, pid_t pid)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->v[i].pid == pid)
            return true;
    return false;
}

void procscan_list_free(struct procscan_list *l)
{
    free(l->v);
    *l = (struct procscan_list){0};
}

/* Calls visit for every process in /proc, in readdir order, until it returns < 0. Returns 0 or
 * that -errno. */
static int scan_each(int (*visit)(const struct procscan_proc *e, void *userdata), void *userdata)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int r = 0;

    if (!d)
        return -errno;
    while (r >= 0 && (de = readdir(d))) {
        struct procscan_proc e;
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (!isdigit((unsigned char) de->d_name[0]) || *end || pid <= 0)
            continue;
        if (procscan_stat((pid_t) pid, &e) < 0)
            continue; /* gone since readdir */
        r = visit(&e, userdata);
    }
    (void) closedir(d); /* a directory stream: nothing to lose */
    return r;
}

static int visit_all(const struct procscan_proc *e, void *userdata)
{
    return list_push(userdata, e);
}

int procscan_list_all(struct procscan_list *all)
{
    all->len = 0;
    return scan_each(visit_all, all);
}

struct snap_filter {
    struct procscan_snap *s;
    pid_t self;
    const char *mark, *also;
};

static int visit_snap(const struct procscan_proc *e, void *userdata)
{
    const struct snap_filter *f = userdata;
    int r = 0;

    if (e->pid == f->self)
        return 0;
    if (e->ppid == f->self)
        r = list_push(&f->s->children, e);
    /* A zombie has no environment left: never marked; the children list finds our own. */
    if (r == 0 && procscan_alive(e) && has_entry(e, f->mark, f->also))
        r = list_push(&f->s->marked, e);
    return r;
}

int procscan_snap_take(struct procscan_snap *s, pid_t self, const char *mark, const char *also)
{
    struct snap_filter f = {.s = s, .self = self, .mark = mark, .also = also};

    s->marked.len = s->children.len = 0;
    return scan_each(visit_snap, &f);
}

void procscan_snap_free(struct procscan_snap *s)
{
    procscan_list_free(&s->marked);
    procscan_list_free(&s->children);
}

bool procscan_reap(pid_t pid, int *ret_status)
{
    bool seen = false;
    int status;
    pid_t p;

    while ((p = waitpid(-1, &status, WNOHANG)) > 0 || (p < 0 && errno == EINTR)) {
        if (pid > 0 && p == pid) {
            seen = true;
            if (ret_status)
                *ret_status = status;
        }
    }
    return seen;
}

int procscan_pidfd_open(pid_t pid)
{
    long fd = syscall(SYS_pidfd_open, pid, 0);

    return fd < 0 ? -errno : (int) fd;
}

int procscan_pidfd_signal(int pidfd, int sig)
{
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

int procscan_kill_marked(pid_t pid, const char *mark)
{
    int fd = procscan_pidfd_open(pid), r = -ESRCH;

    if (fd < 0)
        return fd; /* gone */
    /* The pidfd pins the pid: if it still carries the marker now, it is the process seen, not
     * a recycled pid. */
    if (procscan_has_entry(pid, mark, NULL))
        r = procscan_pidfd_signal(fd, SIGKILL); /* -ESRCH: it died meanwhile */
    (void) close(fd); /* a pidfd: nothing to lose */
    return r;
}

bool procscan_cleanup(struct procscan_snap *s, pid_t self, const char *mark, double limit_s,
                      double pause_s, bool kill_children)
{
    double limit = procscan_now_s() + limit_s;

    for (;;) {
        (void) procscan_reap(0, NULL);
        if (procscan_snap_take(s, self, mark, NULL) < 0)
            return false;
        if (s->marked.len == 0 && s->children.len == 0)
            return true;
        for (size_t i = 0; i < s->marked.len; i++)
            (void) procscan_kill_marked(s->marked.v[i].pid, mark); /* gone: fine */
        for (size_t i = 0; kill_children && i < s->children.len; i++)
            if (procscan_alive(&s->children.v[i]))
                (void) kill(s->children.v[i].pid, SIGKILL); /* our unreaped child: surely it */
        if (procscan_now_s() > limit)
            return false;
        procscan_pause(pause_s);
    }
}

void procscan_fifo_close(const char *dir, int fds[2])
{
    char path[4096];

    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            (void) close(fds[i]); /* a FIFO end: nothing to lose */
        fds[i] = -1;
    }
    if (!dir[0])
        return;
    snprintf(path, sizeof(path), "%s/ready", dir);
    (void) unlink(path); /* ENOENT: never made */
    (void) rmdir(dir);
}

int procscan_fifo_open(char *dir_template, char *path, size_t path_len, int ret_fds[2])
{
    int fds[2] = {-1, -1}, r = 0;

    if (!mkdtemp(dir_template))
        return -errno;
    snprintf(path, path_len, "%s/ready", dir_template);
    if (mkfifo(path, 0600) < 0 || (fds[0] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
        (fds[1] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
        r = -errno;
    if (r < 0) {
        procscan_fifo_close(dir_template, fds);
        return r;
    }
    ret_fds[0] = fds[0];
    ret_fds[1] = fds[1];
    return 0;
}
