/* Internal to the KD packet decoder: the packet being decoded and small
 * read-and-add helpers shared by kd_packet.c, kd_manipulate.c and kd_events.c. */
#ifndef DIAGTAP_KD_PRIV_H
#define DIAGTAP_KD_PRIV_H

#include "kd.h"

typedef struct kd_pkt {
    dt_ctx *ctx;
    kd_session *s;
    kd_side side;
    int slot;
    dt_field *tree;   /* the kd.packet subtree */
    uint16_t type;
    uint16_t byte_count;
    uint32_t id;
    bool retransmit;
} kd_pkt;

/* Pairing keys: the packet type in the high half keeps API families apart. */
#define KD_PAIR_KEY(type, api) (((uint64_t)0x4B44u << 48) | ((uint64_t)(type) << 32) | (uint32_t)(api))

static inline uint8_t kd_rd8(kd_pkt *p, dt_cursor *d, int fid)
{
    uint8_t v = 0;
    dt_add_u8(p->ctx, p->tree, &kd_fields[fid], d, &v);
    return v;
}

static inline uint16_t kd_rd16(kd_pkt *p, dt_cursor *d, int fid)
{
    uint16_t v = 0;
    dt_add_u16le(p->ctx, p->tree, &kd_fields[fid], d, &v);
    return v;
}

static inline uint32_t kd_rd32(kd_pkt *p, dt_cursor *d, int fid)
{
    uint32_t v = 0;
    dt_add_u32le(p->ctx, p->tree, &kd_fields[fid], d, &v);
    return v;
}

static inline uint64_t kd_rd64(kd_pkt *p, dt_cursor *d, int fid)
{
    uint64_t v = 0;
    dt_add_u64le(p->ctx, p->tree, &kd_fields[fid], d, &v);
    return v;
}

/* A 32-bit value shown in a 64-bit field (x86 layouts of 64-bit fields). */
static inline uint32_t kd_rd32as64(kd_pkt *p, dt_cursor *d, int fid)
{
    size_t off = dt_cur_offset(d);
    uint32_t v = dt_cur_u32le(d);
    if (dt_cur_ok(d))
        dt_add_uint(p->ctx, p->tree, &kd_fields[fid], off, 4, v);
    return v;
}

/* The rest of the data (at most max bytes) as a bytes field; returns its length. */
size_t kd_add_rest(kd_pkt *p, dt_cursor *d, int fid, size_t max);

/* Reads n bytes of 8-bit text into an arena string, adds it as a field and
 * returns it (never NULL). */
const char *kd_add_text(kd_pkt *p, dt_cursor *d, int fid, size_t n);

/* Appends text to the summary on one line: whitespace runs become one space,
 * control characters dots, long text is cut with "...". */
void kd_summary_text(dt_ctx *ctx, const char *text, size_t max);

bool kd_is_error_status(uint32_t status);

void kd_dissect_manipulate(kd_pkt *p, dt_cursor *d);
void kd_dissect_state_change(kd_pkt *p, dt_cursor *d, bool wide);
void kd_dissect_debug_io(kd_pkt *p, dt_cursor *d);
void kd_dissect_trace_io(kd_pkt *p, dt_cursor *d);
void kd_dissect_control_request(kd_pkt *p, dt_cursor *d);
void kd_dissect_file_io(kd_pkt *p, dt_cursor *d);

#endif
