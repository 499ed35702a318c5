/* test_config_scale.c: a config file with very long values costs time and memory in
 * proportion to its size. Continuation lines used to be joined by copying the whole value for
 * each line, and environment= entries deduplicated by comparing each with all before it:
 * 150,000 lines took minutes, blocking a reload. Timing is not asserted (bench/ does that);
 * what is counted instead is every byte the loader asks malloc, realloc and calloc for
 * (linked with -Wl,--wrap), which a quadratic join multiplies by the number of lines. */
#include <errno.h>
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

void *__real_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static size_t requested; /* bytes asked for since the last reset */

void *__wrap_malloc(size_t size)
{
    requested += size;
    return __real_malloc(size);
}

void *__wrap_realloc(void *p, size_t size)
{
    requested += size;
    return __real_realloc(p, size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    requested += n * size;
    return __real_calloc(n, size);
}

static char dir[] = "/tmp/pgsup-test-config-scale-XXXXXX";

/* A [program:x] whose command= and environment= continue over lines lines each. Returns the
 * file's size. */
static size_t write_config(const char *path, unsigned lines)
{
    FILE *f = fopen(path, "we");
    long size;

    assert_non_null(f);
    fprintf(f, "[program:x]\ncommand = /bin/echo\n");
    for (unsigned i = 0; i < lines; i++)
        fprintf(f, "    word%u\n", i);
    fprintf(f, "environment = FIRST=1\n");
    for (unsigned i = 0; i < lines; i++)
        fprintf(f, "    ,KEY%u=value%u\n", i, i);
    fprintf(f, "    ,KEY0=last\n"); /* the last one wins, in the first one's place */
    size = ftell(f);
    assert_int_equal(fclose(f), 0);
    return (size_t) size;
}

static struct config *load(const char *path)
{
    struct config_diag diag = {0};
    struct config *c = NULL;

    if (config_load(path, NULL, NULL, &c, &diag) < 0)
        fail_msg("%s:%u: %s", diag.file, diag.line, diag.message);
    return c;
}

static void check_job(const struct config *c, unsigned lines)
{
    const struct config_job *j = &c->jobs[0];
    char last[32];
    size_t n = 0;

    while (j->argv[n])
        n++;
    assert_int_equal(n, lines + 1);
    snprintf(last, sizeof(last), "word%u", lines - 1);
    assert_string_equal(j->argv[lines], last);
    n = 0;
    while (j->environment[n])
        n++;
    assert_int_equal(n, lines + 1);
    assert_string_equal(j->environment[0], "FIRST=1");
    assert_string_equal(j->environment[1], "KEY0=last");
}

/* 20,000 lines of each: the quadratic join asked for gigabytes, linear work for a few times
 * the file. */
static void test_config_long_values_cost_linear_memory(void **unused)
{
    char path[128];
    struct config *c;
    size_t size, used;

    (void) unused;
    snprintf(path, sizeof(path), "%s/linear.conf", dir);
    size = write_config(path, 20000);
    requested = 0;
    c = load(path);
    used = requested;
    check_job(c, 20000);
    config_free(c);
    print_message("file %zu bytes, loader asked for %zu bytes (%.1fx)\n", size, used,
                  (double) used / (double) size);
    if (used > 64 * size)
        fail_msg("the loader asked for %zu bytes for a %zu-byte file: more than 64x", used, size);
    assert_int_equal(unlink(path), 0);
}

/* The size of the report: 150,000 continuation lines of each. */
static void test_config_150000_continuation_lines_load(void **unused)
{
    char path[128];
    struct config *c;

    (void) unused;
    snprintf(path, sizeof(path), "%s/big.conf", dir);
    (void) write_config(path, 150000);
    c = load(path);
    check_job(c, 150000);
    config_free(c);
    assert_int_equal(unlink(path), 0);
}

static int setup(void **unused)
{
    (void) unused;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **unused)
{
    (void) unused;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_long_values_cost_linear_memory),
        cmocka_unit_test(test_config_150000_continuation_lines_load),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
