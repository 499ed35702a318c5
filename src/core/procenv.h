/* procenv.h: the environment of another process, read from /proc/PID/environ: how pgsup
 * recognises the processes of a tree by a marker they inherited (a daemon's run, a library
 * run whose supervisor died), wherever they were re-parented. */
#pragma once
#include <stdbool.h>

#include "proc.h"

/* True if the environment of the process e (as read from /proc/PID/stat) holds an entry that
 * starts with (exact: equals) entry. The environment of a process whose main thread has
 * exited is read through a live thread. False if it cannot be read (gone, another user's). */
bool procenv_has(const struct proc_entry *e, const char *entry, bool exact);
