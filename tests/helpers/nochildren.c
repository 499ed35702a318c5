/* nochildren.c: an LD_PRELOAD shim that hides /proc/PID/task/TID/children, as on a kernel
 * built without CONFIG_PROC_CHILDREN: opening or probing any file named "children" under
 * /proc (or relative to a directory fd, as openat() walks /proc/PID/task) fails with ENOENT.
 * The integration tests run a selection of scenarios under it, so that pgsup's fallbacks (the
 * engine's and the daemon reaper's full /proc scans) stay tested. Built without sanitizers:
 * it is preloaded into every program of the test, instrumented or not. */
#undef _FILE_OFFSET_BITS /* we define open() and open64() both, under their own names */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool hidden(int dir_fd, const char *path)
{
    const char *base;

    if (!path)
        return false;
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "children") != 0)
        return false;
    return strncmp(path, "/proc/", 6) == 0 || (path[0] != '/' && dir_fd != AT_FDCWD);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

/* Returns what the next definition of name returns (dlsym gives an object pointer: copied
 * into a function pointer, which ISO C does not let us cast to). */
#define CALL_REAL(name, fn_type, ...)                                                              \
    do {                                                                                           \
        fn_type *real_;                                                                            \
        void *sym_ = dlsym(RTLD_NEXT, name);                                                       \
        memcpy(&real_, &sym_, sizeof(real_));                                                      \
        return real_(__VA_ARGS__);                                                                 \
    } while (0)

typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef int open2_fn(const char *, int);
typedef int openat2_fn(int, const char *, int);
typedef int access_fn(const char *, int);
typedef int faccessat_fn(int, const char *, int, int);
typedef FILE *fopen_fn(const char *, const char *);

#define DEFINE_OPEN(name)                                                                          \
    int name(const char *path, int flags, ...)                                                     \
    {                                                                                              \
        va_list ap;                                                                                \
        mode_t mode;                                                                               \
        if (hidden(AT_FDCWD, path)) {                                                              \
            errno = ENOENT;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        va_start(ap, flags);                                                                       \
        mode = mode_arg(flags, ap);                                                                \
        va_end(ap);                                                                                \
        CALL_REAL(#name, open_fn, path, flags, mode);                                              \
    }

#define DEFINE_OPENAT(name)                                                                        \
    int name(int dir_fd, const char *path, int flags, ...)                                         \
    {                                                                                              \
        va_list ap;                                                                                \
        mode_t mode;                                                                               \
        if (hidden(dir_fd, path)) {                                                                \
            errno = ENOENT;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        va_start(ap, flags);                                                                       \
        mode = mode_arg(flags, ap);                                                                \
        va_end(ap);                                                                                \
        CALL_REAL(#name, openat_fn, dir_fd, path, flags, mode);                                    \
    }

#define DEFINE_OPEN_2(name)                                                                        \
    int name(const char *path, int flags)                                                          \
    {                                                                                              \
        if (hidden(AT_FDCWD, path)) {                                                              \
            errno = ENOENT;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        CALL_REAL(#name, open2_fn, path, flags);                                                   \
    }

#define DEFINE_OPENAT_2(name)                                                                      \
    int name(int dir_fd, const char *path, int flags)                                              \
    {                                                                                              \
        if (hidden(dir_fd, path)) {                                                                \
            errno = ENOENT;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        CALL_REAL(#name, openat2_fn, dir_fd, path, flags);                                         \
    }

#define DEFINE_FOPEN(name)                                                                         \
    FILE *name(const char *path, const char *mode)                                                 \
    {                                                                                              \
        if (hidden(AT_FDCWD, path)) {                                                              \
            errno = ENOENT;                                                                        \
            return NULL;                                                                           \
        }                                                                                          \
        CALL_REAL(#name, fopen_fn, path, mode);                                                    \
    }

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dir_fd, const char *path, int flags);
int __openat64_2(int dir_fd, const char *path, int flags);

DEFINE_OPEN(open)
DEFINE_OPEN(open64)
DEFINE_OPENAT(openat)
DEFINE_OPENAT(openat64)
DEFINE_OPEN_2(__open_2)
DEFINE_OPEN_2(__open64_2)
DEFINE_OPENAT_2(__openat_2)
DEFINE_OPENAT_2(__openat64_2)
DEFINE_FOPEN(fopen)
DEFINE_FOPEN(fopen64)

int access(const char *path, int mode)
{
    if (hidden(AT_FDCWD, path)) {
        errno = ENOENT;
        return -1;
    }
    CALL_REAL("access", access_fn, path, mode);
}

int faccessat(int dir_fd, const char *path, int mode, int flags)
{
    if (hidden(dir_fd, path)) {
        errno = ENOENT;
        return -1;
    }
    CALL_REAL("faccessat", faccessat_fn, dir_fd, path, mode, flags);
}
