/* trust.h: whether a directory or a file can be changed by someone other than root and the
 * daemon's own user, checked before pgsup puts a file there or believes a byte it reads. A
 * shared directory (/tmp) lets anyone pre-create, replace, symlink or hold a path: pgsup's
 * socket, state file and lock are only ever opened in a directory that passes
 * trust_check_dir(), and every file is opened with trust_open(), which refuses a symlink,
 * never blocks on a FIFO and checks the file it got (fstat, not the path). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* Room for the reason of a refusal: "is owned by uid 1001", "is writable by others (mode
 * 1777)". */
#define TRUST_WHY_MAX 128

/* Checks the directory at path. Trusted: a directory owned by root or the effective user,
 * not writable by others, and writable by its group only if that group is root's (the rule of
 * logrotate's "insecure permissions" check). private: stricter, as tmux and ssh-agent check
 * their socket directory: path itself is not a symlink (lstat), its owner is the effective
 * user, and group and others have no access at all. Returns 0, -EPERM with why filled, or
 * -errno if it cannot be looked at (-ENOENT: missing; why is filled then too). */
int trust_check_dir(const char *path, bool private, char why[TRUST_WHY_MAX]);

/* Checks the open file fd: of type (S_IFREG, S_IFSOCK...), owned by root or the effective
 * user, and not writable by group or others. Returns 0, or -EPERM with why filled. */
int trust_check_fd(int fd, mode_t type, char why[TRUST_WHY_MAX]);

/* Opens path (flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode for O_CREAT) and checks it with
 * trust_check_fd() as a regular file: a symlink is refused (-ELOOP), and a FIFO neither blocks
 * the open (it is made with O_NONBLOCK, which is cleared again) nor passes the check. Returns
 * the fd, or -errno with why filled. */
int trust_open(const char *path, int flags, mode_t mode, char why[TRUST_WHY_MAX]);
