/* test_daemon_state.c: the state file (src/daemon/state.c): format, parse, atomic write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/state.h"

static struct state sample(void)
{
    struct state s = {.key = strdup("k123"), .instance = strdup("i456"),
                      .daemon = {.pid = 10, .start = 100}};

    assert_int_equal(state_add_run(&s, &(struct state_run){.name = "web", .run = "i456.1",
                                                            .guard = {20, 200},
                                                            .engine = {21, 201},
                                                            .leader = {22, 202}, .pgid = 21}),
                     0);
    assert_int_equal(state_add_run(&s, &(struct state_run){.name = "db", .run = "i456.2",
                                                            .guard = {30, 300}}),
                     0);
    return s;
}

static void test_state_round_trip(void **unused)
{
    struct state s = sample(), t;
    char *text;

    (void) unused;
    assert_int_equal(state_format(&s, &text), 0);
    assert_int_equal(state_parse(text, &t), 0);
    assert_string_equal(t.key, "k123");
    assert_string_equal(t.instance, "i456");
    assert_int_equal(t.daemon.pid, 10);
    assert_int_equal(t.runs_len, 2);
    assert_string_equal(t.runs[0].name, "web");
    assert_string_equal(t.runs[0].run, "i456.1");
    assert_int_equal(t.runs[0].guard.pid, 20);
    assert_int_equal(t.runs[0].engine.start, 201);
    assert_int_equal(t.runs[0].leader.pid, 22);
    assert_int_equal(t.runs[0].pgid, 21);
    assert_int_equal(t.runs[1].engine.pid, 0); /* unknown stays unknown */
    free(text);
    state_free(&s);
    state_free(&t);
}

static void test_state_skips_unknown_and_broken_lines(void **unused)
{
    struct state t;

    (void) unused;
    assert_int_equal(state_parse("pgsup-state 1\nkey k\nfuture thing 1 2\n"
                                 "run short line\n"
                                 "run web r 1:2 3:x 5:6 7\n"
                                 "run ok r 1:2 3:4 5:6 7\n",
                                 &t),
                     0);
    assert_int_equal(t.runs_len, 1);
    assert_string_equal(t.runs[0].name, "ok");
    state_free(&t);
}

static void test_state_rejects_other_files(void **unused)
{
    struct state t;

    (void) unused;
    assert_int_equal(state_parse("[program:x]\ncommand=true\n", &t), -EINVAL);
    assert_int_equal(state_parse("", &t), -EINVAL);
}

static void test_state_write_is_atomic_replace(void **unused)
{
    char dir[] = "/tmp/pgsup-state-test.XXXXXX", path[64], tmp[80];
    struct state s = sample(), t;

    (void) unused;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(state_write(path, &s), 0);
    assert_int_equal(access(tmp, F_OK), -1); /* renamed into place */
    assert_int_equal(state_read(path, &t), 0);
    assert_int_equal(t.runs_len, 2);
    state_free(&t);
    state_free(&s);
    s = (struct state){0};
    assert_int_equal(state_write(path, &s), 0);
    assert_int_equal(state_read(path, &t), 0);
    assert_int_equal(t.runs_len, 0);
    state_free(&t);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(state_read(path, &t), -ENOENT);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_skips_unknown_and_broken_lines),
        cmocka_unit_test(test_state_rejects_other_files),
        cmocka_unit_test(test_state_write_is_atomic_replace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
