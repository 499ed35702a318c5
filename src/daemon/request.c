/* request.c: parsing the control socket's request lines (request.h). The table below is the
 * grammar: each verb, how many job names it takes, and whether it takes --json or a signal
 * first. What a request does is control.c's. */
#include "request.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/signame.h"

#define BLANKS " \t\r"

struct verb {
    const char *name;
    size_t names_min;   /* job names needed (SIZE_MAX for names_max: no limit) */
    size_t names_max;
    bool json;          /* may start with --json */
    bool signal;        /* starts with a signal */
    const char *usage;  /* for an error line */
};

static const struct verb verbs[REQUEST_VERBS] = {
    [REQUEST_STATUS] = {"status", 0, SIZE_MAX, true, false, "status [--json] [NAME...]"},
    [REQUEST_START] = {"start", 1, SIZE_MAX, false, false, "start NAME...|all"},
    [REQUEST_STOP] = {"stop", 1, SIZE_MAX, false, false, "stop NAME...|all"},
    [REQUEST_RESTART] = {"restart", 1, SIZE_MAX, false, false, "restart NAME...|all"},
    [REQUEST_SIGNAL] = {"signal", 1, SIZE_MAX, false, true,
                        "signal SIG NAME...|all (SIG: TERM, HUP, 10...)"},
    [REQUEST_RELOAD] = {"reload", 0, 0, false, false, "reload"},
};

const char *request_verb_name(enum request_verb verb)
{
    return (unsigned) verb < REQUEST_VERBS ? verbs[verb].name : "?";
}

void request_free(struct request *r)
{
    if (!r)
        return;
    free(r->names);
    *r = (struct request){0};
}

static void unknown_verb(const char *word, char *err, size_t err_len)
{
    size_t n = (size_t) snprintf(err, err_len, "unknown request '%.64s' (", word);

    for (size_t i = 0; i < REQUEST_VERBS && n < err_len; i++)
        n += (size_t) snprintf(err + n, err_len - n, "%s%s", i ? ", " : "", verbs[i].name);
    if (n < err_len)
        snprintf(err + n, err_len - n, ")");
}

int request_parse(char *line, struct request *ret, char *err, size_t err_len)
{
    struct request r = {0};
    const struct verb *v = NULL;
    char *save = NULL, *w;
    size_t words = 0, i;

    /* Every word but the verb may be a name: at most half the line's bytes. */
    for (const char *p = line; *p;) {
        p += strspn(p, BLANKS);
        if (*p)
            words++;
        p += strcspn(p, BLANKS);
    }
    w = strtok_r(line, BLANKS, &save);
    if (!w) {
        snprintf(err, err_len, "empty request");
        return -EINVAL;
    }
    for (i = 0; i < REQUEST_VERBS; i++)
        if (strcmp(w, verbs[i].name) == 0)
            v = &verbs[i];
    if (!v) {
        unknown_verb(w, err, err_len);
        return -EINVAL;
    }
    r.verb = (enum request_verb) (v - verbs);
    r.names = calloc(words, sizeof(*r.names));
    if (!r.names)
        return -ENOMEM;
    w = strtok_r(NULL, BLANKS, &save);
    if (v->json && w && strcmp(w, "--json") == 0) {
        r.json = true;
        w = strtok_r(NULL, BLANKS, &save);
    }
    if (v->signal) {
        if (!w || signame_parse(w, &r.sig) < 0)
            goto usage;
        w = strtok_r(NULL, BLANKS, &save);
    }
    for (; w; w = strtok_r(NULL, BLANKS, &save))
        r.names[r.names_len++] = w;
    if (r.names_len < v->names_min || r.names_len > v->names_max)
        goto usage;
    *ret = r;
    return 0;
usage:
    snprintf(err, err_len, "%s: usage: %s", v->name, v->usage);
    request_free(&r);
    return -EINVAL;
}
