/* procns.h: whether /proc speaks for our PID namespace. Inside a new PID namespace whose
 * creator did not mount a /proc of its own (unshare --pid --fork, no --mount-proc), /proc is
 * still the parent namespace's: the numbers read there name other processes than the same
 * numbers passed to kill() or pidfd_open() here (our pid 2 is the host's kthreadd). */
#pragma once

/* Returns 0 if /proc is this PID namespace's, -EXDEV if it is another namespace's, or another
 * -errno if it cannot be read at all (-ENOENT: no /proc). The answer is computed once per
 * process: pgsup never changes its namespaces or mounts. Thread-safe. */
int procns_check(void);
