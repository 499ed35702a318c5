/* config_scope.h: where a value of the config file comes from (file, section, key: for the
 * diagnostics) and what supervisord's %(name)s references mean there (config_scope.c). */
#pragma once
#include "config_file.h"

struct config_scope {
    struct config_file *ld;
    const struct raw_section *sec;
    const struct raw_entry *e; /* the key being read; NULL: the section itself */
    const char *program;       /* %(program_name)s; NULL outside [program:x] */
    long process_num;          /* %(process_num)s: numprocs_start, as numprocs is 1 */
};

/* An error about the key (or the section) of s; returns the recorded failure. */
__attribute__((format(printf, 2, 3))) int config_scope_fail(struct config_scope *s, const char *fmt,
                                                            ...);

/* A warning about the key (or the section) of s, kept until the file is accepted. */
__attribute__((format(printf, 2, 3))) void config_scope_warn(struct config_scope *s,
                                                             const char *fmt, ...);

/* supervisord's expansion of value: %(name)s and %(name)d with an optional '-'/'0' flag and
 * width, %% for a single %. On success *ret is a new string (free()). Returns 0 or the
 * recorded failure (an unknown name, an unset ENV_X, a stray '%'). */
int config_scope_expand(struct config_scope *s, const char *value, char **ret);
