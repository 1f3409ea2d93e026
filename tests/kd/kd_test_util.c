#include "kd_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dtcorpus.h"


const char *kdt_corpus_path(void)
{
    static char path[4096];
    dt_corpus_path(KDT_CORPUS_FILE, path, sizeof path);
    return path;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

int kdt_load(const char *path, kdt_capture *cap)
{
    memset(cap, 0, sizeof *cap);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    size_t cap_bytes = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap_bytes);
    int n;
    while (buf && (n = gzread(f, buf + len, (unsigned)(cap_bytes - len))) > 0) {
        len += (size_t)n;
        if (len == cap_bytes)
            buf = realloc(buf, cap_bytes *= 2);
    }
    gzclose(f);
    if (!buf)
        return -1;
    uint32_t first_src = 0;
    bool have_first = false;
    size_t alloc = 0;
    for (size_t o = 0; o + 12 <= len;) {
        uint32_t type = le32(buf + o), blen = le32(buf + o + 4);
        if (blen < 12 || o + blen > len)
            break;
        if (type == 6 && blen >= 32) { /* Enhanced Packet Block, Ethernet, microsecond timestamps */
            const uint8_t *b = buf + o + 8;
            uint64_t ts = ((uint64_t)le32(b + 4) << 32) | le32(b + 8);
            uint32_t caplen = le32(b + 12);
            const uint8_t *fr = b + 20;
            if (caplen >= 14 + 20 + 8 && fr[12] == 0x08 && fr[13] == 0x00 && fr[14 + 9] == 17) {
                size_t ihl = (size_t)(fr[14] & 0x0f) * 4;
                const uint8_t *udp = fr + 14 + ihl;
                size_t ulen = (size_t)((udp[4] << 8) | udp[5]);
                uint32_t src = le32(fr + 14 + 12);
                if (!have_first) {
                    first_src = src;
                    have_first = true;
                }
                if (ulen >= 8 && 14 + ihl + ulen <= caplen) {
                    if (cap->n == alloc)
                        cap->p = realloc(cap->p, (alloc = alloc ? alloc * 2 : 1024) * sizeof *cap->p);
                    kdt_packet *p = &cap->p[cap->n++];
                    p->ts_ns = ts * 1000;
                    p->from_first = src == first_src;
                    p->len = ulen - 8;
                    p->data = malloc(p->len);
                    memcpy(p->data, udp + 8, p->len);
                }
            }
        }
        o += blen;
    }
    free(buf);
    return cap->n ? 0 : -1;
}

void kdt_free_capture(kdt_capture *cap)
{
    for (size_t i = 0; i < cap->n; i++)
        free(cap->p[i].data);
    free(cap->p);
    memset(cap, 0, sizeof *cap);
}

/* ---- the sink ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k >= 0 && b->s && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        b->cap = b->cap * 2 + (size_t)k + 256;
        b->s = realloc(b->s, b->cap);
    }
}

static void add_fields(sbuf *b, const dt_field *f)
{
    for (; f; f = f->next) {
        sb_add(b, "%s=", f->def->abbrev);
        switch (f->def->type) {
        case DT_FT_STRING:
            for (const char *c = f->v.s.ptr ? f->v.s.ptr : ""; *c; c++)
                sb_add(b, "%s", *c == '\n' ? "\\n" : *c == '\\' ? "\\\\" : (char[]){ *c, 0 });
            break;
        case DT_FT_BYTES:
            for (size_t i = 0; i < f->v.s.len; i++)
                sb_add(b, "%02x", ((const uint8_t *)f->v.s.ptr)[i]);
            break;
        case DT_FT_INT32:
        case DT_FT_INT64:
            sb_add(b, "%" PRId64, f->v.i);
            break;
        case DT_FT_DOUBLE:
            sb_add(b, "%g", f->v.d);
            break;
        case DT_FT_IPV6:
        case DT_FT_GUID:
            for (int i = 0; i < 16; i++)
                sb_add(b, "%02x", f->v.b16[i]);
            break;
        case DT_FT_NONE:
            break;
        default:
            sb_add(b, "%" PRIu64, f->v.u);
            break;
        }
        sb_add(b, "\n");
        add_fields(b, f->child);
    }
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void on_event(dt_sink *base, const dt_event *ev)
{
    kdt_run *r = (kdt_run *)base;
    if (r->n == r->cap)
        r->ev = realloc(r->ev, (r->cap = r->cap ? r->cap * 2 : 1024) * sizeof *r->ev);
    kdt_event *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    e->kind = ev->kind;
    e->role = ev->role;
    e->dir = ev->dir;
    e->seq = ev->seq;
    e->req_seq = ev->req_seq;
    e->malformed = ev->malformed;
    e->is_error = ev->is_error;
    snprintf(e->proto, sizeof e->proto, "%s", ev->proto);
    e->summary = strdup(ev->summary);
    e->stats_key = dup_or_null(ev->stats_key);
    e->status = dup_or_null(ev->status);
    sbuf b = { 0 };
    sb_add(&b, "%s", "");
    add_fields(&b, ev->fields);
    e->fields = b.s;
}

void kdt_run_init(kdt_run *r)
{
    memset(r, 0, sizeof *r);
    r->base.event = on_event;
}

void kdt_run_free(kdt_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->ev[i].summary);
        free(r->ev[i].stats_key);
        free(r->ev[i].status);
        free(r->ev[i].fields);
    }
    free(r->ev);
    memset(r, 0, sizeof *r);
}

const char *kdt_field(const kdt_event *e, const char *abbrev, char *buf, size_t bufsz)
{
    size_t al = strlen(abbrev);
    for (const char *l = e->fields; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        if (ll > al && strncmp(l, abbrev, al) == 0 && l[al] == '=') {
            snprintf(buf, bufsz, "%.*s", (int)(ll - al - 1), l + al + 1);
            return buf;
        }
        l = nl ? nl + 1 : l + ll;
    }
    return NULL;
}

void kdt_escape(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *in && o + 3 < outsz; in++) {
        if (*in == '\n' || *in == '\\') {
            out[o++] = '\\';
            out[o++] = *in == '\n' ? 'n' : '\\';
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

bool kdt_has(const kdt_event *e, const char *abbrev, const char *value)
{
    char buf[8192];
    const char *v = kdt_field(e, abbrev, buf, sizeof buf);
    return v && (!value || strcmp(v, value) == 0);
}

size_t kdt_count(const kdt_run *r, const char *abbrev, const char *value)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += kdt_has(&r->ev[i], abbrev, value);
    return n;
}

void kdt_replay_udp(const kdt_capture *cap, const char *key, const char *force, kdt_run *out)
{
    kdt_replay_udp_ex(cap, key, force, false, out);
}

void kdt_replay_udp_ex(const kdt_capture *cap, const char *key, const char *force, bool show_credentials,
                       kdt_run *out)
{
    dt_registry *reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(reg), 0);
    dt_engine *eng = dt_engine_new(reg);
    kdt_run_init(out);
    dt_engine_add_sink(eng, &out->base);
    if (key)
        dt_engine_set_option(eng, "kdnet.key", key);
    dt_engine_set_show_credentials(eng, show_credentials);
    const dt_channel *ch = dt_engine_channel(eng, "ens2", "test", 1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_UDP, .client = "192.168.2.72:51111",
                         .server = "192.168.2.1:51111", .client_port = 51111, .server_port = 51111,
                         .dissector = force, .ts_ns = cap->n ? cap->p[0].ts_ns : 0 };
    dt_conv *c = dt_engine_conv_open(eng, &p);
    for (size_t i = 0; i < cap->n; i++)
        dt_engine_datagram(eng, c, cap->p[i].from_first ? DT_DIR_C2S : DT_DIR_S2C, cap->p[i].ts_ns, cap->p[i].data,
                           cap->p[i].len);
    assert_int_equal(dt_engine_finish(eng, dt_engine_last_ts(eng)), 0);
    dt_engine_free(eng);
    dt_registry_free(reg);
}

static void ser_add(kdt_serial *s, dt_dir dir, int what, const uint8_t *b, size_t n, uint64_t ts)
{
    s->bytes = realloc(s->bytes, s->len + n);
    memcpy(s->bytes + s->len, b, n);
    s->pieces = realloc(s->pieces, (s->n + 1) * sizeof *s->pieces);
    s->pieces[s->n++] = (kdt_piece){ .dir = dir, .what = what, .off = s->len, .len = n, .ts_ns = ts };
    s->len += n;
}

void kdt_build_serial(const kdt_capture *cap, const kdt_plain *plain, size_t garbage_every, kdt_serial *s)
{
    /* Console noise with a stray 'b' and partial leaders, as a boot loader might print. */
    static const uint8_t garbage[] = "\r\nBOOTMGR: press b to 000 continue iii\xff\xfe\x00\x30\x30\x69";
    static const uint8_t breakin = 0x62;
    bool did_breakin = false;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < cap->n; i++) {
        const kdt_plain *p = &plain[i];
        if (!p->kd)
            continue;
        dt_dir dir = p->from_host ? DT_DIR_S2C : DT_DIR_C2S;
        if (garbage_every && s->n_packets > 0 && s->n_packets % garbage_every == 0) {
            ser_add(s, dir, KDT_GARBAGE, garbage, sizeof garbage - 1, cap->p[i].ts_ns);
            s->n_garbage++;
        }
        if (p->from_host && !did_breakin && p->kd[4] == 2) { /* before the host's first request */
            ser_add(s, dir, KDT_BREAKIN, &breakin, 1, cap->p[i].ts_ns);
            did_breakin = true;
        }
        uint8_t *b = malloc(p->kd_len + 1);
        memcpy(b, p->kd, p->kd_len);
        size_t n = p->kd_len;
        if (p->kd[0] == 0x30) {
            b[n++] = 0xAA;
            s->n_data_packets++;
        }
        ser_add(s, dir, KDT_PACKET, b, n, cap->p[i].ts_ns);
        s->n_packets++;
        free(b);
    }
}

void kdt_free_serial(kdt_serial *s)
{
    free(s->bytes);
    free(s->pieces);
    memset(s, 0, sizeof *s);
}
