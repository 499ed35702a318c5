/* run.c: `pgsup run [OPTIONS] [--] COMMAND [ARG]...`, pgsup's own mode: the whole tree is
 * stopped on every way out, and pgsup returns when no member is left. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"

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
    "  -h, --help                 show this help\n"
    "\n"
    "DURATION is a number with an optional suffix s, m, h or d. SIGNAL is a name (TERM,\n"
    "SIGTERM) or a number. Exit status: 124 deadline hit, 125 pgsup failed, 126 COMMAND\n"
    "cannot be executed, 127 not found, else COMMAND's status (128+N: killed by signal N).\n";

int cli_run(int argc, char **argv)
{
    enum { OPT_NO_TTY = 256 };
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"signal", required_argument, NULL, 's'},
        {"kill-after", required_argument, NULL, 'k'},
        {"preserve-status", no_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-tty", no_argument, NULL, OPT_NO_TTY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_job job = {.signal = SIGTERM, .kill_after_s = DEFAULT_KILL_AFTER_S,
                          .wait_all = true, .tty = true};
    int c;

    opterr = 0;
    /* '+': options end at the command, so its own options are never taken for ours. */
    while ((c = getopt_long(argc, argv, "+:t:s:k:pvh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (cli_parse_duration("timeout", optarg, &job.timeout_s) < 0)
                return STATUS_FAILED;
            break;
        case 's':
            if (cli_parse_signal(optarg, &job.signal) < 0)
                return STATUS_FAILED;
            break;
        case 'k':
            if (cli_parse_duration("kill-after", optarg, &job.kill_after_s) < 0)
                return STATUS_FAILED;
            if (job.kill_after_s == 0)
                job.kill_after_s = -1;
            break;
        case 'p':
            job.preserve_status = true;
            break;
        case 'v':
            job.verbose = true;
            break;
        case OPT_NO_TTY:
            job.tty = false;
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
