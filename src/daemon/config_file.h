/* config_file.h: one config file being read (config_file.c): its sections and keys as written,
 * and what is wrong with it. The other config_* modules turn the raw keys into a config and
 * report through config_file_fail() and config_file_warn(): the first error wins, and warnings
 * are held until the whole file is accepted. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "config_spec.h"

/* One key as read: continuation lines already joined with '\n', nothing expanded yet. */
struct raw_entry {
    char *key;
    char *value;
    size_t value_len, value_cap; /* continuation lines are appended in place: a long value
                                  * grows geometrically, so joining n lines costs O(n) */
    unsigned line;
};

struct raw_section {
    char *name;
    unsigned line;
    struct raw_entry *entries;
    size_t entries_len;
};

/* A warning waits here until the whole file is accepted: a refused file reports one error. */
struct warning {
    unsigned line;
    char *section;
    char *key;
    char *message;
};

/* How libinih will treat the physical line being fed to it. */
enum line_kind {
    LINE_BLANK, /* empty or a comment */
    LINE_SECTION,
    LINE_KEY,
    LINE_CONTINUATION, /* indented line after a key: appended to its value */
};

/* One config_load() call. */
struct config_file {
    const char *file; /* the path as the caller spelled it, for diagnostics */
    char *dir;        /* the file's absolute directory: %(here)s and relative paths */
    FILE *fp;
    char *line; /* the physical line being fed to libinih */
    size_t line_cap, line_len, line_pos;
    unsigned lineno;
    enum line_kind kind;
    bool after_key; /* mirrors libinih's prev_name: an indented line continues a value */
    struct raw_section *sections;
    size_t sections_len;
    long cur; /* index of the section being read; -1: none yet */
    struct warning *warnings;
    size_t warnings_len;
    char host[256]; /* %(host_node_name)s */
    int r;          /* the first failure, 0 until then */
};

/* Opens path (spelled as the caller did, for diagnostics; abs_path is its absolute form) into
 * f, which the caller zeroed. Returns 0 or a failure recorded in f. */
int config_file_open(struct config_file *f, const char *path, const char *abs_path);

/* Reads every section and key of the opened file (libinih with a line-counting reader).
 * Returns 0 or the first failure. */
int config_file_read(struct config_file *f);

/* Frees what f holds (not f itself); f may be half-built. */
void config_file_free(struct config_file *f);

/* Records the first failure (later ones are consequences and are dropped) and returns it
 * (f->r). line 0: not tied to a line; section and key may be NULL. */
__attribute__((format(printf, 6, 0))) int config_file_vfail(struct config_file *f, int r,
                                                            unsigned line, const char *section,
                                                            const char *key, const char *fmt,
                                                            va_list ap);
__attribute__((format(printf, 5, 6))) int config_file_fail(struct config_file *f, unsigned line,
                                                           const char *section, const char *key,
                                                           const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int config_file_fail_errno(struct config_file *f, int r,
                                                                 const char *fmt, ...);
int config_file_oom(struct config_file *f);

/* Keeps a warning until the file is accepted (config_file_report_warnings()). */
__attribute__((format(printf, 5, 0))) void config_file_vwarn(struct config_file *f, unsigned line,
                                                             const char *section, const char *key,
                                                             const char *fmt, va_list ap);

/* Sends the kept warnings to warn, in the order they were found. */
void config_file_report_warnings(const struct config_file *f, config_warn_fn *warn, void *userdata);

/* The first failure of the last failed load of this thread; its strings live until the next
 * load in the same thread. */
void config_file_last_error(struct config_diag *ret);

/* A path from the file, made absolute against the file's directory. Returns 0 or -ENOMEM
 * (recorded in f). */
int config_file_resolve(struct config_file *f, const char *path, char **ret);
