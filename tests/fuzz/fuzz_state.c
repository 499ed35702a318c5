/* fuzz_state.c: the state file reader (src/daemon/state.c) on arbitrary text: what a crashed
 * daemon left, or what someone put there. A state that parses formats and parses back to the
 * same runs. */
#include <errno.h>

#include "daemon/state.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size), *out = NULL;
    struct state s, again;

    if (!text)
        return 0;
    if (state_parse(text, &s) == 0) {
        FUZZ_CHECK(state_format(&s, &out) == 0);
        FUZZ_CHECK(state_parse(out, &again) == 0);
        FUZZ_CHECK(again.runs_len == s.runs_len);
        for (size_t i = 0; i < s.runs_len; i++)
            FUZZ_CHECK(again.runs[i].leader.pid == s.runs[i].leader.pid &&
                       again.runs[i].leader.start == s.runs[i].leader.start &&
                       again.runs[i].pgid == s.runs[i].pgid);
        state_free(&again);
        state_free(&s);
        free(out);
    }
    free(text);
    return 0;
}
