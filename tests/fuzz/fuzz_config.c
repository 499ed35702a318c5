/* fuzz_config.c: the config loader (src/daemon/config*.c with libinih) on arbitrary files:
 * sections, keys, continuation lines, %(name)s expansion, command= splitting, environment=,
 * every value parser. The input is a file (a memfd, loaded through /proc/self/fd); a load
 * either fails with a diagnostic or gives a config whose jobs are complete. TODO(#11): once
 * [include] exists, its files come from the input too. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_diag diag = {0};
    struct config *c = NULL;
    char path[64];
    int fd = memfd_create("pgsup-fuzz.conf", MFD_CLOEXEC), r;

    if (fd < 0 || write(fd, data, size) != (ssize_t) size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    r = config_load(path, NULL, NULL, &c, &diag);
    if (r == 0) {
        FUZZ_CHECK(c && c->socket_path && c->state_path);
        for (size_t i = 0; i < c->jobs_len; i++) {
            FUZZ_CHECK(c->jobs[i].name && c->jobs[i].argv && c->jobs[i].argv[0]);
            FUZZ_CHECK(config_job_equal(&c->jobs[i], &c->jobs[i]));
            FUZZ_CHECK(config_find(c, c->jobs[i].name) != NULL);
        }
        config_free(c);
    } else {
        FUZZ_CHECK(c == NULL && diag.message != NULL);
    }
    close(fd);
    return 0;
}
