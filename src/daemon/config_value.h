/* config_value.h: parsers of config values with supervisord's meanings (config_value.c). Each
 * returns 0 and writes *ret, or a negative errno and leaves *ret alone. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "config_scope.h"

/* supervisord's boolean(): true/yes/on/1, false/no/off/0, any case. -EINVAL otherwise. */
int config_value_bool(const char *v, bool *ret);

/* A decimal integer in [min, max], optionally signed, surrounding blanks allowed (Python's
 * int(), without its underscores). -EINVAL otherwise. */
int config_value_long(const char *v, long min, long max, long *ret);

/* supervisord's byte_size(): an integer with an optional KB, MB or GB suffix (powers of 1024,
 * any case). -EINVAL or -ENOMEM. */
int config_value_size(const char *v, size_t *ret);

/* supervisord's dict_of_key_value_pairs() for environment=: on success *ret is a new
 * NULL-ended KEY=VALUE array (config_words_free()). A bad list is reported through s. */
int config_value_environment(struct config_scope *s, const char *v, char ***ret);

/* base and then over (NULL-ended KEY=VALUE lists, each with unique keys; NULL is empty) as one
 * list, a key of over replacing the same key of base, as supervisord's dict.update(). On
 * success *ret is a new list (config_words_free()). Returns 0 or -ENOMEM. */
int config_value_env_merge(char *const *base, char *const *over, char ***ret);
