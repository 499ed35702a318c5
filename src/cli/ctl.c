/* ctl.c: `pgsup ctl`, the client of the daemon's control socket (see control.h for the
 * protocol). It sends one line, prints the reply (error lines on stderr) and exits 0, or 1 if
 * the daemon reported an error, or 125 if it could not ask. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "daemon/config.h"
#include "daemon/rundir.h"
#include "cli.h"

static const char usage[] =
    "Usage: pgsup ctl [-s SOCKET | -c FILE] REQUEST [ARG]...\n"
    "Talk to a running pgsup daemon.\n"
    "\n"
    "  status [--json] [NAME...]   state, pid, group, uptime, restarts, last exit, members\n"
    "  start NAME...|all           start; returns when running (or given up)\n"
    "  stop NAME...|all            stop; returns when the whole tree is gone\n"
    "  restart NAME...|all         stop, then start\n"
    "  signal SIG NAME...|all      send SIG to the whole tree\n"
    "  reload                      read the config file again and apply the difference\n"
    "\n"
    "  -s, --socket=SOCKET  the daemon's control socket\n"
    "  -c, --config=FILE    the daemon's config file (to find its socket)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Without -s or -c: /run/pgsup.sock for root, else $XDG_RUNTIME_DIR/pgsup.sock, or\n"
    "/tmp/pgsup-UID/pgsup.sock without XDG_RUNTIME_DIR. Only a daemon of root or of your own\n"
    "user is believed.\n"
    "Exit status: 0 done, 1 the daemon reported an error, 125 the daemon could not be asked.\n";

static char *socket_from_config(const char *path)
{
    struct config_diag diag = {0};
    struct config *c;
    char *socket;

    if (config_load(path, NULL, NULL, &c, &diag) < 0) {
        if (diag.message)
            log_msg("%s:%u: %s", diag.file ? diag.file : path, diag.line, diag.message);
        else
            log_msg("cannot read '%s'", path);
        return NULL;
    }
    socket = strdup(c->socket_path);
    config_free(c);
    return socket;
}

static char *request_line(int argc, char **argv)
{
    size_t len = 2;
    char *line;

    for (int i = 0; i < argc; i++) {
        if (!*argv[i] || strpbrk(argv[i], " \t\r\n")) {
            log_msg("ctl: '%s': names and arguments cannot be empty or hold blanks", argv[i]);
            return NULL;
        }
        len += strlen(argv[i]) + 1;
    }
    line = malloc(len);
    if (!line)
        return NULL;
    line[0] = '\0';
    for (int i = 0; i < argc; i++) {
        strcat(line, argv[i]);
        strcat(line, i + 1 < argc ? " " : "\n");
    }
    return line;
}

/* Only root or our own user may answer: anyone else could have put a socket at the path
 * (a squatter in a shared directory) and would make us print whatever it likes. */
static int check_peer(int fd, const char *path)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        int r = -errno;
        log_msg("cannot tell who serves '%s': %s", path, strerror(-r));
        return r;
    }
    if (cred.uid != 0 && cred.uid != geteuid()) {
        log_msg("'%s' is served by uid %u (pid %d), not by root or uid %u: not a daemon of "
                "yours, not asking it", path, (unsigned) cred.uid, (int) cred.pid,
                (unsigned) geteuid());
        return -EPERM;
    }
    return 0;
}

/* The default directory of a user's daemon: refused as the daemon refuses it (rundir.h), so
 * that ctl says why instead of talking to whatever is there. */
static int check_default_dir(const char *path)
{
    char why[PATH_MAX + 256];

    if (rundir_prepare(path, false, why, sizeof(why)) == -EPERM) {
        log_msg("cannot reach the daemon at '%s': %s", path, why);
        return -EPERM;
    }
    return 0; /* missing: connect says so */
}

/* Reads the whole reply (the daemon closes the connection after it), then prints it: error
 * lines on stderr. Returns 0, 1 if an error line came, or -errno. */
static int print_reply(int fd)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int status = 0;

    for (;;) {
        ssize_t n;
        if (len + 4096 > cap) {
            char *b = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!b) {
                free(buf);
                return -ENOMEM;
            }
            buf = b;
        }
        /* One read at a time: what came before a reset counts. The daemon resets a
         * connection whose request it did not read to the end (a refusal), after the answer. */
        n = fd_read(fd, buf + len, cap - len - 1);
        if (n == -ECONNRESET && len > 0)
            break; /* what came is the whole answer */
        if (n < 0) {
            free(buf);
            return (int) n;
        }
        if (n == 0)
            break; /* end of file */
        len += (size_t) n;
    }
    if (len == 0) {
        free(buf);
        log_msg("the daemon closed the connection without answering");
        return 1;
    }
    buf[len] = '\0';
    for (char *line = buf, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "error: ", 7) == 0) {
            log_msg("%s", line + 7);
            status = 1;
        } else {
            puts(line);
        }
        if (!nl)
            break;
    }
    free(buf);
    return status;
}

int cli_ctl(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char *path = NULL, *line = NULL;
    int c, fd = -1, r, status = STATUS_FAILED;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:s:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            free(path);
            path = strdup(optarg);
            break;
        case 'c':
            free(path);
            path = socket_from_config(optarg);
            if (!path)
                return STATUS_FAILED;
            break;
        case 'h':
            fputs(usage, stdout);
            free(path);
            return 0;
        case ':':
            log_msg("ctl: option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            log_msg("ctl: unknown option '%s' (see pgsup ctl --help)", argv[optind - 1]);
            goto out;
        }
    }
    if (optind >= argc) {
        log_msg("ctl: missing request (see pgsup ctl --help)");
        goto out;
    }
    if (!path && (config_default_socket_path(&path) < 0 || check_default_dir(path) < 0))
        goto out;
    line = request_line(argc - optind, argv + optind);
    if (!path || !line)
        goto out;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_msg("ctl: socket path '%s' is too long", path);
        goto out;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        log_msg("cannot reach the daemon at '%s': %s", path, strerror(errno));
        goto out;
    }
    if (check_peer(fd, path) < 0)
        goto out;
    /* A refused request (another user) is answered and closed before it is read: a failed
     * send (EPIPE, no SIGPIPE) still leaves the reply to be read. */
    for (size_t off = 0, len = strlen(line); off < len;) {
        ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        off += (size_t) n;
    }
    (void) shutdown(fd, SHUT_WR); /* the request is complete (or refused) */
    r = print_reply(fd);
    if (r < 0)
        log_msg("lost the daemon at '%s': %s", path, strerror(-r));
    else
        status = r;
    if (fflush(stdout) != 0)
        status = STATUS_FAILED;
out:
    fd_close(&fd);
    free(line);
    free(path);
    return status;
}
