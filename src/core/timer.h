/* timer.h: durations as timeout(1) writes them ("1.5", "2m", "1d"). */
#pragma once

/* Durations at or above this are "forever": no deadline is armed. Also what "inf" parses to. */
#define TIMER_FOREVER_S 1e9

/* Parses a non-negative floating-point number with an optional suffix s (seconds, the default),
 * m (minutes), h (hours) or d (days), as coreutils timeout(1) does. "0" means no deadline; a
 * positive value too small to represent rounds up to one nanosecond; an overflowing one
 * becomes TIMER_FOREVER_S. Returns 0, or -EINVAL on an empty string, junk, a negative value,
 * NaN or an unknown suffix. ret_s is written only on success. */
int timer_parse_duration(const char *s, double *ret_s);

/* Seconds on CLOCK_MONOTONIC. */
double timer_now(void);
