/* procmark.h: the /proc check shared by the libpgsup tests. Every process a test starts is
 * recognised by a marker in its environment, PGSUP_LIB_TEST_MARK=<pid>-<random>: procmark_setup()
 * puts it in the test's own environment, so every run that inherits the environment carries it,
 * and procmark_envp() builds an explicit envp that carries it too. The test process is a child
 * subreaper, so whatever escapes a tree is re-parented to it, where the check sees it.
 *
 * "Clean" means: no live process other than the test carries the marker, and the test has no
 * child at all, alive or zombie. Anything found is listed on stderr, SIGKILLed through a pidfd
 * checked to still carry the marker (never by name) and reaped. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROCMARK_VAR "PGSUP_LIB_TEST_MARK"
#define PROCMARK_READY_VAR "PGSUP_TEST_READY_FIFO" /* mktree's "ready PID..." line (mktree.c) */

/* Makes the test a child subreaper and puts a fresh marker in its environment. Returns 0 or
 * -errno. */
int procmark_setup(void);

/* "PGSUP_LIB_TEST_MARK=<value>", valid after procmark_setup(). */
const char *procmark_entry(void);

/* A NULL-terminated envp: the marker, PATH, the sanitizers' options if set, then extra
 * (NULL-terminated, may be NULL). One static array, overwritten by the next call. */
const char *const *procmark_envp(const char *const *extra);

/* Live marked processes (the test excluded) and children of the test (zombies included), as
 * counted by one pass over /proc. */
struct procmark_count {
    size_t marked;
    size_t children;
};

/* Counts what is there now. Returns 0 or -errno. */
int procmark_count(struct procmark_count *ret);

/* True if pid is alive (not a zombie) and carries the marker. */
bool procmark_is_marked(pid_t pid);

/* The state letter of pid from /proc/PID/stat ('R', 'S', 'T', 'Z'...), or 0 if it is gone. */
char procmark_state(pid_t pid);

/* The check: returns the number of offending processes (0: clean), after listing, killing and
 * reaping them. what names the moment in the messages. No waiting: use it where the library
 * promises the tree is already gone. */
size_t procmark_check(const char *what);

/* The same, but first gives the tree up to settle_s seconds to vanish, reaping the test's
 * exited children meanwhile (orphans adopted as subreaper). Only for a tree whose end is
 * asynchronous by design (its host was killed); no library run may be active in the test. */
size_t procmark_settle(const char *what, double settle_s);

/* Sends the sanitizer reports of every process started from now on (ASan, LSan, UBSan: the
 * pgsup supervisors and the helper programs of a sanitizer build) to files in a private
 * directory, through log_path in ASAN_OPTIONS and UBSAN_OPTIONS, where procmark_san_reports()
 * finds them: the library ignores how its supervisor exits, so a report on its stderr would
 * fail nothing. The test's own options were read at its start and do not change. Returns 0 or
 * -errno. In a normal build nothing is ever written there. */
int procmark_san_setup(void);

/* Prints and removes the reports written since the last call. Returns how many there were. */
size_t procmark_san_reports(const char *what);

/* Removes the directory (after a last procmark_san_reports()). */
void procmark_san_cleanup(void);

/* Seconds on CLOCK_MONOTONIC. */
double procmark_now(void);

/* A FIFO for mktree's ready line, in a private directory, named by PGSUP_TEST_READY_FIFO in
 * the environment (and in *ret_entry, for an explicit envp: a static buffer). A path, not an
 * inherited fd: libpgsup passes no fd but 0, 1 and 2 to the command. Returns 0 or -errno;
 * ret_fds[0] is the read end (CLOEXEC, non-blocking), ret_fds[1] a writer of ours that keeps
 * reads from seeing end of file before the tree opens the FIFO. One at a time. */
int procmark_ready_pipe(int ret_fds[2], const char **ret_entry);

/* Removes PGSUP_TEST_READY_FIFO from the environment, so that later runs do not get it. */
void procmark_ready_release(int fds[2]);

/* Closes both ends (then -1) and removes the FIFO and its directory. */
void procmark_ready_close(int fds[2]);

/* Reads n "ready PID..." lines from fd within limit_s seconds and appends every pid to
 * pids (capacity max). Returns the number of pids, or -errno (-ETIMEDOUT, -EPIPE on end of
 * file first). */
long procmark_read_ready(int fd, size_t n, double limit_s, pid_t *pids, size_t max);

/* Polls /proc (10 ms) until every pid in pids has state 'T' (want_stopped) or none has, or
 * limit_s passes. Returns true if it happened. */
bool procmark_wait_states(const pid_t *pids, size_t n, bool want_stopped, double limit_s);
