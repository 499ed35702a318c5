/* ctl.c: `pgsup ctl`, the client of the daemon's control socket (see control.h for the
 * protocol). It sends one line, prints the reply (error and warning lines on stderr) and
 * exits 0, 1 if the daemon reported an error, the status the reply ends with ("exit: N":
 * status's and pid's LSB statuses, as supervisorctl's), 2 on bad usage, or 125 (status: 4)
 * if it could not ask. tail -f asks again and again, from where the last answer ended. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/log.h"
#include "daemon/config.h"
#include "daemon/request.h"
#include "daemon/rundir.h"
#include "cli.h"

/* tail -f: how often the daemon is asked for what came since, and how much at once. */
#define FOLLOW_POLL_S 0.25
#define FOLLOW_CHUNK ((size_t) 64 << 10)

static const char usage[] =
    "Usage: pgsup ctl [-s SOCKET | -c FILE] REQUEST [ARG]...\n"
    "Talk to a running pgsup daemon. NAME is a job, a group (GROUP or GROUP:*), or\n"
    "GROUP:PROCESS; all is every job.\n"
    "\n"
    "  status [--json] [NAME...]         state, pid, group, uptime, restarts, members\n"
    "  start NAME...|all                 start; returns when running (or given up)\n"
    "  stop NAME...|all                  stop; returns when the whole tree is gone\n"
    "  restart NAME...|all               stop, then start\n"
    "  signal [--tree] SIG NAME...|all   send SIG to the command (--tree: its whole tree)\n"
    "  tail [-f] [-BYTES] NAME [stdout|stderr]  the end of a job's output (-f: follow)\n"
    "  pid [NAME...|all]                 the daemon's pid, or the jobs' (0: not running)\n"
    "  clear NAME...|all                 empty the jobs' logs\n"
    "  reload                            read the config file again, apply the difference\n"
    "  reread                            show what update would change; change nothing\n"
    "  update [NAME...|all]              apply the config file to all or some groups\n"
    "  avail                             list the jobs of the config file\n"
    "  add NAME...                       start using a group of the config file\n"
    "  remove NAME...                    forget a stopped group (until update or add)\n"
    "\n"
    "  -s, --socket=SOCKET  the daemon's control socket\n"
    "  -c, --config=FILE    the daemon's config file (only its [pgsup] socket is read)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Without -s or -c: /run/pgsup.sock for root, else $XDG_RUNTIME_DIR/pgsup.sock, or\n"
    "/tmp/pgsup-UID/pgsup.sock without XDG_RUNTIME_DIR. Only a daemon of root or of your own\n"
    "user is believed.\n"
    "Exit status: 0 done, 1 the daemon reported an error, 2 bad usage, 125 the daemon could\n"
    "not be asked; status: 3 a job shown is not running, 4 an unknown name or no daemon;\n"
    "pid NAME: 7 the job is not running.\n";

/* The requests that read the daemon's config file: with -c, a file that ctl cannot read
 * would be refused by the daemon too. */
static bool reads_config(const char *verb)
{
    return strcmp(verb, "reload") == 0 || strcmp(verb, "reread") == 0 ||
           strcmp(verb, "update") == 0 || strcmp(verb, "add") == 0 ||
           strcmp(verb, "avail") == 0;
}

/* The status when the daemon cannot be asked: supervisorctl's status says 4 (LSB: status
 * unknown); the others, pgsup's 125. */
static int unreachable(const char *verb)
{
    return verb && strcmp(verb, "status") == 0 ? CTL_UNKNOWN : STATUS_FAILED;
}

/* Only [pgsup] socket= is read (config_load_socket()): a broken job, an unset %(ENV_X)s in
 * the operator's shell, must not keep status or stop from a running daemon. */
static char *socket_from_config(const char *path, const char *verb, int *ret_status)
{
    struct config_diag diag = {0};
    char *socket = NULL;

    if (config_load_socket(path, &socket, &diag) == 0)
        return socket;
    if (diag.message)
        log_msg("%s%s%.0u: %s%s%s", diag.file ? diag.file : path, diag.line ? ":" : "",
                diag.line, diag.key ? diag.key : "", diag.key ? ": " : "", diag.message);
    else
        log_msg("cannot read '%s'", path);
    *ret_status = verb && reads_config(verb) ? CTL_ERROR : unreachable(verb);
    return NULL;
}

/* One line of words; NULL (after a message) if a word cannot be sent. */
static char *request_line(int argc, char **argv, const char *extra)
{
    size_t len = 2 + (extra ? strlen(extra) + 1 : 0);
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
        strcat(line, " ");
        if (i == 0 && extra) {
            strcat(line, extra);
            strcat(line, " ");
        }
    }
    line[strlen(line) - 1] = '\n';
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

/* Reads the whole reply (the daemon closes the connection after it). Returns 0 with
 * *ret_buf (free(), NUL-terminated) and *ret_len, or -errno. */
static int read_reply(int fd, char **ret_buf, size_t *ret_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;

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
    buf[len] = '\0';
    *ret_buf = buf;
    *ret_len = len;
    return 0;
}

/* Sends line to the daemon at path and reads its reply. Returns 0 with the reply, or -errno
 * after a message. */
static int ask(const char *path, const char *line, char **ret_buf, size_t *ret_len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = -1, r;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_msg("ctl: socket path '%s' is too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        r = -errno;
        log_msg("cannot reach the daemon at '%s': %s", path, strerror(-r));
        goto out;
    }
    r = check_peer(fd, path);
    if (r < 0)
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
    r = read_reply(fd, ret_buf, ret_len);
    if (r < 0)
        log_msg("lost the daemon at '%s': %s", path, strerror(-r));
out:
    fd_close(&fd);
    return r;
}

/* Prints reply lines: error and warning lines on stderr, the rest on stdout. The last line
 * "exit: N" is the status; a reply without it was cut short (the daemon died, or it refused
 * the request before reading it). Returns the status. */
static int print_reply(char *buf, size_t len)
{
    int status = 0, exit_line = -1;

    if (len == 0) {
        log_msg("the daemon closed the connection without answering");
        return CTL_ERROR;
    }
    for (char *line = buf, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "error: ", 7) == 0) {
            log_msg("%s", line + 7);
            status = CTL_ERROR;
        } else if (strncmp(line, "warning: ", 9) == 0) {
            log_msg("%s", line);
        } else if (strncmp(line, "exit: ", 6) == 0 && (!nl || !nl[1])) {
            exit_line = atoi(line + 6);
        } else {
            puts(line);
        }
        if (!nl)
            break;
    }
    if (exit_line < 0 && status == 0) {
        log_msg("the daemon's answer was cut short");
        return CTL_ERROR;
    }
    return exit_line >= 0 ? exit_line : status;
}

/* A tail reply: "next: OFFSET", "data: LEN", LEN bytes, "exit: 0"; or lines with errors.
 * Writes the data to stdout. Returns 0 with *ret_next (room for 64 bytes) and *ret_len, or
 * the status of the reply. */
static int print_tail(char *buf, size_t len, char *ret_next, size_t *ret_len)
{
    char *data;
    unsigned long long n;

    if (sscanf(buf, "next: %63s\ndata: %llu\n", ret_next, &n) != 2 ||
        !(data = strstr(buf, "\ndata: ")) || !(data = strchr(data + 1, '\n')) ||
        (size_t) (buf + len - ++data) < n || strcmp(data + n, "exit: 0\n") != 0) {
        int status = print_reply(buf, len);
        return status ? status : CTL_ERROR;
    }
    *ret_len = (size_t) n;
    if (n > 0 && fwrite(data, 1, (size_t) n, stdout) != (size_t) n)
        return STATUS_FAILED;
    return fflush(stdout) == 0 ? 0 : STATUS_FAILED;
}

/* tail [-f] [-BYTES] NAME [stdout|stderr]: -f is ctl's (the daemon answers one read at a
 * time): the first read as asked, then again and again from where the last answer ended
 * (--from=), in chunks as large as the daemon gives. */
static int tail(const char *path, int argc, char **argv)
{
    char next[64] = "", extra[96], *line, *buf = NULL;
    char **words = calloc((size_t) argc + 1, sizeof(*words));
    const char *bytes = NULL;
    bool follow = false;
    int n = 0, status;
    size_t len, got = 0;

    if (!words)
        return STATUS_FAILED;
    words[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0)
            follow = true;
        else if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9')
            bytes = argv[i];
        else
            words[n++] = argv[i];
    }
    line = request_line(n, words, bytes);
    for (;;) {
        if (!line) {
            status = CTL_USAGE;
            break;
        }
        status = ask(path, line, &buf, &len) < 0 ? STATUS_FAILED
                                                : print_tail(buf, len, next, &got);
        free(buf);
        buf = NULL;
        free(line);
        if (status != 0 || !follow)
            break;
        /* At once again while the output comes faster than it is read. */
        if (got < FOLLOW_CHUNK)
            nanosleep(&(struct timespec){.tv_nsec = (long) (FOLLOW_POLL_S * 1e9)}, NULL);
        snprintf(extra, sizeof(extra), "--from=%s -%zu", next, FOLLOW_CHUNK);
        line = request_line(n, words, extra);
    }
    free(words);
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
    char *path = NULL, *line = NULL, *buf = NULL, *config = NULL;
    const char *verb;
    size_t len;
    int c, r, status = STATUS_FAILED;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:s:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            free(path);
            path = strdup(optarg);
            config = NULL;
            break;
        case 'c':
            free(path);
            path = NULL;
            config = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            free(path);
            return 0;
        case ':':
            log_msg("ctl: option '%s' needs a value (see pgsup ctl --help)", argv[optind - 1]);
            free(path);
            return CTL_USAGE;
        default:
            log_msg("ctl: unknown option '%s' (see pgsup ctl --help)", argv[optind - 1]);
            free(path);
            return CTL_USAGE;
        }
    }
    if (optind >= argc) {
        /* supervisorctl without a command opens its shell; there is none here: usage. */
        fputs(usage, stderr);
        free(path);
        return CTL_USAGE;
    }
    verb = argv[optind];
    if (config && !(path = socket_from_config(config, verb, &status)))
        return status;
    status = unreachable(verb);
    if (!path && (config_default_socket_path(&path) < 0 || check_default_dir(path) < 0))
        goto out;
    if (strcmp(verb, "tail") == 0) {
        status = tail(path, argc - optind, argv + optind);
        goto out;
    }
    line = request_line(argc - optind, argv + optind, NULL);
    if (!line) {
        status = CTL_USAGE;
        goto out;
    }
    r = ask(path, line, &buf, &len);
    if (r < 0)
        goto out;
    status = print_reply(buf, len);
    if (fflush(stdout) != 0)
        status = STATUS_FAILED;
out:
    free(buf);
    free(line);
    free(path);
    return status;
}
