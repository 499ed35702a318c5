/* config_spec.h: what a loaded config file says (types only): the jobs with every key's value,
 * the daemon's own settings, and the diagnostics of a load. config.h loads one; the config_*
 * modules that build it fill these in. */
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
    char *path;       /* NULL: pgsup's own stdout/stderr ("AUTO"/unset = none given) */
    bool discard;     /* "NONE": /dev/null */
    int own_fd;       /* /dev/stdout: 1, /dev/stderr: 2 (pgsup's own fd, never a file opened
                       * through that symlink); 0: none */
    size_t maxbytes;  /* rotate when the file reaches this size; 0: never (default 50 MB) */
    unsigned backups; /* rotated files kept: path.1 ... path.N (default 10) */
};

struct config_job {
    char *name;         /* supervisord's namespec: PROCESS when it is its own group (a
                         * [program:NAME] with numprocs=1 and the default process_name),
                         * else GROUP:PROCESS (numprocs=8: worker:worker_00...) */
    char *group;        /* the [group:x] that lists the program, else the program's NAME */
    char *process;      /* process_name expanded for this instance; [A-Za-z0-9_.-]+ */
    int group_priority; /* [group:x] priority=; the job's own priority outside a [group:x] */
    char **argv;        /* command= split like a POSIX shell word list (no expansion);
                         * with shell=true: {"/bin/sh", "-c", command, NULL} */
    char *command;      /* the command= text as written (for status and diffs) */
    char *directory;    /* NULL: the daemon's cwd */
    char **environment; /* extra KEY=VALUE entries added to the daemon's env: [supervisord]
                         * environment= merged with the program's (which wins); NULL-ended
                         * (never NULL itself: {NULL} when there are none) */
    char *user;         /* NULL: do not change user (needs root otherwise) */
    int umask;          /* -1: inherit */
    bool autostart;     /* default true */
    enum config_autorestart autorestart;
    int *exitcodes; /* expected exit codes (default {0}; NULL when exitcodes_len
                     * is 0, from "exitcodes=": every exit is unexpected) */
    size_t exitcodes_len;
    double startsecs;      /* must stay up this long to count as started (default 1) */
    unsigned startretries; /* quick failures before FATAL (default 3) */
    int stopsignal;        /* default SIGTERM */
    double stopwaitsecs;   /* grace before SIGKILL on stop (default 10) */
    int priority;          /* start low first, stop high first (default 999) */
    bool redirect_stderr;  /* stderr into stdout's destination */
    struct config_log out, err;
    /* pgsup's own keys */
    double timeout;         /* timeout=: each run is stopped after this long; 0: never */
    double backoff_initial; /* backoff_initial=: first restart delay (default 1 s) */
    double backoff_max;     /* backoff_max=: cap of the doubling delay (default 60 s) */
    bool shell;             /* shell=true: run command= through /bin/sh -c */
};

struct config {
    char *path;              /* the file it came from, absolute */
    char *socket_path;       /* [pgsup] socket= (default /run/pgsup.sock, or
                              * $XDG_RUNTIME_DIR/pgsup.sock or /tmp/pgsup-UID/pgsup.sock when
                              * not root: rundir.h) */
    char *state_path;        /* [pgsup] state= (default socket path + ".state") */
    struct config_job *jobs; /* sorted by group priority, group, priority, then name */
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
