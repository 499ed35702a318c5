/* guard.c: the two halves of a pgsup binary and what passes between them. The guard is
 * deliberately dumb (no event loop, no allocation after the split): it must still work when
 * the engine has crashed. */
#include "guard.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "kill.h"
#include "procns.h"

pid_t guard_fork(int *ret_fd)
{
    int sv[2];
    pid_t pid;

    /* SEQPACKET: the outcome arrives whole or not at all. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    /* Orphans of the tree come to the engine; if the engine dies, to the guard. fork() does
     * not pass the attribute on, so each half sets it for itself. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        int r = -errno;
        fd_close(&sv[0]);
        fd_close(&sv[1]);
        return r;
    }
    /* Plain fork: pgsup is small and single-threaded here, so the copy is cheap and safe. */
    pid = fork();
    if (pid < 0) {
        int r = -errno;
        fd_close(&sv[0]);
        fd_close(&sv[1]);
        return r;
    }
    if (pid == 0) {
        fd_close(&sv[0]);
        *ret_fd = sv[1];
        /* Cannot fail once it worked in the parent (same kernel, same credentials). */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        return 0;
    }
    fd_close(&sv[1]);
    *ret_fd = sv[0];
    return pid;
}

int guard_report(int fd, const struct guard_outcome *outcome)
{
    return send(fd, outcome, sizeof(*outcome), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

bool guard_gone(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Without a /proc of our namespace, the children that left the group cannot be named: the
 * group is killed and its members reaped, while the caller still pins its number, and what
 * else is dead is reaped. Living children outside the group are left (as PID 1, the kernel
 * kills them when we exit); waiting for them could be forever. */
static void kill_blind(pid_t pgid, const sigset_t *chld, const struct timespec *tick)
{
    /* waitpid(-pgid): our children in the group only, so the caller's pin (the engine as an
     * unreaped zombie, in another group) stays until the group is empty. */
    while (pgid > 0 && kill(-pgid, 0) == 0) {
        pid_t p;
        while ((p = waitpid(-pgid, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
            ;
        (void) sigtimedwait(chld, NULL, tick); /* EAGAIN: look again */
    }
    for (pid_t p; (p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR);)
        ;
}

void guard_kill_all(pid_t pgid)
{
    struct killer k;
    sigset_t chld;
    const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

    /* A group we are in is none of the tree's own (pgsup timeout's guard may lead the tree's
     * group): its members are our descendants, found below. */
    if (pgid == getpgrp())
        pgid = 0;
    /* The group is signalled once, while the caller still holds whatever pins its number
     * (the engine as an unreaped zombie); from then on members are found as descendants and
     * signalled one by one through pidfds, which a reused number cannot fool. */
    if (pgid > 0)
        (void) kill(-pgid, SIGKILL); /* ESRCH: the group is already empty */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (procns_check() < 0) {
        kill_blind(pgid, &chld, &tick);
        return;
    }
    kill_init(&k, &(struct tree_scope){.root = getpid(), .exclude = getpid()});
    (void) kill_phase(&k, SIGKILL, NULL, NULL); /* errors: the loop below sweeps again */
    for (;;) {
        /* Reap what died; stop once we have no child at all. */
        pid_t p;
        while ((p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
            ;
        if (p < 0)
            break;
        /* Children remain: wait for the next exit, sweeping again now and then for members
         * that were forked or re-parented without a SIGCHLD. */
        if (sigtimedwait(&chld, NULL, &tick) < 0)
            (void) kill_sweep(&k, NULL, NULL);
    }
    kill_free(&k);
}

/* Reaps every exited child but the engine; returns true once the engine has exited (left a
 * zombie, WNOWAIT). Other children come to the guard only as PID 1 of a PID namespace (the
 * orphans of processes that entered it, `docker exec`) or once the engine is dead: they are
 * reaped at once, never left as zombies. */
static bool reap_until_engine(pid_t engine, siginfo_t *ret_si)
{
    for (;;) {
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno == EINTR)
                continue;
            return false; /* ECHILD: cannot happen while the engine is unreaped */
        }
        if (si.si_pid == 0)
            return false;
        if (si.si_pid == engine) {
            *ret_si = si;
            return true;
        }
        (void) waitpid(si.si_pid, NULL, 0); /* a zombie: returns at once */
    }
}

int guard_wait(pid_t engine, int fd, const sigset_t *forward, pid_t tree_pgid,
               struct guard_outcome *ret, int *ret_status)
{
    sigset_t wanted = *forward;
    struct guard_outcome outcome;
    siginfo_t si;
    ssize_t n;

    sigaddset(&wanted, SIGCHLD);
    for (;;) {
        if (sigwaitinfo(&wanted, &si) < 0)
            continue; /* EINTR */
        if (si.si_signo != SIGCHLD) {
            /* Ours to pass on, unless the engine sent it to the tree's group, which we lead
             * (pgsup timeout); the engine is our unreaped child, its pid cannot be reused. */
            if (si.si_pid != engine || si.si_code != SI_USER)
                (void) kill(engine, si.si_signo);
            continue;
        }
        /* WNOWAIT: the engine stays a zombie, so its pid (the tree's pgid) stays ours until
         * the tree is dealt with. */
        if (reap_until_engine(engine, &si))
            break;
    }
    n = recv(fd, &outcome, sizeof(outcome), MSG_DONTWAIT);
    if (n == (ssize_t) sizeof(outcome)) {
        (void) waitpid(engine, NULL, 0); /* a zombie: returns at once */
        *ret = outcome;
        return 0;
    }
    *ret_status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
    guard_kill_all(tree_pgid); /* reaps the engine too */
    return -ECHILD;
}

/* The words of the handover: one byte each, never the size of an outcome. */
enum { WORD_STARTED = 'S', WORD_NOT_STARTED = 'N', WORD_LEFT = 'L', WORD_STAYED = 'T' };

int guard_handover(int fd, bool started)
{
    char word = started ? WORD_STARTED : WORD_NOT_STARTED;
    ssize_t n;

    if (send(fd, &word, 1, MSG_NOSIGNAL) < 0)
        return -errno;
    if (!started)
        return 0;
    /* The guard answers at once: it waits for nothing else. */
    while ((n = recv(fd, &word, 1, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    return word == WORD_LEFT;
}

int guard_leave_group(int fd, pid_t to)
{
    char word[sizeof(struct guard_outcome)];
    bool left;
    ssize_t n;

    while ((n = recv(fd, word, sizeof(word), 0)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n < 0 ? -errno : 0; /* the engine died: guard_wait() sees to it */
    if (n != 1 || word[0] != WORD_STARTED)
        return 0;
    left = setpgid(0, to) == 0;
    word[0] = left ? WORD_LEFT : WORD_STAYED;
    if (send(fd, word, 1, MSG_NOSIGNAL) < 0)
        return -errno; /* the engine died: guard_wait() sees to it */
    return left;
}
