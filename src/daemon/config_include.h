/* config_include.h: supervisord's [include] section (config_include.c): the files it names are
 * read into the same load, as if their sections were in the including file. */
#pragma once
#include "config_file.h"

/* Reads, for every file of ld already read (the main one first), the files that its [include]
 * files= names, and then theirs: nested includes are read too, each file once. Patterns are
 * blank-separated globs relative to the including file's directory, matches are read in
 * sorted order, and a pattern that matches nothing is a warning, as in supervisord. Returns 0
 * or the failure recorded in ld (an [include] without files=, a file that cannot be read or
 * that has an error: the diagnostic names that file and its line). */
int config_include_read(struct config_file *ld);
