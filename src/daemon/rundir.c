/* rundir.c: the daemon's runtime directory (rundir.h). The checks themselves are trust.c's. */
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

static int private_dir(char **ret_dir)
{
    return asprintf(ret_dir, "/tmp/pgsup-%u", (unsigned) geteuid()) < 0 ? -ENOMEM : 0;
}

int rundir_default(char **ret_dir)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir;

    if (geteuid() == 0)
        dir = strdup("/run");
    else if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is to be ignored */
        dir = strdup(xdg);
    else
        return private_dir(ret_dir);
    if (!dir)
        return -ENOMEM;
    *ret_dir = dir;
    return 0;
}

int rundir_prepare(const char *file, bool create, char *why, size_t why_len)
{
    const char *slash = strrchr(file, '/');
    char *dir = NULL, *mine = NULL, problem[TRUST_WHY_MAX];
    bool private;
    int r;

    /* Paths come absolute from the config loader; a bare name lives in the cwd. */
    dir = !slash ? strdup(".") : strndup(file, slash == file ? 1 : (size_t) (slash - file));
    r = dir ? private_dir(&mine) : -ENOMEM;
    if (r < 0) {
        snprintf(why, why_len, "%s", strerror(-r));
        goto out;
    }
    private = strcmp(dir, mine) == 0;
    /* 0700 from the start: mkdir applies the umask, which can only take bits away. */
    if (private && create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
        r = -errno;
        snprintf(why, why_len, "cannot create the directory '%s': %s", dir, strerror(-r));
        goto out;
    }
    r = trust_check_dir(dir, private, problem);
    if (r < 0)
        snprintf(why, why_len, "the directory '%s' %s%s", dir, problem,
                 private && r == -EPERM ? " (remove it, or set XDG_RUNTIME_DIR)" : "");
out:
    free(dir);
    free(mine);
    return r;
}
