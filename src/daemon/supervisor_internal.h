/* supervisor_internal.h: what supervisor.c (a job's life) and reload.c (applying a config to
 * the jobs) share; nothing else includes it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Declared, not included: supervisor.h is the module's public face, and this file is its
 * inside (includes must not go in a circle). */
struct config;
struct config_job;
struct ev_loop;
struct job;
struct supervisor_ops;

/* A loaded config and the number of jobs whose spec lives in it: a reload keeps the old one
 * until the last job that runs with it (a removed job still stopping) is done. */
struct config_ref {
    struct config *config;
    unsigned refs;
};

struct supervisor {
    struct ev_loop *loop;
    const struct supervisor_ops *ops;
    void *userdata;
    struct config_ref *current;      /* holds a reference of its own */
    struct job **jobs;               /* current jobs in priority order, then leaving ones */
    size_t jobs_len, jobs_cap;
    bool shutting_down;
    bool stepping;                   /* inside step_stop_all: do not recurse */
    bool queueing;                   /* inside step_start: do not recurse */
    void (*all_stopped)(void *userdata);
    void *all_stopped_data;
};

/* References to a loaded config (NULL-safe): the last sup_ref_put() frees it. */
struct config_ref *sup_ref_new(struct config *config);
struct config_ref *sup_ref_get(struct config_ref *r);
void sup_ref_put(struct config_ref *r);

/* A job of spec, STOPPED, holding a reference to ref; NULL when out of memory. */
struct job *sup_job_new(struct supervisor *s, const struct config_job *spec,
                        struct config_ref *ref);
void sup_job_free(struct job *job);

/* Frees the removed jobs whose tree is gone. */
void sup_reap_leaving(struct supervisor *s);

/* Starts the queued jobs of the lowest priority level, once no lower level is starting. */
void sup_step_start(struct supervisor *s);

/* The job takes the spec a reload left pending for it. */
void sup_apply_next_spec(struct job *job);
