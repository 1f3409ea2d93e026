/* EventPipe nettrace stream: framing of FastSerialization objects and
 * decoding of the Trace object and the blocks (V4 and V5). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nettrace.h"

#define NT_MAX_TYPE_NAME 64
#define NT_MAX_BLOCK (256u << 20)
#define NT_TRACE_PAYLOAD 48 /* 8 shorts, 2 longs, 4 ints */
#define NT_MAX_STACKS_SHOWN 64
#define NT_MAX_FRAMES_SHOWN 32
#define NT_MAX_SP_THREADS_SHOWN 256

bool nt_is_magic(const uint8_t *data, size_t len)
{
    return len >= NT_MAGIC_LEN && memcmp(data, NT_MAGIC, NT_MAGIC_LEN) == 0;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* The type part of an object: 05 | 05 01 version minver namelen name 06. */
typedef struct nt_objhdr {
    uint32_t version, min_version;
    char name[NT_MAX_TYPE_NAME + 1];
    size_t len; /* bytes up to and including the type's end tag */
} nt_objhdr;

/* 1: parsed, 0: need more bytes, -1: not an object header. */
static int parse_objhdr(const uint8_t *d, size_t n, nt_objhdr *h)
{
    static const uint8_t lead[3] = { NT_TAG_BEGIN_PRIVATE, NT_TAG_BEGIN_PRIVATE, NT_TAG_NULL };
    for (size_t i = 0; i < 3 && i < n; i++)
        if (d[i] != lead[i])
            return -1;
    if (n < 15)
        return 0;
    uint32_t name_len = rd32(d + 11);
    if (name_len == 0 || name_len > NT_MAX_TYPE_NAME)
        return -1;
    if (n < 15 + (size_t)name_len + 1)
        return 0;
    if (d[15 + name_len] != NT_TAG_END)
        return -1;
    h->version = rd32(d + 3);
    h->min_version = rd32(d + 7);
    memcpy(h->name, d + 15, name_len);
    h->name[name_len] = '\0';
    h->len = 15 + (size_t)name_len + 1;
    return 1;
}

static size_t block_pad(uint64_t stream_offset) { return (size_t)((4 - (stream_offset & 3)) & 3); }

/* Where the next "05 05 01" might start, for resynchronisation. */
static long skip_garbage(const uint8_t *data, size_t avail)
{
    for (size_t i = 1; i < avail; i++)
        if (data[i] == NT_TAG_BEGIN_PRIVATE)
            return -(long)i;
    return -(long)avail;
}

long nt_frame(const nt_stream *s, const uint8_t *data, size_t avail)
{
    if (avail == 0)
        return DT_FRAME_NEED_MORE;
    switch (s->phase) {
    case NT_PHASE_HEADER: {
        size_t k = avail < NT_MAGIC_LEN ? avail : NT_MAGIC_LEN;
        if (memcmp(data, NT_MAGIC, k) != 0)
            return -1;
        if (avail < NT_MAGIC_LEN + 4)
            return DT_FRAME_NEED_MORE;
        uint32_t n = rd32(data + NT_MAGIC_LEN);
        if (n == 0) /* V6: Reserved=0, MajorVersion, MinorVersion */
            return NT_MAGIC_LEN + 12;
        if (n > 256)
            return -NT_MAGIC_LEN;
        return (long)(NT_MAGIC_LEN + 4 + n);
    }
    case NT_PHASE_OBJECTS: {
        if (data[0] == NT_TAG_NULL)
            return 1;
        nt_objhdr h;
        int r = parse_objhdr(data, avail, &h);
        if (r == 0)
            return DT_FRAME_NEED_MORE;
        if (r < 0)
            return skip_garbage(data, avail);
        if (strcmp(h.name, "Trace") == 0)
            return (long)(h.len + NT_TRACE_PAYLOAD + 1);
        if (avail < h.len + 4)
            return DT_FRAME_NEED_MORE;
        uint32_t size = rd32(data + h.len);
        if (size > NT_MAX_BLOCK)
            return skip_garbage(data, avail);
        size_t pad = block_pad(s->offset + h.len + 4);
        return (long)(h.len + 4 + pad + size + 1);
    }
    case NT_PHASE_V6:
        return (long)avail;
    case NT_PHASE_DONE:
    default:
        return -(long)avail;
    }
}

/* ---- Time. */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t nt_qpc_to_ns(const nt_stream *s, uint64_t qpc)
{
    if (!s->have_trace || s->qpc_freq == 0 || s->sync_ns == 0)
        return 0;
    bool neg = qpc < s->sync_qpc;
    uint64_t delta = neg ? s->sync_qpc - qpc : qpc - s->sync_qpc;
    uint64_t secs = delta / s->qpc_freq, rem = delta % s->qpc_freq;
    if (secs > 4000000000ull)
        return 0;
    uint64_t ns = secs * 1000000000ull + (uint64_t)((double)rem * 1e9 / (double)s->qpc_freq);
    if (neg)
        return ns < s->sync_ns ? s->sync_ns - ns : 0;
    return s->sync_ns + ns;
}

/* ---- Helpers. */

static void label(dt_ctx *ctx, bool relabel)
{
    if (relabel) {
        ctx->ev->proto = "EventPipe";
        ctx->ev->proto_name = "nettrace";
    }
}

static bool read_varint(dt_cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t b = dt_cur_u8(c);
        if (!dt_cur_ok(c))
            return false;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    c->overrun = true;
    return false;
}

static bool guid_is_zero(const dt_guid *g)
{
    for (int i = 0; i < 16; i++)
        if (g->b[i])
            return false;
    return true;
}

/* ---- The Trace object. */

static void dissect_trace(dt_ctx *ctx, nt_stream *s, dt_field *obj, dt_cursor *c, const nt_objhdr *h)
{
    size_t off = dt_cur_offset(c);
    uint16_t st[8];
    for (int i = 0; i < 8; i++)
        st[i] = dt_cur_u16le(c);
    uint64_t sync_ns = 0;
    if (st[1] >= 1 && st[1] <= 12 && st[3] >= 1 && st[3] <= 31) {
        int64_t days = days_from_civil(st[0], st[1], st[3]);
        int64_t secs = days * 86400 + st[4] * 3600 + st[5] * 60 + st[6];
        if (secs > 0)
            sync_ns = (uint64_t)secs * 1000000000ull + (uint64_t)st[7] * 1000000ull;
    }
    dt_add_time(ctx, obj, &nt_fields[NTF_TRACE_SYNC_TIME], off, 16, sync_ns);
    uint64_t qpc, freq;
    uint32_t psize, pid, cpus, rate;
    dt_add_u64le(ctx, obj, &nt_fields[NTF_TRACE_SYNC_QPC], c, &qpc);
    dt_add_u64le(ctx, obj, &nt_fields[NTF_TRACE_QPC_FREQ], c, &freq);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_TRACE_POINTER_SIZE], c, &psize);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_TRACE_PID], c, &pid);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_TRACE_CPUS], c, &cpus);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_TRACE_SAMPLING_RATE], c, &rate);
    if (!dt_cur_ok(c)) {
        dt_malformed(ctx, off, "Trace object cut short");
        return;
    }
    s->have_trace = true;
    s->trace_version = h->version;
    s->sync_ns = sync_ns;
    s->sync_qpc = qpc;
    s->qpc_freq = freq;
    s->pointer_size = psize;
    s->pid = pid;
    if (sync_ns) {
        ctx->ev->ts_ns = sync_ns;
        s->last_ns = sync_ns;
    }
    dt_summary(ctx, "Trace: pid %u, %u-bit, %u CPUs, QPC %" PRIu64 " Hz, started %04u-%02u-%02u %02u:%02u:%02u.%03u UTC "
                    "(nettrace V%u)",
               pid, psize * 8, cpus, freq, st[0], st[1], st[3], st[4], st[5], st[6], st[7], h->version);
}

/* ---- Event blobs of Metadata and Event blocks. */

typedef struct ev_hdr {
    uint32_t meta_id, seq, proc, stack, payload_size;
    uint64_t thread, capture_thread, ts;
    dt_guid activity, related;
    bool sorted;
} ev_hdr;

/* Reads one blob header; c is positioned at the blob, content_start is the
 * aligned start of the block's content (for uncompressed padding). */
static bool read_blob_header(dt_cursor *c, bool compressed, ev_hdr *e, size_t *blob_end)
{
    if (!compressed) {
        uint32_t size = dt_cur_u32le(c);
        size_t start = c->pos;
        uint32_t mid = dt_cur_u32le(c);
        e->meta_id = mid & 0x7fffffffu;
        e->sorted = (mid & 0x80000000u) != 0;
        e->seq = dt_cur_u32le(c);
        e->thread = dt_cur_u64le(c);
        e->capture_thread = dt_cur_u64le(c);
        e->proc = dt_cur_u32le(c);
        e->stack = dt_cur_u32le(c);
        e->ts = dt_cur_u64le(c);
        dt_cur_guid(c, &e->activity);
        dt_cur_guid(c, &e->related);
        e->payload_size = dt_cur_u32le(c);
        *blob_end = start + size;
        return dt_cur_ok(c) && size >= 76;
    }
    uint8_t flags = dt_cur_u8(c);
    uint64_t v;
    if (flags & 1) {
        if (!read_varint(c, &v))
            return false;
        e->meta_id = (uint32_t)v;
    }
    if (flags & 2) {
        if (!read_varint(c, &v))
            return false;
        e->seq += (uint32_t)v;
        if (!read_varint(c, &e->capture_thread) || !read_varint(c, &v))
            return false;
        e->proc = (uint32_t)v;
    }
    if (e->meta_id != 0)
        e->seq++;
    if (flags & 4 && !read_varint(c, &e->thread))
        return false;
    if (flags & 8) {
        if (!read_varint(c, &v))
            return false;
        e->stack = (uint32_t)v;
    }
    if (!read_varint(c, &v))
        return false;
    e->ts += v;
    if (flags & 16)
        dt_cur_guid(c, &e->activity);
    if (flags & 32)
        dt_cur_guid(c, &e->related);
    e->sorted = (flags & 64) != 0;
    if (flags & 128) {
        if (!read_varint(c, &v))
            return false;
        e->payload_size = (uint32_t)v;
    }
    *blob_end = 0;
    return dt_cur_ok(c);
}

static void add_event_fields(dt_ctx *ctx, nt_stream *s, const ev_hdr *e, const nt_meta *m, size_t hdr_off,
                             size_t hdr_len)
{
    if (m) {
        dt_add_string(ctx, NULL, &nt_fields[NTF_EV_PROVIDER], 0, 0, m->provider, strlen(m->provider));
        dt_add_string(ctx, NULL, &nt_fields[NTF_EV_NAME], 0, 0, m->name, strlen(m->name));
        dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_ID], 0, 0, m->event_id);
    }
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_META_ID], hdr_off, hdr_len, e->meta_id);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_SEQ], hdr_off, hdr_len, e->seq);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_THREAD], hdr_off, hdr_len, e->thread);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_CAPTURE_THREAD], hdr_off, hdr_len, e->capture_thread);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_PROCESSOR], hdr_off, hdr_len, e->proc);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_STACK], hdr_off, hdr_len, e->stack);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_TIMESTAMP], hdr_off, hdr_len, e->ts);
    uint64_t ns = nt_qpc_to_ns(s, e->ts);
    if (ns) {
        dt_add_time(ctx, NULL, &nt_fields[NTF_EV_TIME], hdr_off, 0, ns);
        ctx->ev->ts_ns = ns;
        if (ns > s->last_ns)
            s->last_ns = ns;
    }
    if (!guid_is_zero(&e->activity))
        dt_add_guid(ctx, NULL, &nt_fields[NTF_EV_ACTIVITY], hdr_off, &e->activity);
    if (!guid_is_zero(&e->related))
        dt_add_guid(ctx, NULL, &nt_fields[NTF_EV_RELATED_ACTIVITY], hdr_off, &e->related);
    if (e->sorted)
        dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_SORTED], hdr_off, 0, 1);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_EV_PAYLOAD_SIZE], hdr_off, hdr_len, e->payload_size);
}

/* Decodes the records of a MetadataBlock (is_meta) or an EventBlock. */
static void dissect_blob_block(dt_ctx *ctx, nt_stream *s, dt_field *obj, dt_cursor *c, bool is_meta, bool relabel,
                               const char *type)
{
    size_t block_off = dt_cur_offset(c);
    size_t content_start = c->pos;
    uint16_t hsize, flags;
    uint64_t min_ts, max_ts;
    dt_add_u16le(ctx, obj, &nt_fields[NTF_BLOCK_HEADER_SIZE], c, &hsize);
    dt_field *ff = dt_add_u16le(ctx, obj, &nt_fields[NTF_BLOCK_FLAGS], c, &flags);
    if (ff)
        dt_add_uint(ctx, ff, &nt_fields[NTF_BLOCK_COMPRESSED], dt_cur_offset(c) - 2, 2, flags & 1);
    dt_add_u64le(ctx, obj, &nt_fields[NTF_BLOCK_MIN_TS], c, &min_ts);
    dt_add_u64le(ctx, obj, &nt_fields[NTF_BLOCK_MAX_TS], c, &max_ts);
    if (!dt_cur_ok(c) || hsize < 20 || !dt_cur_seek(c, content_start + hsize)) {
        dt_malformed(ctx, block_off, "%s header cut short or invalid (header size %u)", type, hsize);
        return;
    }
    bool compressed = flags & 1;
    ev_hdr e;
    memset(&e, 0, sizeof e);
    uint32_t n = 0;
    char names[160];
    size_t names_len = 0;
    names[0] = '\0';
    while (!dt_cur_eof(c)) {
        size_t blob_off = dt_cur_offset(c);
        size_t blob_end;
        if (!read_blob_header(c, compressed, &e, &blob_end)) {
            dt_malformed(ctx, blob_off, "%s record %u: header cut short at stream offset %" PRIu64, type, n + 1,
                         s->offset + blob_off);
            break;
        }
        size_t hdr_len = dt_cur_offset(c) - blob_off;
        size_t payload_off = dt_cur_offset(c);
        dt_cursor payload = dt_cur_sub(c, e.payload_size);
        if (!dt_cur_ok(&payload)) {
            dt_malformed(ctx, payload_off, "%s record %u: payload of %u bytes cut short at stream offset %" PRIu64,
                         type, n + 1, e.payload_size, s->offset + payload_off);
            break;
        }
        if (!compressed) {
            /* uncompressed blobs are padded to 4-byte alignment */
            size_t next = blob_end > c->pos ? blob_end : c->pos;
            next = content_start + ((next - content_start + 3) & ~(size_t)3);
            if (next > c->len)
                next = c->len;
            dt_cur_seek(c, next);
        }
        n++;
        if (is_meta) {
            dt_field *mf = dt_add_none(ctx, obj, &nt_fields[NTF_META], blob_off, dt_cur_offset(c) - blob_off);
            nt_meta *m = nt_meta_parse(ctx, s, mf, &payload);
            if (m && names_len + strlen(m->stats_key) + 8 < sizeof names)
                names_len += (size_t)snprintf(names + names_len, sizeof names - names_len, "%s%s",
                                              names_len ? ", " : "", m->stats_key);
            else if (m && names_len + 5 < sizeof names && !strstr(names, ", …"))
                names_len += (size_t)snprintf(names + names_len, sizeof names - names_len, ", …");
            continue;
        }
        if (n > 1) {
            dt_next_event(ctx);
            label(ctx, relabel);
        }
        s->n_events++;
        const nt_meta *m = nt_meta_find(s, e.meta_id);
        add_event_fields(ctx, s, &e, m, blob_off, hdr_len);
        if (m) {
            dt_stats_key(ctx, m->stats_key);
            dt_summary(ctx, "%s tid=%" PRIu64, m->stats_key, e.thread);
            if (e.stack)
                dt_summary_append(ctx, " stack=%u", e.stack);
            nt_payload_decode(ctx, m, s->pointer_size, NULL, &payload);
        } else {
            dt_summary(ctx, "event with unknown metadata id %u tid=%" PRIu64 " (%u bytes)", e.meta_id, e.thread,
                       e.payload_size);
            dt_stats_key(ctx, "nettrace/unknown metadata");
            if (e.payload_size)
                dt_add_bytes(ctx, NULL, &nt_fields[NTF_EV_PAYLOAD], payload_off, e.payload_size, payload.data,
                             payload.len);
        }
    }
    if (is_meta) {
        dt_add_uint(ctx, obj, &nt_fields[NTF_BLOCK_COUNT], block_off, 0, n);
        dt_summary(ctx, "MetadataBlock: %u record%s: %s", n, n == 1 ? "" : "s", names);
    } else if (n == 0) {
        dt_summary_append(ctx, "EventBlock with no events");
    }
}

static void dissect_stack_block(dt_ctx *ctx, dt_field *obj, dt_cursor *c, const nt_stream *s)
{
    uint32_t first, count;
    size_t off = dt_cur_offset(c);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_STACK_FIRST_ID], c, &first);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_STACK_COUNT], c, &count);
    uint32_t psize = s->pointer_size == 4 ? 4 : 8;
    uint32_t i;
    for (i = 0; i < count && dt_cur_ok(c); i++) {
        size_t soff = dt_cur_offset(c);
        uint32_t size = dt_cur_u32le(c);
        dt_cursor st = dt_cur_sub(c, size);
        if (!dt_cur_ok(c))
            break;
        if (i >= NT_MAX_STACKS_SHOWN)
            continue;
        dt_field *sf = dt_add_none(ctx, obj, &nt_fields[NTF_STACK], soff, 4 + (size_t)size);
        dt_add_uint(ctx, sf, &nt_fields[NTF_STACK_ID], soff, 0, (uint64_t)first + i);
        dt_add_uint(ctx, sf, &nt_fields[NTF_STACK_SIZE], soff, 4, size);
        for (uint32_t k = 0; k < NT_MAX_FRAMES_SHOWN && dt_cur_left(&st) >= psize; k++) {
            size_t ipoff = dt_cur_offset(&st);
            uint64_t ip = psize == 4 ? dt_cur_u32le(&st) : dt_cur_u64le(&st);
            dt_add_uint(ctx, sf, &nt_fields[NTF_STACK_FRAMES], ipoff, psize, ip);
        }
    }
    if (!dt_cur_ok(c))
        dt_malformed(ctx, off, "StackBlock cut short after %u of %u stacks", i, count);
    if (count)
        dt_summary(ctx, "StackBlock: stacks %u-%u (%u)", first, first + count - 1, count);
    else
        dt_summary(ctx, "StackBlock: no stacks");
}

static void dissect_sp_block(dt_ctx *ctx, dt_field *obj, dt_cursor *c, const nt_stream *s)
{
    uint64_t ts;
    uint32_t count;
    size_t off = dt_cur_offset(c);
    dt_add_u64le(ctx, obj, &nt_fields[NTF_SP_TIMESTAMP], c, &ts);
    dt_add_u32le(ctx, obj, &nt_fields[NTF_SP_THREAD_COUNT], c, &count);
    uint32_t i;
    for (i = 0; i < count && dt_cur_ok(c); i++) {
        size_t toff = dt_cur_offset(c);
        uint64_t tid = dt_cur_u64le(c);
        uint32_t seq = dt_cur_u32le(c);
        if (!dt_cur_ok(c) || i >= NT_MAX_SP_THREADS_SHOWN)
            continue;
        dt_field *tf = dt_add_none(ctx, obj, &nt_fields[NTF_SP_THREAD], toff, 12);
        dt_add_uint(ctx, tf, &nt_fields[NTF_SP_THREAD_ID], toff, 8, tid);
        dt_add_uint(ctx, tf, &nt_fields[NTF_SP_SEQ], toff + 8, 4, seq);
    }
    if (!dt_cur_ok(c))
        dt_malformed(ctx, off, "SPBlock cut short after %u of %u threads", i, count);
    uint64_t ns = nt_qpc_to_ns(s, ts);
    if (ns)
        ctx->ev->ts_ns = ns;
    dt_summary(ctx, "SequencePoint: %u thread%s, timestamp %" PRIu64, count, count == 1 ? "" : "s", ts);
}

static void dissect_object(dt_ctx *ctx, nt_stream *s, dt_cursor *c, bool relabel)
{
    nt_objhdr h;
    if (parse_objhdr(ctx->pdu, ctx->pdu_len, &h) != 1) {
        dt_malformed(ctx, 0, "not a FastSerialization object at stream offset %" PRIu64, s->offset);
        return;
    }
    dt_field *obj = dt_add_none(ctx, NULL, &nt_fields[NTF_OBJECT], 0, ctx->pdu_len);
    dt_add_string(ctx, obj, &nt_fields[NTF_OBJ_TYPE], 15, strlen(h.name), h.name, strlen(h.name));
    dt_add_uint(ctx, obj, &nt_fields[NTF_OBJ_VERSION], 3, 4, h.version);
    dt_add_uint(ctx, obj, &nt_fields[NTF_OBJ_MINVER], 7, 4, h.min_version);
    dt_add_uint(ctx, obj, &nt_fields[NTF_STREAM_OFFSET], 0, 0, s->offset);
    if (s->last_ns) /* blocks are shown at the trace's clock, like their events */
        ctx->ev->ts_ns = s->last_ns;
    dt_cur_seek(c, h.len);
    if (strcmp(h.name, "Trace") == 0) {
        dissect_trace(ctx, s, obj, c, &h);
        return;
    }
    uint32_t size;
    dt_add_u32le(ctx, obj, &nt_fields[NTF_BLOCK_SIZE], c, &size);
    dt_cur_skip(c, block_pad(s->offset + h.len + 4));
    dt_cursor body = dt_cur_sub(c, size);
    if (!dt_cur_ok(c) || dt_cur_u8(c) != NT_TAG_END)
        dt_malformed(ctx, h.len, "%s of %u bytes cut short or missing its end tag (stream offset %" PRIu64 ")", h.name,
                     size, s->offset);
    s->n_blocks++;
    if (strcmp(h.name, "EventBlock") == 0) {
        dissect_blob_block(ctx, s, obj, &body, false, relabel, h.name);
    } else if (strcmp(h.name, "MetadataBlock") == 0) {
        dissect_blob_block(ctx, s, obj, &body, true, relabel, h.name);
    } else if (strcmp(h.name, "StackBlock") == 0) {
        dissect_stack_block(ctx, obj, &body, s);
    } else if (strcmp(h.name, "SPBlock") == 0) {
        dissect_sp_block(ctx, obj, &body, s);
    } else {
        dt_summary(ctx, "%s object (version %u, %u bytes), not decoded", h.name, h.version, size);
    }
}

void nt_dissect(dt_ctx *ctx, nt_stream *s, bool relabel)
{
    label(ctx, relabel);
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    switch (s->phase) {
    case NT_PHASE_HEADER: {
        char ser[64];
        char magic[NT_MAGIC_LEN + 1];
        dt_cur_string(&c, NT_MAGIC_LEN, magic, sizeof magic);
        dt_add_string(ctx, NULL, &nt_fields[NTF_MAGIC], 0, NT_MAGIC_LEN, magic, strlen(magic));
        uint32_t n = dt_cur_u32le(&c);
        if (n == 0) {
            s->v6_major = dt_cur_u32le(&c);
            s->v6_minor = dt_cur_u32le(&c);
            dt_summary(ctx, "EventPipe stream begins: nettrace V%u.%u (block format), not decoded", s->v6_major,
                       s->v6_minor);
            s->phase = NT_PHASE_V6;
            break;
        }
        dt_cur_string(&c, n, ser, sizeof ser);
        dt_add_string(ctx, NULL, &nt_fields[NTF_SERIALIZER], NT_MAGIC_LEN, 4 + (size_t)n, ser, strlen(ser));
        if (strcmp(ser, NT_SERIALIZER) != 0)
            dt_malformed(ctx, NT_MAGIC_LEN, "unexpected serializer signature \"%s\"", ser);
        dt_summary(ctx, "EventPipe stream begins (%s)", ser);
        s->phase = NT_PHASE_OBJECTS;
        s->started = true;
        break;
    }
    case NT_PHASE_OBJECTS:
        if (ctx->pdu_len == 1 && ctx->pdu[0] == NT_TAG_NULL) {
            dt_add_none(ctx, NULL, &nt_fields[NTF_END], 0, 1);
            if (s->last_ns)
                ctx->ev->ts_ns = s->last_ns;
            dt_summary(ctx, "end of EventPipe stream: %" PRIu64 " events in %" PRIu64 " blocks", s->n_events,
                       s->n_blocks);
            s->phase = NT_PHASE_DONE;
            break;
        }
        dissect_object(ctx, s, &c, relabel);
        break;
    case NT_PHASE_V6:
        dt_summary(ctx, "%zu bytes of nettrace V%u (not decoded)", ctx->pdu_len, s->v6_major);
        break;
    case NT_PHASE_DONE:
    default:
        dt_summary(ctx, "%zu bytes after the end of the EventPipe stream", ctx->pdu_len);
        break;
    }
    s->offset += ctx->pdu_len;
}

void nt_end(dt_ctx *ctx, nt_stream *s, bool relabel)
{
    if (!s->started || s->phase == NT_PHASE_DONE)
        return;
    label(ctx, relabel);
    ctx->ev->kind = DT_EV_ERROR;
    if (s->last_ns)
        ctx->ev->ts_ns = s->last_ns;
    dt_summary(ctx, "EventPipe stream cut short at stream offset %" PRIu64 " before its end tag; %" PRIu64
                    " events in %" PRIu64 " complete blocks decoded",
               s->offset, s->n_events, s->n_blocks);
    dt_add_uint(ctx, NULL, &nt_fields[NTF_STREAM_OFFSET], 0, 0, s->offset);
}
