/* Channels, conversations, dissector choice, stream framing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_internal.h"
#include "platform.h"
#include "unclaimed.h"

static void vnote(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const char *fmt, va_list ap);
static void note_dir(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void flush_undecoded(dt_engine *e, dt_conv *c, dt_dir dir);

static const dt_dissector raw_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "data",
    .display_name = "data",
    .description = "Bytes no dissector claimed",
};

dt_engine *dt_engine_new(dt_registry *reg)
{
    dt_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->reg = reg;
    e->pairing = dt_pairing_new();
    dt_arena_init(&e->arena, 64u * 1024u * 1024u);
    dt_arena_init(&e->scratch, 64u * 1024u * 1024u);
    if (!e->pairing || !e->arena.first || !e->scratch.first) {
        dt_engine_free(e);
        return NULL;
    }
    return e;
}

static void conv_free(dt_engine *e, dt_conv *c);
static void run_queued_messages(dt_engine *e, dt_conv *i, dt_dir dir, uint64_t ts);

void dt_engine_free(dt_engine *e)
{
    if (!e)
        return;
    while (e->convs) {
        dt_conv *c = e->convs;
        e->convs = c->next;
        conv_free(e, c);
    }
    for (size_t i = 0; i < e->n_channels; i++) {
        if (!e->channels[i])
            continue; /* released */
        free((char *)e->channels[i]->name);
        free((char *)e->channels[i]->description);
        free(e->channels[i]);
    }
    free(e->channels);
    free(e->free_channel_ids);
    for (size_t i = 0; i < e->n_opts; i++) {
        free(e->opts[i].name);
        free(e->opts[i].value);
    }
    free(e->opts);
    dt_pairing_free(e->pairing);
    dt_arena_free(&e->arena);
    dt_arena_free(&e->scratch);
    free(e);
}

void dt_engine_add_sink(dt_engine *e, dt_sink *s)
{
    if (e->n_sinks >= DT_MAX_SINKS)
        return;
    e->sinks[e->n_sinks++] = s;
    /* a plugin's fields may point at memory of its own, which the events a
     * sink keeps without copying would outlive */
    if (!e->mem_sink && s->event_memory && s->event_span && !dt_registry_has_plugins(e->reg))
        e->mem_sink = s;
}

bool dt_engine_records_streams(const dt_engine *e)
{
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->stream)
            return true;
    return false;
}

/* True when --proto rejects every protocol an event can carry: the
 * registered dissectors' and the engine's own. Then no event can reach a
 * sink, and dissecting (fields, summaries, pairing) would be work thrown
 * away; framing and recordings (-w) go on as before. */
static bool filter_drops_all(const dt_engine *e, const dt_filter *f)
{
    const char *own[] = { "diagtap", "TCP", "UDP", raw_dissector.name, raw_dissector.display_name,
                          dt_unclaimed_dissector.name, dt_unclaimed_dissector.display_name };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (dt_filter_passes_proto(f, own[i]))
            return false;
    for (size_t i = 0; i < dt_registry_count(e->reg); i++) {
        const dt_dissector *d = dt_registry_at(e->reg, i);
        if (dt_filter_passes_proto(f, d->name) || (d->display_name && dt_filter_passes_proto(f, d->display_name)))
            return false;
    }
    return true;
}

void dt_engine_set_filter(dt_engine *e, dt_filter *f)
{
    e->filter = f;
    e->filter_drops_all = f && filter_drops_all(e, f);
}
void dt_engine_set_show_credentials(dt_engine *e, bool show) { e->show_credentials = show; }
void dt_engine_set_input(dt_engine *e, const char *input) { e->input = input; }
uint64_t dt_engine_last_ts(const dt_engine *e) { return e->last_ts; }
const char *dt_engine_input_fault(const dt_engine *e) { return e->input_fault[0] ? e->input_fault : NULL; }

/* A second value for the same option is appended after ';' (several keys). */
void dt_engine_set_option(dt_engine *e, const char *name, const char *value)
{
    for (size_t i = 0; i < e->n_opts; i++) {
        if (strcmp(e->opts[i].name, name) == 0) {
            size_t a = strlen(e->opts[i].value), b = strlen(value);
            char *v = realloc(e->opts[i].value, a + b + 2);
            if (!v)
                return;
            v[a] = ';';
            memcpy(v + a + 1, value, b + 1);
            e->opts[i].value = v;
            return;
        }
    }
    dt_option_kv *o = realloc(e->opts, (e->n_opts + 1) * sizeof *o);
    if (!o)
        return;
    e->opts = o;
    o[e->n_opts].name = strdup(name);
    o[e->n_opts].value = strdup(value);
    if (o[e->n_opts].name && o[e->n_opts].value)
        e->n_opts++;
}

int dt_engine_check_options(dt_engine *e, char *err, size_t errsz)
{
    char why[256];
    for (size_t i = 0; i < e->n_opts; i++) {
        for (size_t k = 0; k < dt_registry_count(e->reg); k++) {
            const dt_dissector *d = dt_registry_at(e->reg, k);
            why[0] = '\0';
            if (d->check_option && d->check_option(e->opts[i].name, e->opts[i].value, why, sizeof why) != 0) {
                const dt_option_def *od = dt_registry_option(e->reg, e->opts[i].name, false);
                bool secret = od && (od->flags & DT_OPT_SECRET);
                snprintf(err, errsz, "%s=%s: %s", e->opts[i].name, secret ? "<redacted>" : e->opts[i].value, why);
                return -1;
            }
        }
    }
    return 0;
}

int dt_engine_decode_as(dt_engine *e, const char *spec, char *err, size_t errsz)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        snprintf(err, errsz, "decode-as '%s': expected PORT=PROTO", spec);
        return -1;
    }
    char *end;
    unsigned long port = strtoul(spec, &end, 10);
    if (end != eq || port == 0 || port > 65535) {
        snprintf(err, errsz, "decode-as '%s': '%.*s' is not a port number", spec, (int)(eq - spec), spec);
        return -1;
    }
    const dt_dissector *d = dt_registry_find(e->reg, eq + 1);
    if (!d) {
        snprintf(err, errsz, "decode-as '%s': no dissector named '%s' (see 'diagtap dissectors')", spec, eq + 1);
        return -1;
    }
    if (e->n_decode_as == DT_MAX_DECODE_AS) {
        snprintf(err, errsz, "decode-as '%s': too many decode-as rules", spec);
        return -1;
    }
    if (!(d->transports & (DT_TRANSPORT_TCP | DT_TRANSPORT_UDP))) {
        snprintf(err, errsz, "decode-as '%s': %s decodes neither TCP nor UDP (only %s)", spec, d->name,
                 dt_transports_text(d->transports));
        return -1;
    }
    e->decode_as[e->n_decode_as].port = (uint16_t)port;
    e->decode_as[e->n_decode_as].d = d;
    e->decode_as[e->n_decode_as].warned = false;
    e->n_decode_as++;
    return 0;
}

const dt_channel *dt_engine_channel(dt_engine *e, const char *name, const char *description, int linktype)
{
    if (e->n_free_channel_ids) {
        dt_channel *ch = calloc(1, sizeof *ch);
        if (!ch)
            return NULL;
        ch->id = e->free_channel_ids[--e->n_free_channel_ids];
        ch->name = strdup(name ? name : "");
        ch->description = strdup(description ? description : "");
        ch->linktype = linktype;
        e->channels[ch->id] = ch;
        for (int i = 0; i < e->n_sinks; i++)
            if (e->sinks[i]->channel)
                e->sinks[i]->channel(e->sinks[i], ch);
        return ch;
    }
    if (e->n_channels == e->cap_channels) {
        size_t cap = e->cap_channels ? e->cap_channels * 2 : 8;
        dt_channel **chs = realloc(e->channels, cap * sizeof *chs);
        if (!chs)
            return NULL;
        e->channels = chs;
        e->cap_channels = cap;
    }
    dt_channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->id = (uint32_t)e->n_channels;
    ch->name = strdup(name ? name : "");
    ch->description = strdup(description ? description : "");
    ch->linktype = linktype;
    e->channels[e->n_channels++] = ch;
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->channel)
            e->sinks[i]->channel(e->sinks[i], ch);
    return ch;
}

void dt_engine_channel_release(dt_engine *e, const dt_channel *ch)
{
    if (!ch || ch->id >= e->n_channels || e->channels[ch->id] != ch)
        return;
    uint32_t *ids = realloc(e->free_channel_ids, (e->n_free_channel_ids + 1) * sizeof *ids);
    if (!ids)
        return; /* kept: it costs a little memory, nothing else */
    e->free_channel_ids = ids;
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->channel_release)
            e->sinks[i]->channel_release(e->sinks[i], ch);
    e->free_channel_ids[e->n_free_channel_ids++] = ch->id;
    e->channels[ch->id] = NULL;
    free((char *)ch->name);
    free((char *)ch->description);
    free((dt_channel *)ch);
}

static uint32_t transport_flag(dt_transport t)
{
    switch (t) {
    case DT_CONV_TCP:
        return DT_TRANSPORT_TCP;
    case DT_CONV_UDP:
        return DT_TRANSPORT_UDP;
    default:
        return DT_TRANSPORT_STREAM;
    }
}

const char *dt_transports_text(uint32_t t)
{
    static const char *const names[16] = {
        "nothing", "TCP", "UDP", "TCP and UDP", "byte streams", "TCP and byte streams", "UDP and byte streams",
        "TCP, UDP and byte streams", "inner streams", "TCP and inner streams", "UDP and inner streams",
        "TCP, UDP and inner streams", "byte and inner streams", "TCP, byte and inner streams",
        "UDP, byte and inner streams", "every transport",
    };
    return names[t & 15u];
}

bool dt_dissector_fits(const dt_dissector *d, dt_transport t)
{
    /* every dissector has dissect, which is all a datagram needs (the
     * Wireshark adapter hands framed PDUs in as datagrams); a byte stream
     * also needs a framer, whatever the dissector declares */
    return !d || t == DT_CONV_UDP || d->frame;
}

/* A decode-as rule applies where its dissector says it runs. */
static bool rule_fits(const dt_dissector *d, dt_transport t)
{
    return (d->transports & transport_flag(t)) && dt_dissector_fits(d, t);
}

/* Decode-as rules, then well-known ports (server side first). A rule whose
 * dissector cannot decode this transport (PORT=kdnet on a TCP port) does not
 * apply; it is said once. */
static const dt_dissector *choose_by_port(dt_engine *e, dt_conv *c)
{
    uint32_t t = transport_flag(c->transport);
    for (int i = 0; i < e->n_decode_as; i++) {
        if (e->decode_as[i].port != c->server_port && e->decode_as[i].port != c->client_port)
            continue;
        if (rule_fits(e->decode_as[i].d, c->transport))
            return e->decode_as[i].d;
        if (!e->decode_as[i].warned) {
            e->decode_as[i].warned = true;
            dt_engine_note(e, NULL, e->last_ts, DT_EV_NOTE,
                           "decode-as %u=%s does not apply to %s port %u: %s decodes %s only",
                           e->decode_as[i].port, e->decode_as[i].d->name, c->transport == DT_CONV_UDP ? "UDP" : "TCP",
                           e->decode_as[i].port, e->decode_as[i].d->name,
                           dt_transports_text(e->decode_as[i].d->transports));
        }
    }
    const dt_dissector *d = dt_registry_by_port(e->reg, t, c->server_port);
    return d ? d : dt_registry_by_port(e->reg, t, c->client_port);
}

static void set_dissector(dt_conv *c, const dt_dissector *d)
{
    c->decided = true;
    c->d = d;
    if (d && d->conv_size) {
        c->state = calloc(1, d->conv_size);
        if (!c->state)
            c->d = NULL;
    }
}

dt_conv *dt_engine_conv_open(dt_engine *e, const dt_conv_params *p)
{
    dt_conv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->client = strdup(p->client ? p->client : "client");
    c->server = strdup(p->server ? p->server : "server");
    c->info.id = ++e->next_conv_id;
    c->info.channel = p->channel;
    c->info.client = c->client;
    c->info.server = c->server;
    c->transport = p->transport;
    c->client_port = p->client_port;
    c->server_port = p->server_port;
    c->show_undecoded = p->show_undecoded;
    c->whole_file = p->whole_file;
    c->messages = p->messages;
    c->counts.first_ts = p->ts_ns;
    if (p->dissector && strcmp(p->dissector, "data") != 0) {
        const dt_dissector *d = dt_registry_find(e->reg, p->dissector);
        if (!d)
            dt_engine_note(e, NULL, p->ts_ns, DT_EV_ERROR, "no dissector named '%s'; showing raw bytes", p->dissector);
        if (!dt_dissector_fits(d, c->transport)) {
            /* a recording naming a datagram-only dissector for a stream: never call a missing framer */
            dt_engine_note(e, NULL, p->ts_ns, DT_EV_ERROR, "%s cannot decode %s (it decodes %s only); showing raw bytes",
                           d->name, c->transport == DT_CONV_UDP ? "UDP datagrams" : "a byte stream",
                           dt_transports_text(d->transports));
            d = NULL;
            c->show_undecoded = true;
        }
        set_dissector(c, d);
    } else if (p->dissector) {
        set_dissector(c, NULL);
    } else {
        const dt_dissector *d = choose_by_port(e, c);
        if (d)
            set_dissector(c, d);
    }
    c->next = e->convs;
    if (e->convs)
        e->convs->prev = c;
    e->convs = c;
    return c;
}

const dt_conv_info *dt_engine_conv_info(const dt_conv *c) { return &c->info; }
void *dt_engine_conv_state(dt_conv *c) { return c->state; }

/* ---- recording and raw events ---- */

static bool records_streams(const dt_conv *c)
{
    return !c->parent && c->info.channel && c->info.channel->linktype < 0;
}

static void record_as(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const char *name, const uint8_t *data,
                      size_t len)
{
    if (!len || !records_streams(c))
        return;
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->stream)
            e->sinks[i]->stream(e->sinks[i], &c->info, dir, ts, name, data, len);
}

static void record(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    if (!len || !records_streams(c))
        return;
    const char *name = c->d ? c->d->name : "data";
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->stream)
            e->sinks[i]->stream(e->sinks[i], &c->info, dir, ts, name, data, len);
}

/* Header lines whose value is a secret (HTTP and anything shaped like it):
 * a raw preview shows "Authorization: <redacted>" unless --show-credentials. */
static bool secret_header(const char *name, size_t len)
{
    static const char *const names[] = { "authorization", "proxy-authorization", "cookie", "set-cookie" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

/* The printable preview of undecoded bytes; b keeps the line state across
 * chunks, so a header split between two chunks is still withheld. */
#define DT_PREVIEW_CHARS 40

/* One byte of the line state: true when it starts a secret header's value. */
static bool line_step(const dt_engine *e, dir_state *b, uint8_t ch)
{
    if (ch == '\n') {
        b->line_len = 0;
        b->line_secret = false;
    } else if (b->line_secret) {
    } else if (ch == ':' && !e->show_credentials && b->line_len < sizeof b->line &&
               secret_header(b->line, b->line_len)) {
        b->line_secret = true;
        return true;
    } else if (b->line_len < sizeof b->line) {
        b->line[b->line_len++] = (char)ch;
    }
    return false;
}

static size_t preview_text(dt_engine *e, dir_state *b, const uint8_t *data, size_t len, char *out, size_t cap)
{
    static const char marker[] = " <redacted>";
    size_t n = 0, i = 0;
    for (; i < len && n < DT_PREVIEW_CHARS && n + 1 < cap; i++) {
        uint8_t ch = data[i];
        bool was_secret = b->line_secret;
        if (line_step(e, b, ch)) {
            if (n + 1 + sizeof marker <= cap) {
                out[n++] = ':';
                memcpy(out + n, marker, sizeof marker - 1);
                n += sizeof marker - 1;
            }
        } else if (!was_secret || ch == '\n') {
            out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
        }
    }
    out[n] = '\0';
    /* The preview is full; what follows matters only for the line state the
     * next chunk starts in. Bytes before the chunk's last newline cannot
     * change it, nor can a line longer than `line` holds: a proxied bulk
     * transfer is not walked byte by byte (it was most of the decoder's time). */
    const uint8_t *last = i < len ? dt_memrchr(data + i, '\n', len - i) : NULL;
    if (last) {
        line_step(e, b, '\n');
        i = (size_t)(last + 1 - data);
    }
    for (; i < len && !b->line_secret && b->line_len < sizeof b->line; i++)
        line_step(e, b, data[i]);
    return n;
}

static void raw_event(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len,
                      uint64_t offset)
{
    char preview[DT_PREVIEW_CHARS + 16];
    preview_text(e, &c->dirs[dir], data, len, preview, sizeof preview);
    dt_ev_begin(e, c, dir, ts, DT_EV_PDU, &raw_dissector, data, len, offset);
    char *s = NULL;
    char buf[128];
    int k = snprintf(buf, sizeof buf, "%zu bytes: %s%s", len, preview, len > DT_PREVIEW_CHARS ? "…" : "");
    if (k > 0)
        s = dt_arena_strndup(&e->arena, buf, (size_t)k);
    if (s)
        e->ev.summary = s;
    dt_ev_commit(e);
}

static void flush_garbage(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts)
{
    dir_state *b = &c->dirs[dir];
    if (!b->garbage)
        return;
    dt_ev_begin(e, c, dir, ts, DT_EV_NOTE, c->d, NULL, 0, b->garbage_off);
    char buf[160];
    int k = snprintf(buf, sizeof buf, "skipped %" PRIu64 " bytes that start no %s message (stream offset %" PRIu64
                     "); resynchronised", b->garbage, e->ev.proto, b->garbage_off);
    if (k > 0)
        e->ev.summary = dt_arena_strndup(&e->arena, buf, (size_t)k);
    e->ev.is_error = true;
    dt_ev_commit(e);
    b->garbage = 0;
}

static void add_garbage(dir_state *b, uint64_t offset, size_t n)
{
    if (!b->garbage)
        b->garbage_off = offset;
    b->garbage += n;
}

/* ---- dissecting ---- */

void dt_engine_dissect_pdu(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *pdu, size_t len,
                           uint64_t offset)
{
    if (e->filter_drops_all)
        return;
    dt_dissect_state ds = { .e = e, .conv = c };
    dt_dissect_state *outer = e->ds;
    e->ds = &ds;
    dt_ev_begin(e, c, dir, ts, DT_EV_PDU, c->d, pdu, len, offset);
    dt_ctx ctx = { .ev = &e->ev, .conv = c->state, .dir = dir, .ts_ns = ts, .pdu = pdu, .pdu_len = len,
                   .self = c->d, .engine = &ds };
    c->d->dissect(&ctx);
    dt_ev_commit(e);
    for (size_t i = 0; i < ds.n_answered; i++)
        dt_pairing_remove(e->pairing, &c->pending, ds.answered[i]);
    e->ds = outer;
    if (c->inner_dirty)
        dt_engine_process_inner(e, c);
}

static const char *dname(const dt_dissector *d)
{
    return d->display_name ? d->display_name : d->name;
}

/* Skipping an oversized PDU (k of the avail bytes at p belong to it): how
 * many to skip now. A PDU over the limit is often a lie (a garbled or
 * hostile length): where the dissector's probe is certain (100) that one of
 * its messages starts, the skip ends there and b->resync says so. Otherwise
 * a tail that may hold the start of such a message is held back until more
 * bytes come. */
static size_t oversized_resync(dt_conv *c, dt_dir dir, dir_state *b, uint64_t cur, const uint8_t *p, size_t avail,
                               size_t k)
{
    if (!c->d->probe)
        return k;
    size_t first = cur == b->skip_off ? 1 : 0; /* not the oversized header itself */
    for (size_t i = first; i < k; i++) {
        if (c->d->probe(p + i, avail - i, dir) >= 100) {
            b->resync = true;
            return i;
        }
    }
    if (k == avail && k < b->skip_left)
        return k > DT_RESYNC_TAIL ? k - DT_RESYNC_TAIL : 0;
    return k;
}

/* Frames and dissects what p holds; returns the bytes consumed. */
static size_t frame_run(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *p, size_t n)
{
    dir_state *b = &c->dirs[dir];
    size_t pos = 0;
    while (pos < n) {
        size_t left = n - pos;
        if (b->skip_left) {
            size_t k = b->skip_left < left ? (size_t)b->skip_left : left;
            size_t at = oversized_resync(c, dir, b, b->offset + pos, p + pos, left, k);
            record(e, c, dir, ts, p + pos, at);
            b->skip_left -= at;
            pos += at;
            if (at < k && b->skip_left) {
                if (b->resync) { /* a message of this protocol starts here: the size was a lie */
                    b->resync = false;
                    b->skip_left = 0;
                    note_dir(e, c, dir, ts, DT_EV_ERROR,
                             "the %s message at stream offset %" PRIu64 " announced %" PRIu64 " bytes, but another "
                             "starts at offset %" PRIu64 ": resynchronised after skipping %" PRIu64 " bytes",
                             dname(c->d), b->skip_off, b->skip_size, b->offset + pos,
                             b->offset + pos - b->skip_off);
                    continue;
                }
                break; /* held back: a message may start in the tail */
            }
            continue;
        }
        if (b->resync && c->d->probe) {
            size_t i = 0;
            while (i < left && c->d->probe(p + pos + i, left - i, dir) <= 0)
                i++;
            if (i == left) {
                /* keep a tail in case a header straddles the next chunk */
                size_t k = left > DT_PROBE_BYTES ? left - DT_PROBE_BYTES : 0;
                add_garbage(b, b->offset + pos, k);
                record(e, c, dir, ts, p + pos, k);
                pos += k;
                break;
            }
            add_garbage(b, b->offset + pos, i);
            record(e, c, dir, ts, p + pos, i);
            pos += i;
            b->resync = false;
            continue;
        }
        b->resync = false;
        if (!c->d->frame) /* never reached: callers check; but never call a missing hook */
            break;
        long r = c->d->frame(c->state, dir, p + pos, left);
        if (r == 0)
            break;
        if (r < 0) {
            size_t k = (size_t)-r < left ? (size_t)-r : left;
            add_garbage(b, b->offset + pos, k);
            record(e, c, dir, ts, p + pos, k);
            pos += k;
            continue;
        }
        if ((size_t)r > DT_MAX_PDU) {
            dt_engine_note(e, c, ts, DT_EV_ERROR,
                           "%s message of %ld bytes at stream offset %" PRIu64 " exceeds the %u MiB limit; skipped",
                           c->d->display_name ? c->d->display_name : c->d->name, r, b->offset + pos,
                           DT_MAX_PDU >> 20);
            b->skip_left = (uint64_t)r;
            b->skip_off = b->offset + pos;
            b->skip_size = (uint64_t)r;
            continue;
        }
        if ((size_t)r > left) {
            b->need = (size_t)r;
            break;
        }
        flush_garbage(e, c, dir, ts);
        record(e, c, dir, ts, p + pos, (size_t)r);
        b->need = 0;
        dt_engine_dissect_pdu(e, c, dir, ts, p + pos, (size_t)r, b->offset + pos);
        pos += (size_t)r;
        if (!c->d) /* a dissector may not switch itself off, but be safe */
            break;
    }
    b->offset += pos;
    return pos;
}

static int buf_append(dir_state *b, const uint8_t *data, size_t len)
{
    if (b->len + len > b->cap) {
        /* from 512 bytes up to what the PDU needs (it was 4 KiB at least:
         * 64 MiB for 16 k conversations each holding part of a 1.5 KB PDU) */
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, len);
    b->len += len;
    return 0;
}

static void buf_consume(dir_state *b, size_t n)
{
    memmove(b->buf, b->buf + n, b->len - n);
    b->len -= n;
    if (b->len == 0 && b->cap > 64u * 1024u) { /* a big PDU passed: do not keep its buffer while idle */
        free(b->buf);
        b->buf = NULL;
        b->cap = 0;
    }
}

static void feed(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    dir_state *b = &c->dirs[dir];
    if (b->len == 0) {
        size_t used = frame_run(e, c, dir, ts, data, len); /* zero-copy when PDUs arrive whole */
        if (used < len && buf_append(b, data + used, len - used) != 0)
            dt_engine_note(e, c, ts, DT_EV_ERROR, "out of memory buffering a message");
        return;
    }
    if (buf_append(b, data, len) != 0) {
        dt_engine_note(e, c, ts, DT_EV_ERROR, "out of memory buffering a message");
        return;
    }
    if (b->need && b->len < b->need)
        return;
    size_t used = frame_run(e, c, dir, ts, b->buf, b->len);
    buf_consume(b, used);
}

/* Picks a dissector from the first bytes; returns false while undecided. */
static bool decide_stream(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    dir_state *b = &c->dirs[dir];
    const uint8_t *p = data;
    size_t n = len;
    if (b->len) {
        if (buf_append(b, data, len) != 0)
            return false;
        p = b->buf;
        n = b->len;
    }
    const dt_dissector *d = dt_registry_probe(e->reg, transport_flag(c->transport), p, n, dir);
    if (d || n >= DT_PROBE_BYTES) {
        set_dissector(c, d);
        return true;
    }
    if (!b->len && buf_append(b, data, len) != 0)
        set_dissector(c, NULL);
    else if (c->messages && b->n_held < DT_PROBE_BYTES)
        b->held_cut[b->n_held++] = (uint8_t)len; /* n < DT_PROBE_BYTES here */
    (void)ts;
    return c->decided;
}

/* Bytes held while no dissector was chosen go through the normal path. */
static void replay_held(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts)
{
    dir_state *b = &c->dirs[dir];
    if (!b->len)
        return;
    size_t blen = b->len;
    uint8_t *held = b->buf;
    b->buf = NULL;
    b->len = b->cap = 0;
    bool was = c->replaying;
    c->replaying = true;
    size_t off = 0;
    uint8_t n_cuts = b->n_held;
    b->n_held = 0;
    for (uint8_t i = 0; i < n_cuts && off + b->held_cut[i] <= blen; i++) { /* message by message */
        dt_engine_stream(e, c, dir, ts, held + off, b->held_cut[i]);
        off += b->held_cut[i];
    }
    dt_engine_stream(e, c, dir, ts, held + off, blen - off);
    c->replaying = was;
    free(held);
}

void dt_engine_conv_packet(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts)
{
    (void)e;
    dt_unclaimed_packet(c, dir, ts);
}

/* Defence in depth: a dissector without a framer never frames a stream,
 * whatever chose it; the conversation is shown undecoded after one note. */
static void demote_unframed(dt_engine *e, dt_conv *c, uint64_t ts)
{
    const dt_dissector *d = c->d;
    if (d->conv_free && c->state)
        d->conv_free(c->state);
    free(c->state);
    c->state = NULL;
    c->d = NULL;
    c->show_undecoded = true;
    dt_engine_note(e, c, ts, DT_EV_ERROR, "%s cannot frame a byte stream (it decodes %s only); showing raw bytes",
                   d->name, dt_transports_text(d->transports));
}

void dt_engine_stream(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    if (!len)
        return;
    if (ts > e->last_ts)
        e->last_ts = ts;
    dir_state *b = &c->dirs[dir];
    flush_undecoded(e, c, dir);
    if (!c->parent && !c->replaying)
        dt_unclaimed_bytes(c, dir, ts, data, len);
    if (!c->decided) {
        if (!decide_stream(e, c, dir, ts, data, len))
            return;
        if (!c->d)
            dt_unclaimed_opened(e, c);
        /* the other side's held bytes arrived earlier than these */
        replay_held(e, c, (dt_dir)!dir, ts);
        if (b->len) {
            replay_held(e, c, dir, ts);
            return;
        }
    }
    if (c->d && !c->d->frame)
        demote_unframed(e, c, ts);
    if (!c->d) {
        if (c->show_undecoded) {
            record(e, c, dir, ts, data, len);
            raw_event(e, c, dir, ts, data, len, b->offset);
        }
        b->offset += len;
        return;
    }
    feed(e, c, dir, ts, data, len);
}

void dt_engine_datagram(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    if (ts > e->last_ts)
        e->last_ts = ts;
    if (!c->parent)
        dt_unclaimed_bytes(c, dir, ts, data, len);
    if (!c->decided) {
        const dt_dissector *d = dt_registry_probe(e->reg, transport_flag(c->transport), data, len, dir);
        if (d)
            set_dissector(c, d);
        else if (++c->probe_tries >= DT_PROBE_TRIES) {
            set_dissector(c, NULL);
            dt_unclaimed_opened(e, c);
        }
    }
    if (!c->d) {
        if (c->show_undecoded)
            raw_event(e, c, dir, ts, data, len, 0);
        return;
    }
    record(e, c, dir, ts, data, len);
    dt_engine_dissect_pdu(e, c, dir, ts, data, len, c->dirs[dir].offset);
    c->dirs[dir].offset += len;
}

void dt_engine_gap(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, uint64_t nbytes)
{
    dir_state *b = &c->dirs[dir];
    flush_undecoded(e, c, dir);
    if (!c->d) {
        b->offset += nbytes;
        return;
    }
    flush_garbage(e, c, dir, ts);
    const char *arrow = dir == DT_DIR_C2S ? "client→server" : "server→client";
    if (b->len)
        note_dir(e, c, dir, ts, DT_EV_ERROR,
                       "missing %" PRIu64 " bytes (%s, stream offset %" PRIu64 "); %zu bytes of a partial message "
                       "dropped",
                       nbytes, arrow, b->offset + b->len, b->len);
    else
        note_dir(e, c, dir, ts, DT_EV_ERROR, "missing %" PRIu64 " bytes (%s, stream offset %" PRIu64 ")", nbytes,
                       arrow, b->offset);
    b->offset += b->len + nbytes;
    b->len = 0;
    b->need = 0;
    b->skip_left = 0;
    b->resync = true;
}

static void behind_event(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, uint64_t nbytes, uint64_t offset,
                         const char *what)
{
    const char *arrow = dir == DT_DIR_C2S ? "client→server" : "server→client";
    dt_ev_begin(e, c, dir, ts, DT_EV_ERROR, NULL, NULL, 0, offset);
    char text[200];
    int n = snprintf(text, sizeof text,
                     "decoder behind: %" PRIu64 " bytes not decoded%s (%s, stream offset %" PRIu64 "); relayed unchanged",
                     nbytes, what, arrow, offset);
    char *s = n > 0 ? dt_arena_strndup(&e->arena, text, strnlen(text, sizeof text)) : NULL;
    if (s)
        e->ev.summary = s;
    e->ev.is_error = true;
    e->ev.stats_key = "decoder behind";
    e->ev.status = "bytes not decoded";
    dt_ev_commit(e);
}

/* Ends a run of skipped bytes: says so, and resynchronises. */
static void flush_undecoded(dt_engine *e, dt_conv *c, dt_dir dir)
{
    dir_state *b = &c->dirs[dir];
    if (!b->undecoded)
        return;
    behind_event(e, c, dir, b->undecoded_ts, b->undecoded, b->undecoded_off, "");
    b->undecoded = 0;
    if (c->d)
        b->resync = true;
}

void dt_engine_stream_skip(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    dir_state *b = &c->dirs[dir];
    if (ts > e->last_ts)
        e->last_ts = ts;
    if (!b->undecoded) {
        if (c->d)
            flush_garbage(e, c, dir, ts);
        b->undecoded_off = b->offset;
        b->undecoded_ts = ts;
        if (b->len) { /* a partial message (or bytes held to choose a dissector): kept in the recording */
            record_as(e, c, dir, ts, "data", b->buf, b->len);
            b->undecoded += b->len;
            b->offset += b->len;
            b->len = 0;
            b->need = 0;
        }
        b->skip_left = 0;
    }
    record_as(e, c, dir, ts, "data", data, len); /* not cut at message boundaries */
    b->undecoded += len;
    b->offset += len;
}

void dt_engine_undecoded(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, uint64_t nbytes)
{
    flush_undecoded(e, c, dir);
    dir_state *b = &c->dirs[dir];
    if (c->d)
        flush_garbage(e, c, dir, ts);
    behind_event(e, c, dir, ts, nbytes, b->offset + b->len, b->len ? " nor recorded, a partial message dropped" : " nor recorded");
    b->offset += b->len + nbytes;
    b->len = 0;
    b->need = 0;
    b->skip_left = 0;
    if (c->d)
        b->resync = true;
}

/* Reports what a direction still holds when it ends. */
static void flush_partial(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts)
{
    dir_state *b = &c->dirs[dir];
    flush_undecoded(e, c, dir);
    if (!c->decided && b->len) {
        /* too few bytes ever arrived to choose a dissector: decide on what there is */
        set_dissector(c, dt_registry_probe(e->reg, transport_flag(c->transport), b->buf, b->len, dir));
        replay_held(e, c, dir, ts);
        replay_held(e, c, (dt_dir)!dir, ts);
    }
    if (!c->d) {
        if (b->len && c->show_undecoded) {
            record(e, c, dir, ts, b->buf, b->len);
            raw_event(e, c, dir, ts, b->buf, b->len, b->offset);
        }
        b->offset += b->len;
        b->len = 0;
        return;
    }
    if (b->skip_left) { /* the stream ended inside an oversized message: say what was lost */
        record(e, c, dir, ts, b->buf, b->len);
        uint64_t got = b->offset + b->len - b->skip_off;
        char msg[200];
        snprintf(msg, sizeof msg, "stream ended inside the %s message at stream offset %" PRIu64 ", which announced %"
                 PRIu64 " bytes: the %" PRIu64 " bytes after its start were skipped undecoded", dname(c->d),
                 b->skip_off, b->skip_size, got);
        note_dir(e, c, dir, ts, DT_EV_ERROR, "%s", msg);
        if (c->whole_file && !e->input_fault[0])
            snprintf(e->input_fault, sizeof e->input_fault, "%s: offset %" PRIu64 ": %s",
                     e->input ? e->input : "input", b->skip_off, msg);
        b->offset += b->len;
        b->len = 0;
        b->skip_left = 0;
    }
    if (b->len) {
        record(e, c, dir, ts, b->buf, b->len);
        const char *name = c->d->display_name ? c->d->display_name : c->d->name;
        char msg[200];
        if (b->need > b->len)
            snprintf(msg, sizeof msg, "truncated %s message at end of stream: %zu of %zu bytes (stream offset %" PRIu64 ")",
                     name, b->len, b->need, b->offset);
        else
            snprintf(msg, sizeof msg, "%zu bytes at end of stream form no complete %s message (stream offset %" PRIu64 ")",
                     b->len, name, b->offset);
        note_dir(e, c, dir, ts, DT_EV_ERROR, "%s", msg);
        if (c->whole_file && !e->input_fault[0])
            snprintf(e->input_fault, sizeof e->input_fault, "%s: offset %" PRIu64 ": %s",
                     e->input ? e->input : "input", b->offset, msg);
        b->offset += b->len;
        b->len = 0;
        b->need = 0;
    }
    flush_garbage(e, c, dir, ts);
}

void dt_engine_stream_end(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts)
{
    if (c->dirs[dir].ended)
        return;
    c->dirs[dir].ended = true;
    flush_partial(e, c, dir, ts);
}

static void emit_pending(dt_engine *e, dt_conv *c, uint64_t ts)
{
    /* oldest first: the list is newest first */
    dt_pending *p = c->pending;
    while (p && p->cnext)
        p = p->cnext;
    for (; p; p = p->cprev) {
        if (!p->req_seq)
            continue;
        double age = ts > p->ts_ns ? (double)(ts - p->ts_ns) / 1e9 : 0.0;
        dt_ev_begin(e, c, (dt_dir)p->dir, ts, DT_EV_PENDING, c->d, NULL, 0, 0);
        e->ev.proto = p->proto ? p->proto : e->ev.proto;
        e->ev.req_seq = p->req_seq;
        e->ev.stats_key = p->stats_key[0] ? p->stats_key : NULL;
        e->ev.latency_ns = ts > p->ts_ns ? ts - p->ts_ns : 0;
        e->ev.has_latency = true; /* the age, for JSON; the summary already says it in words */
        char buf[320];
        int k = snprintf(buf, sizeof buf, "no reply after %.3f s: %s", age, p->summary);
        if (k > 0)
            e->ev.summary = dt_arena_strndup(&e->arena, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
        e->partner = p; /* -Y: shown when its request was, and releases it when it matches */
        dt_ev_commit(e);
    }
    while (c->pending)
        dt_pairing_remove(e->pairing, &c->pending, c->pending);
}

static void conv_free(dt_engine *e, dt_conv *c)
{
    while (c->inner) {
        dt_conv *i = c->inner;
        c->inner = i->inner_next;
        conv_free(e, i);
    }
    while (c->pending)
        dt_pairing_remove(e->pairing, &c->pending, c->pending);
    if (c->d && c->d->conv_free && c->state)
        c->d->conv_free(c->state);
    free(c->state);
    free(c->carrier_user);
    free(c->next_inner_user);
    free(c->dirs[0].buf);
    free(c->dirs[1].buf);
    free(c->client);
    free(c->server);
    free(c);
}

/* Flushes, reports and frees one conversation (outer or inner). */
static void conv_finish(dt_engine *e, dt_conv *c, uint64_t ts)
{
    while (c->inner) {
        dt_conv *i = c->inner;
        c->inner = i->inner_next;
        conv_finish(e, i, ts);
    }
    if (c->whole_messages) {
        run_queued_messages(e, c, DT_DIR_C2S, ts);
        run_queued_messages(e, c, DT_DIR_S2C, ts);
    }
    flush_partial(e, c, DT_DIR_C2S, ts);
    flush_partial(e, c, DT_DIR_S2C, ts);
    if (!c->d)
        dt_unclaimed_closed(e, c, ts);
    if (c->d && c->d->conv_end) {
        dt_dissect_state ds = { .e = e, .conv = c };
        dt_dissect_state *outer = e->ds;
        e->ds = &ds;
        dt_ev_begin(e, c, DT_DIR_C2S, ts, DT_EV_PDU, c->d, NULL, 0, 0);
        dt_ctx ctx = { .ev = &e->ev, .conv = c->state, .dir = DT_DIR_C2S, .ts_ns = ts, .self = c->d, .engine = &ds };
        c->d->conv_end(&ctx);
        if (e->summary_len || e->ev.fields)
            dt_ev_commit(e);
        e->ds = outer;
    }
    emit_pending(e, c, ts);
    conv_free(e, c);
}

void dt_engine_conv_close(dt_engine *e, dt_conv *c, uint64_t ts, const char *why)
{
    if (why)
        dt_engine_note(e, c, ts, DT_EV_NOTE, "%s", why);
    if (c->prev)
        c->prev->next = c->next;
    else
        e->convs = c->next;
    if (c->next)
        c->next->prev = c->prev;
    conv_finish(e, c, ts);
}

void dt_engine_frame(dt_engine *e, const dt_channel *ch, uint64_t ts, const uint8_t *data, size_t caplen,
                     size_t origlen, uint32_t epb_flags)
{
    if (ts > e->last_ts)
        e->last_ts = ts;
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->frame)
            e->sinks[i]->frame(e->sinks[i], ch, ts, data, caplen, origlen, epb_flags);
}

void dt_engine_note(dt_engine *e, dt_conv *c, uint64_t ts, dt_event_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(e, c, DT_DIR_C2S, ts, kind, fmt, ap);
    va_end(ap);
}

static void note_dir(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(e, c, dir, ts, kind, fmt, ap);
    va_end(ap);
}

static void vnote(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const char *fmt, va_list ap)
{
    if (e->ds) {
        /* a dissector's event is open: emit the note without touching it or its arena */
        dt_event saved = e->ev;
        size_t saved_len = e->summary_len;
        dt_event note = { 0 };
        note.ts_ns = ts;
        note.conv = c ? &c->info : NULL;
        note.dir = dir;
        note.kind = kind;
        note.proto = "diagtap";
        note.proto_name = "diagtap";
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, ap);
        note.summary = buf;
        note.is_error = kind == DT_EV_ERROR;
        note.input = e->input;
        note.seq = ++e->seq;
        if (!e->filter || dt_filter_match(e->filter, &note))
            for (int i = 0; i < e->n_sinks; i++)
                if (e->sinks[i]->event)
                    e->sinks[i]->event(e->sinks[i], &note);
        e->ev = saved;
        e->summary_len = saved_len;
        return;
    }
    dt_ev_begin(e, c, dir, ts, kind, NULL, NULL, 0, 0);
    char *s = dt_arena_vprintf(&e->arena, fmt, ap);
    if (s)
        e->ev.summary = s;
    e->ev.is_error = kind == DT_EV_ERROR;
    /* an engine note ("cat exited with status 0", "connection refused") is
     * diagtap's own word, not the protocol's: it keeps proto "diagtap" */
    dt_ev_commit(e);
}

int dt_engine_finish(dt_engine *e, uint64_t end_ts)
{
    if (end_ts < e->last_ts)
        end_ts = e->last_ts;
    while (e->convs)
        dt_engine_conv_close(e, e->convs, end_ts, NULL);
    int rc = 0;
    for (int i = 0; i < e->n_sinks; i++)
        if (e->sinks[i]->finish && e->sinks[i]->finish(e->sinks[i]) != 0)
            rc = -1;
    return rc;
}

/* ---- inner streams (a named pipe carried by SMB) ---- */

/* The inner conversation under key, made when new. Streams and whole
 * messages never share one; messages are per dissector as well. */
static dt_conv *inner_find_or_make(dt_conv *parent, const dt_dissector *d, uint64_t key, bool whole)
{
    for (dt_conv *i = parent->inner; i; i = i->inner_next)
        if (i->inner_key == key && i->whole_messages == whole && !i->closing && (!whole || i->d == d))
            return i;
    dt_conv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->info = parent->info;
    c->transport = DT_CONV_STREAM;
    c->parent = parent;
    c->inner_key = key;
    c->whole_messages = whole;
    set_dissector(c, d);
    if (!c->d) {
        free(c);
        return NULL;
    }
    if (whole && parent->next_inner_user) /* the user the carrier named before this stream opened */
        c->carrier_user = strdup(parent->next_inner_user);
    c->inner_next = parent->inner;
    parent->inner = c;
    return c;
}

dt_conv *dt_engine_inner_get(dt_engine *e, dt_conv *parent, const dt_dissector *d, uint64_t key)
{
    (void)e;
    return inner_find_or_make(parent, d, key, false);
}

void dt_engine_inner_feed(dt_engine *e, dt_conv *inner, dt_dir dir, const uint8_t *data, size_t len)
{
    /* processed after the carrier's event is committed, so inner events follow it */
    if (buf_append(&inner->dirs[dir], data, len) != 0)
        return;
    inner->inner_dirty = true;
    inner->parent->inner_dirty = true;
    (void)e;
}

/* ---- inner messages (an HTTP body): no framing, one queued message is one PDU ---- */

dt_conv *dt_engine_inner_msg_get(dt_engine *e, dt_conv *parent, const dt_dissector *d, uint64_t key)
{
    (void)e;
    return inner_find_or_make(parent, d, key, true);
}

void dt_engine_inner_msg_feed(dt_engine *e, dt_conv *inner, dt_dir dir, const uint8_t *data, size_t len)
{
    /* queued as [length][user length][user NUL][bytes]: several messages may
     * arrive within one carrier PDU, each with the user known when it came */
    uint64_t n = len;
    uint32_t ulen = inner->carrier_user ? (uint32_t)strlen(inner->carrier_user) + 1 : 0;
    dir_state *b = &inner->dirs[dir];
    size_t old = b->len;
    if (buf_append(b, (const uint8_t *)&n, sizeof n) != 0 || buf_append(b, (const uint8_t *)&ulen, sizeof ulen) != 0 ||
        (ulen && buf_append(b, (const uint8_t *)inner->carrier_user, ulen) != 0) || buf_append(b, data, len) != 0) {
        b->len = old;
        dt_engine_note(e, inner->parent, e->last_ts, DT_EV_ERROR, "out of memory queueing an inner message");
        return;
    }
    inner->inner_dirty = true;
    inner->parent->inner_dirty = true;
}

static void run_queued_messages(dt_engine *e, dt_conv *i, dt_dir dir, uint64_t ts)
{
    dir_state *b = &i->dirs[dir];
    size_t pos = 0;
    while (b->len - pos >= sizeof(uint64_t) + sizeof(uint32_t)) {
        uint64_t n;
        uint32_t ulen;
        memcpy(&n, b->buf + pos, sizeof n);
        memcpy(&ulen, b->buf + pos + sizeof n, sizeof ulen);
        pos += sizeof n + sizeof ulen;
        i->msg_user = ulen ? (const char *)b->buf + pos : NULL;
        pos += ulen;
        dt_engine_dissect_pdu(e, i, dir, ts, b->buf + pos, (size_t)n, b->offset);
        b->offset += n;
        pos += (size_t)n;
    }
    i->msg_user = NULL;
    b->len = 0;
}

void dt_engine_process_inner(dt_engine *e, dt_conv *c)
{
    c->inner_dirty = false;
    uint64_t ts = e->last_ts;
    for (dt_conv *i = c->inner; i; i = i->inner_next) {
        if (!i->inner_dirty)
            continue;
        i->inner_dirty = false;
        if (i->whole_messages) {
            run_queued_messages(e, i, DT_DIR_C2S, ts);
            run_queued_messages(e, i, DT_DIR_S2C, ts);
            continue;
        }
        for (int dir = 0; dir < 2; dir++) {
            dir_state *b = &i->dirs[dir];
            if (!b->len || (b->need && b->len < b->need))
                continue;
            size_t used = frame_run(e, i, (dt_dir)dir, ts, b->buf, b->len);
            buf_consume(b, used);
        }
    }
    for (dt_conv **pp = &c->inner; *pp;) {
        dt_conv *i = *pp;
        if (!i->closing) {
            pp = &i->inner_next;
            continue;
        }
        *pp = i->inner_next;
        i->inner_next = NULL;
        conv_finish(e, i, ts);
    }
}

void dt_engine_inner_close(dt_engine *e, dt_conv *parent, uint64_t key)
{
    (void)e;
    /* called while the carrier's dissector runs: finish it after the carrier's event */
    for (dt_conv *i = parent->inner; i; i = i->inner_next) {
        if (i->inner_key == key) {
            i->closing = true;
            i->inner_dirty = true;
            parent->inner_dirty = true;
        }
    }
}
