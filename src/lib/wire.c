/* wire.c: formatting and parsing of the control messages; no I/O. */
#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsup.h"

static const char *const verbs[] = {
    [WIRE_STARTED] = "started", [WIRE_FAILED] = "failed",       [WIRE_DONE] = "done",
    [WIRE_SIGNAL] = "signal",   [WIRE_TERMINATE] = "terminate", [WIRE_DEADLINE] = "deadline",
};

static const char *const keys[] = {
    "pid",  "err",   "sig",   "seconds", "exited", "code",   "signal", "timed_out", "escalated",
    "wall", "utime", "stime", "maxrss",  "minflt", "majflt", "nvcsw",  "nivcsw",
};

#define KEY(i) (1u << (i)) /* bits of keys[] */

/* What each message cannot do without: "started" without a pid would report pid 0. */
static const unsigned required[] = {
    [WIRE_STARTED] = KEY(0),           [WIRE_FAILED] = KEY(1),
    [WIRE_DONE] = KEY(4) | KEY(5) | KEY(6), [WIRE_SIGNAL] = KEY(2),
    [WIRE_TERMINATE] = KEY(2) | KEY(3), [WIRE_DEADLINE] = KEY(3),
};

/* The bit of a known key, 0 for another (a newer peer's). */
static unsigned key_bit(const char *key)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(key, keys[i]) == 0)
            return KEY(i);
    return 0;
}

static double tv_s(struct timeval tv)
{
    return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

static struct timeval s_tv(double s)
{
    struct timeval tv = {.tv_sec = (time_t) s};

    /* Rounded by hand, not llround(): libm would be one more library for every run to load. */
    tv.tv_usec = (suseconds_t) ((s - (double) tv.tv_sec) * 1e6 + 0.5);
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    return tv;
}

int wire_format(const struct wire_msg *m, char *buf, size_t len)
{
    const struct run_result *r = &m->result;
    int n;

    switch (m->kind) {
    case WIRE_STARTED:
        n = snprintf(buf, len, "started pid=%d", m->pid);
        break;
    case WIRE_FAILED:
        n = snprintf(buf, len, "failed err=%d", m->err);
        break;
    case WIRE_SIGNAL:
        n = snprintf(buf, len, "signal sig=%d", m->sig);
        break;
    case WIRE_TERMINATE:
        n = snprintf(buf, len, "terminate sig=%d seconds=%.9g", m->sig, m->seconds);
        break;
    case WIRE_DEADLINE:
        n = snprintf(buf, len, "deadline seconds=%.9g", m->seconds);
        break;
    case WIRE_DONE:
        n = snprintf(buf, len,
                     "done exited=%d code=%d signal=%d timed_out=%d escalated=%d wall=%.9g "
                     "utime=%.6f stime=%.6f maxrss=%ld minflt=%ld majflt=%ld nvcsw=%ld "
                     "nivcsw=%ld",
                     r->exited, r->exit_code, r->term_signal, r->timed_out, r->escalated,
                     r->wall_s, tv_s(r->rusage.ru_utime), tv_s(r->rusage.ru_stime),
                     r->rusage.ru_maxrss, r->rusage.ru_minflt, r->rusage.ru_majflt,
                     r->rusage.ru_nvcsw, r->rusage.ru_nivcsw);
        break;
    default:
        return -EINVAL;
    }
    return n < 0 || (size_t) n >= len ? -ENOSPC : n;
}

/* Every number is checked against the range of the field it goes into before it is
 * converted: a double or a long long out of an int's range is undefined behaviour in C, and
 * a peer (a library or an engine of another version, or a broken one) must not reach that. */
static int parse_int(const char *val, long long min, long long max, long long *ret)
{
    char *end;
    long long n;

    if (!(*val >= '0' && *val <= '9') && *val != '-')
        return -EINVAL; /* no blanks, no '+', no hex: what wire_format() writes */
    errno = 0;
    n = strtoll(val, &end, 10);
    if (end == val || *end || errno || n < min || n > max)
        return -EINVAL;
    *ret = n;
    return 0;
}

static int parse_real(const char *val, double min, double max, double *ret)
{
    char *end;
    double d;

    if (!(*val >= '0' && *val <= '9') && *val != '-' && *val != '.')
        return -EINVAL; /* no "inf", "nan", blanks or '+' */
    errno = 0;
    d = strtod(val, &end);
    if (end == val || *end || errno || !isfinite(d) || !(d >= min && d <= max))
        return -EINVAL;
    *ret = d;
    return 0;
}

/* Seconds of CPU time: a struct timeval's tv_sec is a long, and s_tv() adds one. */
#define CPU_S_MAX 1e15
/* Durations: far beyond TIMER_FOREVER_S ("forever"), far below what a double holds exactly. */
#define SECONDS_MAX 1e15
#define ERR_MIN (-(long long) PGSUP_EHELPER - 1000) /* errno values and pgsup's own, negated */

static int parse_pair(struct wire_msg *m, const char *key, const char *val)
{
    struct run_result *r = &m->result;
    long long n = 0;
    double d = 0;
    int e;

    if (strcmp(key, "pid") == 0 && (e = parse_int(val, 1, INT_MAX, &n)) == 0)
        m->pid = (int) n;
    else if (strcmp(key, "err") == 0 && (e = parse_int(val, ERR_MIN, -1, &n)) == 0)
        m->err = (int) n;
    else if (strcmp(key, "sig") == 0 && (e = parse_int(val, 1, _NSIG - 1, &n)) == 0)
        m->sig = (int) n;
    else if (strcmp(key, "seconds") == 0 &&
             (e = parse_real(val, -SECONDS_MAX, SECONDS_MAX, &d)) == 0)
        m->seconds = d;
    else if (strcmp(key, "exited") == 0 && (e = parse_int(val, 0, 1, &n)) == 0)
        r->exited = n != 0;
    else if (strcmp(key, "code") == 0 && (e = parse_int(val, -1, 255, &n)) == 0) /* -1: signal */
        r->exit_code = (int) n;
    else if (strcmp(key, "signal") == 0 && (e = parse_int(val, 0, _NSIG - 1, &n)) == 0)
        r->term_signal = (int) n;
    else if (strcmp(key, "timed_out") == 0 && (e = parse_int(val, 0, 1, &n)) == 0)
        r->timed_out = n != 0;
    else if (strcmp(key, "escalated") == 0 && (e = parse_int(val, 0, 1, &n)) == 0)
        r->escalated = n != 0;
    else if (strcmp(key, "wall") == 0 && (e = parse_real(val, 0, SECONDS_MAX, &d)) == 0)
        r->wall_s = d;
    else if (strcmp(key, "utime") == 0 && (e = parse_real(val, 0, CPU_S_MAX, &d)) == 0)
        r->rusage.ru_utime = s_tv(d);
    else if (strcmp(key, "stime") == 0 && (e = parse_real(val, 0, CPU_S_MAX, &d)) == 0)
        r->rusage.ru_stime = s_tv(d);
    else if (strcmp(key, "maxrss") == 0 && (e = parse_int(val, 0, LONG_MAX, &n)) == 0)
        r->rusage.ru_maxrss = (long) n;
    else if (strcmp(key, "minflt") == 0 && (e = parse_int(val, 0, LONG_MAX, &n)) == 0)
        r->rusage.ru_minflt = (long) n;
    else if (strcmp(key, "majflt") == 0 && (e = parse_int(val, 0, LONG_MAX, &n)) == 0)
        r->rusage.ru_majflt = (long) n;
    else if (strcmp(key, "nvcsw") == 0 && (e = parse_int(val, 0, LONG_MAX, &n)) == 0)
        r->rusage.ru_nvcsw = (long) n;
    else if (strcmp(key, "nivcsw") == 0 && (e = parse_int(val, 0, LONG_MAX, &n)) == 0)
        r->rusage.ru_nivcsw = (long) n;
    else
        e = key_bit(key) ? -EINVAL : 0; /* a known key out of range; unknown: a newer peer */
    return e;
}

int wire_parse(const char *buf, size_t len, struct wire_msg *ret)
{
    char text[WIRE_MAX + 1], *save = NULL, *tok;
    struct wire_msg m = {0};
    unsigned seen = 0;
    size_t i;

    if (len > WIRE_MAX || memchr(buf, '\0', len))
        return -EINVAL;
    memcpy(text, buf, len);
    text[len] = '\0';
    tok = strtok_r(text, " ", &save);
    if (!tok)
        return -EINVAL;
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(tok, verbs[i]) == 0)
            break;
    if (i == sizeof(verbs) / sizeof(verbs[0]))
        return -EINVAL;
    m.kind = (enum wire_kind) i;
    while ((tok = strtok_r(NULL, " ", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            return -EINVAL;
        *eq = '\0';
        if (parse_pair(&m, tok, eq + 1) < 0)
            return -EINVAL;
        seen |= key_bit(tok);
    }
    if ((seen & required[m.kind]) != required[m.kind])
        return -EINVAL;
    *ret = m;
    return 0;
}
