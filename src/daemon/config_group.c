/* config_group.c: [group:NAME] sections and the jobs of every [program:x] (config_group.h).
 * supervisord names a process GROUP:PROCESS, or PROCESS alone when it is a group of its own (a
 * [program:x] with one process named x); ctl addresses jobs, groups (GROUP or GROUP:*) and
 * GROUP:PROCESS the same way (namespec.c). What one program section makes is
 * config_program.c's; this file decides each program's group and checks that names stay
 * unique across them. */
#include "config_group.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_program.h"
#include "config_scope.h"
#include "config_value.h"

struct group {
    size_t sec;         /* index of its [group:NAME] section */
    const char *name;   /* in the section's name */
    int priority;       /* priority= (default 999, as supervisord's) */
    char *programs;     /* programs= expanded, cut into words in place */
    char **list;        /* the program names, NULL-ended */
};

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_name(const char *name)
{
    const char *p = name;

    while (isalnum((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-')
        p++;
    return p != name && !*p && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The section called name, or NULL. */
static const struct raw_section *find_section(const struct config_file *ld, const char *prefix,
                                              const char *name)
{
    for (size_t i = 0; i < ld->sections_len; i++) {
        const char *n = ld->sections[i].name;
        if (has_prefix(n, prefix) && strcmp(n + strlen(prefix), name) == 0)
            return &ld->sections[i];
    }
    return NULL;
}

/* supervisord's list_of_strings(): comma-separated, blanks around each name dropped; an empty
 * item (a trailing comma) is skipped here. */
static int group_split(struct config_scope *s, struct group *g)
{
    size_t n = 1, len = 0;
    char *p;

    for (p = g->programs; *p; p++)
        n += *p == ',';
    g->list = calloc(n + 1, sizeof(*g->list));
    if (!g->list)
        return config_file_oom(s->ld);
    for (p = g->programs;;) {
        char *end = p + strcspn(p, ","), *last = end, stop = *end;
        while (p < end && isspace((unsigned char) *p))
            p++;
        while (last > p && isspace((unsigned char) last[-1]))
            last--;
        *last = '\0';
        if (*p && !is_name(p))
            return config_scope_fail(s, "'%s' is not a program name", p);
        if (*p)
            g->list[len++] = p;
        if (!stop)
            break;
        p = end + 1;
    }
    return 0;
}

static int group_read(struct config_file *ld, size_t k, struct group *g)
{
    const struct raw_section *sec = &ld->sections[k];
    struct config_scope s = {.ld = ld, .sec = sec};
    char *v = NULL;
    long prio;
    int r = 0;

    *g = (struct group){.sec = k, .name = sec->name + strlen("group:"), .priority = 999};
    config_file_enter(ld, sec->src);
    if (!is_name(g->name))
        return config_scope_fail(&s, "group name '%s' must be made of A-Z a-z 0-9 _ . - (not . "
                                     "or ..)", g->name);
    for (size_t i = 0; i < sec->entries_len && r == 0; i++) {
        s.e = &sec->entries[i];
        if (strcasecmp(s.e->key, "programs") != 0 && strcasecmp(s.e->key, "priority") != 0) {
            config_scope_warn(&s, "unknown key ignored, continuing");
            continue;
        }
        r = config_scope_expand(&s, s.e->value, &v);
        if (r < 0)
            break;
        if (strcasecmp(s.e->key, "priority") == 0) {
            if (config_value_long(v, INT_MIN, INT_MAX, &prio) < 0)
                r = config_scope_fail(&s, "'%s' is not an integer", v);
            else
                g->priority = (int) prio;
            free(v);
        } else {
            g->programs = v;
            r = group_split(&s, g);
        }
        v = NULL;
    }
    if (r == 0 && !g->programs) {
        s.e = NULL;
        config_scope_warn(&s, "no programs= (a comma-separated list): the group is empty, "
                              "continuing");
    }
    return r;
}

static void groups_free(struct group *groups, size_t len)
{
    for (size_t i = 0; groups && i < len; i++) {
        free(groups[i].programs);
        free(groups[i].list);
    }
    free(groups);
}

static int name_compare(const void *a, const void *b)
{
    return strcmp((*(struct config_job *const *) a)->name, (*(struct config_job *const *) b)->name);
}

/* Two processes of one name (process_name= that repeats across numprocs, or in one group):
 * ctl could not tell them apart. */
static int check_unique(struct config_file *ld, const struct config *config)
{
    struct config_job **v = calloc(config->jobs_len + 1, sizeof(*v));
    int r = 0;

    if (!v)
        return config_file_oom(ld);
    config_file_enter(ld, ld->sources[0]); /* the names come from anywhere: the main file */
    for (size_t i = 0; i < config->jobs_len; i++)
        v[i] = &config->jobs[i];
    qsort(v, config->jobs_len, sizeof(*v), name_compare);
    for (size_t i = 1; i < config->jobs_len && r == 0; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) == 0)
            r = config_file_fail(ld, 0, NULL, NULL, "two jobs are named '%s' (process_name= must "
                                 "differ within a group)", v[i]->name);
    }
    free(v);
    return r;
}

int config_group_load(struct config_file *ld, struct config *config)
{
    struct group *groups = calloc(ld->sections_len + 1, sizeof(*groups));
    bool *grouped = calloc(ld->sections_len + 1, sizeof(*grouped));
    size_t len = 0;
    int r = 0;

    if (!groups || !grouped) {
        r = config_file_oom(ld);
        goto out;
    }
    for (size_t k = 0; k < ld->sections_len && r == 0; k++)
        if (has_prefix(ld->sections[k].name, "group:"))
            r = group_read(ld, k, &groups[len++]);
    for (size_t i = 0; i < len && r == 0; i++) {
        for (char **p = groups[i].list; p && *p && r == 0; p++) { /* no programs=: NULL */
            const struct raw_section *prog = find_section(ld, "program:", *p);
            struct config_scope s = {.ld = ld, .sec = &ld->sections[groups[i].sec],
                                     .e = config_file_find_key(&ld->sections[groups[i].sec],
                                                               "programs")};
            if (!prog) {
                config_file_enter(ld, s.sec->src);
                if (find_section(ld, "fcgi-program:", *p))
                    config_scope_warn(&s, "'%s' is an [fcgi-program:x], which pgsup does not "
                                          "run, continuing", *p);
                else
                    r = config_scope_fail(&s, "no [program:%s] for this group", *p);
                continue;
            }
            /* A program in two groups runs in both, as in supervisord. */
            grouped[prog - ld->sections] = true;
            r = config_program_load(ld, prog, groups[i].name, &groups[i].priority, config);
        }
    }
    for (size_t k = 0; k < ld->sections_len && r == 0; k++) {
        if (!has_prefix(ld->sections[k].name, "program:") || grouped[k])
            continue;
        r = config_program_load(ld, &ld->sections[k], NULL, NULL, config);
    }
    /* supervisord keeps one group of a name and drops the other's processes unseen. */
    for (size_t i = 0; i < len && r == 0; i++) {
        const struct raw_section *prog = find_section(ld, "program:", groups[i].name);
        if (prog && !grouped[prog - ld->sections]) {
            const struct raw_section *sec = &ld->sections[groups[i].sec];
            config_file_enter(ld, sec->src);
            r = config_file_fail(ld, sec->line, sec->name, NULL,
                                 "the group '%s' has the name of [program:%s], a group of its "
                                 "own (%s:%u): rename one", groups[i].name, groups[i].name,
                                 prog->src->path, prog->line);
        }
    }
    if (r == 0)
        r = check_unique(ld, config);
out:
    groups_free(groups, len);
    free(grouped);
    return r;
}
