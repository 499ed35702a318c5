/* test_timer.c: the duration grammar of timer.c (timeout(1)'s: strtod + one of s/m/h/d, 0 = no
 * deadline, overflow = forever, underflow = a tiny positive delay) and the monotonic clock. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/timer.h"

/* A value no parse below can produce: shows that a failed parse left ret_s alone. */
#define SENTINEL (-42.25)

static double parse_ok(const char *s)
{
    double v = SENTINEL;
    int r = timer_parse_duration(s, &v);

    if (r != 0)
        fail_msg("'%s': returned %d, expected 0", s, r);
    return v;
}

static void expect_duration(const char *s, double want)
{
    double v = parse_ok(s);

    if (v != want)
        fail_msg("'%s': parsed as %.17g, expected %.17g", s, v, want);
}

static void expect_einval(const char *s)
{
    double v = SENTINEL;
    int r = timer_parse_duration(s, &v);

    if (r != -EINVAL)
        fail_msg("'%s': returned %d (value %.17g), expected -EINVAL", s ? s : "(null)", r, v);
    if (v != SENTINEL)
        fail_msg("'%s': failed but wrote %.17g to ret_s", s ? s : "(null)", v);
}

static void test_timer_parse_accepts_integers(void **state)
{
    (void) state;
    expect_duration("1", 1);
    expect_duration("10", 10);
    expect_duration("300", 300);
    expect_duration("007", 7);
    expect_duration("86400", 86400);
}

static void test_timer_parse_accepts_floats(void **state)
{
    (void) state;
    expect_duration("1.5", 1.5);
    expect_duration("0.25", 0.25);
    expect_duration(".5", 0.5);
    expect_duration("2.", 2);
    expect_duration("1e3", 1000);
    expect_duration("2.5e-1", 0.25);
}

static void test_timer_parse_applies_suffixes(void **state)
{
    (void) state;
    expect_duration("1s", 1);
    expect_duration("2.5s", 2.5);
    expect_duration("1m", 60);
    expect_duration("1.5m", 90);
    expect_duration("2h", 7200);
    expect_duration("0.5h", 1800);
    expect_duration("1d", 86400);
    expect_duration("0.25d", 21600);
}

static void test_timer_parse_zero_means_no_deadline(void **state)
{
    (void) state;
    /* Exactly 0, not the "tiny positive" of an underflow: 0 disables the deadline. */
    expect_duration("0", 0);
    expect_duration("0.0", 0);
    expect_duration("0s", 0);
    expect_duration("0m", 0);
    expect_duration("0h", 0);
    expect_duration("0d", 0);
    expect_duration("0e10", 0);
}

static void test_timer_parse_huge_is_forever(void **state)
{
    (void) state;
    expect_duration("999999999", 999999999); /* just below: still a deadline */
    expect_duration("1e9", TIMER_FOREVER_S);
    expect_duration("999999999999", TIMER_FOREVER_S);
    expect_duration("1e300", TIMER_FOREVER_S);
    expect_duration("1e400", TIMER_FOREVER_S);  /* strtod overflow: ERANGE, HUGE_VAL */
    expect_duration("1e300d", TIMER_FOREVER_S); /* the suffix overflows the product */
    expect_duration("11575d", TIMER_FOREVER_S); /* 1,000,080,000 s */
    expect_duration("277778h", TIMER_FOREVER_S);
}

static void test_timer_parse_inf_is_forever(void **state)
{
    (void) state;
    expect_duration("inf", TIMER_FOREVER_S);
    expect_duration("INF", TIMER_FOREVER_S);
    expect_duration("infinity", TIMER_FOREVER_S);
    expect_duration("infs", TIMER_FOREVER_S);
    expect_duration("infd", TIMER_FOREVER_S);
}

static void test_timer_parse_underflow_is_tiny_positive(void **state)
{
    static const char *const tiny[] = {"1e-400", "1e-400s", "1e-400m", "1e-400d", "1e-320"};

    (void) state;
    for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
        double v = parse_ok(tiny[i]);
        if (!(v > 0 && v <= 1e-3))
            fail_msg("'%s': parsed as %.17g, expected a tiny positive delay", tiny[i], v);
    }
    /* Small but representable values are kept as they are. */
    expect_duration("1e-300", 1e-300);
}

static void test_timer_parse_rejects_empty(void **state)
{
    (void) state;
    expect_einval(NULL);
    expect_einval("");
    expect_einval(" ");
    expect_einval("\t");
}

static void test_timer_parse_rejects_junk(void **state)
{
    (void) state;
    expect_einval("abc");
    expect_einval("s");
    expect_einval("m");
    expect_einval(".");
    expect_einval("x1");
    expect_einval("one");
}

static void test_timer_parse_rejects_trailing_junk(void **state)
{
    (void) state;
    expect_einval("1x");
    expect_einval("1ss");
    expect_einval("1sm");
    expect_einval("1ms");
    expect_einval("1 ");
    expect_einval("1s ");
    expect_einval("1 s");
    expect_einval("1.5.5");
    expect_einval("1e");
    expect_einval("1S"); /* suffixes are lower case, as in timeout(1) */
    expect_einval("1M");
    expect_einval("1w");
    expect_einval("1min");
}

static void test_timer_parse_rejects_negative(void **state)
{
    (void) state;
    expect_einval("-1");
    expect_einval("-0.5");
    expect_einval("-1s");
    expect_einval("-1e-400");
    expect_einval("-inf");
}

static void test_timer_parse_rejects_nan(void **state)
{
    (void) state;
    expect_einval("nan");
    expect_einval("NaN");
    expect_einval("nans");
    expect_einval("nan(123)");
    expect_einval("-nan");
}

static void test_timer_parse_leaves_ret_untouched_on_failure(void **state)
{
    double v = 12.5;

    (void) state;
    assert_int_equal(timer_parse_duration("1x", &v), -EINVAL);
    assert_true(v == 12.5);
    assert_int_equal(timer_parse_duration("-1", &v), -EINVAL);
    assert_true(v == 12.5);
    assert_int_equal(timer_parse_duration("", &v), -EINVAL);
    assert_true(v == 12.5);
    /* and a success does write it */
    assert_int_equal(timer_parse_duration("3", &v), 0);
    assert_true(v == 3);
}

static void test_timer_now_is_monotonic(void **state)
{
    double a, b;

    (void) state;
    a = timer_now();
    b = timer_now();
    assert_true(a > 0);
    assert_true(isfinite(a));
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_parse_accepts_integers),
        cmocka_unit_test(test_timer_parse_accepts_floats),
        cmocka_unit_test(test_timer_parse_applies_suffixes),
        cmocka_unit_test(test_timer_parse_zero_means_no_deadline),
        cmocka_unit_test(test_timer_parse_huge_is_forever),
        cmocka_unit_test(test_timer_parse_inf_is_forever),
        cmocka_unit_test(test_timer_parse_underflow_is_tiny_positive),
        cmocka_unit_test(test_timer_parse_rejects_empty),
        cmocka_unit_test(test_timer_parse_rejects_junk),
        cmocka_unit_test(test_timer_parse_rejects_trailing_junk),
        cmocka_unit_test(test_timer_parse_rejects_negative),
        cmocka_unit_test(test_timer_parse_rejects_nan),
        cmocka_unit_test(test_timer_parse_leaves_ret_untouched_on_failure),
        cmocka_unit_test(test_timer_now_is_monotonic),
    };

    return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
