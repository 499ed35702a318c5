/* namespec.c: names → jobs for ctl (namespec.h). supervisord addresses a process as
 * GROUP:PROCESS, or PROCESS alone when it is a group of its own; supervisorctl's
 * split_namespec() reads "x" as group x, process x, and "x:*" as the whole group. pgsup reads
 * the same, and "x" alone as the group x when no job is called x (a numprocs program or a
 * [group:x]), so that `ctl stop worker` stops every worker. */
#include "namespec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *namespec_group(const struct job *job)
{
    return supervisor_target_spec(job)->group;
}

static const char *process_of(const struct job *job)
{
    return supervisor_target_spec(job)->process;
}

/* Marks what name means in picked (one flag per job of sup); false if nothing. */
static bool select_one(struct supervisor *sup, const char *name, bool *picked)
{
    size_t n = supervisor_count(sup), group_len;
    const char *colon = strchr(name, ':');
    const struct job *exact = supervisor_find(sup, name);
    bool any = false;

    if (strcmp(name, "all") == 0) {
        for (size_t i = 0; i < n; i++)
            picked[i] = true;
        return true;
    }
    if (exact) {
        for (size_t i = 0; i < n; i++)
            if (supervisor_job(sup, i) == exact)
                picked[i] = true;
        return true;
    }
    group_len = colon ? (size_t) (colon - name) : strlen(name);
    for (size_t i = 0; i < n; i++) {
        const struct job *job = supervisor_job(sup, i);
        const char *group = namespec_group(job);
        if (strlen(group) != group_len || strncmp(group, name, group_len) != 0)
            continue;
        /* GROUP, GROUP: and GROUP:* are the group; GROUP:PROCESS one of its jobs. */
        if (colon && colon[1] && strcmp(colon + 1, "*") != 0 &&
            strcmp(colon + 1, process_of(job)) != 0)
            continue;
        picked[i] = true;
        any = true;
    }
    return any;
}

int namespec_select(struct supervisor *sup, char *const *names, size_t names_len,
                    struct namespec_result *ret)
{
    size_t n = supervisor_count(sup);
    bool *picked = calloc(n + 1, sizeof(*picked));
    struct namespec_result r = {0};

    r.jobs = calloc(n + 1, sizeof(*r.jobs));
    r.unknown = calloc(names_len + 1, sizeof(*r.unknown));
    if (!picked || !r.jobs || !r.unknown) {
        free(picked);
        namespec_result_free(&r);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && names_len == 0; i++)
        picked[i] = true;
    for (size_t k = 0; k < names_len; k++)
        if (!select_one(sup, names[k], picked))
            r.unknown[r.unknown_len++] = names[k];
    for (size_t i = 0; i < n; i++)
        if (picked[i])
            r.jobs[r.len++] = supervisor_job(sup, i);
    free(picked);
    *ret = r;
    return 0;
}

void namespec_result_free(struct namespec_result *r)
{
    free(r->jobs);
    free(r->unknown);
    *r = (struct namespec_result){0};
}
