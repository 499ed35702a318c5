/* config_scope.h: where a value of the config file comes from (file, section, key: for the
 * diagnostics) and what supervisord's %(name)s references mean there (config_scope.c). */
#pragma once
#include "config_file.h"

struct config_scope {
    struct config_file *ld;
    const struct raw_section *sec;
    const struct raw_entry *e; /* the key being read; NULL: the section itself */
    const char *program;       /* %(program_name)s; NULL outside [program:x] */
    const char *group;         /* %(group_name)s: the [group:x] of the program, else program */
    bool numbered;             /* %(process_num)s and %(numprocs)s are known (not while
                                * numprocs itself is read) */
    long process_num;          /* %(process_num)s: this instance's number */
    long numprocs;             /* %(numprocs)s */
    char *const *env;          /* the program's environment=: %(ENV_X)s sees it first; NULL */
};

/* An error about the key (or the section) of s; returns the recorded failure. */
__attribute__((format(printf, 2, 3))) int config_scope_fail(struct config_scope *s, const char *fmt,
                                                            ...);

/* A warning about the key (or the section) of s, kept until the file is accepted. */
__attribute__((format(printf, 2, 3))) void config_scope_warn(struct config_scope *s,
                                                             const char *fmt, ...);

/* supervisord's expansion of value: %(name)s and %(name)d with an optional '-'/'0' flag and
 * width, %% for a single %. %(ENV_X)s is X of the program's environment=, else of
 * [supervisord] environment=, else of the daemon's environment. On success *ret is a new
 * string (free()). Returns 0 or the recorded failure (an unknown name, an unset ENV_X, a
 * stray '%'). */
int config_scope_expand(struct config_scope *s, const char *value, char **ret);
