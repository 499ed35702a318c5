/* config_keys.h: the keys of a [program:NAME] section, one table (config_keys.c): supervisord's
 * keys with their meanings, pgsup's own, and supervisord's that pgsup ignores. Each parser
 * checks one expanded value and writes it into the job being assembled by config_program.c. */
#pragma once
#include "config_spec.h"
#include "config_scope.h"

/* One [program:NAME] section being turned into a job. */
struct config_program {
    struct config_scope s;
    struct config_job *job;
    struct config_log *log;          /* the stream of a stdout_* / stderr_* key */
    const struct raw_entry *command; /* for argv, built once shell= is known */
    char *command_expanded;
    const struct raw_entry *stdout_logfile, *stderr_logfile, *backoff_initial, *backoff_max;
    bool allow_insecure_logdir;      /* allow_insecure_logdir=: see config_program.c */
};

enum config_key_stream { CONFIG_STREAM_NONE, CONFIG_STREAM_OUT, CONFIG_STREAM_ERR };

/* When config_program.c reads a key. */
enum config_key_when {
    CONFIG_KEY_IN_ORDER, /* in file order, after the FIRST ones */
    CONFIG_KEY_FIRST,    /* before the others of an instance: environment=, which the others'
                          * %(ENV_X)s see */
    CONFIG_KEY_SHAPE,    /* once per section, before any instance: numprocs=, numprocs_start=,
                          * process_name= (config_program.c reads them itself) */
};

/* numprocs= at most: each instance is a job with its own supervisor processes. */
#define CONFIG_NUMPROCS_MAX 10000

struct config_key {
    const char *name;
    int (*parse)(struct config_program *pg, const char *value); /* NULL: ignored */
    enum config_key_stream stream; /* which config_log a stdout_* / stderr_* key sets */
    enum config_key_when when;
};

/* The key called name (any case), or NULL for a key pgsup does not know. */
const struct config_key *config_keys_find(const char *name);
