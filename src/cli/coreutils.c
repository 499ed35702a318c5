/* coreutils.c: what a script that swaps timeout(1) for `pgsup timeout` reads on stderr and may
 * write on the command line must not change. So this file spells things as coreutils 9.x does
 * (gnulib's error(), quote(), sig2str(), operand2sig(), timeout's parse_duration() and
 * close_stdout()), checked byte for byte against the installed coreutils by tests/compat.
 * Messages are coreutils' English ones: a locale with coreutils translations installed would
 * translate them there, and not here (README). The rest of pgsup keeps its own spelling
 * (log.h, signame.h, timer.h). */
#include "coreutils.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "core/fd.h"

void coreutils_error(const char *program, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int n = snprintf(buf, sizeof(buf), "%s: ", program);

    if (n < 0 || (size_t) n >= sizeof(buf))
        n = 0;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
    va_end(ap);
    if ((size_t) n >= sizeof(buf) - 1)
        n = (int) sizeof(buf) - 2; /* cut, but still one line */
    buf[n++] = '\n';
    /* As error() does: what we wrote on stdout comes first. */
    (void) fflush(stdout);
    (void) fd_write_all(STDERR_FILENO, buf, (size_t) n); /* stderr closed: nobody to tell */
}

void coreutils_try_help(const char *program)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "Try '%s --help' for more information.\n", program);

    if (n > 0 && (size_t) n < sizeof(buf))
        (void) fd_write_all(STDERR_FILENO, buf, (size_t) n);
}

/* The quotes of gnulib's gettext_quote() without a translation: Unicode's under UTF-8, else
 * the apostrophe. */
static bool charset_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);

    return strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0;
}

/* Appends \ooo for byte c. */
static char *put_octal(char *p, unsigned char c)
{
    *p++ = '\\';
    *p++ = (char) ('0' + (c >> 6));
    *p++ = (char) ('0' + ((c >> 3) & 7));
    *p++ = (char) ('0' + (c & 7));
    return p;
}

/* gnulib's quotearg_buffer_restyled() with locale_quoting_style and no flags, for a
 * NUL-terminated string: the closing quote inside the text gets a backslash before its first
 * byte; \a \b \f \n \r \t \v and \\ are C escapes; a byte that starts no printable character
 * (unibyte locale: isprint(); else mbrtowc() and iswprint(), one character at a time) is
 * written \ooo, the bytes of a printable one as they are. */
char *coreutils_quote(const char *text)
{
    const bool utf8 = charset_is_utf8();
    const char *left = utf8 ? "\xe2\x80\x98" : "'";
    const char *right = utf8 ? "\xe2\x80\x99" : "'";
    const size_t right_len = strlen(right), len = strlen(text);
    const bool unibyte = MB_CUR_MAX == 1;
    /* Worst case: every byte as \ooo, and both quotes. */
    char *out = malloc(4 * len + 2 * right_len + 1), *p = out;

    if (!out)
        return NULL;
    p = stpcpy(p, left);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) text[i];
        bool is_right = len - i >= right_len && memcmp(text + i, right, right_len) == 0;
        const char *esc = strchr("\a\b\f\n\r\t\v\\", c);
        size_t m = 1;
        bool printable;

        if (c != '\0' && esc) {
            *p++ = '\\';
            *p++ = "abfnrtv\\"[esc - "\a\b\f\n\r\t\v\\"];
            i++;
            continue;
        }
        if (unibyte || c < 0x80) {
            printable = c < 0x80 ? (c >= 0x20 && c < 0x7f) : isprint(c);
        } else {
            mbstate_t st;
            wchar_t w;
            size_t n;
            memset(&st, 0, sizeof(st));
            n = mbrtowc(&w, text + i, len - i, &st);
            if (n == (size_t) -1 || n == 0) {
                printable = false;
            } else if (n == (size_t) -2) {
                printable = false;
                m = len - i; /* an incomplete character runs to the end */
            } else {
                printable = iswprint((wint_t) w) != 0;
                m = n;
            }
        }
        if (!printable) {
            for (size_t k = 0; k < m; k++)
                p = put_octal(p, (unsigned char) text[i + k]);
        } else {
            if (is_right)
                *p++ = '\\';
            memcpy(p, text + i, m);
            p += m;
        }
        i += m;
    }
    strcpy(p, right);
    return out;
}

/* The names of gnulib's sig2str() table that glibc's sigabbrev_np() does not give, and EXIT. */
static const struct {
    const char *name;
    int sig;
} aliases[] = {
    {"IOT", SIGABRT},
    {"CLD", SIGCHLD},
    {"IO", SIGIO},
    {"EXIT", 0},
};

/* strtol() as gnulib's str2sig() uses it: blanks and a sign allowed, nothing after. */
static bool whole_long(const char *s, long *ret)
{
    char *end;

    errno = 0;
    *ret = strtol(s, &end, 10);
    return end != s && !*end && errno == 0;
}

/* gnulib's str2sig() on an upper-case name without SIG: -1 if unknown. */
static int str2sig(const char *s)
{
    long n;

    if (*s >= '0' && *s <= '9')
        return whole_long(s, &n) && n <= SIGRTMAX ? (int) n : -1;
    for (int sig = 1; sig < SIGRTMIN; sig++)
        if (sigabbrev_np(sig) && strcmp(sigabbrev_np(sig), s) == 0)
            return sig;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(aliases[i].name, s) == 0)
            return aliases[i].sig;
    if (strncmp(s, "RTMIN", 5) == 0) {
        /* "RTMIN" alone is an empty number, 0. */
        if (!s[5])
            return SIGRTMIN;
        if (whole_long(s + 5, &n) && n >= 0 && n <= SIGRTMAX - SIGRTMIN)
            return SIGRTMIN + (int) n;
    } else if (strncmp(s, "RTMAX", 5) == 0) {
        if (!s[5])
            return SIGRTMAX;
        if (whole_long(s + 5, &n) && n >= SIGRTMIN - SIGRTMAX && n <= 0)
            return SIGRTMAX + (int) n;
    }
    return -1;
}

/* sig2str() knows 0 (EXIT), 1..31 and the real-time range; not glibc's 32 and 33. */
static bool has_name(int sig)
{
    return sig == 0 || (sig > 0 && sig < SIGRTMIN && sigabbrev_np(sig)) ||
           (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

int coreutils_parse_signal(const char *text, int *ret_sig)
{
    int sig;

    if (*text >= '0' && *text <= '9') {
        /* operand2sig(): a number is an exit status if WIFSIGNALED says so, then its
         * WTERMSIG; the low 7 bits then, unless they are 0 or 0x7f. */
        char *end;
        long l;
        errno = 0;
        l = strtol(text, &end, 10);
        if (end == text || *end || errno || l != (int) l)
            return -EINVAL;
        sig = (int) l;
        if ((sig & 0x7f) != 0 && (sig & 0x7f) != 0x7f)
            sig &= 0x7f;
    } else {
        char *upper = strdup(text);
        if (!upper)
            return -ENOMEM;
        /* Upper case in the C locale, whatever the current one. */
        for (char *c = upper; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char) (*c - 'a' + 'A');
        sig = str2sig(upper);
        if (sig < 0 && strncmp(upper, "SIG", 3) == 0)
            sig = str2sig(upper + 3);
        free(upper);
    }
    if (sig < 0 || !has_name(sig))
        return -EINVAL;
    *ret_sig = sig;
    return 0;
}

const char *coreutils_signal_name(int sig, char buf[SIGNAME_MAX])
{
    const int half = SIGRTMIN + (SIGRTMAX - SIGRTMIN) / 2;

    /* Signal 0 was "EXIT" up to coreutils 9.9 and is "0" since (tests/compat). */
    if (sig > 0 && sig < SIGRTMIN && sigabbrev_np(sig))
        snprintf(buf, SIGNAME_MAX, "%s", sigabbrev_np(sig));
    else if (sig == SIGRTMIN || sig == SIGRTMAX)
        snprintf(buf, SIGNAME_MAX, "%s", sig == SIGRTMIN ? "RTMIN" : "RTMAX");
    else if (sig > SIGRTMIN && sig <= half)
        snprintf(buf, SIGNAME_MAX, "RTMIN+%d", sig - SIGRTMIN);
    else if (sig > half && sig < SIGRTMAX)
        snprintf(buf, SIGNAME_MAX, "RTMAX-%d", SIGRTMAX - sig);
    else
        snprintf(buf, SIGNAME_MAX, "%d", sig);
    return buf;
}

int coreutils_parse_duration(const char *text, double *ret_s)
{
    static const struct {
        char suffix;
        double scale;
    } units[] = {{'\0', 1}, {'s', 1}, {'m', 60}, {'h', 60 * 60}, {'d', 24 * 60 * 60}};
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    /* No number at all; or NaN or a negative value (-0 is 0); or more than one letter. */
    if (end == text || !(v >= 0) || (*end && end[1]))
        return -EINVAL;
    /* ERANGE is fine: an overflow is infinite, an underflow 0 or a tiny delay. */
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (units[i].suffix == *end) {
            *ret_s = v * units[i].scale;
            return 0;
        }
    }
    return -EINVAL;
}

int coreutils_close_stdout(const char *program)
{
    bool failed = fflush(stdout) != 0;
    int err = failed ? errno : 0;

    if (!failed && !ferror(stdout))
        return 0;
    if (err)
        coreutils_error(program, "write error: %s", strerror(err));
    else
        coreutils_error(program, "write error");
    return -EIO;
}
