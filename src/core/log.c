/* log.c: one formatted line per message, written with a single write(2) so that lines from
 * the guard and the engine never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "fd.h"

void log_msg(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n = snprintf(line, sizeof(line), "pgsup: ");

    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
    va_end(ap);
    if (n > (int) sizeof(line) - 2)
        n = (int) sizeof(line) - 2;
    line[n++] = '\n';
    (void) fd_write_all(STDERR_FILENO, line, (size_t) n); /* nowhere to report a failure */
}
