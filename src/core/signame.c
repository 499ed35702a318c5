/* signame.c: signal names <-> numbers. glibc's sigabbrev_np() knows the classic names; the
 * real-time range is spelled RTMIN+n / RTMAX-n like kill(1). */
#include "signame.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int sig;
} aliases[] = {
    {"IOT", SIGABRT},
    {"CLD", SIGCHLD},
    {"POLL", SIGIO},
    {"IO", SIGIO},
};

static int parse_number(const char *s, long *ret)
{
    char *end;
    long v;

    /* strtol would also take blanks and a sign: "RTMIN++1" is not a signal name. */
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end || errno)
        return -EINVAL;
    *ret = v;
    return 0;
}

static int parse_rt(const char *s, int *ret_sig)
{
    long off = 0;
    int base;

    if (strncasecmp(s, "RTMIN", 5) == 0)
        base = SIGRTMIN;
    else if (strncasecmp(s, "RTMAX", 5) == 0)
        base = SIGRTMAX;
    else
        return -EINVAL;
    s += 5;
    if (*s) {
        if ((base == SIGRTMIN && *s != '+') || (base == SIGRTMAX && *s != '-'))
            return -EINVAL;
        if (!s[1] || parse_number(s + 1, &off) < 0 || off < 0 || off > SIGRTMAX - SIGRTMIN)
            return -EINVAL;
    }
    *ret_sig = base == SIGRTMIN ? base + (int) off : base - (int) off;
    return 0;
}

int signame_parse(const char *s, int *ret_sig)
{
    long n;

    if (!s || !*s)
        return -EINVAL;
    if (s[0] >= '0' && s[0] <= '9') {
        if (parse_number(s, &n) < 0 || n > INT_MAX)
            return -EINVAL;
        /* A shell reports death by signal N as 128 + N (ksh: 256 + N); timeout(1) takes both,
         * by the same rule as WIFSIGNALED/WTERMSIG on the number. */
        if ((n & 0x7f) != 0 && (n & 0x7f) != 0x7f)
            n &= 0x7f;
        if (n < 1 || n > SIGRTMAX)
            return -EINVAL;
        *ret_sig = (int) n;
        return 0;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *name = sigabbrev_np(sig);
        if (name && strcasecmp(name, s) == 0) {
            *ret_sig = sig;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcasecmp(aliases[i].name, s) == 0) {
            *ret_sig = aliases[i].sig;
            return 0;
        }
    }
    return parse_rt(s, ret_sig);
}

const char *signame_format(int sig, char buf[SIGNAME_MAX])
{
    /* glibc calls 29 POLL; kill(1) and bash say IO. */
    const char *name = sig == SIGIO ? "IO" : sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

    if (name)
        snprintf(buf, SIGNAME_MAX, "%s", name);
    else if (sig == SIGRTMIN)
        snprintf(buf, SIGNAME_MAX, "RTMIN");
    else if (sig > SIGRTMIN && sig <= (SIGRTMIN + SIGRTMAX) / 2)
        snprintf(buf, SIGNAME_MAX, "RTMIN+%d", sig - SIGRTMIN);
    else if (sig == SIGRTMAX)
        snprintf(buf, SIGNAME_MAX, "RTMAX");
    else if (sig > SIGRTMIN && sig < SIGRTMAX)
        snprintf(buf, SIGNAME_MAX, "RTMAX-%d", SIGRTMAX - sig);
    else
        snprintf(buf, SIGNAME_MAX, "%d", sig);
    return buf;
}
