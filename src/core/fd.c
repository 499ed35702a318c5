/* fd.c: the only place that retries EINTR and short transfers; everything else calls these. */
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void fd_close(int *fd)
{
    if (*fd < 0)
        return;
    /* close() on Linux releases the fd even when it reports EINTR: never retry. */
    (void) close(*fd);
    *fd = -1;
}

int fd_pipe(int ret_fds[2])
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    ret_fds[0] = fds[0];
    ret_fds[1] = fds[1];
    return 0;
}

int fd_set_nonblock(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -errno;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (fcntl(fd, F_SETFL, flags) < 0)
        return -errno;
    return 0;
}

int fd_write_counted(int fd, const void *buf, size_t len, size_t *ret_written)
{
    const char *p = buf;
    size_t done = 0;
    int r = 0;

    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        done += (size_t) n;
    }
    *ret_written = done;
    return r;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
    size_t done;

    return fd_write_counted(fd, buf, len, &done);
}

ssize_t fd_read(int fd, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0 || errno != EINTR)
            return n < 0 ? -errno : n;
    }
}

ssize_t fd_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t) n;
    }
    return (ssize_t) got;
}
