/* state.c: the format and the atomic replacement of the daemon's state file (state.h). What
 * goes in it is the daemon's business (cli/daemon.c); what is done with it after a crash is
 * recover.c's. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fd.h"
#include "trust.h"

#define STATE_MAGIC "pgsup-state 1"
#define STATE_FILE_MAX ((size_t) 64 << 20)

int state_add_run(struct state *s, const struct state_run *run)
{
    struct state_run copy = *run;

    if (s->runs_len == s->runs_cap) {
        size_t cap = s->runs_cap ? s->runs_cap * 2 : 16;
        struct state_run *v = realloc(s->runs, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->runs = v;
        s->runs_cap = cap;
    }
    copy.name = strdup(run->name ? run->name : "");
    copy.run = strdup(run->run ? run->run : "");
    if (!copy.name || !copy.run) {
        free(copy.name);
        free(copy.run);
        return -ENOMEM;
    }
    s->runs[s->runs_len++] = copy;
    return 0;
}

void state_free(struct state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->runs_len; i++) {
        free(s->runs[i].name);
        free(s->runs[i].run);
    }
    free(s->runs);
    free(s->key);
    free(s->instance);
    *s = (struct state){0};
}

/* Names and ids never hold blanks (config.c allows [A-Za-z0-9_.-] in names; ids are ours),
 * but a blank would break the line apart: write '?' instead. */
static void put_word(FILE *f, const char *w)
{
    if (!w || !*w) {
        fputc('-', f);
        return;
    }
    for (; *w; w++)
        fputc((*w == ' ' || *w == '\n' || *w == '\t') ? '?' : *w, f);
}

int state_format(const struct state *s, char **ret_text)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return -ENOMEM;
    fprintf(f, "%s\nkey ", STATE_MAGIC);
    put_word(f, s->key);
    fputs("\ninstance ", f);
    put_word(f, s->instance);
    fprintf(f, "\ndaemon %d %llu\n", (int) s->daemon.pid, s->daemon.start);
    for (size_t i = 0; i < s->runs_len; i++) {
        const struct state_run *r = &s->runs[i];
        fputs("run ", f);
        put_word(f, r->name);
        fputc(' ', f);
        put_word(f, r->run);
        fprintf(f, " %d:%llu %d:%llu %d:%llu %d\n", (int) r->guard.pid, r->guard.start,
                (int) r->engine.pid, r->engine.start, (int) r->leader.pid, r->leader.start,
                (int) r->pgid);
    }
    if (fclose(f) != 0) {
        free(text);
        return -ENOMEM;
    }
    *ret_text = text;
    return 0;
}

static int parse_proc(const char *w, struct state_proc *ret)
{
    int pid, n = 0;
    unsigned long long start;

    if (sscanf(w, "%d:%llu%n", &pid, &start, &n) != 2 || w[n] || pid < 0)
        return -EINVAL;
    ret->pid = pid;
    ret->start = start;
    return 0;
}

static int parse_run(char *line, struct state *s)
{
    char *save = NULL, *w[6];
    struct state_run r = {0};
    int pgid, n = 0;

    for (int i = 0; i < 6; i++) {
        w[i] = strtok_r(i == 0 ? line : NULL, " ", &save);
        if (!w[i])
            return 0; /* a short line: skipped */
    }
    if (parse_proc(w[2], &r.guard) < 0 || parse_proc(w[3], &r.engine) < 0 ||
        parse_proc(w[4], &r.leader) < 0 || sscanf(w[5], "%d%n", &pgid, &n) != 1 ||
        w[5][n] || pgid < 0)
        return 0;
    r.name = w[0];
    r.run = w[1];
    r.pgid = pgid;
    return state_add_run(s, &r);
}

static int set_word(char **dst, const char *w)
{
    char *copy = strdup(w);

    if (!copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

int state_parse(const char *text, struct state *ret)
{
    struct state s = {0};
    char *copy, *line, *save = NULL;
    int r = 0;

    if (strncmp(text, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) != 0)
        return -EINVAL;
    copy = strdup(text);
    if (!copy)
        return -ENOMEM;
    for (line = strtok_r(copy, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
        char word[32];
        int n = 0;
        if (sscanf(line, "%31s %n", word, &n) != 1)
            continue;
        if (strcmp(word, "key") == 0 && line[n])
            r = set_word(&s.key, line + n);
        else if (strcmp(word, "instance") == 0 && line[n])
            r = set_word(&s.instance, line + n);
        else if (strcmp(word, "daemon") == 0) {
            int pid;
            unsigned long long start;
            if (sscanf(line + n, "%d %llu", &pid, &start) == 2 && pid >= 0)
                s.daemon = (struct state_proc){.pid = pid, .start = start};
        } else if (strcmp(word, "run") == 0)
            r = parse_run(line + n, &s);
    }
    free(copy);
    if (r < 0) {
        state_free(&s);
        return r;
    }
    *ret = s;
    return 0;
}

int state_write(const char *path, const struct state *s)
{
    char *text = NULL, *tmp = NULL;
    int fd = -1, r;

    r = state_format(s, &text);
    if (r < 0)
        return r;
    if (asprintf(&tmp, "%s.tmp", path) < 0) {
        tmp = NULL;
        r = -ENOMEM;
        goto out;
    }
    /* A fresh file, never one found at PATH.tmp: whatever is there (a stale file of a crash,
     * or a symlink someone planted to have us write through it) is unlinked, not opened. */
    if (unlink(tmp) < 0 && errno != ENOENT) {
        r = -errno;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        r = -errno;
        goto out;
    }
    r = fd_write_all(fd, text, strlen(text));
    if (r == 0 && close(fd) < 0)
        r = -errno;
    fd = -1;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0)
        (void) unlink(tmp); /* best effort: a stale .tmp is replaced next time anyway */
out:
    fd_close(&fd);
    free(tmp);
    free(text);
    return r;
}

int state_read(const char *path, struct state *ret, char why[TRUST_WHY_MAX])
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd = trust_open(path, O_RDONLY, 0, why), r;

    if (fd < 0)
        return fd;
    for (;;) {
        ssize_t n;
        if (len + 4096 + 1 > cap) {
            char *b;
            cap = cap ? cap * 2 : 8192;
            if (cap > STATE_FILE_MAX) {
                r = -EFBIG;
                goto out;
            }
            b = realloc(buf, cap);
            if (!b) {
                r = -ENOMEM;
                goto out;
            }
            buf = b;
        }
        n = fd_read_all(fd, buf + len, cap - len - 1);
        if (n < 0) {
            r = (int) n;
            goto out;
        }
        len += (size_t) n;
        if (len < cap - 1)
            break;
    }
    buf[len] = '\0';
    r = state_parse(buf, ret);
out:
    if (r < 0 && r != -EPERM)
        snprintf(why, TRUST_WHY_MAX, "%s", r == -EINVAL ? "is not a pgsup state file"
                                                         : strerror(-r));
    fd_close(&fd);
    free(buf);
    return r;
}
