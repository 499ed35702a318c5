/* control.h: the daemon's control socket, which `pgsup ctl` talks to. A UNIX stream socket,
 * mode 0600, that only the daemon's own user and root may use (SO_PEERCRED is checked on
 * every connection). One request per connection, one line of words:
 *
 *   status [--json] [NAME...]      the jobs: a table, or one line of JSON
 *   start NAME...|all              start; replies once each job is RUNNING (or gave up)
 *   stop NAME...|all               stop; replies once each job's whole tree is gone
 *   restart NAME...|all            stop, then start; replies like start
 *   signal SIG NAME...|all         send SIG to each job's whole tree
 *   reload                         read the config file again, apply the difference
 *
 * The reply is lines of text, then the daemon closes the connection. A line that starts with
 * "error: " reports a failure (the request may have done the rest); ctl exits 1 if there was
 * one. The grammar of requests is request.c's table, what they do a table of handlers here;
 * the connections, and the limits that keep misbehaving clients from locking others out
 * (deadlines, request size, connections per uid, file descriptors), are clients.c's. */
#pragma once
#include <stdbool.h>

#include "supervisor.h"

struct control;
struct control_conn;

/* Called for "reload": write the outcome with control_reply(); an error line (prefix
 * "error: ") makes ctl fail. */
typedef void control_reload_fn(struct control_conn *conn, void *userdata);

/* Creates the socket at path (an old socket of the daemon's user there is replaced: the
 * caller holds the daemon's lock) and serves it on loop. Returns 0 and *ret, or -errno. */
int control_new(struct ev_loop *loop, const char *path, struct supervisor *sup,
                control_reload_fn *reload, void *userdata, struct control **ret);

/* Closes every connection and the socket, and removes the socket file. NULL is fine. */
void control_free(struct control *c);

/* true while a connection is open (a reply not yet sent, a request being read). */
bool control_busy(const struct control *c);

/* A job changed state: requests waiting for it may be answered now. */
void control_job_changed(struct control *c);

/* Appends one line (without its newline) to the reply. */
void control_reply(struct control_conn *conn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The status of the supervisor's jobs, as control's "status" writes it, into a new string
 * (free()); for tests. json: one line of JSON; else a table. names: NULL for all. */
char *control_format_status(struct supervisor *sup, bool json, char *const *names,
                            size_t names_len);
