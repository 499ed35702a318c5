/* fuzz_proc_stat.c: the /proc/PID/stat parser (src/core/proc.c) on arbitrary text: the
 * command name may hold anything, parentheses and blanks included. A line that parses has a
 * state letter; memory errors and undefined behaviour are the sanitizers' to find. */
#include <errno.h>

#include "core/proc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct proc_entry e;

    if (!text)
        return 0;
    if (proc_stat_parse(text, &e) == 0)
        FUZZ_CHECK(e.state != '\0');
    free(text);
    return 0;
}
