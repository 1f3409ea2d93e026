/* Test sink: every event as one line of text, "KIND DIR #CONV SUMMARY". */
#ifndef DIAGTAP_TESTS_CAPTURE_COLLECT_H
#define DIAGTAP_TESTS_CAPTURE_COLLECT_H

#include <stddef.h>

#include "core/sink.h"

typedef struct collect {
    dt_sink sink;
    char lines[256][160];
    int n;
    int frames;
    int stream_bytes;
    char client[64], server[64];  /* of the last conversation seen */
} collect;

void collect_init(collect *c);
/* Index of the first line containing text at or after from, or -1. */
int collect_find(const collect *c, int from, const char *text);
void collect_dump(const collect *c);

#endif
