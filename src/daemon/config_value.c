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
int config_value_environment(struct config_scope *s, const char *v, char ***ret)
{
    char **env = NULL;
    size_t len = 0;
    const char *p = v, *key, *val;
    size_t key_len, val_len;
    int r;

    env = calloc(1, sizeof(*env));
    if (!env)
        return config_file_oom(s->ld);
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
        if (env_set(&env, &len, key, key_len, val, val_len) < 0) {
            r = config_file_oom(s->ld);
            goto fail;
        }
        if (*p == ',')
            p++;
    }
    *ret = env;
    return 0;
fail:
    config_words_free(env);
    return r;
}
