/* test_backoff.c: restart delays (src/daemon/backoff.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/backoff.h"

static void test_backoff_doubles_from_initial(void **state)
{
    (void) state;
    assert_float_equal(backoff_delay(1, 60, 1), 1, 0);
    assert_float_equal(backoff_delay(1, 60, 2), 2, 0);
    assert_float_equal(backoff_delay(1, 60, 3), 4, 0);
    assert_float_equal(backoff_delay(0.5, 60, 4), 4, 0);
}

static void test_backoff_capped_at_max(void **state)
{
    (void) state;
    assert_float_equal(backoff_delay(1, 60, 7), 60, 0);   /* 64 > 60 */
    assert_float_equal(backoff_delay(1, 60, 1000), 60, 0);
    assert_float_equal(backoff_delay(1, 60, 4000000000u), 60, 0); /* no overflow */
    assert_float_equal(backoff_delay(5, 2, 1), 2, 0);     /* a cap below the start caps it */
}

static void test_backoff_grows_monotonically(void **state)
{
    (void) state;
    for (unsigned n = 1; n < 200; n++)
        assert_true(backoff_delay(0.1, 30, n + 1) >= backoff_delay(0.1, 30, n));
}

static void test_backoff_zero_streak_is_immediate(void **state)
{
    (void) state;
    assert_float_equal(backoff_delay(1, 60, 0), 0, 0);
    assert_float_equal(backoff_delay(0, 60, 3), 0, 0);
}

static void test_backoff_stable_is_startsecs_or_cap(void **state)
{
    (void) state;
    assert_float_equal(backoff_stable_s(1, 60), 60, 0);
    assert_float_equal(backoff_stable_s(90, 60), 90, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_from_initial),
        cmocka_unit_test(test_backoff_capped_at_max),
        cmocka_unit_test(test_backoff_grows_monotonically),
        cmocka_unit_test(test_backoff_zero_streak_is_immediate),
        cmocka_unit_test(test_backoff_stable_is_startsecs_or_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
