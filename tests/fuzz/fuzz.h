/* fuzz.h: what the libFuzzer harnesses of tests/fuzz share. Each harness is one file that
 * defines LLVMFuzzerTestOneInput() and feeds the input to one parser of pgsup; it aborts (and
 * so fails the run) when a property that must hold does not: a value that parses formats and
 * parses back the same, a parser never writes its result on failure. ASan and UBSan (clang,
 * -fsanitize=fuzzer,address,undefined) catch the memory errors and undefined behaviour. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (what the parsers take), or NULL when it holds a NUL:
 * such inputs cannot reach a string parser. free() it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s;

    if (memchr(data, '\0', size))
        return NULL;
    s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz: %s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)
