/* reaper.c: reaping the daemon's adopted orphans without touching libpgsup's children (see
 * reaper.h). The children are listed from /proc/self/task/TID/children, which holds zombies
 * too until they are reaped. */
#include "reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/fd.h"
#include "core/proc.h"
#include "core/procns.h"

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

    return (x > y) - (x < y);
}

static bool owned(const struct reaper *r, pid_t pid)
{
    return r->len && bsearch(&pid, r->owned, r->len, sizeof(pid), cmp_pid);
}

int reaper_own(struct reaper *r, pid_t pid)
{
    size_t i = 0;

    if (owned(r, pid))
        return 0;
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        pid_t *v = realloc(r->owned, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->owned = v;
        r->cap = cap;
    }
    while (i < r->len && r->owned[i] < pid)
        i++;
    memmove(r->owned + i + 1, r->owned + i, (r->len - i) * sizeof(*r->owned));
    r->owned[i] = pid;
    r->len++;
    return 0;
}

void reaper_disown(struct reaper *r, pid_t pid)
{
    pid_t *p = r->len ? bsearch(&pid, r->owned, r->len, sizeof(pid), cmp_pid) : NULL;

    if (!p)
        return;
    memmove(p, p + 1, (size_t) (r->owned + r->len - (p + 1)) * sizeof(*p));
    r->len--;
}

void reaper_free(struct reaper *r)
{
    free(r->owned);
    *r = (struct reaper){0};
}

/* Calls fn for each child of ours listed by the kernel. Returns 0 or -errno. */
static int each_child(struct reaper *r, int (*fn)(struct reaper *r, pid_t pid))
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    int n = 0;

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        char path[300], buf[8192];
        ssize_t len;
        size_t have = 0;
        int fd;
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "%s/children", de->d_name);
        fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* Read in pieces: a long list does not fit one buffer; a pid cut in two at the end
         * of a piece is carried over to the next. */
        while ((len = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0 || (len < 0 && errno == EINTR)) {
            char *p, *end;
            if (len < 0)
                continue;
            have += (size_t) len;
            buf[have] = '\0';
            p = buf;
            for (;;) {
                long pid = strtol(p, &end, 10);
                if (end == p || *end == '\0')
                    break; /* nothing, or a number that may go on in the next piece */
                if (pid > 0)
                    n += fn(r, (pid_t) pid);
                p = end;
            }
            have = strlen(p);
            memmove(buf, p, have + 1);
        }
        if (have > 0) {
            long pid = strtol(buf, NULL, 10);
            if (pid > 0)
                n += fn(r, (pid_t) pid);
        }
        fd_close(&fd);
    }
    closedir(d);
    return n;
}

static int reap_one(struct reaper *r, pid_t pid)
{
    siginfo_t si = {0};

    if (owned(r, pid))
        return 0;
    /* WNOHANG: a live adopted child stays; ECHILD: someone reaped it meanwhile. */
    if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == pid)
        return 1;
    return 0;
}

static int count_one(struct reaper *r, pid_t pid)
{
    struct proc_entry e;

    return !owned(r, pid) && proc_stat_read(pid, &e) == 0 && e.state != 'Z';
}

/* Without a /proc of our PID namespace (procns.h) /proc/self/task/TID/children lists other
 * processes' numbers: the exited children are found one at a time with WNOWAIT instead. An
 * owned one ends the pass: libpgsup reaps it, and the runner calls reaper_reap() after that. */
static int reap_unlisted(struct reaper *r)
{
    int n = 0;

    for (;;) {
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0 ||
            owned(r, si.si_pid))
            return n;
        n += reap_one(r, si.si_pid);
    }
}

int reaper_reap(struct reaper *r)
{
    return procns_check() < 0 ? reap_unlisted(r) : each_child(r, reap_one);
}

int reaper_count_adopted(struct reaper *r)
{
    /* Live children cannot be listed without our /proc: none is counted (as PID 1, the
     * kernel kills them when the daemon exits). */
    return procns_check() < 0 ? 0 : each_child(r, count_one);
}
