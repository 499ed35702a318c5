/* jobstatus.h: the answer to ctl status (jobstatus.c): a table or one line of JSON, and the
 * exit status supervisorctl 4.2 gives it (LSB's for status: 3 when a job shown is not
 * running, 4 when a name means no job). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "supervisor.h"

enum {
    JOBSTATUS_NOT_RUNNING = 3, /* LSB "program is not running" */
    JOBSTATUS_UNKNOWN = 4,     /* LSB "program or service status is unknown" */
};

/* The status of jobs (in that order) as a table with a header, or (json) one line
 * {"jobs":[...],"unknown":[...]} where unknown lists the names that meant no job. Returns a
 * new string ending with a newline (free()), or NULL without memory. */
char *jobstatus_format(struct job **jobs, size_t len, bool json, const char *const *unknown,
                       size_t unknown_len);

/* supervisorctl's exit status of status for these jobs: 0, JOBSTATUS_NOT_RUNNING when one is
 * STOPPED, EXITED or FATAL, else JOBSTATUS_UNKNOWN when unknown_len > 0. */
int jobstatus_exit(struct job **jobs, size_t len, size_t unknown_len);
