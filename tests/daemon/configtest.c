/* configtest.c: what the config loader's tests share (configtest.h): a mkdtemp() directory of
 * files written at test time, the warnings of a load, and loads that must succeed or fail
 * with a given diagnostic. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "configtest.h"

/* The directory of this run's files, made by group_setup(). */
char tmpdir[] = "/tmp/pgsup-test-config-XXXXXX";
static unsigned file_count;

void collect_warning(const struct config_diag *d, void *userdata)
{
    struct warnings *w = userdata;

    if (strcmp(d->file, "") == 0 || !d->message)
        fail_msg("warning without file or message");
    if (w->len < ARRAY_LEN(w->text))
        snprintf(w->text[w->len], sizeof(w->text[0]), "%u [%s] %s: %s", d->line,
                 d->section ? d->section : "-", d->key ? d->key : "-", d->message);
    w->len++;
}

/* The warning that starts with prefix ("3 [program:x] foo"), or, when prefix does not start
 * with a line number, contains it; else a failure. */
const char *find_warning(const struct warnings *w, const char *prefix)
{
    bool anywhere = prefix[0] < '0' || prefix[0] > '9';
    size_t i;

    for (i = 0; i < w->len && i < ARRAY_LEN(w->text); i++) {
        if (anywhere ? strstr(w->text[i], prefix) != NULL
                     : strncmp(w->text[i], prefix, strlen(prefix)) == 0)
            return w->text[i];
    }
    for (i = 0; i < w->len && i < ARRAY_LEN(w->text); i++)
        print_message("  warning: %s\n", w->text[i]);
    fail_msg("no warning like '%s' among %zu", prefix, w->len);
    return NULL;
}

/* Writes text into a new file of tmpdir; returns its path (static until the next call). */
const char *write_file_sized(const char *text, size_t len)
{
    static char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/t%u.conf", tmpdir, ++file_count);
    f = fopen(path, "we");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

const char *write_file(const char *text)
{
    return write_file_sized(text, strlen(text));
}

struct config *load_path_ok(const char *path, struct warnings *w)
{
    struct config *c = NULL;
    struct config_diag err = {0};
    int r;

    if (w)
        memset(w, 0, sizeof(*w));
    r = config_load(path, w ? collect_warning : NULL, w, &c, &err);
    if (r != 0)
        fail_msg("%s: returned %d: %s:%u [%s] %s: %s", path, r, err.file, err.line,
                 err.section ? err.section : "-", err.key ? err.key : "-", err.message);
    assert_non_null(c);
    return c;
}

struct config *load_ok(const char *text, struct warnings *w)
{
    return load_path_ok(write_file(text), w);
}

/* Loads text, which must fail with -EINVAL at line, in section and key (NULL: none), with a
 * message containing part; no config, no warning. */
void expect_load_error(const char *path, const char *file, unsigned line, const char *section,
                       const char *key, const char *part)
{
    struct config *c = (struct config *) 1;
    struct config_diag err = {0};
    struct warnings w = {0};
    int r;

    r = config_load(path, collect_warning, &w, &c, &err);
    if (r != -EINVAL)
        fail_msg("%s: returned %d, expected -EINVAL", path, r);
    if (c != (struct config *) 1)
        fail_msg("failed but wrote ret_config");
    if (w.len != 0)
        fail_msg("failed but sent %zu warnings (%s)", w.len, w.text[0]);
    assert_non_null(err.message);
    if (strcmp(err.file, file) != 0 || err.line != line ||
        (section ? !err.section || strcmp(err.section, section) != 0 : err.section != NULL) ||
        (key ? !err.key || strcmp(err.key, key) != 0 : err.key != NULL) ||
        !strstr(err.message, part))
        fail_msg("got %s:%u [%s] %s: '%s'\nexpected %s:%u [%s] %s: '...%s...'", err.file,
                 err.line, err.section ? err.section : "(null)", err.key ? err.key : "(null)",
                 err.message, file, line, section ? section : "(null)", key ? key : "(null)",
                 part);
}

void expect_error(const char *text, unsigned line, const char *section, const char *key,
                  const char *part)
{
    const char *path = write_file(text);

    expect_load_error(path, path, line, section, key, part);
}

void expect_argv(char *const *argv, const char *const *want)
{
    size_t i;

    assert_non_null(argv);
    for (i = 0; want[i]; i++) {
        if (!argv[i])
            fail_msg("argv has %zu words, expected more ('%s')", i, want[i]);
        if (strcmp(argv[i], want[i]) != 0)
            fail_msg("argv[%zu] = '%s', expected '%s'", i, argv[i], want[i]);
    }
    if (argv[i])
        fail_msg("argv has an extra word '%s' at %zu", argv[i], i);
}

char *path_in_tmp(const char *rel)
{
    char *p;

    assert_true(asprintf(&p, "%s/%s", tmpdir, rel) > 0);
    return p;
}

int group_setup(void **state)
{
    (void) state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

int group_teardown(void **state)
{
    (void) state;
    /* only what this test made, in its own mkdtemp() directory */
    return nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text into tmpdir/rel (its directory must exist); returns the path (free()). */
char *write_named(const char *rel, const char *text)
{
    char *path = path_in_tmp(rel);
    FILE *f = fopen(path, "we");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}
