/* logfile.h: the daemon's job logs. A job's stdout and stderr reach the daemon through pipes
 * (logpipe), which are read on the event loop as soon as anything arrives, so a job never
 * blocks on a full pipe and nothing it writes is lost while the daemon runs; what is read goes
 * to a file (logfile) that is rotated by size: PATH → PATH.1 → ... → PATH.N. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct logfile;

/* The pipes of one daemon, so that it can wait for them to be drained before it exits. */
struct logger {
    struct ev_loop *loop;
    size_t pipes;                /* pipes still open: written by logpipe_open and at EOF */
};

/* Opens (creates, mode 0644, appending) the file at path. maxbytes 0: never rotate; backups 0:
 * a full file is emptied instead of rotated. The final component is never followed: a
 * symlink is refused (-ELOOP), and so are a FIFO or socket (-ENXIO) and a regular file with
 * more than one hard link (-EMLINK); a character device (/dev/null, a tty) is fine. The same
 * holds when the file is opened again (rotation, reopen). The file is reference-counted:
 * *ret_file holds one reference (logfile_unref()), every pipe feeding it another. Returns 0 or
 * -errno (logfile_strerror() explains). */
int logfile_open(const char *path, size_t maxbytes, unsigned backups, struct logfile **ret_file);

/* The reason for a logfile_open() or logfile_reopen() failure, as a phrase. */
const char *logfile_strerror(int err);

struct logfile *logfile_ref(struct logfile *f);
void logfile_unref(struct logfile *f);

/* Appends len bytes, rotating when the file reaches maxbytes. Lines are kept whole where
 * possible: the file is rotated at a line boundary, and a line that started is finished in the
 * same file unless it is very long (64 KiB past maxbytes). A write error is reported once (on
 * stderr) and the bytes that did not fit are dropped: a full disk must not stop the job. The
 * next write that succeeds starts on a new line with "[pgsup: N bytes lost: REASON]", so a
 * line cut by the error is never glued to the next, and the loss leaves a trace. */
void logfile_write(struct logfile *f, const char *buf, size_t len);

/* Closes and opens the file again at its path (after an external logrotate). Returns 0 or
 * -errno (the old file is kept then). */
int logfile_reopen(struct logfile *f);

const char *logfile_path(const struct logfile *f);

/* Makes a pipe whose read end is read on lg's loop into dest until end of file (every writer
 * closed it); the pipe then frees itself. *ret_write_fd (CLOEXEC) is the caller's, to give to
 * the job and close. Returns 0 or -errno. */
int logpipe_open(struct logger *lg, struct logfile *dest, int *ret_write_fd);
