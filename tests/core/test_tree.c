/* test_tree.c: who belongs to a job, on made-up process tables. The shape of the main table:
 *
 *   1 init ─┬─ 100 supervisor (root, excluded) ─┬─ 200 [G] ─┬─ 201 [G] ─ 300 setsid ─ 301 ─ 302
 *           │                                   │           ├─ 202 [G] zombie      └─ 303 zombie
 *           │                                   │           └─ 203 [G] dead (X)
 *           │                                   └─ 400 orphan adopted by the subreaper root
 *           ├─ 500 [G] member re-parented to init
 *           └─ 600 unrelated ─ 601
 *   0 ─ 2 kthreadd (pgid 0) ─ 3 kworker (pgid 0)
 *   700 whose parent 999 is gone
 *
 * [G]: in the job's group 200. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/tree.h"

#define ROOT 100
#define GROUP 200

/* pid, ppid, pgid, sid, state; one thread; the start time is derived from the pid */
#define P(pid, ppid, pgid, sid, st) PT(pid, ppid, pgid, sid, st, 1)
/* the same with n threads (a zombie main thread still counts as one) */
#define PT(pid_, ppid_, pgid_, sid_, st, n)                                                     \
    {.pid = (pid_), .ppid = (ppid_), .pgid = (pgid_), .sid = (sid_), .state = (st),             \
     .threads = (n), .start = (pid_) * 10ULL + 7}

static const struct proc_entry world[] = {
    P(1, 0, 1, 1, 'S'),
    P(2, 0, 0, 0, 'S'),
    P(3, 2, 0, 0, 'I'),
    P(ROOT, 1, ROOT, ROOT, 'S'),
    P(200, ROOT, GROUP, ROOT, 'S'),
    P(201, 200, GROUP, ROOT, 'R'),
    P(202, 200, GROUP, ROOT, 'Z'),
    P(203, 200, GROUP, ROOT, 'X'),
    P(300, 201, 300, 300, 'S'),
    P(301, 300, 300, 300, 'T'),
    P(302, 301, 302, 300, 'D'),
    P(303, 300, 300, 300, 'Z'),
    P(400, ROOT, 400, 400, 'S'),
    P(500, 1, GROUP, ROOT, 'S'),
    P(600, 1, 600, 600, 'S'),
    P(601, 600, 600, 600, 'S'),
    P(700, 999, 700, 700, 'S'),
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct proc_table table_of(const struct proc_entry *v, size_t len)
{
    struct proc_table t = {0};

    for (size_t i = 0; i < len; i++)
        assert_int_equal(proc_table_add(&t, &v[i]), 0);
    return t;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;

    return (x > y) - (x < y);
}

/* Runs tree_members and checks that the members are exactly want (any order), and that the
 * returned count, the entries' contents and the input table are right. */
static void expect_members(const struct proc_entry *v, size_t len, struct tree_scope scope,
                           const int *want, size_t want_len)
{
    struct proc_table t = table_of(v, len), ret = {0};
    int got[64], expected[64];
    int n;

    assert_true(want_len <= LEN(expected));
    n = tree_members(&t, &scope, &ret);
    if (n < 0)
        fail_msg("tree_members returned %d", n);
    assert_int_equal((size_t) n, ret.len);
    for (size_t i = 0; i < ret.len && i < LEN(got); i++) {
        got[i] = ret.v[i].pid;
        /* the entry is copied whole, not just its pid */
        assert_true(ret.v[i].start == ret.v[i].pid * 10ULL + 7);
    }
    memcpy(expected, want, want_len * sizeof(*want));
    qsort(got, ret.len < LEN(got) ? ret.len : LEN(got), sizeof(int), cmp_int);
    qsort(expected, want_len, sizeof(int), cmp_int);
    if (ret.len != want_len || memcmp(got, expected, want_len * sizeof(int)) != 0) {
        char g[512] = "", w[512] = "";
        for (size_t i = 0; i < ret.len && i < LEN(got); i++)
            snprintf(g + strlen(g), sizeof(g) - strlen(g), " %d", got[i]);
        for (size_t i = 0; i < want_len; i++)
            snprintf(w + strlen(w), sizeof(w) - strlen(w), " %d", expected[i]);
        fail_msg("scope {pgid %d, root %d, exclude %d}: members{%s }, expected{%s }",
                 (int) scope.pgid, (int) scope.root, (int) scope.exclude, g, w);
    }
    /* the snapshot itself is left as it was */
    assert_int_equal(t.len, len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(t.v[i].pid, v[i].pid);
    proc_table_free(&t);
    proc_table_free(&ret);
}

static bool is_member(const struct proc_entry *v, size_t len, struct tree_scope scope,
                      pid_t pid)
{
    struct proc_table t = table_of(v, len), ret = {0};
    bool found = false;

    assert_true(tree_members(&t, &scope, &ret) >= 0);
    for (size_t i = 0; i < ret.len; i++)
        found |= ret.v[i].pid == pid;
    proc_table_free(&t);
    proc_table_free(&ret);
    return found;
}

static const struct tree_scope job = {.pgid = GROUP, .root = ROOT, .exclude = ROOT};

static void test_tree_members_whole_job(void **state)
{
    static const int want[] = {200, 201, 300, 301, 302, 400, 500};

    (void) state;
    expect_members(world, LEN(world), job, want, LEN(want));
}

static void test_tree_members_finds_group(void **state)
{
    (void) state;
    assert_true(is_member(world, LEN(world), job, 200));
    assert_true(is_member(world, LEN(world), job, 201));
    /* in the group though its parent is init: the group is enough */
    assert_true(is_member(world, LEN(world), job, 500));
}

static void test_tree_members_finds_setsid_escapee(void **state)
{
    (void) state;
    /* other pgid and sid: found through its parent 201 */
    assert_true(is_member(world, LEN(world), job, 300));
}

static void test_tree_members_finds_escapee_descendants(void **state)
{
    (void) state;
    assert_true(is_member(world, LEN(world), job, 301));
    assert_true(is_member(world, LEN(world), job, 302)); /* left the escapee's group too */
}

static void test_tree_members_finds_orphan_of_root(void **state)
{
    (void) state;
    assert_true(is_member(world, LEN(world), job, 400));
}

static void test_tree_members_ignores_outsiders(void **state)
{
    static const pid_t outside[] = {1, 2, 3, ROOT, 600, 601, 700};

    (void) state;
    for (size_t i = 0; i < LEN(outside); i++)
        if (is_member(world, LEN(world), job, outside[i]))
            fail_msg("pid %d is not in the job", (int) outside[i]);
}

static void test_tree_members_excludes_zombies(void **state)
{
    (void) state;
    assert_false(is_member(world, LEN(world), job, 202));
    assert_false(is_member(world, LEN(world), job, 203));
    assert_false(is_member(world, LEN(world), job, 303));
}

/* A process whose main thread called pthread_exit() while another thread runs shows 'Z' in
 * /proc/PID/stat, with the zombie main thread still counted among its threads: it lives, and
 * kill(2) reaches it. A true zombie has one thread (its main one) left. */
static void test_tree_members_keeps_process_whose_main_thread_exited(void **state)
{
    static const struct proc_entry v[] = {
        P(1, 0, 1, 1, 'S'),
        P(ROOT, 1, ROOT, ROOT, 'S'),
        P(200, ROOT, GROUP, ROOT, 'S'),
        PT(300, 200, 300, 300, 'Z', 2), /* setsid() escapee, main thread gone */
        P(301, 300, 300, 300, 'S'),     /* forked by its live thread */
        PT(400, ROOT, 400, 400, 'Z', 3),
        PT(500, ROOT, 500, 500, 'Z', 1), /* a true zombie */
        PT(600, ROOT, 600, 600, 'X', 1),
    };
    static const int want[] = {200, 300, 301, 400};

    (void) state;
    expect_members(v, LEN(v), job, want, LEN(want));
}

static void test_tree_members_excludes_exclude(void **state)
{
    /* timeout(1)'s shape: the supervisor is in the job's group itself */
    static const struct proc_entry v[] = {
        P(1, 0, 1, 1, 'S'),
        P(50, 1, 50, 50, 'S'),
        P(100, 50, 100, 50, 'S'),
        P(101, 100, 100, 50, 'S'),
        P(102, 101, 100, 50, 'S'),
    };
    static const int want[] = {101, 102};
    static const int want_all[] = {100, 101, 102};

    (void) state;
    expect_members(v, LEN(v), (struct tree_scope){.pgid = 100, .root = 100, .exclude = 100},
                   want, LEN(want));
    /* exclude 0 is none */
    expect_members(v, LEN(v), (struct tree_scope){.pgid = 100, .root = 100, .exclude = 0},
                   want_all, LEN(want_all));
    /* a group member excluded; its children still found */
    assert_false(is_member(world, LEN(world),
                           (struct tree_scope){.pgid = GROUP, .root = ROOT, .exclude = 200},
                           200));
    assert_true(is_member(world, LEN(world),
                          (struct tree_scope){.pgid = GROUP, .root = ROOT, .exclude = 200},
                          201));
}

static void test_tree_members_pgid_zero_is_descendants_of_root(void **state)
{
    /* 500 is in group 200 but not below the root: not found without the group. Kernel
     * threads 2 and 3 have pgid 0 and must not match "no group". */
    static const int want[] = {200, 201, 300, 301, 302, 400};

    (void) state;
    expect_members(world, LEN(world), (struct tree_scope){.pgid = 0, .root = ROOT}, want,
                   LEN(want));
    expect_members(world, LEN(world), (struct tree_scope){.pgid = 0, .root = ROOT,
                                                          .exclude = ROOT},
                   want, LEN(want));
}

static void test_tree_members_pgid_zero_ignores_kernel_threads(void **state)
{
    static const struct proc_entry v[] = {
        P(1, 0, 1, 1, 'S'),
        P(2, 0, 0, 0, 'S'),
        P(3, 2, 0, 0, 'I'),
        P(4, 2, 0, 0, 'I'),
        P(10, 1, 10, 10, 'S'),
        P(11, 10, 10, 10, 'S'),
    };
    static const int want[] = {11};

    (void) state;
    expect_members(v, LEN(v), (struct tree_scope){.pgid = 0, .root = 10, .exclude = 10}, want,
                   LEN(want));
}

static void test_tree_members_parent_loop_does_not_hang(void **state)
{
    /* corrupt snapshot: 10 <-> 11, 20 its own parent, 30 -> 31 -> 32 -> 30 */
    static const struct proc_entry v[] = {
        P(1, 0, 1, 1, 'S'),
        P(10, 11, 10, 10, 'S'),
        P(11, 10, 11, 11, 'S'),
        P(20, 20, 20, 20, 'S'),
        P(30, 31, 30, 30, 'S'),
        P(31, 32, 31, 31, 'S'),
        P(32, 30, GROUP, 32, 'S'), /* in the group: pulls 30 and 31 in */
        P(40, 11, 40, 40, 'S'),    /* hangs off the outside loop */
        P(41, 30, 41, 41, 'S'),    /* hangs off the member loop */
    };
    static const int want[] = {30, 31, 32, 41};

    (void) state;
    expect_members(v, LEN(v), job, want, LEN(want));
}

static void test_tree_members_unsorted_input(void **state)
{
    static const int want[] = {200, 201, 300, 301, 302, 400, 500};
    struct proc_entry v[LEN(world)];

    (void) state;
    /* reversed: children before their parents */
    for (size_t i = 0; i < LEN(world); i++)
        v[i] = world[LEN(world) - 1 - i];
    expect_members(v, LEN(v), job, want, LEN(want));
    /* every rotation, and a fixed shuffle of each */
    for (size_t r = 1; r < LEN(world); r++) {
        for (size_t i = 0; i < LEN(world); i++)
            v[i] = world[(i + r) % LEN(world)];
        expect_members(v, LEN(v), job, want, LEN(want));
        for (size_t i = 0; i < LEN(world); i++)
            v[i] = world[(i * 7 + r) % LEN(world)]; /* 7 is prime to 17 */
        expect_members(v, LEN(v), job, want, LEN(want));
    }
}

static void test_tree_members_empty_table(void **state)
{
    struct proc_table t = {0}, ret = {0};
    const struct proc_entry stale = P(42, 1, GROUP, 42, 'S');

    (void) state;
    /* ret is emptied first, even when there is nothing to add */
    assert_int_equal(proc_table_add(&ret, &stale), 0);
    assert_int_equal(tree_members(&t, &job, &ret), 0);
    assert_int_equal(ret.len, 0);
    proc_table_free(&ret);
}

static void test_tree_members_empties_ret_first(void **state)
{
    static const int want[] = {200, 201, 300, 301, 302, 400, 500};
    struct proc_table t = table_of(world, LEN(world)), ret = {0};

    (void) state;
    assert_int_equal(tree_members(&t, &job, &ret), (int) LEN(want));
    assert_int_equal(tree_members(&t, &job, &ret), (int) LEN(want));
    assert_int_equal(ret.len, LEN(want));
    proc_table_free(&t);
    proc_table_free(&ret);
}

static void test_tree_members_deep_chain(void **state)
{
    /* A fork chain as deep as the smallest pid_max allows, each process the parent of the
     * next, only the top one in the group. Pids decrease down the chain (they wrapped), so
     * sorting by pid puts the bottom first and nothing is known yet when it is resolved. */
    enum { DEPTH = 32768, TOP = 1000000 };
    struct proc_table t = {0}, ret = {0};

    (void) state;
    for (int i = 0; i < DEPTH; i++) {
        struct proc_entry e = {.pid = TOP - i, .ppid = i ? TOP - i + 1 : 1,
                               .pgid = i ? TOP - i : GROUP, .sid = TOP - i, .state = 'S'};
        assert_int_equal(proc_table_add(&t, &e), 0);
    }
    assert_int_equal(tree_members(&t, &(struct tree_scope){.pgid = GROUP, .root = ROOT}, &ret),
                     DEPTH);
    proc_table_free(&t);
    proc_table_free(&ret);
}

static void test_tree_contains(void **state)
{
    struct proc_table t = table_of(world, LEN(world)), empty = {0};

    (void) state;
    assert_true(tree_contains(&t, 300, 300 * 10ULL + 7));
    assert_true(tree_contains(&t, 1, 17));
    assert_true(tree_contains(&t, 700, 700 * 10ULL + 7));
    /* same pid, other start time: a recycled pid is another process */
    assert_false(tree_contains(&t, 300, 300 * 10ULL + 8));
    assert_false(tree_contains(&t, 300, 0));
    /* start time of another process */
    assert_false(tree_contains(&t, 301, 300 * 10ULL + 7));
    assert_false(tree_contains(&t, 999, 999 * 10ULL + 7));
    assert_false(tree_contains(&empty, 300, 300 * 10ULL + 7));
    proc_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_members_whole_job),
        cmocka_unit_test(test_tree_members_finds_group),
        cmocka_unit_test(test_tree_members_finds_setsid_escapee),
        cmocka_unit_test(test_tree_members_finds_escapee_descendants),
        cmocka_unit_test(test_tree_members_finds_orphan_of_root),
        cmocka_unit_test(test_tree_members_ignores_outsiders),
        cmocka_unit_test(test_tree_members_excludes_zombies),
        cmocka_unit_test(test_tree_members_keeps_process_whose_main_thread_exited),
        cmocka_unit_test(test_tree_members_excludes_exclude),
        cmocka_unit_test(test_tree_members_pgid_zero_is_descendants_of_root),
        cmocka_unit_test(test_tree_members_pgid_zero_ignores_kernel_threads),
        cmocka_unit_test(test_tree_members_parent_loop_does_not_hang),
        cmocka_unit_test(test_tree_members_unsorted_input),
        cmocka_unit_test(test_tree_members_empty_table),
        cmocka_unit_test(test_tree_members_empties_ret_first),
        cmocka_unit_test(test_tree_contains),
        /* last: a stack overflow ends the whole binary */
        cmocka_unit_test(test_tree_members_deep_chain),
    };

    return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
