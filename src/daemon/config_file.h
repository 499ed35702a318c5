/* config_file.h: the config files of one load being read (config_file.c): the main file and
 * those it includes, their sections and keys as written, and what is wrong with them. The
 * other config_* modules turn the raw keys into a config and report through
 * config_file_fail() and config_file_warn(): the first error wins, and warnings are held
 * until the whole load is accepted. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config_spec.h"

/* One file read into a load: the main file, or one that an [include] named. */
struct config_source {
    char *path;     /* as the caller spelled it (the main file) or as [include] found it */
    char *dir;      /* its absolute directory: %(here)s and relative paths in it */
    unsigned depth; /* 0: the main file; n: included through n files */
    dev_t dev;      /* a file already read is not read again */
    ino_t ino;
};

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
    const struct config_source *src; /* the file it is in */
    unsigned line;
    struct raw_entry *entries;
    size_t entries_len;
};

/* A warning waits here until the whole file is accepted: a refused file reports one error. */
struct warning {
    const char *file; /* a config_source's path */
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
    const char *file; /* the file the diagnostics name now: the one being read, then the one
                       * of the section being assembled */
    const char *dir;  /* that file's directory: %(here)s and relative paths */
    struct config_source **sources; /* every file read, the main one first */
    size_t sources_len;
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
    char **env;     /* [supervisord] environment=: KEY=VALUE entries added to every job and
                     * seen by %(ENV_KEY)s; NULL-ended, NULL when there is none */
    bool quiet;     /* warnings are dropped (the second and later instances of numprocs) */
    char host[256]; /* %(host_node_name)s */
    int r;          /* the first failure, 0 until then */
};

/* Prepares f, which the caller zeroed, for a load. Returns 0 or a failure recorded in f. */
int config_file_init(struct config_file *f);

/* Reads every section and key of the file at path (spelled as the caller or the [include]
 * did, for diagnostics; abs_path is its absolute form) into f, as a new source included
 * through depth files (libinih with a line-counting reader). A file already read (same
 * device and inode) is not read again: *ret_src is then NULL. Returns 0 or the first
 * failure. */
int config_file_read(struct config_file *f, const char *path, const char *abs_path,
                     unsigned depth, const struct config_source **ret_src);

/* Makes the sections of src the subject of the diagnostics and of relative paths. */
void config_file_enter(struct config_file *f, const struct config_source *src);

/* true for the sections whose keys pgsup reads ([program:x], [group:x], [pgsup],
 * [include]): a repeated one, or a repeated key in one, is an error. supervisord's own
 * sections, which pgsup ignores (but for [supervisord] environment=), are not checked:
 * supervisord accepts both, the last key winning. */
bool config_file_section_is_used(const char *name);

/* The value of key in sec (the last one, for sections that may repeat keys), or NULL. */
const struct raw_entry *config_file_find_key(const struct raw_section *sec, const char *key);

/* Frees what f holds (not f itself); f may be half-built. */
void config_file_free(struct config_file *f);

/* Records the first failure (later ones are consequences and are dropped) and returns it
 * (f->r). It names f->file; line 0: not tied to a line; section and key may be NULL. */
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

/* Forgets the recorded failure: a part of the load that may fail (ctl's look for the
 * socket) goes on without it. */
void config_file_forget_failure(struct config_file *f);

/* Sends the kept warnings to warn, in the order they were found. */
void config_file_report_warnings(const struct config_file *f, config_warn_fn *warn, void *userdata);

/* The first failure of the last failed load of this thread; its strings live until the next
 * load in the same thread. */
void config_file_last_error(struct config_diag *ret);

/* A path from the file, made absolute against the file's directory. Returns 0 or -ENOMEM
 * (recorded in f). */
int config_file_resolve(struct config_file *f, const char *path, char **ret);
