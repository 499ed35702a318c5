/* test_coreutils.c: coreutils' spellings that pgsup timeout reproduces (coreutils.c). Every
 * expected value below is what coreutils 9.1's timeout does with the same text (its signal
 * parser, its --verbose names, its interval parser, its quoting in the C and C.UTF-8 locales),
 * but "0" for signal 0 (coreutils after 9.9). tests/compat compares the two programs as a
 * whole; these are the grammar's corners, one by one. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/coreutils.h"

#define SENTINEL (-777)

static void expect_signal(const char *text, int want)
{
    int sig = SENTINEL;
    int r = coreutils_parse_signal(text, &sig);

    if (want == -EINVAL && (r != -EINVAL || sig != SENTINEL))
        fail_msg("'%s': returned %d (signal %d), expected -EINVAL", text, r, sig);
    if (want != -EINVAL && (r != 0 || sig != want))
        fail_msg("'%s': returned %d (signal %d), expected signal %d", text, r, sig, want);
}

static void test_coreutils_parse_signal_as_operand2sig(void **state)
{
    (void) state;
    expect_signal("TERM", SIGTERM);
    expect_signal("term", SIGTERM);
    expect_signal("SigTerm", SIGTERM);
    expect_signal("15", SIGTERM);
    expect_signal("015", SIGTERM);
    expect_signal("143", SIGTERM);   /* 128 + 15, a shell's status */
    expect_signal("271", SIGTERM);   /* 256 + 15: the low 7 bits */
    expect_signal("sig15", SIGTERM); /* SIG, then a number */
    expect_signal("0", 0);
    expect_signal("EXIT", 0);
    expect_signal("IO", SIGIO);
    expect_signal("POLL", SIGIO);
    expect_signal("IOT", SIGABRT);
    expect_signal("CLD", SIGCHLD);
    expect_signal("RTMIN", SIGRTMIN);
    expect_signal("RTMIN+1", SIGRTMIN + 1);
    expect_signal("RTMIN1", SIGRTMIN + 1);  /* strtol() after RTMIN */
    expect_signal("RTMIN 1", SIGRTMIN + 1); /* blanks too */
    expect_signal("RTMAX-30", SIGRTMIN);
    expect_signal("rtmax", SIGRTMAX);
    expect_signal("137", SIGKILL);
    expect_signal("32", -EINVAL); /* glibc's own: no name, refused */
    expect_signal("33", -EINVAL);
    expect_signal("128", -EINVAL);
    expect_signal("65", -EINVAL);
    expect_signal("127", -EINVAL);
    expect_signal("RTMIN+31", -EINVAL);
    expect_signal("RTMIN-1", -EINVAL);
    expect_signal("RTMAX+1", -EINVAL);
    expect_signal("SIGSIGTERM", -EINVAL);
    expect_signal("NOPE", -EINVAL);
    expect_signal("9x", -EINVAL);
    expect_signal("+9", -EINVAL);
    expect_signal("", -EINVAL);
}

static void expect_name(int sig, const char *want)
{
    char buf[SIGNAME_MAX];
    const char *got = coreutils_signal_name(sig, buf);

    if (got != buf || strcmp(got, want) != 0)
        fail_msg("coreutils_signal_name(%d) = '%s', expected '%s'", sig, got, want);
}

static void test_coreutils_signal_name_as_sig2str(void **state)
{
    (void) state;
    expect_name(SIGTERM, "TERM");
    expect_name(SIGKILL, "KILL");
    expect_name(SIGIO, "POLL");
    expect_name(SIGABRT, "ABRT");
    expect_name(SIGCHLD, "CHLD");
    expect_name(0, "0");
    expect_name(SIGRTMIN, "RTMIN");
    expect_name(SIGRTMIN + 15, "RTMIN+15");
    expect_name(SIGRTMIN + 16, "RTMAX-14");
    expect_name(SIGRTMAX, "RTMAX");
    expect_name(32, "32");
}

static void expect_duration(const char *text, double want)
{
    double s = SENTINEL;
    int r = coreutils_parse_duration(text, &s);

    if (r != 0 || !(s == want || (isinf(want) && isinf(s))))
        fail_msg("'%s': returned %d (%g s), expected %g s", text, r, s, want);
}

static void expect_bad_duration(const char *text)
{
    double s = SENTINEL;
    int r = coreutils_parse_duration(text, &s);

    if (r != -EINVAL || s != SENTINEL)
        fail_msg("'%s': returned %d (%g s), expected -EINVAL", text, r, s);
}

static void test_coreutils_parse_duration_as_timeout(void **state)
{
    double tiny = SENTINEL;

    (void) state;
    expect_duration("1", 1);
    expect_duration("1.5m", 90);
    expect_duration("2h", 7200);
    expect_duration("0.5d", 43200);
    expect_duration(".25s", 0.25);
    expect_duration(" 3", 3);        /* strtod() takes blanks */
    expect_duration("+2", 2);        /* and a sign */
    expect_duration("-0", 0);        /* -0 is not below 0 */
    expect_duration("0x1p3", 8);     /* and hex */
    expect_duration("0", 0);
    expect_duration("1e-400", 0);    /* underflows to 0: no deadline */
    expect_duration("inf", INFINITY);
    expect_duration("infinityd", INFINITY);
    expect_duration("1e400", INFINITY);
    assert_int_equal(coreutils_parse_duration("1e-310", &tiny), 0);
    assert_true(tiny > 0 && tiny < 1e-300); /* a tiny delay, not none */
    expect_bad_duration("");
    expect_bad_duration("soon");
    expect_bad_duration("1x");
    expect_bad_duration("1ms");
    expect_bad_duration("1D");
    expect_bad_duration("1 ");
    expect_bad_duration("-1");
    expect_bad_duration("nan");
    expect_bad_duration("-inf");
}

static void expect_quote(const char *text, const char *want)
{
    char *got = coreutils_quote(text);

    if (!got || strcmp(got, want) != 0)
        fail_msg("quote('%s') = '%s', expected '%s'", text, got ? got : "(null)", want);
    free(got);
}

static void test_coreutils_quote_c_locale(void **state)
{
    (void) state;
    assert_non_null(setlocale(LC_CTYPE, "C"));
    expect_quote("sleep", "'sleep'");
    expect_quote("", "''");
    expect_quote("it's", "'it\\'s'");
    expect_quote("a\\b", "'a\\\\b'");
    expect_quote("a\nb\tc", "'a\\nb\\tc'");
    expect_quote("a\x01" "b", "'a\\001b'");
    expect_quote("\x7f", "'\\177'");
    expect_quote("\xc3\xa9", "'\\303\\251'"); /* bytes above 127 are not printable here */
    expect_quote("a b\"$?", "'a b\"$?'");
}

static void test_coreutils_quote_utf8_locale(void **state)
{
    (void) state;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        skip(); /* no such locale here: nothing to compare */
    expect_quote("sleep", "\xe2\x80\x98sleep\xe2\x80\x99");
    expect_quote("it's", "\xe2\x80\x98it's\xe2\x80\x99");
    expect_quote("\xc3\xa9", "\xe2\x80\x98\xc3\xa9\xe2\x80\x99");
    expect_quote("\xff", "\xe2\x80\x98\\377\xe2\x80\x99");
    expect_quote("a\\b", "\xe2\x80\x98" "a\\\\b\xe2\x80\x99");
    /* The closing quote inside gets a backslash; the opening one does not. */
    expect_quote("\xe2\x80\x98x\xe2\x80\x99",
                 "\xe2\x80\x98\xe2\x80\x98x\\\xe2\x80\x99\xe2\x80\x99");
    expect_quote("x\xe2\x80", "\xe2\x80\x98x\\342\\200\xe2\x80\x99"); /* cut short */
    (void) setlocale(LC_CTYPE, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coreutils_parse_signal_as_operand2sig),
        cmocka_unit_test(test_coreutils_signal_name_as_sig2str),
        cmocka_unit_test(test_coreutils_parse_duration_as_timeout),
        cmocka_unit_test(test_coreutils_quote_c_locale),
        cmocka_unit_test(test_coreutils_quote_utf8_locale),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
