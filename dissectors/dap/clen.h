/* Content-Length framing, shared by DAP and LSP/JSON-RPC.
 *
 * A message is a block of "Name: value" header lines ended by an empty line,
 * then exactly Content-Length bytes of body. Header names are
 * case-insensitive, unknown headers are tolerated, lines end in CRLF (a bare
 * LF is accepted too).
 */
#ifndef DT_DAP_CLEN_H
#define DT_DAP_CLEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/cursor.h"
#include "diagtap/dissector.h"

#define CLEN_ABSURD_BODY ((uint64_t)1 << 40) /* a Content-Length beyond this is reported as bad */
#define CLEN_MAX_HEADER 8192                /* a longer header block is garbage */

typedef enum clen_status {
    CLEN_OK,        /* a complete header block */
    CLEN_NEED_MORE, /* what is there looks like a header so far */
    CLEN_GARBAGE,   /* not a header block: resynchronise */
} clen_status;

typedef struct clen_header {
    size_t header_len;       /* up to and including the empty line */
    uint64_t content_length;
    bool has_length;         /* a Content-Length header was seen */
    bool bad_length;         /* ... but its value is not a decimal number, or values conflict */
    size_t length_off;       /* where the (first) Content-Length value is */
    size_t length_len;
    size_t type_off;         /* Content-Type value, when present (type_len > 0) */
    size_t type_len;
    unsigned n_headers;
} clen_header;

/* Parses the header block at the cursor's position without moving it. */
clen_status clen_parse_header(const dt_cursor *c, clen_header *h);

/* Calls fn(name, value) for each header line of a parsed block; offsets are
 * relative to the cursor's position. */
typedef void (*clen_header_fn)(void *arg, size_t name_off, size_t name_len, size_t value_off, size_t value_len);
void clen_each_header(const dt_cursor *c, const clen_header *h, clen_header_fn fn, void *arg);

/* Adds each header line other than Content-Length (and Content-Type when
 * skip_type) as a "Name: value" string field. */
void clen_add_headers(dt_ctx *ctx, const dt_cursor *c, const clen_header *h, const dt_field_def *field,
                      bool skip_type);

/* The framer both dissectors use (dt_frame_fn semantics). It returns the
 * whole message size even when less is there, so the engine knows a final
 * message is truncated. */
long clen_frame(const uint8_t *data, size_t avail);

/* Bytes to skip to reach the next "Content-Length:" after data[0] (at least 1). */
size_t clen_resync(const uint8_t *data, size_t avail);

/* What the first message of a stream carries. */
typedef enum clen_body_kind {
    CLEN_BODY_NONE,    /* not Content-Length framing */
    CLEN_BODY_UNKNOWN, /* framing, but the body is not visible enough to tell */
    CLEN_BODY_JSONRPC, /* a "jsonrpc" member: LSP / JSON-RPC 2.0 */
    CLEN_BODY_DAP,     /* "seq" and "type" members: DAP */
    CLEN_BODY_OTHER,   /* some other body */
} clen_body_kind;

clen_body_kind clen_probe_body(const uint8_t *data, size_t len);

/* Probe confidence for a dissector that wants `mine`, yields to `theirs`:
 * an undecided body scores 0 while fewer than CLEN_PROBE_WAIT bytes are
 * there, so the engine waits for more (an LSP client may write the header and
 * the body separately), then `unknown`. */
#define CLEN_PROBE_WAIT 64
int clen_probe_score(const uint8_t *data, size_t len, clen_body_kind mine, int unknown);

/* The body after a parsed header block, parsed as JSON: reports an
 * implausible length, a truncated body or a JSON error (with its position)
 * as malformed, with a summary naming proto, and returns NULL; otherwise the
 * root (in *doc: jx_doc_free it) and the body's PDU offset in *body_off. The
 * nodes live in the event's scratch (dt_scratch): no dt_next_event while they are in use. */
struct jx_doc;
const struct jx_node *clen_load_json_body(dt_ctx *ctx, dt_cursor *c, const clen_header *h, const char *proto,
                                          size_t *body_off, struct jx_doc *doc);

/* Case-insensitive comparison of an ASCII header name. */
bool clen_name_is(const uint8_t *p, size_t n, const char *name);

#endif
