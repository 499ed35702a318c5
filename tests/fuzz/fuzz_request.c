/* fuzz_request.c: the control socket's request parser (src/daemon/request.c) on arbitrary
 * lines. A request that parses has a known verb, its names are non-empty words of the line,
 * and a signal request carries a valid signal; a refused one says why. */
#include <errno.h>
#include <signal.h>

#include "daemon/request.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_string(data, size), err[256] = "";
    struct request r;
    int rc;

    if (!line)
        return 0;
    rc = request_parse(line, &r, err, sizeof(err));
    if (rc == 0) {
        FUZZ_CHECK((unsigned) r.verb < REQUEST_VERBS);
        for (size_t i = 0; i < r.names_len; i++)
            FUZZ_CHECK(r.names[i][0] && !strpbrk(r.names[i], " \t\r"));
        if (r.verb == REQUEST_SIGNAL)
            FUZZ_CHECK(r.sig > 0 && r.sig < _NSIG && r.names_len > 0);
        request_free(&r);
    } else {
        FUZZ_CHECK(rc == -EINVAL && err[0]);
    }
    free(line);
    return 0;
}
