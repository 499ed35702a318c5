/* config_include.c: supervisord's [include] files= (config_include.h). Debian's supervisord
 * keeps every program in a file of /etc/supervisor/conf.d/, which a glob in the [include] of
 * its main file names; this file finds those files and has config_file.c read each into the
 * same load, with its own name and directory, so that diagnostics name it and %(here)s and
 * relative paths in it are its own. supervisord reads the includes of the main file only;
 * pgsup reads those of included files too (nested), each file once. */
#include "config_include.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_scope.h"

/* A longer chain of files is a mistake (each file is read once, so a cycle cannot loop). */
#define INCLUDE_DEPTH_MAX 16

static int path_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* One pattern of files= in the [include] section k of src's file. */
static int include_pattern(struct config_file *ld, size_t k, const struct raw_entry *e,
                           const char *pattern)
{
    const struct config_source *src = ld->sections[k].src;
    struct config_scope s = {.ld = ld, .sec = &ld->sections[k], .e = e};
    char *joined = NULL;
    glob_t g = {0};
    int r = 0, found;

    config_file_enter(ld, src); /* the files read for the patterns before moved it */
    if (pattern[0] != '/' && asprintf(&joined, "%s/%s", src->dir, pattern) < 0)
        return config_file_oom(ld);
    /* glob(3) like Python's glob.glob(): no match for a hidden file by '*', no braces. Sorted
     * below by bytes, as supervisord's sorted(), not by the locale's collation. */
    found = glob(joined ? joined : pattern, GLOB_NOSORT, NULL, &g);
    if (found == GLOB_NOMATCH) {
        config_scope_warn(&s, "no file matches '%s', continuing", joined ? joined : pattern);
        goto out;
    }
    if (found != 0) {
        r = found == GLOB_NOSPACE ? config_file_oom(ld)
                                  : config_scope_fail(&s, "cannot read the directories of '%s'",
                                                      joined ? joined : pattern);
        goto out;
    }
    qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), path_compare);
    for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
        const struct config_source *added;
        struct stat st;

        config_file_enter(ld, src);
        s.sec = &ld->sections[k]; /* reading a file moves the sections */
        /* Looked at before it is opened: opening a device can act (a watchdog starts
         * counting), a FIFO would wait for a writer. supervisord's configparser skips what it
         * cannot open, silently. */
        if (stat(g.gl_pathv[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            config_scope_warn(&s, "'%s' is %s, not read, continuing", g.gl_pathv[i],
                              S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
            continue;
        }
        if (src->depth + 1 > INCLUDE_DEPTH_MAX) {
            r = config_scope_fail(&s, "'%s': included through more than %d files",
                                  g.gl_pathv[i], INCLUDE_DEPTH_MAX);
            break;
        }
        r = config_file_read(ld, g.gl_pathv[i], g.gl_pathv[i], src->depth + 1, &added);
    }
out:
    globfree(&g);
    free(joined);
    return r;
}

/* The [include] section k: every pattern of its files=. */
static int include_section(struct config_file *ld, size_t k)
{
    const struct raw_section *sec = &ld->sections[k];
    struct config_scope s = {.ld = ld, .sec = sec};
    char *v = NULL, *word, *save = NULL;
    int r;

    config_file_enter(ld, sec->src);
    /* The entry stays where it is while files are read: only the array of sections moves. */
    s.e = config_file_find_key(sec, "files");
    if (!s.e)
        return config_file_fail(ld, sec->line, sec->name, NULL,
                                "[include] without files= (blank-separated paths or globs)");
    for (size_t i = 0; i < sec->entries_len; i++) {
        if (&sec->entries[i] != s.e) {
            struct config_scope other = {.ld = ld, .sec = sec, .e = &sec->entries[i]};
            config_scope_warn(&other, "unknown key ignored, continuing");
        }
    }
    r = config_scope_expand(&s, s.e->value, &v);
    if (r < 0)
        return r;
    for (word = strtok_r(v, " \t\r\n", &save); word && r == 0;
         word = strtok_r(NULL, " \t\r\n", &save))
        r = include_pattern(ld, k, s.e, word);
    free(v);
    return r;
}

int config_include_read(struct config_file *ld)
{
    /* Both arrays grow while this runs: the files read here are visited in turn (nested
     * includes), by index since the arrays move. */
    for (size_t i = 0; i < ld->sources_len && ld->r == 0; i++) {
        for (size_t k = 0; k < ld->sections_len && ld->r == 0; k++) {
            if (ld->sections[k].src == ld->sources[i] &&
                strcmp(ld->sections[k].name, "include") == 0)
                (void) include_section(ld, k); /* recorded in ld->r */
        }
    }
    return ld->r;
}
