/* update.c: supervisorctl's reread, avail, update and add on pgsup's jobs (update.h).
 * supervisord compares and applies configs per group: a group whose file section changed is
 * stopped, removed and added again, all of its processes. pgsup compares per group too, to
 * answer the same way, but applies per job (supervisor_apply()): in a changed group, a job
 * whose every key is the same keeps running. */
#include "update.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "namespec.h"

enum change { SAME, ADDED, CHANGED, REMOVED };

struct group_change {
    const char *name;
    enum change change;
    bool stops;          /* a job of it with a run would be stopped */
};

struct diff {
    struct group_change *v;
    size_t len;
};

/* A job of the supervisor that is part of the running config (not one leaving). */
static struct job *active_job(struct supervisor *sup, const char *name)
{
    struct job *job = supervisor_find(sup, name);

    return job && !job->leaving ? job : NULL;
}

static struct group_change *diff_find(struct diff *d, const char *group)
{
    for (size_t i = 0; i < d->len; i++)
        if (strcmp(d->v[i].name, group) == 0)
            return &d->v[i];
    return NULL;
}

/* Adds group (pointing at a string that outlives d) if new. */
static struct group_change *diff_add(struct diff *d, const char *group)
{
    struct group_change *g = diff_find(d, group);

    if (!g) {
        g = &d->v[d->len++];
        *g = (struct group_change){.name = group};
    }
    return g;
}

static int change_compare(const void *a, const void *b)
{
    return strcmp(((const struct group_change *) a)->name,
                  ((const struct group_change *) b)->name);
}

/* The groups of config and of the running jobs, each with what applying config would do. */
static int diff_make(struct supervisor *sup, const struct config *config, struct diff *ret)
{
    size_t n = supervisor_count(sup);
    struct diff d = {.v = calloc(config->jobs_len + n + 1, sizeof(*d.v))};

    if (!d.v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct job *job = supervisor_job(sup, i);
        if (!job->leaving)
            diff_add(&d, namespec_group(job))->change = REMOVED; /* until the file has it */
    }
    for (size_t i = 0; i < config->jobs_len; i++) {
        const struct config_job *spec = &config->jobs[i];
        struct group_change *g = diff_find(&d, spec->group);
        struct job *job = active_job(sup, spec->name);
        if (!g) {
            diff_add(&d, spec->group)->change = ADDED;
            continue;
        }
        if (g->change == REMOVED)
            g->change = SAME; /* the group is in the file: same unless a job differs */
        if (g->change == ADDED)
            continue;
        if (!job || !config_job_equal(supervisor_target_spec(job), spec)) {
            g->change = CHANGED;
            g->stops |= job && job->has_run;
        }
    }
    /* Running jobs of a group still in the file that the file no longer has. */
    for (size_t i = 0; i < n; i++) {
        struct job *job = supervisor_job(sup, i);
        struct group_change *g = job->leaving ? NULL : diff_find(&d, namespec_group(job));
        if (!g || g->change == ADDED || config_find(config, job->name))
            continue;
        if (g->change == SAME)
            g->change = CHANGED;
        g->stops |= job->has_run;
    }
    qsort(d.v, d.len, sizeof(*d.v), change_compare);
    *ret = d;
    return 0;
}

void update_reread(struct control_conn *conn, struct supervisor *sup, const struct config *config)
{
    static const char *const words[] = {[ADDED] = "available", [CHANGED] = "changed",
                                        [REMOVED] = "disappeared"};
    struct diff d;
    bool any = false;

    if (diff_make(sup, config, &d) < 0) {
        control_reply(conn, "error: out of memory");
        return;
    }
    for (size_t i = 0; i < d.len; i++) {
        if (d.v[i].change == SAME)
            continue;
        control_reply(conn, "%s: %s", d.v[i].name, words[d.v[i].change]);
        any = true;
    }
    if (!any)
        control_reply(conn, "No config updates to processes");
    free(d.v);
}

void update_avail(struct control_conn *conn, struct supervisor *sup, const struct config *config)
{
    for (size_t i = 0; i < config->jobs_len; i++) {
        const struct config_job *spec = &config->jobs[i];
        char prio[32];
        snprintf(prio, sizeof(prio), "%d:%d", spec->group_priority, spec->priority);
        control_reply(conn, "%-32s %-9s %-9s %s", spec->name,
                      active_job(sup, spec->name) ? "in use" : "avail",
                      spec->autostart ? "auto" : "manual", prio);
    }
}

/* The reply waits until what the update stops is gone: a removed job's tree, a changed job's
 * old one (as supervisorctl's update waits for its stopProcessGroup). */
static void wait_for_stops(struct control_conn *conn, struct supervisor *sup)
{
    for (size_t i = 0; i < supervisor_count(sup); i++) {
        const struct job *job = supervisor_job(sup, i);
        if (job->state != JOB_STOPPING)
            continue;
        if (control_wait(conn, job->name, job->leaving ? CONTROL_WAIT_GONE
                                                        : CONTROL_WAIT_REPLACED) < 0)
            control_reply(conn, "error: %s: out of memory", job->name);
    }
}

void update_apply(struct control_conn *conn, struct supervisor *sup, struct config *config,
                  char *const *names, size_t names_len, bool add)
{
    bool all = names_len == 0 || (names_len == 1 && strcmp(names[0], "all") == 0 && !add);
    char **scope_names = calloc(names_len + 1, sizeof(*scope_names));
    struct supervisor_scope scope = {.groups = scope_names, .add_only = add};
    struct diff d = {0};
    int r = scope_names ? diff_make(sup, config, &d) : -ENOMEM;

    if (r < 0)
        goto fail;
    for (size_t i = 0; i < names_len && !all; i++) {
        struct group_change *g = diff_find(&d, names[i]);
        if (!g || (add && g->change == REMOVED)) {
            control_reply(conn, "error: no such group: %s", names[i]);
            continue;
        }
        if (add && g->change != ADDED) {
            /* supervisorctl says so and goes on: not a failure */
            control_reply(conn, "%s: process group already active", names[i]);
            continue;
        }
        scope_names[scope.groups_len++] = names[i];
    }
    if (!all && scope.groups_len == 0) {
        config_free(config);
        goto out;
    }
    /* supervisorctl's lines: the removed groups, then the changed, then the added. */
    for (enum change c = REMOVED; c >= ADDED; c--) {
        for (size_t i = 0; i < d.len; i++) {
            struct group_change *g = &d.v[i];
            bool in = all;
            for (size_t k = 0; k < scope.groups_len && !in; k++)
                in = strcmp(scope_names[k], g->name) == 0;
            if (!in || g->change != c)
                continue;
            if (c != ADDED && (g->stops || c == REMOVED))
                control_reply(conn, "%s: stopped", g->name);
            control_reply(conn, "%s: %s process group", g->name,
                          c == REMOVED ? "removed" : c == CHANGED ? "updated" : "added");
        }
    }
    /* The names point into d no longer once config is applied: the lines are out. */
    r = supervisor_apply(sup, config, all ? NULL : &scope, NULL);
    if (r < 0) {
        control_reply(conn, "error: %s", "out of memory; nothing changed");
        goto out;
    }
    wait_for_stops(conn, sup);
    goto out;
fail:
    config_free(config);
    control_reply(conn, "error: out of memory");
out:
    free(d.v);
    free(scope_names);
}
