/* The HTTP side of the ClickHouse sink, through libcurl: INSERT a batch,
 * and count a batch's rows before resending one whose fate is unknown. */
#ifndef DIAGTAP_CH_HTTP_H
#define DIAGTAP_CH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ch_batch.h"
#include "ch_url.h"

typedef struct dt_ch_http dt_ch_http;

typedef enum dt_ch_outcome {
    DT_CH_SENT,      /* 200: the rows are in */
    DT_CH_NOT_SENT,  /* no connection was made: certainly not in */
    DT_CH_MAYBE,     /* anything else: they may be in (check before resending) */
} dt_ch_outcome;

/* password overrides the URL's; cacert: a CA bundle for clickhouses://, or NULL. */
dt_ch_http *dt_ch_http_new(const dt_ch_url *u, const char *password, const char *cacert, char *err, size_t errsz);
void dt_ch_http_free(dt_ch_http *h);
/* fn is asked about once a second while a request runs (also while it only
 * waits for a silent server); true aborts the request, whose outcome is then
 * DT_CH_MAYBE. So that the exit deadline holds against a server that never
 * answers, not only the 60 s request timeout. */
void dt_ch_http_on_abort(dt_ch_http *h, bool (*fn)(void *ctx), void *ctx);

/* err gets one line (the server's exception or the transport error). */
dt_ch_outcome dt_ch_http_insert(dt_ch_http *h, const dt_ch_batch *b, long timeout_ms, char *err, size_t errsz);
/* How many rows of b's (host, run_id, batch) the table holds; 0, or -1 with err. */
int dt_ch_http_count(dt_ch_http *h, const dt_ch_batch *b, long timeout_ms, uint64_t *count, char *err, size_t errsz);

#endif
