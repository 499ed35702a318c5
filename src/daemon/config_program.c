/* config_program.c: one [program:NAME] section → one config_job. Reads the keys in file order
 * through the key table (config_keys.c), then applies the rules that span keys: command= is
 * required and split once shell= is known, backoff_max is not less than backoff_initial. */
#include "config_program.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    config_words_free(job->argv);
    free(job->command);
    free(job->directory);
    config_words_free(job->environment);
    free(job->user);
    free(job->exitcodes);
    free(job->out.path);
    free(job->err.path);
}

static int job_init(struct config_job *job, const char *name)
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
    job->name = strdup(name);
    job->environment = calloc(1, sizeof(*job->environment));
    job->exitcodes = calloc(1, sizeof(*job->exitcodes));
    if (!job->name || !job->environment || !job->exitcodes)
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
 * logrotate's "insecure permissions" check. A missing directory is left to the start of the
 * job, which then fails with the reason. */
static int program_check_logdir(struct config_program *pg, const struct config_log *log,
                                const struct raw_entry *e)
{
    char why[TRUST_WHY_MAX], *dir;
    const char *slash;
    int r;

    if (!log->path || log->discard || log->own_fd || pg->allow_insecure_logdir)
        return 0;
    slash = strrchr(log->path, '/'); /* absolute: config_file_resolve() */
    dir = strndup(log->path, slash == log->path ? 1 : (size_t)(slash - log->path));
    if (!dir)
        return config_file_oom(pg->s.ld);
    r = trust_check_dir(dir, false, why);
    pg->s.e = e;
    if (r == -EPERM)
        r = config_scope_fail(&pg->s,
                              "the directory '%s' %s: another user could make pgsup write "
                              "elsewhere (set allow_insecure_logdir = true to accept it)",
                              dir, why);
    else
        r = 0;
    free(dir);
    return r;
}

/* Reads the section's keys in file order into job (initialized by the caller). */
static int program_build(struct config_file *ld, const struct raw_section *sec,
                         struct config_job *job)
{
    struct config_program pg = {
        .s = {.ld = ld, .sec = sec, .program = job->name},
        .job = job,
    };
    const struct config_key *k;
    char *v = NULL;
    size_t i;
    long n;
    int r = 0;

    /* %(process_num)s is numprocs_start (numprocs is always 1); any key may use it. */
    for (i = 0; i < sec->entries_len; i++) {
        if (strcasecmp(sec->entries[i].key, "numprocs_start") != 0)
            continue;
        pg.s.e = &sec->entries[i];
        if (config_value_long(pg.s.e->value, 0, INT_MAX, &n) < 0)
            return config_scope_fail(&pg.s, "'%s' is not a count (0 or more)", pg.s.e->value);
        pg.s.process_num = n;
    }
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
fail:
    free(pg.command_expanded);
    return r < 0 ? r : ld->r;
}

int config_program_load(struct config_file *ld, const struct raw_section *sec,
                        struct config *config)
{
    const char *name = sec->name + strlen("program:"), *p;
    struct config_job job, *more;
    int r;

    for (p = name; is_name_char(*p); p++)
        ;
    if (p == name || *p || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return config_file_fail(ld, sec->line, sec->name, NULL,
                                "program name '%s' must be made of A-Z a-z 0-9 _ . - (not . or ..)",
                                name);
    r = job_init(&job, name);
    if (r < 0) {
        config_program_free_job(&job);
        return config_file_oom(ld);
    }
    r = program_build(ld, sec, &job);
    if (r < 0)
        goto fail;
    more = realloc(config->jobs, (config->jobs_len + 1) * sizeof(*more));
    if (!more) {
        r = config_file_oom(ld);
        goto fail;
    }
    config->jobs = more;
    config->jobs[config->jobs_len++] = job;
    return 0;
fail:
    config_program_free_job(&job);
    return r;
}
