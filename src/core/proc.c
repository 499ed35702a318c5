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
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "procns.h"

int proc_stat_parse(const char *text, struct proc_entry *ret)
{
    struct proc_entry e = {0};
    const char *rp;
    int pid, ppid, pgid, sid;
    unsigned threads;
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
               " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %u %*d %llu",
               &state, &ppid, &pgid, &sid, &threads, &start) != 6)
        return -EINVAL;
    e.pid = pid;
    e.ppid = ppid;
    e.pgid = pgid;
    e.sid = sid;
    e.state = state;
    e.threads = threads;
    e.start = start;
    *ret = e;
    return 0;
}

bool proc_entry_alive(const struct proc_entry *e)
{
    return (e->state != 'Z' && e->state != 'X') || e->threads > 1;
}

unsigned long long proc_boot_ticks(void)
{
    static long hz;
    struct timespec ts;

    if (hz <= 0)
        hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
        return 0;
    /* The kernel's own conversion (nsec_to_clock_t) rounds down as well. */
    return (unsigned long long) ts.tv_sec * (unsigned long long) hz +
           (unsigned long long) ts.tv_nsec / (1000000000ULL / (unsigned long long) hz);
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

/* Calls fn for each pid of one children file, carrying a number cut by a read across reads.
 * Returns 0, fn's negative value, or -errno (-ENOENT if there is no such file). */
static int each_pid_in_file(const char *path, proc_child_fn *fn, void *userdata)
{
    char buf[4096];
    long pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    int r = 0;

    if (fd < 0)
        return -errno;
    while (r >= 0 && (n = fd_read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n && r >= 0; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                pid = pid * 10 + (buf[i] - '0');
                continue;
            }
            if (pid > 0)
                r = fn((pid_t) pid, userdata);
            pid = 0;
        }
    }
    if (r >= 0 && pid > 0)
        r = fn((pid_t) pid, userdata); /* a last number with no blank after it */
    fd_close(&fd);
    return r < 0 ? r : 0;
}

/* Calls fn for the children of every thread of pid (a child belongs to the thread that forked
 * it; when that thread ends, to another thread of its process). A process that is gone has
 * none. */
static int each_child_of_tasks(pid_t pid, proc_child_fn *fn, void *userdata)
{
    char path[64];
    struct dirent *de;
    DIR *d;
    int r = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
    d = opendir(path);
    if (!d)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    while (r >= 0 && (de = readdir(d))) {
        char children[sizeof(path) + 2 * sizeof(de->d_name)];
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(children, sizeof(children), "%s/%s/children", path, de->d_name);
        r = each_pid_in_file(children, fn, userdata);
        if (r == -ENOENT || r == -ESRCH)
            r = 0; /* the thread ended meanwhile */
    }
    closedir(d);
    return r;
}

/* The children files need CONFIG_PROC_CHILDREN; every thread has one when it is set. */
static bool have_children_files(void)
{
    return access("/proc/thread-self/children", R_OK) == 0;
}

static int add_child(pid_t pid, void *userdata)
{
    struct proc_entry e;

    /* A child gone since the list was read is not one any more. */
    return proc_stat_read(pid, &e) == 0 ? proc_table_add(userdata, &e) : 0;
}

int proc_scan_descendants(pid_t root, struct proc_table *t)
{
    struct proc_entry e;
    size_t walked;
    int r = 0;

    t->len = 0;
    if (!have_children_files())
        return errno == ENOENT ? -ENOSYS : -errno;
    /* root itself first (it may be a member, if it is in the group), unless it is gone. */
    if (proc_stat_read(root, &e) == 0 && (r = proc_table_add(t, &e)) < 0)
        return r;
    walked = t->len;
    r = each_child_of_tasks(root, add_child, t);
    /* Breadth first: t grows while it is walked, and each entry's children are appended. */
    for (; r == 0 && walked < t->len; walked++)
        r = each_child_of_tasks(t->v[walked].pid, add_child, t);
    return r;
}

int proc_each_child(pid_t parent, proc_child_fn *fn, void *userdata)
{
    struct proc_table all = {0};
    int r = procns_check();

    if (r < 0)
        return r; /* another namespace's numbers: nothing to call fn for */
    if (have_children_files())
        return each_child_of_tasks(parent, fn, userdata);
    /* No children files (an older or smaller kernel): the whole table, filtered. */
    r = proc_scan(&all);
    for (size_t i = 0; r >= 0 && i < all.len; i++)
        if (all.v[i].ppid == parent)
            r = fn(all.v[i].pid, userdata);
    proc_table_free(&all);
    return r < 0 ? r : 0;
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
