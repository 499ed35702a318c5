/* logtail.h: what ctl tail reads (logtail.c): the last bytes of a job's log file, or of its
 * output kept in memory when that goes to the daemon's own stdout or stderr, and, for tail -f,
 * what came after an offset that an earlier read returned. */
#pragma once
#include <stddef.h>

/* Bytes of a stream's output kept in memory, per job and stream. */
#define LOGTAIL_KEEP ((size_t) 16 << 10)

/* Some bytes of a log, and where the next read goes on from. */
struct logtail {
    char *data;     /* malloc()ed, len bytes (may hold NULs) */
    size_t len;
    char next[64];  /* the offset after data (no blanks), for from= of the next read */
};

/* The newest LOGTAIL_KEEP bytes of a stream; zeroed is empty. */
struct logtail_ring {
    char *buf;                  /* allocated on the first add; byte at offset o is at o % KEEP */
    size_t used;                /* bytes held: offsets [written - used, written) */
    unsigned long long written; /* bytes added since the ring was made: the offsets */
};

void logtail_ring_add(struct logtail_ring *r, const char *buf, size_t len);

/* Drops what is held (ctl clear); the offsets go on. */
void logtail_ring_clear(struct logtail_ring *r);

void logtail_ring_free(struct logtail_ring *r);

/* Up to max bytes of r (NULL: empty) from the offset from (NULL: the last max bytes). An
 * offset older than what is held reads from the oldest byte held. Returns 0, -EINVAL (from is
 * not a ring's offset) or -ENOMEM. */
int logtail_read_ring(const struct logtail_ring *r, const char *from, size_t max,
                      struct logtail *ret);

/* Up to max bytes of the file at path from the offset from (NULL: the last max bytes). A file
 * rotated or emptied since the offset was given is read from its start; a missing file is
 * empty. The file is opened without following a symlink and must be a regular file. Returns 0
 * or -errno (-ELOOP, -ENXIO: not a regular file; -EINVAL: from is not a file's offset). */
int logtail_read_file(const char *path, const char *from, size_t max, struct logtail *ret);
