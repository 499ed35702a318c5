/* test_api.c: the public functions that need no process: pgsup_strerror() and
 * pgsup_version(); the process-running ones are tested elsewhere. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pgsup.h"

static void expect_message(int err)
{
    const char *m = pgsup_strerror(err);

    if (!m)
        fail_msg("pgsup_strerror(%d) returned NULL", err);
    if (!*m)
        fail_msg("pgsup_strerror(%d) returned an empty string", err);
}

static void test_api_strerror_success(void **state)
{
    (void) state;
    assert_string_equal(pgsup_strerror(0), "Success");
}

static void test_api_strerror_errno_either_sign(void **state)
{
    (void) state;
    assert_string_equal(pgsup_strerror(-ENOENT), "No such file or directory");
    assert_string_equal(pgsup_strerror(ENOENT), "No such file or directory");
    assert_string_equal(pgsup_strerror(-EACCES), strerror(EACCES));
    assert_string_equal(pgsup_strerror(-ESRCH), strerror(ESRCH));
    /* the result is a static string: the same pointer each time */
    assert_ptr_equal(pgsup_strerror(-EINVAL), pgsup_strerror(EINVAL));
}

static void test_api_strerror_own_codes(void **state)
{
    static const int own[] = {PGSUP_ENOHELPER, PGSUP_EHELPER};

    (void) state;
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        const char *m = pgsup_strerror(-own[i]);

        assert_non_null(m);
        assert_string_equal(m, pgsup_strerror(own[i]));
        /* its own message, neither an errno's nor the unknown one */
        assert_string_not_equal(m, pgsup_strerror(-9999));
        assert_string_not_equal(m, "Success");
        for (int e = 1; e < 200; e++)
            assert_string_not_equal(m, strerror(e));
    }
    assert_string_not_equal(pgsup_strerror(PGSUP_ENOHELPER), pgsup_strerror(PGSUP_EHELPER));
}

static void test_api_strerror_out_of_range_never_null(void **state)
{
    static const int errs[] = {
        9999, -9999, PGSUP_ENOHELPER - 1, PGSUP_EHELPER + 1, -(PGSUP_EHELPER + 1),
        134, -134, 4095, -4095, 65536, INT_MAX, -INT_MAX,
    };

    (void) state;
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
        expect_message(errs[i]);
    /* unknown values share one message, which is not an errno's */
    assert_string_equal(pgsup_strerror(9999), pgsup_strerror(INT_MAX));
    assert_string_not_equal(pgsup_strerror(9999), pgsup_strerror(-ENOENT));
}

/* INT_MIN has no positive counterpart: negating it is undefined behaviour (UBSan: "negation
 * of -2147483648 cannot be represented in type 'int'"). */
static void test_api_strerror_int_min(void **state)
{
    (void) state;
    expect_message(INT_MIN);
}

static void test_api_version_is_major_minor_patch(void **state)
{
    const char *v = pgsup_version();
    int dots = 0;

    (void) state;
    assert_non_null(v);
    assert_string_equal(v, PGSUP_VERSION);
    assert_true(isdigit((unsigned char) v[0]));
    for (const char *p = v; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char) *p))
            fail_msg("version '%s' is not MAJOR.MINOR.PATCH", v);
    }
    assert_int_equal(dots, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_strerror_success),
        cmocka_unit_test(test_api_strerror_errno_either_sign),
        cmocka_unit_test(test_api_strerror_own_codes),
        cmocka_unit_test(test_api_strerror_out_of_range_never_null),
        cmocka_unit_test(test_api_version_is_major_minor_patch),
        /* last: with UBSAN_OPTIONS=halt_on_error=1, undefined behaviour ends the binary */
        cmocka_unit_test(test_api_strerror_int_min),
    };

    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
