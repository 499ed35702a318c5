/* fuzz_config.c: the config loader (src/daemon/config*.c with libinih) on arbitrary files:
 * sections, keys, continuation lines, %(name)s expansion, command= splitting, environment=,
 * every value parser, numprocs=, [group:x], [supervisord] environment=, and [include], whose
 * files come from the input too: the input is cut at each line "%%file" into main.conf,
 * 1.conf, 2.conf... of a private directory, and main.conf is loaded (an [include] finds the
 * others with files = *.conf, or by name). A load either fails with a diagnostic or gives a
 * config whose jobs are complete; ctl's reading of the socket alone either fails or gives a
 * path. Inputs that name /proc, /sys or /dev are skipped: an [include] there would read the
 * machine's files (all of /proc/kcore), not the input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "fuzz.h"

#define SEPARATOR "\n%%file\n"
#define FILES_MAX 8

static char dir[] = "/tmp/pgsup-fuzz-config-XXXXXX";

/* The files of one input go before the next input's are written, and all at exit. */
static void remove_files(void)
{
    char path[128];

    for (int i = 0; i <= FILES_MAX; i++) {
        snprintf(path, sizeof(path), i ? "%s/%d.conf" : "%s/main.conf", dir, i);
        (void) unlink(path);
    }
}

static void remove_dir(void)
{
    remove_files();
    (void) rmdir(dir);
}

static void put(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "we");

    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

static bool names_machine_files(const uint8_t *data, size_t size)
{
    static const char *const words[] = {"/proc", "/sys", "/dev"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (memmem(data, size, words[i], strlen(words[i])))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_diag diag = {0};
    struct config *c = NULL;
    char path[128], main_path[128], *socket = NULL;
    const uint8_t *part = data, *end = data + size;
    int r;

    if (names_machine_files(data, size))
        return 0;
    if (dir[strlen(dir) - 1] == 'X') {
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    remove_files(); /* the last input's: a pattern of this one must not find them */
    snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
    for (int i = 0; i <= FILES_MAX && part <= end; i++) {
        const uint8_t *cut = memmem(part, (size_t) (end - part), SEPARATOR, strlen(SEPARATOR));
        size_t len = cut && i < FILES_MAX ? (size_t) (cut - part) : (size_t) (end - part);
        snprintf(path, sizeof(path), i ? "%s/%d.conf" : "%s/main.conf", dir, i);
        put(path, part, len);
        part += len + strlen(SEPARATOR);
    }
    r = config_load(main_path, NULL, NULL, &c, &diag);
    if (r == 0) {
        FUZZ_CHECK(c && c->socket_path && c->state_path);
        for (size_t i = 0; i < c->jobs_len; i++) {
            FUZZ_CHECK(c->jobs[i].name && c->jobs[i].argv && c->jobs[i].argv[0]);
            FUZZ_CHECK(c->jobs[i].group && c->jobs[i].process);
            FUZZ_CHECK(config_job_equal(&c->jobs[i], &c->jobs[i]));
            FUZZ_CHECK(config_find(c, c->jobs[i].name) == &c->jobs[i]);
        }
        config_free(c);
    } else {
        FUZZ_CHECK(c == NULL && diag.message != NULL);
    }
    r = config_load_socket(main_path, &socket, &diag);
    FUZZ_CHECK(r == 0 ? socket != NULL : socket == NULL && diag.message != NULL);
    free(socket);
    return 0;
}
