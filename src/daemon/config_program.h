/* config_program.h: assembling a job spec from one [program:NAME] section (config_program.c). */
#pragma once
#include "config_spec.h"
#include "config_file.h"

/* Turns sec ([program:NAME]) into a job appended to config->jobs. Returns 0, or the failure
 * recorded in ld (a bad name, a bad or missing key); config is unchanged then. */
int config_program_load(struct config_file *ld, const struct raw_section *sec,
                        struct config *config);

/* Frees what a job of config_program_load() owns (not the job itself); half-built is fine. */
void config_program_free_job(struct config_job *job);
