/* procscan.h: the /proc reading shared by the three checkers of the tests: treecheck (the
 * integration tests, tests/helpers), procmark (libpgsup's tests, tests/lib) and daemontest (the
 * daemon's tests, tests/daemon). Each recognises the processes of its trees by a marker, a
 * VAR=VALUE entry in their environment, and is a child subreaper that must end with no marked
 * process alive and no child of its own, not even a zombie. This module reads /proc for them,
 * and kills only by pidfd after checking the marker; what to wait for, what to print and when to
 * fail stay with each checker. It prints nothing and never exits. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the checks need of /proc/PID/stat. */
struct procscan_proc {
    pid_t pid, ppid;
    char state;       /* 'R', 'S', 'T', 'Z' (zombie), 'X' (dead)...: of the main thread */
    unsigned threads; /* live threads, plus the main thread while it is a zombie */
};

/* A growing array of processes; zero-initialised is empty, procscan_list_free() empties it. */
struct procscan_list {
    struct procscan_proc *v;
    size_t len, cap;
};

/* One pass over /proc, as the "nothing left" checks see it. Zero-initialised before the first
 * procscan_snap_take(), freed by procscan_snap_free(). */
struct procscan_snap {
    struct procscan_list marked;   /* alive (no zombie) and carrying the marker; self excluded */
    struct procscan_list children; /* whose parent is self, zombies included */
};

/* Seconds on CLOCK_MONOTONIC. */
double procscan_now_s(void);

/* Sleeps s seconds between two polls of /proc, where no event exists to wait for. A signal may
 * cut it short: callers look at the clock (and their flags). */
void procscan_pause(double s);

/* Reads /proc/PID/NAME whole into a malloc'd buffer owned by the caller, NUL-terminated (the NUL
 * not counted), even when empty. Returns the length, or -errno: -ENOENT or -ESRCH when the
 * process is gone. */
ssize_t procscan_read(pid_t pid, const char *name, char **ret_buf);

/* Parses /proc/PID/stat. Returns 0, or -errno (-ENOENT, -ESRCH: gone; -EINVAL: unreadable). */
int procscan_stat(pid_t pid, struct procscan_proc *ret);

/* True unless the process is a zombie or dead. A process whose main thread has exited while
 * another thread runs shows 'Z' yet lives: more than one thread counts as alive. */
bool procscan_alive(const struct procscan_proc *p);

/* True if pid exists and is not a zombie. */
bool procscan_is_alive(pid_t pid);

/* True if env (len bytes of NUL-separated entries, as /proc/PID/environ) holds entry as a whole
 * entry: "VAR=1" is not found in "VAR=12". */
bool procscan_env_holds(const char *env, size_t len, const char *entry);

/* True if the environment of pid holds entry, and also also unless it is NULL (one read: both
 * are of the same process). False for a zombie, which has no environment left; a process whose
 * main thread has exited is read through one of its live threads. */
bool procscan_has_entry(pid_t pid, const char *entry, const char *also);

/* pid's command line, printable, in buf: for messages. */
void procscan_cmdline(pid_t pid, char *buf, size_t buf_len);

/* Every process in /proc, in readdir order (all emptied first). Returns 0 or -errno. */
int procscan_list_all(struct procscan_list *all);

/* True if pid is in the list. */
bool procscan_list_has(const struct procscan_list *l, pid_t pid);

/* Frees the array; the list is empty after, and may be used again. */
void procscan_list_free(struct procscan_list *l);

/* Fills s from /proc (emptied first): marked means the environment holds mark, and also unless
 * it is NULL. Returns 0 or -errno. */
int procscan_snap_take(struct procscan_snap *s, pid_t self, const char *mark, const char *also);

void procscan_snap_free(struct procscan_snap *s);

/* Reaps every child that has exited, without blocking. Returns true if pid (> 0) was one of
 * them, with its wait status in *ret_status if not NULL. */
bool procscan_reap(pid_t pid, int *ret_status);

/* pidfd_open: Linux 5.3+, through syscall(2) as glibc < 2.36 has no wrapper. Returns the fd
 * (CLOEXEC) or -errno. */
int procscan_pidfd_open(pid_t pid);

/* pidfd_send_signal: Linux 5.1+. Returns 0 or -errno (-ESRCH: it has exited). */
int procscan_pidfd_signal(int pidfd, int sig);

/* SIGKILLs pid through a pidfd if it still carries mark. Returns 0 if sent, -ESRCH if it is gone
 * or no longer marked, or -errno. */
int procscan_kill_marked(pid_t pid, const char *mark);

/* Kills every marked process (procscan_kill_marked) and, with kill_children, every live child of
 * self; reaps every exited child; until neither is left or limit_s passes, pausing pause_s
 * between rounds. Returns true if all is gone; s holds what was seen last. */
bool procscan_cleanup(struct procscan_snap *s, pid_t self, const char *mark, double limit_s,
                      double pause_s, bool kill_children);

/* The FIFO of mktree's "ready PID..." line (PGSUP_TEST_READY_FIFO): a path, as pgsup run and
 * libpgsup pass no fd but 0, 1 and 2 to the command. Makes a fresh 0700 directory from
 * dir_template ("/tmp/NAME.XXXXXX", rewritten in place) with the FIFO "ready" in it, and
 * writes its path to path (path_len bytes). ret_fds[0] reads (CLOEXEC, non-blocking);
 * ret_fds[1] is a writer of ours (CLOEXEC), so that reads wait for a line instead of seeing
 * end of file before the tree opens the FIFO. Returns 0, or -errno with nothing left behind. */
int procscan_fifo_open(char *dir_template, char *path, size_t path_len, int ret_fds[2]);

/* Closes fds[0] and fds[1] if >= 0 (then -1), removes the FIFO and its directory. */
void procscan_fifo_close(const char *dir, int fds[2]);
