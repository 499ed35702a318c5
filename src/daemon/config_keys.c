/* config_keys.c: what each key of [program:NAME] means, as one table of parsers. A parser
 * gets the value after %(name)s expansion, checks it and sets the job's field; cross-key rules
 * (command and shell, backoff_initial and backoff_max) are config_program.c's. */
#include "config_keys.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/signame.h"
#include "core/timer.h"
#include "config_value.h"
#include "config_words.h"

static int key_command(struct config_program *pg, const char *v)
{
    pg->command = pg->s.e;
    pg->job->command = strdup(pg->s.e->value); /* as written, for status and diffs */
    pg->command_expanded = strdup(v);
    if (!pg->job->command || !pg->command_expanded)
        return config_file_oom(pg->s.ld);
    if (strspn(v, " \t\r\n") == strlen(v))
        return config_scope_fail(&pg->s, "empty command");
    return 0;
}

static int key_directory(struct config_program *pg, const char *v)
{
    if (!*v)
        return config_scope_fail(&pg->s, "empty directory");
    return config_file_resolve(pg->s.ld, v, &pg->job->directory);
}

static int key_environment(struct config_program *pg, const char *v)
{
    char **env = NULL;
    int r;

    r = config_value_environment(&pg->s, v, &env);
    if (r < 0)
        return r;
    config_words_free(pg->job->environment);
    pg->job->environment = env;
    return 0;
}

static int key_user(struct config_program *pg, const char *v)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    long uid;
    int r;

    if (!*v)
        return config_scope_fail(&pg->s, "empty user");
    /* supervisord resolves the user when it reads the file, and refuses an unknown one. */
    if (config_value_long(v, 0, INT_MAX, &uid) < 0) {
        r = getpwnam_r(v, &pw, buf, sizeof(buf), &found);
        if (r != 0 && r != ENOENT && r != ESRCH)
            return config_scope_fail(&pg->s, "cannot look up user '%s': %s", v, strerror(r));
        if (!found)
            return config_scope_fail(&pg->s, "unknown user '%s'", v);
    }
    pg->job->user = strdup(v);
    return pg->job->user ? 0 : config_file_oom(pg->s.ld);
}

static int key_umask(struct config_program *pg, const char *v)
{
    const char *p = v;
    char *end;
    long mask;

    /* Python's int(v, 8): "022", "0o22", "22". */
    if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        p += 2;
    if (*p < '0' || *p > '7')
        return config_scope_fail(&pg->s, "'%s' is not an octal umask such as 022", v);
    errno = 0;
    mask = strtol(p, &end, 8);
    if (*end || errno == ERANGE || mask > 0777)
        return config_scope_fail(&pg->s, "'%s' is not an octal umask such as 022", v);
    pg->job->umask = (int)mask;
    return 0;
}

static int key_bool(struct config_program *pg, const char *v, bool *ret)
{
    if (config_value_bool(v, ret) < 0)
        return config_scope_fail(&pg->s, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
                                 v);
    return 0;
}

static int key_autostart(struct config_program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->autostart);
}

static int key_autorestart(struct config_program *pg, const char *v)
{
    bool b;

    if (strcasecmp(v, "unexpected") == 0) {
        pg->job->autorestart = CONFIG_RESTART_UNEXPECTED;
        return 0;
    }
    if (config_value_bool(v, &b) < 0)
        return config_scope_fail(&pg->s, "'%s' is not true, false or unexpected", v);
    pg->job->autorestart = b ? CONFIG_RESTART_ALWAYS : CONFIG_RESTART_NEVER;
    return 0;
}

static int key_exitcodes(struct config_program *pg, const char *v)
{
    int *codes = NULL, *more;
    size_t len = 0, n;
    const char *p = v;
    char *item;
    long code;
    int r;

    /* supervisord: an empty list is allowed (every exit is unexpected). */
    if (strspn(v, " \t\r\n") == strlen(v)) {
        free(pg->job->exitcodes);
        pg->job->exitcodes = NULL;
        pg->job->exitcodes_len = 0;
        return 0;
    }
    for (;;) {
        n = strcspn(p, ",");
        item = strndup(p, n);
        if (!item) {
            free(codes);
            return config_file_oom(pg->s.ld);
        }
        r = config_value_long(item, 0, 255, &code);
        if (r < 0) {
            r = config_scope_fail(&pg->s, "'%s' is not an exit code (0-255)", item);
            free(item);
            free(codes);
            return r;
        }
        free(item);
        more = realloc(codes, (len + 1) * sizeof(*more));
        if (!more) {
            free(codes);
            return config_file_oom(pg->s.ld);
        }
        codes = more;
        codes[len++] = (int)code;
        if (!p[n])
            break;
        p += n + 1;
    }
    free(pg->job->exitcodes);
    pg->job->exitcodes = codes;
    pg->job->exitcodes_len = len;
    return 0;
}

static int key_duration(struct config_program *pg, const char *v, double *ret)
{
    if (timer_parse_duration(v, ret) < 0)
        return config_scope_fail(&pg->s, "'%s' is not a duration (such as 10, 1.5s, 2m, 1h)", v);
    return 0;
}

static int key_startsecs(struct config_program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->startsecs);
}

static int key_startretries(struct config_program *pg, const char *v)
{
    long n;

    if (config_value_long(v, 0, UINT_MAX, &n) < 0)
        return config_scope_fail(&pg->s, "'%s' is not a count (0 or more)", v);
    pg->job->startretries = (unsigned)n;
    return 0;
}

static int key_stopsignal(struct config_program *pg, const char *v)
{
    if (signame_parse(v, &pg->job->stopsignal) < 0)
        return config_scope_fail(&pg->s, "unknown signal '%s'", v);
    return 0;
}

static int key_stopwaitsecs(struct config_program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->stopwaitsecs);
}

static int key_priority(struct config_program *pg, const char *v)
{
    long n;

    if (config_value_long(v, INT_MIN, INT_MAX, &n) < 0)
        return config_scope_fail(&pg->s, "'%s' is not an integer", v);
    pg->job->priority = (int)n;
    return 0;
}

static int key_redirect_stderr(struct config_program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->redirect_stderr);
}

/* ~ and ~user at the start, as supervisord's existing_dirpath() does for log files. */
static int expand_tilde(struct config_program *pg, const char *v, char **ret)
{
    const char *rest = v + 1 + strcspn(v + 1, "/"), *home = NULL;
    struct passwd pw, *found = NULL;
    char buf[4096], *user;

    if (rest == v + 1) {
        home = getenv("HOME");
        if ((!home || !*home) && getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 && found)
            home = pw.pw_dir;
    } else {
        user = strndup(v + 1, (size_t)(rest - (v + 1)));
        if (!user)
            return config_file_oom(pg->s.ld);
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found)
            home = pw.pw_dir;
        free(user);
    }
    if (!home)
        return config_scope_fail(&pg->s, "cannot expand '%.*s': no such user or no home",
                                 (int)(rest - v), v);
    if (asprintf(ret, "%s%s", home, rest) < 0)
        return config_file_oom(pg->s.ld);
    return 0;
}

static int key_logfile(struct config_program *pg, const char *v)
{
    struct config_log *log = pg->log;
    char *tilde = NULL;
    int r;

    if (!*v)
        return config_scope_fail(&pg->s, "empty path (use NONE to discard, AUTO for pgsup's own)");
    if (log == &pg->job->err)
        pg->stderr_logfile = pg->s.e;
    else
        pg->stdout_logfile = pg->s.e;
    free(log->path);
    log->path = NULL;
    log->discard = false;
    log->own_fd = 0;
    if (strcasecmp(v, "NONE") == 0 || strcasecmp(v, "OFF") == 0) {
        log->discard = true;
        return 0;
    }
    if (strcasecmp(v, "AUTO") == 0)
        return 0;
    if (strcasecmp(v, "SYSLOG") == 0) {
        config_scope_warn(&pg->s,
                          "syslog is not supported; output goes to pgsup's own, continuing");
        return 0;
    }
    if (v[0] == '~') {
        r = expand_tilde(pg, v, &tilde);
        if (r < 0)
            return r;
        v = tilde;
    }
    r = config_file_resolve(pg->s.ld, v, &log->path);
    free(tilde);
    /* Symlinks into /proc/self/fd, which a log is never opened through (logfile.h): they
     * mean pgsup's own streams, and that is what the job gets. */
    if (r == 0 && strcmp(log->path, "/dev/stdout") == 0)
        log->own_fd = 1;
    else if (r == 0 && strcmp(log->path, "/dev/stderr") == 0)
        log->own_fd = 2;
    return r;
}

static int key_allow_insecure_logdir(struct config_program *pg, const char *v)
{
    return key_bool(pg, v, &pg->allow_insecure_logdir);
}

static int key_maxbytes(struct config_program *pg, const char *v)
{
    int r = config_value_size(v, &pg->log->maxbytes);

    if (r == -ENOMEM)
        return config_file_oom(pg->s.ld);
    if (r < 0)
        return config_scope_fail(&pg->s, "'%s' is not a size (bytes, or with KB, MB, GB)", v);
    return 0;
}

static int key_backups(struct config_program *pg, const char *v)
{
    long n;

    if (config_value_long(v, 0, UINT_MAX, &n) < 0)
        return config_scope_fail(&pg->s, "'%s' is not a count (0 or more)", v);
    pg->log->backups = (unsigned)n;
    return 0;
}

static int key_asgroup(struct config_program *pg, const char *v)
{
    bool b;
    int r = key_bool(pg, v, &b);

    if (r == 0 && !b)
        config_scope_warn(&pg->s, "pgsup always signals the whole process group; false is ignored, "
                                  "continuing");
    return r;
}

/* numprocs=, numprocs_start= and process_name= shape the instances of a section:
 * config_program.c reads them once, before any instance (the table lists them so that they
 * are known keys). */
static int key_shape(struct config_program *pg, const char *v)
{
    (void) pg;
    (void) v;
    return 0;
}

static int key_timeout(struct config_program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->timeout);
}

static int key_backoff(struct config_program *pg, const char *v, double *ret)
{
    int r = key_duration(pg, v, ret);

    if (r == 0 && *ret <= 0)
        return config_scope_fail(&pg->s, "must be more than 0");
    return r;
}

static int key_backoff_initial(struct config_program *pg, const char *v)
{
    pg->backoff_initial = pg->s.e;
    return key_backoff(pg, v, &pg->job->backoff_initial);
}

static int key_backoff_max(struct config_program *pg, const char *v)
{
    pg->backoff_max = pg->s.e;
    return key_backoff(pg, v, &pg->job->backoff_max);
}

static int key_shell(struct config_program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->shell);
}

/* Only "kill": a crashed daemon's trees are killed by their own supervisors, and the parts
 * they miss have lost whoever could collect their exit status, so nothing is left that could
 * be supervised safely (README "Crash recovery"). The key exists to say so, not to be ignored. */
static int key_on_leftovers(struct config_program *pg, const char *v)
{
    if (strcasecmp(v, "kill") == 0)
        return 0;
    if (strcasecmp(v, "adopt") == 0)
        return config_scope_fail(&pg->s,
                                 "'adopt' is not supported: leftovers of a crashed daemon are "
                                 "always killed (use 'kill')");
    return config_scope_fail(&pg->s, "'%s' is not kill", v);
}

static const struct config_key program_keys[] = {
    {"command", key_command, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"directory", key_directory, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"environment", key_environment, CONFIG_STREAM_NONE, CONFIG_KEY_FIRST},
    {"user", key_user, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"umask", key_umask, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"autostart", key_autostart, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"autorestart", key_autorestart, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"exitcodes", key_exitcodes, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"startsecs", key_startsecs, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"startretries", key_startretries, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stopsignal", key_stopsignal, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stopwaitsecs", key_stopwaitsecs, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"priority", key_priority, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"redirect_stderr", key_redirect_stderr, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stdout_logfile", key_logfile, CONFIG_STREAM_OUT, CONFIG_KEY_IN_ORDER},
    {"stdout_logfile_maxbytes", key_maxbytes, CONFIG_STREAM_OUT, CONFIG_KEY_IN_ORDER},
    {"stdout_logfile_backups", key_backups, CONFIG_STREAM_OUT, CONFIG_KEY_IN_ORDER},
    {"stderr_logfile", key_logfile, CONFIG_STREAM_ERR, CONFIG_KEY_IN_ORDER},
    {"stderr_logfile_maxbytes", key_maxbytes, CONFIG_STREAM_ERR, CONFIG_KEY_IN_ORDER},
    {"stderr_logfile_backups", key_backups, CONFIG_STREAM_ERR, CONFIG_KEY_IN_ORDER},
    {"stopasgroup", key_asgroup, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"killasgroup", key_asgroup, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"numprocs", key_shape, CONFIG_STREAM_NONE, CONFIG_KEY_SHAPE},
    {"numprocs_start", key_shape, CONFIG_STREAM_NONE, CONFIG_KEY_SHAPE},
    {"process_name", key_shape, CONFIG_STREAM_NONE, CONFIG_KEY_SHAPE},
    /* pgsup's own */
    {"timeout", key_timeout, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"backoff_initial", key_backoff_initial, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"backoff_max", key_backoff_max, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"shell", key_shell, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"on_leftovers", key_on_leftovers, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"allow_insecure_logdir", key_allow_insecure_logdir, CONFIG_STREAM_NONE,
     CONFIG_KEY_IN_ORDER},
    /* supervisord's, without a meaning in pgsup */
    {"stdout_capture_maxbytes", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stdout_events_enabled", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stdout_syslog", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stderr_capture_maxbytes", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stderr_events_enabled", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"stderr_syslog", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
    {"serverurl", NULL, CONFIG_STREAM_NONE, CONFIG_KEY_IN_ORDER},
};
const struct config_key *config_keys_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(program_keys) / sizeof(program_keys[0]); i++) {
        if (strcasecmp(program_keys[i].name, name) == 0)
            return &program_keys[i];
    }
    return NULL;
}
