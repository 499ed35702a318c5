/* config_words.c: command= split into words like a POSIX shell splits them, without any
 * expansion (what supervisord's shlex.split does). */
#include "config_words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool config_words_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

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

int config_words_split(const char *line, char ***ret_argv, const char **ret_why)
{
    char **argv = NULL, *word;
    size_t argv_len = 0, argv_cap = 0, len;
    const char *p = line;
    const char *why;
    bool in_word;
    int r = 0;

    if (!line || !ret_argv)
        return -EINVAL;
    if (!ret_why)
        ret_why = &why;
    *ret_why = NULL;
    word = malloc(strlen(line) + 1); /* no word is longer than the line */
    if (!word)
        return -ENOMEM;
    for (;;) {
        while (config_words_blank(*p))
            p++;
        if (!*p)
            break;
        if (*p == '#') { /* a comment runs to the end of the line */
            p += strcspn(p, "\n");
            continue;
        }
        len = 0;
        in_word = false; /* "" makes a word, a backslash-newline alone does not */
        while (*p && !config_words_blank(*p)) {
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
    config_words_free(argv);
    free(word);
    return r;
}

void config_words_free(char **argv)
{
    char **p;

    if (!argv)
        return;
    for (p = argv; *p; p++)
        free(*p);
    free(argv);
}
