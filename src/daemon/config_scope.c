/* config_scope.c: the diagnostics of one key of the config file, and supervisord's %(name)s
 * expansion (Python's % operator with a mapping) of its value: ENV_X (the program's
 * environment=, [supervisord]'s, the daemon's), here, host_node_name, and in [program:x]
 * program_name, group_name, process_num, numprocs. */
#include "config_scope.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_scope_fail(struct config_scope *s, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = config_file_vfail(s->ld, -EINVAL, s->e ? s->e->line : s->sec->line, s->sec->name,
                          s->e ? s->e->key : NULL, fmt, ap);
    va_end(ap);
    return r;
}

void config_scope_warn(struct config_scope *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    config_file_vwarn(s->ld, s->e ? s->e->line : s->sec->line, s->sec->name,
                      s->e ? s->e->key : NULL, fmt, ap);
    va_end(ap);
}

/* The value of KEY in a NULL-ended KEY=VALUE list, or NULL. */
static const char *env_find(char *const *env, const char *key)
{
    size_t len = strlen(key);

    for (; env && *env; env++)
        if (strncmp(*env, key, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

/* What %(name)s stands for: 1 with *ret_str (free()), 2 with *ret_num, 0 unknown. */
static int scope_lookup(struct config_scope *s, const char *name, char **ret_str, long *ret_num)
{
    const char *v = NULL;

    if (strncmp(name, "ENV_", 4) == 0) {
        /* supervisord's order: the program's environment= over [supervisord]'s, over the
         * daemon's own environment. */
        v = env_find(s->env, name + 4);
        if (!v)
            v = env_find(s->ld->env, name + 4);
        if (!v)
            v = getenv(name + 4);
    } else if (strcmp(name, "here") == 0)
        v = s->ld->dir;
    else if (strcmp(name, "host_node_name") == 0)
        v = s->ld->host;
    else if (s->program && strcmp(name, "program_name") == 0)
        v = s->program;
    else if (s->program && strcmp(name, "group_name") == 0)
        v = s->group ? s->group : s->program;
    else if (s->program && s->numbered && strcmp(name, "process_num") == 0) {
        *ret_num = s->process_num;
        return 2;
    } else if (s->program && s->numbered && strcmp(name, "numprocs") == 0) {
        *ret_num = s->numprocs;
        return 2;
    }
    if (!v)
        return 0;
    *ret_str = strdup(v);
    return *ret_str ? 1 : -ENOMEM;
}

/* One %(name)[-0][width](s|d) reference at p (just after "%("); advances *pp past it. */
static int scope_expand_one(struct config_scope *s, const char **pp, FILE *out)
{
    const char *name = *pp, *p = *pp;
    bool left = false, zero = false;
    int depth = 1, width = 0, found;
    char *key = NULL, *str = NULL, num_buf[32];
    long num = 0;
    int r = 0;

    /* Python's % operator matches parentheses inside the name. */
    for (; *p && depth > 0; p++)
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
    if (depth > 0)
        return config_scope_fail(s, "unterminated '%%(' (write %%%% for a literal %%)");
    key = strndup(name, (size_t)(p - 1 - name));
    if (!key)
        return config_file_oom(s->ld);
    for (; *p == '-' || *p == '0'; p++) {
        left |= *p == '-';
        zero |= *p == '0';
    }
    for (; isdigit((unsigned char)*p); p++) {
        if (width > 999) {
            r = config_scope_fail(s, "%%(%s): field width too large", key);
            goto fail;
        }
        width = width * 10 + (*p - '0');
    }
    if (*p != 's' && *p != 'd' && *p != 'i') {
        r = config_scope_fail(s, "%%(%s): unsupported format (use %%(%s)s)", key, key);
        goto fail;
    }
    found = scope_lookup(s, key, &str, &num);
    if (found < 0) {
        r = config_file_oom(s->ld);
        goto fail;
    }
    if (found == 0) {
        if (strncmp(key, "ENV_", 4) == 0)
            r = config_scope_fail(s, "%%(%s)s: environment variable %s is not set", key, key + 4);
        else
            r = config_scope_fail(s, "%%(%s)s: unknown name (known: %s)", key,
                                  !s->program ? "ENV_*, here, host_node_name"
                                  : s->numbered
                                      ? "ENV_*, here, program_name, group_name, host_node_name, "
                                        "process_num, numprocs"
                                      : "ENV_*, here, program_name, group_name, host_node_name; "
                                        "not process_num nor numprocs in numprocs= itself");
        goto fail;
    }
    if (*p == 's') {
        if (found == 2) {
            snprintf(num_buf, sizeof(num_buf), "%ld", num);
            fprintf(out, "%*s", left ? -width : width, num_buf);
        } else {
            fprintf(out, "%*s", left ? -width : width, str);
        }
    } else {
        if (found != 2) {
            r = config_scope_fail(s, "%%(%s)%c: not a number", key, *p);
            goto fail;
        }
        if (zero && !left)
            fprintf(out, "%0*ld", width, num);
        else
            fprintf(out, "%*ld", left ? -width : width, num);
    }
    *pp = p + 1;
fail:
    free(str);
    free(key);
    return r;
}

/* supervisord's expansion (Python's % operator with a mapping): %(name)s and %(name)d with an
 * optional '-'/'0' flag and width, and %% for a single %. Any other '%' is an error, as it is
 * in supervisord, so that a file means the same to both. */
int config_scope_expand(struct config_scope *s, const char *value, char **ret)
{
    char *buf = NULL;
    size_t buf_len = 0;
    const char *p = value;
    FILE *out;
    int r = 0;

    out = open_memstream(&buf, &buf_len);
    if (!out)
        return config_file_oom(s->ld);
    while (*p) {
        if (*p != '%') {
            fputc(*p++, out);
        } else if (p[1] == '%') {
            fputc('%', out);
            p += 2;
        } else if (p[1] == '(') {
            p += 2;
            r = scope_expand_one(s, &p, out);
            if (r < 0)
                goto fail;
        } else {
            r = config_scope_fail(s, "stray '%%' (write %%%% for a literal %%, or %%(name)s)");
            goto fail;
        }
    }
    if (ferror(out)) {
        r = config_file_oom(s->ld);
        goto fail;
    }
    if (fclose(out) != 0) {
        out = NULL;
        r = config_file_oom(s->ld);
        goto fail;
    }
    *ret = buf;
    return 0;
fail:
    if (out)
        fclose(out);
    free(buf);
    return r;
}
