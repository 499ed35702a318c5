/* config_program.c: one [program:NAME] section → its jobs: one, or numprocs= of them, each
 * named after process_name= with its own %(process_num)s, as supervisord makes them. Each
 * instance reads the keys in file order through the key table (config_keys.c), then applies
 * the rules that span keys: command= is required and split once shell= is known,
 * backoff_max is not less than backoff_initial, a log file's directory exists and is safe. */
#include "config_program.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_file.h"
#include "config_keys.h"
#include "config_value.h"
#include "config_words.h"
#include "trust.h"

#define DEFAULT_LOG_MAXBYTES ((size_t)50 * 1024 * 1024)
#define DEFAULT_LOG_BACKUPS 10

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

void config_program_free_job(struct config_job *job)
{
    free(job->name);
    free(job->group);
    free(job->process);
    config_words_free(job->argv);
    free(job->command);
    free(job->directory);
    config_words_free(job->environment);
    free(job->user);
    free(job->exitcodes);
    free(job->out.path);
    free(job->err.path);
}

/* Defaults of a job; the caller names it. */
static int job_init(struct config_job *job)
{
    *job = (struct config_job){
        .umask = -1,
        .autostart = true,
        .autorestart = CONFIG_RESTART_UNEXPECTED,
        .startsecs = 1,
        .startretries = 3,
        .stopsignal = SIGTERM,
        .stopwaitsecs = 10,
        .priority = 999,
        .out = {.maxbytes = DEFAULT_LOG_MAXBYTES, .backups = DEFAULT_LOG_BACKUPS},
        .err = {.maxbytes = DEFAULT_LOG_MAXBYTES, .backups = DEFAULT_LOG_BACKUPS},
        .backoff_initial = 1,
        .backoff_max = 60,
    };
    job->environment = calloc(1, sizeof(*job->environment));
    job->exitcodes = calloc(1, sizeof(*job->exitcodes));
    if (!job->environment || !job->exitcodes)
        return -ENOMEM;
    job->exitcodes_len = 1; /* {0} */
    return 0;
}

static int program_build_argv(struct config_program *pg)
{
    struct config_job *job = pg->job;
    const char *why;
    int r;

    pg->s.e = pg->command;
    if (job->shell) {
        /* The text goes to sh as it is (expanded): sh does its own splitting. */
        job->argv = calloc(4, sizeof(*job->argv));
        if (!job->argv)
            return config_file_oom(pg->s.ld);
        job->argv[0] = strdup("/bin/sh");
        job->argv[1] = strdup("-c");
        job->argv[2] = strdup(pg->command_expanded);
        if (!job->argv[0] || !job->argv[1] || !job->argv[2])
            return config_file_oom(pg->s.ld);
        return 0;
    }
    r = config_words_split(pg->command_expanded, &job->argv, &why);
    if (r == -ENOMEM)
        return config_file_oom(pg->s.ld);
    if (r < 0)
        return config_scope_fail(&pg->s, "%s", why);
    return 0;
}

/* The daemon appends to a job's log files as itself (root, often): a directory that another
 * user can write lets that user plant a link or a file there, and the daemon would write
 * where they chose. Such a directory is refused unless allow_insecure_logdir=true (the log is
 * still never opened through a symlink nor a second hard link: logfile.h). The rule is
 * logrotate's "insecure permissions" check. A missing directory is an error here, as in
 * supervisord (existing_dirpath()): found at the start of the job, it would only show as a
 * job that cannot start. */
static int program_check_logdir(struct config_program *pg, const struct config_log *log,
                                const struct raw_entry *e)
{
    char why[TRUST_WHY_MAX], *dir;
    const char *slash;
    int r;

    if (!log->path || log->discard || log->own_fd)
        return 0;
    slash = strrchr(log->path, '/'); /* absolute: config_file_resolve() */
    dir = strndup(log->path, slash == log->path ? 1 : (size_t)(slash - log->path));
    if (!dir)
        return config_file_oom(pg->s.ld);
    r = trust_check_dir(dir, false, why);
    pg->s.e = e;
    if (r == -EPERM && !pg->allow_insecure_logdir)
        r = config_scope_fail(&pg->s,
                              "the directory '%s' %s: another user could make pgsup write "
                              "elsewhere (set allow_insecure_logdir = true to accept it)",
                              dir, why);
    else if (r == -ENOENT || r == -ENOTDIR)
        r = config_scope_fail(&pg->s, "the directory '%s' does not exist", dir);
    else if (r < 0 && r != -EPERM)
        r = config_scope_fail(&pg->s, "the directory '%s' cannot be used: %s", dir,
                              strerror(-r));
    else
        r = 0;
    free(dir);
    return r;
}

/* Reads the section's keys in file order into job (initialized by the caller), with the
 * expansions of scope (this instance's process_num). */
static int program_build(struct config_file *ld, const struct raw_section *sec,
                         struct config_job *job, const struct config_scope *scope)
{
    struct config_program pg = {.s = *scope, .job = job};
    const struct config_key *k;
    char *v = NULL, **merged;
    size_t i;
    int r = 0;

    /* environment= first: the other keys' %(ENV_X)s see it, as in supervisord (whose keys
     * read for each instance do; pgsup makes no difference between keys). */
    for (i = 0; i < sec->entries_len; i++) {
        pg.s.e = &sec->entries[i];
        k = config_keys_find(pg.s.e->key);
        if (!k || !k->parse || k->when != CONFIG_KEY_FIRST)
            continue;
        r = config_scope_expand(&pg.s, pg.s.e->value, &v);
        if (r == 0)
            r = k->parse(&pg, v);
        free(v);
        v = NULL;
        if (r < 0)
            goto fail;
    }
    pg.s.env = job->environment;
    for (i = 0; i < sec->entries_len; i++) {
        pg.s.e = &sec->entries[i];
        k = config_keys_find(pg.s.e->key);
        if (!k) {
            config_scope_warn(&pg.s, "unknown key ignored, continuing");
            continue;
        }
        if (!k->parse) {
            config_scope_warn(&pg.s, "supervisord key not used by pgsup, ignored, continuing");
            continue;
        }
        if (k->when != CONFIG_KEY_IN_ORDER)
            continue;
        pg.log = k->stream == CONFIG_STREAM_ERR ? &job->err : &job->out;
        r = config_scope_expand(&pg.s, pg.s.e->value, &v);
        if (r < 0)
            goto fail;
        r = k->parse(&pg, v);
        free(v);
        v = NULL;
        if (r < 0)
            goto fail;
    }
    if (ld->r < 0) { /* a warning ran out of memory */
        r = ld->r;
        goto fail;
    }

    pg.s.e = NULL;
    if (!pg.command) {
        r = config_file_fail(ld, sec->line, sec->name, "command",
                             "missing: every [%s] needs command=", sec->name);
        goto fail;
    }
    r = program_build_argv(&pg);
    if (r < 0)
        goto fail;
    if (job->backoff_max < job->backoff_initial) {
        pg.s.e = pg.backoff_max ? pg.backoff_max : pg.backoff_initial;
        r = config_scope_fail(&pg.s, "backoff_max (%gs) is less than backoff_initial (%gs)",
                              job->backoff_max, job->backoff_initial);
        goto fail;
    }
    r = program_check_logdir(&pg, &job->out, pg.stdout_logfile);
    if (r == 0 && !job->redirect_stderr)
        r = program_check_logdir(&pg, &job->err, pg.stderr_logfile);
    if (r < 0)
        goto fail;
    if (job->redirect_stderr && pg.stderr_logfile) {
        pg.s.e = pg.stderr_logfile;
        config_scope_warn(&pg.s, "ignored: redirect_stderr=true sends stderr to stdout's "
                                 "destination, continuing");
    }
    /* [supervisord] environment= goes to every job, under the program's own. */
    if (ld->env) {
        if (config_value_env_merge(ld->env, job->environment, &merged) < 0) {
            r = config_file_oom(ld);
            goto fail;
        }
        config_words_free(job->environment);
        job->environment = merged;
    }
fail:
    free(pg.command_expanded);
    return r < 0 ? r : ld->r;
}

static bool is_name(const char *name)
{
    const char *p;

    for (p = name; is_name_char(*p); p++)
        ;
    return p != name && !*p && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* What makes the instances of a section: numprocs=, numprocs_start= and process_name=, read
 * before any instance (their own %(process_num)s cannot be known yet, as in supervisord). */
struct program_shape {
    long numprocs, numprocs_start;
    const struct raw_entry *process_name; /* NULL: %(program_name)s */
};

static int shape_number(struct config_scope *s, long min, long max, const char *what,
                        long *ret)
{
    char *v = NULL;
    int r = config_scope_expand(s, s->e->value, &v);

    if (r < 0)
        return r;
    if (config_value_long(v, min, max, ret) < 0)
        r = config_scope_fail(s, "'%s' is not %s (%ld to %ld)", v, what, min, max);
    free(v);
    return r;
}

static int program_shape(struct config_scope *s, struct program_shape *ret)
{
    const struct raw_entry *numprocs = config_file_find_key(s->sec, "numprocs");
    const struct raw_entry *start = config_file_find_key(s->sec, "numprocs_start");
    int r = 0;

    *ret = (struct program_shape){.numprocs = 1,
                                  .process_name = config_file_find_key(s->sec, "process_name")};
    s->e = numprocs;
    if (numprocs)
        r = shape_number(s, 0, CONFIG_NUMPROCS_MAX, "a number of processes", &ret->numprocs);
    s->e = start;
    if (r == 0 && start)
        r = shape_number(s, 0, INT_MAX - ret->numprocs, "a count", &ret->numprocs_start);
    if (r < 0)
        return r;
    /* supervisord's own rule: the instances need names of their own. */
    if (ret->numprocs > 1 &&
        (!ret->process_name || !strstr(ret->process_name->value, "%(process_num)"))) {
        s->e = ret->process_name ? ret->process_name : numprocs;
        return config_scope_fail(s, "numprocs = %ld needs %%(process_num) in process_name= "
                                    "(such as process_name = %%(program_name)s_%%(process_num)02d)",
                                 ret->numprocs);
    }
    return 0;
}

/* Instance process_num of the section: one job appended to config. */
static int program_instance(struct config_file *ld, const struct raw_section *sec,
                            struct config_scope *s, const struct program_shape *shape,
                            const int *group_priority, struct config *config)
{
    struct config_job job, *more;
    char *process = NULL;
    int r;

    r = job_init(&job);
    if (r < 0) {
        r = config_file_oom(ld);
        goto fail;
    }
    s->e = shape->process_name;
    if (shape->process_name) {
        r = config_scope_expand(s, shape->process_name->value, &process);
        if (r < 0)
            goto fail;
        if (!is_name(process)) {
            r = config_scope_fail(s, "'%s' is not a name made of A-Z a-z 0-9 _ . - (not . or ..)",
                                  process);
            goto fail;
        }
    }
    job.process = strdup(process ? process : s->program);
    job.group = strdup(s->group);
    if (job.process && job.group)
        job.name = strcmp(job.group, job.process) == 0
                       ? strdup(job.process)
                       : (asprintf(&job.name, "%s:%s", job.group, job.process) < 0 ? NULL
                                                                                     : job.name);
    if (!job.process || !job.group || !job.name) {
        r = config_file_oom(ld);
        goto fail;
    }
    s->e = NULL;
    r = program_build(ld, sec, &job, s);
    if (r < 0)
        goto fail;
    job.group_priority = group_priority ? *group_priority : job.priority;
    more = realloc(config->jobs, (config->jobs_len + 1) * sizeof(*more));
    if (!more) {
        r = config_file_oom(ld);
        goto fail;
    }
    config->jobs = more;
    config->jobs[config->jobs_len++] = job;
    free(process);
    return 0;
fail:
    free(process);
    config_program_free_job(&job);
    return r;
}

int config_program_load(struct config_file *ld, const struct raw_section *sec, const char *group,
                        const int *group_priority, struct config *config)
{
    const char *name = sec->name + strlen("program:");
    struct config_scope s = {.ld = ld, .sec = sec, .program = name, .group = group ? group : name};
    struct program_shape shape;
    bool quiet = ld->quiet;
    int r;

    config_file_enter(ld, sec->src);
    if (!is_name(name))
        return config_file_fail(ld, sec->line, sec->name, NULL,
                                "program name '%s' must be made of A-Z a-z 0-9 _ . - (not . or ..)",
                                name);
    r = program_shape(&s, &shape);
    s.numbered = true;
    s.numprocs = shape.numprocs;
    for (long i = 0; r == 0 && i < shape.numprocs; i++) {
        /* The instances differ only by their number: one set of warnings is enough. */
        ld->quiet = quiet || i > 0;
        s.process_num = shape.numprocs_start + i;
        r = program_instance(ld, sec, &s, &shape, group_priority, config);
    }
    ld->quiet = quiet;
    return r;
}
