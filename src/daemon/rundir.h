/* rundir.h: where the daemon's socket, state file and lock live when the config names no
 * place: /run for root; $XDG_RUNTIME_DIR for other users when it is set (and absolute); else a
 * private directory /tmp/pgsup-UID, created 0700 by the daemon and refused unless it is a real
 * directory owned by the user with no access for group or others (the rule of tmux and
 * ssh-agent). pgsup never puts a file straight into /tmp, where any user could pre-create,
 * symlink or hold it. ctl finds the daemon there with the same rule. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The default directory for the effective user, into a new string (free()). Returns 0 or
 * -ENOMEM. */
int rundir_default(char **ret_dir);

/* Readies the directory that holds file (a socket, state or lock path) for the daemon's
 * files: the private directory under /tmp is created if missing and create is true; then the
 * directory is checked (trust_check_dir(), private for the one under /tmp). Returns 0, or
 * -errno with why filled (one line naming the directory and the problem). */
int rundir_prepare(const char *file, bool create, char *why, size_t why_len);
