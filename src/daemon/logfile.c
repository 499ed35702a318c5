/* logfile.c: job output from pipes into size-rotated files (logfile.h). Only the daemon uses
 * it; a job whose output goes to the daemon's own stdout/stderr or to /dev/null gets that fd
 * directly and never passes through here. */
#include "logfile.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"

/* How far past maxbytes a line that started may go before it is split across two files. */
#define LINE_OVERSHOOT_MAX ((size_t) 64 << 10)
#define READ_CHUNK ((size_t) 64 << 10)
#define READS_PER_WAKEUP 4 /* then let the other pipes have their turn */

struct logfile {
    unsigned refs;
    char *path;
    int fd;
    size_t size;         /* of the current file, as far as we wrote it */
    size_t maxbytes;
    unsigned backups;
    bool at_bol;         /* the last byte written ended a line (or nothing was written) */
    bool failed;         /* a write error was reported: report the next only after a success */
    size_t lost;         /* bytes dropped by write errors, not yet reported in the file */
    int lost_err;        /* the errno that dropped them */
};

struct logpipe {
    struct logger *owner;
    struct logfile *dest;
    int fd;
    ev_io io;
};

/* The final component is never followed (a job's owner who can write the log's directory
 * could point a symlink at any file of root's), a FIFO neither blocks the open nor is kept
 * (its reader could stall the daemon), and a regular file with a second name is refused (a
 * hard link made to someone else's file). */
static int open_append(const char *path, size_t *ret_size)
{
    struct stat st;
    int fd = open(path,
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK,
                  0644);
    int r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        r = -ENXIO;
    else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
        r = -EMLINK;
    if (r == 0)
        r = fd_set_nonblock(fd, 0);
    if (r < 0) {
        fd_close(&fd);
        return r;
    }
    *ret_size = S_ISREG(st.st_mode) ? (size_t) st.st_size : 0;
    return fd;
}

const char *logfile_strerror(int err)
{
    switch (err) {
    case -ELOOP:
        return "it is a symbolic link (never followed for a log)";
    case -ENXIO:
        return "it is a FIFO, a socket or a directory, not a file";
    case -EMLINK:
        return "it has more than one hard link (refused: it could be someone else's file)";
    default:
        return strerror(-err);
    }
}

int logfile_open(const char *path, size_t maxbytes, unsigned backups, struct logfile **ret_file)
{
    struct logfile *f = calloc(1, sizeof(*f));
    int fd;

    if (!f)
        return -ENOMEM;
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return -ENOMEM;
    }
    fd = open_append(path, &f->size);
    if (fd < 0) {
        free(f->path);
        free(f);
        return fd;
    }
    f->fd = fd;
    f->refs = 1;
    f->maxbytes = maxbytes;
    f->backups = backups;
    f->at_bol = true;
    *ret_file = f;
    return 0;
}

struct logfile *logfile_ref(struct logfile *f)
{
    f->refs++;
    return f;
}

void logfile_unref(struct logfile *f)
{
    if (!f || --f->refs > 0)
        return;
    fd_close(&f->fd);
    free(f->path);
    free(f);
}

const char *logfile_path(const struct logfile *f)
{
    return f->path;
}

int logfile_reopen(struct logfile *f)
{
    size_t size;
    int fd = open_append(f->path, &size);

    if (fd < 0)
        return fd;
    fd_close(&f->fd);
    f->fd = fd;
    f->size = size;
    return 0;
}

static void report(struct logfile *f, const char *what, int err)
{
    if (!f->failed)
        log_msg("cannot %s log '%s': %s; dropping output, continuing", what, f->path,
                logfile_strerror(-err));
    f->failed = true;
}

/* PATH.N-1 → PATH.N, ..., PATH → PATH.1, then a new PATH. The counter restarts at 0 even if
 * something failed, so that a broken rotation costs one message, not one per write. */
static void rotate(struct logfile *f)
{
    size_t len = strlen(f->path) + 16;
    char *from = malloc(len), *to = malloc(len);
    int fd;

    f->size = 0;
    if (f->backups == 0) {
        if (ftruncate(f->fd, 0) < 0)
            report(f, "truncate", errno);
        goto out;
    }
    if (!from || !to) {
        report(f, "rotate", ENOMEM);
        goto out;
    }
    for (unsigned i = f->backups; i > 1; i--) {
        snprintf(from, len, "%s.%u", f->path, i - 1);
        snprintf(to, len, "%s.%u", f->path, i);
        if (rename(from, to) < 0 && errno != ENOENT)
            report(f, "rotate", errno);
    }
    snprintf(to, len, "%s.1", f->path);
    if (rename(f->path, to) < 0 && errno != ENOENT) {
        report(f, "rotate", errno);
        goto out;
    }
    fd = open_append(f->path, &f->size);
    if (fd < 0) {
        /* Keep writing into what is now PATH.1 rather than losing output. */
        report(f, "reopen", -fd);
        goto out;
    }
    fd_close(&f->fd);
    f->fd = fd;
out:
    free(from);
    free(to);
}

/* How many of the len bytes at buf go into the current file; 0 when it must be rotated
 * first. */
static size_t next_piece(struct logfile *f, const char *buf, size_t len)
{
    size_t room, limit;
    const char *nl;

    if (!f->maxbytes)
        return len;
    if (f->size >= f->maxbytes && (f->at_bol || f->size >= f->maxbytes + LINE_OVERSHOOT_MAX))
        return 0;
    room = f->size < f->maxbytes ? f->maxbytes - f->size : 0;
    if (len <= room)
        return len;
    /* It does not all fit: cut after the last whole line that does. */
    nl = room ? memrchr(buf, '\n', room) : NULL;
    if (nl)
        return (size_t) (nl - buf) + 1;
    if (f->at_bol && f->size > 0)
        return 0;
    /* A line that started here (or one longer than a whole file) is finished here, up to the
     * overshoot limit. */
    limit = f->maxbytes + LINE_OVERSHOOT_MAX - f->size;
    if (limit > len)
        limit = len;
    nl = memchr(buf, '\n', limit);
    return nl ? (size_t) (nl - buf) + 1 : limit;
}

/* Writes what reached the file into the bookkeeping; what did not is counted as lost. */
static int put(struct logfile *f, const char *buf, size_t len)
{
    size_t done;
    int r = fd_write_counted(f->fd, buf, len, &done);

    f->size += done;
    if (done > 0)
        f->at_bol = buf[done - 1] == '\n';
    return r;
}

/* After bytes were lost, the file says so before anything else goes in: a line of its own,
 * so that the cut line is not glued to what follows. Returns 0 once it is in the file. */
static int put_marker(struct logfile *f)
{
    char text[160];
    int n = snprintf(text, sizeof(text), "%s[pgsup: %zu bytes lost: %s]\n",
                     f->at_bol || f->size == 0 ? "" : "\n", f->lost, strerror(f->lost_err));
    int r = put(f, text, (size_t) n);

    if (r < 0)
        f->lost_err = -r;
    else
        f->lost = 0;
    return r;
}

void logfile_write(struct logfile *f, const char *buf, size_t len)
{
    while (len > 0) {
        size_t n = next_piece(f, buf, len), before;
        int r;
        if (n == 0) {
            rotate(f);
            continue; /* size is 0 now: the next piece is never empty */
        }
        if (f->lost && put_marker(f) < 0) {
            f->lost += n; /* still failing: none of this piece goes in either */
        } else {
            before = f->size;
            r = put(f, buf, n);
            if (r < 0) {
                report(f, "write", -r);
                f->lost += n - (f->size - before);
                f->lost_err = -r;
            } else {
                f->failed = false;
            }
        }
        buf += n;
        len -= n;
    }
}

static void logpipe_free(struct logpipe *p)
{
    ev_io_stop(p->owner->loop, &p->io);
    fd_close(&p->fd);
    logfile_unref(p->dest);
    p->owner->pipes--;
    free(p);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct logpipe *p = w->data;
    char buf[READ_CHUNK];

    (void) loop;
    (void) revents;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        ssize_t n = read(p->fd, buf, sizeof(buf));
        if (n > 0) {
            logfile_write(p->dest, buf, (size_t) n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        logpipe_free(p); /* end of file: every writer is gone */
        return;
    }
}

int logpipe_open(struct logger *lg, struct logfile *dest, int *ret_write_fd)
{
    struct logpipe *p = calloc(1, sizeof(*p));
    int fds[2], r;

    if (!p)
        return -ENOMEM;
    r = fd_pipe(fds);
    if (r < 0) {
        free(p);
        return r;
    }
    r = fd_set_nonblock(fds[0], 1);
    if (r < 0) {
        fd_close(&fds[0]);
        fd_close(&fds[1]);
        free(p);
        return r;
    }
    p->owner = lg;
    p->dest = logfile_ref(dest);
    p->fd = fds[0];
    ev_io_init(&p->io, on_readable, p->fd, EV_READ);
    p->io.data = p;
    ev_io_start(lg->loop, &p->io);
    lg->pipes++;
    *ret_write_fd = fds[1];
    return 0;
}
