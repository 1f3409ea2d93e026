/* A ClickHouse row per timeline event, in RowBinary or JSONEachRow, appended
 * to a growing buffer; and the table's columns, which the row encoders and
 * `diagtap schema clickhouse` share so they cannot disagree. */
#ifndef DIAGTAP_CH_ROW_H
#define DIAGTAP_CH_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/event.h"

typedef enum dt_ch_format {
    DT_CH_ROWBINARY,
    DT_CH_JSONEACHROW,
} dt_ch_format;

typedef struct dt_ch_column {
    const char *name;
    const char *type;    /* ClickHouse 18.16 type */
    const char *comment; /* what it holds, for the schema's comments */
} dt_ch_column;

/* In the order RowBinary writes them; ends with { NULL }. */
extern const dt_ch_column dt_ch_columns[];

/* "time, ts_ns, host, ...": the column list an INSERT names. */
const char *dt_ch_column_list(void);

/* A growing byte buffer; reused from batch to batch, so it stops growing. */
typedef struct dt_ch_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* an allocation failed: the content is incomplete */
} dt_ch_buf;

void dt_ch_buf_free(dt_ch_buf *b);
bool dt_ch_buf_reserve(dt_ch_buf *b, size_t more);
void dt_ch_buf_put(dt_ch_buf *b, const void *p, size_t n);

/* What each row carries besides the event itself. */
typedef struct dt_ch_row_ctx {
    const char *host;  /* the host label */
    uint64_t run_id;   /* random per diagtap run: (host, run_id, seq) is an event's identity */
    uint64_t batch;    /* the batch's number within the run */
    dt_ch_buf scratch; /* reused: a value whose length RowBinary needs first */
} dt_ch_row_ctx;

/* Appends one row. */
void dt_ch_row_append(dt_ch_buf *b, dt_ch_format fmt, dt_ch_row_ctx *rc, const dt_event *ev);

/* A field's value as the field_values column holds it: the JSON Lines
 * rendering without quotes (docs/json-schema.md): numbers in decimal,
 * "true"/"false", hex for BYTES, "" for a label. Strings are copied with
 * ill-formed UTF-8 replaced by U+FFFD. Appends to b (not as a RowBinary
 * string: raw text). */
void dt_ch_field_text(dt_ch_buf *b, const dt_field *f);

#endif
