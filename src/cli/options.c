/* options.c: parsing of option values shared by the subcommands, with the one-line errors
 * that go with them. */
#include <errno.h>

#include "core/log.h"
#include "core/signame.h"
#include "core/timer.h"
#include "cli.h"

int cli_parse_duration(const char *what, const char *text, double *ret_s)
{
    if (timer_parse_duration(text, ret_s) < 0) {
        log_msg("invalid %s '%s' (expected a number with an optional s, m, h or d suffix)",
                what, text);
        return -EINVAL;
    }
    return 0;
}

int cli_parse_signal(const char *text, int *ret_sig)
{
    if (signame_parse(text, ret_sig) < 0) {
        log_msg("unknown signal '%s'", text);
        return -EINVAL;
    }
    return 0;
}

int cli_job_option(int opt, const char *arg, struct cli_job *job)
{
    switch (opt) {
    case 'k':
        if (cli_parse_duration("kill-after", arg, &job->kill_after_s) < 0)
            return -EINVAL;
        if (job->kill_after_s == 0)
            job->kill_after_s = -1; /* timeout(1): -k 0 means no KILL */
        return 1;
    case 'p':
        job->preserve_status = true;
        return 1;
    case 's':
        return cli_parse_signal(arg, &job->signal) < 0 ? -EINVAL : 1;
    case 'v':
        job->verbose = true;
        return 1;
    default:
        return 0;
    }
}
