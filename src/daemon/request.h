/* request.h: the requests of the control socket (control.h has the protocol): one line of
 * words → a verb and its arguments, checked against the verb's row of one table
 * (request.c). No I/O and no supervisor here: control.c acts on a parsed request. A new
 * request is a row of that table and a handler in control.c's table. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Longest request line accepted, its newline included; a longer one gets an error line. */
#define REQUEST_MAX 65536

enum request_verb {
    REQUEST_STATUS,  /* status [--json] [NAME...] */
    REQUEST_START,   /* start NAME...|all */
    REQUEST_STOP,    /* stop NAME...|all */
    REQUEST_RESTART, /* restart NAME...|all */
    REQUEST_SIGNAL,  /* signal SIG NAME...|all */
    REQUEST_RELOAD,  /* reload */
    REQUEST_VERBS
};

struct request {
    enum request_verb verb;
    bool json;          /* status --json */
    int sig;            /* signal: the signal to send */
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
