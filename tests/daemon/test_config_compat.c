/* test_config_compat.c: the parts of supervisord's config format beyond one [program:x] with
 * one process: numprocs= (instances named GROUP:PROCESS, each a job), [include] files= (globs
 * relative to the including file, nested, diagnostics that name the included file and line),
 * [group:x] programs= and priority=, [supervisord] environment= (every job, %(ENV_X)s), and
 * config_load_socket(), ctl's reading of the socket alone. Files are written at test time
 * into a mkdtemp() directory (configtest.c). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
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

#include "daemon/config.h"
#include "configtest.h"

/* The names of c's jobs, in order, joined by blanks. */
static const char *names(const struct config *c)
{
    static char buf[4096];
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < c->jobs_len; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", c->jobs[i].name);
    return buf;
}

static char *make_dir(const char *rel)
{
    char *p = path_in_tmp(rel);

    assert_int_equal(mkdir(p, 0755), 0);
    return p;
}

/* ---- numprocs ---------------------------------------------------------------------------- */

static void test_numprocs_makes_one_job_per_process(void **state)
{
    struct config *c;
    const struct config_job *j;

    (void) state;
    c = load_ok("[program:worker]\n"
                "command = /bin/echo %(process_num)d of %(numprocs)d in %(group_name)s\n"
                "process_name = %(program_name)s_%(process_num)02d\n"
                "numprocs = 3\n"
                "numprocs_start = 5\n"
                "priority = 7\n"
                "[program:web]\n"
                "command = /bin/true\n",
                NULL);
    /* supervisord's names: GROUP:PROCESS, the group being the program */
    assert_string_equal(names(c), "worker:worker_05 worker:worker_06 worker:worker_07 web");
    j = config_find(c, "worker:worker_06");
    assert_non_null(j);
    assert_string_equal(j->group, "worker");
    assert_string_equal(j->process, "worker_06");
    assert_int_equal(j->priority, 7);
    assert_int_equal(j->group_priority, 7);
    expect_argv(j->argv, ARGV("/bin/echo", "6", "of", "3", "in", "worker"));
    j = config_find(c, "web");
    assert_string_equal(j->group, "web");
    assert_string_equal(j->process, "web");
    config_free(c);
}

static void test_numprocs_from_the_environment(void **state)
{
    static const char text[] = "[program:q]\ncommand = /bin/true\nnumprocs = %(ENV_PGSUP_T_N)s\n"
                               "process_name = q%(process_num)s\n";
    struct config *c;

    (void) state;
    setenv("PGSUP_T_N", "2", 1);
    c = load_ok(text, NULL);
    assert_string_equal(names(c), "q:q0 q:q1");
    config_free(c);
    unsetenv("PGSUP_T_N");
    expect_error(text, 3, "program:q", "numprocs", "environment variable PGSUP_T_N is not set");
    /* [supervisord] environment= is seen too, as in supervisord */
    c = load_ok("[supervisord]\nenvironment = PGSUP_T_N=\"4\"\n[program:q]\ncommand = /bin/true\n"
                "numprocs = %(ENV_PGSUP_T_N)s\nprocess_name = q%(process_num)s\n",
                NULL);
    assert_string_equal(names(c), "q:q0 q:q1 q:q2 q:q3");
    config_free(c);
}

static void test_numprocs_names(void **state)
{
    struct config *c;

    (void) state;
    /* one process named otherwise is still GROUP:PROCESS (supervisord's make_namespec) */
    c = load_ok("[program:nginx]\ncommand = /bin/true\n"
                "process_name = %(program_name)s_%(process_num)02d\n",
                NULL);
    assert_string_equal(names(c), "nginx:nginx_00");
    config_free(c);
    /* 0: a program without a process (used to switch workers off) */
    c = load_ok("[program:w]\ncommand = /bin/true\nnumprocs = 0\n[program:x]\ncommand = /bin/true\n",
                NULL);
    assert_string_equal(names(c), "x");
    config_free(c);
    expect_error("[program:w]\ncommand = /bin/true\nnumprocs = 2\n", 3, "program:w", "numprocs",
                 "numprocs = 2 needs %(process_num) in process_name=");
    expect_error("[program:w]\ncommand = /bin/true\nnumprocs = 2\nprocess_name = w\n", 4,
                 "program:w", "process_name", "needs %(process_num)");
    expect_error("[program:w]\ncommand = /bin/true\nprocess_name = a b\n", 3, "program:w",
                 "process_name", "'a b' is not a name");
    expect_error("[program:w]\ncommand = /bin/true\nprocess_name = x:y\n", 3, "program:w",
                 "process_name", "'x:y' is not a name");
    /* numprocs itself cannot use its own numbers */
    expect_error("[program:w]\ncommand = /bin/true\nnumprocs = %(process_num)s\n", 3,
                 "program:w", "numprocs", "unknown name");
    expect_error("[program:w]\ncommand = /bin/true\nnumprocs_start = -2\n", 3, "program:w",
                 "numprocs_start", "not a count");
}

static void test_numprocs_each_instance_expands_alone(void **state)
{
    char *logs = make_dir("nlogs");
    struct config *c;
    struct warnings w;
    char *want;

    (void) state;
    c = load_ok("[program:w]\ncommand = /bin/true\nnumprocs = 2\n"
                "process_name = w%(process_num)s\n"
                "stdout_logfile = nlogs/%(process_num)s.log\n"
                "environment = SLOT=\"%(process_num)s\"\n"
                "directory = /tmp/%(ENV_SLOT)s\n"
                "colour = blue\n",
                &w);
    assert_int_equal(c->jobs_len, 2);
    want = path_in_tmp("nlogs/1.log");
    assert_string_equal(c->jobs[1].out.path, want);
    free(want);
    assert_string_equal(c->jobs[1].environment[0], "SLOT=1");
    assert_string_equal(c->jobs[1].directory, "/tmp/1");
    /* the same warning once, not once per instance */
    assert_int_equal(w.len, 1);
    find_warning(&w, "8 [program:w] colour: unknown key ignored");
    config_free(c);
    assert_int_equal(rmdir(logs), 0);
    free(logs);
}

/* ---- [include] --------------------------------------------------------------------------- */

static void test_include_reads_globs_relative_to_the_file(void **state)
{
    char *etc = make_dir("etc"), *confd = make_dir("etc/conf.d"), *sub = make_dir("etc/conf.d/sub");
    char *hidden = make_dir("etc/conf.d/dir.conf"), *logs = make_dir("etc/conf.d/logs");
    char *main_path, *a, *b, *other, *nested, *want;
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    main_path = write_named("etc/main.conf",
                            "[include]\n"
                            "files = conf.d/*.conf other.ini nothing/*.conf\n"
                            "[program:main]\ncommand = /bin/true\n");
    b = write_named("etc/conf.d/b.conf", "[program:b]\ncommand = /bin/echo %(here)s\n");
    a = write_named("etc/conf.d/a.conf",
                    "[program:a]\ncommand = /bin/true\nstdout_logfile = logs/a.log\n"
                    "[include]\nfiles = sub/*.conf ../other.ini\n");
    other = write_named("etc/other.ini", "[program:other]\ncommand = /bin/true\n");
    nested = write_named("etc/conf.d/sub/n.conf", "[program:nested]\ncommand = /bin/true\n");
    c = load_path_ok(main_path, &w);
    /* other.ini is named twice (by main.conf and by a.conf): read once */
    assert_string_equal(names(c), "a b main nested other");
    j = config_find(c, "b");
    want = path_in_tmp("etc/conf.d");
    assert_string_equal(j->argv[1], want); /* %(here)s of the included file */
    free(want);
    j = config_find(c, "a");
    want = path_in_tmp("etc/conf.d/logs/a.log"); /* relative to the included file */
    assert_string_equal(j->out.path, want);
    free(want);
    /* a pattern without a match and a directory that matched: warnings that name the
     * including file and line */
    find_warning(&w, "2 [include] files: no file matches '/tmp/pgsup-test-config-");
    find_warning(&w, "2 [include] files: '/tmp/pgsup-test-config-");
    find_warning(&w, "/etc/conf.d/dir.conf' is a directory, not read");
    assert_int_equal(w.len, 2);
    config_free(c);
    for (char **p = (char *[]){a, b, other, nested, main_path, NULL}; *p; p++) {
        assert_int_equal(unlink(*p), 0);
        free(*p);
    }
    for (char **p = (char *[]){logs, hidden, sub, confd, etc, NULL}; *p; p++) {
        assert_int_equal(rmdir(*p), 0);
        free(*p);
    }
}

static void test_include_errors_name_the_included_file(void **state)
{
    char *dir = make_dir("inc"), *main_path, *bad;
    struct warnings w = {0};

    (void) state;
    main_path = write_named("inc/main.conf", "[include]\nfiles = *.ini\n");
    bad = write_named("inc/bad.ini", "; a comment\n[program:x]\ncommand = /bin/true\n"
                                     "startsecs = soon\n");
    expect_load_error(main_path, bad, 4, "program:x", "startsecs", "not a duration");
    free(bad);
    bad = write_named("inc/bad.ini", "[program:x\ncommand = /bin/true\n");
    expect_load_error(main_path, bad, 1, NULL, NULL, "section header without ']'");
    free(bad);
    /* the same job in two files: refused, naming both */
    bad = write_named("inc/bad.ini", "[program:x]\ncommand = /bin/true\n");
    free(main_path);
    main_path = write_named("inc/main.conf", "[include]\nfiles = *.ini\n[program:x]\n"
                                             "command = /bin/false\n");
    expect_load_error(main_path, bad, 1, "program:x", NULL, "duplicate section [program:x] "
                                                            "(first in ");
    free(main_path);
    /* [include] needs files= */
    main_path = write_named("inc/main.conf", "[program:y]\ncommand = /bin/true\n[include]\n"
                                             "file = *.ini\n");
    expect_load_error(main_path, main_path, 3, "include", NULL, "[include] without files=");
    /* an unset variable in files= */
    free(main_path);
    main_path = write_named("inc/main.conf", "[include]\nfiles = %(ENV_PGSUP_T_NOPE)s/*.ini\n");
    expect_load_error(main_path, main_path, 2, "include", "files", "PGSUP_T_NOPE is not set");
    (void) w;
    assert_int_equal(unlink(bad), 0);
    assert_int_equal(unlink(main_path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(bad);
    free(main_path);
    free(dir);
}

static void test_include_cycle_reads_each_file_once(void **state)
{
    char *dir = make_dir("cyc"), *a, *b;
    struct config *c;

    (void) state;
    a = write_named("cyc/a.conf", "[include]\nfiles = b.conf\n[program:a]\ncommand = /bin/true\n");
    b = write_named("cyc/b.conf", "[include]\nfiles = a.conf\n[program:b]\ncommand = /bin/true\n");
    c = load_path_ok(a, NULL);
    assert_string_equal(names(c), "a b");
    config_free(c);
    assert_int_equal(unlink(a), 0);
    assert_int_equal(unlink(b), 0);
    assert_int_equal(rmdir(dir), 0);
    free(a);
    free(b);
    free(dir);
}

/* ---- [group:x] --------------------------------------------------------------------------- */

static void test_group_names_and_order(void **state)
{
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    c = load_ok("[group:web]\nprograms = nginx, app ,\npriority = 5\ncolour = red\n"
                "[program:app]\ncommand = /bin/echo %(group_name)s %(program_name)s\n"
                "priority = 20\n"
                "[program:nginx]\ncommand = /bin/true\npriority = 10\n"
                "[program:worker]\ncommand = /bin/true\npriority = 1\n"
                "process_name = w%(process_num)s\nnumprocs = 2\n"
                "[group:both]\nprograms = worker\n",
                &w);
    /* groups by priority, then in a group by priority; a program in two groups runs in both
     * (worker: its own group, and both) */
    assert_string_equal(names(c), "web:nginx web:app both:w0 both:w1");
    j = config_find(c, "web:app");
    expect_argv(j->argv, ARGV("/bin/echo", "web", "app"));
    assert_string_equal(j->group, "web");
    assert_int_equal(j->group_priority, 5);
    assert_int_equal(j->priority, 20);
    find_warning(&w, "4 [group:web] colour: unknown key ignored");
    assert_int_equal(w.len, 1);
    config_free(c);

    /* a group without programs= is empty (found by fuzz_config: it used to crash) */
    c = load_ok("[group:g]\npriority = 1\n[program:a]\ncommand = /bin/true\n", &w);
    assert_string_equal(names(c), "a");
    find_warning(&w, "1 [group:g] -: no programs=");
    config_free(c);

    expect_error("[group:g]\nprograms = a, nope\n[program:a]\ncommand = /bin/true\n", 2, "group:g",
                 "programs", "no [program:nope] for this group");
    expect_error("[group:a]\nprograms = b\n[program:a]\ncommand = /bin/true\n[program:b]\n"
                 "command = /bin/true\n",
                 1, "group:a", NULL, "has the name of [program:a]");
    expect_error("[group:g]\nprograms = a,b\n[program:a]\ncommand = /bin/true\nprocess_name = p\n"
                 "[program:b]\ncommand = /bin/true\nprocess_name = p\n",
                 0, NULL, NULL, "two jobs are named 'g:p'");
    expect_error("[group:g h]\nprograms = a\n", 1, "group:g h", NULL, "group name 'g h'");
    expect_error("[group:g]\nprograms = a\npriority = high\n[program:a]\ncommand = /bin/true\n", 3,
                 "group:g", "priority", "not an integer");
    expect_error("[group:g]\nprograms = a\n[group:g]\nprograms = b\n", 3, "group:g", NULL,
                 "duplicate section [group:g] (first on line 1)");
}

/* ---- [supervisord] environment= ---------------------------------------------------------- */

static void test_supervisord_environment(void **state)
{
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    c = load_ok("[supervisord]\n"
                "logfile = /var/log/supervisord.log\n"
                "logfile = /var/log/again.log\n" /* supervisord takes a repeated key */
                "environment = APP=\"one\",SHARED=\"global\",HOME=\"/srv\"\n"
                "[program:a]\ncommand = /bin/echo %(ENV_APP)s %(ENV_HOME)s\n"
                "environment = SHARED=\"mine\",OWN=\"%(ENV_APP)s\"\n"
                "[program:b]\ncommand = /bin/true\ndirectory = %(ENV_HOME)s\n"
                "[supervisord]\nnodaemon = true\n", /* and a repeated section */
                &w);
    j = config_find(c, "a");
    expect_argv(j->argv, ARGV("/bin/echo", "one", "/srv"));
    /* every job gets it; the program's own value wins */
    expect_argv(j->environment, ARGV("APP=one", "SHARED=mine", "HOME=/srv", "OWN=one"));
    j = config_find(c, "b");
    expect_argv(j->environment, ARGV("APP=one", "SHARED=global", "HOME=/srv"));
    assert_string_equal(j->directory, "/srv");
    find_warning(&w, "1 [supervisord] -: supervisord section: only environment= is used");
    find_warning(&w, "11 [supervisord] -: supervisord section ignored");
    assert_int_equal(w.len, 2);
    config_free(c);

    /* environment= alone: nothing is ignored, nothing to warn about */
    c = load_ok("[supervisord]\nenvironment = A=1\n[program:a]\ncommand = /bin/true\n", &w);
    assert_int_equal(w.len, 0);
    config_free(c);
    expect_error("[supervisord]\nenvironment = A=x@y\n", 2, "supervisord", "environment",
                 "quote the value");
}

static void test_program_environment_seen_by_expansions(void **state)
{
    struct config *c;
    const struct config_job *j;

    (void) state;
    /* directory= before environment= in the file: it sees it all the same */
    c = load_ok("[program:a]\ndirectory = %(ENV_HOME)s/app\ncommand = /bin/true\n"
                "environment = HOME=\"/srv\"\n",
                NULL);
    j = &c->jobs[0];
    assert_string_equal(j->directory, "/srv/app");
    config_free(c);
    /* but not environment= itself */
    expect_error("[program:a]\ncommand = /bin/true\nenvironment = A=\"1\",B=\"%(ENV_A_PGSUP_T)s\"\n",
                 3, "program:a", "environment", "A_PGSUP_T is not set");
}

/* ---- ctl's look at the socket ---------------------------------------------------------- */

static void test_load_socket_reads_only_what_it_needs(void **state)
{
    char *dir = make_dir("sock"), *main_path, *inc, *socket = NULL, *want;
    struct config_diag err = {0};

    (void) state;
    /* a broken job and an unset variable in the jobs do not matter */
    main_path = write_named("sock/main.conf",
                            "[pgsup]\nsocket = run/ctl.sock\nstate = %(ENV_PGSUP_T_UNSET)s\n"
                            "[program:x]\ncommand = /bin/true\nstartsecs = soon\n"
                            "directory = %(ENV_PGSUP_T_UNSET)s\n"
                            "[include]\nfiles = broken.conf\n");
    inc = write_named("sock/broken.conf", "[program:x\n");
    assert_int_equal(config_load_socket(main_path, &socket, &err), 0);
    want = path_in_tmp("sock/run/ctl.sock");
    assert_string_equal(socket, want);
    free(want);
    free(socket);
    socket = NULL;
    assert_int_equal(config_load(main_path, NULL, NULL, &(struct config *){NULL}, &err), -EINVAL);
    assert_int_equal(unlink(inc), 0);

    /* socket= from an included file, with a variable of [supervisord] environment= (a
     * broken value elsewhere in it does not matter) */
    free(main_path);
    main_path = write_named("sock/main.conf",
                            "[supervisord]\nenvironment = RUN=\"/run/x\"\n[include]\n"
                            "files = inc.conf\n[program:x]\ncommand = /bin/true\n"
                            "startsecs = soon\n");
    free(inc);
    inc = write_named("sock/inc.conf", "[pgsup]\nsocket = %(ENV_RUN)s/pgsup.sock\n");
    assert_int_equal(config_load_socket(main_path, &socket, &err), 0);
    assert_string_equal(socket, "/run/x/pgsup.sock");
    free(socket);
    socket = NULL;

    /* no [pgsup]: the default */
    free(main_path);
    main_path = write_named("sock/main.conf", "[program:x]\ncommand = %(ENV_PGSUP_T_UNSET)s\n");
    assert_int_equal(config_load_socket(main_path, &socket, &err), 0);
    assert_int_equal(config_default_socket_path(&want), 0);
    assert_string_equal(socket, want);
    free(want);
    free(socket);
    socket = NULL;

    /* what it needs must be right */
    free(main_path);
    main_path = write_named("sock/main.conf", "[pgsup]\nsocket = %(ENV_PGSUP_T_UNSET)s\n");
    assert_int_equal(config_load_socket(main_path, &socket, &err), -EINVAL);
    assert_null(socket);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.key, "socket");
    free(main_path);
    main_path = write_named("sock/main.conf", "[pgsup\n");
    assert_int_equal(config_load_socket(main_path, &socket, &err), -EINVAL);
    assert_int_equal(err.line, 1);
    assert_int_equal(unlink(main_path), 0);
    assert_int_equal(unlink(inc), 0);
    assert_int_equal(rmdir(dir), 0);
    free(main_path);
    free(inc);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numprocs_makes_one_job_per_process),
        cmocka_unit_test(test_numprocs_from_the_environment),
        cmocka_unit_test(test_numprocs_names),
        cmocka_unit_test(test_numprocs_each_instance_expands_alone),
        cmocka_unit_test(test_include_reads_globs_relative_to_the_file),
        cmocka_unit_test(test_include_errors_name_the_included_file),
        cmocka_unit_test(test_include_cycle_reads_each_file_once),
        cmocka_unit_test(test_group_names_and_order),
        cmocka_unit_test(test_supervisord_environment),
        cmocka_unit_test(test_program_environment_seen_by_expansions),
        cmocka_unit_test(test_load_socket_reads_only_what_it_needs),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
