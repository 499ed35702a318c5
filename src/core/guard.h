/* guard.h: the dead-man guard of the pgsup binaries. pgsup splits in two: the guard (the
 * process the user started, and whose pid they hold) and the engine (its child, which runs
 * the event loop and is the subreaper parent of the command tree). Each covers the other:
 *   - the guard SIGKILLed: the engine reads EOF on its socket and kills the tree;
 *   - the engine dead without reporting: the tree is re-parented to the guard (also a
 *     subreaper), which kills and reaps it.
 * The guard forwards the signals it receives to the engine and exits with what the engine
 * reported, so to the caller the pair looks like one process. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* What the engine asks the guard to end with: die of signal (if > 0) or exit with code. */
struct guard_outcome {
    int code;
    int signal;
};

/* Splits the process. The caller must be single-threaded and have every signal blocked.
 * Returns 0 in the engine, the engine's pid in the guard, or -errno; *ret_fd is the
 * caller's end of the socket between the two (CLOEXEC). */
pid_t guard_fork(int *ret_fd);

/* Guard: forwards each signal of `forward` to the engine until it exits, then stores what it
 * reported in *ret and returns 0. Signals the engine itself sent (to a group the guard is in)
 * are not sent back. Meanwhile any other child that exits is reaped at once (as PID 1 of a
 * PID namespace the guard inherits every orphan there). If the engine died without
 * reporting, kills and reaps every process re-parented to the guard, and tree_pgid (the
 * tree's group; 0: none of its own), and returns -ECHILD, with *ret_status the engine's wait
 * status. */
int guard_wait(pid_t engine, int fd, const sigset_t *forward, pid_t tree_pgid,
               struct guard_outcome *ret, int *ret_status);

/* pgsup timeout's groups (supervise.c): the guard leads the command's group, as coreutils'
 * timeout leads its own, until the command has joined it; then, unless it led a group
 * before (a shell's job, a session), it moves to the engine's group, out of the way of what
 * the engine sends the tree (SIGKILL). The engine says whether the command was started; the
 * guard answers whether it left. */

/* Engine: says started (the command is in the group) or not, and if started, waits for the
 * guard's answer. Returns 1 if the guard left the group, 0 if it stays, -EPIPE if it is
 * gone, or -errno. */
int guard_handover(int fd, bool started);

/* Guard: waits for the engine's word; once the command started, moves to group `to`. Returns
 * 1 if it moved, 0 if not (nothing started, or the engine died first), or -errno. */
int guard_leave_group(int fd, pid_t to);

/* Engine: sends the outcome; the guard exits with it once the engine has exited. */
int guard_report(int fd, const struct guard_outcome *outcome);

/* Engine: true once the guard is gone (EOF or error on fd). Call when fd is readable. */
bool guard_gone(int fd);

/* Kills every descendant of the caller, repeating until it has no child left, and reaps
 * them. Used by the guard and by an engine whose guard died. pgid is the tree's group.
 * Without a /proc of our PID namespace (procns.h) only the group and the dead can be dealt
 * with: it kills the group, reaps until the group is empty, reaps what else died, and
 * returns, leaving living children outside the group. */
void guard_kill_all(pid_t pgid);
