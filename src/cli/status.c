/* status.c: the exit-status table of pgsup run and pgsup timeout, kept identical to
 * coreutils timeout(1) (see README "Exit status"). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"

void status_from_result(const struct run_result *result, bool preserve_status,
                        struct guard_outcome *ret)
{
    struct guard_outcome o = {0};

    if (result->timed_out && !preserve_status) {
        /* timeout(1) ends with 124 unless its own SIGKILL escalation was what ended the
         * command: it then dies of SIGKILL itself (the caller sees 137). */
        if (result->escalated && !result->exited && result->term_signal == SIGKILL)
            o.signal = SIGKILL;
        else
            o.code = STATUS_TIMED_OUT;
    } else if (result->exited) {
        o.code = result->exit_code;
    } else {
        o.signal = result->term_signal;
    }
    *ret = o;
}

void status_from_timeout(const struct run_result *result, bool preserve_status,
                         bool foreground, struct guard_outcome *ret)
{
    /* coreutils counts as timed out whenever its alarm fired: the deadline, or the -k alarm
     * that a forwarded signal armed (our escalation). */
    bool timed_out = result->timed_out || result->escalated;
    struct guard_outcome o = {0};

    if (result->escalated && !foreground) {
        /* coreutils' timeout is in the group its SIGKILL goes to: it dies of it (137). */
        o.signal = SIGKILL;
    } else if (result->exited) {
        o.code = timed_out && !preserve_status ? STATUS_TIMED_OUT : result->exit_code;
    } else if (!timed_out) {
        o.signal = result->term_signal; /* die of the same signal */
    } else {
        /* After the deadline, a death by a signal is reported, not mimicked: 128 + N, or 124
         * without -p; but SIGKILL is always told (--foreground's 137). */
        o.code = result->term_signal == SIGKILL || preserve_status
                     ? 128 + result->term_signal
                     : STATUS_TIMED_OUT;
    }
    *ret = o;
}

int status_from_spawn_error(int err)
{
    /* timeout(1): a fork that fails is its own failure, 125 ("fork system call failed"); of
     * exec errors only ENOENT is 127, and ENOTDIR, EACCES, ENOEXEC... are 126. posix_spawn
     * reports a failed clone as EAGAIN (the process limit: RLIMIT_NPROC, a cgroup's
     * pids.max, pid_max), which exec itself never returns for a command that could run. */
    if (err == -EAGAIN)
        return STATUS_FAILED;
    return err == -ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_EXEC;
}

_Noreturn void status_exit(const struct guard_outcome *outcome)
{
    if (outcome->signal > 0) {
        /* Die of the same signal, so a shell sees 128+N and an interactive one stops its
         * script on SIGINT; no core file of our own, as timeout(1). */
        struct rlimit no_core = {0, 0};
        sigset_t one;
        /* Not dumpable: a core_pattern pipe ignores the limit. */
        (void) prctl(PR_SET_DUMPABLE, 0);
        (void) setrlimit(RLIMIT_CORE, &no_core);
        (void) signal(outcome->signal, SIG_DFL);
        sigemptyset(&one);
        sigaddset(&one, outcome->signal);
        (void) sigprocmask(SIG_UNBLOCK, &one, NULL);
        (void) raise(outcome->signal);
        exit(128 + outcome->signal); /* a signal whose default is to be ignored */
    }
    exit(outcome->code);
}
