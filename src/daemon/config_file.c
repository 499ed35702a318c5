/* config_file.c: reading the config files of one load. libinih reads the INI text; this file
 * feeds it whole lines while counting them (Debian's libinih passes no line numbers), keeps
 * the sections and keys as written with the file they came from, and records the first error
 * and the warnings of the load. Which files [include] adds is config_include.c's; what the
 * keys mean is the other config_* modules' business. */
#include "config_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/fd.h"
#include "config_words.h"

#include <ini.h>

/* Longest physical line accepted, line end included. libinih reads into a buffer of at most
 * ini_max_line bytes and hands the rest of a longer line over as if it were the next line (a
 * cut command= could even turn its tail into a key); the reader below refuses such a line
 * before libinih sees any of it. */
#define CONFIG_LINE_MAX (1024 * 1024)

/* Characters that start a comment after whitespace inside a line, as in supervisord (whose
 * config parser is Python's with inline_comment_prefixes ';' and '#'). */
#define INLINE_COMMENT_PREFIXES ";#"

/* The error of the last failed config_load() of this thread: config_diag points here. */
static _Thread_local struct {
    char file[PATH_MAX];
    char section[256];
    char key[128];
    char message[512];
    unsigned line;
    bool has_section, has_key;
} last_error;

static void copy_cut(char *dst, size_t dst_len, const char *src)
{
    snprintf(dst, dst_len, "%s", src);
}

/* Records the first failure; later ones are consequences and are dropped. Returns ld->r. */
int config_file_vfail(struct config_file *ld, int r, unsigned line, const char *section,
                      const char *key, const char *fmt, va_list ap)
{
    if (ld->r < 0)
        return ld->r;
    ld->r = r;
    copy_cut(last_error.file, sizeof(last_error.file), ld->file);
    last_error.line = line;
    last_error.has_section = section != NULL;
    copy_cut(last_error.section, sizeof(last_error.section), section ? section : "");
    last_error.has_key = key != NULL;
    copy_cut(last_error.key, sizeof(last_error.key), key ? key : "");
    vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
    return r;
}

int config_file_fail(struct config_file *ld, unsigned line, const char *section, const char *key,
                     const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = config_file_vfail(ld, -EINVAL, line, section, key, fmt, ap);
    va_end(ap);
    return r;
}

int config_file_fail_errno(struct config_file *ld, int r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    r = config_file_vfail(ld, r, 0, NULL, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int config_file_oom(struct config_file *ld)
{
    return config_file_fail_errno(ld, -ENOMEM, "out of memory");
}

static char *strdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void config_file_vwarn(struct config_file *ld, unsigned line, const char *section, const char *key,
                       const char *fmt, va_list ap)
{
    struct warning *w, *more;
    char *message;

    if (ld->r < 0 || ld->quiet)
        return;
    if (vasprintf(&message, fmt, ap) < 0) {
        config_file_oom(ld);
        return;
    }
    more = realloc(ld->warnings, (ld->warnings_len + 1) * sizeof(*more));
    if (!more) {
        free(message);
        config_file_oom(ld);
        return;
    }
    ld->warnings = more;
    w = &ld->warnings[ld->warnings_len++];
    *w = (struct warning){.file = ld->file, .line = line, .message = message};
    w->section = strdup_or_null(section);
    w->key = strdup_or_null(key);
    if ((section && !w->section) || (key && !w->key))
        config_file_oom(ld);
}

/* ---- Reading: libinih with a line-counting reader ---------------------------------------- */

/* libinih's find_chars_or_comment(): the first of chars, an inline comment (a prefix character
 * after whitespace), or the end of s. */
static const char *ini_scan(const char *s, const char *chars)
{
    bool was_space = false;

    while (*s && !(chars && strchr(chars, *s)) &&
           !(was_space && strchr(INLINE_COMMENT_PREFIXES, *s))) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool config_file_section_is_used(const char *name)
{
    return has_prefix(name, "program:") || has_prefix(name, "group:") ||
           strcmp(name, "pgsup") == 0 || strcmp(name, "include") == 0;
}

static const struct config_source *current_source(const struct config_file *ld)
{
    return ld->sources[ld->sources_len - 1];
}

static int load_add_section(struct config_file *ld, const char *name, size_t len)
{
    const struct config_source *src = current_source(ld);
    struct raw_section *more;
    char *copy;
    size_t i;

    copy = strndup(name, len);
    if (!copy)
        return config_file_oom(ld);
    /* supervisord (configparser with strict=False) merges a repeated section, the last key
     * winning, even across included files. A job or a group defined twice is a mistake
     * that would run one of them unseen: refused. Each file has an [include] of its own. */
    for (i = 0; config_file_section_is_used(copy) && i < ld->sections_len; i++) {
        const struct raw_section *first = &ld->sections[i];
        if (strcmp(first->name, copy) != 0 ||
            (strcmp(copy, "include") == 0 && first->src != src))
            continue;
        if (first->src == src)
            config_file_fail(ld, ld->lineno, copy, NULL,
                             "duplicate section [%s] (first on line %u)", copy, first->line);
        else
            config_file_fail(ld, ld->lineno, copy, NULL,
                             "duplicate section [%s] (first in %s:%u)", copy, first->src->path,
                             first->line);
        free(copy);
        return ld->r;
    }
    more = realloc(ld->sections, (ld->sections_len + 1) * sizeof(*more));
    if (!more) {
        free(copy);
        return config_file_oom(ld);
    }
    ld->sections = more;
    ld->sections[ld->sections_len] =
        (struct raw_section){.name = copy, .src = src, .line = ld->lineno};
    ld->cur = (long)ld->sections_len++;
    return 0;
}

const struct raw_entry *config_file_find_key(const struct raw_section *sec, const char *key)
{
    const struct raw_entry *found = NULL;

    for (size_t i = 0; i < sec->entries_len; i++)
        if (strcasecmp(sec->entries[i].key, key) == 0)
            found = &sec->entries[i];
    return found;
}

/* Decides, as libinih's ini_parse_stream() will, what the new physical line is: libinih passes
 * neither line numbers nor section headers to the handler, and cuts section names at 49
 * bytes, so the reader keeps the sections itself. */
static int load_classify(struct config_file *ld)
{
    const char *start = ld->line, *p, *end;

    if (ld->lineno == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3; /* UTF-8 byte order mark, skipped by libinih */
    for (p = start; isspace((unsigned char)*p); p++)
        ;
    if (*p == '\0' || *p == ';' || *p == '#') {
        ld->kind = LINE_BLANK;
        return 0;
    }
    if (ld->after_key && p > ld->line) {
        ld->kind = LINE_CONTINUATION;
        return 0;
    }
    if (*p == '[') {
        end = ini_scan(p + 1, "]");
        if (*end != ']')
            return config_file_fail(ld, ld->lineno, NULL, NULL, "section header without ']'");
        ld->kind = LINE_SECTION;
        ld->after_key = false;
        return load_add_section(ld, p + 1, (size_t)(end - (p + 1)));
    }
    end = ini_scan(p, "=:");
    if (*end != '=' && *end != ':')
        return config_file_fail(ld, ld->lineno, ld->cur >= 0 ? ld->sections[ld->cur].name : NULL,
                                NULL, "expected 'key = value', '[section]' or a comment");
    ld->kind = LINE_KEY;
    ld->after_key = true;
    return 0;
}

static bool load_next_line(struct config_file *ld)
{
    ssize_t n;

    errno = 0;
    n = getline(&ld->line, &ld->line_cap, ld->fp);
    if (n < 0) {
        if (ferror(ld->fp) || errno == ENOMEM) {
            int r = errno ? -errno : -EIO;

            config_file_fail_errno(ld, r, "cannot read: %s", strerror(-r));
        }
        return false;
    }
    ld->lineno++;
    /* libinih measures lines with strlen(): a NUL would split one. */
    if (memchr(ld->line, '\0', (size_t)n)) {
        config_file_fail(ld, ld->lineno, NULL, NULL, "NUL byte in line");
        return false;
    }
    if (n > CONFIG_LINE_MAX) {
        config_file_fail(ld, ld->lineno, NULL, NULL, "line longer than %d bytes", CONFIG_LINE_MAX);
        return false;
    }
    ld->line_len = (size_t)n;
    ld->line_pos = 0;
    return load_classify(ld) == 0;
}

/* The ini_reader: fgets() semantics, but a line never straddles two line numbers. libinih
 * asks again for the rest of a line that filled its buffer (growing it up to ini_max_line). */
static char *load_read(char *str, int num, void *stream)
{
    struct config_file *ld = stream;
    size_t take;

    if (num < 2)
        return NULL;
    /* Only a last line without '\n' can leave pos == len with a partial line: then
     * getline() reports the end of the file, and nothing is glued to it. */
    if (ld->line_pos == ld->line_len && (ld->r < 0 || !load_next_line(ld)))
        return NULL;
    take = ld->line_len - ld->line_pos;
    if (take > (size_t)num - 1)
        take = (size_t)num - 1;
    memcpy(str, ld->line + ld->line_pos, take);
    str[take] = '\0';
    ld->line_pos += take;
    return str;
}

static int load_add_entry(struct config_file *ld, const char *key, const char *value)
{
    struct raw_section *sec;
    struct raw_entry *more, *e;
    size_t i;

    if (ld->cur < 0)
        return config_file_fail(ld, ld->lineno, NULL, key, "key outside any section");
    sec = &ld->sections[ld->cur];
    if (!*key)
        return config_file_fail(ld, ld->lineno, sec->name, NULL, "'=' without a key before it");
    /* Keys are case-insensitive (configparser lowercases them). A repeated one is refused
     * where pgsup reads it; supervisord takes the last one, which is what the sections pgsup
     * ignores do here too. */
    for (i = 0; config_file_section_is_used(sec->name) && i < sec->entries_len; i++) {
        if (strcasecmp(sec->entries[i].key, key) == 0)
            return config_file_fail(ld, ld->lineno, sec->name, key,
                                    "duplicate key (first on line %u)", sec->entries[i].line);
    }
    more = realloc(sec->entries, (sec->entries_len + 1) * sizeof(*more));
    if (!more)
        return config_file_oom(ld);
    sec->entries = more;
    e = &sec->entries[sec->entries_len];
    *e = (struct raw_entry){.key = strdup(key), .value = strdup(value), .line = ld->lineno};
    e->value_len = e->value ? strlen(e->value) : 0;
    e->value_cap = e->value_len + 1;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return config_file_oom(ld);
    }
    sec->entries_len++;
    return 0;
}

/* An indented line after a key: appended to its value after a '\n', as configparser does.
 * libinih leaves inline comments in continuation lines; configparser strips them. The value
 * grows in place, doubling its buffer: a reload of a file with 150,000 continuation lines
 * must not copy the value once per line (quadratic: 37 s). */
static int load_append_entry(struct config_file *ld, const char *value)
{
    struct raw_entry *e;
    size_t len, need;

    if (ld->cur < 0 || ld->sections[ld->cur].entries_len == 0)
        return config_file_fail(ld, ld->lineno, NULL, NULL, "continuation line without a key");
    e = &ld->sections[ld->cur].entries[ld->sections[ld->cur].entries_len - 1];
    len = (size_t)(ini_scan(value, NULL) - value);
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    if (len == 0)
        return 0;
    need = e->value_len + 1 + len + 1;
    if (need > e->value_cap) {
        size_t cap = e->value_cap * 2 > need ? e->value_cap * 2 : need;
        char *more = realloc(e->value, cap);
        if (!more)
            return config_file_oom(ld);
        e->value = more;
        e->value_cap = cap;
    }
    if (e->value_len > 0)
        e->value[e->value_len++] = '\n';
    memcpy(e->value + e->value_len, value, len);
    e->value_len += len;
    e->value[e->value_len] = '\0';
    return 0;
}

/* The ini_handler: called once for each key line and each continuation line. */
static int load_on_pair(void *user, const char *section, const char *name, const char *value)
{
    struct config_file *ld = user;

    (void)section; /* cut at 49 bytes by libinih: the reader keeps the whole name */
    if (ld->r < 0)
        return 0;
    if (ld->kind == LINE_KEY)
        return load_add_entry(ld, name, value) == 0;
    if (ld->kind == LINE_CONTINUATION)
        return load_append_entry(ld, value) == 0;
    config_file_fail(ld, ld->lineno, NULL, NULL, "cannot parse this line");
    return 0;
}

/* Debian builds libinih with its options as run-time variables (INI_RUNTIME_OPTIONS), shared
 * by the whole process: set them before every parse. */
static void load_setup_inih(void)
{
    static char start_prefixes[] = ";#", inline_prefixes[] = INLINE_COMMENT_PREFIXES;

    ini_allow_multiline = true;
    ini_allow_bom = true;
    ini_start_comment_prefixes = start_prefixes;
    ini_allow_inline_comments = true;
    ini_inline_comment_prefixes = inline_prefixes;
    /* A heap buffer that grows up to ini_max_line: the default is 200 bytes on the stack. */
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = CONFIG_LINE_MAX + 1;
    ini_stop_on_first_error = true;
    ini_allow_no_value = false;
}

static int parse_stream(struct config_file *ld)
{
    int r;

    load_setup_inih();
    r = ini_parse_stream(load_read, ld, load_on_pair, ld);
    if (ld->r < 0)
        return ld->r;
    if (r == -2)
        return config_file_oom(ld);
    if (r != 0) /* a line libinih refused and the reader did not foresee */
        return config_file_fail(ld, r > 0 ? (unsigned)r : 0, NULL, NULL, "syntax error");
    return 0;
}

static int add_source(struct config_file *ld, const char *path, const char *abs_path,
                      unsigned depth, struct config_source **ret)
{
    const char *slash = strrchr(abs_path, '/');
    struct config_source **more, *src = calloc(1, sizeof(*src));

    if (!src)
        return config_file_oom(ld);
    src->path = strdup(path);
    src->dir = strndup(abs_path, slash == abs_path ? 1 : (size_t)(slash - abs_path));
    src->depth = depth;
    more = realloc(ld->sources, (ld->sources_len + 1) * sizeof(*more));
    if (!src->path || !src->dir || !more) {
        if (more)
            ld->sources = more;
        free(src->path);
        free(src->dir);
        free(src);
        return config_file_oom(ld);
    }
    ld->sources = more;
    ld->sources[ld->sources_len++] = src;
    *ret = src;
    return 0;
}

int config_file_read(struct config_file *ld, const char *path, const char *abs_path,
                     unsigned depth, const struct config_source **ret_src)
{
    struct config_source *src = NULL;
    struct stat st;
    int fd, r;

    *ret_src = NULL;
    ld->file = path;
    /* O_NONBLOCK: a FIFO named by an [include] must not hang the load (it is refused by the
     * caller, which sees S_ISFIFO); the main file may be one (-c <(generate)). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (depth > 0 ? O_NONBLOCK : 0));
    if (fd < 0)
        return config_file_fail_errno(ld, -errno, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) < 0) {
        r = -errno;
        close(fd);
        return config_file_fail_errno(ld, r, "cannot open: %s", strerror(-r));
    }
    for (size_t i = 0; i < ld->sources_len; i++) {
        if (ld->sources[i]->dev == st.st_dev && ld->sources[i]->ino == st.st_ino) {
            close(fd);
            return 0; /* read already: included twice, or a cycle */
        }
    }
    if (depth > 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        return config_file_fail_errno(ld, -EINVAL, "not a regular file");
    }
    r = depth > 0 ? fd_set_nonblock(fd, 0) : 0;
    if (r < 0)
        config_file_fail_errno(ld, r, "cannot read: %s", strerror(-r));
    else
        r = add_source(ld, path, abs_path, depth, &src);
    if (r < 0) {
        close(fd);
        return ld->r;
    }
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    ld->file = src->path;
    ld->dir = src->dir;
    ld->fp = fdopen(fd, "r");
    if (!ld->fp) {
        close(fd);
        return config_file_oom(ld);
    }
    ld->lineno = 0;
    ld->line_len = ld->line_pos = 0;
    ld->cur = -1;
    ld->after_key = false;
    r = parse_stream(ld);
    fclose(ld->fp);
    ld->fp = NULL;
    if (r == 0)
        *ret_src = src;
    return r;
}

void config_file_enter(struct config_file *ld, const struct config_source *src)
{
    ld->file = src->path;
    ld->dir = src->dir;
}

void config_file_forget_failure(struct config_file *ld)
{
    ld->r = 0;
}

/* A path from the file, made absolute against the file's directory. */
int config_file_resolve(struct config_file *ld, const char *path, char **ret)
{
    char *joined;

    if (path[0] == '/')
        joined = strdup(path);
    else if (asprintf(&joined, "%s/%s", ld->dir, path) < 0)
        joined = NULL;
    if (!joined)
        return config_file_oom(ld);
    *ret = joined;
    return 0;
}

int config_file_init(struct config_file *ld)
{
    struct utsname uts;

    ld->cur = -1;
    if (uname(&uts) == 0)
        copy_cut(ld->host, sizeof(ld->host), uts.nodename);
    return 0;
}

void config_file_free(struct config_file *ld)
{
    size_t i, j;

    for (i = 0; i < ld->sections_len; i++) {
        for (j = 0; j < ld->sections[i].entries_len; j++) {
            free(ld->sections[i].entries[j].key);
            free(ld->sections[i].entries[j].value);
        }
        free(ld->sections[i].entries);
        free(ld->sections[i].name);
    }
    free(ld->sections);
    for (i = 0; i < ld->warnings_len; i++) {
        free(ld->warnings[i].section);
        free(ld->warnings[i].key);
        free(ld->warnings[i].message);
    }
    free(ld->warnings);
    free(ld->line);
    for (i = 0; i < ld->sources_len; i++) {
        free(ld->sources[i]->path);
        free(ld->sources[i]->dir);
        free(ld->sources[i]);
    }
    free(ld->sources);
    config_words_free(ld->env);
    if (ld->fp)
        fclose(ld->fp);
}

void config_file_report_warnings(const struct config_file *ld, config_warn_fn *warn, void *userdata)
{
    size_t i;

    for (i = 0; warn && i < ld->warnings_len; i++) {
        struct config_diag d = {
            .file = ld->warnings[i].file,
            .line = ld->warnings[i].line,
            .section = ld->warnings[i].section,
            .key = ld->warnings[i].key,
            .message = ld->warnings[i].message,
        };
        warn(&d, userdata);
    }
}

void config_file_last_error(struct config_diag *ret)
{
    *ret = (struct config_diag){
        .file = last_error.file,
        .line = last_error.line,
        .section = last_error.has_section ? last_error.section : NULL,
        .key = last_error.has_key ? last_error.key : NULL,
        .message = last_error.message,
    };
}
