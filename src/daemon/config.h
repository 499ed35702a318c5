/* config.h: the daemon's config file → job specs. INI read with libinih, in supervisord's
 * format: [program:NAME] sections (numprocs= jobs each), [group:NAME] programs=, [include]
 * files=, [supervisord] environment=, plus a [pgsup] section for the daemon itself. The types
 * are config_spec.h's. config.c puts a config together from config_file.c (reading,
 * diagnostics), config_include.c ([include]), config_scope.c (%(name)s), config_value.c and
 * config_words.c (values), config_group.c (which jobs, in which group), config_keys.c and
 * config_program.c (the [program:NAME] keys and the jobs they make).
 * A file is accepted or refused as a whole: config_load() never returns half a config.
 * Nothing here starts, stops or prints; the supervisor applies a loaded config. */
#pragma once
#include <stdbool.h>

#include "config_spec.h"

/* Loads path. On success *ret_config is a new config (config_free()), warnings (unknown
 * supervisord keys, ignored sections) went to warn (may be NULL), and 0 is returned. On
 * failure nothing is allocated, *ret_error describes the first problem (its strings live
 * until the next call in the same thread), and -EINVAL (bad file) or -errno (cannot read) is
 * returned. Relative paths in the file (directory, log files, socket, state) are resolved
 * against the file's own directory. Warnings are sent only for a file that loads, after the
 * whole file is read; ret_error may be NULL. Sets libinih's process-wide options: do not call
 * it while another thread uses libinih. */
int config_load(const char *path, config_warn_fn *warn, void *userdata, struct config **ret_config,
                struct config_diag *ret_error);

void config_free(struct config *config);

/* What ctl needs of a config file to reach the daemon, and nothing else: [pgsup] socket=
 * (with the default when it has none), read from path, or from the files it includes when
 * path itself does not say. Job sections are not looked at, so a broken one, or an unset
 * %(ENV_X)s in them, does not keep ctl from the daemon. On success *ret_socket is a new
 * string (free()). Returns 0, or -EINVAL / -errno with *ret_error as config_load()'s. */
int config_load_socket(const char *path, char **ret_socket, struct config_diag *ret_error);

/* The job called name, or NULL. */
const struct config_job *config_find(const struct config *config, const char *name);

/* true when a and b would run the same thing the same way (every key compared): an
 * unchanged job keeps running across a reload. */
bool config_job_equal(const struct config_job *a, const struct config_job *b);

/* supervisord's start order: group priority, group, priority, name (<0, 0, >0). */
int config_job_order(const struct config_job *a, const struct config_job *b);

/* The socket path used when [pgsup] has no socket=: pgsup.sock in the runtime directory
 * (rundir.h): /run/pgsup.sock for root, else $XDG_RUNTIME_DIR/pgsup.sock, or
 * /tmp/pgsup-UID/pgsup.sock (a private directory) when XDG_RUNTIME_DIR is unset or not an
 * absolute path. For the control client too, which has no config to read. On success
 * *ret_path is a new string (free()). Returns 0 or -ENOMEM. */
int config_default_socket_path(char **ret_path);
