/* fuzz_wire.c: the decoder of the messages between libpgsup and its engine (src/lib/wire.c)
 * on arbitrary records. A message that parses formats again and parses back to the same kind
 * and integers (doubles are written with 9 digits: close enough is not checked). */
#include <errno.h>

#include "lib/wire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_msg m, again;
    char buf[WIRE_MAX];
    int n;

    if (wire_parse((const char *) data, size, &m) != 0)
        return 0;
    n = wire_format(&m, buf, sizeof(buf));
    FUZZ_CHECK(n > 0);
    FUZZ_CHECK(wire_parse(buf, (size_t) n, &again) == 0);
    FUZZ_CHECK(again.kind == m.kind);
    switch (m.kind) {
    case WIRE_STARTED:
        FUZZ_CHECK(again.pid == m.pid && m.pid > 0);
        break;
    case WIRE_FAILED:
        FUZZ_CHECK(again.err == m.err && m.err < 0);
        break;
    case WIRE_SIGNAL:
    case WIRE_TERMINATE:
        FUZZ_CHECK(again.sig == m.sig);
        break;
    case WIRE_DONE:
        FUZZ_CHECK(again.result.exit_code == m.result.exit_code &&
                   again.result.term_signal == m.result.term_signal &&
                   again.result.rusage.ru_maxrss == m.result.rusage.ru_maxrss);
        break;
    default:
        break;
    }
    return 0;
}
