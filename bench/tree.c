/* tree.c: bench-tree N REPORT — the process tree of the reap benchmark. Starts N `sleep 1000`
 * children in its own process group (whatever group it was started in), then writes its pgid
 * as a decimal line to the file REPORT (the benchmark's pipe, by its /proc name: `pgsup run`
 * passes its command no fd above 2), and waits to be killed. posix_spawn returns only once
 * the child has exec'd, so when the line arrives the N members exist; the benchmark still
 * checks /proc until all of them sleep. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    char *sleep_argv[] = {"sleep", "1000", NULL};
    char line[32];
    long n;
    int len, fd;

    if (argc != 3 || (n = strtol(argv[1], NULL, 10)) < 0 || n > 100000) {
        fprintf(stderr, "usage: bench-tree N REPORT   (reports its pgid to the file REPORT)\n");
        return 2;
    }
    /* CLOEXEC: the members must not hold the report pipe open. */
    fd = open(argv[2], O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bench-tree: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    for (long i = 0; i < n; i++) {
        pid_t pid;
        int r = posix_spawnp(&pid, "sleep", NULL, NULL, sleep_argv, environ);
        if (r) {
            fprintf(stderr, "bench-tree: cannot run 'sleep': %s\n", strerror(r));
            return 1; /* the benchmark sees EOF instead of the line and kills the group */
        }
    }
    len = snprintf(line, sizeof(line), "%d\n", (int) getpgrp());
    if (write(fd, line, (size_t) len) != len)
        return 1;
    (void) close(fd);
    for (;;)
        pause();
}
