/* logfile.c: job output from pipes into size-rotated files, or into the daemon's own stdout
 * and stderr with the last bytes kept for ctl tail (logfile.h; reading a tail is logtail.c's).
 * Only the daemon uses it; a job whose output goes to /dev/null gets that fd directly and never
 * passes through here. */
#include "logfile.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "logtail.h"

/* How far past maxbytes a line that started may go before it is split across two files. */
#define LINE_OVERSHOOT_MAX ((size_t) 64 << 10)
#define READ_CHUNK ((size_t) 64 << 10)
#define READS_PER_WAKEUP 4 /* then let the other pipes have their turn */

struct logfile {
    unsigned refs;
    char *path;          /* NULL: a stream */
    int fd;              /* the file; -1 for a stream */
    size_t size;         /* of the current file, as far as we wrote it */
    size_t maxbytes;
    unsigned backups;
    bool at_bol;         /* the last byte written ended a line (or nothing was written) */
    bool failed;         /* a write error was reported: report the next only after a success */
    size_t lost;         /* bytes dropped by write errors, not yet reported in the file */
    int lost_err;        /* the errno that dropped them */
    /* A stream (path NULL) to the daemon's own fd: */
    struct logger *lg;
    int own_fd;          /* 1 or 2 */
    struct logtail_ring ring; /* its last bytes, for ctl tail */
    char *pending;       /* accepted, not yet taken by the sink */
    size_t pending_len, pending_off;
    ev_io sink_io;       /* the sink writable again */
    struct logpipe *paused; /* pipes not read until pending is written */
};

struct logpipe {
    struct logger *owner;
    struct logfile *dest;
    int fd;
    ev_io io;
    struct logpipe *next_paused;
    bool paused;
    struct logpipe *next_open, **prev_open; /* in owner->open_pipes */
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
    if (f->lg)
        ev_io_stop(f->lg->loop, &f->sink_io);
    fd_close(&f->fd);
    free(f->path);
    logtail_ring_free(&f->ring);
    free(f->pending);
    free(f);
}

const char *logfile_path(const struct logfile *f)
{
    return f->path;
}

int logfile_own_fd(const struct logfile *f)
{
    return f->path ? 0 : f->own_fd;
}

int logfile_reopen(struct logfile *f)
{
    size_t size;
    int fd;

    if (!f->path)
        return 0;
    fd = open_append(f->path, &size);

    if (fd < 0)
        return fd;
    fd_close(&f->fd);
    f->fd = fd;
    f->size = size;
    return 0;
}

static void report(struct logfile *f, const char *what, int err)
{
    if (!f->failed && f->path)
        log_msg("cannot %s log '%s': %s; dropping output, continuing", what, f->path,
                logfile_strerror(-err));
    else if (!f->failed)
        log_msg("cannot %s a job's output to the daemon's %s: %s; dropping it, continuing",
                what, f->own_fd == 1 ? "stdout" : "stderr", strerror(err));
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

static void stream_write(struct logfile *f, const char *buf, size_t len);

void logfile_write(struct logfile *f, const char *buf, size_t len)
{
    if (!f->path) {
        stream_write(f, buf, len);
        return;
    }
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
    if (p->paused) {
        for (struct logpipe **pp = &p->dest->paused; *pp; pp = &(*pp)->next_paused) {
            if (*pp == p) {
                *pp = p->next_paused;
                break;
            }
        }
    }
    ev_io_stop(p->owner->loop, &p->io);
    fd_close(&p->fd);
    logfile_unref(p->dest);
    *p->prev_open = p->next_open;
    if (p->next_open)
        p->next_open->prev_open = p->prev_open;
    p->owner->pipes--;
    free(p);
}

/* The stream cannot take more for now: this pipe is not read until it can (the job blocks on a
 * full pipe, as it would on the stream itself). */
static void logpipe_pause(struct logpipe *p)
{
    ev_io_stop(p->owner->loop, &p->io);
    if (!p->paused) {
        p->paused = true;
        p->next_paused = p->dest->paused;
        p->dest->paused = p;
    }
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct logpipe *p = w->data;
    char buf[READ_CHUNK];

    (void) loop;
    (void) revents;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        ssize_t n;
        if (p->dest->pending_len > 0) {
            logpipe_pause(p);
            return;
        }
        n = read(p->fd, buf, sizeof(buf));
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
    p->next_open = lg->open_pipes;
    p->prev_open = &lg->open_pipes;
    if (p->next_open)
        p->next_open->prev_open = &p->next_open;
    lg->open_pipes = p;
    lg->pipes++;
    *ret_write_fd = fds[1];
    return 0;
}

/* ---- streams: the daemon's own stdout and stderr ------------------------------------------ */

void logger_init(struct logger *lg, struct ev_loop *loop)
{
    *lg = (struct logger){.loop = loop};
    for (size_t i = 0; i < 3; i++)
        lg->sinks[i].fd = -1;
}

void logger_free(struct logger *lg)
{
    while (lg->open_pipes)
        logpipe_free(lg->open_pipes);
    for (size_t i = 0; i < 3; i++) {
        if (lg->sinks[i].owned)
            fd_close(&lg->sinks[i].fd);
        lg->sinks[i] = (struct logsink){.fd = -1};
    }
}

/* How the daemon writes to its own fd own without ever blocking: O_NONBLOCK on fd 1 itself
 * would change the file shared with whoever started the daemon (a shell's terminal), so a
 * terminal or pipe is opened again through /proc/self/fd (a file description of our own), a
 * socket (journald's stdout) is written with MSG_DONTWAIT, and a regular file or /dev/null,
 * which never block for long, as they are. */
static const struct logsink *sink_of(struct logger *lg, int own)
{
    struct logsink *k = &lg->sinks[own];
    struct stat st;
    char path[32];
    int fd;

    if (k->fd >= 0)
        return k;
    k->fd = own;
    if (fstat(own, &st) < 0)
        return k; /* closed: writes fail and say so */
    if (S_ISSOCK(st.st_mode)) {
        k->send = true;
    } else if (S_ISFIFO(st.st_mode) || (S_ISCHR(st.st_mode) && isatty(own))) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", own);
        fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
            k->fd = fd;
            k->owned = true;
        } else {
            log_msg("cannot open the daemon's %s again non-blocking: %s; a stalled reader "
                    "stalls the daemon, continuing", own == 1 ? "stdout" : "stderr",
                    strerror(errno));
        }
    }
    return k;
}

/* Writes what the sink takes now. Returns 0 (all of it), -EAGAIN (*ret_done of it) or -errno. */
static int sink_put(const struct logsink *k, const char *buf, size_t len, size_t *ret_done)
{
    size_t done = 0;
    int r = 0;

    if (!k->send) {
        r = fd_write_counted(k->fd, buf, len, &done);
        *ret_done = done;
        return r == -EWOULDBLOCK ? -EAGAIN : r;
    }
    while (done < len) {
        ssize_t n = send(k->fd, buf + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
            break;
        }
        done += (size_t) n;
    }
    *ret_done = done;
    return r;
}

static void on_sink_writable(struct ev_loop *loop, ev_io *w, int revents);

static void stream_write(struct logfile *f, const char *buf, size_t len)
{
    const struct logsink *k = sink_of(f->lg, f->own_fd);
    size_t done = 0;
    int r;

    logtail_ring_add(&f->ring, buf, len);
    r = sink_put(k, buf, len, &done);
    if (r == -EAGAIN) {
        /* The rest waits; on_readable() stops reading the pipes meanwhile. */
        char *copy = malloc(len - done);
        if (!copy) {
            report(f, "write", ENOMEM);
            return;
        }
        memcpy(copy, buf + done, len - done);
        f->pending = copy;
        f->pending_len = len - done;
        f->pending_off = 0;
        ev_io_init(&f->sink_io, on_sink_writable, k->fd, EV_WRITE);
        f->sink_io.data = f;
        ev_io_start(f->lg->loop, &f->sink_io);
        return;
    }
    if (r < 0)
        report(f, "write", -r);
    else
        f->failed = false;
}

static void on_sink_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct logfile *f = w->data;
    const struct logsink *k = sink_of(f->lg, f->own_fd);
    size_t done = 0;
    int r;

    (void) revents;
    r = sink_put(k, f->pending + f->pending_off, f->pending_len - f->pending_off, &done);
    f->pending_off += done;
    if (r == -EAGAIN)
        return;
    if (r < 0)
        report(f, "write", -r); /* the rest is dropped */
    ev_io_stop(loop, w);
    free(f->pending);
    f->pending = NULL;
    f->pending_len = f->pending_off = 0;
    /* The pipes go on; what they hold makes them readable at once. */
    while (f->paused) {
        struct logpipe *p = f->paused;
        f->paused = p->next_paused;
        p->paused = false;
        ev_io_start(loop, &p->io);
    }
}

int logfile_open_stream(struct logger *lg, int own_fd, struct logfile **ret_file)
{
    struct logfile *f = calloc(1, sizeof(*f));

    if (!f)
        return -ENOMEM;
    f->refs = 1;
    f->fd = -1;
    f->lg = lg;
    f->own_fd = own_fd;
    f->at_bol = true;
    *ret_file = f;
    return 0;
}

/* ---- ctl clear ------------------------------------------------------------------------------ */

const struct logtail_ring *logfile_ring(const struct logfile *f)
{
    return f && !f->path ? &f->ring : NULL;
}

int logfile_clear(struct logfile *f)
{
    if (!f->path) {
        logtail_ring_clear(&f->ring);
        return 0;
    }
    if (ftruncate(f->fd, 0) < 0)
        return -errno;
    f->size = 0;
    f->at_bol = true;
    return 0;
}

int logfile_clear_path(const char *path)
{
    size_t size;
    int fd = open_append(path, &size), r = 0;

    if (fd < 0)
        return fd;
    if (ftruncate(fd, 0) < 0)
        r = -errno;
    fd_close(&fd);
    return r;
}
