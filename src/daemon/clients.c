/* clients.c: the control socket's connections and their limits (clients.h). Nothing here
 * knows what a request means: complete lines go to the callback of control.c. */
#include "clients.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"

#define PAUSE_S 1.0                  /* the listener's rest when not even the reserve is left */
#define DRAIN_MAX ((size_t) 1 << 20) /* read and dropped after a refusal, at most */

enum phase { READING, WAITING, WRITING, DRAINING };

struct client {
    struct clients *s;
    struct client *next;
    int fd;
    ev_io io;
    ev_timer deadline;
    enum phase phase;
    uid_t uid;                    /* the peer's (SO_PEERCRED) */
    unsigned long long serial;    /* accept order: lower is older */
    unsigned polled;              /* generation of poll_reading() that read it last */
    bool denied;                  /* the peer is neither root nor the daemon's user */
    bool linger;                  /* the request was not read to its end: drain before close */
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_cap, out_off;
    size_t drained;
};

struct clients {
    struct ev_loop *loop;
    clients_request_fn *request;
    void *userdata;
    char *path;
    int fd;
    int reserve_fd;               /* /dev/null, closed to make room for one accept on EMFILE */
    ev_io io;
    ev_timer pause;               /* the listener is stopped until it fires */
    bool out_of_fds;              /* said once per shortage, in the daemon's log */
    struct client *list;
    unsigned long long serial;
    unsigned poll_gen;
};

/* --- replies ------------------------------------------------------------------------------ */

int clients_reply_raw(struct client *client, const char *buf, size_t len)
{
    if (client->out_len + len + 1 > client->out_cap) {
        size_t cap = client->out_cap ? client->out_cap : 4096;
        char *out;
        while (cap < client->out_len + len + 1)
            cap *= 2;
        out = realloc(client->out, cap);
        if (!out)
            return -ENOMEM;
        client->out = out;
        client->out_cap = cap;
    }
    memcpy(client->out + client->out_len, buf, len);
    client->out_len += len;
    return 0;
}

void clients_vreply(struct client *client, const char *fmt, va_list ap)
{
    char *line;
    int n = vasprintf(&line, fmt, ap);

    if (n < 0)
        return; /* out of memory: this line is lost, not the reply */
    line[n] = '\n'; /* over the NUL: the line goes out with its newline */
    (void) clients_reply_raw(client, line, (size_t) n + 1); /* the same */
    free(line);
}

void clients_reply(struct client *client, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    clients_vreply(client, fmt, ap);
    va_end(ap);
}

static void client_free(struct client *client)
{
    struct clients *s = client->s;

    for (struct client **pp = &s->list; *pp; pp = &(*pp)->next) {
        if (*pp == client) {
            *pp = client->next;
            break;
        }
    }
    ev_io_stop(s->loop, &client->io);
    ev_timer_stop(s->loop, &client->deadline);
    fd_close(&client->fd);
    free(client->in);
    free(client->out);
    free(client);
}

static void arm(struct client *client)
{
    ev_timer_stop(client->s->loop, &client->deadline);
    ev_timer_set(&client->deadline, CLIENTS_DEADLINE_S, 0);
    ev_timer_start(client->s->loop, &client->deadline);
}

static void watch(struct client *client, void (*cb)(struct ev_loop *, ev_io *, int), int events)
{
    ev_io_stop(client->s->loop, &client->io);
    ev_io_init(&client->io, cb, client->fd, events);
    client->io.data = client;
    ev_io_start(client->s->loop, &client->io);
}

/* Reads and drops what the client still sends; true once it is done (freed). */
static bool drain(struct client *client)
{
    char scratch[4096];

    for (;;) {
        ssize_t n = recv(client->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && client->drained < DRAIN_MAX)
            return false;
        if (n <= 0 || (client->drained += (size_t) n) >= DRAIN_MAX) {
            client_free(client);
            return true;
        }
    }
}

static void on_drain(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    (void) drain(w->data);
}

/* Sends what it can of the reply. Returns true if client is gone (all sent and closed, or the
 * peer went away), false while it waits for the socket or for the peer to close. */
static bool flush(struct client *client)
{
    bool progress = false;

    while (client->out_off < client->out_len) {
        ssize_t n = send(client->fd, client->out + client->out_off,
                         client->out_len - client->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (progress)
                arm(client); /* the deadline is per part: a big status may take a while */
            return false;
        }
        if (n < 0) {
            client_free(client); /* ctl went away: nobody to tell */
            return true;
        }
        client->out_off += (size_t) n;
        progress = true;
    }
    if (!client->linger) {
        client_free(client);
        return true;
    }
    client->phase = DRAINING;
    (void) shutdown(client->fd, SHUT_WR); /* the reply is whole: the peer reads EOF after it */
    arm(client);
    watch(client, on_drain, EV_READ);
    return drain(client);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    (void) flush(w->data);
}

void clients_finish(struct client *client)
{
    client->phase = WRITING;
    ev_io_stop(client->s->loop, &client->io);
    arm(client);
    if (flush(client))
        return;
    if (client->phase == WRITING)
        watch(client, on_write, EV_WRITE);
}

bool clients_busy(const struct clients *s)
{
    return s && s->list;
}

/* --- requests ----------------------------------------------------------------------------- */

/* The request line is complete (or refused): hand it over. client may be freed on return. */
static void complete(struct client *client, char *line)
{
    client->phase = WAITING;
    ev_io_stop(client->s->loop, &client->io);
    ev_timer_stop(client->s->loop, &client->deadline);
    if (client->denied) {
        clients_reply(client, "error: permission denied (only root and the daemon's user)");
        clients_finish(client);
        return;
    }
    client->s->request(client, line, client->s->userdata);
}

/* Reads what the client sent; hands the request over once the line is whole, or answers if it
 * is too long or the client closed. client may be freed on return. */
static void client_read(struct client *client)
{
    char *nl;
    ssize_t n;

    if (!client->in) {
        client->in = malloc(CLIENTS_REQUEST_MAX + 1);
        if (!client->in) {
            client_free(client);
            return;
        }
    }
    n = recv(client->fd, client->in + client->in_len, CLIENTS_REQUEST_MAX - client->in_len,
             MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && client->in_len == 0)) {
        client_free(client);
        return;
    }
    client->in_len += (size_t) n;
    client->in[client->in_len] = '\0';
    nl = memchr(client->in, '\n', client->in_len);
    if (!nl && n > 0 && client->in_len < CLIENTS_REQUEST_MAX)
        return; /* more to come */
    if (!nl && n > 0) {
        /* Not even a whole line fits: say so, then drop the rest (an unread rest would reset
         * the connection before the client read why). */
        client->linger = true;
        client->phase = WAITING;
        clients_reply(client, "error: request longer than %d bytes", CLIENTS_REQUEST_MAX);
        clients_finish(client);
        return;
    }
    if (nl) {
        *nl = '\0';
        client->linger = client->denied || (size_t) (nl + 1 - client->in) < client->in_len;
    }
    complete(client, client->in);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    client_read(w->data);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct client *client = w->data;

    (void) loop;
    (void) revents;
    if (client->phase != READING) {
        client_free(client); /* a reply not taken, or a peer that does not close: give up */
        return;
    }
    ev_io_stop(client->s->loop, &client->io);
    client->linger = true;
    client->phase = WAITING;
    clients_reply(client, "error: no complete request within %.0f s", CLIENTS_DEADLINE_S);
    clients_finish(client);
}

/* --- accepting ---------------------------------------------------------------------------- */

/* Answers a connection that gets no service with one line, then closes it. */
static void refuse(int *fd, const char *line)
{
    char scratch[4096];

    (void) send(*fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT); /* gone: nobody to tell */
    (void) shutdown(*fd, SHUT_WR);
    /* What the client sent already is read, so that the close does not reset the connection
     * before it reads the line; whatever comes later is its problem. */
    for (int i = 0; i < 16 && recv(*fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0; i++)
        ;
    fd_close(fd);
}

/* Reads what waits on the connections still reading a request (of uid, or of everyone): a
 * client whose request is there is served now, so that only connections that sent nothing
 * remain. Each is read at most once; serving one may free others (a reload answers waiting
 * stops), so the walk starts over after each. */
static void poll_reading(struct clients *s, bool one_uid, uid_t uid)
{
    unsigned gen = ++s->poll_gen;

    for (;;) {
        struct client *client;
        for (client = s->list; client; client = client->next)
            if (client->phase == READING && client->polled != gen &&
                (!one_uid || client->uid == uid))
                break;
        if (!client)
            return;
        client->polled = gen;
        client_read(client);
    }
}

static unsigned count(const struct clients *s, bool one_uid, uid_t uid)
{
    unsigned n = 0;

    for (const struct client *client = s->list; client; client = client->next)
        n += !one_uid || client->uid == uid;
    return n;
}

/* Room for one more connection (of uid, or at all) under max: the idle connections are read
 * first; if still full, the oldest one that has sent no request yet is dropped (a client
 * that opens connections and sends nothing cannot lock the others out). false: every slot
 * holds a request being answered. */
static bool make_room(struct clients *s, bool one_uid, uid_t uid, unsigned max)
{
    struct client *oldest = NULL;

    if (count(s, one_uid, uid) < max)
        return true;
    poll_reading(s, one_uid, uid);
    if (count(s, one_uid, uid) < max)
        return true;
    for (struct client *client = s->list; client; client = client->next)
        if (client->phase == READING && (!one_uid || client->uid == uid) &&
            (!oldest || client->serial < oldest->serial))
            oldest = client;
    if (!oldest)
        return false;
    client_free(oldest);
    return true;
}

static void client_new(struct clients *s, int fd)
{
    struct client *client;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    char line[128];

    /* Root, or the daemon's own user; the socket's mode already keeps others out unless
     * they were handed an fd or the socket was opened up. Refused peers are still read
     * before they are answered, and count against their own uid's bound. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        cred.uid = (uid_t) -1;
    if (!make_room(s, true, cred.uid, CLIENTS_PER_UID_MAX) ||
        !make_room(s, false, 0, CLIENTS_MAX)) {
        snprintf(line, sizeof(line), "error: too many connections (uid %u)\n",
                 (unsigned) cred.uid);
        refuse(&fd, line);
        return;
    }
    client = calloc(1, sizeof(*client));
    if (!client) {
        refuse(&fd, "error: out of memory\n");
        return;
    }
    *client = (struct client){.s = s, .fd = fd, .uid = cred.uid, .serial = ++s->serial,
                              .denied = cred.uid != 0 && cred.uid != geteuid(),
                              .phase = READING, .next = s->list};
    s->list = client;
    ev_timer_init(&client->deadline, on_deadline, CLIENTS_DEADLINE_S, 0);
    client->deadline.data = client;
    ev_timer_start(s->loop, &client->deadline);
    watch(client, on_read, EV_READ);
}

static void on_pause(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct clients *s = w->data;

    (void) revents;
    if (s->reserve_fd < 0)
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_io_start(loop, &s->io);
}

/* accept() failed for want of fds: the connection stays queued and the listener readable, so
 * the loop would spin on it. The reserve fd makes room for one accept: that client gets one
 * line saying why, and the slot is reserved again. Linux reports EMFILE before it looks at
 * the queue, so accepting goes on only while that accept found a client: with none left, the
 * listener is no longer readable and the loop sleeps. Without a reserve (another fd took its
 * place), the listener rests for PAUSE_S. Returns true if accepting may go on. */
static bool shed_one(struct clients *s)
{
    bool more;
    int fd;

    if (!s->out_of_fds)
        log_msg("out of file descriptors: answering control connections with an error until "
                "some are free, continuing");
    s->out_of_fds = true;
    if (s->reserve_fd >= 0) {
        fd_close(&s->reserve_fd);
        fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        more = fd >= 0 || errno != EAGAIN; /* EAGAIN: nobody is waiting any more */
        if (fd >= 0)
            refuse(&fd, "error: the daemon is out of file descriptors; try again later\n");
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->reserve_fd >= 0)
            return more;
    }
    ev_io_stop(s->loop, &s->io);
    ev_timer_set(&s->pause, PAUSE_S, 0);
    ev_timer_start(s->loop, &s->pause);
    return false;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct clients *s = w->data;

    (void) loop;
    (void) revents;
    for (;;) {
        int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            if (shed_one(s))
                continue;
            return;
        }
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0)
            return; /* EAGAIN: nothing queued */
        s->out_of_fds = false;
        client_new(s, fd);
    }
}

int clients_new(struct ev_loop *loop, const char *path, clients_request_fn *request,
                void *userdata, struct clients **ret)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct clients *s;
    struct stat st;
    mode_t old_mask;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = (struct clients){.loop = loop, .request = request, .userdata = userdata, .fd = -1,
                          .reserve_fd = -1};
    ev_timer_init(&s->pause, on_pause, PAUSE_S, 0);
    s->pause.data = s;
    s->path = strdup(path);
    if (!s->path) {
        r = -ENOMEM;
        goto fail;
    }
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd < 0 || s->reserve_fd < 0) {
        r = -errno;
        goto fail;
    }
    /* A socket left by a daemon of ours that crashed: ours now (the caller holds the lock).
     * Anything else at that path, another user's socket included, is not ours to remove. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == geteuid())
        (void) unlink(path); /* if it fails, bind says why */
    /* 0600 from the first instant: no window in which others could connect. */
    old_mask = umask(0177);
    r = bind(s->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? -errno : 0;
    umask(old_mask);
    if (r == 0 && chmod(path, 0600) < 0)
        r = -errno;
    if (r == 0 && listen(s->fd, 128) < 0)
        r = -errno;
    if (r < 0)
        goto fail;
    ev_io_init(&s->io, on_accept, s->fd, EV_READ);
    s->io.data = s;
    ev_io_start(loop, &s->io);
    *ret = s;
    return 0;
fail:
    fd_close(&s->fd);
    fd_close(&s->reserve_fd);
    free(s->path);
    free(s);
    return r;
}

void clients_free(struct clients *s)
{
    if (!s)
        return;
    while (s->list)
        client_free(s->list);
    ev_io_stop(s->loop, &s->io);
    ev_timer_stop(s->loop, &s->pause);
    fd_close(&s->fd);
    fd_close(&s->reserve_fd);
    (void) unlink(s->path); /* gone already: fine */
    free(s->path);
    free(s);
}
