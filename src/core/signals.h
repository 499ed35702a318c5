/* signals.h: signals as events for the binaries. The signals are blocked and read from a
 * signalfd watched by the event loop: no handler runs, no work happens in a signal context. */
#pragma once
#include <signal.h>
#include <sys/signalfd.h>

/* Returns a non-blocking, CLOEXEC signalfd for set (which must already be blocked), or -errno. */
int signals_open(const sigset_t *set);

/* Reads one pending signal into *ret. Returns 1, 0 if none is pending, or -errno. */
int signals_read(int fd, struct signalfd_siginfo *ret);
