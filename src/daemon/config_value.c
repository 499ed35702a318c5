/* config_value.c: the value parsers of the config file, with supervisord's meanings: booleans,
 * integers, byte sizes and environment= lists. Durations and signals are core's (timer.c,
 * signame.c); command= splitting is config_words.c's. */
#include "config_value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_words.h"

/* supervisord's boolean(): true/yes/on/1, false/no/off/0, any case. */
int config_value_bool(const char *v, bool *ret)
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
int config_value_long(const char *v, long min, long max, long *ret)
{
    const char *p = v;
    char *end;
    long n;

    while (config_words_blank(*p))
        p++;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    errno = 0;
    n = strtol(v, &end, 10);
    while (config_words_blank(*end))
        end++;
    if (*end || errno == ERANGE || n < min || n > max)
        return -EINVAL;
    *ret = n;
    return 0;
}

/* supervisord's byte_size(): an integer with an optional KB, MB or GB suffix (powers of 1024,
 * any case). */
int config_value_size(const char *v, size_t *ret)
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
    r = config_value_long(num, 0, LONG_MAX, &n);
    free(num);
    if (r < 0)
        return r;
    if ((unsigned long)n > SIZE_MAX / mult)
        return -EINVAL;
    *ret = (size_t)n * mult;
    return 0;
}

/* supervisord's environment= reads through Python's non-POSIX shlex: "word" characters are
 * letters, digits and _ / . + - ( ) :, anything else is a token of its own. */
static bool is_env_word_char(char c)
{
    return c && (isalnum((unsigned char)c) || strchr("_/.+-():", c) || (unsigned char)c >= 0x80);
}

/* environment= as it is built: the entries in the order their keys first appear, and a hash
 * of the keys, so that a list of n entries costs O(n), not O(n^2) (a 150,000-line value must
 * not block a reload). */
struct env_list {
    char **v;        /* NULL-ended once anything is in it */
    size_t len, cap;
    size_t *slots;   /* open addressing: index + 1 of the entry holding a key; 0: free */
    size_t slots_len; /* a power of 2, more than twice len */
};

static size_t env_hash(const char *key, size_t key_len)
{
    size_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < key_len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

/* The slot of key: the one that holds it, or the free one where it would go. */
static size_t *env_slot(const struct env_list *l, const char *key, size_t key_len)
{
    size_t mask = l->slots_len - 1, i = env_hash(key, key_len) & mask;

    for (;; i = (i + 1) & mask) {
        size_t *slot = &l->slots[i];
        if (*slot == 0 || strncmp(l->v[*slot - 1], key, key_len + 1) == 0)
            return slot;
    }
}

static int env_grow(struct env_list *l)
{
    size_t cap = l->cap ? l->cap * 2 : 8, n = cap * 4;
    char **v = realloc(l->v, (cap + 1) * sizeof(*v));
    size_t *slots;

    if (!v)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    free(l->slots);
    l->slots = slots;
    l->slots_len = n;
    for (size_t i = 0; i < l->len; i++)
        *env_slot(l, l->v[i], (size_t)(strchr(l->v[i], '=') - l->v[i])) = i + 1;
    return 0;
}

/* Appends or (same key: the last one wins, as in supervisord's dict) replaces KEY=VALUE. */
static int env_set(struct env_list *l, const char *key, size_t key_len, const char *value,
                   size_t value_len)
{
    char *entry;
    size_t *slot;

    if (l->len == l->cap && env_grow(l) < 0)
        return -ENOMEM;
    entry = malloc(key_len + 1 + value_len + 1);
    if (!entry)
        return -ENOMEM;
    memcpy(entry, key, key_len);
    entry[key_len] = '=';
    memcpy(entry + key_len + 1, value, value_len);
    entry[key_len + 1 + value_len] = '\0';
    slot = env_slot(l, entry, key_len);
    if (*slot) {
        free(l->v[*slot - 1]);
        l->v[*slot - 1] = entry;
        return 0;
    }
    l->v[l->len++] = entry;
    l->v[l->len] = NULL;
    *slot = l->len;
    return 0;
}

/* Frees a list that failed half-built: its entries and their strings. */
static void env_discard(struct env_list *env)
{
    free(env->slots);
    if (env->v)
        env->v[env->len] = NULL;
    config_words_free(env->v);
}

/* supervisord's dict_of_key_value_pairs(): KEY=value pairs separated by commas; a value is a
 * run of word characters or a quoted string ('...' or "...", no escapes inside), from which
 * supervisord strips any quote characters at either end. Blanks and newlines around tokens are
 * ignored; a trailing comma is allowed. Where supervisord would silently split a value at an
 * unexpected character (A=x@y gives A=x), this refuses and asks for quotes. */
int config_value_environment(struct config_scope *s, const char *v, char ***ret)
{
    struct env_list env = {0};
    const char *p = v, *key, *val;
    size_t key_len, val_len;
    int r;

    if (env_grow(&env) < 0) {
        r = config_file_oom(s->ld);
        goto fail;
    }
    env.v[0] = NULL;
    for (;;) {
        while (config_words_blank(*p))
            p++;
        if (!*p)
            break;
        key = p;
        while (is_env_word_char(*p))
            p++;
        key_len = (size_t)(p - key);
        if (key_len == 0) {
            r = config_scope_fail(s, "expected KEY=value at '%.20s'", p);
            goto fail;
        }
        while (config_words_blank(*p))
            p++;
        if (*p != '=') {
            r = config_scope_fail(s, "expected '=' after %.*s", (int)key_len, key);
            goto fail;
        }
        p++;
        while (config_words_blank(*p))
            p++;
        if (*p == '"' || *p == '\'') {
            const char *close = strchr(p + 1, *p);

            if (!close) {
                r = config_scope_fail(s, "unterminated %c in the value of %.*s", *p, (int)key_len,
                                      key);
                goto fail;
            }
            val = p + 1;
            val_len = (size_t)(close - val);
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
            val_len = (size_t)(p - val);
            if (val_len == 0) {
                r = config_scope_fail(s, "empty value for %.*s (write %.*s=\"\")", (int)key_len,
                                      key, (int)key_len, key);
                goto fail;
            }
        }
        while (config_words_blank(*p))
            p++;
        if (*p && *p != ',') {
            r = config_scope_fail(s, "unexpected '%c' in the value of %.*s (quote the value)", *p,
                                  (int)key_len, key);
            goto fail;
        }
        if (env_set(&env, key, key_len, val, val_len) < 0) {
            r = config_file_oom(s->ld);
            goto fail;
        }
        if (*p == ',')
            p++;
    }
    free(env.slots); /* the list is the caller's now */
    *ret = env.v;
    return 0;
fail:
    env_discard(&env);
    return r;
}

int config_value_env_merge(char *const *base, char *const *over, char ***ret)
{
    struct env_list env = {0};
    char *const *lists[] = {base, over};

    if (env_grow(&env) < 0)
        goto nomem;
    env.v[0] = NULL;
    for (size_t i = 0; i < 2; i++) {
        for (char *const *e = lists[i]; e && *e; e++) {
            size_t key_len = (size_t)(strchr(*e, '=') - *e);
            if (env_set(&env, *e, key_len, *e + key_len + 1, strlen(*e + key_len + 1)) < 0)
                goto nomem;
        }
    }
    free(env.slots); /* the list is the caller's now */
    *ret = env.v;
    return 0;
nomem:
    env_discard(&env);
    return -ENOMEM;
}
