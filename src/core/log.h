/* log.h: messages of the pgsup binaries, one line each on stderr, "pgsup: " first. The
 * library never logs. */
#pragma once

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
