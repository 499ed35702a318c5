/* config_program.h: assembling a job spec from one [program:NAME] section (config_program.c). */
#pragma once
#include "config_spec.h"
#include "config_file.h"

/* Turns sec ([program:NAME]) into its jobs (numprocs= of them, 1 by default), appended to
 * config->jobs. group: the [group:x] that lists the program, with its priority; NULL: the
 * program is a group of its own. Returns 0, or the failure recorded in ld (a bad name, a bad
 * or missing key); jobs of the section appended before the failure stay in config, which the
 * caller frees whole. */
int config_program_load(struct config_file *ld, const struct raw_section *sec, const char *group,
                        const int *group_priority, struct config *config);

/* Frees what a job of config_program_load() owns (not the job itself); half-built is fine. */
void config_program_free_job(struct config_job *job);
