/* proc.c: the only reader of /proc. It reports what the kernel says and decides nothing:
 * tree.c decides who belongs to a job. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"

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
    ssize_t n;

    snprintf(path, sizeof(path), "%s/stat", name);
    fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    n = fd_read_all(fd, buf, sizeof(buf) - 1);
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
