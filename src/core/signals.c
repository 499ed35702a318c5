/* signals.c: the signalfd of pgsup's binaries and the dispositions they set for themselves.
 * The library never uses it: it installs no handlers, blocks nothing and changes no
 * disposition in its host. */
#include "signals.h"

#include <errno.h>
#include <unistd.h>

int signals_open(const sigset_t *set)
{
    int fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

int signals_read(int fd, struct signalfd_siginfo *ret)
{
    for (;;) {
        ssize_t n = read(fd, ret, sizeof(*ret));
        if (n == (ssize_t) sizeof(*ret))
            return 1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        return n < 0 ? -errno : -EIO;
    }
}

int signals_own_defaults(void)
{
    /* Flags 0: no SA_NOCLDWAIT either, which would auto-reap the same way. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};

    return sigaction(SIGCHLD, &dfl, NULL) < 0 ? -errno : 0;
}
