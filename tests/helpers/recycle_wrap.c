/* recycle_wrap.c: the wrapper of pidfd_get() for the tests that use recycle_test(): linked
 * with -Wl,--wrap=pidfd_get, every pidfd that pgsup's code opens passes here first, and
 * the victim's pid goes to the stranger at that moment (recycle.h). A file of its own: only
 * executables linked with the wrap pull it in. */
#include <sys/types.h>

#include "recycle.h"

int __real_pidfd_get(pid_t pid);
int __wrap_pidfd_get(pid_t pid);

int __wrap_pidfd_get(pid_t pid)
{
    recycle_on_pidfd_get(pid);
    return __real_pidfd_get(pid);
}
