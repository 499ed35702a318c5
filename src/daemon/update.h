/* update.h: a config file read again, against the running jobs, group by group as supervisorctl
 * shows it (update.c): reread (what would change), avail (what the file has), update (apply
 * it to every group or some) and add (start using groups of the file). The daemon reads the
 * file and hands it over; nothing here reads or prints it. */
#pragma once
#include "config.h"
#include "control.h"
#include "supervisor.h"

/* ctl reread: one line per group that update would add ("NAME: available"), change
 * ("NAME: changed") or remove ("NAME: disappeared"), sorted by name; or "No config updates to
 * processes". Changes nothing. */
void update_reread(struct control_conn *conn, struct supervisor *sup, const struct config *config);

/* ctl avail: one line per job of config, "NAME in use|avail auto|manual GPRIO:PRIO". */
void update_avail(struct control_conn *conn, struct supervisor *sup, const struct config *config);

/* ctl update [GROUP...|all] and ctl add GROUP... (add: true): applies config (taken over) to
 * the groups named (none or all: every group), replying a line per group as supervisorctl
 * does, and has the reply wait until the trees of the jobs stopped for it are gone. */
void update_apply(struct control_conn *conn, struct supervisor *sup, struct config *config,
                  char *const *names, size_t names_len, bool add);
