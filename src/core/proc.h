/* proc.h: snapshots of the process table read from /proc. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc_entry {
    pid_t pid, ppid, pgid, sid;
    char state;                  /* 'R', 'S', 'T', 'Z', ... as in /proc/PID/stat: the state of
                                  * the main thread, not of the process (proc_entry_alive()) */
    unsigned threads;            /* live threads, plus the main thread while it is a zombie */
    unsigned long long start;    /* start time in clock ticks since boot (proc_boot_ticks()).
                                  * Not an identity: a recycled pid may start in the same tick
                                  * (10 ms). Only a pidfd names a process (pin.h). */
};

struct proc_table {
    struct proc_entry *v;
    size_t len, cap;
};

/* True if the process has a thread left that can act on a signal. /proc/PID/stat shows the
 * main thread's state: a process whose main thread called pthread_exit() while another thread
 * runs shows 'Z' there, yet it is alive and kill(2) reaches it. Its zombie main thread is still
 * counted in `threads`, so more than one thread means the process lives. */
bool proc_entry_alive(const struct proc_entry *e);

/* The current time in the unit of proc_entry.start (clock ticks of CLOCK_BOOTTIME, the clock
 * the kernel stamps forks with): a process whose start is below it was forked before the call.
 * Returns 0 if the clock cannot be read. */
unsigned long long proc_boot_ticks(void);

/* Reads every process of /proc into t (emptied first; its buffer is reused). Processes that
 * vanish during the scan are skipped. Returns 0 or -errno. */
int proc_scan(struct proc_table *t);

/* Reads root and its descendants into t (emptied first), following /proc/PID/task/TID/children:
 * the cost grows with the tree, not with the host's process count. The kernel builds those
 * lists without stopping anyone, so a process that moves (re-parented, forked) during the
 * walk may be missed: callers repeat until they see the tree empty. Returns 0, -ENOSYS if
 * the kernel has no children files (then use proc_scan()), or -errno. */
int proc_scan_descendants(pid_t root, struct proc_table *t);

typedef int proc_child_fn(pid_t pid, void *userdata);

/* Calls fn for each child of parent, zombies included, until fn returns < 0. Reads
 * /proc/PID/task/TID/children where the kernel has them, else scans all of /proc for the
 * processes whose parent is parent. Returns 0, fn's negative value, -EXDEV when /proc is
 * another PID namespace's (procns.h), or -errno. */
int proc_each_child(pid_t parent, proc_child_fn *fn, void *userdata);

/* Appends one entry; the table grows as needed. Returns 0 or -ENOMEM. */
int proc_table_add(struct proc_table *t, const struct proc_entry *e);

/* Frees the table's buffer; the table may be reused afterwards. */
void proc_table_free(struct proc_table *t);

/* Sorts v by pid, so that proc_entries_find() can search it. */
void proc_entries_sort(struct proc_entry *v, size_t len);

/* The entry of pid in v (sorted by proc_entries_sort()), or NULL. */
const struct proc_entry *proc_entries_find(const struct proc_entry *v, size_t len, pid_t pid);

/* Reads /proc/PID/stat. Returns 0, -ESRCH if the process is gone, or -errno. */
int proc_stat_read(pid_t pid, struct proc_entry *ret);

/* Parses the text of a /proc/PID/stat file. Returns 0 or -EINVAL. */
int proc_stat_parse(const char *text, struct proc_entry *ret);
