/* cli.h: what the subcommands of the pgsup binary share. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guard.h"
#include "core/run.h"

/* Exit statuses of pgsup run / pgsup timeout: coreutils timeout(1)'s, one table (status.c). */
enum {
    STATUS_TIMED_OUT = 124,   /* the deadline hit (unless --preserve-status) */
    STATUS_FAILED = 125,      /* pgsup itself failed or was misused; the command may not have run */
    STATUS_CANNOT_EXEC = 126, /* the command was found but could not be executed */
    STATUS_NOT_FOUND = 127,   /* the command was not found */
};

/* Exit statuses of pgsup ctl: supervisorctl's (LSB's) where it has them, 125 as the other
 * faces when the daemon cannot be asked (README "pgsup ctl"). */
enum {
    CTL_ERROR = 1,        /* the daemon reported an error (a line "error: ...") */
    CTL_USAGE = 2,        /* bad usage: no request, an unknown option (LSB "invalid args") */
    CTL_NOT_RUNNING = 3,  /* status: a job shown is STOPPED, EXITED or FATAL */
    CTL_UNKNOWN = 4,      /* status: a name means no job, or the daemon cannot be asked */
    CTL_PID_STOPPED = 7,  /* pid NAME: the job does not run (LSB "program is not running") */
};

/* One command to supervise, as the option parsers fill it. */
struct cli_job {
    char **argv;
    double timeout_s;     /* 0: none */
    int signal;
    double kill_after_s;  /* < 0: never send SIGKILL */
    bool preserve_status;
    bool verbose;
    bool wait_all;        /* run: wait for (and stop) the whole tree; timeout: the command only */
    bool tty;             /* give the terminal to the command's group if we have it */
    int control_fd;       /* >= 0: libpgsup's channel (see wire.h); errors go there, not
                           * to stderr, and its EOF means the caller is gone */
    /* pgsup timeout (timeout.c), with drop_in; else the command gets fds 0-2, every signal at
     * its default and unblocked, and the guard passes on HUP, INT, QUIT, TERM, USR1, USR2 and
     * ALRM (the deadline). */
    bool drop_in;         /* coreutils' timeout(1): its groups, signals, messages, statuses */
    bool foreground;      /* --foreground: the command stays in our group, alone signalled */
    const char *program;  /* messages begin "PROGRAM: " (argv[0], as coreutils) */
    char *quoted_command; /* argv[0] as coreutils quotes it */
    sigset_t forward;     /* what the guard passes on to the engine (and the tree) */
    uint64_t keep_ignored; /* run_spec's: left ignored in the command */
    uint64_t sigmask;     /* run_spec's: the command's signal mask */
};

/* Maps the end of a run to what pgsup run exits with (timeout(1)'s conventions). */
void status_from_result(const struct run_result *result, bool preserve_status,
                        struct guard_outcome *ret);

/* Maps the end of a run to what pgsup timeout exits with: exactly what coreutils' timeout
 * would, run in the same way (with --foreground or not). */
void status_from_timeout(const struct run_result *result, bool preserve_status,
                         bool foreground, struct guard_outcome *ret);

/* Maps a spawn failure (-errno) to 127 (not found), 126 (cannot execute) or 125 (the fork
 * itself failed: -EAGAIN, a process limit). */
int status_from_spawn_error(int err);

/* Exits with the outcome: exit(code), or death by the signal with core dumps off. */
_Noreturn void status_exit(const struct guard_outcome *outcome);

/* Supervises one command: splits into guard and engine, runs, and exits with the status. */
_Noreturn void supervise(const struct cli_job *job);

/* Option parsing helpers shared by the subcommands; on bad input they print one line and
 * return -EINVAL. */
int cli_parse_duration(const char *what, const char *text, double *ret_s);
int cli_parse_signal(const char *text, int *ret_sig);

/* The options run and timeout share (-k, -p, -s, -v, same letters in both): applies opt to
 * job. Returns 1 if opt was one of them, 0 if not, -EINVAL after a one-line error. */
int cli_job_option(int opt, const char *arg, struct cli_job *job);

int cli_run(int argc, char **argv);
int cli_timeout(int argc, char **argv);
int cli_daemon(int argc, char **argv);
int cli_ctl(int argc, char **argv);
