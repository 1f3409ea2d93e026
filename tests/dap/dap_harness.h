/* Test harness for the DAP/LSP dissectors: reads a transcript (see
 * transcript.py), feeds it to a real engine with every registered dissector,
 * and keeps each event as one line of text for comparison and assertions. */
#ifndef DAP_HARNESS_H
#define DAP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tr_record {
    int dir;          /* 0 client->adapter, 1 adapter->client */
    uint64_t ns;      /* since the first record */
    const uint8_t *data;
    size_t len;
} tr_record;

typedef struct transcript {
    uint8_t *buf;
    tr_record *rec;
    size_t n;
} transcript;

/* Loads DAP_DATA_DIR/name; fails the test when it cannot. */
void tr_load(transcript *t, const char *name);
void tr_free(transcript *t);

/* One collected event: "kind dir role proto req=N lat=0|1 mal=0|1 status=S key=K | summary | fields". */
typedef struct ev_list {
    char **line;
    size_t n, cap;
    char **summary; /* the summary alone, parallel to line */
} ev_list;

void ev_free(ev_list *l);
/* The first line containing every given substring (NULL-terminated), or NULL. */
const char *ev_find(const ev_list *l, ...);
size_t ev_count(const ev_list *l, const char *needle);

/* How a record's bytes are cut into chunks: called with the record's length,
 * returns the size of the next chunk given what is already sent. */
typedef size_t (*chunk_fn)(size_t len, size_t sent, void *arg);

/* Feeds records (or raw extra bytes through inject) and finishes the engine.
 * force: a dissector name for decode-as, or NULL to let the probes choose.
 * inject(i, dir, &data, &len): optional bytes to send before record i. */
typedef bool (*inject_fn)(size_t i, int *dir, const uint8_t **data, size_t *len, void *arg);
void run_transcript(const tr_record *rec, size_t n, const char *force, chunk_fn chunk, void *chunk_arg,
                    inject_fn inject, void *inject_arg, ev_list *out);

/* Feeds raw bytes in one direction as a whole conversation. */
void run_bytes(const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c, size_t s2c_len, const char *force,
               ev_list *out);

#endif
