/* run.h: one supervised run of one command tree on a libev loop: spawn, deadline, signals
 * to the whole tree, grace, SIGKILL, and the result.
 *
 * The caller must be the tree's subreaper and the only reaper of its own children
 * (PR_SET_CHILD_SUBREAPER, no waitpid(-1) elsewhere): every child it has is taken to belong
 * to the tree, and run_reap() must be called whenever SIGCHLD arrives.
 *
 * Without a /proc of our own PID namespace (procns.h), members outside the group cannot be
 * found: the tree is then the group and the caller's children, and the run ends once the
 * group is empty and the command reaped, even if children that left the group live on (as
 * PID 1 of the namespace, the kernel kills them when we exit). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct ev_loop;
struct run;

struct run_spec {
    char *const *argv;   /* borrowed until run_start() returns */
    char *const *envp;   /* NULL: inherit; borrowed until run_start() returns */
    const char *cwd;     /* NULL: inherit; borrowed until run_start() returns */
    pid_t pgid;          /* group the command joins, made by the caller (setpgid(0, 0)), whose
                          * number the caller keeps from reuse; -1 (command_only): none, the
                          * command stays in the caller's group */
    pid_t spare;         /* a member of the group that is not part of the tree (pgsup timeout's
                          * guard, which may lead the group as coreutils' timeout does): never
                          * signalled, never counted; 0: none */
    int tty_fd;          /* >= 0: give this terminal's foreground to the group */
    double timeout_s;    /* 0: no deadline */
    int signal;          /* sent to the tree at the deadline; 0 sends nothing but SIGCONT */
    double kill_after_s; /* grace before SIGKILL once the tree was signalled; < 0: never */
    bool wait_all;       /* true: when the command exits, stop the rest of its tree and finish
                          * only when the tree is empty; false: when the command exits by
                          * itself, finish at once and leave the rest (timeout(1)'s way). Once
                          * the tree is being stopped, both finish only when it is empty. */
    bool nested_jobs;    /* timeout(1)'s cascades: see tree.h */
    bool command_only;   /* timeout(1)'s --foreground: every signal goes to the command alone
                          * (no group, no escapee, no SIGCONT) and the run ends when it is
                          * reaped, whatever it left behind */
    bool inherit_fds;    /* false: the command gets fds 0, 1 and 2 only; true: every fd
                          * without CLOEXEC too (timeout(1)'s way; see spawn.h) */
    uint64_t keep_ignored; /* signals the command gets with our disposition (timeout(1): those
                            * ignored when it started); every other one starts at SIG_DFL. Bit
                            * sig - 1 (signals.h) */
    uint64_t sigmask;    /* the command's signal mask (signals.h); 0: nothing blocked */
};

struct run_result {
    bool exited;         /* true: exit_code is set; false: term_signal is */
    int exit_code;
    int term_signal;
    bool timed_out;      /* the deadline (or run_expire()) fired before the command exited */
    bool escalated;      /* SIGKILL was sent to the tree before the command exited */
    bool core_dumped;    /* the command's death by a signal wrote a core file */
    double wall_s;       /* from spawn to the end of the run */
    struct rusage rusage; /* of every process of the tree reaped by the caller */
};

enum run_note_kind {
    RUN_NOTE_DEADLINE,    /* the deadline fired */
    RUN_NOTE_SENT,        /* a signal went to the group (group) or one escapee */
    RUN_NOTE_EXITED,      /* the command exited by itself; count members of its tree remain */
    RUN_NOTE_STOPPED,     /* the command was stopped by signal sig (job control) */
    RUN_NOTE_SIGNALLED,   /* sig is about to go to the tree while the command runs: the
                           * deadline's, a forwarded one (run_terminate()), or SIGKILL after the
                           * grace (timeout(1)'s --verbose line) */
};

struct run_note {
    enum run_note_kind kind;
    int sig;
    pid_t pid;
    bool group;
    bool escapee;
    unsigned count;
};

typedef void run_done_fn(struct run *run, const struct run_result *result, void *userdata);
typedef void run_note_fn(const struct run_note *note, void *userdata);

/* Starts the command. On success *ret_run owns the run; done is called exactly once, from the
 * loop, and the run may be freed from inside it. Returns 0, or -errno if the command could not
 * be started (-ENOENT: not found; -EACCES, -ENOEXEC...: cannot execute); then done is never
 * called. note may be NULL. */
int run_start(struct ev_loop *loop, const struct run_spec *spec, run_done_fn *done,
              run_note_fn *note, void *userdata, struct run **ret_run);

/* Stops the watchers and frees the run. NULL is fine. Processes are not touched. */
void run_free(struct run *run);

/* Reaps every exited child of the caller; call it when SIGCHLD arrives. */
void run_reap(struct run *run);

/* Sends sig to the whole tree without ending the run. Returns 0 or -errno. */
int run_signal(struct run *run, int sig);

/* Ends the run: sig to the whole tree, then SIGKILL after grace_s (< 0: never; 0: at once);
 * the grace of an earlier call is kept. Returns 0 or -errno. */
int run_terminate(struct run *run, int sig, double grace_s);

/* Acts as if the deadline fired now (SIGALRM from outside, as timeout(1) allows). */
void run_expire(struct run *run);

/* From now on, pid (a member of the group) is spared as run_spec.spare is. */
void run_spare(struct run *run, pid_t pid);

/* Moves the deadline to timeout_s from now; 0 removes it. Ignored once the run is ending. */
void run_set_deadline(struct run *run, double timeout_s);

/* The command's pid. */
pid_t run_pid(const struct run *run);
