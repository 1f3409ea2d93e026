/* diagtap session's source words and session files (cli/session_spec.c).
 * Input: first byte even: the rest is a session file (JSON); odd: the rest
 * is NUL-separated source words, then the whole checked. Everything parsed
 * is freed; errors must fit their buffer and name what they refuse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/session_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    dt_session_spec s;
    dt_session_spec_init(&s);
    char err[512];
    if ((data[0] & 1u) == 0) {
        (void)dt_session_load_buffer(&s, "fuzz.json", (const char *)data + 1, size - 1, err, sizeof err);
    } else {
        char *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data + 1, size - 1);
        copy[size - 1] = '\0';
        for (char *w = copy; w < copy + size - 1; w += strlen(w) + 1)
            (void)dt_session_add_word(&s, w, err, sizeof err);
        free(copy);
    }
    (void)dt_session_check(&s, err, sizeof err);
    dt_session_spec_free(&s);
    return 0;
}
