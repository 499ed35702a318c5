/* pidfd.c: pidfd_open / pidfd_send_signal through syscall(2), so the build does not depend on
 * the glibc version (wrappers arrived in 2.36). pidfd_open: Linux 5.3+; ENOSYS → pid path. */
#include "pidfd.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int pidfd_get(pid_t pid)
{
    /* pidfds are always created CLOEXEC. */
    long fd = syscall(SYS_pidfd_open, pid, 0);

    return fd < 0 ? -errno : (int) fd;
}

int pidfd_kill(int pidfd, pid_t pid, int sig)
{
    if (pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
            return 0;
        if (errno != ENOSYS)
            return -errno;
    }
    return kill(pid, sig) < 0 ? -errno : 0;
}

int pidfd_parent(void)
{
    pid_t parent = getppid();
    int fd = pidfd_get(parent);

    /* The parent may die between getppid() and pidfd_open(), and its pid be reused. Still our
     * parent afterwards means it had not died when the pidfd was taken (we would have been
     * re-parented first), so the pidfd is its. */
    if (fd >= 0 && getppid() != parent) {
        (void) close(fd);
        return -ESRCH;
    }
    return fd;
}
