/* capture.h: one output stream of a child read into memory, on a libev loop. */
#pragma once
#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

struct capture {
    int fd;          /* our end of the pipe, -1 once at end of file */
    char *buf;
    size_t len, cap;
    size_t max;      /* bytes kept; what comes after is read and dropped */
    bool truncated;
    ev_io io;
    void (*on_eof)(struct capture *c, void *userdata);
    void *userdata;
};

/* Makes c an idle capture (no pipe) that capture_free() accepts. */
void capture_init(struct capture *c);

/* Makes the pipe. Returns 0 and the child's end (CLOEXEC) in *ret_child_fd, or -errno. */
int capture_open(struct capture *c, size_t max, int *ret_child_fd);

/* Starts reading on loop; on_eof runs once, when every writer has closed the pipe. The
 * reading never stops early: a child never blocks on a full pipe, whatever the cap. */
void capture_start(struct capture *c, struct ev_loop *loop,
                   void (*on_eof)(struct capture *c, void *userdata), void *userdata);

/* Reads what the pipe holds now, then stops and closes it without waiting for end of file
 * (on_eof is not called): for a stream whose writers may never close it, what a dead helper
 * left. Nothing happens if it is closed already. */
void capture_abandon(struct capture *c, struct ev_loop *loop);

/* Hands the bytes over (NUL-terminated, may be NULL if nothing was read); the capture keeps
 * nothing. */
char *capture_take(struct capture *c, size_t *ret_len);

/* Stops reading and frees everything. Safe after capture_init() or a failed capture_open(). */
void capture_free(struct capture *c, struct ev_loop *loop);
