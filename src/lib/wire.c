/* wire.c: formatting and parsing of the control messages; no I/O. */
#include "wire.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verbs[] = {
    [WIRE_STARTED] = "started", [WIRE_FAILED] = "failed",       [WIRE_DONE] = "done",
    [WIRE_SIGNAL] = "signal",   [WIRE_TERMINATE] = "terminate", [WIRE_DEADLINE] = "deadline",
};

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

static int parse_pair(struct wire_msg *m, const char *key, const char *val)
{
    struct run_result *r = &m->result;
    char *end;
    double d;

    errno = 0;
    d = strtod(val, &end);
    if (end == val || *end || errno || !isfinite(d))
        return -EINVAL;
    if (strcmp(key, "pid") == 0)
        m->pid = (int) d;
    else if (strcmp(key, "err") == 0)
        m->err = (int) d;
    else if (strcmp(key, "sig") == 0)
        m->sig = (int) d;
    else if (strcmp(key, "seconds") == 0)
        m->seconds = d;
    else if (strcmp(key, "exited") == 0)
        r->exited = d != 0;
    else if (strcmp(key, "code") == 0)
        r->exit_code = (int) d;
    else if (strcmp(key, "signal") == 0)
        r->term_signal = (int) d;
    else if (strcmp(key, "timed_out") == 0)
        r->timed_out = d != 0;
    else if (strcmp(key, "escalated") == 0)
        r->escalated = d != 0;
    else if (strcmp(key, "wall") == 0)
        r->wall_s = d;
    else if (strcmp(key, "utime") == 0)
        r->rusage.ru_utime = s_tv(d);
    else if (strcmp(key, "stime") == 0)
        r->rusage.ru_stime = s_tv(d);
    else if (strcmp(key, "maxrss") == 0)
        r->rusage.ru_maxrss = (long) d;
    else if (strcmp(key, "minflt") == 0)
        r->rusage.ru_minflt = (long) d;
    else if (strcmp(key, "majflt") == 0)
        r->rusage.ru_majflt = (long) d;
    else if (strcmp(key, "nvcsw") == 0)
        r->rusage.ru_nvcsw = (long) d;
    else if (strcmp(key, "nivcsw") == 0)
        r->rusage.ru_nivcsw = (long) d;
    /* Unknown keys come from a newer peer: skip them. */
    return 0;
}

int wire_parse(const char *buf, size_t len, struct wire_msg *ret)
{
    char text[WIRE_MAX + 1], *save = NULL, *tok;
    struct wire_msg m = {0};
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
    }
    *ret = m;
    return 0;
}
