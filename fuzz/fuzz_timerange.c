/* libFuzzer: --from/--to bounds (core/timerange.c) and the filter applying
 * them. Any text must give a bound or one error line, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"
#include "core/timerange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256], err[512];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    dt_tbound b;
    (void)dt_tbound_parse(text, &b, err, sizeof err);
    /* the same text as both bounds, applied to a few instants */
    dt_filter *f = dt_filter_new();
    if (f && dt_filter_set_time(f, text, text, err, sizeof err) == 0) {
        dt_event ev = { .summary = "x", .proto = "toy", .proto_name = "toy" };
        uint64_t ts[] = { 0, 1795003600ull * 1000000000ull, UINT64_MAX / 2 };
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
            ev.ts_ns = ts[i];
            (void)dt_filter_match(f, &ev);
        }
    }
    dt_filter_free(f);
    return 0;
}
