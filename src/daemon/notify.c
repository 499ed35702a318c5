/* notify.c: the sd_notify(3) protocol, which is a single AF_UNIX datagram. The address is a
 * path, or an abstract name when it starts with '@'. The daemon removes NOTIFY_SOCKET from
 * its jobs' environment (runner.c): a job must not announce readiness on the daemon's behalf. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/fd.h"

int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len;
    int fd, r = 1;

    if (!path || !*path)
        return 0;
    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
        return -EINVAL;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace: the name is not NUL-terminated */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &sa,
               (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        r = -errno;
    fd_close(&fd);
    return r;
}
