/* trust.c: the ownership and permission checks of the daemon's directories and files
 * (trust.h). Where the files are is rundir.c's business; what they hold is state.c's and
 * control.c's. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"

static const char *type_name(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symbolic link";
    case S_IFIFO:
        return "a FIFO";
    case S_IFSOCK:
        return "a socket";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    default:
        return "of an unknown type";
    }
}

/* Owner and write bits: who, besides root and us, could change what is there. */
static int check_owner_mode(const struct stat *st, bool private, char why[TRUST_WHY_MAX])
{
    uid_t me = geteuid();

    if (private ? st->st_uid != me : st->st_uid != 0 && st->st_uid != me) {
        if (me == 0 && !private)
            snprintf(why, TRUST_WHY_MAX, "is owned by uid %u, not by root",
                     (unsigned) st->st_uid);
        else
            snprintf(why, TRUST_WHY_MAX, "is owned by uid %u, not by %suid %u",
                     (unsigned) st->st_uid, private ? "" : "root or ", (unsigned) me);
        return -EPERM;
    }
    if (private && (st->st_mode & (S_IRWXG | S_IRWXO))) {
        snprintf(why, TRUST_WHY_MAX, "is open to group or others (mode %04o, expected 0700)",
                 (unsigned) (st->st_mode & 07777));
        return -EPERM;
    }
    /* A group of root's is root's business; any other group may hold a stranger. */
    if ((st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && st->st_gid != 0)) {
        snprintf(why, TRUST_WHY_MAX, "is writable by other users (mode %04o)",
                 (unsigned) (st->st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

int trust_check_dir(const char *path, bool private, char why[TRUST_WHY_MAX])
{
    struct stat st;

    /* private: lstat, so that a symlink planted at the path is refused, not followed. */
    if ((private ? lstat(path, &st) : stat(path, &st)) < 0) {
        int r = -errno;
        snprintf(why, TRUST_WHY_MAX, "cannot be looked at: %s", strerror(-r));
        return r;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, TRUST_WHY_MAX, "is %s, not a directory", type_name(st.st_mode));
        return -EPERM;
    }
    return check_owner_mode(&st, private, why);
}

int trust_check_fd(int fd, mode_t type, char why[TRUST_WHY_MAX])
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        int r = -errno;
        snprintf(why, TRUST_WHY_MAX, "cannot be looked at: %s", strerror(-r));
        return r;
    }
    if ((st.st_mode & S_IFMT) != type) {
        snprintf(why, TRUST_WHY_MAX, "is %s, not %s", type_name(st.st_mode), type_name(type));
        return -EPERM;
    }
    return check_owner_mode(&st, false, why);
}

int trust_open(const char *path, int flags, mode_t mode, char why[TRUST_WHY_MAX])
{
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, mode), r;

    if (fd < 0) {
        r = -errno;
        if (r == -ELOOP)
            snprintf(why, TRUST_WHY_MAX, "is a symbolic link (never followed)");
        else if (r == -ENXIO)
            snprintf(why, TRUST_WHY_MAX, "is a FIFO or a socket, not a regular file");
        else
            snprintf(why, TRUST_WHY_MAX, "%s", strerror(-r));
        return r;
    }
    r = trust_check_fd(fd, S_IFREG, why);
    if (r == 0 && !(flags & O_NONBLOCK)) {
        r = fd_set_nonblock(fd, 0);
        if (r < 0)
            snprintf(why, TRUST_WHY_MAX, "%s", strerror(-r));
    }
    if (r < 0) {
        fd_close(&fd);
        return r;
    }
    return fd;
}
