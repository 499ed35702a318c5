/* capture.c: stdout/stderr capture. Each stream has its own pipe and its own watcher, and both
 * are drained as data comes, so a child writing megabytes to both never fills one pipe while
 * we wait on the other (the classic communicate() deadlock). */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fd.h"

void capture_init(struct capture *c)
{
    *c = (struct capture){.fd = -1};
}

int capture_open(struct capture *c, size_t max, int *ret_child_fd)
{
    int fds[2], r;

    *c = (struct capture){.fd = -1, .max = max};
    r = fd_pipe(fds);
    if (r < 0)
        return r;
    r = fd_set_nonblock(fds[0], 1);
    if (r < 0) {
        fd_close(&fds[0]);
        fd_close(&fds[1]);
        return r;
    }
    c->fd = fds[0];
    *ret_child_fd = fds[1];
    return 0;
}

static int keep(struct capture *c, const char *data, size_t n)
{
    size_t room = c->max - c->len;

    if (n > room) {
        c->truncated = true;
        n = room;
    }
    if (n == 0)
        return 0;
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n + 1)
            cap *= 2;
        char *buf = realloc(c->buf, cap);
        if (!buf)
            return -ENOMEM;
        c->buf = buf;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return 0;
}

/* Reads what the pipe holds now. Returns true at end of file (or an error that ends the
 * stream just the same), false once it would block. */
static bool drain(struct capture *c)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(c->fd, chunk, sizeof(chunk));
        if (n > 0) {
            /* Out of memory: keep reading and dropping, so the child is never blocked. */
            if (keep(c, chunk, (size_t) n) < 0)
                c->truncated = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && errno == EAGAIN);
    }
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct capture *c = w->data;

    (void) revents;
    if (!drain(c))
        return;
    ev_io_stop(loop, w);
    fd_close(&c->fd);
    c->on_eof(c, c->userdata);
}

void capture_abandon(struct capture *c, struct ev_loop *loop)
{
    if (c->fd < 0)
        return;
    ev_io_stop(loop, &c->io);
    (void) drain(c);
    fd_close(&c->fd);
}

void capture_start(struct capture *c, struct ev_loop *loop,
                   void (*on_eof)(struct capture *c, void *userdata), void *userdata)
{
    c->on_eof = on_eof;
    c->userdata = userdata;
    ev_io_init(&c->io, on_readable, c->fd, EV_READ);
    c->io.data = c;
    ev_io_start(loop, &c->io);
}

char *capture_take(struct capture *c, size_t *ret_len)
{
    char *buf = c->buf;

    *ret_len = c->len;
    c->buf = NULL;
    c->len = c->cap = 0;
    return buf;
}

void capture_free(struct capture *c, struct ev_loop *loop)
{
    if (c->fd >= 0 && loop)
        ev_io_stop(loop, &c->io);
    fd_close(&c->fd);
    free(c->buf);
    c->buf = NULL;
}
