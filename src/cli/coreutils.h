/* coreutils.h: coreutils' spelling of what timeout(1) reads and writes, for `pgsup timeout` to
 * be its drop-in: messages, quoting, signal names, durations (coreutils.c). */
#pragma once
#include "core/signame.h"

/* Prints "PROGRAM: MESSAGE\n" on stderr in one write, as coreutils' error(0, 0, ...) does. */
void coreutils_error(const char *program, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints coreutils' second line after a usage error: "Try 'PROGRAM --help' for more
 * information." */
void coreutils_try_help(const char *program);

/* Quotes text as coreutils' quote() does in the current locale (LC_CTYPE): 'text', or
 * U+2018 text U+2019 under UTF-8, with backslash escapes for the closing quote, backslashes,
 * control characters and bytes that are no printable character (\n, \ooo...). Returns a
 * malloc'd string owned by the caller, or NULL (ENOMEM). */
char *coreutils_quote(const char *text);

/* Parses a signal as timeout -s does (operand2sig): a name in any case, with or without SIG
 * (TERM, sigterm, RTMIN+2, RTMAX-1, IOT, CLD, EXIT for 0), or a number, read as a shell's exit
 * status when it is one (143 is TERM, 0 is no signal). glibc's 32 and 33 have no name and are
 * refused. Returns 0, or -EINVAL. */
int coreutils_parse_signal(const char *text, int *ret_sig);

/* Names sig as timeout --verbose does (sig2str): TERM, POLL (29), RTMIN+2, RTMAX-1, and 0 for
 * signal 0. Returns buf. */
const char *coreutils_signal_name(int sig, char buf[SIGNAME_MAX]);

/* Parses a duration as timeout does: strtod() (blanks, a sign, hex, inf, exponents), then
 * one optional suffix s, m, h or d. A value that underflows to 0 is 0 (no deadline); one that
 * overflows is infinite. Returns 0, or -EINVAL (junk, negative, NaN, a bad suffix). */
int coreutils_parse_duration(const char *text, double *ret_s);

/* Flushes stdout at the end of --help or --version and reports a write error as coreutils'
 * close_stdout() does: "PROGRAM: write error: REASON". Returns 0, or -EIO after the message. */
int coreutils_close_stdout(const char *program);
