/* reload.c: a config applied to the jobs (a reload, ctl update, add and remove): which jobs
 * are new, changed, unchanged or gone, each treated as supervisord's reread/update would, and
 * the jobs put in supervisord's order. The life of each job is supervisor.c's. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"
#include "supervisor_internal.h"

static bool active(const struct job *job)
{
    return job->state == JOB_STARTING || job->state == JOB_RUNNING ||
           job->state == JOB_BACKOFF || (job->state == JOB_STOPPING && job->start_pending);
}

/* A reload changed the job's spec: it runs again with the new one if it ran, or if the new
 * spec says autostart; once its tree is gone when it was running. */
static void change_spec(struct job *job, const struct config_job *spec, struct config_ref *ref,
                        bool *ret_start)
{
    bool again = active(job) || spec->autostart;

    sup_ref_put(job->next_ref);
    job->next_spec = spec;
    job->next_ref = sup_ref_get(ref);
    job->leaving = false;
    *ret_start = false;
    switch (job->state) {
    case JOB_STARTING:
    case JOB_RUNNING:
        supervisor_dispatch(job, JOB_EV_STOP);
        if (again)
            supervisor_dispatch(job, JOB_EV_START); /* deferred until the tree is gone */
        break;
    case JOB_STOPPING:
        job->start_pending = again;
        break;
    case JOB_BACKOFF:
        supervisor_dispatch(job, JOB_EV_STOP);
        sup_apply_next_spec(job);
        *ret_start = again;
        break;
    default:
        sup_apply_next_spec(job);
        *ret_start = again;
        break;
    }
}

static bool in_scope(const struct supervisor_scope *scope, const char *group)
{
    if (!scope || !scope->groups)
        return true;
    for (size_t i = 0; i < scope->groups_len; i++)
        if (strcmp(scope->groups[i], group) == 0)
            return true;
    return false;
}

/* supervisord's order, as the config's (config_job_order), the leaving jobs last. */
static int order_compare(const struct job *a, const struct job *b)
{
    if (a->leaving != b->leaving)
        return a->leaving ? 1 : -1;
    return config_job_order(supervisor_target_spec(a), supervisor_target_spec(b));
}

/* A job of the new list, and whether it starts once the list is in place. */
struct placed {
    struct job *job;
    bool start;
};

static int placed_compare(const void *a, const void *b)
{
    return order_compare(((const struct placed *) a)->job, ((const struct placed *) b)->job);
}

int supervisor_apply(struct supervisor *s, struct config *config,
                     const struct supervisor_scope *scope, struct supervisor_diff *ret)
{
    struct supervisor_diff diff = {0};
    struct config_ref *ref = sup_ref_new(config);
    size_t n_old = s->jobs_len, n_new = config->jobs_len, len = 0;
    struct job **old = s->jobs, **jobs = calloc(n_new + n_old + 1, sizeof(*jobs));
    struct job **made = calloc(n_new + 1, sizeof(*made));
    struct placed *placed = calloc(n_new + n_old + 1, sizeof(*placed));
    bool *kept = calloc(n_old + 1, sizeof(*kept));
    bool add_only = scope && scope->add_only;

    sup_ref_get(ref); /* the supervisor's own reference, taken over below; NULL is fine */
    if (!ref || !jobs || !made || !placed || !kept)
        goto nomem;
    /* Every allocation first, so that a failure leaves everything as it was. */
    for (size_t i = 0; i < n_new; i++) {
        const struct config_job *spec = &config->jobs[i];
        bool found = false;
        for (size_t k = 0; k < n_old && !found; k++)
            found = !kept[k] && strcmp(old[k]->name, spec->name) == 0 &&
                    (kept[k] = true);
        if (!found && in_scope(scope, spec->group) && !(made[i] = sup_job_new(s, spec, ref)))
            goto nomem_jobs;
    }
    memset(kept, 0, (n_old + 1) * sizeof(*kept));
    for (size_t i = 0; i < n_new; i++) {
        const struct config_job *spec = &config->jobs[i];
        struct job *job = made[i];
        bool start = false;
        if (!job) {
            /* An existing job (a leaving one is revived: never two trees of one name), or
             * none (a new job out of scope). */
            size_t k = 0;
            while (k < n_old && (kept[k] || strcmp(old[k]->name, spec->name) != 0))
                k++;
            if (k == n_old)
                continue;
            kept[k] = true;
            job = old[k];
            if (!in_scope(scope, spec->group) || (add_only && !job->leaving)) {
                /* Left as it is, with the spec it has. */
            } else if (!job->leaving && config_job_equal(supervisor_target_spec(job), spec)) {
                /* Unchanged: only its spec's home moves to the new config. */
                if (job->next_spec) {
                    sup_ref_put(job->next_ref);
                    job->next_spec = spec;
                    job->next_ref = sup_ref_get(ref);
                } else {
                    sup_ref_put(job->ref);
                    job->spec = spec;
                    job->ref = sup_ref_get(ref);
                }
                diff.unchanged++;
            } else {
                bool revived = job->leaving;
                change_spec(job, spec, ref, &start);
                if (revived)
                    diff.added++;
                else
                    diff.changed++;
            }
        } else {
            start = spec->autostart;
            diff.added++;
        }
        placed[len++] = (struct placed){.job = job, .start = start};
    }
    /* Jobs the new config does not have: stopped, and freed once their tree is gone (those
     * out of scope stay). */
    for (size_t k = 0; k < n_old; k++) {
        if (kept[k])
            continue;
        if (!old[k]->leaving && (add_only || !in_scope(scope, old[k]->spec->group))) {
            placed[len++] = (struct placed){.job = old[k]};
            continue;
        }
        if (!old[k]->leaving)
            diff.removed++;
        old[k]->leaving = true;
        old[k]->start_pending = false;
        placed[len++] = (struct placed){.job = old[k]};
    }
    qsort(placed, len, sizeof(*placed), placed_compare);
    for (size_t i = 0; i < len; i++)
        jobs[i] = placed[i].job;
    s->jobs = jobs;
    s->jobs_len = len;
    s->jobs_cap = n_new + n_old + 1;
    free(old);
    sup_ref_put(s->current);
    s->current = ref;
    for (size_t k = 0; k < s->jobs_len; k++)
        if (s->jobs[k]->leaving)
            supervisor_dispatch(s->jobs[k], JOB_EV_STOP);
    /* Starts by priority level (step_start). */
    for (size_t i = 0; i < len; i++)
        if (placed[i].start && !s->shutting_down)
            placed[i].job->start_queued = true;
    sup_reap_leaving(s);
    sup_step_start(s);
    free(made);
    free(placed);
    free(kept);
    if (ret)
        *ret = diff;
    return 0;
nomem_jobs:
    for (size_t i = 0; i < n_new; i++)
        sup_job_free(made[i]);
nomem:
    if (ref)
        sup_ref_put(ref); /* the last reference: frees config */
    else
        config_free(config);
    free(jobs);
    free(made);
    free(placed);
    free(kept);
    return -ENOMEM;
}

int supervisor_remove(struct supervisor *s, const char *group)
{
    size_t w = 0, found = 0;

    for (size_t i = 0; i < s->jobs_len; i++) {
        const struct job *job = s->jobs[i];
        if (job->leaving || strcmp(supervisor_target_spec(job)->group, group) != 0)
            continue;
        found++;
        if (!supervisor_settled(job))
            return -EBUSY;
    }
    if (found == 0)
        return -ENOENT;
    for (size_t i = 0; i < s->jobs_len; i++) {
        struct job *job = s->jobs[i];
        if (!job->leaving && strcmp(supervisor_target_spec(job)->group, group) == 0)
            sup_job_free(job);
        else
            s->jobs[w++] = job;
    }
    s->jobs_len = w;
    return (int) found;
}

