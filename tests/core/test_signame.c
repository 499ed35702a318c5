/* test_signame.c: signal names as kill(1) and timeout(1) take them (TERM, SIGTERM, term, 15,
 * 143, RTMIN+2...), and the names pgsup prints for them. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/signame.h"

#define SENTINEL (-777)

static void expect_sig(const char *s, int want)
{
    int sig = SENTINEL;
    int r = signame_parse(s, &sig);

    if (r != 0)
        fail_msg("'%s': returned %d, expected 0 (signal %d)", s, r, want);
    if (sig != want)
        fail_msg("'%s': parsed as %d, expected %d", s, sig, want);
}

static void expect_einval(const char *s)
{
    int sig = SENTINEL;
    int r = signame_parse(s, &sig);

    if (r != -EINVAL)
        fail_msg("'%s': returned %d (signal %d), expected -EINVAL", s ? s : "(null)", r, sig);
    if (sig != SENTINEL)
        fail_msg("'%s': failed but wrote %d to ret_sig", s ? s : "(null)", sig);
}

static void expect_name(int sig, const char *want)
{
    char buf[SIGNAME_MAX];
    const char *got = signame_format(sig, buf);

    if (got != buf)
        fail_msg("signame_format(%d) did not return its buffer", sig);
    if (strcmp(got, want) != 0)
        fail_msg("signame_format(%d) = '%s', expected '%s'", sig, got, want);
}

static void test_signame_parse_accepts_names(void **state)
{
    (void) state;
    expect_sig("TERM", SIGTERM);
    expect_sig("KILL", SIGKILL);
    expect_sig("HUP", SIGHUP);
    expect_sig("INT", SIGINT);
    expect_sig("QUIT", SIGQUIT);
    expect_sig("USR1", SIGUSR1);
    expect_sig("USR2", SIGUSR2);
    expect_sig("ALRM", SIGALRM);
    expect_sig("CHLD", SIGCHLD);
    expect_sig("CONT", SIGCONT);
    expect_sig("STOP", SIGSTOP);
    expect_sig("WINCH", SIGWINCH);
    expect_sig("STKFLT", SIGSTKFLT);
    expect_sig("PWR", SIGPWR);
    expect_sig("SYS", SIGSYS);
}

static void test_signame_parse_accepts_sig_prefix(void **state)
{
    (void) state;
    expect_sig("SIGTERM", SIGTERM);
    expect_sig("SIGKILL", SIGKILL);
    expect_sig("SIGHUP", SIGHUP);
    expect_sig("SIGRTMAX", SIGRTMAX);
    expect_sig("SIGRTMIN+1", SIGRTMIN + 1);
}

static void test_signame_parse_ignores_case(void **state)
{
    (void) state;
    expect_sig("term", SIGTERM);
    expect_sig("Term", SIGTERM);
    expect_sig("sigkill", SIGKILL);
    expect_sig("SigInt", SIGINT);
    expect_sig("sIgTeRm", SIGTERM);
    expect_sig("rtmin+2", SIGRTMIN + 2);
    expect_sig("sigrtmax-1", SIGRTMAX - 1);
}

static void test_signame_parse_accepts_numbers(void **state)
{
    (void) state;
    expect_sig("1", 1);
    expect_sig("9", SIGKILL);
    expect_sig("15", SIGTERM);
    expect_sig("09", SIGKILL);
    expect_sig("31", 31);
    expect_sig("64", SIGRTMAX);
}

static void test_signame_parse_accepts_exit_status_forms(void **state)
{
    (void) state;
    /* 128 + N, as a shell reports death by signal N */
    expect_sig("137", SIGKILL);
    expect_sig("143", SIGTERM);
    expect_sig("129", SIGHUP);
    expect_sig("130", SIGINT);
    expect_sig("192", SIGRTMAX);
    /* 256 + N, as ksh reports it */
    expect_sig("265", SIGKILL);
    expect_sig("271", SIGTERM);
}

static void test_signame_parse_accepts_realtime(void **state)
{
    (void) state;
    expect_sig("RTMIN", SIGRTMIN);
    expect_sig("RTMIN+0", SIGRTMIN);
    expect_sig("RTMIN+1", SIGRTMIN + 1);
    expect_sig("RTMIN+2", SIGRTMIN + 2);
    expect_sig("RTMAX", SIGRTMAX);
    expect_sig("RTMAX-0", SIGRTMAX);
    expect_sig("RTMAX-1", SIGRTMAX - 1);
    expect_sig("SIGRTMAX", SIGRTMAX);
    expect_sig("SIGRTMIN", SIGRTMIN);
    /* the far ends of both spellings */
    {
        char buf[32];
        snprintf(buf, sizeof(buf), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
        expect_sig(buf, SIGRTMAX);
        snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - SIGRTMIN);
        expect_sig(buf, SIGRTMIN);
    }
}

static void test_signame_parse_accepts_aliases(void **state)
{
    (void) state;
    expect_sig("IOT", SIGABRT);
    expect_sig("SIGIOT", SIGABRT);
    expect_sig("CLD", SIGCHLD);
    expect_sig("sigcld", SIGCHLD);
    expect_sig("POLL", SIGIO);
    expect_sig("SIGPOLL", SIGIO);
    expect_sig("ABRT", SIGABRT);
}

/* SIGIO's own name: glibc's sigabbrev_np(SIGIO) says "POLL", but kill(1), bash and timeout(1)
 * all take "IO" ("timeout -s IO 1 true" works). */
static void test_signame_parse_accepts_io(void **state)
{
    (void) state;
    expect_sig("IO", SIGIO);
    expect_sig("SIGIO", SIGIO);
}

static void test_signame_parse_rejects_bad(void **state)
{
    (void) state;
    expect_einval(NULL);
    expect_einval("");
    expect_einval("0");
    expect_einval("00");
    expect_einval("FOO");
    expect_einval("SIG");
    expect_einval("SIGSIGTERM");
    expect_einval("TERMINATE");
    expect_einval("TER");
    expect_einval(" TERM");
    expect_einval("TERM ");
    expect_einval("RTMIN-1");
    expect_einval("RTMAX+1");
    expect_einval("RTMIN+");
    expect_einval("RTMAX-");
    expect_einval("RTMIN+x");
    expect_einval("RTMIN1");
    expect_einval("RTMIN+99");
    expect_einval("65");
    expect_einval("-9");
    expect_einval("+9");
    expect_einval("9x");
    expect_einval("9 ");
    expect_einval("128");  /* 128 + 0: signal 0 */
    expect_einval("255");  /* 128 + 127: not a signal */
    expect_einval("2147483648");
    expect_einval("99999999999999999999");
}

static void test_signame_parse_rejects_out_of_range_rt_offsets(void **state)
{
    char buf[32];

    (void) state;
    snprintf(buf, sizeof(buf), "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
    expect_einval(buf);
    snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
    expect_einval(buf);
    expect_einval("RTMAX--1");
}

/* The offset after RTMIN+ / RTMAX- is plain digits, as in timeout(1), which rejects all of
 * these ("timeout: 'RTMIN++1': invalid signal"). */
static void test_signame_parse_rejects_signed_rt_offset(void **state)
{
    (void) state;
    expect_einval("RTMIN++1");
    expect_einval("RTMAX-+1");
    expect_einval("RTMIN+-0");
    expect_einval("RTMIN+ 1");
}

static void test_signame_parse_leaves_ret_untouched_on_failure(void **state)
{
    int sig = 1234;

    (void) state;
    assert_int_equal(signame_parse("FOO", &sig), -EINVAL);
    assert_int_equal(sig, 1234);
    assert_int_equal(signame_parse("65", &sig), -EINVAL);
    assert_int_equal(sig, 1234);
    assert_int_equal(signame_parse("RTMAX+1", &sig), -EINVAL);
    assert_int_equal(sig, 1234);
    assert_int_equal(signame_parse("KILL", &sig), 0);
    assert_int_equal(sig, SIGKILL);
}

static void test_signame_format_names(void **state)
{
    char want[SIGNAME_MAX];

    (void) state;
    expect_name(SIGTERM, "TERM");
    expect_name(SIGKILL, "KILL");
    expect_name(SIGHUP, "HUP");
    expect_name(SIGCHLD, "CHLD");
    expect_name(SIGRTMIN, "RTMIN");
    expect_name(SIGRTMIN + 1, "RTMIN+1");
    expect_name(SIGRTMIN + 2, "RTMIN+2");
    expect_name(SIGRTMAX - 1, "RTMAX-1");
    expect_name(SIGRTMAX, "RTMAX");
    /* no name: the number */
    expect_name(0, "0");
    expect_name(-1, "-1");
    snprintf(want, sizeof(want), "%d", SIGRTMAX + 1);
    expect_name(SIGRTMAX + 1, want);
    expect_name(INT_MIN, "-2147483648");
    expect_name(INT_MAX, "2147483647");
}

static void test_signame_format_round_trips_every_signal(void **state)
{
    (void) state;
    for (int n = 1; n <= SIGRTMAX; n++) {
        char buf[SIGNAME_MAX], prefixed[SIGNAME_MAX + 3];
        const char *name = signame_format(n, buf);
        int sig = SENTINEL;
        int r = signame_parse(name, &sig);

        if (r != 0 || sig != n)
            fail_msg("signal %d: formatted as '%s', parsed back as %d (r=%d)", n, name, sig, r);
        if (name[0] >= '0' && name[0] <= '9')
            continue; /* a bare number takes no SIG prefix */
        snprintf(prefixed, sizeof(prefixed), "SIG%s", name);
        sig = SENTINEL;
        r = signame_parse(prefixed, &sig);
        if (r != 0 || sig != n)
            fail_msg("signal %d: '%s' parsed back as %d (r=%d)", n, prefixed, sig, r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signame_parse_accepts_names),
        cmocka_unit_test(test_signame_parse_accepts_sig_prefix),
        cmocka_unit_test(test_signame_parse_ignores_case),
        cmocka_unit_test(test_signame_parse_accepts_numbers),
        cmocka_unit_test(test_signame_parse_accepts_exit_status_forms),
        cmocka_unit_test(test_signame_parse_accepts_realtime),
        cmocka_unit_test(test_signame_parse_accepts_aliases),
        cmocka_unit_test(test_signame_parse_accepts_io),
        cmocka_unit_test(test_signame_parse_rejects_bad),
        cmocka_unit_test(test_signame_parse_rejects_out_of_range_rt_offsets),
        cmocka_unit_test(test_signame_parse_rejects_signed_rt_offset),
        cmocka_unit_test(test_signame_parse_leaves_ret_untouched_on_failure),
        cmocka_unit_test(test_signame_format_names),
        cmocka_unit_test(test_signame_format_round_trips_every_signal),
    };

    return cmocka_run_group_tests_name("signame", tests, NULL, NULL);
}
