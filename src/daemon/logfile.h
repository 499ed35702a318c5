/* logfile.h: the daemon's job logs. A job's stdout and stderr reach the daemon through pipes
 * (logpipe), which are read on the event loop as soon as anything arrives, so a job never
 * blocks on a full pipe and nothing it writes is lost while the daemon runs; what is read goes
 * to a file (logfile) that is rotated by size: PATH → PATH.1 → ... → PATH.N, or to the
 * daemon's own stdout or stderr (a stream), of which the last LOGTAIL_KEEP bytes are
 * kept in memory for ctl tail. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "logtail.h"

struct ev_loop;
struct logfile;

/* One of the daemon's own streams (fd 1 or 2) as jobs' output reaches it: a descriptor that
 * cannot block the daemon (logfile.c). */
struct logsink {
    int fd;      /* -1: not set up yet */
    bool owned;  /* a descriptor of our own (reopened non-blocking), closed by logger_free */
    bool send;   /* a socket: send(MSG_DONTWAIT), which leaves the shared file flags alone */
};

/* The pipes of one daemon, so that it can wait for them to be drained before it exits, and
 * its own streams. */
struct logger {
    struct ev_loop *loop;
    size_t pipes;                /* pipes still open: written by logpipe_open and at EOF */
    struct logpipe *open_pipes;  /* the same pipes, freed by logger_free if a stranger holds
                                  * one at the daemon's exit (the drain timer gave up) */
    struct logsink sinks[3];     /* [1] stdout, [2] stderr */
};

void logger_init(struct logger *lg, struct ev_loop *loop);

/* Closes the pipes still open and the descriptors of the sinks (call once no job is left). */
void logger_free(struct logger *lg);

/* Opens (creates, mode 0644, appending) the file at path. maxbytes 0: never rotate; backups 0:
 * a full file is emptied instead of rotated. The final component is never followed: a
 * symlink is refused (-ELOOP), and so are a FIFO or socket (-ENXIO) and a regular file with
 * more than one hard link (-EMLINK); a character device (/dev/null, a tty) is fine. The same
 * holds when the file is opened again (rotation, reopen). The file is reference-counted:
 * *ret_file holds one reference (logfile_unref()), every pipe feeding it another. Returns 0 or
 * -errno (logfile_strerror() explains). */
int logfile_open(const char *path, size_t maxbytes, unsigned backups, struct logfile **ret_file);

/* A stream to the daemon's own fd own_fd (1 or 2) as a logfile: no path, no rotation. What a
 * job writes there passes through the daemon, which keeps its last LOGTAIL_KEEP bytes.
 * Writing never blocks the daemon: a terminal or pipe is written through a non-blocking
 * descriptor of its own (opened again through /proc/self/fd, so that the flags of the one
 * shared with others are untouched), a socket with MSG_DONTWAIT; while the stream cannot take
 * more, the pipes that feed it are not read, so their jobs wait as they would writing there
 * themselves. Returns 0 or -ENOMEM. */
int logfile_open_stream(struct logger *lg, int own_fd, struct logfile **ret_file);

/* A stream's kept bytes (NULL for a file, or f NULL). */
const struct logtail_ring *logfile_ring(const struct logfile *f);

/* Empties the log (ctl clear): the file is truncated (its rotated files stay); a stream's
 * kept bytes are dropped. Returns 0 or -errno. */
int logfile_clear(struct logfile *f);

/* Empties the file at path, which no logfile holds open. A missing file is fine. Returns 0 or
 * -errno (refused as logfile_open() refuses). */
int logfile_clear_path(const char *path);

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
 * -errno (the old file is kept then). A stream: nothing to do. */
int logfile_reopen(struct logfile *f);

/* The file's path; NULL for a stream. */
const char *logfile_path(const struct logfile *f);

/* A stream's own fd (1 or 2); 0 for a file. */
int logfile_own_fd(const struct logfile *f);

/* Makes a pipe whose read end is read on lg's loop into dest until end of file (every writer
 * closed it); the pipe then frees itself. *ret_write_fd (CLOEXEC) is the caller's, to give to
 * the job and close. Returns 0 or -errno. */
int logpipe_open(struct logger *lg, struct logfile *dest, int *ret_write_fd);
