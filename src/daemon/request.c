/* request.c: parsing the control socket's request lines (request.h). The table below is the
 * grammar: each verb, how many job names it takes, the options it takes (--json, --tree,
 * tail's -BYTES and --from=), and whether a signal comes first. What a request does is
 * control.c's. */
#include "request.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/signame.h"

#define BLANKS " \t\r"

/* Options a verb takes before its names. */
enum {
    OPT_JSON = 1 << 0,  /* --json */
    OPT_TREE = 1 << 1,  /* --tree */
    OPT_TAIL = 1 << 2,  /* -BYTES, --from=OFFSET */
};

struct verb {
    const char *name;
    size_t names_min;   /* job names needed (SIZE_MAX for names_max: no limit) */
    size_t names_max;
    unsigned options;   /* OPT_* */
    bool signal;        /* a signal comes first, after the options */
    const char *usage;  /* for an error line */
};

static const struct verb verbs[REQUEST_VERBS] = {
    [REQUEST_STATUS] = {"status", 0, SIZE_MAX, OPT_JSON, false, "status [--json] [NAME...]"},
    [REQUEST_START] = {"start", 1, SIZE_MAX, 0, false, "start NAME...|all"},
    [REQUEST_STOP] = {"stop", 1, SIZE_MAX, 0, false, "stop NAME...|all"},
    [REQUEST_RESTART] = {"restart", 1, SIZE_MAX, 0, false, "restart NAME...|all"},
    [REQUEST_SIGNAL] = {"signal", 1, SIZE_MAX, OPT_TREE, true,
                        "signal [--tree] SIG NAME...|all (SIG: TERM, HUP, 10...)"},
    [REQUEST_RELOAD] = {"reload", 0, 0, 0, false, "reload"},
    [REQUEST_TAIL] = {"tail", 1, 2, OPT_TAIL, false, "tail [-BYTES] NAME [stdout|stderr]"},
    [REQUEST_PID] = {"pid", 0, SIZE_MAX, 0, false, "pid [NAME...|all]"},
    [REQUEST_CLEAR] = {"clear", 1, SIZE_MAX, 0, false, "clear NAME...|all"},
    [REQUEST_AVAIL] = {"avail", 0, 0, 0, false, "avail"},
    [REQUEST_REREAD] = {"reread", 0, 0, 0, false, "reread"},
    [REQUEST_UPDATE] = {"update", 0, SIZE_MAX, 0, false, "update [NAME...|all]"},
    [REQUEST_ADD] = {"add", 1, SIZE_MAX, 0, false, "add NAME..."},
    [REQUEST_REMOVE] = {"remove", 1, SIZE_MAX, 0, false, "remove NAME..."},
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
    r.bytes = REQUEST_TAIL_DEFAULT;
    /* The options end at the first word that is not one of the verb's (a job may be called
     * "-x"; a word that is no option where a name cannot be fails as a name would). */
    for (w = strtok_r(NULL, BLANKS, &save); w && w[0] == '-'; w = strtok_r(NULL, BLANKS, &save)) {
        char *end;
        if ((v->options & OPT_JSON) && strcmp(w, "--json") == 0) {
            r.json = true;
        } else if ((v->options & OPT_TREE) && strcmp(w, "--tree") == 0) {
            r.tree = true;
        } else if ((v->options & OPT_TAIL) && strncmp(w, "--from=", 7) == 0 && w[7]) {
            r.from = w + 7;
        } else if ((v->options & OPT_TAIL) && w[1] >= '0' && w[1] <= '9') {
            errno = 0;
            unsigned long long n = strtoull(w + 1, &end, 10);
            if (*end || errno || n > REQUEST_TAIL_MAX)
                goto usage;
            r.bytes = (size_t) n;
        } else {
            break;
        }
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
    if (r.verb == REQUEST_TAIL && r.names_len == 2) {
        if (strcmp(r.names[1], "stderr") != 0 && strcmp(r.names[1], "stdout") != 0)
            goto usage;
        r.err = strcmp(r.names[1], "stderr") == 0;
        r.names_len = 1;
    }
    *ret = r;
    return 0;
usage:
    snprintf(err, err_len, "%s: usage: %s", v->name, v->usage);
    request_free(&r);
    return -EINVAL;
}
