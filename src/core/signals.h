/* signals.h: signals as events for the binaries. The signals are blocked and read from a
 * signalfd watched by the event loop: no handler runs, no work happens in a signal context.
 * And the dispositions the binaries rely on, whatever their caller left them. */
#pragma once
#include <signal.h>
#include <sys/signalfd.h>

/* Returns a non-blocking, CLOEXEC signalfd for set (which must already be blocked), or -errno. */
int signals_open(const sigset_t *set);

/* Reads one pending signal into *ret. Returns 1, 0 if none is pending, or -errno. */
int signals_read(int fd, struct signalfd_siginfo *ret);

/* Sets the dispositions pgsup's own processes (guard, engine, daemon, library helper) rely on,
 * whatever was inherited: SIGCHLD at SIG_DFL. Ignored, the kernel reaps our children itself,
 * waitpid() fails with ECHILD and a run never sees its command end. The signals the binaries
 * read are blocked, and a blocked signal is queued even when ignored: nothing else matters.
 * For the binaries only: the library never touches its host's dispositions. Returns 0 or
 * -errno. */
int signals_own_defaults(void);
