/* members.c: /proc/PID/stat reading for the reap benchmark. Deliberately independent of
 * src/core/proc.c: the benchmark checks pgsup's work with its own eyes. */
#include "members.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct stat_fields {
    char state;
    pid_t ppid, pgid;
};

/* Reads state, ppid and pgid of /proc/<name>; -ESRCH if it vanished meanwhile. */
static int read_stat(int proc_fd, const char *name, struct stat_fields *ret)
{
    char path[64], buf[1024];
    const char *rp;
    int fd, ppid, pgid;
    char state;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/stat", name);
    fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ESRCH;
    n = read(fd, buf, sizeof(buf) - 1); /* one read: the kernel renders stat in one go */
    (void) close(fd);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    /* The command name may contain ") ": the last ')' ends it. */
    rp = strrchr(buf, ')');
    if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgid) != 3)
        return -EINVAL;
    *ret = (struct stat_fields){.state = state, .ppid = ppid, .pgid = pgid};
    return 0;
}

/* What a scan looks for: processes of group pgid, or children of ppid outside skip_pgid.
 * With neither set, it only counts. */
struct filter {
    pid_t pgid, ppid, skip_pgid;
};

static int scan(const struct filter *f, struct members_count *ret, int *ret_all)
{
    struct members_count c = {0};
    struct dirent *de;
    int all = 0;
    DIR *d = opendir("/proc");

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        struct stat_fields st;
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        all++;
        if ((f->pgid <= 0 && f->ppid <= 0) || read_stat(dirfd(d), de->d_name, &st) < 0)
            continue;
        if (f->pgid > 0 && st.pgid != f->pgid)
            continue;
        if (f->ppid > 0 && (st.ppid != f->ppid || st.pgid == f->skip_pgid))
            continue;
        c.total++;
        c.sleeping += st.state == 'S';
        c.zombies += st.state == 'Z';
    }
    closedir(d);
    if (ret)
        *ret = c;
    if (ret_all)
        *ret_all = all;
    return 0;
}

int members_count_group(pid_t pgid, struct members_count *ret)
{
    return scan(&(struct filter){.pgid = pgid}, ret, NULL);
}

int members_count_children(pid_t ppid, pid_t skip_pgid, unsigned *ret)
{
    struct members_count c;
    int r = scan(&(struct filter){.ppid = ppid, .skip_pgid = skip_pgid}, &c, NULL);

    if (r < 0)
        return r;
    *ret = c.total;
    return 0;
}

int members_count_system(void)
{
    int all, r = scan(&(struct filter){0}, NULL, &all);

    return r < 0 ? r : all;
}
