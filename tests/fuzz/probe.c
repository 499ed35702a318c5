/* probe.c: compiled at configure time to see whether clang can build a libFuzzer harness
 * here (Debian: clang and libclang-rt-14-dev); if not, the fuzz tests are not declared. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void) data;
    (void) size;
    return 0;
}
