/* test_supervisor.c: the daemon's job life cycle (src/daemon/supervisor.c) with fake runs: the
 * state table, the restart policy, backoff, reloads and the stop order. Configs are real
 * files read by config_load(); runs are simulated: start records a pid, the test ends runs
 * with supervisor_run_exited(). Timers run on a real libev loop with tiny durations; only
 * the order of states is checked, never a duration. */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/namespec.h"
#include "daemon/supervisor.h"

struct fake {
    struct ev_loop *loop;
    struct supervisor *sup;
    int starts;
    int fail_starts;          /* the next n starts fail with -ENOENT */
    int terminates;
    int last_sig;
    double last_grace;
    int signals;
    bool all_stopped;
    char dir[64];
    pid_t next_pid;
    bool defer_started;       /* starts are reported by the test (report_started) */
    struct job *launching[16];
    size_t launching_len;
};

static int fake_start(struct job *job, void *userdata)
{
    struct fake *f = userdata;

    f->starts++;
    if (f->fail_starts > 0) {
        f->fail_starts--;
        return -ENOENT;
    }
    job->pid = ++f->next_pid;
    job->pgid = job->pid;
    if (f->defer_started)
        f->launching[f->launching_len++] = job;
    else
        supervisor_run_started(job); /* a start reported at once, as from inside the call */
    return 0;
}

static int fake_terminate(struct job *job, int sig, double grace_s, void *userdata)
{
    struct fake *f = userdata;

    (void) job;
    f->terminates++;
    f->last_sig = sig;
    f->last_grace = grace_s;
    return 0;
}

static int fake_signal(struct job *job, int sig, bool tree, void *userdata)
{
    struct fake *f = userdata;

    (void) job;
    (void) sig;
    (void) tree;
    f->signals++;
    return 0;
}

static const struct supervisor_ops fake_ops = {
    .start = fake_start, .terminate = fake_terminate, .signal = fake_signal,
};

static struct config *load_text(struct fake *f, const char *text)
{
    char path[128];
    struct config *c = NULL;
    struct config_diag diag;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/pgsup.conf", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "[pgsup]\nsocket = %s/sock\n\n%s", f->dir, text);
    assert_int_equal(fclose(fp), 0);
    if (config_load(path, NULL, NULL, &c, &diag) < 0)
        fail_msg("config: line %u: %s: %s", diag.line, diag.key ? diag.key : "-", diag.message);
    return c;
}

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/pgsup-supervisor-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->loop = ev_loop_new(EVFLAG_AUTO);
    f->sup = supervisor_new(f->loop, &fake_ops, f);
    f->next_pid = 1000;
    assert_non_null(f->sup);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fake *f = *state;
    char path[128];

    supervisor_free(f->sup);
    ev_loop_destroy(f->loop);
    snprintf(path, sizeof(path), "%s/pgsup.conf", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void apply(struct fake *f, const char *text, struct supervisor_diff *diff)
{
    assert_int_equal(supervisor_apply(f->sup, load_text(f, text), NULL, diff), 0);
}

static struct job *job(struct fake *f, const char *name)
{
    struct job *j = supervisor_find(f->sup, name);

    assert_non_null(j);
    return j;
}

/* Runs the loop until the job is in state (timers fire), bounded by a generous count. */
static void run_until(struct fake *f, const char *name, enum job_state state)
{
    for (int i = 0; i < 100000 && job(f, name)->state != state; i++)
        ev_run(f->loop, EVRUN_ONCE);
    assert_string_equal(supervisor_state_name(job(f, name)->state), supervisor_state_name(state));
}

static void end_run(struct job *j, int code, int sig, double up_s)
{
    supervisor_run_exited(j, &(struct job_exit){.exit_code = sig ? -1 : code,
                                                .term_signal = sig, .up_s = up_s});
}

static void test_supervisor_start_reaches_running(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = sleep 100\nstartsecs = 0.01\n", NULL);
    assert_int_equal(job(f, "a")->state, JOB_STARTING);
    assert_int_equal(f->starts, 1);
    run_until(f, "a", JOB_RUNNING);
    assert_int_equal(job(f, "a")->pid, 1001);
}

static void test_supervisor_startsecs_zero_is_running_at_once(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = true\nstartsecs = 0\n", NULL);
    assert_int_equal(job(f, "a")->state, JOB_RUNNING);
    end_run(job(f, "a"), 0, 0, 0.001);
    assert_int_equal(job(f, "a")->state, JOB_EXITED); /* 0 is expected: no restart */
}

static void test_supervisor_autostart_false_stays_stopped(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = true\nautostart = false\n", NULL);
    assert_int_equal(job(f, "a")->state, JOB_STOPPED);
    assert_int_equal(f->starts, 0);
    assert_int_equal(supervisor_start(job(f, "a")), 0);
    assert_int_equal(job(f, "a")->state, JOB_STARTING);
}

static void test_supervisor_quick_exits_back_off_then_fatal(void **state)
{
    struct fake *f = *state;
    double delays[3];

    apply(f, "[program:a]\ncommand = false\nstartsecs = 10\nstartretries = 2\n"
             "backoff_initial = 0.01\nbackoff_max = 1\n", NULL);
    for (int i = 0; i < 2; i++) {
        end_run(job(f, "a"), 1, 0, 0.001);
        assert_int_equal(job(f, "a")->state, JOB_BACKOFF);
        delays[i] = job(f, "a")->delay_s;
        run_until(f, "a", JOB_STARTING);
    }
    end_run(job(f, "a"), 1, 0, 0.001);
    assert_int_equal(job(f, "a")->state, JOB_FATAL);
    assert_int_equal(f->starts, 3); /* startretries + 1 */
    assert_true(delays[1] > delays[0]);
    assert_string_equal(job(f, "a")->last_exit, "exited 1");
    (void) delays[2];
    /* start from FATAL: a fresh start */
    assert_int_equal(supervisor_start(job(f, "a")), 0);
    assert_int_equal(job(f, "a")->state, JOB_STARTING);
    assert_int_equal(job(f, "a")->failures, 0);
}

static void test_supervisor_spawn_failure_counts_as_quick_exit(void **state)
{
    struct fake *f = *state;

    f->fail_starts = 100;
    apply(f, "[program:a]\ncommand = nope\nstartretries = 1\nbackoff_initial = 0.01\n", NULL);
    assert_int_equal(job(f, "a")->state, JOB_BACKOFF);
    assert_non_null(strstr(job(f, "a")->last_exit, "cannot start"));
    run_until(f, "a", JOB_FATAL);
    assert_int_equal(f->starts, 2);
    assert_false(job(f, "a")->has_run);
}

static void test_supervisor_stop_waits_for_the_tree(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = sleep 100\nstartsecs = 0\nstopsignal = INT\n"
             "stopwaitsecs = 7\n", NULL);
    assert_int_equal(supervisor_stop(job(f, "a")), 0);
    assert_int_equal(job(f, "a")->state, JOB_STOPPING);
    assert_int_equal(f->last_sig, SIGINT);
    assert_float_equal(f->last_grace, 7, 0);
    assert_false(supervisor_settled(job(f, "a")));
    assert_int_equal(supervisor_stop(job(f, "a")), 0); /* still stopping: wait with it */
    end_run(job(f, "a"), -1, SIGINT, 1);
    assert_int_equal(job(f, "a")->state, JOB_STOPPED);
    assert_true(supervisor_settled(job(f, "a")));
    assert_int_equal(f->starts, 1); /* no restart after a stop */
    assert_int_equal(supervisor_stop(job(f, "a")), -EALREADY);
}

static void test_supervisor_autorestart_unexpected(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = x\nstartsecs = 0\nexitcodes = 0,2\n"
             "backoff_initial = 0.01\nbackoff_max = 0.02\n", NULL);
    end_run(job(f, "a"), 2, 0, 5);
    assert_int_equal(job(f, "a")->state, JOB_EXITED); /* 2 is expected */
    assert_int_equal(supervisor_start(job(f, "a")), 0);
    end_run(job(f, "a"), 1, 0, 5);
    /* unexpected after a stable run (5 s > backoff_max): restarted at once */
    assert_int_equal(job(f, "a")->state, JOB_RUNNING);
    assert_int_equal(job(f, "a")->restarts, 1);
    end_run(job(f, "a"), 1, 0, 0.001);
    /* unexpected after an unstable run: after a delay */
    assert_int_equal(job(f, "a")->state, JOB_BACKOFF);
    run_until(f, "a", JOB_RUNNING);
    /* a signal we sent is expected; another is not */
    assert_int_equal(supervisor_signal(job(f, "a"), SIGHUP, false), 0);
    assert_int_equal(f->signals, 1);
    end_run(job(f, "a"), -1, SIGHUP, 5);
    assert_int_equal(job(f, "a")->state, JOB_EXITED);
    assert_int_equal(supervisor_start(job(f, "a")), 0);
    end_run(job(f, "a"), -1, SIGSEGV, 5);
    assert_int_equal(job(f, "a")->state, JOB_RUNNING);
    assert_string_equal(job(f, "a")->last_exit, "killed by SEGV");
}

static void test_supervisor_autorestart_false_and_true(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:n]\ncommand = x\nstartsecs = 0\nautorestart = false\n"
             "[program:y]\ncommand = x\nstartsecs = 0\nautorestart = true\n", NULL);
    end_run(job(f, "n"), 1, 0, 100);
    assert_int_equal(job(f, "n")->state, JOB_EXITED);
    end_run(job(f, "y"), 0, 0, 100);
    assert_int_equal(job(f, "y")->state, JOB_RUNNING);
}

static void test_supervisor_unstable_runs_back_off_longer(void **state)
{
    struct fake *f = *state;
    double last = 0;

    apply(f, "[program:a]\ncommand = x\nstartsecs = 0\nautorestart = true\n"
             "backoff_initial = 0.001\nbackoff_max = 100\n", NULL);
    for (int i = 0; i < 5; i++) {
        end_run(job(f, "a"), 0, 0, 0.5); /* running, but shorter than backoff_max */
        assert_int_equal(job(f, "a")->state, JOB_BACKOFF);
        assert_true(job(f, "a")->delay_s > last);
        last = job(f, "a")->delay_s;
        run_until(f, "a", JOB_RUNNING);
    }
    assert_int_equal(job(f, "a")->failures, 0); /* never FATAL: it did start each time */
}

static void test_supervisor_restart_defers_start_until_stopped(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = x\nstartsecs = 0\n", NULL);
    assert_int_equal(supervisor_restart(job(f, "a")), 0);
    assert_int_equal(job(f, "a")->state, JOB_STOPPING);
    assert_int_equal(f->starts, 1); /* never two trees of one job */
    end_run(job(f, "a"), -1, SIGTERM, 1);
    assert_int_equal(job(f, "a")->state, JOB_RUNNING);
    assert_int_equal(f->starts, 2);
    /* restart, then stop: the stop wins */
    assert_int_equal(supervisor_restart(job(f, "a")), 0);
    assert_int_equal(supervisor_stop(job(f, "a")), 0);
    end_run(job(f, "a"), -1, SIGTERM, 1);
    assert_int_equal(job(f, "a")->state, JOB_STOPPED);
    assert_int_equal(f->starts, 2);
}

static void test_supervisor_table_ignores_meaningless_events(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = x\nstartsecs = 0\nautostart = false\n", NULL);
    assert_false(supervisor_dispatch(job(f, "a"), JOB_EV_STOP));
    assert_false(supervisor_dispatch(job(f, "a"), JOB_EV_RETRY));
    assert_true(supervisor_dispatch(job(f, "a"), JOB_EV_START));
    assert_false(supervisor_dispatch(job(f, "a"), JOB_EV_START));
    assert_int_equal(supervisor_start(job(f, "a")), -EALREADY);
}

static void test_supervisor_reload_applies_only_the_difference(void **state)
{
    struct fake *f = *state;
    struct supervisor_diff d;
    struct job *a, *b, *c;

    apply(f, "[program:a]\ncommand = sleep 1\nstartsecs = 0\n"
             "[program:b]\ncommand = sleep 2\nstartsecs = 0\n"
             "[program:c]\ncommand = sleep 3\nstartsecs = 0\n", &d);
    assert_int_equal(d.added, 3);
    a = job(f, "a");
    b = job(f, "b");
    c = job(f, "c");
    pid_t a_pid = a->pid, c_pid = c->pid;
    apply(f, "[program:a]\ncommand = sleep 1\nstartsecs = 0\n"
             "[program:c]\ncommand = sleep 33\nstartsecs = 0\n"
             "[program:d]\ncommand = sleep 4\nstartsecs = 0\n", &d);
    assert_int_equal(d.added, 1);
    assert_int_equal(d.removed, 1);
    assert_int_equal(d.changed, 1);
    assert_int_equal(d.unchanged, 1);
    assert_ptr_equal(job(f, "a"), a); /* untouched */
    assert_int_equal(a->pid, a_pid);
    assert_int_equal(a->state, JOB_RUNNING);
    assert_int_equal(b->state, JOB_STOPPING);
    assert_true(b->leaving);
    assert_int_equal(c->state, JOB_STOPPING);
    assert_string_equal(c->spec->command, "sleep 3"); /* until its tree is gone */
    assert_int_equal(job(f, "d")->state, JOB_RUNNING);
    assert_int_equal(supervisor_count(f->sup), 4);
    end_run(b, -1, SIGTERM, 1);
    assert_null(supervisor_find(f->sup, "b")); /* freed once its tree was gone */
    end_run(c, -1, SIGTERM, 1);
    assert_int_equal(c->state, JOB_RUNNING);
    assert_string_equal(c->spec->command, "sleep 33");
    assert_true(c->pid != c_pid);
    assert_int_equal(supervisor_count(f->sup), 3);
}

static void test_supervisor_reload_revives_a_leaving_job(void **state)
{
    struct fake *f = *state;
    struct supervisor_diff d;
    struct job *a;

    apply(f, "[program:a]\ncommand = sleep 1\nstartsecs = 0\n", NULL);
    a = job(f, "a");
    apply(f, "[program:z]\ncommand = sleep 1\nstartsecs = 0\n", NULL);
    assert_int_equal(a->state, JOB_STOPPING);
    apply(f, "[program:a]\ncommand = sleep 1\nstartsecs = 0\n"
             "[program:z]\ncommand = sleep 1\nstartsecs = 0\n", &d);
    assert_ptr_equal(job(f, "a"), a); /* the same job: never two trees of one name */
    assert_false(a->leaving);
    assert_int_equal(a->state, JOB_STOPPING);
    assert_int_equal(f->starts, 2); /* a, z */
    end_run(a, -1, SIGTERM, 1);
    assert_int_equal(a->state, JOB_RUNNING);
    assert_int_equal(f->starts, 3);
}

static void on_all_stopped(void *userdata)
{
    ((struct fake *) userdata)->all_stopped = true;
}

static void test_supervisor_stop_all_in_reverse_priority(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:db]\ncommand = x\nstartsecs = 0\npriority = 1\n"
             "[program:app1]\ncommand = x\nstartsecs = 0\npriority = 2\n"
             "[program:app2]\ncommand = x\nstartsecs = 0\npriority = 2\n"
             "[program:web]\ncommand = x\nstartsecs = 0\npriority = 3\n"
             "[program:idle]\ncommand = x\nstartsecs = 0\nautostart = false\n", NULL);
    assert_int_equal(job(f, "db")->pid, 1001); /* started in priority order */
    assert_int_equal(job(f, "web")->pid, 1004);
    supervisor_stop_all(f->sup, on_all_stopped, f);
    assert_int_equal(job(f, "web")->state, JOB_STOPPING);
    assert_int_equal(job(f, "app1")->state, JOB_RUNNING);
    assert_int_equal(job(f, "db")->state, JOB_RUNNING);
    end_run(job(f, "web"), -1, SIGTERM, 1);
    assert_int_equal(job(f, "app1")->state, JOB_STOPPING);
    assert_int_equal(job(f, "app2")->state, JOB_STOPPING);
    assert_int_equal(job(f, "db")->state, JOB_RUNNING);
    /* a crash while the daemon stops is not restarted */
    end_run(job(f, "db"), 1, 0, 100);
    assert_int_equal(job(f, "db")->state, JOB_EXITED);
    end_run(job(f, "app1"), -1, SIGTERM, 1);
    assert_false(f->all_stopped);
    assert_int_equal(supervisor_start(job(f, "idle")), -ESHUTDOWN);
    end_run(job(f, "app2"), -1, SIGTERM, 1);
    assert_true(f->all_stopped);
    assert_int_equal(f->starts, 4);
}

/* Starts return before the command runs (issue 12): a whole priority level starts at once,
 * and the next level only once every job of the lower levels was reported started or failed
 * (before, each start waited for its command, so the order came for free). */
static void test_supervisor_starts_level_by_level(void **state)
{
    struct fake *f = *state;

    f->defer_started = true;
    apply(f, "[program:db]\ncommand = x\npriority = 1\n"
             "[program:app1]\ncommand = x\npriority = 2\n"
             "[program:app2]\ncommand = x\npriority = 2\n"
             "[program:web]\ncommand = x\npriority = 3\n", NULL);
    /* level 1 alone, not yet reported */
    assert_int_equal(f->starts, 1);
    assert_int_equal(job(f, "db")->state, JOB_STARTING);
    assert_true(job(f, "app1")->start_queued);
    assert_int_equal(job(f, "app1")->state, JOB_STOPPED);
    /* db runs: the whole of level 2 starts at once */
    supervisor_run_started(f->launching[0]);
    assert_int_equal(f->starts, 3);
    assert_int_equal(job(f, "app1")->state, JOB_STARTING);
    assert_int_equal(job(f, "app2")->state, JOB_STARTING);
    assert_int_equal(job(f, "web")->state, JOB_STOPPED);
    /* one of level 2 reported, one failed: level 3 goes */
    supervisor_run_started(f->launching[1]);
    assert_int_equal(f->starts, 3);
    supervisor_run_exited(f->launching[2], &(struct job_exit){.exit_code = -1,
                                                              .spawn_error = -ENOENT});
    assert_int_equal(f->starts, 4);
    assert_int_equal(job(f, "web")->state, JOB_STARTING);
    assert_false(job(f, "web")->start_queued);
    /* a ctl start of a job that runs says so; one queued behind a level waits for it */
    assert_int_equal(supervisor_start(job(f, "web")), -EALREADY);
}

static void test_supervisor_stop_all_cancels_backoff(void **state)
{
    struct fake *f = *state;

    apply(f, "[program:a]\ncommand = x\nstartsecs = 10\nbackoff_initial = 0.001\n", NULL);
    end_run(job(f, "a"), 1, 0, 0.001);
    assert_int_equal(job(f, "a")->state, JOB_BACKOFF);
    supervisor_stop_all(f->sup, on_all_stopped, f);
    assert_int_equal(job(f, "a")->state, JOB_STOPPED);
    assert_true(f->all_stopped);
    ev_run(f->loop, EVRUN_NOWAIT);
    assert_int_equal(f->starts, 1);
}

/* ctl update GROUP: only that group's jobs are made, changed or removed. */
static void test_supervisor_apply_to_some_groups(void **state)
{
    struct fake *f = *state;
    struct supervisor_diff d;
    char *only_w[] = {"w"};
    struct job *a;

    apply(f, "[program:a]\ncommand = sleep 1\nstartsecs = 0\n"
             "[program:w]\ncommand = sleep 2\nstartsecs = 0\nnumprocs = 2\n"
             "process_name = w%(process_num)s\n", NULL);
    a = job(f, "a");
    pid_t w0 = job(f, "w:w0")->pid;
    /* a changes, w grows, n is new: only w is applied */
    assert_int_equal(supervisor_apply(f->sup,
                                      load_text(f, "[program:a]\ncommand = sleep 9\nstartsecs = 0\n"
                                                   "[program:w]\ncommand = sleep 2\nstartsecs = 0\n"
                                                   "numprocs = 3\nprocess_name = w%(process_num)s\n"
                                                   "[program:n]\ncommand = x\nstartsecs = 0\n"),
                                      &(struct supervisor_scope){.groups = only_w, .groups_len = 1},
                                      &d),
                     0);
    assert_int_equal(d.added, 1);
    assert_int_equal(d.unchanged, 2);
    assert_int_equal(d.changed + d.removed, 0);
    assert_ptr_equal(job(f, "a"), a);
    assert_string_equal(a->spec->command, "sleep 1"); /* out of scope: as it was */
    assert_int_equal(a->state, JOB_RUNNING);
    assert_null(supervisor_find(f->sup, "n"));
    assert_int_equal(job(f, "w:w0")->pid, w0);
    assert_int_equal(job(f, "w:w2")->state, JOB_RUNNING);
    /* the jobs stay in order: groups by priority, then name */
    assert_string_equal(supervisor_job(f->sup, 0)->name, "a");
    assert_string_equal(supervisor_job(f->sup, 3)->name, "w:w2");
}

/* ctl add GROUP, ctl remove GROUP: a group leaves while stopped, and comes back from the file. */
static void test_supervisor_add_and_remove(void **state)
{
    struct fake *f = *state;
    static const char text[] = "[program:a]\ncommand = sleep 1\nstartsecs = 0\n"
                               "[program:b]\ncommand = sleep 2\nstartsecs = 0\n";
    char *only_b[] = {"b"};

    apply(f, text, NULL);
    assert_int_equal(supervisor_remove(f->sup, "b"), -EBUSY); /* running */
    assert_int_equal(supervisor_remove(f->sup, "nope"), -ENOENT);
    assert_int_equal(supervisor_stop(job(f, "b")), 0);
    end_run(job(f, "b"), -1, SIGTERM, 1);
    assert_int_equal(supervisor_remove(f->sup, "b"), 1);
    assert_null(supervisor_find(f->sup, "b"));
    assert_int_equal(supervisor_count(f->sup), 1);
    /* add: only what does not exist is made; a changed a is left alone */
    assert_int_equal(supervisor_apply(f->sup,
                                      load_text(f, "[program:a]\ncommand = sleep 9\nstartsecs = 0\n"
                                                   "[program:b]\ncommand = sleep 2\nstartsecs = 0\n"),
                                      &(struct supervisor_scope){.groups = only_b, .groups_len = 1,
                                                                 .add_only = true},
                                      NULL),
                     0);
    assert_int_equal(job(f, "b")->state, JOB_RUNNING);
    assert_string_equal(job(f, "a")->spec->command, "sleep 1");
}

/* A [group:x]'s priority orders the stop levels before its jobs' own. */
static void test_supervisor_stop_all_by_group_priority(void **state)
{
    struct fake *f = *state;

    apply(f, "[group:web]\nprograms = front, back\npriority = 50\n"
             "[program:front]\ncommand = x\nstartsecs = 0\npriority = 2\n"
             "[program:back]\ncommand = x\nstartsecs = 0\npriority = 1\n"
             "[program:db]\ncommand = x\nstartsecs = 0\npriority = 100\n", NULL);
    /* started: web (50) before db (100), back (1) before front (2) in web */
    assert_int_equal(job(f, "web:back")->pid, 1001);
    assert_int_equal(job(f, "web:front")->pid, 1002);
    assert_int_equal(job(f, "db")->pid, 1003);
    supervisor_stop_all(f->sup, on_all_stopped, f);
    assert_int_equal(job(f, "db")->state, JOB_STOPPING);
    assert_int_equal(job(f, "web:front")->state, JOB_RUNNING);
    end_run(job(f, "db"), -1, SIGTERM, 1);
    assert_int_equal(job(f, "web:front")->state, JOB_STOPPING);
    assert_int_equal(job(f, "web:back")->state, JOB_RUNNING);
    end_run(job(f, "web:front"), -1, SIGTERM, 1);
    end_run(job(f, "web:back"), -1, SIGTERM, 1);
    assert_true(f->all_stopped);
}

/* What ctl's names mean (namespec.c), as supervisorctl reads them. */
static void test_supervisor_namespecs(void **state)
{
    struct fake *f = *state;
    struct namespec_result r;
    char buf[256];

    apply(f, "[group:web]\nprograms = app\n"
             "[program:app]\ncommand = x\nstartsecs = 0\n"
             "[program:w]\ncommand = x\nstartsecs = 0\nnumprocs = 2\n"
             "process_name = w%(process_num)s\n"
             "[program:db]\ncommand = x\nstartsecs = 0\n", NULL);
    static const struct {
        const char *names;
        const char *jobs;    /* selected, in the supervisor's order */
        const char *unknown;
    } cases[] = {
        {"", "db w:w0 w:w1 web:app", ""},
        {"all", "db w:w0 w:w1 web:app", ""},
        {"w", "w:w0 w:w1", ""},
        {"w:*", "w:w0 w:w1", ""},
        {"w:", "w:w0 w:w1", ""},
        {"w:w1", "w:w1", ""},
        {"web:app", "web:app", ""},
        {"db:db", "db", ""},
        {"db", "db", ""},
        {"w:w1 w w:w0", "w:w0 w:w1", ""},
        {"app", "", "app"},
        {"w:w7 db nope", "db", "w:w7 nope"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[128], *names[8], *save = NULL;
        size_t n = 0, len = 0;
        snprintf(line, sizeof(line), "%s", cases[i].names);
        for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save))
            names[n++] = w;
        assert_int_equal(namespec_select(f->sup, names, n, &r), 0);
        buf[0] = '\0';
        for (size_t k = 0; k < r.len; k++)
            len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? " " : "",
                                     r.jobs[k]->name);
        if (strcmp(buf, cases[i].jobs) != 0)
            fail_msg("'%s': got '%s', expected '%s'", cases[i].names, buf, cases[i].jobs);
        len = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < r.unknown_len; k++)
            len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? " " : "",
                                     r.unknown[k]);
        if (strcmp(buf, cases[i].unknown) != 0)
            fail_msg("'%s': unknown '%s', expected '%s'", cases[i].names, buf, cases[i].unknown);
        namespec_result_free(&r);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_supervisor_start_reaches_running),
        T(test_supervisor_startsecs_zero_is_running_at_once),
        T(test_supervisor_autostart_false_stays_stopped),
        T(test_supervisor_quick_exits_back_off_then_fatal),
        T(test_supervisor_spawn_failure_counts_as_quick_exit),
        T(test_supervisor_stop_waits_for_the_tree),
        T(test_supervisor_autorestart_unexpected),
        T(test_supervisor_autorestart_false_and_true),
        T(test_supervisor_unstable_runs_back_off_longer),
        T(test_supervisor_restart_defers_start_until_stopped),
        T(test_supervisor_table_ignores_meaningless_events),
        T(test_supervisor_reload_applies_only_the_difference),
        T(test_supervisor_reload_revives_a_leaving_job),
        T(test_supervisor_stop_all_in_reverse_priority),
        T(test_supervisor_starts_level_by_level),
        T(test_supervisor_stop_all_cancels_backoff),
        T(test_supervisor_apply_to_some_groups),
        T(test_supervisor_add_and_remove),
        T(test_supervisor_stop_all_by_group_priority),
        T(test_supervisor_namespecs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
