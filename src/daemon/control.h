/* control.h: the daemon's control socket, which `pgsup ctl` talks to. A UNIX stream socket,
 * mode 0600, that only the daemon's own user and root may use (SO_PEERCRED is checked on
 * every connection). One request per connection, one line of words (request.h has the
 * grammar); NAME is a job, a group or GROUP:* (namespec.h):
 *
 *   status [--json] [NAME...]      the jobs: a table, or one line of JSON
 *   start NAME...|all              start; replies once each job is RUNNING (or gave up)
 *   stop NAME...|all               stop; replies once each job's whole tree is gone
 *   restart NAME...|all            stop, then start; replies like start
 *   signal [--tree] SIG NAME...|all  send SIG to each job's command (--tree: its whole tree)
 *   reload                         read the config file again, apply the difference
 *   tail [-BYTES] [--from=OFFSET] NAME [stdout|stderr]   the end of a job's log
 *   pid [NAME...|all]              the daemon's pid, or the jobs' (0: not running)
 *   clear NAME...|all              empty the jobs' logs
 *   avail                          the jobs of the config file, and which run
 *   reread                         what update would change, changing nothing
 *   update [NAME...|all]           apply the config file to all or some groups
 *   add NAME...                    start using a group of the config file
 *   remove NAME...                 forget a stopped group
 *
 * The reply is lines of text, the last one "exit: N", then the daemon closes the connection.
 * A line that starts with "error: " reports a failure (the request may have done the rest);
 * N is the status ctl exits with: 0, 1 after an error line, or status's and pid's LSB
 * statuses (3, 4, 7). A reply without its last line was cut short. tail's reply is
 * "next: OFFSET", then "data: LEN" and LEN bytes as they are, then the "exit:" line. What requests do is a table of
 * handlers here; the connections, and the limits that keep misbehaving clients from locking
 * others out (deadlines, request size, connections per uid, file descriptors), are
 * clients.c's. */
#pragma once
#include <stdbool.h>

#include "request.h"
#include "supervisor.h"

struct control;
struct control_conn;

/* Called for the requests that read the config file (reload, avail, reread, update, add):
 * write the outcome with control_reply(); an error line (prefix "error: ") makes ctl fail. */
typedef void control_config_fn(struct control_conn *conn, const struct request *req,
                               void *userdata);

/* Creates the socket at path (an old socket of the daemon's user there is replaced: the
 * caller holds the daemon's lock) and serves it on loop. Returns 0 and *ret, or -errno. */
int control_new(struct ev_loop *loop, const char *path, struct supervisor *sup,
                control_config_fn *config, void *userdata, struct control **ret);

/* Closes every connection and the socket, and removes the socket file. NULL is fine. */
void control_free(struct control *c);

/* true while a connection is open (a reply not yet sent, a request being read). */
bool control_busy(const struct control *c);

/* A job changed state: requests waiting for it may be answered now. */
void control_job_changed(struct control *c);

/* Appends one line (without its newline) to the reply. */
void control_reply(struct control_conn *conn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What a request waits for before its reply goes: the job called name to be... */
enum control_wait {
    CONTROL_WAIT_STARTED,  /* up, or given up (start, restart): adds a line on the job */
    CONTROL_WAIT_STOPPED,  /* settled, or gone (stop): adds "NAME: stopped" */
    CONTROL_WAIT_GONE,     /* settled or gone, silently (update: a removed job's tree) */
    CONTROL_WAIT_REPLACED, /* past STOPPING, silently (update: a changed job's old tree) */
};

/* The reply waits for the job called name too. Returns 0 or -ENOMEM. */
int control_wait(struct control_conn *conn, const char *name, enum control_wait what);
