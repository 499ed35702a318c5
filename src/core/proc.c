/* proc.c: the only reader of /proc. It reports what the kernel says and decides nothing:
 * tree.c decides who belongs to a job. A /proc of another PID namespace is never read
 * (procns.h): its processes are not the ones our pids name, so a snapshot is then empty. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "procns.h"

int proc_stat_parse(const char *text, struct proc_entry *ret)
{
    struct proc_entry e = {0};
    const char *rp;
    int pid, ppid, pgid, sid;
    char state;
    unsigned long long start;

    /* The command name is in parentheses and may itself contain ") ": the last ')' ends it. */
    if (sscanf(text, "%d", &pid) != 1)
        return -EINVAL;
    rp = strrchr(text, ')');
    if (!rp)
        return -EINVAL;
    /* Fields after the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
     * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime. */
    if (sscanf(rp + 1,
               " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &state, &ppid, &pgid, &sid, &start) != 5)
        return -EINVAL;
    e.pid = pid;
    e.ppid = ppid;
    e.pgid = pgid;
    e.sid = sid;
    e.state = state;
    e.start = start;
    *ret = e;
    return 0;
}

static int stat_read_at(int dir_fd, const char *name, struct proc_entry *ret)
{
    char path[64], buf[1024];
    int fd;
    ssize_t n = procns_check();

    if (n < 0)
        return (int) n; /* every entry of a snapshot comes through here */
    snprintf(path, sizeof(path), "%s/stat", name);
    fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    /* The kernel makes the whole stat line on the first read: a second read would only see
     * the end of file. */
    n = fd_read(fd, buf, sizeof(buf) - 1);
    fd_close(&fd);
    if (n <= 0)
        return n == 0 ? -ESRCH : (int) n;
    buf[n] = '\0';
    return proc_stat_parse(buf, ret);
}

int proc_stat_read(pid_t pid, struct proc_entry *ret)
{
    char name[32];

    snprintf(name, sizeof(name), "/proc/%d", (int) pid);
    return stat_read_at(AT_FDCWD, name, ret);
}

/* Parses the pids of one children file, carrying a number cut by a read across reads, and
 * appends each child's entry. Returns 0, or -ENOENT if there is no such file. */
static int add_children_of_task(const char *path, struct proc_table *t)
{
    char buf[4096];
    long pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    int r = 0;

    if (fd < 0)
        return -errno;
    while ((n = fd_read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n && r == 0; i++) {
            struct proc_entry e;
            if (buf[i] >= '0' && buf[i] <= '9') {
                pid = pid * 10 + (buf[i] - '0');
                continue;
            }
            if (pid > 0 && proc_stat_read((pid_t) pid, &e) == 0)
                r = proc_table_add(t, &e);
            pid = 0;
        }
        if (r < 0)
            break;
    }
    fd_close(&fd);
    return r;
}

/* Appends the children of every thread of pid (a child belongs to the thread that forked
 * it). A process that is gone has none. */
static int add_children(pid_t pid, struct proc_table *t)
{
    char path[64];
    struct dirent *de;
    DIR *d;
    int r = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
    d = opendir(path);
    if (!d)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    while (r == 0 && (de = readdir(d))) {
        char children[sizeof(path) + 2 * sizeof(de->d_name)];
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(children, sizeof(children), "%s/%s/children", path, de->d_name);
        r = add_children_of_task(children, t);
        if (r == -ENOENT || r == -ESRCH)
            r = 0; /* the thread ended meanwhile */
    }
    closedir(d);
    return r;
}

int proc_scan_descendants(pid_t root, struct proc_table *t)
{
    struct proc_entry e;
    size_t walked;
    int r = 0;

    t->len = 0;
    /* The children files need CONFIG_PROC_CHILDREN; every thread has one when it is set. */
    if (access("/proc/thread-self/children", R_OK) < 0)
        return errno == ENOENT ? -ENOSYS : -errno;
    /* root itself first (it may be a member, if it is in the group), unless it is gone. */
    if (proc_stat_read(root, &e) == 0 && (r = proc_table_add(t, &e)) < 0)
        return r;
    walked = t->len;
    r = add_children(root, t);
    /* Breadth first: t grows while it is walked, and each entry's children are appended. */
    for (; r == 0 && walked < t->len; walked++)
        r = add_children(t->v[walked].pid, t);
    return r;
}

int proc_table_add(struct proc_table *t, const struct proc_entry *e)
{
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct proc_entry *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->len++] = *e;
    return 0;
}

int proc_scan(struct proc_table *t)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int r = 0;

    t->len = 0;
    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        struct proc_entry e;
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        if (stat_read_at(dirfd(d), de->d_name, &e) < 0)
            continue; /* exited while we scanned: not a member any more */
        r = proc_table_add(t, &e);
        if (r < 0)
            break;
    }
    closedir(d);
    return r;
}

void proc_table_free(struct proc_table *t)
{
    free(t->v);
    t->v = NULL;
    t->len = t->cap = 0;
}

static int cmp_pid(const void *a, const void *b)
{
    const struct proc_entry *x = a, *y = b;

    return (x->pid > y->pid) - (x->pid < y->pid);
}

void proc_entries_sort(struct proc_entry *v, size_t len)
{
    if (len > 0)
        qsort(v, len, sizeof(*v), cmp_pid);
}

const struct proc_entry *proc_entries_find(const struct proc_entry *v, size_t len, pid_t pid)
{
    struct proc_entry key = {.pid = pid};

    return len > 0 ? bsearch(&key, v, len, sizeof(*v), cmp_pid) : NULL;
}
