/* fuzz_duration_signal.c: durations ("1.5", "2m", "inf": src/core/timer.c) and signal names
 * ("TERM", "sigrtmin+2", "143": src/core/signame.c) on arbitrary strings. A signal that
 * parses formats to a name that parses back to the same signal; a duration is never negative
 * or NaN. */
#include <math.h>
#include <signal.h>

#include "core/signame.h"
#include "core/timer.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size), name[SIGNAME_MAX];
    double d = -42;
    int sig = -42, again = -42;

    if (!s)
        return 0;
    if (timer_parse_duration(s, &d) == 0)
        FUZZ_CHECK(!isnan(d) && d >= 0);
    else
        FUZZ_CHECK(d == -42);
    if (signame_parse(s, &sig) == 0) {
        FUZZ_CHECK(sig > 0 && sig < _NSIG);
        FUZZ_CHECK(signame_parse(signame_format(sig, name), &again) == 0 && again == sig);
    } else {
        FUZZ_CHECK(sig == -42);
    }
    free(s);
    return 0;
}
