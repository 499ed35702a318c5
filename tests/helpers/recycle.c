/* recycle.c: the PID namespace of recycle.h. The parent and the outsider serve one command at
 * a time on a socketpair: 'v' / 'V' fork the victim (waiting on a pipe / exec'ing sleep with
 * the environment that follows), 'k' kills and reaps it, 's' forks the stranger, 'e' ends it.
 * Each answers with an int (a pid, a wait status, or -errno). */
#include "recycle.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ENV_MAX 8192

static int send_int(int fd, int v)
{
    return send(fd, &v, sizeof(v), MSG_NOSIGNAL) == (ssize_t) sizeof(v) ? 0 : -EPIPE;
}

static int recv_int(int fd, int *ret)
{
    ssize_t n;

    do
        n = recv(fd, ret, sizeof(*ret), 0);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t) sizeof(*ret) ? 0 : -EPIPE;
}

static int ask(int fd, char cmd, const void *extra, size_t extra_len, int *ret)
{
    char buf[1 + ENV_MAX];

    if (extra_len > ENV_MAX)
        return -E2BIG;
    buf[0] = cmd;
    if (extra_len)
        memcpy(buf + 1, extra, extra_len);
    if (send(fd, buf, 1 + extra_len, MSG_NOSIGNAL) < 0)
        return -errno;
    return recv_int(fd, ret);
}

static unsigned long long start_of(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long start = 0;
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    (void) close(fd); /* read-only */
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1,
                     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                     "%*d %*d %*d %llu",
                     &start) != 1)
        return 0;
    return start;
}

/* True once /proc/PID/environ shows something. */
static bool has_environ(pid_t pid)
{
    char path[64], c;
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, &c, 1);
    (void) close(fd); /* read-only */
    return n == 1;
}

/* The victim or the stranger: waits for its signal. When init returns, the kernel kills
 * everything left in the namespace. */
static _Noreturn void wait_forever(void)
{
    for (;;)
        (void) pause();
}

/* The parent or the outsider: serves commands on fd until it closes. */
static _Noreturn void serve(int fd)
{
    pid_t child = 0;

    for (;;) {
        char buf[1 + ENV_MAX + 1];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        int reply = 0, status, hold[2];
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(0);
        buf[n] = '\0';
        switch (buf[0]) {
        case 'v': /* a child that waits */
        case 's':
            child = fork();
            if (child == 0)
                wait_forever();
            reply = child < 0 ? -errno : child;
            break;
        case 'V': /* a child that execs sleep with the NUL-separated environment that follows */
            if (pipe2(hold, O_CLOEXEC) < 0) {
                reply = -errno;
                break;
            }
            child = fork();
            if (child == 0) {
                char *envp[64], *argv[] = {"sleep", "1000", NULL};
                size_t k = 0;
                for (char *e = buf + 1; e < buf + n && k < 63; e += strlen(e) + 1)
                    envp[k++] = e;
                envp[k] = NULL;
                (void) execve("/bin/sleep", argv, envp);
                _exit(127);
            }
            (void) close(hold[1]); /* only the child holds it now, until its exec */
            if (child > 0) {
                char c;
                while (read(hold[0], &c, 1) < 0 && errno == EINTR)
                    ;
            }
            (void) close(hold[0]);
            reply = child < 0 ? -ECHILD : child;
            break;
        case 'k':                       /* the victim dies and is reaped: its pid is free */
            (void) kill(child, SIGKILL); /* our unreaped child: surely it */
            reply = waitpid(child, &status, 0) == child ? 0 : -errno;
            child = 0;
            break;
        case 'e':                       /* the stranger: TERM, then its wait status */
            (void) kill(child, SIGTERM); /* our unreaped child: surely it */
            reply = waitpid(child, &status, 0) == child ? status : -errno;
            child = 0;
            break;
        default:
            reply = -EINVAL;
        }
        if (send_int(fd, reply) < 0)
            _exit(1);
    }
}

static pid_t start_server(int *ret_fd)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        (void) close(sv[0]);
        serve(sv[1]);
    }
    (void) close(sv[1]);
    *ret_fd = sv[0];
    return pid;
}

/* Forks and reaps a child; returns its pid or -errno. */
static pid_t burn_pid(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    if (pid > 0)
        (void) waitpid(pid, NULL, 0);
    return pid < 0 ? -errno : pid;
}

int recycle_setup(struct recycle *r)
{
    pid_t pid;

    *r = (struct recycle){.parent_fd = -1, .outsider_fd = -1};
    /* Low pids are special to some code (2 is kthreadd's number on the host): start at 10. */
    for (int i = 0; i < 8; i++)
        if ((pid = burn_pid()) < 0)
            return pid;
    r->parent = start_server(&r->parent_fd);
    if (r->parent < 0)
        return r->parent;
    r->outsider = start_server(&r->outsider_fd);
    if (r->outsider < 0)
        return r->outsider;
    /* Until pid 300 was handed out once, pids count up; after it, pid_max 301 leaves the
     * kernel nothing but 300 to give. */
    do
        pid = burn_pid();
    while (pid > 0 && pid < RECYCLE_PID);
    if (pid != RECYCLE_PID)
        return pid < 0 ? pid : -EAGAIN;
    return 0;
}

void recycle_align_tick(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    long long tick_ns = hz > 0 ? 1000000000LL / hz : 10000000LL, now_ns;
    struct timespec ts;

    if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
        return;
    now_ns = (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
    now_ns = (now_ns / tick_ns + 1) * tick_ns;
    ts.tv_sec = (time_t) (now_ns / 1000000000LL);
    ts.tv_nsec = (long) (now_ns % 1000000000LL);
    while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int recycle_victim(struct recycle *r, char *const *envp)
{
    char env[ENV_MAX];
    size_t len = 0;
    int pid, err;

    for (size_t i = 0; envp && envp[i]; i++) {
        size_t n = strlen(envp[i]) + 1;
        if (len + n > sizeof(env))
            return -E2BIG;
        memcpy(env + len, envp[i], n);
        len += n;
    }
    err = ask(r->parent_fd, envp ? 'V' : 'v', env, len, &pid);
    if (err < 0 || pid < 0)
        return err < 0 ? err : pid;
    r->victim = pid;
    r->victim_start = start_of(pid);
    /* The exec closed its pipe before the kernel set up the new environment's place in its
     * memory: until it has, /proc/PID/environ reads empty. No event marks that moment: poll,
     * bounded. */
    for (int i = 0; envp && i < 5000 && !has_environ(pid); i++) {
        struct timespec ms = {.tv_nsec = 1000 * 1000};
        (void) nanosleep(&ms, NULL);
    }
    if (envp && !has_environ(pid))
        return -ETIMEDOUT;
    return pid == RECYCLE_PID ? 0 : -EAGAIN;
}

int recycle_replace(struct recycle *r)
{
    int reply, err = ask(r->parent_fd, 'k', NULL, 0, &reply);

    if (err < 0 || reply < 0)
        return err < 0 ? err : reply;
    err = ask(r->outsider_fd, 's', NULL, 0, &reply);
    if (err < 0 || reply < 0)
        return err < 0 ? err : reply;
    r->stranger = reply;
    r->stranger_start = start_of(reply);
    return reply == r->victim ? 0 : -EAGAIN;
}

bool recycle_same_tick(const struct recycle *r)
{
    return r->victim_start != 0 && r->victim_start == r->stranger_start;
}

int recycle_end_stranger(struct recycle *r, int *ret_status)
{
    int reply, err = ask(r->outsider_fd, 'e', NULL, 0, &reply);

    if (err < 0 || reply < 0)
        return err < 0 ? err : reply;
    r->stranger = 0;
    *ret_status = reply;
    return 0;
}

/* Linux 6.14 gave each PID namespace its own pid_max: before, writing it would change the
 * host's. */
static bool kernel_has_per_namespace_pid_max(char *why, size_t len)
{
    struct utsname u;
    int major = 0, minor = 0;

    if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
        snprintf(why, len, "cannot read the kernel version");
        return false;
    }
    if (major < 6 || (major == 6 && minor < 14)) {
        snprintf(why, len, "kernel %s has no per-namespace pid_max (6.14+)", u.release);
        return false;
    }
    return true;
}

static int init_main(int (*fn)(void *arg), void *arg)
{
    int fd;

    /* Our own /proc, showing this namespace's pids, in a mount namespace of our own. */
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        fprintf(stderr, "recycle: skipped: cannot mount a /proc of our own: %s\n", strerror(errno));
        return 77;
    }
    fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "301", 3) != 3) {
        fprintf(stderr, "recycle: skipped: cannot set this namespace's pid_max: %s\n",
                strerror(errno));
        return 77;
    }
    (void) close(fd); /* written above */
    return fn(arg);
}

int recycle_run(int (*fn)(void *arg), void *arg)
{
    char why[160];
    pid_t m;
    int status;

    if (!kernel_has_per_namespace_pid_max(why, sizeof(why))) {
        fprintf(stderr, "recycle: skipped: %s\n", why);
        return 77;
    }
    fflush(NULL);
    /* A middle process makes the namespace, so that the caller's own later forks stay where
     * they are. */
    m = fork();
    if (m < 0)
        return 1;
    if (m == 0) {
        pid_t init;
        if (unshare(CLONE_NEWPID) < 0) {
            fprintf(stderr, "recycle: skipped: cannot make a PID namespace: %s\n", strerror(errno));
            _exit(77);
        }
        init = fork();
        if (init < 0)
            _exit(1);
        if (init == 0) {
            int r = init_main(fn, arg);
            fflush(NULL);
            _exit(r);
        }
        if (waitpid(init, &status, 0) != init)
            _exit(1);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    if (waitpid(m, &status, 0) != m)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* --- recycle_test ------------------------------------------------------------------------- */

#define TRIES 200

static struct recycle test_r; /* the namespace of recycle_test(), one per process */
static bool armed;            /* the next pidfd_get() of the victim recycles its pid first */
static int replace_err;

void recycle_on_pidfd_get(pid_t pid)
{
    if (armed && pid == test_r.victim) {
        armed = false;
        replace_err = recycle_replace(&test_r);
    }
}

struct test_args {
    char *const *victim_envp;
    recycle_act_fn *act;
    void *arg;
};

static int run_tries(void *arg)
{
    const struct test_args *t = arg;
    int r = recycle_setup(&test_r);

    if (r < 0) {
        fprintf(stderr, "recycle: cannot set up: %s\n", strerror(-r));
        return 1;
    }
    for (int attempt = 1; attempt <= TRIES; attempt++) {
        int got, status;
        recycle_align_tick();
        r = recycle_victim(&test_r, t->victim_envp);
        if (r < 0) {
            fprintf(stderr, "recycle: no victim: %s\n", strerror(-r));
            return 1;
        }
        armed = true;
        got = t->act(&test_r, t->arg);
        if (armed || replace_err < 0) {
            fprintf(stderr, "recycle: the victim was not replaced (the code under test returned "
                            "%d): %s\n",
                    got, armed ? "it never opened the victim's pidfd" : strerror(-replace_err));
            return 1;
        }
        r = recycle_end_stranger(&test_r, &status);
        if (r < 0) {
            fprintf(stderr, "recycle: cannot end the stranger: %s\n", strerror(-r));
            return 1;
        }
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
            fprintf(stderr, "FAIL: the stranger (pid %d, start %llu; the victim's start %llu) "
                            "got a SIGKILL meant for the victim (the code under test returned "
                            "%d)\n",
                    RECYCLE_PID, test_r.stranger_start, test_r.victim_start, got);
            return 1;
        }
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM) {
            fprintf(stderr, "recycle: the stranger ended with status 0x%x\n", (unsigned) status);
            return 1;
        }
        if (recycle_same_tick(&test_r)) {
            fprintf(stderr, "recycle: the stranger took pid %d in its victim's clock tick "
                            "(try %d) and was spared (the code under test returned %d)\n",
                    RECYCLE_PID, attempt, got);
            return 0;
        }
    }
    fprintf(stderr, "FAIL: in %d tries no stranger started in its victim's clock tick\n", TRIES);
    return 1;
}

int recycle_test(char *const *victim_envp, recycle_act_fn *act, void *arg)
{
    struct test_args t = {.victim_envp = victim_envp, .act = act, .arg = arg};

    return recycle_run(run_tries, &t);
}
