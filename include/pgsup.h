/* pgsup.h: the public interface of libpgsup.
 *
 * libpgsup runs commands in their own process groups and guarantees that, when a run ends,
 * no process of the command's tree survives and none is left as a zombie. */
#ifndef PGSUP_H
#define PGSUP_H

#if defined(__GNUC__)
#define PGSUP_API __attribute__((visibility("default")))
#else
#define PGSUP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Errors of pgsup's own, returned negated like -errno values. They start above every errno
 * value, so the two ranges cannot collide. */
enum {
    PGSUP_ESURVIVORS = 10000, /* the tree could not be emptied */
};

/* Returns a static, human-readable message for err, which may be negative (-errno or
 * -PGSUP_E...) or positive. Never returns NULL. Thread-safe. */
PGSUP_API const char *pgsup_strerror(int err);

/* Returns the library's version, "MAJOR.MINOR.PATCH". */
PGSUP_API const char *pgsup_version(void);

#ifdef __cplusplus
}
#endif

#endif
