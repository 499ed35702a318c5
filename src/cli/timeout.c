/* timeout.c: `pgsup timeout [OPTION]... DURATION COMMAND [ARG]...`, a drop-in replacement for
 * coreutils timeout(1) as of coreutils 9.11: what a script sees is coreutils' (options and
 * their GNU abbreviations, messages byte for byte, exit statuses, groups, the signals the
 * command gets and starts with), except that at the deadline the whole tree is signalled,
 * escapees included, and nothing is left once the tree is being stopped. The run itself is
 * supervise.c's; this file parses, and decides what the command inherits and which signals
 * are passed on (the cli_job fields marked "timeout").
 *
 * Which signals (coreutils 9.10 and later, POSIX.1-2024 timeout):
 *   - every signal that terminates by default is caught and passed on to the command (and
 *     its tree), SIGALRM as the deadline; but one ignored when timeout started stays ignored:
 *     `nohup timeout` still ignores SIGHUP, and so does the command;
 *   - except that timeout always catches SIGALRM (its deadline) and its -s signal, which the
 *     command therefore starts with at the default, even if the caller ignored it: the
 *     deadline's signal can act;
 *   - SIGCHLD (timeout's own), SIGTTIN and SIGTTOU start at the default too; every other
 *     disposition and the signal mask (but SIGCHLD) are the caller's, and so are fds without
 *     CLOEXEC. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/signals.h"
#include "core/timer.h"
#include "cli.h"
#include "coreutils.h"

static const char usage[] =
    "Usage: %s [OPTION]... DURATION COMMAND [ARG]...\n"
    "Start COMMAND, and stop it (its whole tree) if it is still running after DURATION.\n"
    "A drop-in replacement for coreutils timeout(1).\n"
    "\n"
    "  -f, --foreground           let COMMAND read from the terminal and get its signals;\n"
    "                             then only COMMAND is signalled, not its children\n"
    "  -k, --kill-after=DURATION  also send KILL this long after the first signal\n"
    "  -p, --preserve-status      exit with COMMAND's status even when the deadline hit\n"
    "  -s, --signal=SIGNAL        signal sent at the deadline (default TERM)\n"
    "  -v, --verbose              say on stderr which signal is sent\n"
    "      --help                 show this help\n"
    "      --version              show the version\n"
    "\n"
    "DURATION is a number with an optional suffix s, m, h or d; 0 means no deadline.\n"
    "Exit status: 124 deadline hit, 125 timeout failed, 126 COMMAND cannot be executed,\n"
    "127 not found, 137 KILL was needed, else COMMAND's status.\n";

/* The signals whose default action ends a process, sent from outside: those timeout passes on
 * (the faults, which a process sends itself, are not). */
static uint64_t terminating_signals(void)
{
    static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGTERM, SIGALRM, SIGPIPE,
                               SIGUSR1, SIGUSR2, SIGIO,     SIGVTALRM, SIGPROF, SIGXCPU,
                               SIGXFSZ, SIGPWR,  SIGSTKFLT};
    uint64_t mask = 0;

    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        mask |= SIGNALS_BIT(sigs[i]);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        mask |= SIGNALS_BIT(sig);
    return mask;
}

/* What the command inherits and what is passed on to it, from the caller's state now (see the
 * top). Returns 0 or -errno. */
static int inherit(struct cli_job *job)
{
    uint64_t ignored, caught = SIGNALS_BIT(SIGALRM);
    int r = signals_read_ignored(&ignored);

    if (r < 0)
        return r;
    if (job->signal > 0 && job->signal != SIGKILL && job->signal != SIGSTOP)
        caught |= SIGNALS_BIT(job->signal);
    signals_to_set((terminating_signals() & ~ignored) | caught, &job->forward);
    job->keep_ignored = ignored & ~(caught | SIGNALS_BIT(SIGCHLD) | SIGNALS_BIT(SIGTTIN) |
                                    SIGNALS_BIT(SIGTTOU));
    job->sigmask = signals_read_blocked() & ~SIGNALS_BIT(SIGCHLD);
    return 0;
}

/* --help and --version end here: a write error (a full disk, /dev/full) fails with 125. */
static int stdout_status(const char *program)
{
    return coreutils_close_stdout(program) < 0 ? STATUS_FAILED : 0;
}

static int usage_error(const char *program)
{
    coreutils_try_help(program);
    return STATUS_FAILED;
}

int cli_timeout(int argc, char **argv)
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
    /* As coreutils: messages begin with the name we were run by. */
    struct cli_job job = {.signal = SIGTERM, .kill_after_s = -1, .control_fd = -1,
                          .drop_in = true, .program = argv[0]};
    char *quoted;
    double s;
    int c;

    /* Quoting follows the locale's character set, as coreutils' does (coreutils.c). */
    (void) setlocale(LC_CTYPE, "");
    /* getopt prints its own messages, with argv[0], exactly as coreutils' getopt does. */
    while ((c = getopt_long(argc, argv, "+fk:ps:v", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            job.foreground = true;
            break;
        case 'k':
            if (coreutils_parse_duration(optarg, &s) < 0)
                goto bad_duration;
            job.kill_after_s = s > 0 && s < TIMER_FOREVER_S ? s : -1; /* 0: no KILL */
            break;
        case 'p':
            job.preserve_status = true;
            break;
        case 's':
            if (coreutils_parse_signal(optarg, &job.signal) < 0) {
                quoted = coreutils_quote(optarg);
                coreutils_error(job.program, "%s: invalid signal", quoted ? quoted : optarg);
                free(quoted);
                return usage_error(job.program);
            }
            break;
        case 'v':
            job.verbose = true;
            break;
        case OPT_HELP:
            printf(usage, job.program);
            return stdout_status(job.program);
        case OPT_VERSION:
            printf("timeout (pgsup) %s\n", PGSUP_VERSION);
            return stdout_status(job.program);
        default:
            return usage_error(job.program);
        }
    }
    if (argc - optind < 2)
        return usage_error(job.program);
    if (coreutils_parse_duration(argv[optind], &s) < 0) {
        optarg = argv[optind];
        goto bad_duration;
    }
    job.timeout_s = s;
    job.argv = argv + optind + 1;
    job.quoted_command = coreutils_quote(job.argv[0]);
    c = job.quoted_command ? inherit(&job) : -ENOMEM;
    if (c < 0) {
        coreutils_error(job.program, "cannot start: %s", strerror(-c));
        return STATUS_FAILED;
    }
    supervise(&job);

bad_duration:
    quoted = coreutils_quote(optarg);
    coreutils_error(job.program, "invalid time interval %s", quoted ? quoted : optarg);
    free(quoted);
    return usage_error(job.program);
}
