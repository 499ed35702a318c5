/* cleanctx.c: the inherited context of a command, made hostile and then checked, for the tests
 * of issue 9 ("start clean anywhere").
 *
 *   cleanctx wrap [--ignore-all | --ignore SIG,...] [--block-all] [--leak N] -- CMD [ARG]...
 *       Sets up what a careless caller leaves behind, then execs CMD (which keeps our pid):
 *       --ignore-all   every signal 1..NSIG-1 that can be ignored at SIG_IGN, glibc's internal
 *                      32 and 33 included (SIGCHLD too: the kernel then reaps CMD's children)
 *       --ignore LIST  only these (names without SIG, or numbers, comma-separated)
 *       --block-all    every signal blocked
 *       --leak N       N fds without CLOEXEC, all on one memfd named "cleanctx-leak"
 *
 *   cleanctx clean [--ancestors N]
 *       Succeeds if this process has an empty signal mask, no ignored signal and no fd but 0,
 *       1 and 2. With --ancestors N, also its parent, grandparent... up to N levels (libpgsup's
 *       supervisor: engine and guard): none may ignore a signal or hold a leaked fd (their own
 *       fds are theirs). Prints one line per problem on stderr.
 *
 *   cleanctx inherited --ignored SIG --leaked N
 *       Succeeds if SIG is ignored here and at least N leaked fds reached us (timeout(1)'s
 *       rules, which pgsup timeout keeps).
 *
 * Exit status: 0 as described, 1 the check failed, 2 usage or setup error. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LEAK_NAME "cleanctx-leak"

static _Noreturn void usage(void)
{
    fputs("usage: cleanctx wrap [--ignore-all | --ignore SIG,...] [--block-all] [--leak N] -- "
          "CMD...\n       cleanctx clean [--ancestors N]\n"
          "       cleanctx inherited --ignored SIG --leaked N\n",
          stderr);
    exit(2);
}

/* A name without SIG (glibc's own table, sigabbrev_np: glibc 2.32+) or a number. */
static int sig_parse(const char *s)
{
    char *end;
    long n;

    for (int sig = 1; sig < NSIG; sig++)
        if (sigabbrev_np(sig) && strcmp(s, sigabbrev_np(sig)) == 0)
            return sig;
    n = strtol(s, &end, 10);
    if (end == s || *end || n < 1 || n >= NSIG)
        usage();
    return (int) n;
}

/* glibc's sigaction() refuses its internal signals 32 and 33; the kernel does not. The
 * kernel's struct on x86 has a restorer field, unused with SIG_IGN. */
static int ignore(int sig)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};

    if (sigaction(sig, &ign, NULL) == 0)
        return 0;
#if defined(__x86_64__)
    {
        struct {
            __sighandler_t handler;
            unsigned long flags;
            void *restorer;
            unsigned long mask;
        } k = {.handler = SIG_IGN};
        if (syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask)) == 0)
            return 0;
    }
#endif
    return -errno;
}

static int wrap(int argc, char **argv)
{
    bool ignore_all = false, block_all = false;
    long leak = 0;
    char *list = NULL;
    int i = 2;

    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--ignore-all") == 0)
            ignore_all = true;
        else if (strcmp(argv[i], "--block-all") == 0)
            block_all = true;
        else if (strcmp(argv[i], "--ignore") == 0 && i + 1 < argc)
            list = argv[++i];
        else if (strcmp(argv[i], "--leak") == 0 && i + 1 < argc)
            leak = strtol(argv[++i], NULL, 10);
        else
            usage();
    }
    if (i + 1 >= argc || leak < 0 || leak > 1000)
        usage();
    for (int sig = 1; ignore_all && sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (ignore(sig) < 0)
            fprintf(stderr, "cleanctx: cannot ignore signal %d: %s, continuing\n", sig,
                    strerror(errno));
    }
    for (char *save = NULL, *tok = list ? strtok_r(list, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save))
        if (ignore(sig_parse(tok)) < 0) {
            fprintf(stderr, "cleanctx: cannot ignore %s\n", tok);
            return 2;
        }
    if (leak > 0) {
        int fd = memfd_create(LEAK_NAME, 0); /* no MFD_CLOEXEC: the point */
        if (fd < 0) {
            perror("cleanctx: memfd_create");
            return 2;
        }
        for (long k = 1; k < leak; k++)
            if (dup(fd) < 0) {
                perror("cleanctx: dup");
                return 2;
            }
    }
    if (block_all) {
        sigset_t all;
        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL); /* cannot fail with SIG_SETMASK */
    }
    execvp(argv[i + 1], argv + i + 1);
    fprintf(stderr, "cleanctx: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
    return 2;
}

/* The hex mask of field (e.g. "SigIgn") in /proc/PID/status into *ret. Returns 0 or -1 if
 * it cannot be read. */
static int status_mask(pid_t pid, const char *field, unsigned long long *ret)
{
    char path[64], line[256];
    int r = -1;
    size_t flen = strlen(field);
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            *ret = strtoull(line + flen + 1, NULL, 16);
            r = 0;
            break;
        }
    fclose(f);
    return r;
}

static pid_t parent_of(pid_t pid)
{
    char path[64], buf[1024], *p;
    FILE *f;
    int ppid = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
        (void) sscanf(p + 1, " %*c %d", &ppid);
    fclose(f);
    return (pid_t) ppid;
}

/* Counts pid's fds: *ret_other those above 2 (ours: the listing's own excluded), the return
 * value those that are leaks. */
static int count_fds(pid_t pid, int *ret_other)
{
    char path[64];
    struct dirent *de;
    int leaks = 0, other = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
    d = opendir(path);
    if (!d)
        return -1;
    while ((de = readdir(d))) {
        char link[sizeof(path) + 300], target[512];
        ssize_t n;
        int fd = atoi(de->d_name);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || (pid == getpid() && fd == dirfd(d)))
            continue;
        snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
        n = readlink(link, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        if (strstr(target, LEAK_NAME))
            leaks++;
        if (fd > 2)
            other++;
    }
    closedir(d);
    *ret_other = other;
    return leaks;
}

static int clean(int argc, char **argv)
{
    long ancestors = 0;
    unsigned long long ign = 1, blk = 1;
    int other, bad = 0;
    pid_t pid = getpid();

    if (argc == 4 && strcmp(argv[2], "--ancestors") == 0)
        ancestors = strtol(argv[3], NULL, 10);
    else if (argc != 2)
        usage();
    (void) status_mask(pid, "SigIgn", &ign); /* unreadable: 1, a failure */
    (void) status_mask(pid, "SigBlk", &blk);
    if (ign != 0) {
        fprintf(stderr, "cleanctx: ignored signals: SigIgn %016llx\n", ign);
        bad = 1;
    }
    if (blk != 0) {
        fprintf(stderr, "cleanctx: blocked signals: SigBlk %016llx\n", blk);
        bad = 1;
    }
    if (count_fds(pid, &other) != 0 || other != 0) {
        fprintf(stderr, "cleanctx: %d fds besides 0, 1 and 2\n", other);
        bad = 1;
    }
    for (long level = 1; level <= ancestors; level++) {
        int leaks;
        pid = parent_of(pid);
        if (pid <= 1) {
            fprintf(stderr, "cleanctx: no ancestor %ld\n", level);
            return 1;
        }
        ign = 1;
        (void) status_mask(pid, "SigIgn", &ign);
        leaks = count_fds(pid, &other);
        if (ign != 0) {
            fprintf(stderr, "cleanctx: ancestor %d ignores signals: SigIgn %016llx\n",
                    (int) pid, ign);
            bad = 1;
        }
        if (leaks != 0) {
            fprintf(stderr, "cleanctx: ancestor %d holds %d leaked fds\n", (int) pid, leaks);
            bad = 1;
        }
    }
    return bad;
}

static int inherited(int argc, char **argv)
{
    unsigned long long ign = 0;
    int sig, leaks, other;
    long want;

    if (argc != 6 || strcmp(argv[2], "--ignored") != 0 || strcmp(argv[4], "--leaked") != 0)
        usage();
    sig = sig_parse(argv[3]);
    want = strtol(argv[5], NULL, 10);
    (void) status_mask(getpid(), "SigIgn", &ign); /* unreadable: 0, a failure */
    leaks = count_fds(getpid(), &other);
    if (!(ign & (1ULL << (sig - 1)))) {
        fprintf(stderr, "cleanctx: signal %d is not ignored (SigIgn %016llx)\n", sig, ign);
        return 1;
    }
    if (leaks < want) {
        fprintf(stderr, "cleanctx: %d leaked fds reached us, expected %ld\n", leaks, want);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "wrap") == 0)
        return wrap(argc, argv);
    if (strcmp(argv[1], "clean") == 0)
        return clean(argc, argv);
    if (strcmp(argv[1], "inherited") == 0)
        return inherited(argc, argv);
    usage();
}
