/* config_group.h: which jobs the [program:x] sections make and in which group
 * (config_group.c): supervisord's [group:NAME] programs=a,b puts the jobs of those programs in
 * the group NAME (named NAME:PROCESS, started in the group's priority= order); every other
 * program is a group of its own name. */
#pragma once
#include "config_file.h"

/* Appends to config->jobs the jobs of every [program:x] section of ld, each in its group.
 * Returns 0, or the failure recorded in ld (a [group:x] naming no [program:x], a group name
 * that is also a program's own group, two jobs of one name, a bad program). */
int config_group_load(struct config_file *ld, struct config *config);
