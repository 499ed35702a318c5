/* fd.h: CLOEXEC pipes, closing, and EINTR-safe full reads and writes. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Closes *fd if it is >= 0 and sets it to -1. Safe to call twice. */
void fd_close(int *fd);

/* pipe2(O_CLOEXEC). Returns 0 or -errno; ret_fds is written only on success. */
int fd_pipe(int ret_fds[2]);

/* Sets or clears O_NONBLOCK. Returns 0 or -errno. */
int fd_set_nonblock(int fd, int on);

/* Writes all len bytes, retrying on EINTR and short writes. Returns 0 or -errno. */
int fd_write_all(int fd, const void *buf, size_t len);

/* fd_write_all(), and *ret_written is how many bytes were written, also after a failure (a
 * full disk takes part of a buffer, then fails). Returns 0 or -errno. */
int fd_write_counted(int fd, const void *buf, size_t len, size_t *ret_written);

/* One read(), retried on EINTR. Returns the number of bytes read (0: end of file) or -errno. */
ssize_t fd_read(int fd, void *buf, size_t len);

/* Reads until len bytes or end of file, retrying on EINTR. Returns the number of bytes read
 * (less than len only at end of file) or -errno. */
ssize_t fd_read_all(int fd, void *buf, size_t len);
