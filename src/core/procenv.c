/* procenv.c: a process's environment from /proc (procenv.h). Read in full (up to ENVIRON_MAX)
 * and searched entry by entry: a marker matches a whole entry, never a part of a value. */
#include "procenv.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fd.h"

#define ENVIRON_MAX ((size_t) 16 << 20)

/* Reads the environment in path into a malloc'd buffer (up to ENVIRON_MAX). Returns the
 * length (0: none, or unreadable) and sets *ret_buf (NULL when 0). */
static size_t read_environ(const char *path, char **ret_buf)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *ret_buf = NULL;
    if (fd < 0)
        return 0;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            char *b;
            if (cap >= ENVIRON_MAX)
                break;
            cap = cap ? cap * 2 : 16384;
            b = realloc(buf, cap + 1);
            if (!b)
                break;
            buf = b;
        }
        n = fd_read_all(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        if (len < cap)
            break;
    }
    fd_close(&fd);
    if (len == 0) {
        free(buf);
        return 0;
    }
    *ret_buf = buf;
    return len;
}

static bool environ_holds(const char *buf, size_t len, const char *marker, bool exact)
{
    size_t mlen = strlen(marker);

    for (size_t at = 0; at < len;) {
        const char *entry = buf + at;
        const char *end = memchr(entry, '\0', len - at);
        size_t elen = end ? (size_t) (end - entry) : len - at;
        if (elen >= mlen && memcmp(entry, marker, mlen) == 0 && (!exact || elen == mlen))
            return true;
        at += elen + 1;
    }
    return false;
}

/* True if the process's main thread has exited while other threads run (proc_entry_alive()):
 * its /proc/PID/environ follows the main thread, which has no memory left. */
static bool main_thread_exited(const struct proc_entry *e)
{
    return e->state == 'Z' && e->threads > 1;
}

/* Only a process whose main thread has exited is read through its other threads (each shares
 * the process's memory), so that scans do not look into the tasks of every kernel thread,
 * whose environ is empty too. */
bool procenv_has(const struct proc_entry *e, const char *marker, bool exact)
{
    char path[96];
    char *buf;
    size_t len;
    bool found = false;
    DIR *d;
    struct dirent *de;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int) e->pid);
    len = read_environ(path, &buf);
    if (len > 0 || !main_thread_exited(e)) {
        found = len > 0 && environ_holds(buf, len, marker, exact);
        free(buf);
        return found;
    }
    snprintf(path, sizeof(path), "/proc/%d/task", (int) e->pid);
    d = opendir(path);
    if (!d)
        return false;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/environ", (int) e->pid, de->d_name);
        len = read_environ(path, &buf);
        if (len == 0)
            continue;
        found = environ_holds(buf, len, marker, exact);
        free(buf);
        break;
    }
    closedir(d);
    return found;
}

