/* wire.h: the messages between libpgsup and a `pgsup run --control-fd` engine. One message per
 * SOCK_SEQPACKET record, as one line of text: "verb key=value ...", so that a library and a
 * binary of different versions still understand each other (unknown keys are skipped). */
#pragma once
#include <stddef.h>

#include "core/run.h"

/* Longest record either side sends. */
#define WIRE_MAX 512

enum wire_kind {
    WIRE_STARTED,   /* engine → library: the command runs as pid */
    WIRE_FAILED,    /* engine → library: the command could not be started: err (-errno) */
    WIRE_DONE,      /* engine → library: the tree is gone; result */
    WIRE_SIGNAL,    /* library → engine: send sig to the whole tree */
    WIRE_TERMINATE, /* library → engine: sig to the tree, SIGKILL after seconds (< 0: never) */
    WIRE_DEADLINE,  /* library → engine: the deadline is now + seconds (0: none) */
};

struct wire_msg {
    enum wire_kind kind;
    int pid;
    int err;
    int sig;
    double seconds;
    struct run_result result;
};

/* Writes m as text into buf. Returns the length (without a terminating NUL) or -ENOSPC. */
int wire_format(const struct wire_msg *m, char *buf, size_t len);

/* Parses a record of len bytes (not NUL-terminated). Returns 0 or -EINVAL. */
int wire_parse(const char *buf, size_t len, struct wire_msg *ret);
