/* client.h: the library side of a run. It starts `pgsup run --control-fd 3` for the command
 * (one helper process) and follows it on the caller's loop; api.c checks and defaults the
 * arguments first. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "pgsup.h"

/* The supervisor binary when $PGSUP_BIN is not set (meson sets it to bin/pgsup of the prefix). */
#ifndef PGSUP_BIN_PATH
#define PGSUP_BIN_PATH "/usr/local/bin/pgsup"
#endif

/* Starts cmd (already checked: argv non-empty, durations finite and >= 0 or documented < 0,
 * fds open). See pgsup_start(). */
int client_start(struct ev_loop *loop, const pgsup_cmd *cmd, pgsup_exit_cb *cb, void *userdata,
                 pgsup_proc **ret_proc);

pid_t client_pid(const pgsup_proc *p);

/* True in the process that started the run; false in a child forked since (pgsup.h). */
bool client_owned(const pgsup_proc *p);

/* The pgsup helper process started for the run (the caller's child, which libpgsup reaps
 * itself). For the daemon, which reaps its other children and must leave this one alone.
 * Its pid also numbers the command's process group. */
pid_t client_helper_pid(const pgsup_proc *p);

/* Called once, from the loop, when the helper reports that the command runs (client_pid() is
 * then known); never for a run whose command could not start. userdata is the run's. For
 * the daemon, which starts the next priority level only once a level runs. */
typedef void client_started_fn(pgsup_proc *p, void *userdata);
void client_set_started(pgsup_proc *p, client_started_fn *fn);

/* Requests to the supervisor; each returns 0 or -ESRCH once the run is ending. */
int client_signal(pgsup_proc *p, int sig);
int client_terminate(pgsup_proc *p, double grace_s);
int client_set_deadline(pgsup_proc *p, double timeout_s);
