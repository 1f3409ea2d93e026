/* Hand-built SMB2 PDUs for what a Samba session in CI does not send:
 * compound chains with related operations, an interim STATUS_PENDING joined
 * with its final response, a CANCEL naming its async id, and a FileId opened
 * inside a compound named later by READ. Fed through the real engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"

/* ---- Collecting sink. */
typedef struct ev_copy {
    uint64_t seq, req_seq;
    dt_role role;
    bool malformed;
    char summary[256];
    char status[64];
    char fields[1024]; /* "abbrev=value;" for string, integer and bool fields */
} ev_copy;

typedef struct collect {
    dt_sink base;
    ev_copy ev[64];
    size_t n;
} collect;

static void add_fields(char *out, size_t outsz, const dt_field *f)
{
    for (; f; f = f->next) {
        size_t n = strlen(out);
        switch (f->def->type) {
        case DT_FT_STRING:
            snprintf(out + n, outsz - n, "%s=%s;", f->def->abbrev, f->v.s.ptr);
            break;
        case DT_FT_BOOL:
        case DT_FT_UINT8:
        case DT_FT_UINT16:
        case DT_FT_UINT32:
        case DT_FT_UINT64:
            snprintf(out + n, outsz - n, "%s=%llu;", f->def->abbrev, (unsigned long long)f->v.u);
            break;
        default:
            break;
        }
        add_fields(out, outsz, f->child);
    }
}

static void on_event(dt_sink *s, const dt_event *e)
{
    collect *c = (collect *)s;
    if (c->n == 64 || e->kind != DT_EV_PDU)
        return;
    ev_copy *x = &c->ev[c->n++];
    x->seq = e->seq;
    x->req_seq = e->req_seq;
    x->role = e->role;
    x->malformed = e->malformed;
    snprintf(x->summary, sizeof x->summary, "%s", e->summary);
    snprintf(x->status, sizeof x->status, "%s", e->status ? e->status : "");
    x->fields[0] = '\0';
    add_fields(x->fields, sizeof x->fields, e->fields);
}
static int on_finish(dt_sink *s) { (void)s; return 0; }
static void on_destroy(dt_sink *s) { (void)s; }

/* ---- PDU builder. */
typedef struct buf {
    uint8_t b[4096];
    size_t n;
} buf;

static void u8(buf *b, uint8_t v) { b->b[b->n++] = v; }
static void u16(buf *b, uint16_t v) { u8(b, (uint8_t)v); u8(b, (uint8_t)(v >> 8)); }
static void u32(buf *b, uint32_t v) { u16(b, (uint16_t)v); u16(b, (uint16_t)(v >> 16)); }
static void u64(buf *b, uint64_t v) { u32(b, (uint32_t)v); u32(b, (uint32_t)(v >> 32)); }
static void zeros(buf *b, size_t n) { memset(b->b + b->n, 0, n); b->n += n; }
static void fid(buf *b, uint8_t v) { for (int i = 0; i < 16; i++) u8(b, v); }
static void utf16(buf *b, const char *s) { for (; *s; s++) u16(b, (uint8_t)*s); }
static void align8(buf *b) { while (b->n % 8) u8(b, 0); }

#define SESID 0x1122334455ULL
#define TID 7u

/* Header at the current position; returns its offset (for NextCommand). */
static size_t hdr(buf *b, uint16_t cmd, uint32_t flags, uint64_t msg_id, uint32_t status, uint64_t aid)
{
    size_t at = b->n;
    u32(b, 0x424D53FE);
    u16(b, 64);
    u16(b, 1);
    u32(b, status);
    u16(b, cmd);
    u16(b, 1);
    u32(b, flags);
    u32(b, 0); /* NextCommand, patched */
    u64(b, msg_id);
    if (flags & 2) {
        u64(b, aid);
    } else {
        u32(b, 0xFEFF);
        u32(b, TID);
    }
    u64(b, SESID);
    zeros(b, 16);
    return at;
}

static void chain(buf *b, size_t prev_hdr)
{
    align8(b);
    uint32_t next = (uint32_t)(b->n - prev_hdr);
    memcpy(b->b + prev_hdr + 20, &next, 4); /* little-endian host */
}

typedef struct world {
    dt_registry *reg;
    dt_engine *e;
    dt_conv *c;
    collect col;
    uint64_t ts;
} world;

static void send_pdu(world *w, dt_dir dir, const buf *m)
{
    uint8_t frame[4096 + 4];
    frame[0] = 0;
    frame[1] = (uint8_t)(m->n >> 16);
    frame[2] = (uint8_t)(m->n >> 8);
    frame[3] = (uint8_t)m->n;
    memcpy(frame + 4, m->b, m->n);
    w->ts += 1000000;
    dt_engine_stream(w->e, w->c, dir, w->ts, frame, m->n + 4);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    w->reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(w->reg), 0);
    w->e = dt_engine_new(w->reg);
    w->col.base.event = on_event;
    w->col.base.finish = on_finish;
    w->col.base.destroy = on_destroy;
    dt_engine_add_sink(w->e, &w->col.base);
    const dt_channel *ch = dt_engine_channel(w->e, "test", "hand-built", -1);
    w->ts = 1700000000000000000ULL;
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "client", .server = "srv:445",
                         .dissector = "smb2", .ts_ns = w->ts };
    w->c = dt_engine_conv_open(w->e, &p);

    /* A tree to work in. */
    buf m = { .n = 0 };
    hdr(&m, 3, 0, 1, 0, 0);
    u16(&m, 9);
    u16(&m, 0);
    u16(&m, 72);
    u16(&m, 2 * (uint16_t)strlen("\\\\srv\\share"));
    utf16(&m, "\\\\srv\\share");
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 3, 1, 1, 0, 0);
    u16(&m, 16);
    u8(&m, 1);
    u8(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0x1f01ff);
    send_pdu(w, DT_DIR_S2C, &m);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    if (getenv("SMB2_TEST_VERBOSE"))
        for (size_t i = 0; i < w->col.n; i++)
            printf("  #%llu %s (req %llu)\n", (unsigned long long)w->col.ev[i].seq, w->col.ev[i].summary,
                   (unsigned long long)w->col.ev[i].req_seq);
    dt_engine_finish(w->e, w->ts);
    dt_engine_free(w->e);
    dt_registry_free(w->reg);
    free(w);
    return 0;
}

static const ev_copy *find(const world *w, const char *needle, size_t nth)
{
    for (size_t i = 0; i < w->col.n; i++) {
        if (strstr(w->col.ev[i].summary, needle) && nth-- == 0)
            return &w->col.ev[i];
    }
    return NULL;
}

static void test_compound(void **state)
{
    world *w = *state;
    buf m = { .n = 0 };
    /* CREATE a.txt + QUERY_INFO (related) + CLOSE (related) */
    size_t h1 = hdr(&m, 5, 0, 2, 0, 0);
    u16(&m, 57);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 2);
    u64(&m, 0);
    u64(&m, 0);
    u32(&m, 0x80);
    u32(&m, 0);
    u32(&m, 7);
    u32(&m, 1); /* OPEN */
    u32(&m, 0);
    u16(&m, 120);
    u16(&m, 10);
    u32(&m, 0);
    u32(&m, 0);
    utf16(&m, "a.txt");
    chain(&m, h1);
    size_t h2 = hdr(&m, 16, 4, 3, 0, 0);
    u16(&m, 41);
    u8(&m, 1);
    u8(&m, 18); /* FileAllInformation */
    u32(&m, 4096);
    u16(&m, 0);
    u16(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    fid(&m, 0xff);
    chain(&m, h2);
    hdr(&m, 6, 4, 4, 0, 0);
    u16(&m, 24);
    u16(&m, 0);
    u32(&m, 0);
    fid(&m, 0xff);
    send_pdu(w, DT_DIR_C2S, &m);

    m.n = 0;
    h1 = hdr(&m, 5, 1, 2, 0, 0);
    u16(&m, 89);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 1); /* OPENED */
    zeros(&m, 32);
    u64(&m, 4096);
    u64(&m, 1234);
    u32(&m, 0x20);
    u32(&m, 0);
    fid(&m, 0x42);
    u32(&m, 0);
    u32(&m, 0);
    chain(&m, h1);
    h2 = hdr(&m, 16, 1 | 4, 3, 0, 0);
    u16(&m, 9);
    u16(&m, 72);
    u32(&m, 8);
    u64(&m, 0);
    chain(&m, h2);
    hdr(&m, 6, 1 | 4, 4, 0, 0);
    u16(&m, 60);
    zeros(&m, 58);
    send_pdu(w, DT_DIR_S2C, &m);

    const ev_copy *cr = find(w, "CREATE \\\\srv\\share\\a.txt OPEN", 0);
    const ev_copy *qi = find(w, "QUERY_INFO \\\\srv\\share\\a.txt FileAllInformation", 0);
    const ev_copy *cl = find(w, "CLOSE \\\\srv\\share\\a.txt", 0);
    assert_non_null(cr);
    assert_non_null(qi);
    assert_non_null(cl);
    assert_int_equal(cr->role, DT_ROLE_REQUEST);
    const ev_copy *crr = find(w, "CREATE \\\\srv\\share\\a.txt OPEN → OPENED 1234 bytes", 0);
    const ev_copy *qir = find(w, "QUERY_INFO \\\\srv\\share\\a.txt FileAllInformation → 8 bytes", 0);
    const ev_copy *clr = find(w, "CLOSE \\\\srv\\share\\a.txt → STATUS_SUCCESS", 0);
    assert_non_null(crr);
    assert_non_null(qir);
    assert_non_null(clr);
    assert_int_equal(crr->req_seq, cr->seq);
    assert_int_equal(qir->req_seq, qi->seq);
    assert_int_equal(clr->req_seq, cl->seq);
    for (size_t i = 0; i < w->col.n; i++)
        assert_false(w->col.ev[i].malformed);
}

static void test_file_named_across_pdus(void **state)
{
    world *w = *state;
    buf m = { .n = 0 };
    /* CREATE b.bin alone, then READ on its FileId in a later PDU */
    hdr(&m, 5, 0, 10, 0, 0);
    u16(&m, 57);
    zeros(&m, 2 + 4 + 16);
    u32(&m, 0x1);
    u32(&m, 0);
    u32(&m, 7);
    u32(&m, 1);
    u32(&m, 0);
    u16(&m, 120);
    u16(&m, 10);
    u32(&m, 0);
    u32(&m, 0);
    utf16(&m, "b.bin");
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 5, 1, 10, 0, 0);
    u16(&m, 89);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 1);
    zeros(&m, 32);
    u64(&m, 65536);
    u64(&m, 65536);
    u32(&m, 0x20);
    u32(&m, 0);
    fid(&m, 0x17);
    u32(&m, 0);
    u32(&m, 0);
    send_pdu(w, DT_DIR_S2C, &m);
    m.n = 0;
    hdr(&m, 8, 0, 11, 0, 0);
    u16(&m, 49);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 100);
    u64(&m, 4096);
    fid(&m, 0x17);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    u16(&m, 0);
    u16(&m, 0);
    u8(&m, 0);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 8, 1, 11, 0, 0);
    u16(&m, 17);
    u8(&m, 80);
    u8(&m, 0);
    u32(&m, 100);
    u32(&m, 0);
    u32(&m, 0);
    zeros(&m, 100);
    send_pdu(w, DT_DIR_S2C, &m);
    assert_non_null(find(w, "READ \\\\srv\\share\\b.bin off=4096 len=100 → 100 bytes", 0));

    /* The server breaks the oplock: an unsolicited notification. */
    m.n = 0;
    hdr(&m, 18, 1, UINT64_MAX, 0, 0);
    u16(&m, 24);
    u8(&m, 1);
    zeros(&m, 5);
    fid(&m, 0x17);
    send_pdu(w, DT_DIR_S2C, &m);
    const ev_copy *brk = find(w, "OPLOCK_BREAK \\\\srv\\share\\b.bin to Level II (server notification)", 0);
    assert_non_null(brk);
    assert_null(strstr(brk->summary, "→"));
}

static void test_interim_and_cancel(void **state)
{
    world *w = *state;
    buf m = { .n = 0 };
    /* CHANGE_NOTIFY on a directory handle this capture never saw opened */
    hdr(&m, 15, 0, 20, 0, 0);
    u16(&m, 32);
    u16(&m, 1);
    u32(&m, 4096);
    fid(&m, 0x99);
    u32(&m, 0x17);
    u32(&m, 0);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 15, 1 | 2, 20, 0x103, 0x55); /* interim STATUS_PENDING */
    u16(&m, 9);
    u16(&m, 0);
    u32(&m, 0);
    u8(&m, 0);
    send_pdu(w, DT_DIR_S2C, &m);
    m.n = 0;
    hdr(&m, 12, 2, 21, 0, 0x55); /* CANCEL by async id */
    u16(&m, 4);
    u16(&m, 0);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 15, 1 | 2, 20, 0xC0000120, 0x55); /* final: STATUS_CANCELLED */
    u16(&m, 9);
    u16(&m, 0);
    u32(&m, 0);
    u8(&m, 0);
    send_pdu(w, DT_DIR_S2C, &m);

    const ev_copy *req = find(w, "CHANGE_NOTIFY", 0);
    const ev_copy *interim = find(w, "STATUS_PENDING (interim, async id 0x55)", 0);
    const ev_copy *cancel = find(w, "CANCEL async 0x55 (message 20, CHANGE_NOTIFY)", 0);
    const ev_copy *fin = find(w, "→ STATUS_CANCELLED", 0);
    assert_non_null(req);
    assert_non_null(interim);
    assert_non_null(cancel);
    assert_non_null(fin);
    assert_int_equal(interim->role, DT_ROLE_INTERIM);
    assert_int_equal(interim->req_seq, req->seq);
    assert_int_equal(fin->role, DT_ROLE_RESPONSE);
    assert_int_equal(fin->req_seq, req->seq);
    assert_string_equal(fin->status, "STATUS_CANCELLED");
}

static void test_pipe_write_read(void **state)
{
    world *w = *state;
    buf m = { .n = 0 };
    /* The tree becomes IPC$ (a pipe share), then srvsvc is opened on it. */
    hdr(&m, 3, 0, 30, 0, 0);
    u16(&m, 9);
    u16(&m, 0);
    u16(&m, 72);
    u16(&m, 2 * (uint16_t)strlen("\\\\srv\\IPC$"));
    utf16(&m, "\\\\srv\\IPC$");
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 3, 1, 30, 0, 0);
    u16(&m, 16);
    u8(&m, 2);
    u8(&m, 0);
    zeros(&m, 12);
    send_pdu(w, DT_DIR_S2C, &m);
    m.n = 0;
    hdr(&m, 5, 0, 31, 0, 0);
    u16(&m, 57);
    zeros(&m, 22);
    u32(&m, 0x12019f);
    u32(&m, 0);
    u32(&m, 3);
    u32(&m, 1);
    u32(&m, 0);
    u16(&m, 120);
    u16(&m, 12);
    u32(&m, 0);
    u32(&m, 0);
    utf16(&m, "srvsvc");
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 5, 1, 31, 0, 0);
    u16(&m, 89);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 1);
    zeros(&m, 32 + 16);
    u32(&m, 0x80);
    u32(&m, 0);
    fid(&m, 0x33);
    u32(&m, 0);
    u32(&m, 0);
    send_pdu(w, DT_DIR_S2C, &m);

    /* WRITE a DCE/RPC bind to srvsvc v3.0 */
    static const uint8_t srvsvc[16] = { 0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                        0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88 };
    static const uint8_t ndr[16] = { 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 };
    buf rpc = { .n = 0 };
    u8(&rpc, 5); u8(&rpc, 0); u8(&rpc, 11); u8(&rpc, 3);
    u32(&rpc, 0x10);
    u16(&rpc, 72); u16(&rpc, 0); u32(&rpc, 1);
    u16(&rpc, 4280); u16(&rpc, 4280); u32(&rpc, 0);
    u8(&rpc, 1); zeros(&rpc, 3);
    u16(&rpc, 0); u8(&rpc, 1); u8(&rpc, 0);
    memcpy(rpc.b + rpc.n, srvsvc, 16); rpc.n += 16;
    u16(&rpc, 3); u16(&rpc, 0);
    memcpy(rpc.b + rpc.n, ndr, 16); rpc.n += 16;
    u32(&rpc, 2);
    assert_int_equal(rpc.n, 72);
    m.n = 0;
    hdr(&m, 9, 0, 32, 0, 0);
    u16(&m, 49);
    u16(&m, 112);
    u32(&m, (uint32_t)rpc.n);
    u64(&m, 0);
    fid(&m, 0x33);
    zeros(&m, 16);
    memcpy(m.b + m.n, rpc.b, rpc.n);
    m.n += rpc.n;
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 9, 1, 32, 0, 0);
    u16(&m, 17);
    u16(&m, 0);
    u32(&m, 72);
    zeros(&m, 9);
    send_pdu(w, DT_DIR_S2C, &m);

    /* READ back the bind_ack */
    rpc.n = 0;
    u8(&rpc, 5); u8(&rpc, 0); u8(&rpc, 12); u8(&rpc, 3);
    u32(&rpc, 0x10);
    u16(&rpc, 68); u16(&rpc, 0); u32(&rpc, 1);
    u16(&rpc, 4280); u16(&rpc, 4280); u32(&rpc, 0x1234);
    u16(&rpc, 13);
    memcpy(rpc.b + rpc.n, "\\PIPE\\srvsvc", 13); rpc.n += 13;
    u8(&rpc, 0);
    u8(&rpc, 1); zeros(&rpc, 3);
    u16(&rpc, 0); u16(&rpc, 0);
    memcpy(rpc.b + rpc.n, ndr, 16); rpc.n += 16;
    u32(&rpc, 2);
    assert_int_equal(rpc.n, 68);
    m.n = 0;
    hdr(&m, 8, 0, 33, 0, 0);
    u16(&m, 49);
    u8(&m, 0);
    u8(&m, 0);
    u32(&m, 1024);
    u64(&m, 0);
    fid(&m, 0x33);
    zeros(&m, 17);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 8, 1, 33, 0, 0);
    u16(&m, 17);
    u8(&m, 80);
    u8(&m, 0);
    u32(&m, (uint32_t)rpc.n);
    u32(&m, 0);
    u32(&m, 0);
    memcpy(m.b + m.n, rpc.b, rpc.n);
    m.n += rpc.n;
    send_pdu(w, DT_DIR_S2C, &m);

    assert_non_null(find(w, "CREATE \\\\srv\\IPC$\\srvsvc OPEN → OPENED pipe srvsvc", 0));
    assert_non_null(find(w, "WRITE \\\\srv\\IPC$\\srvsvc off=0 len=72 → 72 bytes", 0));
    const ev_copy *bind = find(w, "Bind srvsvc v3.0 call_id=1", 0);
    const ev_copy *ack = find(w, "Bind srvsvc call_id=1 → accepted, max_xmit 4280", 0);
    assert_non_null(bind);
    assert_non_null(ack);
    assert_int_equal(ack->req_seq, bind->seq);
    assert_false(ack->malformed);
}

/* NetBIOS first-level encoding of a 16-byte name (15 chars + suffix). */

/* A reply carrying only the status (error response body). */
static void error_reply(world *w, uint16_t cmd, uint64_t msg_id, uint32_t status)
{
    buf m = { .n = 0 };
    hdr(&m, cmd, 1, msg_id, status, 0);
    u16(&m, 9);
    zeros(&m, 7);
    send_pdu(w, DT_DIR_S2C, &m);
}

static void ok_reply(world *w, uint16_t cmd, uint64_t msg_id)
{
    buf m = { .n = 0 };
    hdr(&m, cmd, 1, msg_id, 0, 0);
    u16(&m, 4);
    u16(&m, 0);
    send_pdu(w, DT_DIR_S2C, &m);
}

static const ev_copy *find_fields(const world *w, const char *needle, const char *field)
{
    const ev_copy *e = find(w, needle, 0);
    if (!e) {
        fprintf(stderr, "no event with \"%s\"\n", needle);
        return NULL;
    }
    if (field && !strstr(e->fields, field)) {
        fprintf(stderr, "\"%s\": no %s in %s\n", e->summary, field, e->fields);
        return NULL;
    }
    return e;
}

/* CREATE with contexts, then CHANGE_NOTIFY, LOCK, FLUSH, a lease break,
 * VALIDATE_NEGOTIATE and a DFS referral, each named as a troubleshooter
 * reads it. */
static void test_file_commands(void **state)
{
    world *w = *state;
    buf m = { .n = 0 };
    /* CREATE d with MxAc and RqLs contexts */
    hdr(&m, 5, 0, 20, 0, 0);
    u16(&m, 57);
    zeros(&m, 2 + 4 + 16);
    u32(&m, 0x1);
    u32(&m, 0x10);
    u32(&m, 7);
    u32(&m, 1);
    u32(&m, 1);
    u16(&m, 120);
    u16(&m, 2);
    u32(&m, 128);
    u32(&m, 24 + 56);
    utf16(&m, "d");
    align8(&m);
    u32(&m, 24); /* MxAc, no data */
    u16(&m, 16);
    u16(&m, 4);
    u16(&m, 0);
    u16(&m, 0);
    u32(&m, 0);
    memcpy(m.b + m.n, "MxAc", 4);
    m.n += 4;
    zeros(&m, 4);
    u32(&m, 0); /* RqLs, 32 bytes of lease */
    u16(&m, 16);
    u16(&m, 4);
    u16(&m, 0);
    u16(&m, 24);
    u32(&m, 32);
    memcpy(m.b + m.n, "RqLs", 4);
    m.n += 4;
    zeros(&m, 4);
    zeros(&m, 32);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 5, 1, 20, 0, 0);
    u16(&m, 89);
    u8(&m, 0xff);
    u8(&m, 0);
    u32(&m, 1);
    zeros(&m, 32);
    u64(&m, 0);
    u64(&m, 0);
    u32(&m, 0x10);
    u32(&m, 0);
    fid(&m, 0x21);
    u32(&m, 152);
    u32(&m, 32);
    u32(&m, 0);
    u16(&m, 16);
    u16(&m, 4);
    u16(&m, 0);
    u16(&m, 24);
    u32(&m, 8);
    memcpy(m.b + m.n, "MxAc", 4);
    m.n += 4;
    zeros(&m, 4);
    u32(&m, 0);
    u32(&m, 0x1f01ff);
    send_pdu(w, DT_DIR_S2C, &m);
    const ev_copy *cr = find_fields(w, "CREATE \\\\srv\\share\\d OPEN", "smb2.create.context=MxAc (maximal access);"
                                                                       "smb2.create.context=RqLs (lease);");
    assert_non_null(cr);
    assert_non_null(find_fields(w, "CREATE \\\\srv\\share\\d OPEN → OPENED directory", "smb2.create.context=MxAc"));

    /* CHANGE_NOTIFY on it: two changes; then one whose NextEntryOffset
     * points past the buffer (one change, not "+1 more"). */
    for (int k = 0; k < 2; k++) {
        m.n = 0;
        hdr(&m, 15, 0, 21 + (uint64_t)k, 0, 0);
        u16(&m, 32);
        u16(&m, 1);
        u32(&m, 4096);
        fid(&m, 0x21);
        u32(&m, 0x17);
        u32(&m, 0);
        send_pdu(w, DT_DIR_C2S, &m);
        m.n = 0;
        hdr(&m, 15, 1, 21 + (uint64_t)k, 0, 0);
        u16(&m, 9);
        u16(&m, 72);
        u32(&m, k == 0 ? 24 + 18 : 24);
        u32(&m, k == 0 ? 24 : 400);
        u32(&m, 1);
        u32(&m, 10);
        utf16(&m, "a.txt");
        zeros(&m, 2);
        if (k == 0) {
            u32(&m, 0);
            u32(&m, 2);
            u32(&m, 6);
            utf16(&m, "b.c");
        }
        send_pdu(w, DT_DIR_S2C, &m);
    }
    assert_non_null(find_fields(w, "CHANGE_NOTIFY \\\\srv\\share\\d filter=0x17 watch-tree → ADDED a.txt (+1 more)",
                                "smb2.notify.action=1;smb2.filename=a.txt;smb2.notify.action=2;smb2.filename=b.c;"));
    const ev_copy *one = find(w, "CHANGE_NOTIFY \\\\srv\\share\\d filter=0x17 watch-tree → ADDED a.txt", 1);
    assert_non_null(one);
    assert_null(strstr(one->summary, "more"));

    /* LOCK: two ranges, refused */
    m.n = 0;
    hdr(&m, 10, 0, 23, 0, 0);
    u16(&m, 48);
    u16(&m, 2);
    u32(&m, 0);
    fid(&m, 0x21);
    u64(&m, 100);
    u64(&m, 10);
    u32(&m, 0x12);
    u32(&m, 0);
    u64(&m, 200);
    u64(&m, 5);
    u32(&m, 0x1);
    u32(&m, 0);
    send_pdu(w, DT_DIR_C2S, &m);
    error_reply(w, 10, 23, 0xC0000055);
    assert_non_null(find_fields(w, "LOCK \\\\srv\\share\\d off=100 len=10 exclusive fail-immediately (+1 more)",
                                "smb2.lock_count=2;smb2.filename=\\\\srv\\share\\d;smb2.file_offset=100;smb2.lock_length=10;smb2.lock_flags=18;"
                                "smb2.file_offset=200;smb2.lock_length=5;smb2.lock_flags=1;"));
    const ev_copy *lk =
        find(w, "LOCK \\\\srv\\share\\d off=100 len=10 exclusive fail-immediately (+1 more) → STATUS_LOCK_NOT_GRANTED", 0);
    assert_non_null(lk);
    assert_string_equal(lk->status, "STATUS_LOCK_NOT_GRANTED");

    /* FLUSH */
    m.n = 0;
    hdr(&m, 7, 0, 24, 0, 0);
    u16(&m, 24);
    zeros(&m, 6);
    fid(&m, 0x21);
    send_pdu(w, DT_DIR_C2S, &m);
    ok_reply(w, 7, 24);
    assert_non_null(find(w, "FLUSH \\\\srv\\share\\d → STATUS_SUCCESS", 0));

    /* The server breaks a lease from RWH to R (unsolicited). */
    m.n = 0;
    hdr(&m, 18, 1, UINT64_MAX, 0, 0);
    u16(&m, 44);
    u16(&m, 2);
    u32(&m, 1);
    fid(&m, 0x5a);
    u32(&m, 7);
    u32(&m, 1);
    zeros(&m, 12);
    send_pdu(w, DT_DIR_S2C, &m);
    assert_non_null(find_fields(w, "OPLOCK_BREAK lease to R (server notification)", "smb2.lease.lease_state=1;"));

    /* VALIDATE_NEGOTIATE on the share (FileId all ones) */
    m.n = 0;
    hdr(&m, 11, 0, 25, 0, 0);
    u16(&m, 57);
    u16(&m, 0);
    u32(&m, 0x00140204);
    fid(&m, 0xff);
    u32(&m, 120);
    u32(&m, 28);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 24);
    u32(&m, 1);
    u32(&m, 0);
    u32(&m, 0x7f);
    zeros(&m, 16);
    u16(&m, 1);
    u16(&m, 2);
    u16(&m, 0x300);
    u16(&m, 0x302);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 11, 1, 25, 0, 0);
    u16(&m, 49);
    u16(&m, 0);
    u32(&m, 0x00140204);
    fid(&m, 0xff);
    u32(&m, 112);
    u32(&m, 0);
    u32(&m, 112);
    u32(&m, 24);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0x7f);
    zeros(&m, 16);
    u16(&m, 1);
    u16(&m, 0x302);
    send_pdu(w, DT_DIR_S2C, &m);
    assert_non_null(find(w, "IOCTL FSCTL_VALIDATE_NEGOTIATE_INFO dialects 3.0,3.0.2 in=28", 0));
    assert_non_null(find_fields(w, "IOCTL FSCTL_VALIDATE_NEGOTIATE_INFO dialects 3.0,3.0.2 in=28 → out=24 bytes",
                                "smb2.dialect=770;"));

    /* DFS referral: \srv\dfs\link is at \other\share */
    m.n = 0;
    hdr(&m, 11, 0, 26, 0, 0);
    u16(&m, 57);
    u16(&m, 0);
    u32(&m, 0x00060194);
    fid(&m, 0xff);
    u32(&m, 120);
    u32(&m, 2 + 2 * 13 + 2);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 4096);
    u32(&m, 1);
    u32(&m, 0);
    u16(&m, 4);
    utf16(&m, "\\srv\\dfs\\link");
    u16(&m, 0);
    send_pdu(w, DT_DIR_C2S, &m);
    m.n = 0;
    hdr(&m, 11, 1, 26, 0, 0);
    u16(&m, 49);
    u16(&m, 0);
    u32(&m, 0x00060194);
    fid(&m, 0xff);
    u32(&m, 112);
    u32(&m, 0);
    u32(&m, 112);
    size_t len_at = m.n;
    u32(&m, 0);
    u32(&m, 0);
    u32(&m, 0);
    size_t out0 = m.n;
    u16(&m, 28);
    u16(&m, 1);
    u32(&m, 0);
    u16(&m, 3);    /* version */
    u16(&m, 34);   /* size */
    u16(&m, 0);    /* server type */
    u16(&m, 0);    /* flags */
    u32(&m, 600);  /* ttl */
    u16(&m, 34);   /* DFS path */
    u16(&m, 34 + 28);
    u16(&m, 34 + 56);
    zeros(&m, 16);
    utf16(&m, "\\srv\\dfs\\link");
    u16(&m, 0);
    utf16(&m, "\\srv\\dfs\\link");
    u16(&m, 0);
    utf16(&m, "\\other\\share");
    u16(&m, 0);
    uint32_t out_len = (uint32_t)(m.n - out0);
    memcpy(m.b + len_at, &out_len, 4);
    send_pdu(w, DT_DIR_S2C, &m);
    char want[200];
    snprintf(want, sizeof want, "IOCTL FSCTL_DFS_GET_REFERRALS \\srv\\dfs\\link in=30 → out=%u bytes, 1 referral → \\other\\share",
             out_len);
    assert_non_null(find_fields(w, want, "smb2.dfs.referral.version=3;smb2.dfs.referral.ttl=600;"
                                         "smb2.dfs.referral.path=\\srv\\dfs\\link;smb2.dfs.referral.node=\\other\\share;"));
    for (size_t i = 0; i < w->col.n; i++)
        assert_false(w->col.ev[i].malformed);
}

static void nb_name(uint8_t *out, const char *name, uint8_t suffix)
{
    char raw[16];
    memset(raw, ' ', 15);
    memcpy(raw, name, strlen(name));
    raw[15] = (char)suffix;
    out[0] = 32;
    for (int i = 0; i < 16; i++) {
        out[1 + 2 * i] = (uint8_t)('A' + (((uint8_t)raw[i]) >> 4));
        out[2 + 2 * i] = (uint8_t)('A' + (((uint8_t)raw[i]) & 15));
    }
    out[33] = 0;
}

static void test_nbss_session_request(void **state)
{
    world *w = *state;
    uint8_t f[4 + 68];
    f[0] = 0x81;
    f[1] = 0;
    f[2] = 0;
    f[3] = 68;
    nb_name(f + 4, "FILESRV", 0x20);
    nb_name(f + 4 + 34, "LAPTOP", 0x00);
    w->ts += 1000;
    dt_engine_stream(w->e, w->c, DT_DIR_C2S, w->ts, f, sizeof f);
    uint8_t pos[4] = { 0x82, 0, 0, 0 };
    dt_engine_stream(w->e, w->c, DT_DIR_S2C, w->ts + 500, pos, sizeof pos);
    const ev_copy *rq = find(w, "NBSS session request FILESRV<20> from LAPTOP<00>", 0);
    const ev_copy *rs = find(w, "NBSS SESSION_REQUEST → positive response", 0);
    assert_non_null(rq);
    assert_non_null(rs);
    assert_int_equal(rs->req_seq, rq->seq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_named_across_pdus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interim_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nbss_session_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_write_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
