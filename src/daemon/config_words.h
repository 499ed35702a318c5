/* config_words.h: splitting command= into argv (config_words.c). */
#pragma once
#include <stdbool.h>

/* ' ', '\t', '\n' or '\r': what separates words (and surrounds numbers in values). */
bool config_words_blank(char c);

/* Splits line like a POSIX shell splits words: blanks separate, '...' is literal, "..." keeps
 * $ ` as they are (no expansion of any kind) but handles \" \\ \$ \` and backslash-newline, a
 * backslash outside quotes escapes the next character; # at the start of a word begins a
 * comment. On success *ret_argv is a NULL-ended array (config_words_free()). Returns 0,
 * -EINVAL (unterminated quote, empty; the reason in *ret_why when ret_why is not NULL), or
 * -ENOMEM. */
int config_words_split(const char *line, char ***ret_argv, const char **ret_why);

/* Frees a NULL-ended array of strings (argv, environment); NULL is fine. */
void config_words_free(char **argv);
