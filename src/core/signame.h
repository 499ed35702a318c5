/* signame.h: signal names and numbers as kill(1) and timeout(1) spell them. */
#pragma once
#include <stddef.h>

/* Long enough for "RTMAX-30" and any decimal signal number. */
#define SIGNAME_MAX 16

/* Parses "TERM", "SIGTERM", "term", "RTMIN+2", "15", or a shell exit status such as "143"
 * (128 + 15, as timeout(1) accepts). Returns 0, or -EINVAL for an unknown name, signal 0 or a
 * number out of range. ret_sig is written only on success. */
int signame_parse(const char *s, int *ret_sig);

/* Writes the name of sig without "SIG" ("TERM", "RTMIN+2"), or its number if it has none,
 * into buf and returns buf. */
const char *signame_format(int sig, char buf[SIGNAME_MAX]);
