/* request.h: the requests of the control socket (control.h has the protocol): one line of
 * words → a verb and its arguments, checked against the verb's row of one table
 * (request.c). No I/O and no supervisor here: control.c acts on a parsed request. A new
 * request is a row of that table and a handler in control.c's table. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Longest request line accepted, its newline included; a longer one gets an error line. */
#define REQUEST_MAX 65536

/* tail: bytes shown by default (supervisorctl's), and at most. */
#define REQUEST_TAIL_DEFAULT 1600
#define REQUEST_TAIL_MAX ((size_t) 1 << 20)

enum request_verb {
    REQUEST_STATUS,  /* status [--json] [NAME...] */
    REQUEST_START,   /* start NAME...|all */
    REQUEST_STOP,    /* stop NAME...|all */
    REQUEST_RESTART, /* restart NAME...|all */
    REQUEST_SIGNAL,  /* signal [--tree] SIG NAME...|all */
    REQUEST_RELOAD,  /* reload */
    REQUEST_TAIL,    /* tail [-BYTES] [--from=OFFSET] NAME [stdout|stderr] */
    REQUEST_PID,     /* pid [NAME...|all] */
    REQUEST_CLEAR,   /* clear NAME...|all */
    REQUEST_AVAIL,   /* avail */
    REQUEST_REREAD,  /* reread */
    REQUEST_UPDATE,  /* update [NAME...|all] */
    REQUEST_ADD,     /* add NAME... */
    REQUEST_REMOVE,  /* remove NAME... */
    REQUEST_VERBS
};

struct request {
    enum request_verb verb;
    bool json;          /* status --json */
    bool tree;          /* signal --tree: every process of the tree, not the command alone */
    int sig;            /* signal: the signal to send */
    bool err;           /* tail ... stderr */
    size_t bytes;       /* tail -BYTES (default REQUEST_TAIL_DEFAULT) */
    const char *from;   /* tail --from=OFFSET, pointing into the parsed line; NULL: none */
    char **names;       /* the job names, pointing into the parsed line; "all" as written */
    size_t names_len;
};

/* Parses line (NUL-terminated, without its newline; cut into words in place, so it must
 * outlive *ret). On success *ret is filled (request_free() it). On a bad request returns
 * -EINVAL and writes a one-line reason (without "error: ") into err; or -ENOMEM. */
int request_parse(char *line, struct request *ret, char *err, size_t err_len);

/* Frees what request_parse() allocated; a zeroed request is fine. */
void request_free(struct request *r);

/* The verb's word ("status", ...). */
const char *request_verb_name(enum request_verb verb);
