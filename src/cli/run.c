/* run.c: `pgsup run [OPTIONS] [--] COMMAND [ARG]...`, pgsup's own mode: the whole tree is
 * stopped on every way out, and pgsup returns when no member is left. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/log.h"
#include "cli.h"

#define DEFAULT_KILL_AFTER_S 5.0

static const char usage[] =
    "Usage: pgsup run [OPTION]... [--] COMMAND [ARG]...\n"
    "Run COMMAND in a new process group; on the deadline, on a signal, or when COMMAND exits,\n"
    "stop its whole tree (escaped descendants included) and wait until nothing of it is left.\n"
    "\n"
    "  -t, --timeout=DURATION     deadline; 0 (the default) means none\n"
    "  -s, --signal=SIGNAL        signal sent to the tree at the deadline (default TERM)\n"
    "  -k, --kill-after=DURATION  send KILL this long after the first signal (default 5s;\n"
    "                             0: never)\n"
    "  -p, --preserve-status      exit with COMMAND's status even when the deadline hit\n"
    "  -v, --verbose              say on stderr which signal goes to whom\n"
    "      --no-tty               keep the terminal's foreground group as it is\n"
    "      --control-fd=FD        talk to libpgsup on socket FD instead of stderr\n"
    "  -h, --help                 show this help\n"
    "\n"
    "DURATION is a number with an optional suffix s, m, h or d. SIGNAL is a name (TERM,\n"
    "SIGTERM) or a number. Exit status: 124 deadline hit, 125 pgsup failed, 126 COMMAND\n"
    "cannot be executed, 127 not found, else COMMAND's status (128+N: killed by signal N).\n";

/* The fd was passed to us on purpose, so it is not CLOEXEC: make it so before anything is
 * spawned, or the command would inherit the channel and keep it open. */
static int parse_control_fd(const char *text, int *ret_fd)
{
    char *end;
    long fd = strtol(text, &end, 10);
    int type;
    socklen_t len = sizeof(type);

    if (end == text || *end || fd < 0 || fd > 65535 ||
        getsockopt((int) fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        fcntl((int) fd, F_SETFD, FD_CLOEXEC) < 0) {
        log_msg("run: --control-fd '%s' is not an open socket", text);
        return -1;
    }
    *ret_fd = (int) fd;
    return 0;
}

int cli_run(int argc, char **argv)
{
    enum { OPT_NO_TTY = 256, OPT_CONTROL_FD };
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"signal", required_argument, NULL, 's'},
        {"kill-after", required_argument, NULL, 'k'},
        {"preserve-status", no_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-tty", no_argument, NULL, OPT_NO_TTY},
        {"control-fd", required_argument, NULL, OPT_CONTROL_FD},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_job job = {.signal = SIGTERM, .kill_after_s = DEFAULT_KILL_AFTER_S,
                          .wait_all = true, .tty = true, .control_fd = -1};
    int c;

    opterr = 0;
    /* '+': options end at the command, so its own options are never taken for ours. */
    while ((c = getopt_long(argc, argv, "+:t:s:k:pvh", longopts, NULL)) != -1) {
        int shared = cli_job_option(c, optarg, &job);
        if (shared < 0)
            return STATUS_FAILED;
        if (shared > 0)
            continue;
        switch (c) {
        case 't':
            if (cli_parse_duration("timeout", optarg, &job.timeout_s) < 0)
                return STATUS_FAILED;
            break;
        case OPT_NO_TTY:
            job.tty = false;
            break;
        case OPT_CONTROL_FD:
            if (parse_control_fd(optarg, &job.control_fd) < 0)
                return STATUS_FAILED;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            log_msg("run: option '%s' needs a value", argv[optind - 1]);
            return STATUS_FAILED;
        default:
            log_msg("run: unknown option '%s' (see pgsup run --help)", argv[optind - 1]);
            return STATUS_FAILED;
        }
    }
    if (optind >= argc) {
        log_msg("run: missing command (see pgsup run --help)");
        return STATUS_FAILED;
    }
    job.argv = argv + optind;
    supervise(&job);
}
