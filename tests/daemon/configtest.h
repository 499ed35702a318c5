/* configtest.h: helpers of the config loader's cmocka tests (configtest.c), linked into
 * test_config and test_config_compat. Include after cmocka.h. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The directory of this run's files, made by group_setup(), removed by group_teardown(). */
extern char tmpdir[];

/* Warnings as "LINE [SECTION] KEY: MESSAGE" ("-" for a missing section or key). */
struct warnings {
    size_t len;
    char text[32][512];
};

/* The warning callback of config_load() that fills a struct warnings. */
void collect_warning(const struct config_diag *d, void *userdata);

/* The warning that starts with prefix ("3 [program:x] foo"), or, when prefix does not start
 * with a line number, contains it; else a failure. */
const char *find_warning(const struct warnings *w, const char *prefix);

/* Writes text into a new file of tmpdir; returns its path (static until the next call). */
const char *write_file_sized(const char *text, size_t len);
const char *write_file(const char *text);

/* Writes text into tmpdir/rel (its directory must exist); returns the path (free()). */
char *write_named(const char *rel, const char *text);

/* tmpdir/rel (free()). */
char *path_in_tmp(const char *rel);

/* Loads the file (or text written to a new file), which must succeed; w gets the warnings
 * (may be NULL). */
struct config *load_path_ok(const char *path, struct warnings *w);
struct config *load_ok(const char *text, struct warnings *w);

/* Loads text, which must fail with -EINVAL at line, in section and key (NULL: none), with a
 * message containing part; no config, no warning. */
void expect_error(const char *text, unsigned line, const char *section, const char *key,
                  const char *part);

/* Loads path, which must fail with -EINVAL in file (a file path includes) at line, in section
 * and key (NULL: none), with a message containing part; no config, no warning. */
void expect_load_error(const char *path, const char *file, unsigned line, const char *section,
                       const char *key, const char *part);

/* argv is exactly want (ARGV("a", "b")). */
void expect_argv(char *const *argv, const char *const *want);

/* cmocka's group fixtures: tmpdir made, then removed with everything in it. */
int group_setup(void **state);
int group_teardown(void **state);
