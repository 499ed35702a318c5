/* test_daemon_state.c: the state file (src/daemon/state.c): format, parse, atomic write, and
 * what it refuses to read or write through (symlinks, FIFOs, files others can write). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    char dir[] = "/tmp/pgsup-state-test.XXXXXX", path[64], tmp[80], why[TRUST_WHY_MAX];
    struct state s = sample(), t;

    (void) unused;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(state_write(path, &s), 0);
    assert_int_equal(access(tmp, F_OK), -1); /* renamed into place */
    assert_int_equal(state_read(path, &t, why), 0);
    assert_int_equal(t.runs_len, 2);
    state_free(&t);
    state_free(&s);
    s = (struct state){0};
    assert_int_equal(state_write(path, &s), 0);
    assert_int_equal(state_read(path, &t, why), 0);
    assert_int_equal(t.runs_len, 0);
    state_free(&t);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(state_read(path, &t, why), -ENOENT);
    assert_int_equal(rmdir(dir), 0);
}

/* A directory of its own per test, removed with what is in it. */
struct scratch {
    char dir[64];
    char path[96];
};

static void scratch_make(struct scratch *x)
{
    snprintf(x->dir, sizeof(x->dir), "/tmp/pgsup-state-test.XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->path, sizeof(x->path), "%s/state", x->dir);
}

static void scratch_remove(struct scratch *x)
{
    const char *names[] = {"state", "state.tmp", "victim"};
    char p[128];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", x->dir, names[i]);
        (void) unlink(p); /* absent: fine */
    }
    assert_int_equal(rmdir(x->dir), 0);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    assert_int_equal(fchmod(fd, mode), 0); /* not the umask's */
    close(fd);
}

static const char forged[] = "pgsup-state 1\nkey k\nrun web r 1:2 3:4 5:6 7\n";

/* A symlink at the state path is refused, not followed to a file someone else chose. */
static void test_state_read_refuses_a_symlink(void **unused)
{
    struct scratch x;
    struct state t;
    char victim[128], why[TRUST_WHY_MAX];

    (void) unused;
    scratch_make(&x);
    snprintf(victim, sizeof(victim), "%s/victim", x.dir);
    write_text(victim, forged, 0600);
    assert_int_equal(symlink(victim, x.path), 0);
    assert_int_equal(state_read(x.path, &t, why), -ELOOP);
    assert_non_null(strstr(why, "symbolic link"));
    scratch_remove(&x);
}

/* A FIFO at the state path: the daemon read it before it listened, and hung there. */
static void test_state_read_refuses_a_fifo_without_blocking(void **unused)
{
    struct scratch x;
    struct state t;
    char why[TRUST_WHY_MAX];

    (void) unused;
    scratch_make(&x);
    assert_int_equal(mkfifo(x.path, 0600), 0);
    assert_int_equal(state_read(x.path, &t, why), -EPERM);
    assert_non_null(strstr(why, "FIFO"));
    scratch_remove(&x);
}

/* A state file that group or others may write could hold anyone's records. */
static void test_state_read_refuses_a_file_others_can_write(void **unused)
{
    struct scratch x;
    struct state t;
    char why[TRUST_WHY_MAX];

    (void) unused;
    scratch_make(&x);
    write_text(x.path, forged, 0666);
    assert_int_equal(state_read(x.path, &t, why), -EPERM);
    assert_non_null(strstr(why, "writable by other users"));
    write_text(x.path, forged, 0600);
    assert_int_equal(state_read(x.path, &t, why), 0);
    assert_int_equal(t.runs_len, 1);
    state_free(&t);
    scratch_remove(&x);
}

/* Another user's file (made with chown as root; skipped otherwise). */
static void test_state_read_refuses_another_users_file(void **unused)
{
    struct scratch x;
    struct state t;
    char why[TRUST_WHY_MAX];

    (void) unused;
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: chown to another user needs root\n");
        return;
    }
    scratch_make(&x);
    write_text(x.path, forged, 0600);
    assert_int_equal(chown(x.path, 65534, 65534), 0);
    assert_int_equal(state_read(x.path, &t, why), -EPERM);
    assert_non_null(strstr(why, "owned by uid 65534"));
    scratch_remove(&x);
}

/* A symlink planted at PATH.tmp: the write used to follow it and truncate its target. */
static void test_state_write_never_writes_through_a_symlink(void **unused)
{
    struct scratch x;
    struct state s = sample(), t;
    char victim[128], tmp[128], buf[64] = "", why[TRUST_WHY_MAX];
    int fd;

    (void) unused;
    scratch_make(&x);
    snprintf(victim, sizeof(victim), "%s/victim", x.dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", x.path);
    write_text(victim, "precious\n", 0600);
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(state_write(x.path, &s), 0);
    fd = open(victim, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 9);
    close(fd);
    assert_string_equal(buf, "precious\n");
    assert_int_equal(state_read(x.path, &t, why), 0);
    assert_int_equal(t.runs_len, 2);
    state_free(&t);
    state_free(&s);
    scratch_remove(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_skips_unknown_and_broken_lines),
        cmocka_unit_test(test_state_rejects_other_files),
        cmocka_unit_test(test_state_write_is_atomic_replace),
        cmocka_unit_test(test_state_read_refuses_a_symlink),
        cmocka_unit_test(test_state_read_refuses_a_fifo_without_blocking),
        cmocka_unit_test(test_state_read_refuses_a_file_others_can_write),
        cmocka_unit_test(test_state_read_refuses_another_users_file),
        cmocka_unit_test(test_state_write_never_writes_through_a_symlink),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
