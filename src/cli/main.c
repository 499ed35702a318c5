/* main.c: the pgsup binary's dispatch to its subcommands. Invoked under the name "timeout"
 * (a symlink), it is `pgsup timeout`. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/signals.h"
#include "cli.h"

static const char usage[] =
    "Usage: pgsup COMMAND [ARG]...\n"
    "Supervise process trees: nothing of a tree outlives its deadline or pgsup itself.\n"
    "\n"
    "  pgsup run [OPTION]... [--] CMD [ARG]...   run CMD; stop its whole tree on exit\n"
    "  pgsup timeout [OPTION]... DURATION CMD...  drop-in replacement for timeout(1)\n"
    "  pgsup daemon [-c FILE]                    supervise the jobs of a config file\n"
    "  pgsup ctl [-s SOCKET | -c FILE] REQUEST   talk to a running daemon\n"
    "  pgsup --help | --version\n";

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    /* Before anything forks: every face of pgsup reaps its own children (signals.h). */
    int r = signals_own_defaults();

    if (r < 0) {
        log_msg("cannot reset the SIGCHLD disposition: %s", strerror(-r));
        return STATUS_FAILED;
    }
    if (strcmp(base, "timeout") == 0)
        return cli_timeout(argc, argv);
    if (argc < 2) {
        log_msg("missing command (see pgsup --help)");
        return STATUS_FAILED;
    }
    if (strcmp(argv[1], "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "timeout") == 0)
        return cli_timeout(argc - 1, argv + 1); /* argv[0] "timeout": coreutils' messages */
    if (strcmp(argv[1], "daemon") == 0)
        return cli_daemon(argc - 1, argv + 1);
    if (strcmp(argv[1], "ctl") == 0)
        return cli_ctl(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pgsup %s\n", PGSUP_VERSION);
        return 0;
    }
    log_msg("unknown command '%s' (see pgsup --help)", argv[1]);
    return STATUS_FAILED;
}
