/* config.c: the daemon's config file → job specs. libinih reads the INI text; this file feeds it
 * whole lines while counting them (Debian's libinih passes no line numbers), collects the
 * sections and keys, expands supervisord's %(name)s references, checks every value of
 * [program:NAME] and [pgsup], and returns a whole config or nothing. It starts, stops and
 * prints nothing: the supervisor applies a config, the daemon reports the diagnostics. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ini.h>

#include "signame.h"
#include "timer.h"

/* Longest physical line accepted, line end included. libinih reads into a buffer of at most
 * ini_max_line bytes and hands the rest of a longer line over as if it were the next line (a
 * cut command= could even turn its tail into a key); the reader below refuses such a line
 * before libinih sees any of it. */
#define CONFIG_LINE_MAX (1024 * 1024)

/* Characters that start a comment after whitespace inside a line, as in supervisord (whose
 * config parser is Python's with inline_comment_prefixes ';' and '#'). */
#define INLINE_COMMENT_PREFIXES ";#"

#define DEFAULT_LOG_MAXBYTES ((size_t) 50 * 1024 * 1024)
#define DEFAULT_LOG_BACKUPS 10

/* One key as read: continuation lines already joined with '\n', nothing expanded yet. */
struct raw_entry {
    char *key;
    char *value;
    unsigned line;
};

struct raw_section {
    char *name;
    unsigned line;
    struct raw_entry *entries;
    size_t entries_len;
};

/* A warning waits here until the whole file is accepted: a refused file reports one error. */
struct warning {
    unsigned line;
    char *section;
    char *key;
    char *message;
};

/* How libinih will treat the physical line being fed to it. */
enum line_kind {
    LINE_BLANK, /* empty or a comment */
    LINE_SECTION,
    LINE_KEY,
    LINE_CONTINUATION, /* indented line after a key: appended to its value */
};

/* One config_load() call. */
struct load {
    const char *file; /* the path as the caller spelled it, for diagnostics */
    char *dir;        /* the file's absolute directory: %(here)s and relative paths */
    FILE *fp;
    char *line; /* the physical line being fed to libinih */
    size_t line_cap, line_len, line_pos;
    unsigned lineno;
    enum line_kind kind;
    bool after_key; /* mirrors libinih's prev_name: an indented line continues a value */
    struct raw_section *sections;
    size_t sections_len;
    long cur; /* index of the section being read; -1: none yet */
    struct warning *warnings;
    size_t warnings_len;
    char host[256]; /* %(host_node_name)s */
    int r;          /* the first failure, 0 until then */
};

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
__attribute__((format(printf, 6, 0))) static int
load_vfail(struct load *ld, int r, unsigned line, const char *section, const char *key,
           const char *fmt, va_list ap)
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

__attribute__((format(printf, 5, 6))) static int
load_fail(struct load *ld, unsigned line, const char *section, const char *key, const char *fmt,
          ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = load_vfail(ld, -EINVAL, line, section, key, fmt, ap);
    va_end(ap);
    return r;
}

__attribute__((format(printf, 3, 4))) static int load_fail_errno(struct load *ld, int r,
                                                                  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    r = load_vfail(ld, r, 0, NULL, NULL, fmt, ap);
    va_end(ap);
    return r;
}

static int load_oom(struct load *ld)
{
    return load_fail_errno(ld, -ENOMEM, "out of memory");
}

static char *strdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

__attribute__((format(printf, 5, 0))) static void
load_vwarn(struct load *ld, unsigned line, const char *section, const char *key, const char *fmt,
           va_list ap)
{
    struct warning *w, *more;
    char *message;

    if (ld->r < 0)
        return;
    if (vasprintf(&message, fmt, ap) < 0) {
        load_oom(ld);
        return;
    }
    more = realloc(ld->warnings, (ld->warnings_len + 1) * sizeof(*more));
    if (!more) {
        free(message);
        load_oom(ld);
        return;
    }
    ld->warnings = more;
    w = &ld->warnings[ld->warnings_len++];
    *w = (struct warning){.line = line, .message = message};
    w->section = strdup_or_null(section);
    w->key = strdup_or_null(key);
    if ((section && !w->section) || (key && !w->key))
        load_oom(ld);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- Reading: libinih with a line-counting reader ---------------------------------------- */

/* libinih's find_chars_or_comment(): the first of chars, an inline comment (a prefix character
 * after whitespace), or the end of s. */
static const char *ini_scan(const char *s, const char *chars)
{
    bool was_space = false;

    while (*s && !(chars && strchr(chars, *s)) &&
           !(was_space && strchr(INLINE_COMMENT_PREFIXES, *s))) {
        was_space = isspace((unsigned char) *s);
        s++;
    }
    return s;
}

static int load_add_section(struct load *ld, const char *name, size_t len)
{
    struct raw_section *more;
    char *copy;
    size_t i;

    copy = strndup(name, len);
    if (!copy)
        return load_oom(ld);
    /* Python's configparser, and so supervisord, refuses a repeated section too. */
    for (i = 0; i < ld->sections_len; i++) {
        if (strcmp(ld->sections[i].name, copy) == 0) {
            load_fail(ld, ld->lineno, copy, NULL, "duplicate section [%s] (first on line %u)",
                      copy, ld->sections[i].line);
            free(copy);
            return ld->r;
        }
    }
    more = realloc(ld->sections, (ld->sections_len + 1) * sizeof(*more));
    if (!more) {
        free(copy);
        return load_oom(ld);
    }
    ld->sections = more;
    ld->sections[ld->sections_len] = (struct raw_section){.name = copy, .line = ld->lineno};
    ld->cur = (long) ld->sections_len++;
    return 0;
}

/* Decides, as libinih's ini_parse_stream() will, what the new physical line is: libinih passes
 * neither line numbers nor section headers to the handler, and cuts section names at 49
 * bytes, so the reader keeps the sections itself. */
static int load_classify(struct load *ld)
{
    const char *start = ld->line, *p, *end;

    if (ld->lineno == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3; /* UTF-8 byte order mark, skipped by libinih */
    for (p = start; isspace((unsigned char) *p); p++)
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
            return load_fail(ld, ld->lineno, NULL, NULL, "section header without ']'");
        ld->kind = LINE_SECTION;
        ld->after_key = false;
        return load_add_section(ld, p + 1, (size_t) (end - (p + 1)));
    }
    end = ini_scan(p, "=:");
    if (*end != '=' && *end != ':')
        return load_fail(ld, ld->lineno, ld->cur >= 0 ? ld->sections[ld->cur].name : NULL, NULL,
                         "expected 'key = value', '[section]' or a comment");
    ld->kind = LINE_KEY;
    ld->after_key = true;
    return 0;
}

static bool load_next_line(struct load *ld)
{
    ssize_t n;

    errno = 0;
    n = getline(&ld->line, &ld->line_cap, ld->fp);
    if (n < 0) {
        if (ferror(ld->fp) || errno == ENOMEM) {
            int r = errno ? -errno : -EIO;

            load_fail_errno(ld, r, "cannot read: %s", strerror(-r));
        }
        return false;
    }
    ld->lineno++;
    /* libinih measures lines with strlen(): a NUL would split one. */
    if (memchr(ld->line, '\0', (size_t) n)) {
        load_fail(ld, ld->lineno, NULL, NULL, "NUL byte in line");
        return false;
    }
    if (n > CONFIG_LINE_MAX) {
        load_fail(ld, ld->lineno, NULL, NULL, "line longer than %d bytes", CONFIG_LINE_MAX);
        return false;
    }
    ld->line_len = (size_t) n;
    ld->line_pos = 0;
    return load_classify(ld) == 0;
}

/* The ini_reader: fgets() semantics, but a line never straddles two line numbers. libinih
 * asks again for the rest of a line that filled its buffer (growing it up to ini_max_line). */
static char *load_read(char *str, int num, void *stream)
{
    struct load *ld = stream;
    size_t take;

    if (num < 2)
        return NULL;
    /* Only a last line without '\n' can leave pos == len with a partial line: then
     * getline() reports the end of the file, and nothing is glued to it. */
    if (ld->line_pos == ld->line_len && (ld->r < 0 || !load_next_line(ld)))
        return NULL;
    take = ld->line_len - ld->line_pos;
    if (take > (size_t) num - 1)
        take = (size_t) num - 1;
    memcpy(str, ld->line + ld->line_pos, take);
    str[take] = '\0';
    ld->line_pos += take;
    return str;
}

static int load_add_entry(struct load *ld, const char *key, const char *value)
{
    struct raw_section *sec;
    struct raw_entry *more, *e;
    size_t i;

    if (ld->cur < 0)
        return load_fail(ld, ld->lineno, NULL, key, "key outside any section");
    sec = &ld->sections[ld->cur];
    if (!*key)
        return load_fail(ld, ld->lineno, sec->name, NULL, "'=' without a key before it");
    /* Keys are case-insensitive (configparser lowercases them); a repeated one is an error
     * there too. */
    for (i = 0; i < sec->entries_len; i++) {
        if (strcasecmp(sec->entries[i].key, key) == 0)
            return load_fail(ld, ld->lineno, sec->name, key,
                             "duplicate key (first on line %u)", sec->entries[i].line);
    }
    more = realloc(sec->entries, (sec->entries_len + 1) * sizeof(*more));
    if (!more)
        return load_oom(ld);
    sec->entries = more;
    e = &sec->entries[sec->entries_len];
    *e = (struct raw_entry){.key = strdup(key), .value = strdup(value), .line = ld->lineno};
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return load_oom(ld);
    }
    sec->entries_len++;
    return 0;
}

/* An indented line after a key: appended to its value after a '\n', as configparser does.
 * libinih leaves inline comments in continuation lines; configparser strips them. */
static int load_append_entry(struct load *ld, const char *value)
{
    struct raw_entry *e;
    size_t old_len, len;
    char *joined;

    if (ld->cur < 0 || ld->sections[ld->cur].entries_len == 0)
        return load_fail(ld, ld->lineno, NULL, NULL, "continuation line without a key");
    e = &ld->sections[ld->cur].entries[ld->sections[ld->cur].entries_len - 1];
    len = (size_t) (ini_scan(value, NULL) - value);
    while (len > 0 && isspace((unsigned char) value[len - 1]))
        len--;
    if (len == 0)
        return 0;
    old_len = strlen(e->value);
    joined = malloc(old_len + 1 + len + 1);
    if (!joined)
        return load_oom(ld);
    memcpy(joined, e->value, old_len);
    if (old_len > 0)
        joined[old_len++] = '\n';
    memcpy(joined + old_len, value, len);
    joined[old_len + len] = '\0';
    free(e->value);
    e->value = joined;
    return 0;
}

/* The ini_handler: called once for each key line and each continuation line. */
static int load_on_pair(void *user, const char *section, const char *name, const char *value)
{
    struct load *ld = user;

    (void) section; /* cut at 49 bytes by libinih: the reader keeps the whole name */
    if (ld->r < 0)
        return 0;
    if (ld->kind == LINE_KEY)
        return load_add_entry(ld, name, value) == 0;
    if (ld->kind == LINE_CONTINUATION)
        return load_append_entry(ld, value) == 0;
    load_fail(ld, ld->lineno, NULL, NULL, "cannot parse this line");
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

static int load_read_file(struct load *ld)
{
    int r;

    load_setup_inih();
    r = ini_parse_stream(load_read, ld, load_on_pair, ld);
    if (ld->r < 0)
        return ld->r;
    if (r == -2)
        return load_oom(ld);
    if (r != 0) /* a line libinih refused and the reader did not foresee */
        return load_fail(ld, r > 0 ? (unsigned) r : 0, NULL, NULL, "syntax error");
    return 0;
}

/* ---- Paths ---------------------------------------------------------------------------- */

/* Lexically normalized: no "//", "." or ".." components (like Python's os.path.abspath,
 * which gives supervisord its %(here)s). path is absolute. */
static char *path_normalize(const char *path)
{
    char *out = malloc(strlen(path) + 2);
    const char *p = path;
    size_t len = 0, n;

    if (!out)
        return NULL;
    while (*p) {
        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the '/' before the dropped component */
        } else {
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* The absolute, normalized form of path (relative to the current directory). */
static int path_absolute(const char *path, char **ret)
{
    char *cwd = NULL, *joined = NULL, *abs;
    int r = 0;

    if (path[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return -errno;
        if (asprintf(&joined, "%s/%s", cwd, path) < 0) {
            joined = NULL;
            r = -ENOMEM;
            goto fail;
        }
        path = joined;
    }
    abs = path_normalize(path);
    if (!abs) {
        r = -ENOMEM;
        goto fail;
    }
    *ret = abs;
fail:
    free(joined);
    free(cwd);
    return r;
}

static char *path_dirname(const char *abs)
{
    const char *slash = strrchr(abs, '/');

    return strndup(abs, slash == abs ? 1 : (size_t) (slash - abs));
}

/* A path from the file, made absolute against the file's directory. */
static int load_resolve(struct load *ld, const char *path, char **ret)
{
    char *joined;

    if (path[0] == '/')
        joined = strdup(path);
    else if (asprintf(&joined, "%s/%s", ld->dir, path) < 0)
        joined = NULL;
    if (!joined)
        return load_oom(ld);
    *ret = joined;
    return 0;
}

/* ---- Values --------------------------------------------------------------------------- */

/* Where a value comes from and what %(name)s can refer to there. */
struct scope {
    struct load *ld;
    const struct raw_section *sec;
    const struct raw_entry *e; /* the key being read; NULL: the section itself */
    const char *program;       /* %(program_name)s; NULL outside [program:x] */
    long process_num;          /* %(process_num)s: numprocs_start, as numprocs is 1 */
};

__attribute__((format(printf, 2, 3))) static int scope_fail(struct scope *s, const char *fmt,
                                                             ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = load_vfail(s->ld, -EINVAL, s->e ? s->e->line : s->sec->line, s->sec->name,
                   s->e ? s->e->key : NULL, fmt, ap);
    va_end(ap);
    return r;
}

__attribute__((format(printf, 2, 3))) static void scope_warn(struct scope *s, const char *fmt,
                                                              ...)
{
    va_list ap;

    va_start(ap, fmt);
    load_vwarn(s->ld, s->e ? s->e->line : s->sec->line, s->sec->name, s->e ? s->e->key : NULL,
               fmt, ap);
    va_end(ap);
}

/* What %(name)s stands for: 1 with *ret_str (free()), 2 with *ret_num, 0 unknown. */
static int scope_lookup(struct scope *s, const char *name, char **ret_str, long *ret_num)
{
    const char *v = NULL;

    if (strncmp(name, "ENV_", 4) == 0)
        v = getenv(name + 4);
    else if (strcmp(name, "here") == 0)
        v = s->ld->dir;
    else if (strcmp(name, "host_node_name") == 0)
        v = s->ld->host;
    else if (s->program && (strcmp(name, "program_name") == 0 || strcmp(name, "group_name") == 0))
        v = s->program; /* supervisord puts each program in a group of its own name */
    else if (s->program && strcmp(name, "process_num") == 0) {
        *ret_num = s->process_num;
        return 2;
    } else if (s->program && strcmp(name, "numprocs") == 0) {
        *ret_num = 1;
        return 2;
    }
    if (!v)
        return 0;
    *ret_str = strdup(v);
    return *ret_str ? 1 : -ENOMEM;
}

/* One %(name)[-0][width](s|d) reference at p (just after "%("); advances *pp past it. */
static int scope_expand_one(struct scope *s, const char **pp, FILE *out)
{
    const char *name = *pp, *p = *pp;
    bool left = false, zero = false;
    int depth = 1, width = 0, found;
    char *key = NULL, *str = NULL, num_buf[32];
    long num = 0;
    int r = 0;

    /* Python's % operator matches parentheses inside the name. */
    for (; *p && depth > 0; p++)
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
    if (depth > 0)
        return scope_fail(s, "unterminated '%%(' (write %%%% for a literal %%)");
    key = strndup(name, (size_t) (p - 1 - name));
    if (!key)
        return load_oom(s->ld);
    for (; *p == '-' || *p == '0'; p++) {
        left |= *p == '-';
        zero |= *p == '0';
    }
    for (; isdigit((unsigned char) *p); p++) {
        if (width > 999) {
            r = scope_fail(s, "%%(%s): field width too large", key);
            goto fail;
        }
        width = width * 10 + (*p - '0');
    }
    if (*p != 's' && *p != 'd' && *p != 'i') {
        r = scope_fail(s, "%%(%s): unsupported format (use %%(%s)s)", key, key);
        goto fail;
    }
    found = scope_lookup(s, key, &str, &num);
    if (found < 0) {
        r = load_oom(s->ld);
        goto fail;
    }
    if (found == 0) {
        if (strncmp(key, "ENV_", 4) == 0)
            r = scope_fail(s, "%%(%s)s: environment variable %s is not set", key, key + 4);
        else
            r = scope_fail(s, "%%(%s)s: unknown name (known: %s)", key,
                           s->program ? "ENV_*, here, program_name, group_name, host_node_name, "
                                        "process_num, numprocs"
                                      : "ENV_*, here, host_node_name");
        goto fail;
    }
    if (*p == 's') {
        if (found == 2) {
            snprintf(num_buf, sizeof(num_buf), "%ld", num);
            fprintf(out, "%*s", left ? -width : width, num_buf);
        } else {
            fprintf(out, "%*s", left ? -width : width, str);
        }
    } else {
        if (found != 2) {
            r = scope_fail(s, "%%(%s)%c: not a number", key, *p);
            goto fail;
        }
        if (zero && !left)
            fprintf(out, "%0*ld", width, num);
        else
            fprintf(out, "%*ld", left ? -width : width, num);
    }
    *pp = p + 1;
fail:
    free(str);
    free(key);
    return r;
}

/* supervisord's expansion (Python's % operator with a mapping): %(name)s and %(name)d with an
 * optional '-'/'0' flag and width, and %% for a single %. Any other '%' is an error, as it is
 * in supervisord, so that a file means the same to both. */
static int scope_expand(struct scope *s, const char *value, char **ret)
{
    char *buf = NULL;
    size_t buf_len = 0;
    const char *p = value;
    FILE *out;
    int r = 0;

    out = open_memstream(&buf, &buf_len);
    if (!out)
        return load_oom(s->ld);
    while (*p) {
        if (*p != '%') {
            fputc(*p++, out);
        } else if (p[1] == '%') {
            fputc('%', out);
            p += 2;
        } else if (p[1] == '(') {
            p += 2;
            r = scope_expand_one(s, &p, out);
            if (r < 0)
                goto fail;
        } else {
            r = scope_fail(s, "stray '%%' (write %%%% for a literal %%, or %%(name)s)");
            goto fail;
        }
    }
    if (ferror(out)) {
        r = load_oom(s->ld);
        goto fail;
    }
    if (fclose(out) != 0) {
        out = NULL;
        r = load_oom(s->ld);
        goto fail;
    }
    *ret = buf;
    return 0;
fail:
    if (out)
        fclose(out);
    free(buf);
    return r;
}

/* supervisord's boolean(): true/yes/on/1, false/no/off/0, any case. */
static int parse_bool(const char *v, bool *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* A decimal integer in [min, max], optionally signed, surrounding blanks allowed (Python's
 * int(), without its underscores). */
static int parse_long(const char *v, long min, long max, long *ret)
{
    const char *p = v;
    char *end;
    long n;

    while (is_blank(*p))
        p++;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char) *p))
        return -EINVAL;
    errno = 0;
    n = strtol(v, &end, 10);
    while (is_blank(*end))
        end++;
    if (*end || errno == ERANGE || n < min || n > max)
        return -EINVAL;
    *ret = n;
    return 0;
}

/* supervisord's byte_size(): an integer with an optional KB, MB or GB suffix (powers of 1024,
 * any case). */
static int parse_byte_size(const char *v, size_t *ret)
{
    static const struct {
        const char *suffix;
        size_t mult;
    } suffixes[] = {{"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024 * 1024 * 1024}};
    size_t len = strlen(v), mult = 1, i;
    char *num;
    long n;
    int r;

    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (len >= 2 && strcasecmp(v + len - 2, suffixes[i].suffix) == 0) {
            mult = suffixes[i].mult;
            len -= 2;
            break;
        }
    }
    num = strndup(v, len);
    if (!num)
        return -ENOMEM;
    r = parse_long(num, 0, LONG_MAX, &n);
    free(num);
    if (r < 0)
        return r;
    if ((unsigned long) n > SIZE_MAX / mult)
        return -EINVAL;
    *ret = (size_t) n * mult;
    return 0;
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char) c) || c == '_' || c == '.' || c == '-';
}

/* supervisord's environment= reads through Python's non-POSIX shlex: "word" characters are
 * letters, digits and _ / . + - ( ) :, anything else is a token of its own. */
static bool is_env_word_char(char c)
{
    return c && (isalnum((unsigned char) c) || strchr("_/.+-():", c) || (unsigned char) c >= 0x80);
}

/* Appends or (same key: the last one wins, as in supervisord's dict) replaces KEY=VALUE. */
static int env_set(char ***env, size_t *len, const char *key, size_t key_len, const char *value,
                   size_t value_len)
{
    char *entry, **more;
    size_t i;

    entry = malloc(key_len + 1 + value_len + 1);
    if (!entry)
        return -ENOMEM;
    memcpy(entry, key, key_len);
    entry[key_len] = '=';
    memcpy(entry + key_len + 1, value, value_len);
    entry[key_len + 1 + value_len] = '\0';
    for (i = 0; i < *len; i++) {
        if (strncmp((*env)[i], entry, key_len + 1) == 0) {
            free((*env)[i]);
            (*env)[i] = entry;
            return 0;
        }
    }
    more = realloc(*env, (*len + 2) * sizeof(*more));
    if (!more) {
        free(entry);
        return -ENOMEM;
    }
    *env = more;
    more[(*len)++] = entry;
    more[*len] = NULL;
    return 0;
}

/* supervisord's dict_of_key_value_pairs(): KEY=value pairs separated by commas; a value is a
 * run of word characters or a quoted string ('...' or "...", no escapes inside), from which
 * supervisord strips any quote characters at either end. Blanks and newlines around tokens are
 * ignored; a trailing comma is allowed. Where supervisord would silently split a value at an
 * unexpected character (A=x@y gives A=x), this refuses and asks for quotes. */
static int parse_environment(struct scope *s, const char *v, char ***ret)
{
    char **env = NULL;
    size_t len = 0;
    const char *p = v, *key, *val;
    size_t key_len, val_len;
    int r;

    env = calloc(1, sizeof(*env));
    if (!env)
        return load_oom(s->ld);
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        key = p;
        while (is_env_word_char(*p))
            p++;
        key_len = (size_t) (p - key);
        if (key_len == 0) {
            r = scope_fail(s, "expected KEY=value at '%.20s'", p);
            goto fail;
        }
        while (is_blank(*p))
            p++;
        if (*p != '=') {
            r = scope_fail(s, "expected '=' after %.*s", (int) key_len, key);
            goto fail;
        }
        p++;
        while (is_blank(*p))
            p++;
        if (*p == '"' || *p == '\'') {
            const char *close = strchr(p + 1, *p);

            if (!close) {
                r = scope_fail(s, "unterminated %c in the value of %.*s", *p, (int) key_len, key);
                goto fail;
            }
            val = p + 1;
            val_len = (size_t) (close - val);
            p = close + 1;
            while (val_len > 0 && (*val == '"' || *val == '\'')) {
                val++;
                val_len--;
            }
            while (val_len > 0 && (val[val_len - 1] == '"' || val[val_len - 1] == '\''))
                val_len--;
        } else {
            val = p;
            while (is_env_word_char(*p))
                p++;
            val_len = (size_t) (p - val);
            if (val_len == 0) {
                r = scope_fail(s, "empty value for %.*s (write %.*s=\"\")", (int) key_len, key,
                               (int) key_len, key);
                goto fail;
            }
        }
        while (is_blank(*p))
            p++;
        if (*p && *p != ',') {
            r = scope_fail(s, "unexpected '%c' in the value of %.*s (quote the value)", *p,
                           (int) key_len, key);
            goto fail;
        }
        if (env_set(&env, &len, key, key_len, val, val_len) < 0) {
            r = load_oom(s->ld);
            goto fail;
        }
        if (*p == ',')
            p++;
    }
    *ret = env;
    return 0;
fail:
    config_argv_free(env);
    return r;
}

/* ---- Splitting command= ----------------------------------------------------------------- */

/* Appends a copy of word; *cap grows by doubling (commands can have thousands of words). */
static int argv_push(char ***argv, size_t *len, size_t *cap, const char *word, size_t word_len)
{
    char **more, *copy;

    copy = strndup(word, word_len);
    if (!copy)
        return -ENOMEM;
    if (*len + 2 > *cap) {
        more = realloc(*argv, (*cap ? *cap * 2 : 8) * sizeof(*more));
        if (!more) {
            free(copy);
            return -ENOMEM;
        }
        *argv = more;
        *cap = *cap ? *cap * 2 : 8;
    }
    (*argv)[(*len)++] = copy;
    (*argv)[*len] = NULL;
    return 0;
}

/* config_split_argv() with the reason of an -EINVAL in *ret_why. */
static int split_words(const char *line, char ***ret_argv, const char **ret_why)
{
    char **argv = NULL, *word;
    size_t argv_len = 0, argv_cap = 0, len;
    const char *p = line;
    bool in_word;
    int r = 0;

    *ret_why = NULL;
    word = malloc(strlen(line) + 1); /* no word is longer than the line */
    if (!word)
        return -ENOMEM;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        if (*p == '#') { /* a comment runs to the end of the line */
            p += strcspn(p, "\n");
            continue;
        }
        len = 0;
        in_word = false; /* "" makes a word, a backslash-newline alone does not */
        while (*p && !is_blank(*p)) {
            if (*p == '\'') {
                in_word = true;
                for (p++; *p && *p != '\''; p++)
                    word[len++] = *p;
                if (!*p) {
                    *ret_why = "unterminated single quote";
                    r = -EINVAL;
                    goto fail;
                }
                p++;
            } else if (*p == '"') {
                in_word = true;
                for (p++; *p && *p != '"'; p++) {
                    /* Inside "...", a backslash escapes only $ ` " \ and newline. */
                    if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
                        p++;
                        if (*p != '\n')
                            word[len++] = *p;
                    } else {
                        word[len++] = *p;
                    }
                }
                if (!*p) {
                    *ret_why = "unterminated double quote";
                    r = -EINVAL;
                    goto fail;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    *ret_why = "backslash at the end";
                    r = -EINVAL;
                    goto fail;
                }
                if (p[1] != '\n') { /* backslash-newline: a line continuation, removed */
                    word[len++] = p[1];
                    in_word = true;
                }
                p += 2;
            } else {
                word[len++] = *p++;
                in_word = true;
            }
        }
        if (in_word && argv_push(&argv, &argv_len, &argv_cap, word, len) < 0) {
            r = -ENOMEM;
            goto fail;
        }
    }
    if (argv_len == 0) {
        *ret_why = "no command (empty, or only a comment)";
        r = -EINVAL;
        goto fail;
    }
    *ret_argv = argv;
    argv = NULL;
fail:
    config_argv_free(argv);
    free(word);
    return r;
}

int config_split_argv(const char *line, char ***ret_argv)
{
    const char *why;

    if (!line || !ret_argv)
        return -EINVAL;
    return split_words(line, ret_argv, &why);
}

void config_argv_free(char **argv)
{
    char **p;

    if (!argv)
        return;
    for (p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* ---- [program:NAME] ------------------------------------------------------------------- */

/* One [program:NAME] section being turned into a job. */
struct program {
    struct scope s;
    struct config_job *job;
    struct config_log *log;           /* the stream of a stdout_* / stderr_* key */
    const struct raw_entry *command;  /* for argv, built once shell= is known */
    char *command_expanded;
    const struct raw_entry *stderr_logfile, *backoff_initial, *backoff_max;
};

static int key_command(struct program *pg, const char *v)
{
    pg->command = pg->s.e;
    pg->job->command = strdup(pg->s.e->value); /* as written, for status and diffs */
    pg->command_expanded = strdup(v);
    if (!pg->job->command || !pg->command_expanded)
        return load_oom(pg->s.ld);
    if (strspn(v, " \t\r\n") == strlen(v))
        return scope_fail(&pg->s, "empty command");
    return 0;
}

static int key_directory(struct program *pg, const char *v)
{
    if (!*v)
        return scope_fail(&pg->s, "empty directory");
    return load_resolve(pg->s.ld, v, &pg->job->directory);
}

static int key_environment(struct program *pg, const char *v)
{
    char **env = NULL;
    int r;

    r = parse_environment(&pg->s, v, &env);
    if (r < 0)
        return r;
    config_argv_free(pg->job->environment);
    pg->job->environment = env;
    return 0;
}

static int key_user(struct program *pg, const char *v)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    long uid;
    int r;

    if (!*v)
        return scope_fail(&pg->s, "empty user");
    /* supervisord resolves the user when it reads the file, and refuses an unknown one. */
    if (parse_long(v, 0, INT_MAX, &uid) < 0) {
        r = getpwnam_r(v, &pw, buf, sizeof(buf), &found);
        if (r != 0 && r != ENOENT && r != ESRCH)
            return scope_fail(&pg->s, "cannot look up user '%s': %s", v, strerror(r));
        if (!found)
            return scope_fail(&pg->s, "unknown user '%s'", v);
    }
    pg->job->user = strdup(v);
    return pg->job->user ? 0 : load_oom(pg->s.ld);
}

static int key_umask(struct program *pg, const char *v)
{
    const char *p = v;
    char *end;
    long mask;

    /* Python's int(v, 8): "022", "0o22", "22". */
    if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        p += 2;
    if (*p < '0' || *p > '7')
        return scope_fail(&pg->s, "'%s' is not an octal umask such as 022", v);
    errno = 0;
    mask = strtol(p, &end, 8);
    if (*end || errno == ERANGE || mask > 0777)
        return scope_fail(&pg->s, "'%s' is not an octal umask such as 022", v);
    pg->job->umask = (int) mask;
    return 0;
}

static int key_bool(struct program *pg, const char *v, bool *ret)
{
    if (parse_bool(v, ret) < 0)
        return scope_fail(&pg->s, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", v);
    return 0;
}

static int key_autostart(struct program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->autostart);
}

static int key_autorestart(struct program *pg, const char *v)
{
    bool b;

    if (strcasecmp(v, "unexpected") == 0) {
        pg->job->autorestart = CONFIG_RESTART_UNEXPECTED;
        return 0;
    }
    if (parse_bool(v, &b) < 0)
        return scope_fail(&pg->s, "'%s' is not true, false or unexpected", v);
    pg->job->autorestart = b ? CONFIG_RESTART_ALWAYS : CONFIG_RESTART_NEVER;
    return 0;
}

static int key_exitcodes(struct program *pg, const char *v)
{
    int *codes = NULL, *more;
    size_t len = 0, n;
    const char *p = v;
    char *item;
    long code;
    int r;

    /* supervisord: an empty list is allowed (every exit is unexpected). */
    if (strspn(v, " \t\r\n") == strlen(v)) {
        free(pg->job->exitcodes);
        pg->job->exitcodes = NULL;
        pg->job->exitcodes_len = 0;
        return 0;
    }
    for (;;) {
        n = strcspn(p, ",");
        item = strndup(p, n);
        if (!item) {
            free(codes);
            return load_oom(pg->s.ld);
        }
        r = parse_long(item, 0, 255, &code);
        if (r < 0) {
            r = scope_fail(&pg->s, "'%s' is not an exit code (0-255)", item);
            free(item);
            free(codes);
            return r;
        }
        free(item);
        more = realloc(codes, (len + 1) * sizeof(*more));
        if (!more) {
            free(codes);
            return load_oom(pg->s.ld);
        }
        codes = more;
        codes[len++] = (int) code;
        if (!p[n])
            break;
        p += n + 1;
    }
    free(pg->job->exitcodes);
    pg->job->exitcodes = codes;
    pg->job->exitcodes_len = len;
    return 0;
}

static int key_duration(struct program *pg, const char *v, double *ret)
{
    if (timer_parse_duration(v, ret) < 0)
        return scope_fail(&pg->s, "'%s' is not a duration (such as 10, 1.5s, 2m, 1h)", v);
    return 0;
}

static int key_startsecs(struct program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->startsecs);
}

static int key_startretries(struct program *pg, const char *v)
{
    long n;

    if (parse_long(v, 0, UINT_MAX, &n) < 0)
        return scope_fail(&pg->s, "'%s' is not a count (0 or more)", v);
    pg->job->startretries = (unsigned) n;
    return 0;
}

static int key_stopsignal(struct program *pg, const char *v)
{
    if (signame_parse(v, &pg->job->stopsignal) < 0)
        return scope_fail(&pg->s, "unknown signal '%s'", v);
    return 0;
}

static int key_stopwaitsecs(struct program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->stopwaitsecs);
}

static int key_priority(struct program *pg, const char *v)
{
    long n;

    if (parse_long(v, INT_MIN, INT_MAX, &n) < 0)
        return scope_fail(&pg->s, "'%s' is not an integer", v);
    pg->job->priority = (int) n;
    return 0;
}

static int key_redirect_stderr(struct program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->redirect_stderr);
}

/* ~ and ~user at the start, as supervisord's existing_dirpath() does for log files. */
static int expand_tilde(struct program *pg, const char *v, char **ret)
{
    const char *rest = v + 1 + strcspn(v + 1, "/"), *home = NULL;
    struct passwd pw, *found = NULL;
    char buf[4096], *user;

    if (rest == v + 1) {
        home = getenv("HOME");
        if ((!home || !*home) && getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 &&
            found)
            home = pw.pw_dir;
    } else {
        user = strndup(v + 1, (size_t) (rest - (v + 1)));
        if (!user)
            return load_oom(pg->s.ld);
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found)
            home = pw.pw_dir;
        free(user);
    }
    if (!home)
        return scope_fail(&pg->s, "cannot expand '%.*s': no such user or no home",
                          (int) (rest - v), v);
    if (asprintf(ret, "%s%s", home, rest) < 0)
        return load_oom(pg->s.ld);
    return 0;
}

static int key_logfile(struct program *pg, const char *v)
{
    struct config_log *log = pg->log;
    char *tilde = NULL;
    int r;

    if (!*v)
        return scope_fail(&pg->s, "empty path (use NONE to discard, AUTO for pgsup's own)");
    if (log == &pg->job->err)
        pg->stderr_logfile = pg->s.e;
    free(log->path);
    log->path = NULL;
    log->discard = false;
    if (strcasecmp(v, "NONE") == 0 || strcasecmp(v, "OFF") == 0) {
        log->discard = true;
        return 0;
    }
    if (strcasecmp(v, "AUTO") == 0)
        return 0;
    if (strcasecmp(v, "SYSLOG") == 0) {
        scope_warn(&pg->s, "syslog is not supported; output goes to pgsup's own, continuing");
        return 0;
    }
    if (v[0] == '~') {
        r = expand_tilde(pg, v, &tilde);
        if (r < 0)
            return r;
        v = tilde;
    }
    r = load_resolve(pg->s.ld, v, &log->path);
    free(tilde);
    return r;
}

static int key_maxbytes(struct program *pg, const char *v)
{
    int r = parse_byte_size(v, &pg->log->maxbytes);

    if (r == -ENOMEM)
        return load_oom(pg->s.ld);
    if (r < 0)
        return scope_fail(&pg->s, "'%s' is not a size (bytes, or with KB, MB, GB)", v);
    return 0;
}

static int key_backups(struct program *pg, const char *v)
{
    long n;

    if (parse_long(v, 0, UINT_MAX, &n) < 0)
        return scope_fail(&pg->s, "'%s' is not a count (0 or more)", v);
    pg->log->backups = (unsigned) n;
    return 0;
}

static int key_asgroup(struct program *pg, const char *v)
{
    bool b;
    int r = key_bool(pg, v, &b);

    if (r == 0 && !b)
        scope_warn(&pg->s, "pgsup always signals the whole process group; false is ignored, "
                           "continuing");
    return r;
}

static int key_numprocs(struct program *pg, const char *v)
{
    long n;

    if (parse_long(v, LONG_MIN, LONG_MAX, &n) < 0 || n != 1)
        return scope_fail(&pg->s, "'%s': pgsup runs one process group per [program:x]; only 1 "
                                  "is accepted",
                          v);
    return 0;
}

/* Read before the other keys (see program_build()): only checked here. */
static int key_numprocs_start(struct program *pg, const char *v)
{
    (void) pg;
    (void) v;
    return 0;
}

static int key_process_name(struct program *pg, const char *v)
{
    if (strcmp(v, pg->job->name) != 0)
        scope_warn(&pg->s, "'%s' is ignored: the job is called '%s' after its section, "
                           "continuing",
                   v, pg->job->name);
    return 0;
}

static int key_timeout(struct program *pg, const char *v)
{
    return key_duration(pg, v, &pg->job->timeout);
}

static int key_backoff(struct program *pg, const char *v, double *ret)
{
    int r = key_duration(pg, v, ret);

    if (r == 0 && *ret <= 0)
        return scope_fail(&pg->s, "must be more than 0");
    return r;
}

static int key_backoff_initial(struct program *pg, const char *v)
{
    pg->backoff_initial = pg->s.e;
    return key_backoff(pg, v, &pg->job->backoff_initial);
}

static int key_backoff_max(struct program *pg, const char *v)
{
    pg->backoff_max = pg->s.e;
    return key_backoff(pg, v, &pg->job->backoff_max);
}

static int key_shell(struct program *pg, const char *v)
{
    return key_bool(pg, v, &pg->job->shell);
}

/* Only "kill": a crashed daemon's trees are killed by their own supervisors, and the parts
 * they miss have lost whoever could collect their exit status, so nothing is left that could
 * be supervised safely (README "Crash recovery"). The key exists to say so, not to be ignored. */
static int key_on_leftovers(struct program *pg, const char *v)
{
    if (strcasecmp(v, "kill") == 0)
        return 0;
    if (strcasecmp(v, "adopt") == 0)
        return scope_fail(&pg->s, "'adopt' is not supported: leftovers of a crashed daemon are "
                                  "always killed (use 'kill')");
    return scope_fail(&pg->s, "'%s' is not kill", v);
}

enum key_stream { STREAM_NONE, STREAM_OUT, STREAM_ERR };

static const struct program_key {
    const char *name;
    int (*parse)(struct program *pg, const char *value); /* NULL: supervisord's, ignored */
    enum key_stream stream;
} program_keys[] = {
    {"command", key_command, STREAM_NONE},
    {"directory", key_directory, STREAM_NONE},
    {"environment", key_environment, STREAM_NONE},
    {"user", key_user, STREAM_NONE},
    {"umask", key_umask, STREAM_NONE},
    {"autostart", key_autostart, STREAM_NONE},
    {"autorestart", key_autorestart, STREAM_NONE},
    {"exitcodes", key_exitcodes, STREAM_NONE},
    {"startsecs", key_startsecs, STREAM_NONE},
    {"startretries", key_startretries, STREAM_NONE},
    {"stopsignal", key_stopsignal, STREAM_NONE},
    {"stopwaitsecs", key_stopwaitsecs, STREAM_NONE},
    {"priority", key_priority, STREAM_NONE},
    {"redirect_stderr", key_redirect_stderr, STREAM_NONE},
    {"stdout_logfile", key_logfile, STREAM_OUT},
    {"stdout_logfile_maxbytes", key_maxbytes, STREAM_OUT},
    {"stdout_logfile_backups", key_backups, STREAM_OUT},
    {"stderr_logfile", key_logfile, STREAM_ERR},
    {"stderr_logfile_maxbytes", key_maxbytes, STREAM_ERR},
    {"stderr_logfile_backups", key_backups, STREAM_ERR},
    {"stopasgroup", key_asgroup, STREAM_NONE},
    {"killasgroup", key_asgroup, STREAM_NONE},
    {"numprocs", key_numprocs, STREAM_NONE},
    {"numprocs_start", key_numprocs_start, STREAM_NONE},
    {"process_name", key_process_name, STREAM_NONE},
    /* pgsup's own */
    {"timeout", key_timeout, STREAM_NONE},
    {"backoff_initial", key_backoff_initial, STREAM_NONE},
    {"backoff_max", key_backoff_max, STREAM_NONE},
    {"shell", key_shell, STREAM_NONE},
    {"on_leftovers", key_on_leftovers, STREAM_NONE},
    /* supervisord's, without a meaning in pgsup */
    {"stdout_capture_maxbytes", NULL, STREAM_NONE},
    {"stdout_events_enabled", NULL, STREAM_NONE},
    {"stdout_syslog", NULL, STREAM_NONE},
    {"stderr_capture_maxbytes", NULL, STREAM_NONE},
    {"stderr_events_enabled", NULL, STREAM_NONE},
    {"stderr_syslog", NULL, STREAM_NONE},
    {"serverurl", NULL, STREAM_NONE},
};

static void job_free_fields(struct config_job *job)
{
    free(job->name);
    config_argv_free(job->argv);
    free(job->command);
    free(job->directory);
    config_argv_free(job->environment);
    free(job->user);
    free(job->exitcodes);
    free(job->out.path);
    free(job->err.path);
}

static int job_init(struct config_job *job, const char *name)
{
    *job = (struct config_job){
        .umask = -1,
        .autostart = true,
        .autorestart = CONFIG_RESTART_UNEXPECTED,
        .startsecs = 1,
        .startretries = 3,
        .stopsignal = SIGTERM,
        .stopwaitsecs = 10,
        .priority = 999,
        .out = {.maxbytes = DEFAULT_LOG_MAXBYTES, .backups = DEFAULT_LOG_BACKUPS},
        .err = {.maxbytes = DEFAULT_LOG_MAXBYTES, .backups = DEFAULT_LOG_BACKUPS},
        .backoff_initial = 1,
        .backoff_max = 60,
    };
    job->name = strdup(name);
    job->environment = calloc(1, sizeof(*job->environment));
    job->exitcodes = calloc(1, sizeof(*job->exitcodes));
    if (!job->name || !job->environment || !job->exitcodes)
        return -ENOMEM;
    job->exitcodes_len = 1; /* {0} */
    return 0;
}

static const struct program_key *program_key_find(const char *key)
{
    size_t i;

    for (i = 0; i < sizeof(program_keys) / sizeof(program_keys[0]); i++) {
        if (strcasecmp(program_keys[i].name, key) == 0)
            return &program_keys[i];
    }
    return NULL;
}

static int program_build_argv(struct program *pg)
{
    struct config_job *job = pg->job;
    const char *why;
    int r;

    pg->s.e = pg->command;
    if (job->shell) {
        /* The text goes to sh as it is (expanded): sh does its own splitting. */
        job->argv = calloc(4, sizeof(*job->argv));
        if (!job->argv)
            return load_oom(pg->s.ld);
        job->argv[0] = strdup("/bin/sh");
        job->argv[1] = strdup("-c");
        job->argv[2] = strdup(pg->command_expanded);
        if (!job->argv[0] || !job->argv[1] || !job->argv[2])
            return load_oom(pg->s.ld);
        return 0;
    }
    r = split_words(pg->command_expanded, &job->argv, &why);
    if (r == -ENOMEM)
        return load_oom(pg->s.ld);
    if (r < 0)
        return scope_fail(&pg->s, "%s", why);
    return 0;
}

/* Reads the section's keys in file order into job (initialized by the caller). */
static int program_build(struct load *ld, const struct raw_section *sec, struct config_job *job)
{
    struct program pg = {
        .s = {.ld = ld, .sec = sec, .program = job->name},
        .job = job,
    };
    const struct program_key *k;
    char *v = NULL;
    size_t i;
    long n;
    int r = 0;

    /* %(process_num)s is numprocs_start (numprocs is always 1); any key may use it. */
    for (i = 0; i < sec->entries_len; i++) {
        if (strcasecmp(sec->entries[i].key, "numprocs_start") != 0)
            continue;
        pg.s.e = &sec->entries[i];
        if (parse_long(pg.s.e->value, 0, INT_MAX, &n) < 0)
            return scope_fail(&pg.s, "'%s' is not a count (0 or more)", pg.s.e->value);
        pg.s.process_num = n;
    }
    for (i = 0; i < sec->entries_len; i++) {
        pg.s.e = &sec->entries[i];
        k = program_key_find(pg.s.e->key);
        if (!k) {
            scope_warn(&pg.s, "unknown key ignored, continuing");
            continue;
        }
        if (!k->parse) {
            scope_warn(&pg.s, "supervisord key not used by pgsup, ignored, continuing");
            continue;
        }
        pg.log = k->stream == STREAM_ERR ? &job->err : &job->out;
        r = scope_expand(&pg.s, pg.s.e->value, &v);
        if (r < 0)
            goto fail;
        r = k->parse(&pg, v);
        free(v);
        v = NULL;
        if (r < 0)
            goto fail;
    }
    if (ld->r < 0) { /* a warning ran out of memory */
        r = ld->r;
        goto fail;
    }

    pg.s.e = NULL;
    if (!pg.command) {
        r = load_fail(ld, sec->line, sec->name, "command", "missing: every [%s] needs command=",
                      sec->name);
        goto fail;
    }
    r = program_build_argv(&pg);
    if (r < 0)
        goto fail;
    if (job->backoff_max < job->backoff_initial) {
        pg.s.e = pg.backoff_max ? pg.backoff_max : pg.backoff_initial;
        r = scope_fail(&pg.s, "backoff_max (%gs) is less than backoff_initial (%gs)",
                       job->backoff_max, job->backoff_initial);
        goto fail;
    }
    if (job->redirect_stderr && pg.stderr_logfile) {
        pg.s.e = pg.stderr_logfile;
        scope_warn(&pg.s, "ignored: redirect_stderr=true sends stderr to stdout's "
                          "destination, continuing");
    }
fail:
    free(pg.command_expanded);
    return r < 0 ? r : ld->r;
}

static int load_program(struct load *ld, const struct raw_section *sec, struct config *config)
{
    const char *name = sec->name + strlen("program:"), *p;
    struct config_job job, *more;
    int r;

    for (p = name; is_name_char(*p); p++)
        ;
    if (p == name || *p || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return load_fail(ld, sec->line, sec->name, NULL,
                         "program name '%s' must be made of A-Z a-z 0-9 _ . - (not . or ..)",
                         name);
    r = job_init(&job, name);
    if (r < 0) {
        job_free_fields(&job);
        return load_oom(ld);
    }
    r = program_build(ld, sec, &job);
    if (r < 0)
        goto fail;
    more = realloc(config->jobs, (config->jobs_len + 1) * sizeof(*more));
    if (!more) {
        r = load_oom(ld);
        goto fail;
    }
    config->jobs = more;
    config->jobs[config->jobs_len++] = job;
    return 0;
fail:
    job_free_fields(&job);
    return r;
}

/* ---- [pgsup] and the rest -------------------------------------------------------------- */

static int load_pgsup(struct load *ld, const struct raw_section *sec, struct config *config)
{
    struct scope s = {.ld = ld, .sec = sec};
    char *v = NULL, **dest;
    size_t i;
    int r = 0;

    for (i = 0; i < sec->entries_len; i++) {
        s.e = &sec->entries[i];
        if (strcasecmp(s.e->key, "socket") == 0) {
            dest = &config->socket_path;
        } else if (strcasecmp(s.e->key, "state") == 0) {
            dest = &config->state_path;
        } else {
            scope_warn(&s, "unknown key ignored, continuing");
            continue;
        }
        r = scope_expand(&s, s.e->value, &v);
        if (r < 0)
            break;
        if (!*v)
            r = scope_fail(&s, "empty path");
        else
            r = load_resolve(ld, v, dest);
        free(v);
        v = NULL;
        if (r < 0)
            break;
    }
    return r;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void load_ignored_section(struct load *ld, const struct raw_section *sec)
{
    struct scope s = {.ld = ld, .sec = sec};
    static const char *const supervisord_sections[] = {
        "supervisord",   "unix_http_server", "inet_http_server", "supervisorctl",
        "rpcinterface:", "eventlistener:",   "fcgi-program:",
    };
    size_t i;

    if (strcmp(sec->name, "include") == 0) {
        scope_warn(&s, "[include] is not supported: the files it names are not read, "
                       "continuing");
        return;
    }
    if (has_prefix(sec->name, "group:")) {
        scope_warn(&s, "[group:x] is not supported: its programs run as separate jobs, "
                       "continuing");
        return;
    }
    for (i = 0; i < sizeof(supervisord_sections) / sizeof(supervisord_sections[0]); i++) {
        const char *known = supervisord_sections[i];
        bool prefix = known[strlen(known) - 1] == ':';

        if (prefix ? has_prefix(sec->name, known) : strcmp(sec->name, known) == 0) {
            scope_warn(&s, "supervisord section ignored, continuing");
            return;
        }
    }
    scope_warn(&s, "unknown section ignored, continuing");
}

int config_default_socket_path(char **ret_path)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *path;
    int n;

    if (geteuid() == 0)
        n = asprintf(&path, "/run/pgsup.sock");
    else if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is to be ignored */
        n = asprintf(&path, "%s/pgsup.sock", xdg);
    else
        n = asprintf(&path, "/tmp/pgsup-%u.sock", (unsigned) geteuid());
    if (n < 0)
        return -ENOMEM;
    *ret_path = path;
    return 0;
}

static int job_compare(const void *a, const void *b)
{
    const struct config_job *x = a, *y = b;

    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int load_build(struct load *ld, struct config *config)
{
    const struct raw_section *sec;
    size_t i;
    int r = 0;

    for (i = 0; i < ld->sections_len && r == 0; i++) {
        sec = &ld->sections[i];
        if (has_prefix(sec->name, "program:"))
            r = load_program(ld, sec, config);
        else if (strcmp(sec->name, "pgsup") == 0)
            r = load_pgsup(ld, sec, config);
        else
            load_ignored_section(ld, sec);
    }
    if (r < 0 || ld->r < 0)
        return r < 0 ? r : ld->r;
    if (!config->socket_path && config_default_socket_path(&config->socket_path) < 0)
        return load_oom(ld);
    if (!config->state_path && asprintf(&config->state_path, "%s.state", config->socket_path) < 0) {
        config->state_path = NULL;
        return load_oom(ld);
    }
    if (config->jobs_len > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(config->jobs, config->jobs_len, sizeof(*config->jobs), job_compare);
    return 0;
}

static void load_free(struct load *ld)
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
    free(ld->dir);
    if (ld->fp)
        fclose(ld->fp);
}

int config_load(const char *path, config_warn_fn *warn, void *userdata,
                struct config **ret_config, struct config_diag *ret_error)
{
    struct load ld = {.file = path ? path : "", .cur = -1};
    struct config *config = NULL;
    struct utsname uts;
    size_t i;
    int r;

    if (!path || !*path || !ret_config) {
        r = load_fail_errno(&ld, -EINVAL, "no file name or nowhere to put the config");
        goto fail;
    }
    config = calloc(1, sizeof(*config));
    if (!config) {
        r = load_oom(&ld);
        goto fail;
    }
    r = path_absolute(path, &config->path);
    if (r < 0) {
        r = load_fail_errno(&ld, r, "cannot resolve the path: %s", strerror(-r));
        goto fail;
    }
    ld.dir = path_dirname(config->path);
    if (!ld.dir) {
        r = load_oom(&ld);
        goto fail;
    }
    if (uname(&uts) == 0)
        copy_cut(ld.host, sizeof(ld.host), uts.nodename);
    ld.fp = fopen(path, "re");
    if (!ld.fp) {
        r = load_fail_errno(&ld, -errno, "cannot open: %s", strerror(errno));
        goto fail;
    }
    r = load_read_file(&ld);
    if (r < 0)
        goto fail;
    r = load_build(&ld, config);
    if (r < 0)
        goto fail;

    for (i = 0; warn && i < ld.warnings_len; i++) {
        struct config_diag d = {
            .file = path,
            .line = ld.warnings[i].line,
            .section = ld.warnings[i].section,
            .key = ld.warnings[i].key,
            .message = ld.warnings[i].message,
        };
        warn(&d, userdata);
    }
    load_free(&ld);
    *ret_config = config;
    return 0;
fail:
    if (ret_error) {
        *ret_error = (struct config_diag){
            .file = last_error.file,
            .line = last_error.line,
            .section = last_error.has_section ? last_error.section : NULL,
            .key = last_error.has_key ? last_error.key : NULL,
            .message = last_error.message,
        };
    }
    config_free(config);
    load_free(&ld);
    return r;
}

void config_free(struct config *config)
{
    size_t i;

    if (!config)
        return;
    for (i = 0; i < config->jobs_len; i++)
        job_free_fields(&config->jobs[i]);
    free(config->jobs);
    free(config->path);
    free(config->socket_path);
    free(config->state_path);
    free(config);
}

const struct config_job *config_find(const struct config *config, const char *name)
{
    size_t i;

    if (!config || !name)
        return NULL;
    for (i = 0; i < config->jobs_len; i++) {
        if (strcmp(config->jobs[i].name, name) == 0)
            return &config->jobs[i];
    }
    return NULL;
}

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_equal(char *const *a, char *const *b)
{
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++) {
        if (strcmp(*a, *b) != 0)
            return false;
    }
    return !*a && !*b;
}

static bool log_equal(const struct config_log *a, const struct config_log *b)
{
    return str_equal(a->path, b->path) && a->discard == b->discard &&
           a->maxbytes == b->maxbytes && a->backups == b->backups;
}

/* Every member is compared below: a new one must be added there too. */
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct config_job) == 208, "struct config_job changed: update "
                                                  "config_job_equal()");
#endif

bool config_job_equal(const struct config_job *a, const struct config_job *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    return str_equal(a->name, b->name) && strv_equal(a->argv, b->argv) &&
           str_equal(a->command, b->command) && str_equal(a->directory, b->directory) &&
           strv_equal(a->environment, b->environment) && str_equal(a->user, b->user) &&
           a->umask == b->umask && a->autostart == b->autostart &&
           a->autorestart == b->autorestart && a->exitcodes_len == b->exitcodes_len &&
           (a->exitcodes_len == 0 ||
            memcmp(a->exitcodes, b->exitcodes, a->exitcodes_len * sizeof(*a->exitcodes)) == 0) &&
           a->startsecs == b->startsecs && a->startretries == b->startretries &&
           a->stopsignal == b->stopsignal && a->stopwaitsecs == b->stopwaitsecs &&
           a->priority == b->priority && a->redirect_stderr == b->redirect_stderr &&
           log_equal(&a->out, &b->out) && log_equal(&a->err, &b->err) &&
           a->timeout == b->timeout && a->backoff_initial == b->backoff_initial &&
           a->backoff_max == b->backoff_max && a->shell == b->shell;
}
