/* config.h: the daemon's config file → job specs. INI read with libinih; one [program:NAME]
 * section per job with supervisord's key names, plus a [pgsup] section for the daemon itself.
 * A file is accepted or refused as a whole: config_load() never returns half a config.
 * Nothing here starts, stops or prints; the supervisor applies a loaded config. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum config_autorestart {
    CONFIG_RESTART_NEVER,      /* autorestart=false */
    CONFIG_RESTART_ALWAYS,     /* autorestart=true */
    CONFIG_RESTART_UNEXPECTED, /* autorestart=unexpected (supervisord's default): exit code not
                                * in exitcodes, or death by a signal pgsup did not send */
};

/* Where one stream of a job goes. */
struct config_log {
    char *path;           /* NULL: pgsup's own stdout/stderr ("AUTO"/unset = none given) */
    bool discard;         /* "NONE": /dev/null */
    size_t maxbytes;      /* rotate when the file reaches this size; 0: never (default 50 MB) */
    unsigned backups;     /* rotated files kept: path.1 ... path.N (default 10) */
};

struct config_job {
    char *name;               /* from [program:NAME]; [A-Za-z0-9_.-]+ */
    char **argv;              /* command= split like a POSIX shell word list (no expansion);
                               * with shell=true: {"/bin/sh", "-c", command, NULL} */
    char *command;            /* the command= text as written (for status and diffs) */
    char *directory;          /* NULL: the daemon's cwd */
    char **environment;       /* extra KEY=VALUE entries added to the daemon's env; NULL-ended
                               * (never NULL itself: {NULL} when there are none) */
    char *user;               /* NULL: do not change user (needs root otherwise) */
    int umask;                /* -1: inherit */
    bool autostart;           /* default true */
    enum config_autorestart autorestart;
    int *exitcodes;           /* expected exit codes (default {0}; NULL when exitcodes_len
                               * is 0, from "exitcodes=": every exit is unexpected) */
    size_t exitcodes_len;
    double startsecs;         /* must stay up this long to count as started (default 1) */
    unsigned startretries;    /* quick failures before FATAL (default 3) */
    int stopsignal;           /* default SIGTERM */
    double stopwaitsecs;      /* grace before SIGKILL on stop (default 10) */
    int priority;             /* start low first, stop high first (default 999) */
    bool redirect_stderr;     /* stderr into stdout's destination */
    struct config_log out, err;
    /* pgsup's own keys */
    double timeout;           /* timeout=: each run is stopped after this long; 0: never */
    double backoff_initial;   /* backoff_initial=: first restart delay (default 1 s) */
    double backoff_max;       /* backoff_max=: cap of the doubling delay (default 60 s) */
    bool shell;               /* shell=true: run command= through /bin/sh -c */
};

struct config {
    char *path;               /* the file it came from, absolute */
    char *socket_path;        /* [pgsup] socket= (default /run/pgsup.sock, or
                               * $XDG_RUNTIME_DIR/pgsup.sock when not root) */
    char *state_path;         /* [pgsup] state= (default socket path + ".state") */
    struct config_job *jobs;  /* sorted by priority, then name */
    size_t jobs_len;
};

/* An error or warning: file, line (0: not tied to a line), key (NULL: none), and text. */
struct config_diag {
    const char *file;
    unsigned line;
    const char *section;
    const char *key;
    const char *message;
};

typedef void config_warn_fn(const struct config_diag *diag, void *userdata);

/* Loads path. On success *ret_config is a new config (config_free()), warnings (unknown
 * supervisord keys, ignored sections) went to warn (may be NULL), and 0 is returned. On
 * failure nothing is allocated, *ret_error describes the first problem (its strings live
 * until the next call in the same thread), and -EINVAL (bad file) or -errno (cannot read) is
 * returned. Relative paths in the file (directory, log files, socket, state) are resolved
 * against the file's own directory. Warnings are sent only for a file that loads, after the
 * whole file is read; ret_error may be NULL. Sets libinih's process-wide options: do not call
 * it while another thread uses libinih. */
int config_load(const char *path, config_warn_fn *warn, void *userdata,
                struct config **ret_config, struct config_diag *ret_error);

void config_free(struct config *config);

/* The job called name, or NULL. */
const struct config_job *config_find(const struct config *config, const char *name);

/* true when a and b would run the same thing the same way (every key compared): an
 * unchanged job keeps running across a reload. */
bool config_job_equal(const struct config_job *a, const struct config_job *b);

/* Splits a command line like a POSIX shell splits words: blanks separate, '...' is literal,
 * "..." keeps $ ` as they are (no expansion of any kind) but handles \" \\ \$ \` and
 * backslash-newline, a backslash outside quotes escapes the next character; # at the start of
 * a word begins a comment. On success *ret_argv is a NULL-ended array (free with
 * config_argv_free()). Returns 0, -EINVAL (unterminated quote, empty), or -ENOMEM. */
int config_split_argv(const char *line, char ***ret_argv);

void config_argv_free(char **argv);

/* The socket path used when [pgsup] has no socket=: /run/pgsup.sock for root, else
 * $XDG_RUNTIME_DIR/pgsup.sock, or /tmp/pgsup-UID.sock when XDG_RUNTIME_DIR is unset or not an
 * absolute path. For the control client too, which has no config to read. On success
 * *ret_path is a new string (free()). Returns 0 or -ENOMEM. */
int config_default_socket_path(char **ret_path);
