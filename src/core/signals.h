/* signals.h: signals as events for the binaries. The signals are blocked and read from a
 * signalfd watched by the event loop: no handler runs, no work happens in a signal context.
 * And the dispositions the binaries rely on, whatever their caller left them. */
#pragma once
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>

/* Signal sets as the kernel writes them (/proc/PID/status SigIgn, SigBlk): bit sig - 1 for
 * signals 1..64. Unlike glibc's sigset_t functions, they take glibc's internal signals 32 and
 * 33, which a caller may have ignored or blocked, and which posix_spawn() needs named. */
#define SIGNALS_ALL UINT64_MAX
#define SIGNALS_BIT(sig) (UINT64_C(1) << ((sig) - 1))

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

/* The signals this process ignores now, glibc's 32 and 33 included (glibc's sigaction() will
 * not report them; the system call does). Returns 0 or -errno. */
int signals_read_ignored(uint64_t *ret_mask);

/* The signals this process blocks now. */
uint64_t signals_read_blocked(void);

/* Converts between a mask and glibc's sigset_t (same bits; 32 and 33 set by hand). */
void signals_to_set(uint64_t mask, sigset_t *ret);
uint64_t signals_from_set(const sigset_t *set);
