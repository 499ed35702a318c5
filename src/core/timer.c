/* timer.c: duration grammar and the monotonic clock. The deadlines themselves are ev_timers
 * owned by run.c; this file only turns text into seconds. */
#include "timer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

int timer_parse_duration(const char *s, double *ret_s)
{
    char *end;
    double v;

    if (!s || !*s)
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || isnan(v) || signbit(v))
        return -EINVAL;
    /* timeout(1) accepts an overflowing value as "forever" and an underflowing one as a tiny
     * positive delay, so ERANGE is not an error here. */
    if (errno == ERANGE && v == 0)
        v = 1e-9;
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        v *= 60;
        break;
    case 'h':
        v *= 60 * 60;
        break;
    case 'd':
        v *= 24 * 60 * 60;
        break;
    default:
        return -EINVAL;
    }
    if (*end && end[1])
        return -EINVAL;
    if (v >= TIMER_FOREVER_S)
        v = TIMER_FOREVER_S;
    *ret_s = v;
    return 0;
}

double timer_now(void)
{
    struct timespec ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with a valid clock id */
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
