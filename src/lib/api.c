/* api.c: the public functions of libpgsup (pgsup.h): argument checks, defaults, and the
 * synchronous helper. The runs themselves are client.c's. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pgsup.h"
#include "core/timer.h"
#include "client.h"

/* The caller's struct may be older (smaller) than ours: copy what it has, zero the rest,
 * and give appended fields their defaults. */
static int copy_cmd(const pgsup_cmd *cmd, pgsup_cmd *ret)
{
    pgsup_cmd c = PGSUP_CMD_INIT;

    if (!cmd || cmd->size < offsetof(pgsup_cmd, capture_max) + sizeof(size_t) ||
        cmd->size > sizeof(pgsup_cmd))
        return -EINVAL;
    memcpy(&c, cmd, cmd->size);
    c.size = sizeof(c);
    *ret = c;
    return 0;
}

static bool bad_duration(double s)
{
    return isnan(s) || isinf(s) || s > TIMER_FOREVER_S;
}

static bool bad_fd(int fd)
{
    return fd < -1 || (fd >= 0 && fcntl(fd, F_GETFD) < 0);
}

static bool bad_signal(int sig)
{
    return sig < 0 || sig > SIGRTMAX;
}

static int check_cmd(const pgsup_cmd *c)
{
    if (!c->argv || !c->argv[0] || !c->argv[0][0])
        return -EINVAL;
    if (bad_duration(c->timeout_s) || c->timeout_s < 0 || bad_duration(c->kill_after_s) ||
        bad_signal(c->signal) || (c->stdin_len && !c->stdin_data))
        return -EINVAL;
    if (bad_fd(c->stdin_fd) || bad_fd(c->stdout_fd) || bad_fd(c->stderr_fd))
        return -EINVAL;
    if (c->flags & ~(unsigned) (PGSUP_CAPTURE_STDOUT | PGSUP_CAPTURE_STDERR))
        return -EINVAL;
    return 0;
}

int pgsup_start(struct ev_loop *loop, const pgsup_cmd *cmd, pgsup_exit_cb *cb, void *userdata,
                pgsup_proc **ret_proc)
{
    pgsup_cmd c;
    int r;

    if (!loop || !cb || !ret_proc)
        return -EINVAL;
    r = copy_cmd(cmd, &c);
    if (r == 0)
        r = check_cmd(&c);
    if (r < 0)
        return r;
    return client_start(loop, &c, cb, userdata, ret_proc);
}

struct sync_run {
    pgsup_result result;
    bool done;
};

static void on_sync_exit(pgsup_proc *p, pgsup_result *r, void *userdata)
{
    struct sync_run *s = userdata;

    (void) p;
    s->result = *r;
    /* The buffers move to our caller's result. */
    r->out = r->err = NULL;
    s->done = true;
}

int pgsup_run(const pgsup_cmd *cmd, pgsup_result *ret_result)
{
    struct sync_run s = {0};
    struct ev_loop *loop;
    pgsup_proc *p;
    int r;

    if (!ret_result)
        return -EINVAL;
    /* A private loop: nothing of the caller's is touched, and any thread may call this.
     * NOSIGMASK: we use no signal watchers, so libev has no reason to touch the mask. */
    loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    if (!loop)
        return -ENOMEM;
    r = pgsup_start(loop, cmd, on_sync_exit, &s, &p);
    if (r == 0) {
        while (!s.done)
            ev_run(loop, EVRUN_ONCE);
        r = s.result.error;
        if (r < 0)
            pgsup_result_free(&s.result); /* what was captured before the failure */
        else
            *ret_result = s.result;
    }
    ev_loop_destroy(loop);
    return r;
}

void pgsup_result_free(pgsup_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    r->out_len = r->err_len = 0;
}

pid_t pgsup_pid(const pgsup_proc *p)
{
    return p ? client_pid(p) : -1;
}

int pgsup_signal(pgsup_proc *p, int sig)
{
    if (!p || sig <= 0 || bad_signal(sig))
        return -EINVAL;
    if (!client_owned(p))
        return -PGSUP_EFORKED;
    return client_signal(p, sig);
}

int pgsup_terminate(pgsup_proc *p, double grace_s)
{
    /* Below zero means never, but not -inf, as with cmd.kill_after_s: the control channel
     * carries finite numbers only, and the supervisor would drop the request unseen. */
    if (!p || bad_duration(grace_s))
        return -EINVAL;
    if (!client_owned(p))
        return -PGSUP_EFORKED;
    return client_terminate(p, grace_s);
}

int pgsup_set_deadline(pgsup_proc *p, double timeout_s)
{
    if (!p || bad_duration(timeout_s) || timeout_s < 0)
        return -EINVAL;
    if (!client_owned(p))
        return -PGSUP_EFORKED;
    return client_set_deadline(p, timeout_s);
}

const char *pgsup_strerror(int err)
{
    if (err == INT_MIN)
        return "Unknown error";
    if (err < 0)
        err = -err;
    switch (err) {
    case 0:
        return "Success";
    case PGSUP_ENOHELPER:
        return "The pgsup binary " PGSUP_BIN_PATH " was not found or is not pgsup (set "
               "$PGSUP_BIN to another)";
    case PGSUP_EHELPER:
        return "The pgsup supervisor process failed (it was killed or crashed; its tree was "
               "killed)";
    case PGSUP_EBADBIN:
        return "$PGSUP_BIN does not name a pgsup binary that can run";
    case PGSUP_ECWD:
        return "The working directory cmd.cwd does not exist or cannot be entered";
    case PGSUP_EFORKED:
        return "The run belongs to another process (a handle kept across fork())";
    default:
        /* strerrordesc_np: static strings, unlike strerror(), so safe from any thread. */
        if (err < PGSUP_ENOHELPER && strerrordesc_np(err))
            return strerrordesc_np(err);
        return "Unknown error";
    }
}

const char *pgsup_version(void)
{
    return PGSUP_VERSION;
}
