/* clients.h: the connections of the daemon's control socket, below the protocol: accepting,
 * the peer's credentials, reading one request line, sending the reply, and every limit that
 * keeps misbehaving clients from locking others out or stalling the daemon (clients.c). What
 * a request means is control.c's, which gets each complete line through a callback.
 *
 * A client is READING its request (a deadline: CLIENTS_DEADLINE_S), then WAITING while the
 * request is answered (no deadline: a stop may take long), then WRITING the reply (the same
 * deadline for each part), then closed; or DRAINING after a reply to a request that was not
 * read to its end (a refusal, an oversized or late request): the rest is read and dropped
 * until the client closes, so that the close does not reset the connection before it read the
 * reply. Limits: a request line of CLIENTS_REQUEST_MAX bytes; CLIENTS_PER_UID_MAX connections
 * per peer uid and CLIENTS_MAX in all, where the oldest connection that has sent nothing is
 * dropped to make room; out of file descriptors, a reserve fd lets each waiting client be told
 * so (the loop does not spin on the listener), said once in the daemon's log. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct clients;
struct client;

#define CLIENTS_REQUEST_MAX 65536 /* bytes of a request line, its newline included */
#define CLIENTS_DEADLINE_S 10.0
#define CLIENTS_MAX 256
#define CLIENTS_PER_UID_MAX 32

/* A complete request line (NUL-terminated, without its newline; the client's until it is
 * finished) from a peer that is root or the daemon's user. Reply with clients_reply(), then
 * clients_finish(), now or later. */
typedef void clients_request_fn(struct client *client, char *line, void *userdata);

/* Creates the socket at path, mode 0600 from the first instant (an old socket there is
 * replaced if it is the effective user's: the caller holds the daemon's lock), and serves it
 * on loop. Returns 0 and *ret, or -errno. */
int clients_new(struct ev_loop *loop, const char *path, clients_request_fn *request,
                void *userdata, struct clients **ret);

/* Closes every connection and the socket, and removes the socket file. NULL is fine. */
void clients_free(struct clients *s);

/* true while a connection is open (a reply not yet sent, a request being read). */
bool clients_busy(const struct clients *s);

/* Appends one line (without its newline) to the reply. */
void clients_reply(struct client *client, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void clients_vreply(struct client *client, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Appends len bytes as they are (NULs and all) to the reply. Returns 0 or -ENOMEM (nothing
 * appended). */
int clients_reply_raw(struct client *client, const char *buf, size_t len);

/* The reply is complete: it is sent, then the connection closes. client may be freed before
 * this returns. */
void clients_finish(struct client *client);
