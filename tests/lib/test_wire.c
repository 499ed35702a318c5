/* test_wire.c: the control messages between libpgsup and its engine (src/lib/wire.c). Every
 * decoded number is range-checked before it is converted: "pid=1e300" or "maxrss=1e300" used
 * to be accepted and cast, undefined behaviour that UBSan reports (float-cast-overflow). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/wire.h"

static int parse(const char *text, struct wire_msg *m)
{
    return wire_parse(text, strlen(text), m);
}

static void test_wire_round_trip(void **unused)
{
    struct wire_msg in = {.kind = WIRE_DONE,
                          .result = {.exited = true, .exit_code = 3, .timed_out = true,
                                     .wall_s = 1.5, .rusage = {.ru_maxrss = 1234,
                                                               .ru_utime = {2, 500000}}}};
    struct wire_msg out;
    char buf[WIRE_MAX];
    int n;

    (void) unused;
    n = wire_format(&in, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(wire_parse(buf, (size_t) n, &out), 0);
    assert_int_equal(out.kind, WIRE_DONE);
    assert_true(out.result.exited);
    assert_int_equal(out.result.exit_code, 3);
    assert_true(out.result.timed_out);
    assert_int_equal(out.result.rusage.ru_maxrss, 1234);
    assert_int_equal(out.result.rusage.ru_utime.tv_sec, 2);
    assert_int_equal(out.result.rusage.ru_utime.tv_usec, 500000);
    in = (struct wire_msg){.kind = WIRE_TERMINATE, .sig = SIGTERM, .seconds = -1};
    n = wire_format(&in, buf, sizeof(buf));
    assert_int_equal(wire_parse(buf, (size_t) n, &out), 0);
    assert_int_equal(out.sig, SIGTERM);
    assert_true(out.seconds == -1);
    assert_int_equal(parse("failed err=-2", &out), 0);
    assert_int_equal(out.err, -2);
    assert_int_equal(parse("started pid=4194304", &out), 0);
    assert_int_equal(out.pid, 4194304);
    assert_int_equal(parse("signal sig=64", &out), 0);
    assert_int_equal(parse("deadline seconds=0", &out), 0);
    /* What the engine sends for a command killed by a signal (run.h: exit_code -1). */
    assert_int_equal(parse("done exited=0 code=-1 signal=15", &out), 0);
    assert_int_equal(out.result.exit_code, -1);
    assert_int_equal(out.result.term_signal, 15);
}

/* Each of these used to parse (some through undefined behaviour); each field has a range. */
static void test_wire_rejects_out_of_range_fields(void **unused)
{
    static const char *const bad[] = {
        "started pid=0",          "started pid=-1",          "started pid=2147483648",
        "started pid=1e300",      "started pid=1.5",         "started pid=0x10",
        "failed err=1",           "failed err=0",            "failed err=-99999999999",
        "failed err=-1e300",      "signal sig=0",            "signal sig=65",
        "signal sig=-9",          "signal sig=1e10",         "terminate sig=15 seconds=1e300",
        "deadline seconds=inf",   "deadline seconds=nan",    "deadline seconds=-inf",
        "deadline seconds= 1",    "done exited=2",           "done exited=-1",
        "done code=256",          "done code=-2",            "done signal=65",
        "done timed_out=7",       "done escalated=1e9",      "done wall=-1",
        "done wall=1e300",        "done utime=1e300",        "done stime=-0.5",
        "done maxrss=1e300",      "done maxrss=9223372036854775808",
        "done minflt=-1",         "done majflt=1e19",        "done nvcsw=+5",
        "done nivcsw=99999999999999999999",
    };
    struct wire_msg m;

    (void) unused;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &m) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
}

/* A message without what it is about: "started" without a pid used to report pid 0. */
static void test_wire_rejects_missing_fields(void **unused)
{
    static const char *const bad[] = {
        "started",       "started future=1", "failed",          "signal",
        "terminate sig=15", "terminate seconds=1", "deadline", "done exited=1 code=0",
    };
    struct wire_msg m;

    (void) unused;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &m) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
}

/* A newer peer's keys are skipped, whatever their values look like. */
static void test_wire_skips_unknown_keys(void **unused)
{
    struct wire_msg m;

    (void) unused;
    assert_int_equal(parse("started pid=7 future=1e999 other=x", &m), 0);
    assert_int_equal(m.pid, 7);
    assert_int_equal(parse("nonsense pid=7", &m), -EINVAL);
    assert_int_equal(parse("started pid", &m), -EINVAL);
    assert_int_equal(parse("started =7", &m), -EINVAL);
    assert_int_equal(wire_parse("started pid=7\0x", 15, &m), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_round_trip),
        cmocka_unit_test(test_wire_rejects_out_of_range_fields),
        cmocka_unit_test(test_wire_rejects_missing_fields),
        cmocka_unit_test(test_wire_skips_unknown_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
