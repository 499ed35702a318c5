/* pgsup.h: libpgsup, run a command with a deadline and a guarantee: when the run ends, no
 * process of the command's tree survives (descendants that left its process group with
 * setsid(), double-forked daemons and stopped processes included) and none is left a zombie.
 *
 * How: every run is supervised by one `pgsup run --control-fd` process that libpgsup starts
 * with posix_spawn (so the cost does not grow with the caller's memory) and talks to over a
 * socket. That process is the subreaper of the tree and the command's parent, so nothing can
 * escape it; the caller is its guard: if the caller dies (even by SIGKILL), the tree is
 * killed (the supervisor watches the caller's pidfd as well as the socket), and if the
 * supervisor dies without a result, the library kills what it left before the exit callback:
 * the command's group, and every process that carries the run's marker, the environment entry
 * PGSUP_RUN_<16 hex digits>=1 that the library adds to the command's environment (a process
 * that cleared its environment escapes that). The supervisor runs in the caller's process
 * group and ignores the signals sent to it: the caller decides. The library itself installs
 * no signal handler, blocks no signal, changes no signal disposition, never waits on pid -1
 * and never uses libev's child watchers: it waits on a pidfd with an ev_io, so it works on any
 * libev loop and leaves the caller's other children alone. Every fd it makes is CLOEXEC.
 *
 * What the command inherits: the environment (envp, plus the run's marker), the working
 * directory (cwd), the umask,
 * resource limits, and stdin/stdout/stderr as pgsup_cmd says; nothing else of the caller. No
 * other fd reaches it (nor the supervisor, which gets its control socket only), even one
 * without CLOEXEC. Its signal mask is empty and every signal (1..NSIG-1, realtime ones and
 * glibc's internal 32 and 33 included) is at its default, whatever the caller blocked or
 * ignored (SIGCHLD, SIGPIPE, SIGINT...): a caller that ignores SIGCHLD still gets its results.
 *
 * The pgsup binary is $PGSUP_BIN, else the path it was installed to (which
 * pgsup_strerror(-PGSUP_ENOHELPER) names). A relative $PGSUP_BIN is taken from the caller's
 * working directory when pgsup_start() or pgsup_run() is called (not from cmd.cwd).
 *
 * fork(): a run belongs to the process that started it. A child forked while runs are going
 * inherits their handles, but every pgsup_* call on one of them returns -PGSUP_EFORKED there
 * and does nothing, and the child must not run the parent's loop (libev: not before
 * ev_loop_fork(), and not with the parent's runs on it). If the parent dies, its trees die
 * with it, whatever its children do. A child starts runs of its own with pgsup_start() as any
 * process would.
 *
 * Errors: functions that can fail return 0 or more on success and a negative number on
 * failure: -errno, or -PGSUP_E... for pgsup's own errors; pgsup_strerror() explains both.
 * Bad arguments (NULL or empty argv, a closed fd, a negative or NaN duration, an invalid
 * signal) give -EINVAL. */
#ifndef PGSUP_H
#define PGSUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define PGSUP_API __attribute__((visibility("default")))
#else
#define PGSUP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop; /* only the asynchronous calls need <ev.h> */

/* Errors of pgsup's own. They start above every errno value, so the ranges cannot collide. */
enum {
    PGSUP_ENOHELPER = 10000, /* the installed pgsup binary was not found or is not pgsup */
    PGSUP_EHELPER,           /* the pgsup supervisor process failed: killed or crashed before
                              * it reported (the tree was killed), or a bad reply, or kept
                              * stopped by its command for 30 s before reporting the start */
    PGSUP_EBADBIN,           /* $PGSUP_BIN does not name a pgsup binary that can run */
    PGSUP_ECWD,              /* cmd.cwd does not exist or cannot be entered */
    PGSUP_EFORKED,           /* the run belongs to another process (a handle kept across fork) */
};

/* The default grace between the first signal and SIGKILL, in seconds: what PGSUP_CMD_INIT puts
 * in kill_after_s. 0 there, or to pgsup_terminate(), means SIGKILL at once; < 0 never. */
#define PGSUP_KILL_AFTER_DEFAULT_S 5.0

/* Flags of pgsup_cmd.flags. */
enum {
    PGSUP_CAPTURE_STDOUT = 1u << 0, /* read the command's stdout into pgsup_result.out */
    PGSUP_CAPTURE_STDERR = 1u << 1, /* read the command's stderr into pgsup_result.err */
};

/* What to run. Initialize with PGSUP_CMD_INIT, then set fields; everything is copied by the
 * call it is passed to, which may return before the command ends. */
typedef struct pgsup_cmd {
    size_t size;              /* set by PGSUP_CMD_INIT: fields may be appended later */
    const char *const *argv;  /* required, NULL-terminated; argv[0] is searched in PATH */
    const char *const *envp;  /* NULL: the caller's environment */
    const char *cwd;          /* NULL: the caller's working directory */
    const void *stdin_data;   /* not NULL: the command reads these stdin_len bytes, then EOF */
    size_t stdin_len;
    int stdin_fd;             /* >= 0 (and stdin_data NULL): the command's stdin; -1: inherit */
    int stdout_fd;            /* >= 0 (and no capture): the command's stdout; -1: inherit */
    int stderr_fd;            /* >= 0 (and no capture): the command's stderr; -1: inherit */
    double timeout_s;         /* deadline in seconds from the start; 0: none */
    double kill_after_s;      /* grace between the first signal and SIGKILL; PGSUP_CMD_INIT:
                               * PGSUP_KILL_AFTER_DEFAULT_S; 0: SIGKILL at once (no grace);
                               * < 0: never send SIGKILL */
    int signal;               /* sent to the tree at the deadline and by pgsup_terminate();
                               * 0: SIGTERM */
    unsigned flags;           /* PGSUP_CAPTURE_* */
    size_t capture_max;       /* bytes kept per captured stream (the rest is read and
                               * dropped, see *_truncated); 0: 64 MiB */
} pgsup_cmd;

#define PGSUP_CMD_INIT                                                                        \
    {                                                                                         \
        .size = sizeof(pgsup_cmd), .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,          \
        .kill_after_s = PGSUP_KILL_AFTER_DEFAULT_S                                            \
    }

/* How a run ended. Exactly one of exit_code and term_signal is meaningful, unless error is
 * set: then both are -1. */
typedef struct pgsup_result {
    int exit_code;            /* the command's exit status, or -1 if a signal ended it */
    int term_signal;          /* the signal that ended the command, or 0 if it exited */
    bool timed_out;           /* the deadline hit before the command ended */
    bool killed;              /* SIGKILL was needed: the command outlived the grace */
    double wall_s;            /* from the start of the command to the end of its tree */
    struct rusage rusage;     /* the whole tree's (as RUSAGE_CHILDREN of its supervisor) */
    char *out, *err;          /* captured stdout / stderr, NUL-terminated, or NULL;
                               * owned by the result (see pgsup_result_free) */
    size_t out_len, err_len;
    bool out_truncated, err_truncated; /* more than capture_max bytes came */
    int error;                /* 0 when the command ran; else why the run failed: the command
                               * could not start (-ENOENT: not found; -EACCES, -ENOEXEC...:
                               * cannot be executed; -EAGAIN: the process limit), reported
                               * after pgsup_start() returned; -PGSUP_EHELPER: the supervisor
                               * died before it reported (killed, crashed), so how the command
                               * ended is not known, and its tree was killed; -PGSUP_EBADBIN or
                               * -PGSUP_ENOHELPER: the binary started as the supervisor is not
                               * pgsup. Only an exit callback sees this: pgsup_run() returns
                               * the error instead. */
} pgsup_result;

/* One running tree (asynchronous API). */
typedef struct pgsup_proc pgsup_proc;

/* Called once when the tree is gone and the captures are complete, or when the command could
 * not start (r->error). r is valid until the callback returns, and so is p, which is freed
 * right after; the callback may keep r->out and r->err by setting them to NULL (then free()
 * them itself). */
typedef void pgsup_exit_cb(pgsup_proc *p, pgsup_result *r, void *userdata);

/* Runs cmd and waits for its whole tree to be gone, on a private event loop. Any thread may
 * call it. On success (the command ran, whatever its status) returns 0 and fills *ret_result,
 * which the caller frees with pgsup_result_free(). Returns -ENOENT if the command was not
 * found, -EACCES/-ENOEXEC/... if it cannot be executed (the errors pgsup_start() reports
 * through pgsup_result.error come back here synchronously), -PGSUP_ECWD, -PGSUP_ENOHELPER,
 * -PGSUP_EBADBIN, -PGSUP_EHELPER (also when the supervisor dies during the run), -EINVAL,
 * -ENOMEM; *ret_result is then untouched. Nothing is printed, whatever fails. */
PGSUP_API int pgsup_run(const pgsup_cmd *cmd, pgsup_result *ret_result);

/* Frees out and err and zeroes them. NULL, or a zeroed result, is fine. */
PGSUP_API void pgsup_result_free(pgsup_result *r);

/* Starts cmd on loop (any libev loop; the caller runs it) and returns without waiting for the
 * command: 0 and *ret_proc as soon as the run's supervisor process is spawned (cb will then
 * be called exactly once, from loop, never from inside this call). A command that cannot
 * start (not found, cannot be executed) is reported through cb, with r->error. Returns
 * without calling cb what it can tell at once: -PGSUP_ECWD, -PGSUP_ENOHELPER, -PGSUP_EBADBIN
 * (the supervisor binary cannot be executed), -EAGAIN (no process could be made), -EINVAL,
 * -ENOMEM. A command that stops its supervisor at once (kill -STOP $PPID), before the start
 * is reported, is met by a SIGCONT to the supervisor every second, and after 30 s the
 * supervisor is killed: cb then gets -PGSUP_EHELPER, its tree killed. Call it, and the
 * functions below, from the thread that runs loop. Many runs may share one loop. */
PGSUP_API int pgsup_start(struct ev_loop *loop, const pgsup_cmd *cmd, pgsup_exit_cb *cb,
                          void *userdata, pgsup_proc **ret_proc);

/* The command's pid (its tree's root), once the supervisor has reported the start on the
 * loop; 0 before, and for a command that could not start; -1 for NULL. Requests made before
 * the start is reported (the three below) are queued and act as soon as the tree exists. */
PGSUP_API pid_t pgsup_pid(const pgsup_proc *p);

/* Sends sig to every process of the tree (the group, then escapees), without ending the run.
 * Returns 0, -EINVAL for a bad signal, -ESRCH once the tree is being reaped, or
 * -PGSUP_EFORKED from another process than the one that started the run (see fork() above);
 * so do the two functions below. */
PGSUP_API int pgsup_signal(pgsup_proc *p, int sig);

/* Ends the run now: cmd.signal once to the whole tree as it is now, SIGKILL after grace_s
 * (0: at once, as in cmd.kill_after_s; < 0: never; PGSUP_KILL_AFTER_DEFAULT_S: the default
 * grace) to all of it, again until nothing is left. What the tree starts during the grace (a
 * TERM trap's cleanup command) gets no second signal and may finish. Returns 0, -EINVAL,
 * -ESRCH once the tree is being reaped, or -PGSUP_EFORKED. */
PGSUP_API int pgsup_terminate(pgsup_proc *p, double grace_s);

/* Sets the deadline to timeout_s from now (0: no deadline). Returns 0, -EINVAL, -ESRCH, or
 * -PGSUP_EFORKED. */
PGSUP_API int pgsup_set_deadline(pgsup_proc *p, double timeout_s);

/* A static, human-readable message for err (negative or positive). Never NULL; thread-safe. */
PGSUP_API const char *pgsup_strerror(int err);

/* The library's version, "MAJOR.MINOR.PATCH". */
PGSUP_API const char *pgsup_version(void);

#ifdef __cplusplus
}
#endif

#endif
