/* logtail.c: ctl tail's reads (logtail.h). Offsets are words the daemon hands to ctl and gets
 * back on the next read of tail -f: "sN" for a ring (N bytes since it was made), "fINODE:POS"
 * for a file (so that a file rotated or emptied in between is read again from its start, as
 * tail -F does). Writing is logfile.c's. */
#include "logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"

void logtail_ring_add(struct logtail_ring *r, const char *buf, size_t len)
{
    if (!r->buf && !(r->buf = malloc(LOGTAIL_KEEP))) {
        r->written += len; /* no memory for a tail: the offsets stay right */
        return;
    }
    if (len > LOGTAIL_KEEP) {
        r->written += len - LOGTAIL_KEEP;
        buf += len - LOGTAIL_KEEP;
        len = LOGTAIL_KEEP;
    }
    while (len > 0) {
        size_t at = (size_t) (r->written % LOGTAIL_KEEP), n = LOGTAIL_KEEP - at;
        if (n > len)
            n = len;
        memcpy(r->buf + at, buf, n);
        r->written += n;
        r->used = r->used + n > LOGTAIL_KEEP ? LOGTAIL_KEEP : r->used + n;
        buf += n;
        len -= n;
    }
}

void logtail_ring_clear(struct logtail_ring *r)
{
    r->used = 0;
}

void logtail_ring_free(struct logtail_ring *r)
{
    free(r->buf);
    *r = (struct logtail_ring){0};
}

static int tail_alloc(struct logtail *ret, size_t len)
{
    ret->data = malloc(len + 1);
    ret->len = len;
    return ret->data ? 0 : -ENOMEM;
}

int logtail_read_ring(const struct logtail_ring *r, const char *from, size_t max,
                      struct logtail *ret)
{
    unsigned long long written = r ? r->written : 0, used = r ? r->used : 0;
    unsigned long long oldest = written - used, start, at;
    size_t len;
    char *end;

    if (!from) {
        start = written - (max < used ? max : used);
    } else {
        errno = 0;
        at = from[0] == 's' ? strtoull(from + 1, &end, 10) : 0;
        if (from[0] != 's' || *end || errno)
            return -EINVAL;
        /* Older than what is held: from the oldest byte held. Beyond the end (an earlier
         * daemon's offset): everything held. */
        start = at < oldest || at > written ? oldest : at;
    }
    len = written - start < max ? (size_t) (written - start) : max;
    if (tail_alloc(ret, len) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++)
        ret->data[i] = r->buf[(start + i) % LOGTAIL_KEEP];
    snprintf(ret->next, sizeof(ret->next), "s%llu", start + len);
    return 0;
}

int logtail_read_file(const char *path, const char *from, size_t max, struct logtail *ret)
{
    unsigned long long ino = 0, pos = 0, size;
    struct stat st;
    size_t len;
    ssize_t n;
    int fd, r = 0;

    if (from && sscanf(from, "f%llu:%llu", &ino, &pos) != 2)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO planted at the path must not block the daemon (it is refused). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) {
        snprintf(ret->next, sizeof(ret->next), "f0:0");
        return tail_alloc(ret, 0);
    }
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    else if (!S_ISREG(st.st_mode))
        r = -ENXIO;
    if (r < 0)
        goto out;
    size = (unsigned long long) st.st_size;
    if (!from)
        pos = size > max ? size - max : 0;
    else if (ino != (unsigned long long) st.st_ino || pos > size)
        pos = 0; /* rotated away or emptied: the new file from its start */
    len = size - pos < max ? (size_t) (size - pos) : max;
    r = tail_alloc(ret, len);
    if (r < 0)
        goto out;
    n = pread(fd, ret->data, len, (off_t) pos);
    if (n < 0) {
        r = -errno;
        free(ret->data);
        ret->data = NULL;
        goto out;
    }
    ret->len = (size_t) n;
    snprintf(ret->next, sizeof(ret->next), "f%llu:%llu", (unsigned long long) st.st_ino,
             pos + (unsigned long long) n);
out:
    fd_close(&fd);
    return r;
}
