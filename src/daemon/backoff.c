/* backoff.c: restart delays of daemon jobs (see backoff.h). No state, no clock: the
 * supervisor counts the runs and arms the timers. */
#include "backoff.h"

#include <math.h>

double backoff_delay(double initial_s, double max_s, unsigned streak)
{
    double d;

    if (streak == 0 || !(initial_s > 0) || !(max_s > 0))
        return 0;
    /* ldexp cannot overflow into something silly: past 2^1023 it gives inf, which the cap
     * takes care of. */
    d = ldexp(initial_s, streak > 1100 ? 1100 : (int) streak - 1);
    return d < max_s ? d : max_s;
}

double backoff_stable_s(double startsecs, double max_s)
{
    return startsecs > max_s ? startsecs : max_s;
}
