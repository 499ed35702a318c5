/* signals.c: the signalfd of pgsup's binaries and the dispositions they set for themselves.
 * The library never uses it: it installs no handlers, blocks nothing and changes no
 * disposition in its host. */
#include "signals.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc's sigset_t begins with the kernel's mask: an array of unsigned long, bit (sig - 1) % W
 * of word (sig - 1) / W. */
#define WORD_BITS (8 * sizeof(unsigned long))

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

void signals_to_set(uint64_t mask, sigset_t *ret)
{
    unsigned long *w = (unsigned long *) ret;

    memset(ret, 0, sizeof(*ret));
    for (int sig = 1; sig <= 64; sig++)
        if (mask & SIGNALS_BIT(sig))
            w[(sig - 1) / WORD_BITS] |= 1UL << ((sig - 1) % WORD_BITS);
}

uint64_t signals_from_set(const sigset_t *set)
{
    const unsigned long *w = (const unsigned long *) set;
    uint64_t mask = 0;

    for (int sig = 1; sig <= 64; sig++)
        if (w[(sig - 1) / WORD_BITS] & (1UL << ((sig - 1) % WORD_BITS)))
            mask |= SIGNALS_BIT(sig);
    return mask;
}

uint64_t signals_read_blocked(void)
{
    sigset_t set;

    (void) sigprocmask(SIG_BLOCK, NULL, &set); /* a query cannot fail */
    return signals_from_set(&set);
}

int signals_read_ignored(uint64_t *ret_mask)
{
    uint64_t mask = 0;

    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
#if defined(__mips__) || defined(__alpha__)
        /* Their kernel struct does not start with the handler: glibc's view, 32 and 33 taken
         * as not ignored. */
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            mask |= SIGNALS_BIT(sig);
#else
        /* The kernel's struct sigaction: the handler first, the mask (8 bytes) last. */
        struct {
            void (*handler)(int);
            unsigned long flags;
            void (*restorer)(void);
            uint64_t mask;
        } old;
        if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof(old.mask)) < 0)
            return -errno;
        if (old.handler == SIG_IGN)
            mask |= SIGNALS_BIT(sig);
#endif
    }
    *ret_mask = mask;
    return 0;
}
