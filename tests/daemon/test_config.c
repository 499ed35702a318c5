/* test_config.c: the config file parser of config.c. Files are written at test time into a
 * mkdtemp() directory: good files with every key, bad values (the error names line and key),
 * warnings for what supervisord has and pgsup ignores, %(name)s expansion, relative paths,
 * libinih's pitfalls (long lines, long section names, continuation lines), command= splitting,
 * defaults, the priority order, config_job_equal(), and the example files in conf/. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/config_words.h"
#include "configtest.h"

/* One [program:x] with command=/bin/true and then the line key_line (line 3). */
static const struct config_job *load_one_key(const char *key_line, struct config **ret,
                                             struct warnings *w)
{
    char text[1024];

    snprintf(text, sizeof(text), "[program:x]\ncommand = /bin/true\n%s\n", key_line);
    *ret = load_ok(text, w);
    assert_int_equal((*ret)->jobs_len, 1);
    return &(*ret)->jobs[0];
}

static void expect_key_error(const char *key_line, const char *key, const char *part)
{
    char text[1024];

    snprintf(text, sizeof(text), "[program:x]\ncommand = /bin/true\n%s\n", key_line);
    expect_error(text, 3, "program:x", key, part);
}

static void expect_split(const char *line, const char *const *want)
{
    char **argv = NULL;
    int r = config_words_split(line, &argv, NULL);

    if (r != 0)
        fail_msg("'%s': returned %d", line, r);
    expect_argv(argv, want);
    config_words_free(argv);
}

static void expect_split_einval(const char *line)
{
    char **argv = (char **) 1;
    int r = config_words_split(line, &argv, NULL);

    if (r != -EINVAL)
        fail_msg("'%s': returned %d, expected -EINVAL", line ? line : "(null)", r);
    if (argv != (char **) 1)
        fail_msg("'%s': failed but wrote ret_argv", line ? line : "(null)");
}

/* ---- defaults and every key ----------------------------------------------------------- */

static void test_config_defaults(void **state)
{
    struct config *c;
    const struct config_job *j;
    char *sock = NULL, *state_path = NULL, *abs;

    (void) state;
    c = load_ok("[program:a]\ncommand=/bin/true\n", NULL);
    assert_int_equal(c->jobs_len, 1);
    j = &c->jobs[0];
    assert_string_equal(j->name, "a");
    expect_argv(j->argv, ARGV("/bin/true"));
    assert_string_equal(j->command, "/bin/true");
    assert_null(j->directory);
    assert_non_null(j->environment);
    assert_null(j->environment[0]);
    assert_null(j->user);
    assert_int_equal(j->umask, -1);
    assert_true(j->autostart);
    assert_int_equal(j->autorestart, CONFIG_RESTART_UNEXPECTED);
    assert_int_equal(j->exitcodes_len, 1);
    assert_int_equal(j->exitcodes[0], 0);
    assert_true(j->startsecs == 1);
    assert_int_equal(j->startretries, 3);
    assert_int_equal(j->stopsignal, SIGTERM);
    assert_true(j->stopwaitsecs == 10);
    assert_int_equal(j->priority, 999);
    assert_false(j->redirect_stderr);
    assert_null(j->out.path);
    assert_false(j->out.discard);
    assert_int_equal(j->out.maxbytes, 50 * 1024 * 1024);
    assert_int_equal(j->out.backups, 10);
    assert_null(j->err.path);
    assert_false(j->err.discard);
    assert_int_equal(j->err.maxbytes, 50 * 1024 * 1024);
    assert_int_equal(j->err.backups, 10);
    assert_true(j->timeout == 0);
    assert_true(j->backoff_initial == 1);
    assert_true(j->backoff_max == 60);
    assert_false(j->shell);

    assert_int_equal(config_default_socket_path(&sock), 0);
    assert_string_equal(c->socket_path, sock);
    assert_true(asprintf(&state_path, "%s.state", sock) > 0);
    assert_string_equal(c->state_path, state_path);
    abs = path_in_tmp("");
    assert_int_equal(strncmp(c->path, abs, strlen(abs)), 0);
    assert_non_null(strstr(c->path, ".conf"));
    free(abs);
    free(state_path);
    free(sock);
    config_free(c);
}

static void test_config_every_key(void **state)
{
    static const char text[] =
        "[pgsup]\n"
        "socket = /run/x/pgsup.sock\n"
        "state = /var/lib/pgsup/state\n"
        "\n"
        "[program:web-1.x_y]\n"
        "command = /usr/bin/env  'a b'  \"c d\"\n"
        "directory = /srv/web\n"
        "environment = A=\"1,2\",B=plain,C='x y'\n"
        "user = root\n"
        "umask = 027\n"
        "autostart = no\n"
        "autorestart = true\n"
        "exitcodes = 0, 2 ,3\n"
        "startsecs = 5\n"
        "startretries = 7\n"
        "stopsignal = SIGINT\n"
        "stopwaitsecs = 1.5s\n"
        "priority = -5\n"
        "redirect_stderr = true\n"
        "stdout_logfile = /var/log/web.log\n"
        "stdout_logfile_maxbytes = 1KB\n"
        "stdout_logfile_backups = 2\n"
        "stderr_logfile = NONE\n"
        "stderr_logfile_maxbytes = 3MB\n"
        "stderr_logfile_backups = 0\n"
        "stopasgroup = true\n"
        "killasgroup = true\n"
        "numprocs = 1\n"
        "numprocs_start = 0\n"
        "process_name = %(program_name)s\n"
        "timeout = 2m\n"
        "backoff_initial = 0.25s\n"
        "backoff_max = 1h\n"
        "shell = false\n"
        "on_leftovers = kill\n";
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    c = load_ok(text, &w);
    assert_string_equal(c->socket_path, "/run/x/pgsup.sock");
    assert_string_equal(c->state_path, "/var/lib/pgsup/state");
    assert_int_equal(c->jobs_len, 1);
    j = &c->jobs[0];
    assert_string_equal(j->name, "web-1.x_y");
    expect_argv(j->argv, ARGV("/usr/bin/env", "a b", "c d"));
    assert_string_equal(j->command, "/usr/bin/env  'a b'  \"c d\"");
    assert_string_equal(j->directory, "/srv/web");
    expect_argv(j->environment, ARGV("A=1,2", "B=plain", "C=x y"));
    assert_string_equal(j->user, "root");
    assert_int_equal(j->umask, 027);
    assert_false(j->autostart);
    assert_int_equal(j->autorestart, CONFIG_RESTART_ALWAYS);
    assert_int_equal(j->exitcodes_len, 3);
    assert_int_equal(j->exitcodes[0], 0);
    assert_int_equal(j->exitcodes[1], 2);
    assert_int_equal(j->exitcodes[2], 3);
    assert_true(j->startsecs == 5);
    assert_int_equal(j->startretries, 7);
    assert_int_equal(j->stopsignal, SIGINT);
    assert_true(j->stopwaitsecs == 1.5);
    assert_int_equal(j->priority, -5);
    assert_true(j->redirect_stderr);
    assert_string_equal(j->out.path, "/var/log/web.log");
    assert_false(j->out.discard);
    assert_int_equal(j->out.maxbytes, 1024);
    assert_int_equal(j->out.backups, 2);
    assert_null(j->err.path);
    assert_true(j->err.discard);
    assert_int_equal(j->err.maxbytes, 3 * 1024 * 1024);
    assert_int_equal(j->err.backups, 0);
    assert_true(j->timeout == 120);
    assert_true(j->backoff_initial == 0.25);
    assert_true(j->backoff_max == 3600);
    assert_false(j->shell);
    /* stderr_logfile with redirect_stderr=true is the only thing to warn about */
    assert_int_equal(w.len, 1);
    find_warning(&w, "23 [program:web-1.x_y] stderr_logfile: ignored: redirect_stderr");
    config_free(c);
}

/* Every key with a bad value: the error names line 3 and the key. */
static void test_config_bad_values(void **state)
{
    static const struct {
        const char *line, *key, *part;
    } cases[] = {
        {"directory =", "directory", "empty directory"},
        {"environment = A", "environment", "expected '='"},
        {"environment = A=\"x", "environment", "unterminated"},
        {"environment = A=", "environment", "empty value"},
        {"environment = A=,B=1", "environment", "empty value"},
        {"environment = A=x@y", "environment", "quote the value"},
        {"environment = A=1 B=2", "environment", "unexpected 'B'"},
        {"environment = =1", "environment", "expected KEY=value"},
        {"user =", "user", "empty user"},
        {"user = no-such-user-pgsup-test", "user", "unknown user 'no-such-user-pgsup-test'"},
        {"umask = 089", "umask", "octal"},
        {"umask = 01000", "umask", "octal"},
        {"umask = abc", "umask", "octal"},
        {"umask = -1", "umask", "octal"},
        {"autostart = maybe", "autostart", "not a boolean"},
        {"autostart =", "autostart", "not a boolean"},
        {"autorestart = sometimes", "autorestart", "not true, false or unexpected"},
        {"exitcodes = 256", "exitcodes", "'256' is not an exit code"},
        {"exitcodes = 0,,1", "exitcodes", "is not an exit code"},
        {"exitcodes = -1", "exitcodes", "is not an exit code"},
        {"exitcodes = one", "exitcodes", "is not an exit code"},
        {"startsecs = -1", "startsecs", "not a duration"},
        {"startsecs = soon", "startsecs", "not a duration"},
        {"startretries = -1", "startretries", "not a count"},
        {"startretries = 1.5", "startretries", "not a count"},
        {"startretries = 99999999999", "startretries", "not a count"},
        {"stopsignal = FOO", "stopsignal", "unknown signal 'FOO'"},
        {"stopsignal = 0", "stopsignal", "unknown signal"},
        {"stopwaitsecs = 10x", "stopwaitsecs", "not a duration"},
        {"priority = 1.5", "priority", "not an integer"},
        {"priority = 99999999999", "priority", "not an integer"},
        {"redirect_stderr = 2", "redirect_stderr", "not a boolean"},
        {"stdout_logfile =", "stdout_logfile", "empty path"},
        {"stderr_logfile =", "stderr_logfile", "empty path"},
        {"stdout_logfile_maxbytes = 50M", "stdout_logfile_maxbytes", "not a size"},
        {"stdout_logfile_maxbytes = 1.5MB", "stdout_logfile_maxbytes", "not a size"},
        {"stdout_logfile_maxbytes = -1", "stdout_logfile_maxbytes", "not a size"},
        {"stderr_logfile_maxbytes = KB", "stderr_logfile_maxbytes", "not a size"},
        {"stderr_logfile_maxbytes = 99999999999999999GB", "stderr_logfile_maxbytes",
         "not a size"},
        {"stdout_logfile_backups = -1", "stdout_logfile_backups", "not a count"},
        {"stderr_logfile_backups = x", "stderr_logfile_backups", "not a count"},
        {"stopasgroup = perhaps", "stopasgroup", "not a boolean"},
        {"killasgroup = 2", "killasgroup", "not a boolean"},
        {"numprocs = 2", "numprocs", "needs %(process_num) in process_name="},
        {"numprocs = -1", "numprocs", "not a number of processes (0 to 10000)"},
        {"numprocs = 10001", "numprocs", "not a number of processes (0 to 10000)"},
        {"numprocs = many", "numprocs", "not a number of processes"},
        {"numprocs_start = -1", "numprocs_start", "not a count"},
        {"timeout = 5x", "timeout", "not a duration"},
        {"timeout = -1", "timeout", "not a duration"},
        {"backoff_initial = 0", "backoff_initial", "more than 0"},
        {"backoff_initial = x", "backoff_initial", "not a duration"},
        {"backoff_max = 0", "backoff_max", "more than 0"},
        {"backoff_max = 0.5", "backoff_max", "less than backoff_initial"},
        {"shell = sure", "shell", "not a boolean"},
        {"on_leftovers = keep", "on_leftovers", "'keep' is not kill"},
        {"on_leftovers = adopt", "on_leftovers", "'adopt' is not supported"},
    };
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(cases); i++)
        expect_key_error(cases[i].line, cases[i].key, cases[i].part);
}

static void test_config_bad_commands(void **state)
{
    static const struct {
        const char *line, *part;
    } cases[] = {
        {"command =   ", "empty command"},
        {"command = 'unterminated", "unterminated single quote"},
        {"command = \"unterminated", "unterminated double quote"},
        {"command = a \"b\\\"", "unterminated double quote"},
        {"command=#no space, so not an INI comment", "no command"},
        {"command = trailing\\", "backslash at the end"},
    };
    char text[256];
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(text, sizeof(text), "[program:x]\npriority = 1\n%s\n", cases[i].line);
        expect_error(text, 3, "program:x", "command", cases[i].part);
    }
}

static void test_config_booleans_like_supervisord(void **state)
{
    static const char *const yes[] = {"true", "TRUE", "True", "yes", "YES", "on", "On", "1"};
    static const char *const no[] = {"false", "FALSE", "no", "No", "off", "OFF", "0"};
    struct config *c;
    char line[64];
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(yes); i++) {
        snprintf(line, sizeof(line), "shell = %s", yes[i]);
        assert_true(load_one_key(line, &c, NULL)->shell);
        config_free(c);
    }
    for (i = 0; i < ARRAY_LEN(no); i++) {
        snprintf(line, sizeof(line), "autostart = %s", no[i]);
        assert_false(load_one_key(line, &c, NULL)->autostart);
        config_free(c);
    }
}

static void test_config_autorestart_values(void **state)
{
    struct config *c;

    (void) state;
    assert_int_equal(load_one_key("autorestart = false", &c, NULL)->autorestart,
                     CONFIG_RESTART_NEVER);
    config_free(c);
    assert_int_equal(load_one_key("autorestart = TRUE", &c, NULL)->autorestart,
                     CONFIG_RESTART_ALWAYS);
    config_free(c);
    assert_int_equal(load_one_key("autorestart = Unexpected", &c, NULL)->autorestart,
                     CONFIG_RESTART_UNEXPECTED);
    config_free(c);
}

static void test_config_stopsignal_spellings(void **state)
{
    static const struct {
        const char *value;
        int sig;
    } cases[] = {{"TERM", SIGTERM}, {"SIGTERM", SIGTERM}, {"term", SIGTERM}, {"15", SIGTERM},
                 {"KILL", SIGKILL}, {"QUIT", SIGQUIT},    {"HUP", SIGHUP},   {"INT", SIGINT},
                 {"USR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}};
    struct config *c;
    char line[64];
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(line, sizeof(line), "stopsignal = %s", cases[i].value);
        assert_int_equal(load_one_key(line, &c, NULL)->stopsignal, cases[i].sig);
        config_free(c);
    }
}

static void test_config_byte_sizes_like_supervisord(void **state)
{
    static const struct {
        const char *value;
        size_t bytes;
    } cases[] = {
        {"0", 0},
        {"1234", 1234},
        {"1KB", 1024},
        {"1kb", 1024},
        {"50MB", 50 * 1024 * 1024},
        {"50 MB", 50 * 1024 * 1024},
        {"2gb", (size_t) 2 * 1024 * 1024 * 1024},
    };
    struct config *c;
    char line[64];
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(line, sizeof(line), "stderr_logfile_maxbytes = %s", cases[i].value);
        assert_int_equal(load_one_key(line, &c, NULL)->err.maxbytes, cases[i].bytes);
        config_free(c);
    }
}

static void test_config_umask_is_octal(void **state)
{
    static const struct {
        const char *value;
        int mask;
    } cases[] = {{"022", 022}, {"22", 022}, {"0o27", 027}, {"0", 0}, {"777", 0777}};
    struct config *c;
    char line[64];
    size_t i;

    (void) state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(line, sizeof(line), "umask = %s", cases[i].value);
        assert_int_equal(load_one_key(line, &c, NULL)->umask, cases[i].mask);
        config_free(c);
    }
}

static void test_config_exitcodes_lists(void **state)
{
    struct config *c;
    const struct config_job *j;

    (void) state;
    j = load_one_key("exitcodes = 1", &c, NULL);
    assert_int_equal(j->exitcodes_len, 1);
    assert_int_equal(j->exitcodes[0], 1);
    config_free(c);
    j = load_one_key("exitcodes =  0 , 255 ", &c, NULL);
    assert_int_equal(j->exitcodes_len, 2);
    assert_int_equal(j->exitcodes[0], 0);
    assert_int_equal(j->exitcodes[1], 255);
    config_free(c);
    /* supervisord accepts an empty list: then every exit is unexpected */
    j = load_one_key("exitcodes =", &c, NULL);
    assert_int_equal(j->exitcodes_len, 0);
    config_free(c);
}

static void test_config_durations(void **state)
{
    struct config *c;

    (void) state;
    assert_true(load_one_key("startsecs = 0", &c, NULL)->startsecs == 0);
    config_free(c);
    assert_true(load_one_key("stopwaitsecs = 2m", &c, NULL)->stopwaitsecs == 120);
    config_free(c);
    assert_true(load_one_key("timeout = 1.5", &c, NULL)->timeout == 1.5);
    config_free(c);
    assert_true(load_one_key("timeout = 1d", &c, NULL)->timeout == 86400);
    config_free(c);
    assert_true(load_one_key("backoff_max = 1", &c, NULL)->backoff_max == 1);
    config_free(c);
}

static void test_config_on_leftovers(void **state)
{
    struct config *c;

    (void) state;
    (void) load_one_key("on_leftovers = KILL", &c, NULL);
    config_free(c);
}

static void test_config_user_numeric(void **state)
{
    struct config *c;

    (void) state;
    assert_string_equal(load_one_key("user = 0", &c, NULL)->user, "0");
    config_free(c);
    assert_string_equal(load_one_key("user = root", &c, NULL)->user, "root");
    config_free(c);
}

static void test_config_environment(void **state)
{
    struct config *c;
    const struct config_job *j;

    (void) state;
    j = load_one_key("environment = PATH=/usr/bin:/bin,LANG=C.UTF-8", &c, NULL);
    expect_argv(j->environment, ARGV("PATH=/usr/bin:/bin", "LANG=C.UTF-8"));
    config_free(c);
    /* quotes keep commas and blanks; supervisord strips quote characters at both ends */
    j = load_one_key("environment = A=\"x, y\" , B='1=2',C=\"'q'\",", &c, NULL);
    expect_argv(j->environment, ARGV("A=x, y", "B=1=2", "C=q"));
    config_free(c);
    /* the same key again: the last one wins, in the first one's place */
    j = load_one_key("environment = A=1,B=2,A=3", &c, NULL);
    expect_argv(j->environment, ARGV("A=3", "B=2"));
    config_free(c);
    j = load_one_key("environment = A=\"\"", &c, NULL);
    expect_argv(j->environment, ARGV("A="));
    config_free(c);
    j = load_one_key("environment =", &c, NULL);
    assert_null(j->environment[0]);
    config_free(c);
    /* over several lines */
    j = load_one_key("environment =\n    A=\"1\",\n    B=\"2\"", &c, NULL);
    expect_argv(j->environment, ARGV("A=1", "B=2"));
    config_free(c);
}

static void test_config_shell_true(void **state)
{
    struct config *c;
    const struct config_job *j;

    (void) state;
    c = load_ok("[program:s]\ncommand = echo \"$HOME\" | wc -c; exit 3\nshell = true\n", NULL);
    j = &c->jobs[0];
    expect_argv(j->argv, ARGV("/bin/sh", "-c", "echo \"$HOME\" | wc -c; exit 3"));
    config_free(c);
    /* shell= may come before command= */
    c = load_ok("[program:s]\nshell = yes\ncommand = a 'b\n", NULL);
    expect_argv(c->jobs[0].argv, ARGV("/bin/sh", "-c", "a 'b"));
    config_free(c);
}

/* ---- logs and paths ------------------------------------------------------------------ */

static void test_config_logfile_specials(void **state)
{
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    j = load_one_key("stdout_logfile = NONE", &c, NULL);
    assert_true(j->out.discard);
    assert_null(j->out.path);
    config_free(c);
    j = load_one_key("stdout_logfile = off", &c, NULL);
    assert_true(j->out.discard);
    config_free(c);
    j = load_one_key("stderr_logfile = AUTO", &c, NULL);
    assert_false(j->err.discard);
    assert_null(j->err.path);
    config_free(c);
    j = load_one_key("stdout_logfile = syslog", &c, &w);
    assert_null(j->out.path);
    assert_false(j->out.discard);
    find_warning(&w, "3 [program:x] stdout_logfile: syslog is not supported");
    config_free(c);
    j = load_one_key("stdout_logfile = /dev/stdout", &c, NULL);
    assert_string_equal(j->out.path, "/dev/stdout");
    /* pgsup's own fd, never a file opened through the /proc/self/fd symlink */
    assert_int_equal(j->out.own_fd, 1);
    config_free(c);
    j = load_one_key("stderr_logfile = /dev/stderr", &c, NULL);
    assert_int_equal(j->err.own_fd, 2);
    config_free(c);
    j = load_one_key("stdout_logfile = /dev/null", &c, NULL);
    assert_int_equal(j->out.own_fd, 0);
    config_free(c);
}

/* A log directory that another user can write is refused at load with file, line and key
 * (the daemon appends to logs as root: a planted link there would point it anywhere), unless
 * allow_insecure_logdir says so. */
static void test_config_logdir_writable_by_others_is_refused(void **state)
{
    char *pub = path_in_tmp("pub"), *grp = path_in_tmp("grp"), text[1024];
    struct config *c;

    (void) state;
    assert_int_equal(mkdir(pub, 0700), 0);
    assert_int_equal(chmod(pub, 01777), 0);
    expect_key_error("stdout_logfile = pub/x.log", "stdout_logfile",
                     "is writable by other users (mode 1777)");
    expect_key_error("stderr_logfile = pub/x.log", "stderr_logfile",
                     "set allow_insecure_logdir = true to accept it");
    snprintf(text, sizeof(text), "[program:x]\ncommand = /bin/true\nstdout_logfile = pub/x.log\n"
                                 "allow_insecure_logdir = true\n");
    c = load_ok(text, NULL);
    config_free(c);
    /* stderr follows stdout with redirect_stderr: its own path is not used, nor checked */
    snprintf(text, sizeof(text), "[program:x]\ncommand = /bin/true\nredirect_stderr = true\n"
                                 "stderr_logfile = pub/x.log\n");
    c = load_ok(text, NULL);
    config_free(c);
    /* a directory of root's group, group-writable: root's business (as logrotate) */
    assert_int_equal(mkdir(grp, 0770), 0);
    if (geteuid() == 0 && chown(grp, 0, 0) == 0) {
        (void) load_one_key("stdout_logfile = grp/x.log", &c, NULL); /* fails if refused */
        config_free(c);
    }
    /* a directory that does not exist: refused at load, as supervisord refuses it (and so
     * does allow_insecure_logdir, which is about who may write it) */
    expect_key_error("stdout_logfile = nosuchdir/x.log", "stdout_logfile",
                     "the directory '/tmp/pgsup-test-config-");
    expect_key_error("stderr_logfile = nosuchdir/x.log", "stderr_logfile", "/nosuchdir' does "
                     "not exist");
    snprintf(text, sizeof(text), "[program:x]\ncommand = /bin/true\nstdout_logfile = nosuchdir/x.log\n"
                                 "allow_insecure_logdir = true\n");
    expect_error(text, 3, "program:x", "stdout_logfile", "does not exist");
    assert_int_equal(rmdir(pub), 0);
    assert_int_equal(rmdir(grp), 0);
    free(pub);
    free(grp);
}

static void test_config_relative_paths_follow_the_file(void **state)
{
    struct config *c;
    const struct config_job *j;
    char *want, *logs = path_in_tmp("logs");

    (void) state;
    assert_int_equal(mkdir(logs, 0755), 0);
    c = load_ok("[pgsup]\nsocket = run/s.sock\n"
                "[program:x]\ncommand = /bin/true\ndirectory = work\n"
                "stdout_logfile = logs/%(program_name)s.log\nstderr_logfile = ./e.log\n",
                NULL);
    j = &c->jobs[0];
    want = path_in_tmp("run/s.sock");
    assert_string_equal(c->socket_path, want);
    free(want);
    want = path_in_tmp("run/s.sock.state");
    assert_string_equal(c->state_path, want);
    free(want);
    want = path_in_tmp("work");
    assert_string_equal(j->directory, want);
    free(want);
    want = path_in_tmp("logs/x.log");
    assert_string_equal(j->out.path, want);
    free(want);
    want = path_in_tmp("./e.log");
    assert_string_equal(j->err.path, want);
    free(want);
    config_free(c);
    assert_int_equal(rmdir(logs), 0);
    free(logs);
}

static void test_config_relative_file_path(void **state)
{
    struct config *c;
    char *cwd, *want;
    const char *path;

    (void) state;
    path = write_file("[pgsup]\nstate = st\n[program:x]\ncommand = /bin/true\n");
    cwd = getcwd(NULL, 0);
    assert_non_null(cwd);
    assert_int_equal(chdir(tmpdir), 0);
    /* "./sub/../tN.conf": %(here)s and config->path are absolute and normalized */
    assert_int_equal(mkdir("sub", 0700) == 0 || errno == EEXIST, 1);
    {
        char rel[PATH_MAX];

        snprintf(rel, sizeof(rel), "./sub/..//%s", strrchr(path, '/') + 1);
        c = load_path_ok(rel, NULL);
    }
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(c->path, path);
    want = path_in_tmp("st");
    assert_string_equal(c->state_path, want);
    free(want);
    free(cwd);
    config_free(c);
}

static void test_config_logfile_tilde(void **state)
{
    struct config *c;
    const struct config_job *j;
    char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

    (void) state;
    setenv("HOME", tmpdir, 1);
    j = load_one_key("stdout_logfile = ~/out.log", &c, NULL);
    assert_string_equal(j->out.path + strlen(tmpdir), "/out.log");
    assert_memory_equal(j->out.path, tmpdir, strlen(tmpdir));
    config_free(c);
    j = load_one_key("stdout_logfile = ~root/out.log", &c, NULL);
    assert_non_null(strstr(j->out.path, "/out.log"));
    assert_true(j->out.path[0] == '/');
    assert_null(strchr(j->out.path, '~'));
    config_free(c);
    if (old) {
        setenv("HOME", old, 1);
        free(old);
    } else {
        unsetenv("HOME");
    }
    expect_key_error("stdout_logfile = ~no-such-user-pgsup-test/x", "stdout_logfile",
                     "cannot expand '~no-such-user-pgsup-test'");
}

/* ---- %(name)s ------------------------------------------------------------------------- */

static void test_config_expansions(void **state)
{
    struct config *c;
    const struct config_job *j;
    char *want;

    (void) state;
    setenv("PGSUP_TEST_WORD", "hello world", 1);
    c = load_ok("[program:exp]\n"
                "command = /bin/echo %(program_name)s %(group_name)s %(ENV_PGSUP_TEST_WORD)s "
                "100%% %(process_num)02d %(numprocs)d [%(program_name)5s] [%(program_name)-5s]\n"
                "numprocs_start = 7\n"
                "directory = %(here)s/d\n"
                "environment = W=\"%(ENV_PGSUP_TEST_WORD)s\",P=%(program_name)s\n"
                "stdout_logfile = %(here)s/%(program_name)s-%(process_num)s.log\n"
                "process_name = %(program_name)s\n",
                NULL);
    j = &c->jobs[0];
    expect_argv(j->argv, ARGV("/bin/echo", "exp", "exp", "hello", "world", "100%", "07", "1",
                              "[", "exp]", "[exp", "]"));
    /* command keeps the text as written */
    assert_non_null(strstr(j->command, "%(program_name)s"));
    want = path_in_tmp("d");
    assert_string_equal(j->directory, want);
    free(want);
    expect_argv(j->environment, ARGV("W=hello world", "P=exp"));
    want = path_in_tmp("exp-7.log");
    assert_string_equal(j->out.path, want);
    free(want);
    config_free(c);
    /* with shell=true the expanded text goes to sh */
    c = load_ok("[program:e]\ncommand = echo %(ENV_PGSUP_TEST_WORD)s\nshell = true\n", NULL);
    expect_argv(c->jobs[0].argv, ARGV("/bin/sh", "-c", "echo hello world"));
    config_free(c);
    unsetenv("PGSUP_TEST_WORD");
}

static void test_config_bad_expansions(void **state)
{
    (void) state;
    unsetenv("PGSUP_TEST_UNSET");
    expect_key_error("directory = %(nope)s", "directory", "%(nope)s: unknown name");
    expect_key_error("directory = %(ENV_PGSUP_TEST_UNSET)s", "directory",
                     "environment variable PGSUP_TEST_UNSET is not set");
    expect_key_error("stdout_logfile = /x/100%", "stdout_logfile", "stray '%'");
    expect_key_error("directory = /x/%s", "directory", "stray '%'");
    expect_key_error("directory = %(here", "directory", "unterminated '%('");
    expect_key_error("directory = %(here)r", "directory", "unsupported format");
    expect_key_error("directory = %(here)d", "directory", "not a number");
    expect_key_error("directory = %(here)12345s", "directory", "field width too large");
    expect_key_error("priority = %(nope)s", "priority", "unknown name");
    /* a supervisord command with a bare % is refused by supervisord too */
    expect_error("[program:x]\ncommand = date +%s\n", 2, "program:x", "command", "stray '%'");
    /* [pgsup] has no program */
    expect_error("[pgsup]\nsocket = /run/%(program_name)s.sock\n", 2, "pgsup", "socket",
                 "unknown name");
}

/* ---- warnings ------------------------------------------------------------------------- */

static void test_config_warnings(void **state)
{
    static const char text[] = "[supervisord]\n"                        /* 1 */
                               "logfile = /var/log/supervisord.log\n"   /* 2 */
                               "[unix_http_server]\n"                   /* 3 */
                               "file = /run/supervisor.sock\n"          /* 4 */
                               "[rpcinterface:supervisor]\n"            /* 5 */
                               "a = b\n"                                /* 6 */
                               "[supervisorctl]\n"                      /* 7 */
                               "[include]\n"                            /* 8 */
                               "files = nothing-here/*.conf\n"         /* 9 */
                               "[group:g]\n"                            /* 10 */
                               "programs = x\n"                         /* 11 */
                               "[eventlistener:e]\n"                    /* 12 */
                               "[inet_http_server]\n"                   /* 13 */
                               "[whatever]\n"                           /* 14 */
                               "[pgsup]\n"                              /* 15 */
                               "colour = blue\n"                        /* 16 */
                               "[program:x]\n"                          /* 17 */
                               "command = /bin/true\n"                  /* 18 */
                               "stdout_capture_maxbytes = 1MB\n"        /* 19 */
                               "stdout_events_enabled = true\n"         /* 20 */
                               "stderr_syslog = false\n"                /* 21 */
                               "serverurl = AUTO\n"                     /* 22 */
                               "comand = /bin/false\n"                  /* 23 */
                               "stopasgroup = false\n"                  /* 24 */
                               "killasgroup = off\n"                    /* 25 */
                               "process_name = %(program_name)s_%(process_num)s\n" /* 26 */
                               "stderr_capture_maxbytes = 1\n"          /* 27 */
                               "stderr_events_enabled = 1\n"            /* 28 */
                               "stdout_syslog = 1\n";                   /* 29 */
    struct config *c;
    struct warnings w;

    (void) state;
    c = load_ok(text, &w);
    assert_int_equal(c->jobs_len, 1);
    assert_string_equal(c->jobs[0].name, "g:x_0");
    find_warning(&w, "1 [supervisord] -: supervisord section ignored");
    find_warning(&w, "3 [unix_http_server] -: supervisord section ignored");
    find_warning(&w, "5 [rpcinterface:supervisor] -: supervisord section ignored");
    find_warning(&w, "7 [supervisorctl] -: supervisord section ignored");
    find_warning(&w, "9 [include] files: no file matches '/tmp/pgsup-test-config-");
    find_warning(&w, "12 [eventlistener:e] -: supervisord section ignored");
    find_warning(&w, "13 [inet_http_server] -: supervisord section ignored");
    find_warning(&w, "14 [whatever] -: unknown section ignored");
    find_warning(&w, "16 [pgsup] colour: unknown key ignored");
    find_warning(&w, "19 [program:x] stdout_capture_maxbytes: supervisord key not used");
    find_warning(&w, "20 [program:x] stdout_events_enabled: supervisord key not used");
    find_warning(&w, "21 [program:x] stderr_syslog: supervisord key not used");
    find_warning(&w, "22 [program:x] serverurl: supervisord key not used");
    find_warning(&w, "23 [program:x] comand: unknown key ignored");
    find_warning(&w, "24 [program:x] stopasgroup: pgsup always signals the whole process group");
    find_warning(&w, "25 [program:x] killasgroup: pgsup always signals the whole process group");
    find_warning(&w, "27 [program:x] stderr_capture_maxbytes: supervisord key not used");
    find_warning(&w, "28 [program:x] stderr_events_enabled: supervisord key not used");
    find_warning(&w, "29 [program:x] stdout_syslog: supervisord key not used");
    assert_int_equal(w.len, 19);
    for (size_t i = 0; i < w.len; i++)
        assert_non_null(strstr(w.text[i], ", continuing"));
    config_free(c);
}

static void test_config_no_warnings_for_a_refused_file(void **state)
{
    (void) state;
    /* expect_error() checks that no warning was sent */
    expect_error("[supervisord]\n[program:x]\ncommand = /bin/true\nfoo = 1\nstartsecs = soon\n",
                 5, "program:x", "startsecs", "not a duration");
}

static void test_config_warn_may_be_null(void **state)
{
    struct config *c = NULL;
    int r;

    (void) state;
    r = config_load(write_file("[whatever]\n[program:x]\ncommand=a\nfoo=1\n"), NULL, NULL, &c,
                    NULL);
    assert_int_equal(r, 0);
    assert_int_equal(c->jobs_len, 1);
    config_free(c);
}

/* ---- structure ------------------------------------------------------------------------ */

static void test_config_structural_errors(void **state)
{
    (void) state;
    expect_error("[program:a]\ncommand = x\n\n[program:a]\ncommand = y\n", 4, "program:a", NULL,
                 "duplicate section [program:a] (first on line 1)");
    expect_error("[program:a]\ncommand = x\nCommand = y\n", 3, "program:a", "Command",
                 "duplicate key (first on line 2)");
    expect_error("; comment\n[program:a]\nautostart = true\n\n[program:b]\ncommand = x\n", 2,
                 "program:a", "command", "missing");
    expect_error("[program:a]\n", 1, "program:a", "command", "missing");
    expect_error("[program:a b]\ncommand = x\n", 1, "program:a b", NULL, "program name 'a b'");
    expect_error("[program:a/b]\ncommand = x\n", 1, "program:a/b", NULL, "program name");
    expect_error("[program:]\ncommand = x\n", 1, "program:", NULL, "program name ''");
    expect_error("[program:..]\ncommand = x\n", 1, "program:..", NULL, "program name");
    expect_error("[program:é]\ncommand = x\n", 1, "program:é", NULL, "program name");
    expect_error("command = x\n[program:a]\ncommand = x\n", 1, NULL, "command",
                 "outside any section");
    expect_error("[program:a\ncommand = x\n", 1, NULL, NULL, "without ']'");
    expect_error("[program:a]\ncommand = x\njust words\n", 3, "program:a", NULL,
                 "expected 'key = value'");
    expect_error("[program:a]\ncommand = x\n= y\n", 3, "program:a", NULL, "without a key");
    expect_error("[pgsup]\nsocket =\n", 2, "pgsup", "socket", "empty path");
    expect_error("[pgsup]\nsocket = a\n[pgsup]\n", 3, "pgsup", NULL, "duplicate section");
}

static void test_config_nul_byte_is_refused(void **state)
{
    static const char text[] = "[program:a]\ncommand = /bin/true\0 rm -rf /\n";
    struct config *c = NULL;
    struct config_diag err = {0};
    int r;

    (void) state;
    r = config_load(write_file_sized(text, sizeof(text) - 1), NULL, NULL, &c, &err);
    assert_int_equal(r, -EINVAL);
    assert_null(c);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "NUL"));
}

static void test_config_cannot_read(void **state)
{
    struct config *c = NULL;
    struct config_diag err = {0};
    char *missing = path_in_tmp("no-such.conf");

    (void) state;
    assert_int_equal(config_load(missing, NULL, NULL, &c, &err), -ENOENT);
    assert_null(c);
    assert_string_equal(err.file, missing);
    assert_int_equal(err.line, 0);
    assert_null(err.key);
    assert_non_null(strstr(err.message, "cannot open"));
    assert_int_equal(config_load(tmpdir, NULL, NULL, &c, &err), -EISDIR);
    assert_null(c);
    assert_int_equal(config_load(NULL, NULL, NULL, &c, &err), -EINVAL);
    free(missing);
}

/* libinih cuts lines at its buffer size and feeds the rest as a new line: a long command=
 * must come through whole, a line over the limit must be refused with its number. */
static void test_config_long_lines(void **state)
{
    const size_t words = 20000; /* "argNNNNN " x 20000: about 180 KB */
    size_t i, len = 0, cap = words * 10 + 256;
    char *text = malloc(cap), *big;
    struct config *c;
    struct config_diag err = {0};

    (void) state;
    assert_non_null(text);
    len += (size_t) sprintf(text + len, "[program:long]\ncommand = /bin/echo");
    for (i = 0; i < words; i++)
        len += (size_t) sprintf(text + len, " arg%05zu", i);
    len += (size_t) sprintf(text + len, "\npriority = 3\n");
    c = load_ok(text, NULL);
    assert_int_equal(c->jobs[0].priority, 3);
    for (i = 0; i < words; i++) {
        char want[16];

        snprintf(want, sizeof(want), "arg%05zu", i);
        if (!c->jobs[0].argv[i + 1] || strcmp(c->jobs[0].argv[i + 1], want) != 0)
            fail_msg("word %zu is '%s', expected '%s'", i + 1, c->jobs[0].argv[i + 1], want);
    }
    assert_null(c->jobs[0].argv[words + 1]);
    config_free(c);
    free(text);

    /* 2 MiB on line 3: refused, not cut */
    big = malloc(3 * 1024 * 1024);
    if (!big) { /* not assert_non_null(): GCC would then see a NULL path to memset() */
        fail();
        return;
    }
    len = (size_t) sprintf(big, "[program:long]\npriority = 1\ncommand = ");
    memset(big + len, 'x', 2 * 1024 * 1024);
    len += 2 * 1024 * 1024;
    len += (size_t) sprintf(big + len, "\n");
    c = NULL;
    assert_int_equal(config_load(write_file_sized(big, len), NULL, NULL, &c, &err), -EINVAL);
    assert_null(c);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.message, "line longer than"));
    free(big);
}

/* libinih keeps 49 bytes of a section name; the reader keeps all of it. */
static void test_config_long_section_name(void **state)
{
    char name[201], text[512];
    struct config *c;

    (void) state;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(text, sizeof(text), "[program:%s]\ncommand = /bin/true\n", name);
    c = load_ok(text, NULL);
    assert_string_equal(c->jobs[0].name, name);
    config_free(c);
}

static void test_config_comments_and_continuations(void **state)
{
    static const char text[] = "\xEF\xBB\xBF; a comment\r\n"              /* 1 */
                               "# another\r\n"                            /* 2 */
                               "[program:c]   ; inline after a header\r\n" /* 3 */
                               "command = /bin/prog --a=1 ; comment\r\n"  /* 4 */
                               "    --b \"two words\" # comment too\r\n"   /* 5 */
                               "\r\n"                                     /* 6 */
                               "  ; an indented comment\r\n"              /* 7 */
                               "    --c=x;y#z\r\n"                        /* 8 */
                               "priority: 5\r\n"                          /* 9 */
                               "PRIORITY_ignored_Key = 1\r\n"             /* 10 */
                               "AutoStart = False\r\n"                    /* 11 */
                               "stopsignal = 9\r\n"                       /* 12 */
                               "stopwaitsecs = x\r\n";                    /* 13 */
    struct config *c;
    struct warnings w;
    char *fixed = strdup(text), *p;

    (void) state;
    /* line 13 is wrong: the count must survive the BOM, CRLF, comments and continuations */
    expect_error(text, 13, "program:c", "stopwaitsecs", "not a duration");
    p = strstr(fixed, "stopwaitsecs = x");
    p[strlen("stopwaitsecs = ")] = '3';
    c = load_ok(fixed, &w);
    expect_argv(c->jobs[0].argv,
                ARGV("/bin/prog", "--a=1", "--b", "two words", "--c=x;y#z"));
    assert_string_equal(c->jobs[0].command, "/bin/prog --a=1\n--b \"two words\"\n--c=x;y#z");
    assert_int_equal(c->jobs[0].priority, 5);
    assert_false(c->jobs[0].autostart);
    assert_int_equal(c->jobs[0].stopsignal, SIGKILL);
    assert_true(c->jobs[0].stopwaitsecs == 3);
    find_warning(&w, "10 [program:c] PRIORITY_ignored_Key: unknown key");
    config_free(c);
    free(fixed);
}

static void test_config_command_on_next_lines(void **state)
{
    struct config *c;

    (void) state;
    /* an indented key just after a header is a key; the next indented line continues it */
    c = load_ok("[program:c]\n  command = a\n  priority = 4\n[program:d]\n\tcommand = b\n", NULL);
    expect_argv(c->jobs[0].argv, ARGV("a", "priority", "=", "4"));
    assert_int_equal(c->jobs[0].priority, 999);
    assert_string_equal(c->jobs[0].command, "a\npriority = 4");
    expect_argv(c->jobs[1].argv, ARGV("b"));
    config_free(c);

    c = load_ok("[program:c]\ncommand =\n  /bin/sh\n  -c 'exit 0'\n", NULL);
    expect_argv(c->jobs[0].argv, ARGV("/bin/sh", "-c", "exit 0"));
    assert_string_equal(c->jobs[0].command, "/bin/sh\n-c 'exit 0'");
    config_free(c);
}

static void test_config_sorted_by_priority_then_name(void **state)
{
    struct config *c;
    static const char *const order[] = {"first", "a", "b", "z", "last"};
    size_t i;

    (void) state;
    c = load_ok("[program:z]\ncommand=x\npriority=10\n"
                "[program:last]\ncommand=x\n"
                "[program:b]\ncommand=x\npriority=10\n"
                "[program:first]\ncommand=x\npriority=-1\n"
                "[program:a]\ncommand=x\npriority=10\n",
                NULL);
    assert_int_equal(c->jobs_len, ARRAY_LEN(order));
    for (i = 0; i < ARRAY_LEN(order); i++)
        assert_string_equal(c->jobs[i].name, order[i]);
    config_free(c);
}

static void test_config_find(void **state)
{
    struct config *c;

    (void) state;
    c = load_ok("[program:one]\ncommand=x\n[program:two]\ncommand=y\n", NULL);
    assert_ptr_equal(config_find(c, "two"), &c->jobs[1]);
    assert_ptr_equal(config_find(c, "one"), &c->jobs[0]);
    assert_null(config_find(c, "three"));
    assert_null(config_find(c, "on"));
    assert_null(config_find(NULL, "one"));
    config_free(c);
    config_free(NULL);
}

static void test_config_empty_file(void **state)
{
    struct config *c;

    (void) state;
    c = load_ok("", NULL);
    assert_int_equal(c->jobs_len, 0);
    assert_non_null(c->socket_path);
    config_free(c);
}

/* ---- config_job_equal ------------------------------------------------------------------ */

static void test_config_job_equal(void **state)
{
    static const char text[] = "[program:j]\ncommand = /bin/a b\ndirectory = /d\n"
                               "environment = A=1\nuser = root\nstdout_logfile = /o\n"
                               "stderr_logfile = /e\n";
    struct config *a, *b;
    struct config_job x;
    const struct config_job *ja, *jb;
    char *other_argv[] = {"/bin/a", "c", NULL};
    char *longer_argv[] = {"/bin/a", "b", "c", NULL};
    char *other_env[] = {"A=2", NULL};
    int other_codes[] = {1};
    size_t i;

    (void) state;
    a = load_ok(text, NULL);
    b = load_ok(text, NULL);
    ja = &a->jobs[0];
    jb = &b->jobs[0];
    assert_true(config_job_equal(ja, jb));
    assert_true(config_job_equal(ja, ja));
    assert_false(config_job_equal(ja, NULL));

    /* each member changed on its own makes a difference */
    for (i = 0;; i++) {
        x = *jb;
        switch (i) {
        case 0: x.name = "k"; break;
        case 1: x.argv = other_argv; break;
        case 2: x.argv = longer_argv; break;
        case 3: x.command = "/bin/a  b"; break;
        case 4: x.directory = NULL; break;
        case 5: x.environment = other_env; break;
        case 6: x.user = NULL; break;
        case 7: x.umask = 022; break;
        case 8: x.autostart = false; break;
        case 9: x.autorestart = CONFIG_RESTART_ALWAYS; break;
        case 10: x.exitcodes = other_codes; break;
        case 11: x.exitcodes_len = 0; break;
        case 12: x.startsecs = 2; break;
        case 13: x.startretries = 4; break;
        case 14: x.stopsignal = SIGINT; break;
        case 15: x.stopwaitsecs = 11; break;
        case 16: x.priority = 1; break;
        case 17: x.redirect_stderr = true; break;
        case 18: x.out.path = "/other"; break;
        case 19: x.out.discard = true; break;
        case 20: x.out.maxbytes = 1; break;
        case 21: x.out.backups = 1; break;
        case 22: x.err.path = NULL; break;
        case 23: x.err.discard = true; break;
        case 24: x.err.maxbytes = 1; break;
        case 25: x.err.backups = 1; break;
        case 26: x.timeout = 5; break;
        case 27: x.backoff_initial = 2; break;
        case 28: x.backoff_max = 61; break;
        case 29: x.shell = true; break;
        case 30: x.group = "g"; break;
        case 31: x.process = "p"; break;
        case 32: x.group_priority = 1; break;
        default: goto done;
        }
        if (config_job_equal(ja, &x))
            fail_msg("change %zu not noticed", i);
        if (config_job_equal(&x, ja))
            fail_msg("change %zu not noticed (swapped)", i);
    }
done:
    config_free(a);
    config_free(b);
}

/* ---- config_words_split ---------------------------------------------------------------- */

static void test_config_split_plain_words(void **state)
{
    (void) state;
    expect_split("a", ARGV("a"));
    expect_split("  a   b\tc \n d  ", ARGV("a", "b", "c", "d"));
    expect_split("/usr/bin/prog --opt=1 -x", ARGV("/usr/bin/prog", "--opt=1", "-x"));
    /* no operators, no expansion: everything is a plain character */
    expect_split("a | b ; c && d > e $HOME * ~ `x`",
                 ARGV("a", "|", "b", ";", "c", "&&", "d", ">", "e", "$HOME", "*", "~", "`x`"));
}

static void test_config_split_quotes(void **state)
{
    (void) state;
    expect_split("'a b' c", ARGV("a b", "c"));
    expect_split("'a \\ \" $x'", ARGV("a \\ \" $x"));
    expect_split("\"a b\" c", ARGV("a b", "c"));
    expect_split("\"$HOME `id`\"", ARGV("$HOME `id`"));
    expect_split("\"a\\\"b\\\\c\\$d\\`e\"", ARGV("a\"b\\c$d`e"));
    /* other backslashes stay inside "..." */
    expect_split("\"a\\nb\\'c\"", ARGV("a\\nb\\'c"));
    expect_split("\"a\\\nb\"", ARGV("ab"));
    expect_split("x\"a b\"'c d'y", ARGV("xa bc dy"));
    expect_split("'' \"\" x", ARGV("", "", "x"));
    expect_split("a'' b", ARGV("a", "b"));
    expect_split("'#' \"#\"", ARGV("#", "#"));
}

static void test_config_split_backslashes(void **state)
{
    (void) state;
    expect_split("a\\ b c", ARGV("a b", "c"));
    expect_split("\\'a\\\"", ARGV("'a\""));
    expect_split("\\\\x", ARGV("\\x"));
    expect_split("\\#x", ARGV("#x"));
    expect_split("a\\\nb", ARGV("ab"));
    expect_split("a \\\n b", ARGV("a", "b"));
    expect_split("\\n", ARGV("n"));
}

static void test_config_split_comments(void **state)
{
    (void) state;
    expect_split("a # b c", ARGV("a"));
    expect_split("a#b c", ARGV("a#b", "c"));
    expect_split("a # comment\nb", ARGV("a", "b"));
    expect_split("#x\na", ARGV("a"));
}

static void test_config_split_errors(void **state)
{
    char **argv = NULL;

    (void) state;
    expect_split_einval("");
    expect_split_einval("   \t\n");
    expect_split_einval("# only a comment");
    expect_split_einval("\\\n");
    expect_split_einval("'unterminated");
    expect_split_einval("a \"unterminated");
    expect_split_einval("a \"b\\\"");
    expect_split_einval("a\\");
    expect_split_einval(NULL);
    assert_int_equal(config_words_split("a", NULL, NULL), -EINVAL);
    config_words_free(NULL);
    (void) argv;
}

/* ---- default socket --------------------------------------------------------------------- */

/* In a child that becomes nobody: the non-root defaults. Exit 0 if all match. */
static int child_default_socket(void)
{
    char *p = NULL;

    if (setgid(65534) < 0 || setuid(65534) < 0)
        return 10;
    setenv("XDG_RUNTIME_DIR", "/run/user/65534", 1);
    if (config_default_socket_path(&p) < 0 || strcmp(p, "/run/user/65534/pgsup.sock") != 0)
        return 11;
    free(p);
    unsetenv("XDG_RUNTIME_DIR");
    if (config_default_socket_path(&p) < 0 || strcmp(p, "/tmp/pgsup-65534/pgsup.sock") != 0)
        return 12;
    free(p);
    setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
    if (config_default_socket_path(&p) < 0 || strcmp(p, "/tmp/pgsup-65534/pgsup.sock") != 0)
        return 13;
    free(p);
    return 0;
}

static void test_config_default_socket(void **state)
{
    char *p = NULL, *old;
    pid_t pid;
    int st;

    (void) state;
    old = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
    setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    assert_int_equal(config_default_socket_path(&p), 0);
    if (geteuid() == 0) {
        assert_string_equal(p, "/run/pgsup.sock");
        free(p);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_default_socket());
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    } else {
        assert_string_equal(p, "/run/user/4242/pgsup.sock");
        free(p);
        unsetenv("XDG_RUNTIME_DIR");
        assert_int_equal(config_default_socket_path(&p), 0);
        assert_true(strncmp(p, "/tmp/pgsup-", 11) == 0 && strstr(p, "/pgsup.sock"));
        free(p);
    }
    if (old) {
        setenv("XDG_RUNTIME_DIR", old, 1);
        free(old);
    } else {
        unsetenv("XDG_RUNTIME_DIR");
    }
}

/* ---- the example files ----------------------------------------------------------------- */

static void test_config_example_pgsup_conf(void **state)
{
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    c = load_path_ok(CONF_DIR "/pgsup.conf", &w);
    assert_int_equal(w.len, 0);
    assert_string_equal(c->socket_path, "/run/pgsup.sock");
    assert_string_equal(c->state_path, "/run/pgsup.sock.state");
    assert_int_equal(c->jobs_len, 5);
    assert_string_equal(c->jobs[0].name, "web");
    assert_string_equal(c->jobs[1].name, "batch:rotate-report");
    assert_string_equal(c->jobs[2].name, "database");
    assert_string_equal(c->jobs[3].name, "worker:worker_00");
    assert_string_equal(c->jobs[4].name, "worker:worker_01");

    j = config_find(c, "web");
    assert_non_null(j);
    assert_string_equal(j->user, "nobody");
    assert_int_equal(j->umask, 022);
    assert_string_equal(j->out.path, "/var/log/web.out.log");
    assert_int_equal(j->err.maxbytes, 1024 * 1024);
    assert_int_equal(j->exitcodes_len, 2);
    /* [supervisord] environment= first, then the job's own */
    assert_string_equal(j->environment[0], "APP_ENV=production");
    assert_string_equal(j->environment[1], "TZ=UTC");
    assert_string_equal(j->environment[2], "PYTHONUNBUFFERED=1");

    j = config_find(c, "worker:worker_01");
    assert_string_equal(j->group, "worker");
    assert_string_equal(j->process, "worker_01");
    expect_argv(j->argv, ARGV("/usr/local/bin/worker", "--queue", "jobs high", "--concurrency",
                              "4", "--id", "1"));
    assert_true(j->timeout == 900);
    assert_true(j->backoff_initial == 0.5);
    assert_true(j->backoff_max == 120);
    assert_true(j->out.discard);
    assert_true(j->redirect_stderr);

    j = config_find(c, "batch:rotate-report");
    assert_string_equal(j->group, "batch");
    assert_int_equal(j->group_priority, 500);
    assert_true(j->shell);
    assert_string_equal(j->argv[0], "/bin/sh");

    j = config_find(c, "database");
    assert_false(j->autostart);
    assert_true(j->stopwaitsecs == 60);
    config_free(c);
}

static void test_config_example_supervisord_compat(void **state)
{
    struct config *c;
    struct warnings w;
    const struct config_job *j;

    (void) state;
    c = load_path_ok(CONF_DIR "/supervisord-compat.conf", &w);
    assert_int_equal(c->jobs_len, 4);
    /* priority 999 (default) before 1000, names in order */
    assert_string_equal(c->jobs[0].name, "cron");
    assert_string_equal(c->jobs[1].name, "gunicorn");
    assert_string_equal(c->jobs[2].name, "nginx:nginx_00");
    assert_string_equal(c->jobs[3].name, "celery");

    j = config_find(c, "celery");
    expect_argv(j->argv, ARGV("/opt/app/venv/bin/celery", "-A", "proj", "worker",
                              "--loglevel=INFO", "-Q", "default,mail"));
    assert_string_equal(j->directory, "/opt/app");
    assert_string_equal(j->user, "nobody");
    assert_true(j->startsecs == 10);
    assert_true(j->stopwaitsecs == 600);
    assert_int_equal(j->autorestart, CONFIG_RESTART_ALWAYS);
    assert_string_equal(j->err.path, "/var/log/celery-worker.err.log");
    expect_argv(j->environment, ARGV("DJANGO_SETTINGS_MODULE=proj.settings.production",
                                     "PYTHONPATH=/opt/app", "HOME=/opt/app"));

    j = config_find(c, "gunicorn");
    assert_int_equal(j->stopsignal, SIGQUIT);
    assert_true(j->redirect_stderr);
    assert_string_equal(j->user, "www-data");

    j = config_find(c, "nginx:nginx_00");
    expect_argv(j->argv, ARGV("/usr/sbin/nginx", "-g", "daemon off;"));
    assert_string_equal(j->out.path, "/dev/stdout");
    assert_int_equal(j->out.maxbytes, 0);
    assert_int_equal(j->startretries, 5);

    j = config_find(c, "cron");
    assert_string_equal(j->out.path, CONF_DIR "/cron.log");
    assert_int_equal(j->exitcodes_len, 2);

    find_warning(&w, "7 [unix_http_server] -: supervisord section ignored");
    find_warning(&w, "11 [supervisord] -: supervisord section ignored");
    find_warning(&w, "19 [rpcinterface:supervisor] -: supervisord section ignored");
    find_warning(&w, "22 [supervisorctl] -: supervisord section ignored");
    find_warning(&w, "[program:nginx] stdout_events_enabled: supervisord key not used");
    find_warning(&w, "[program:cron] stdout_capture_maxbytes: supervisord key not used");
    assert_int_equal(w.len, 6);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_every_key),
        cmocka_unit_test(test_config_bad_values),
        cmocka_unit_test(test_config_bad_commands),
        cmocka_unit_test(test_config_booleans_like_supervisord),
        cmocka_unit_test(test_config_autorestart_values),
        cmocka_unit_test(test_config_stopsignal_spellings),
        cmocka_unit_test(test_config_byte_sizes_like_supervisord),
        cmocka_unit_test(test_config_umask_is_octal),
        cmocka_unit_test(test_config_exitcodes_lists),
        cmocka_unit_test(test_config_durations),
        cmocka_unit_test(test_config_on_leftovers),
        cmocka_unit_test(test_config_user_numeric),
        cmocka_unit_test(test_config_environment),
        cmocka_unit_test(test_config_shell_true),
        cmocka_unit_test(test_config_logfile_specials),
        cmocka_unit_test(test_config_logdir_writable_by_others_is_refused),
        cmocka_unit_test(test_config_relative_paths_follow_the_file),
        cmocka_unit_test(test_config_relative_file_path),
        cmocka_unit_test(test_config_logfile_tilde),
        cmocka_unit_test(test_config_expansions),
        cmocka_unit_test(test_config_bad_expansions),
        cmocka_unit_test(test_config_warnings),
        cmocka_unit_test(test_config_no_warnings_for_a_refused_file),
        cmocka_unit_test(test_config_warn_may_be_null),
        cmocka_unit_test(test_config_structural_errors),
        cmocka_unit_test(test_config_nul_byte_is_refused),
        cmocka_unit_test(test_config_cannot_read),
        cmocka_unit_test(test_config_long_lines),
        cmocka_unit_test(test_config_long_section_name),
        cmocka_unit_test(test_config_comments_and_continuations),
        cmocka_unit_test(test_config_command_on_next_lines),
        cmocka_unit_test(test_config_sorted_by_priority_then_name),
        cmocka_unit_test(test_config_find),
        cmocka_unit_test(test_config_empty_file),
        cmocka_unit_test(test_config_job_equal),
        cmocka_unit_test(test_config_split_plain_words),
        cmocka_unit_test(test_config_split_quotes),
        cmocka_unit_test(test_config_split_backslashes),
        cmocka_unit_test(test_config_split_comments),
        cmocka_unit_test(test_config_split_errors),
        cmocka_unit_test(test_config_default_socket),
        cmocka_unit_test(test_config_example_pgsup_conf),
        cmocka_unit_test(test_config_example_supervisord_compat),
    };

    return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
