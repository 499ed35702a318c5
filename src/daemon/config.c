/* config.c: the daemon's config file → a whole config or nothing. Reading is config_file.c's
 * (and config_include.c's for the files [include] adds), the jobs of [program:x] and
 * [group:x] sections config_group.c's and config_program.c's (with the key table of
 * config_keys.c); this file puts them together with [pgsup], [supervisord] environment=,
 * the sections pgsup ignores, the job order, ctl's reading of the socket alone, and what the
 * supervisor asks of a loaded config (find a job, compare two). It starts, stops and prints
 * nothing: the supervisor applies a config, the daemon reports the diagnostics. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_file.h"
#include "config_group.h"
#include "config_include.h"
#include "config_program.h"
#include "config_scope.h"
#include "config_value.h"
#include "config_words.h"
#include "rundir.h"

/* ---- Paths ---------------------------------------------------------------------------- */

/* Lexically normalized: no "//", "." or ".." components (like Python's os.path.abspath,
 * which gives supervisord its %(here)s). path is absolute. */
static char *path_normalize(const char *path)
{
    char *out = malloc(strlen(path) + 2);
    const char *p = path;
    size_t len = 0, n;

    if (!out)
        return NULL;
    while (*p) {
        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the '/' before the dropped component */
        } else {
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* The absolute, normalized form of path (relative to the current directory). */
static int path_absolute(const char *path, char **ret)
{
    char *cwd = NULL, *joined = NULL, *abs;
    int r = 0;

    if (path[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return -errno;
        if (asprintf(&joined, "%s/%s", cwd, path) < 0) {
            joined = NULL;
            r = -ENOMEM;
            goto fail;
        }
        path = joined;
    }
    abs = path_normalize(path);
    if (!abs) {
        r = -ENOMEM;
        goto fail;
    }
    *ret = abs;
fail:
    free(joined);
    free(cwd);
    return r;
}

/* ---- [pgsup] and the rest -------------------------------------------------------------- */

/* [pgsup]: every key, or only the one called only (ctl needs the socket alone). */
static int load_pgsup(struct config_file *ld, const struct raw_section *sec, struct config *config,
                      const char *only)
{
    struct config_scope s = {.ld = ld, .sec = sec};
    char *v = NULL, **dest;
    size_t i;
    int r = 0;

    config_file_enter(ld, sec->src);
    for (i = 0; i < sec->entries_len; i++) {
        s.e = &sec->entries[i];
        if (only && strcasecmp(s.e->key, only) != 0)
            continue;
        if (strcasecmp(s.e->key, "socket") == 0) {
            dest = &config->socket_path;
        } else if (strcasecmp(s.e->key, "state") == 0) {
            dest = &config->state_path;
        } else {
            config_scope_warn(&s, "unknown key ignored, continuing");
            continue;
        }
        r = config_scope_expand(&s, s.e->value, &v);
        if (r < 0)
            break;
        if (!*v)
            r = config_scope_fail(&s, "empty path");
        else
            r = config_file_resolve(ld, v, dest);
        free(v);
        v = NULL;
        if (r < 0)
            break;
    }
    return r;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* [supervisord] environment=, the last one (supervisord's configparser lets a file repeat the
 * key and the section): every job gets it, and %(ENV_X)s of every section sees it. */
static int load_global_env(struct config_file *ld)
{
    const struct raw_section *sec = NULL;
    const struct raw_entry *e = NULL;
    char *v = NULL;
    int r;

    for (size_t i = 0; i < ld->sections_len; i++) {
        const struct raw_entry *found = strcmp(ld->sections[i].name, "supervisord") == 0
                                            ? config_file_find_key(&ld->sections[i], "environment")
                                            : NULL;
        if (found) {
            sec = &ld->sections[i];
            e = found;
        }
    }
    if (!e)
        return 0;
    struct config_scope s = {.ld = ld, .sec = sec, .e = e};
    config_file_enter(ld, sec->src);
    r = config_scope_expand(&s, e->value, &v);
    if (r == 0)
        r = config_value_environment(&s, v, &ld->env);
    free(v);
    return r;
}

static void load_ignored_section(struct config_file *ld, const struct raw_section *sec)
{
    struct config_scope s = {.ld = ld, .sec = sec};
    static const char *const supervisord_sections[] = {
        "unix_http_server", "inet_http_server", "supervisorctl",
        "rpcinterface:",    "eventlistener:",   "fcgi-program:",
    };
    size_t i;

    config_file_enter(ld, sec->src);
    if (strcmp(sec->name, "supervisord") == 0) {
        /* Its environment= is pgsup's too (load_global_env()). */
        size_t env = 0;
        for (i = 0; i < sec->entries_len; i++)
            env += strcasecmp(sec->entries[i].key, "environment") == 0;
        if (env == 0)
            config_scope_warn(&s, "supervisord section ignored, continuing");
        else if (env < sec->entries_len)
            config_scope_warn(&s, "supervisord section: only environment= is used (every job "
                                  "gets it), the rest is ignored, continuing");
        return;
    }
    for (i = 0; i < sizeof(supervisord_sections) / sizeof(supervisord_sections[0]); i++) {
        const char *known = supervisord_sections[i];
        bool prefix = known[strlen(known) - 1] == ':';

        if (prefix ? has_prefix(sec->name, known) : strcmp(sec->name, known) == 0) {
            config_scope_warn(&s, "supervisord section ignored, continuing");
            return;
        }
    }
    config_scope_warn(&s, "unknown section ignored, continuing");
}

int config_default_socket_path(char **ret_path)
{
    char *dir, *path;
    int r = rundir_default(&dir);

    if (r < 0)
        return r;
    r = asprintf(&path, "%s/pgsup.sock", dir) < 0 ? -ENOMEM : 0;
    free(dir);
    if (r == 0)
        *ret_path = path;
    return r;
}

/* supervisord's order: groups by priority (then name), and in a group its processes by
 * priority (then name). For a program that is its own group both priorities are its own, so
 * a file without [group:x] starts by priority, then name. */
int config_job_order(const struct config_job *x, const struct config_job *y)
{
    int c;

    if (x->group_priority != y->group_priority)
        return x->group_priority < y->group_priority ? -1 : 1;
    c = strcmp(x->group, y->group);
    if (c != 0)
        return c;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int job_compare(const void *a, const void *b)
{
    return config_job_order(a, b);
}

static int load_defaults(struct config_file *ld, struct config *config)
{
    if (!config->socket_path && config_default_socket_path(&config->socket_path) < 0)
        return config_file_oom(ld);
    if (!config->state_path && asprintf(&config->state_path, "%s.state", config->socket_path) < 0) {
        config->state_path = NULL;
        return config_file_oom(ld);
    }
    return 0;
}

static int load_build(struct config_file *ld, struct config *config)
{
    const struct raw_section *sec;
    size_t i;
    int r = load_global_env(ld);

    for (i = 0; i < ld->sections_len && r == 0; i++) {
        sec = &ld->sections[i];
        if (strcmp(sec->name, "pgsup") == 0)
            r = load_pgsup(ld, sec, config, NULL);
        else if (!has_prefix(sec->name, "program:") && !has_prefix(sec->name, "group:") &&
                 strcmp(sec->name, "include") != 0)
            load_ignored_section(ld, sec);
    }
    if (r == 0)
        r = config_group_load(ld, config);
    if (r < 0 || ld->r < 0)
        return r < 0 ? r : ld->r;
    r = load_defaults(ld, config);
    if (r < 0)
        return r;
    if (config->jobs_len > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(config->jobs, config->jobs_len, sizeof(*config->jobs), job_compare);
    return 0;
}

/* Reads path and the files it includes into ld; config->path is set. */
static int load_files(struct config_file *ld, const char *path, struct config *config,
                      bool includes)
{
    const struct config_source *src;
    int r;

    config_file_init(ld);
    r = path_absolute(path, &config->path);
    if (r < 0)
        return config_file_fail_errno(ld, r, "cannot resolve the path: %s", strerror(-r));
    r = config_file_read(ld, path, config->path, 0, &src);
    if (r == 0 && includes)
        r = config_include_read(ld);
    return r;
}

int config_load(const char *path, config_warn_fn *warn, void *userdata, struct config **ret_config,
                struct config_diag *ret_error)
{
    struct config_file ld = {.file = path ? path : "", .cur = -1};
    struct config *config = NULL;
    int r;

    if (!path || !*path || !ret_config) {
        r = config_file_fail_errno(&ld, -EINVAL, "no file name or nowhere to put the config");
        goto fail;
    }
    config = calloc(1, sizeof(*config));
    if (!config) {
        r = config_file_oom(&ld);
        goto fail;
    }
    r = load_files(&ld, path, config, true);
    if (r < 0)
        goto fail;
    r = load_build(&ld, config);
    if (r < 0)
        goto fail;
    config_file_report_warnings(&ld, warn, userdata);
    config_file_free(&ld);
    *ret_config = config;
    return 0;
fail:
    if (ret_error)
        config_file_last_error(ret_error);
    config_free(config);
    config_file_free(&ld);
    return r;
}

/* The [pgsup] section that has socket=, or NULL. */
static const struct raw_section *find_socket(const struct config_file *ld)
{
    for (size_t i = 0; i < ld->sections_len; i++)
        if (strcmp(ld->sections[i].name, "pgsup") == 0 &&
            config_file_find_key(&ld->sections[i], "socket"))
            return &ld->sections[i];
    return NULL;
}

int config_load_socket(const char *path, char **ret_socket, struct config_diag *ret_error)
{
    struct config_file ld = {.file = path ? path : "", .cur = -1};
    struct config *config = NULL;
    const struct raw_section *sec;
    int r;

    if (!path || !*path || !ret_socket) {
        r = config_file_fail_errno(&ld, -EINVAL, "no file name or nowhere to put the socket");
        goto fail;
    }
    config = calloc(1, sizeof(*config));
    if (!config) {
        r = config_file_oom(&ld);
        goto fail;
    }
    /* The main file first: the included ones (conf.d, often edited) are read only when it
     * does not name the socket itself. */
    r = load_files(&ld, path, config, false);
    if (r == 0 && !find_socket(&ld))
        r = config_include_read(&ld);
    if (r < 0)
        goto fail;
    sec = find_socket(&ld);
    /* [supervisord] environment= matters only if socket= uses one of its %(ENV_X)s: a
     * failure elsewhere in it is not ctl's business, and one that matters shows below. */
    if (sec && load_global_env(&ld) < 0)
        config_file_forget_failure(&ld);
    r = sec ? load_pgsup(&ld, sec, config, "socket") : 0;
    if (r == 0)
        r = load_defaults(&ld, config);
    if (r < 0)
        goto fail;
    *ret_socket = config->socket_path;
    config->socket_path = NULL;
    config_free(config);
    config_file_free(&ld);
    return 0;
fail:
    if (ret_error)
        config_file_last_error(ret_error);
    config_free(config);
    config_file_free(&ld);
    return r;
}

void config_free(struct config *config)
{
    size_t i;

    if (!config)
        return;
    for (i = 0; i < config->jobs_len; i++)
        config_program_free_job(&config->jobs[i]);
    free(config->jobs);
    free(config->path);
    free(config->socket_path);
    free(config->state_path);
    free(config);
}

const struct config_job *config_find(const struct config *config, const char *name)
{
    size_t i;

    if (!config || !name)
        return NULL;
    for (i = 0; i < config->jobs_len; i++) {
        if (strcmp(config->jobs[i].name, name) == 0)
            return &config->jobs[i];
    }
    return NULL;
}

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_equal(char *const *a, char *const *b)
{
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++) {
        if (strcmp(*a, *b) != 0)
            return false;
    }
    return !*a && !*b;
}

static bool log_equal(const struct config_log *a, const struct config_log *b)
{
    return str_equal(a->path, b->path) && a->discard == b->discard && a->own_fd == b->own_fd &&
           a->maxbytes == b->maxbytes && a->backups == b->backups;
}

/* Every member is compared below: a new one must be added there too. */
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct config_job) == 232, "struct config_job changed: update "
                                                 "config_job_equal()");
#endif

bool config_job_equal(const struct config_job *a, const struct config_job *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    return str_equal(a->name, b->name) && str_equal(a->group, b->group) &&
           str_equal(a->process, b->process) && a->group_priority == b->group_priority &&
           strv_equal(a->argv, b->argv) &&
           str_equal(a->command, b->command) && str_equal(a->directory, b->directory) &&
           strv_equal(a->environment, b->environment) && str_equal(a->user, b->user) &&
           a->umask == b->umask && a->autostart == b->autostart &&
           a->autorestart == b->autorestart && a->exitcodes_len == b->exitcodes_len &&
           (a->exitcodes_len == 0 ||
            memcmp(a->exitcodes, b->exitcodes, a->exitcodes_len * sizeof(*a->exitcodes)) == 0) &&
           a->startsecs == b->startsecs && a->startretries == b->startretries &&
           a->stopsignal == b->stopsignal && a->stopwaitsecs == b->stopwaitsecs &&
           a->priority == b->priority && a->redirect_stderr == b->redirect_stderr &&
           log_equal(&a->out, &b->out) && log_equal(&a->err, &b->err) && a->timeout == b->timeout &&
           a->backoff_initial == b->backoff_initial && a->backoff_max == b->backoff_max &&
           a->shell == b->shell;
}