/* blast.h: the byte pattern blast writes (blast.c) and test_lib_sync.c checks. It holds NUL
 * bytes and does not repeat with the 4 KiB chunk size, so a lost, repeated or misplaced chunk
 * shows up; the two streams differ. */
#pragma once
#include <stddef.h>

static inline unsigned char blast_byte(size_t i, int stream)
{
    return (unsigned char) ((i ^ (i >> 8) ^ (i >> 16) ^ (i >> 13)) + (size_t) stream * 101);
}
