/* api.c: the public functions of libpgsup (pgsup.h). */
#include <string.h>

#include "pgsup.h"

const char *pgsup_strerror(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case 0:
        return "Success";
    case PGSUP_ESURVIVORS:
        return "Processes of the tree survived every kill";
    default:
        /* strerrordesc_np: static strings, unlike strerror(), so safe from any thread. */
        if (err < PGSUP_ESURVIVORS && strerrordesc_np(err))
            return strerrordesc_np(err);
        return "Unknown error";
    }
}

const char *pgsup_version(void)
{
    return PGSUP_VERSION;
}
