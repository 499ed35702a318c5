/* procns.c: the one test of whether /proc data may be acted on (procns.h). proc.c refuses to
 * read a foreign /proc, so every consumer of its snapshots falls back to what needs no /proc:
 * the group signal, its own children, pidfds. Linux-only by nature; no fallback is needed:
 * where /proc/self does not exist, no /proc data can be trusted either. */
#include "procns.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* 1: not computed yet; else procns_check()'s answer. A race between two threads computes the
 * same answer twice, which is harmless. */
static _Atomic int cached = 1;

static int compute(void)
{
    char buf[32], *end;
    ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
    long pid;

    if (n < 0)
        return -errno;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    /* /proc/self names us as its own namespace numbers us: our pid only if it is ours. */
    if (end == buf || *end || pid != (long) getpid())
        return -EXDEV;
    return 0;
}

int procns_check(void)
{
    int r = cached;

    if (r == 1) {
        r = compute();
        cached = r;
    }
    return r;
}
