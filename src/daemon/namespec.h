/* namespec.h: which jobs a name given to ctl means (namespec.c), as supervisorctl reads its
 * namespecs: "all"; a job's name (PROCESS, or GROUP:PROCESS for a job of a [group:x] or of a
 * numprocs program); GROUP:* or GROUP: for every job of a group; GROUP:PROCESS also for a job
 * named PROCESS alone (its own group); and GROUP by itself when no job has that name. */
#pragma once
#include <stddef.h>

#include "supervisor.h"

struct namespec_result {
    struct job **jobs;     /* each job once, in the supervisor's order */
    size_t len;
    const char **unknown;  /* the names that mean no job (pointers to the caller's names) */
    size_t unknown_len;
};

/* The jobs of sup that names mean; names_len 0 means every job. Returns 0 with *ret filled
 * (namespec_result_free()), or -ENOMEM. */
int namespec_select(struct supervisor *sup, char *const *names, size_t names_len,
                    struct namespec_result *ret);

void namespec_result_free(struct namespec_result *r);

/* The group of a job (its spec's, or the one it will run with after a reload). */
const char *namespec_group(const struct job *job);
