/* blast.c: writes BYTES bytes of blast_byte() to stdout and the same amount of another
 * pattern to stderr, alternating 4 KiB chunks, then exits 0. A reader that drains one pipe
 * while waiting for the end of the other deadlocks with it: each pipe fills in turn.
 *
 *   blast BYTES
 *
 * Exit status 2: usage error; 1: a write failed (EPIPE included: SIGPIPE is the default). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blast.h"

#define CHUNK 4096

static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned char chunk[2][CHUNK];
    size_t total;
    char *end;

    if (argc != 2 || (total = strtoul(argv[1], &end, 10), *end || end == argv[1])) {
        fputs("usage: blast BYTES\n", stderr);
        return 2;
    }
    for (size_t at = 0; at < total; at += CHUNK) {
        size_t n = total - at < CHUNK ? total - at : CHUNK;
        for (int s = 0; s < 2; s++) {
            for (size_t k = 0; k < n; k++)
                chunk[s][k] = blast_byte(at + k, s);
            if (write_all(s + 1, chunk[s], n) < 0)
                return 1;
        }
    }
    return 0;
}
