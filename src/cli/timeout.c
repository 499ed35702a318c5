/* timeout.c: `pgsup timeout [OPTION]... DURATION COMMAND [ARG]...`, a drop-in replacement for
 * coreutils timeout(1): same options (and GNU abbreviations), same exit statuses, returns
 * when COMMAND exits. What differs: at the deadline the whole tree is signalled, escapees
 * included, and --foreground hands over the terminal without giving up on the tree. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "core/log.h"
#include "cli.h"

static const char usage[] =
    "Usage: %s [OPTION]... DURATION COMMAND [ARG]...\n"
    "Start COMMAND, and stop its whole tree if it is still running after DURATION.\n"
    "\n"
    "  -f, --foreground           give COMMAND the terminal (its tree is still stopped)\n"
    "  -k, --kill-after=DURATION  also send KILL this long after the first signal\n"
    "  -p, --preserve-status      exit with COMMAND's status even when the deadline hit\n"
    "  -s, --signal=SIGNAL        signal sent at the deadline (default TERM)\n"
    "  -v, --verbose              say on stderr which signal goes to whom\n"
    "      --help                 show this help\n"
    "      --version              show the version\n"
    "\n"
    "Exit status: 124 deadline hit, 125 pgsup failed, 126 COMMAND cannot be executed,\n"
    "127 not found, 137 KILL was needed, else COMMAND's status.\n";

int cli_timeout(int argc, char **argv, const char *name)
{
    enum { OPT_HELP = 256, OPT_VERSION };
    static const struct option longopts[] = {
        {"foreground", no_argument, NULL, 'f'},
        {"kill-after", required_argument, NULL, 'k'},
        {"preserve-status", no_argument, NULL, 'p'},
        {"signal", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct cli_job job = {.signal = SIGTERM, .kill_after_s = -1, .control_fd = -1,
                          .inherit = true};
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:fk:ps:v", longopts, NULL)) != -1) {
        int shared = cli_job_option(c, optarg, &job);
        if (shared < 0)
            return STATUS_FAILED;
        if (shared > 0)
            continue;
        switch (c) {
        case 'f':
            job.tty = true;
            break;
        case OPT_HELP:
            printf(usage, name);
            return 0;
        case OPT_VERSION:
            printf("%s (pgsup) %s\n", name, PGSUP_VERSION);
            return 0;
        case ':':
            log_msg("%s: option '%s' needs a value", name, argv[optind - 1]);
            return STATUS_FAILED;
        default:
            log_msg("%s: unknown option '%s' (see %s --help)", name, argv[optind - 1], name);
            return STATUS_FAILED;
        }
    }
    if (argc - optind < 2) {
        log_msg("%s: missing %s (see %s --help)", name,
                optind < argc ? "command" : "duration and command", name);
        return STATUS_FAILED;
    }
    if (cli_parse_duration("duration", argv[optind], &job.timeout_s) < 0)
        return STATUS_FAILED;
    job.argv = argv + optind + 1;
    supervise(&job);
}
