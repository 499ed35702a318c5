/* test_proc.c: the /proc readers. proc_stat_parse() on made-up stat lines (names with spaces
 * and parentheses, zombies, junk), then proc_stat_read() and proc_scan() on this process. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/fd.h"
#include "core/proc.h"

/* The fields of /proc/PID/stat after "pid (comm)", from state to starttime and a few more, as
 * a 6.x kernel writes them. */
#define TAIL_FMT "%c %d %d %d 34816 %d 4194560 1523 0 12 0 7 3 0 0 20 0 1 0 %llu " \
                 "9011200 411 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

static const struct proc_entry poison = {
    .pid = -5, .ppid = -5, .pgid = -5, .sid = -5, .state = '?', .start = 555,
};

static void make_line(char *buf, size_t len, int pid, const char *comm, char st, int ppid,
                      int pgid, int sid, unsigned long long start)
{
    int n = snprintf(buf, len, "%d (%s) ", pid, comm);

    assert_true(n > 0 && (size_t) n < len);
    n = snprintf(buf + n, len - (size_t) n, TAIL_FMT, st, ppid, pgid, sid, pgid, start);
    assert_true(n > 0);
}

static void expect_entry(const struct proc_entry *e, int pid, int ppid, int pgid, int sid,
                         char st, unsigned long long start)
{
    assert_int_equal(e->pid, pid);
    assert_int_equal(e->ppid, ppid);
    assert_int_equal(e->pgid, pgid);
    assert_int_equal(e->sid, sid);
    assert_int_equal(e->state, st);
    assert_true(e->start == start);
}

static bool is_poison(const struct proc_entry *e)
{
    return e->pid == poison.pid && e->ppid == poison.ppid && e->pgid == poison.pgid &&
           e->sid == poison.sid && e->state == poison.state && e->start == poison.start;
}

static void expect_einval(const char *text)
{
    struct proc_entry e = poison;
    int r = proc_stat_parse(text, &e);

    if (r != -EINVAL)
        fail_msg("'%s': returned %d, expected -EINVAL", text, r);
    if (!is_poison(&e))
        fail_msg("'%s': failed but wrote ret", text);
}

static void test_proc_stat_parse_reads_normal_line(void **state)
{
    char line[512];
    struct proc_entry e = poison;

    (void) state;
    make_line(line, sizeof(line), 1234, "sleep", 'S', 1000, 1234, 999, 987654ULL);
    assert_int_equal(proc_stat_parse(line, &e), 0);
    expect_entry(&e, 1234, 1000, 1234, 999, 'S', 987654ULL);
}

static void test_proc_stat_parse_reads_real_kernel_line(void **state)
{
    /* shaped like a Linux 6.x /proc/PID/stat of bash: all 52 fields and the newline */
    static const char line[] =
        "4021 (bash) S 4015 4021 4021 34816 4340 4194304 2383 8521 0 3 5 2 14 9 20 0 1 0 "
        "31337 9531392 1301 18446744073709551615 94759311650816 94759312563061 "
        "140724605085616 0 0 0 65536 3686404 1266761467 1 0 0 17 0 0 0 0 0 0 "
        "94759312807312 94759312854640 94759338348544 140724605092219 140724605092224 "
        "140724605092224 140724605095918 0\n";
    struct proc_entry e = poison;

    (void) state;
    assert_int_equal(proc_stat_parse(line, &e), 0);
    expect_entry(&e, 4021, 4015, 4021, 4021, 'S', 31337ULL);
}

static void test_proc_stat_parse_reads_large_start_time(void **state)
{
    char line[512];
    struct proc_entry e = poison;

    (void) state;
    /* start times are in clock ticks since boot: beyond 32 bits after ~1.4 years at 100 Hz
     * is not reached, but the field is 64-bit and must be read as such */
    make_line(line, sizeof(line), 7, "x", 'R', 1, 7, 7, 12345678901234ULL);
    assert_int_equal(proc_stat_parse(line, &e), 0);
    assert_true(e.start == 12345678901234ULL);
}

static void test_proc_stat_parse_name_with_spaces_and_parens(void **state)
{
    static const char *const names[] = {
        "a b",        /* a space */
        ") (",        /* the ") (" that ends a naive name scan */
        "x) S 1 2 3", /* looks like the fields that follow */
        "(((",
        ")))",
        "()",
        "",
    };
    char line[512];

    (void) state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct proc_entry e = poison;
        make_line(line, sizeof(line), 4242, names[i], 'T', 77, 88, 99, 31337ULL);
        if (proc_stat_parse(line, &e) != 0)
            fail_msg("name '%s': not parsed", names[i]);
        expect_entry(&e, 4242, 77, 88, 99, 'T', 31337ULL);
    }
}

static void test_proc_stat_parse_zombie(void **state)
{
    char line[512];
    struct proc_entry e = poison;

    (void) state;
    make_line(line, sizeof(line), 555, "defunct", 'Z', 1, 500, 500, 42ULL);
    assert_int_equal(proc_stat_parse(line, &e), 0);
    expect_entry(&e, 555, 1, 500, 500, 'Z', 42ULL);
}

static void test_proc_stat_parse_negative_fields(void **state)
{
    /* tty_nr 0, tpgid -1, nice -5 and priority 15: signed fields before starttime */
    static const char line[] = "9 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 3 0 0 15 -5 1 0 "
                               "120 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 "
                               "17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    struct proc_entry e = poison;

    (void) state;
    assert_int_equal(proc_stat_parse(line, &e), 0);
    expect_entry(&e, 9, 2, 0, 0, 'I', 120ULL);
}

static void test_proc_stat_parse_rejects_malformed(void **state)
{
    (void) state;
    expect_einval("");
    expect_einval("abc");
    expect_einval("12");
    expect_einval("12 (x");
    expect_einval("12 (x)");
    expect_einval("12 (x) R");
    expect_einval("12 (x) R 1 12 12");
    /* cut before starttime (field 22) */
    expect_einval("12 (x) R 1 12 12 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0");
    expect_einval("(x) R 1 12 12 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 100");
    expect_einval("12 (x) R a b c 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 100");
    expect_einval("12 x R 1 12 12 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 100");
}

static void test_proc_stat_read_self(void **state)
{
    struct proc_entry e = poison, again = poison;

    (void) state;
    assert_int_equal(proc_stat_read(getpid(), &e), 0);
    assert_int_equal(e.pid, getpid());
    assert_int_equal(e.ppid, getppid());
    assert_int_equal(e.pgid, getpgrp());
    assert_int_equal(e.sid, getsid(0));
    assert_int_equal(e.state, 'R'); /* we are the one reading */
    assert_true(e.start > 0);
    /* pid + start time identify a process: the start time does not move */
    assert_int_equal(proc_stat_read(getpid(), &again), 0);
    assert_true(again.start == e.start);
}

static void test_proc_stat_read_zombie_child(void **state)
{
    struct proc_entry e = poison;
    siginfo_t si;
    pid_t pid;

    (void) state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0); /* child */
    /* wait until it is a zombie, without reaping it */
    memset(&si, 0, sizeof(si));
    assert_int_equal(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(proc_stat_read(pid, &e), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(e.pid, pid);
    assert_int_equal(e.ppid, getpid());
    assert_int_equal(e.state, 'Z');
}

static void test_proc_stat_parse_threads(void **state)
{
    /* a process whose main thread has exited while two others run: 'Z', 3 threads */
    static const char line[] = "77 (srv) Z 1 77 77 0 -1 4227148 54 0 0 0 0 0 0 0 20 0 3 0 4242 "
                               "0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
                               "0 0 0 0 0 0 0 0\n";
    char zombie[512];
    struct proc_entry e = poison;

    (void) state;
    assert_int_equal(proc_stat_parse(line, &e), 0);
    expect_entry(&e, 77, 1, 77, 77, 'Z', 4242ULL);
    assert_int_equal(e.threads, 3);
    assert_true(proc_entry_alive(&e));
    /* a true zombie: its main thread is all that is left */
    make_line(zombie, sizeof(zombie), 555, "defunct", 'Z', 1, 500, 500, 42ULL);
    assert_int_equal(proc_stat_parse(zombie, &e), 0);
    assert_int_equal(e.threads, 1);
    assert_false(proc_entry_alive(&e));
    e.state = 'X';
    assert_false(proc_entry_alive(&e));
    e.state = 'T';
    assert_true(proc_entry_alive(&e));
}

static int main_thread_report_fd = -1, main_thread_hold_fd = -1;
static pthread_t main_thread;

static void *outlive_main_thread(void *arg)
{
    char c = 'j';

    (void) arg;
    /* Joinable: the kernel clears the main thread's tid as it exits, which ends the join. */
    if (pthread_join(main_thread, NULL) != 0 || fd_write_all(main_thread_report_fd, &c, 1) < 0)
        _exit(101);
    (void) fd_read_all(main_thread_hold_fd, &c, 1); /* until the test closes its end */
    _exit(0);
}

/* A real process whose main thread called pthread_exit() while another thread lives: /proc
 * says 'Z', yet it is alive. Once its last thread is gone, it is a true zombie. */
static void test_proc_stat_read_live_process_whose_main_thread_exited(void **state)
{
    struct proc_entry e = poison;
    int hold[2], report[2];
    siginfo_t si;
    pid_t pid;
    char c;

    (void) state;
    assert_int_equal(fd_pipe(hold), 0);
    assert_int_equal(fd_pipe(report), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pthread_t t;
        fd_close(&hold[1]);
        fd_close(&report[0]);
        main_thread_hold_fd = hold[0];
        main_thread_report_fd = report[1];
        main_thread = pthread_self();
        if (pthread_create(&t, NULL, outlive_main_thread, NULL) != 0)
            _exit(102);
        pthread_exit(NULL);
    }
    fd_close(&hold[0]);
    fd_close(&report[1]);
    assert_int_equal(fd_read_all(report[0], &c, 1), 1);
    fd_close(&report[0]);
    /* The join ends as the main thread leaves its memory; it shows 'Z' a moment later, once
     * its exit is complete. No event marks that moment: poll, bounded. */
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(proc_stat_read(pid, &e), 0);
        if (e.state == 'Z')
            break;
        (void) sched_yield();
        (void) usleep(1000);
    }
    assert_int_equal(e.state, 'Z');
    assert_int_equal(e.threads, 2);
    assert_true(proc_entry_alive(&e));

    fd_close(&hold[1]); /* the thread exits, and the process with it */
    memset(&si, 0, sizeof(si));
    assert_int_equal(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(proc_stat_read(pid, &e), 0);
    assert_int_equal(e.state, 'Z');
    assert_int_equal(e.threads, 1);
    assert_false(proc_entry_alive(&e));
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_proc_boot_ticks_follows_start_times(void **state)
{
    struct proc_entry e = poison;
    unsigned long long before = proc_boot_ticks(), after;
    pid_t pid;

    (void) state;
    assert_true(before > 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0); /* child */
    assert_int_equal(proc_stat_read(pid, &e), 0);
    after = proc_boot_ticks();
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    /* the same clock, the same rounding: the child started between the two readings */
    assert_true(before <= e.start);
    assert_true(e.start <= after);
}

static int add_pid(pid_t pid, void *userdata)
{
    struct proc_table *t = userdata;

    return proc_table_add(t, &(struct proc_entry){.pid = pid});
}

static int stop_calls;

static int stop_at_first(pid_t pid, void *userdata)
{
    (void) pid;
    (void) userdata;
    stop_calls++;
    return -ECANCELED;
}

static void test_proc_each_child_lists_live_and_zombie_children(void **state)
{
    struct proc_table t = {0};
    int hold[2];
    pid_t live, dead;
    siginfo_t si;
    char c;

    (void) state;
    assert_int_equal(fd_pipe(hold), 0);
    fflush(NULL);
    live = fork();
    assert_true(live >= 0);
    if (live == 0) {
        fd_close(&hold[1]);
        (void) fd_read_all(hold[0], &c, 1);
        _exit(0);
    }
    fd_close(&hold[0]);
    dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    memset(&si, 0, sizeof(si));
    assert_int_equal(waitid(P_PID, (id_t) dead, &si, WEXITED | WNOWAIT), 0);

    assert_int_equal(proc_each_child(getpid(), add_pid, &t), 0);
    assert_int_equal(t.len, 2);
    assert_true((t.v[0].pid == live && t.v[1].pid == dead) ||
                (t.v[0].pid == dead && t.v[1].pid == live));
    /* fn's error ends the walk and is returned */
    stop_calls = 0;
    assert_int_equal(proc_each_child(getpid(), stop_at_first, NULL), -ECANCELED);
    assert_int_equal(stop_calls, 1);
    fd_close(&hold[1]);
    assert_int_equal(waitpid(live, NULL, 0), live);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    proc_table_free(&t);
}

static void test_proc_stat_read_nonexistent_is_esrch(void **state)
{
    struct proc_entry e = poison;
    FILE *f;
    int pid_max = 0;

    (void) state;
    /* pids are below pid_max: this one cannot exist */
    f = fopen("/proc/sys/kernel/pid_max", "re");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid_max), 1);
    fclose(f);
    assert_true(pid_max > 1);
    assert_int_equal(proc_stat_read(pid_max, &e), -ESRCH);
    assert_true(is_poison(&e));
    assert_int_equal(proc_stat_read(-1, &e), -ESRCH);
}

static const struct proc_entry *find(const struct proc_table *t, pid_t pid)
{
    for (size_t i = 0; i < t->len; i++)
        if (t->v[i].pid == pid)
            return &t->v[i];
    return NULL;
}

static void test_proc_scan_finds_self_and_parent(void **state)
{
    struct proc_table t = {0};
    const struct proc_entry *self, *parent;

    (void) state;
    assert_int_equal(proc_scan(&t), 0);
    self = find(&t, getpid());
    parent = find(&t, getppid());
    assert_non_null(self);
    assert_non_null(parent);
    assert_int_equal(self->ppid, getppid());
    assert_int_equal(self->pgid, getpgrp());
    assert_int_equal(parent->pid, getppid());
    /* a second scan empties the table first: no duplicates */
    assert_int_equal(proc_scan(&t), 0);
    self = find(&t, getpid());
    assert_non_null(self);
    for (size_t i = 0; i < t.len; i++)
        if (&t.v[i] != self && t.v[i].pid == getpid())
            fail_msg("pid %d listed twice", (int) getpid());
    proc_table_free(&t);
    assert_null(t.v);
    assert_int_equal(t.len, 0);
}

static int cmp_pid(const void *a, const void *b)
{
    const struct proc_entry *x = a, *y = b;

    return (x->pid > y->pid) - (x->pid < y->pid);
}

/* /proc/self and /proc/thread-self must not be read as more processes */
static void test_proc_scan_lists_each_pid_once(void **state)
{
    struct proc_table t = {0};

    (void) state;
    assert_int_equal(proc_scan(&t), 0);
    assert_true(t.len > 1);
    qsort(t.v, t.len, sizeof(t.v[0]), cmp_pid);
    for (size_t i = 0; i < t.len; i++) {
        assert_true(t.v[i].pid > 0);
        if (i > 0 && t.v[i].pid == t.v[i - 1].pid)
            fail_msg("pid %d listed twice", (int) t.v[i].pid);
    }
    proc_table_free(&t);
}

/* Children that wait for the end of a pipe, many enough that our children file is longer
 * than one read (numbers cut between reads), and one grandchild in a session of its own. */
enum { N_KIDS = 1200 };

static void test_proc_scan_descendants_finds_children_and_grandchild(void **state)
{
    static pid_t kids[N_KIDS];
    struct proc_table t = {0};
    int hold[2], report[2];
    pid_t grandchild;
    int r;

    (void) state;
    assert_int_equal(fd_pipe(hold), 0);
    assert_int_equal(fd_pipe(report), 0);
    fflush(NULL);
    for (int i = 0; i < N_KIDS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            char c;
            fd_close(&hold[1]);
            if (i == 0) {
                /* the grandchild leaves the session; it waits on the same pipe */
                pid_t g = fork();
                if (g == 0) {
                    pid_t me = getpid();
                    if (setsid() < 0 || fd_write_all(report[1], &me, sizeof(me)) < 0)
                        _exit(1);
                }
            }
            (void) fd_read_all(hold[0], &c, 1);
            _exit(0);
        }
    }
    fd_close(&hold[0]);
    fd_close(&report[1]);
    assert_int_equal(fd_read_all(report[0], &grandchild, sizeof(grandchild)),
                     (ssize_t) sizeof(grandchild));
    fd_close(&report[0]);

    r = proc_scan_descendants(getpid(), &t);
    if (r == -ENOSYS) {
        fd_close(&hold[1]);
        for (int i = 0; i < N_KIDS; i++)
            assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
        skip();
    }
    assert_int_equal(r, 0);
    /* root first, then everyone once */
    assert_int_equal(t.v[0].pid, getpid());
    assert_int_equal((int) t.len, 1 + N_KIDS + 1);
    for (int i = 0; i < N_KIDS; i++) {
        const struct proc_entry *e = find(&t, kids[i]);
        assert_non_null(e);
        assert_int_equal(e->ppid, getpid());
    }
    assert_non_null(find(&t, grandchild));
    assert_int_equal(find(&t, grandchild)->ppid, kids[0]);
    assert_int_equal(find(&t, grandchild)->sid, grandchild);
    qsort(t.v, t.len, sizeof(t.v[0]), cmp_pid);
    for (size_t i = 1; i < t.len; i++)
        if (t.v[i].pid == t.v[i - 1].pid)
            fail_msg("pid %d listed twice", (int) t.v[i].pid);

    /* the end of the pipe lets all of them go; the grandchild's parent is reaped below, and
     * the grandchild ends with the pipe as well (init or a subreaper reaps it) */
    fd_close(&hold[1]);
    for (int i = 0; i < N_KIDS; i++)
        assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
    proc_table_free(&t);
}

static void test_proc_scan_descendants_of_gone_root_is_empty(void **state)
{
    struct proc_table t = {0};
    pid_t pid;

    (void) state;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    /* reaped: nothing of it is left to list (ENOSYS: no children files on this kernel) */
    int r = proc_scan_descendants(pid, &t);
    assert_true(r == 0 || r == -ENOSYS);
    assert_int_equal(t.len, 0);
    proc_table_free(&t);
}

static void test_proc_table_add_grows(void **state)
{
    struct proc_table t = {0};

    (void) state;
    for (int i = 1; i <= 1000; i++) {
        struct proc_entry e = {.pid = i, .ppid = i - 1, .state = 'S', .start = (unsigned) i * 3};
        assert_int_equal(proc_table_add(&t, &e), 0);
    }
    assert_int_equal(t.len, 1000);
    assert_true(t.cap >= 1000);
    for (int i = 1; i <= 1000; i++) {
        assert_int_equal(t.v[i - 1].pid, i);
        assert_true(t.v[i - 1].start == (unsigned long long) i * 3);
    }
    proc_table_free(&t);
    assert_null(t.v);
    assert_int_equal(t.len, 0);
    assert_int_equal(t.cap, 0);
    proc_table_free(&t); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_stat_parse_reads_normal_line),
        cmocka_unit_test(test_proc_stat_parse_reads_real_kernel_line),
        cmocka_unit_test(test_proc_stat_parse_reads_large_start_time),
        cmocka_unit_test(test_proc_stat_parse_name_with_spaces_and_parens),
        cmocka_unit_test(test_proc_stat_parse_zombie),
        cmocka_unit_test(test_proc_stat_parse_negative_fields),
        cmocka_unit_test(test_proc_stat_parse_rejects_malformed),
        cmocka_unit_test(test_proc_stat_read_self),
        cmocka_unit_test(test_proc_stat_read_zombie_child),
        cmocka_unit_test(test_proc_stat_parse_threads),
        cmocka_unit_test(test_proc_stat_read_live_process_whose_main_thread_exited),
        cmocka_unit_test(test_proc_boot_ticks_follows_start_times),
        cmocka_unit_test(test_proc_each_child_lists_live_and_zombie_children),
        cmocka_unit_test(test_proc_stat_read_nonexistent_is_esrch),
        cmocka_unit_test(test_proc_scan_finds_self_and_parent),
        cmocka_unit_test(test_proc_scan_lists_each_pid_once),
        cmocka_unit_test(test_proc_scan_descendants_finds_children_and_grandchild),
        cmocka_unit_test(test_proc_scan_descendants_of_gone_root_is_empty),
        cmocka_unit_test(test_proc_table_add_grows),
    };

    return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
