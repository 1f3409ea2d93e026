/* Reads bytes on stdin and writes them as one JSON string (test helper). */
#include <stdio.h>
#include <stdlib.h>

#include "core/sinks/json_writer.h"

int main(void)
{
    size_t cap = 1 << 16, n = 0, k;
    unsigned char *b = malloc(cap);
    while (b && (k = fread(b + n, 1, cap - n, stdin)) > 0) {
        n += k;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    if (!b)
        return 1;
    dt_json_write_string(stdout, b, n);
    putchar('\n');
    free(b);
    return fflush(stdout) ? 1 : 0;
}
