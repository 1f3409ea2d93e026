/* The Wireshark dissector callbacks of every diagtap protocol.
 *
 * Wireshark dissects a frame on a first pass in capture order and again
 * whenever it is shown. Stateful diagtap dissectors (KDNET keys, DAP
 * pairing) must see each PDU once and in order, so the diagtap dissector
 * runs only on the first pass; its events are copied into file-scope
 * memory per frame (p_add_proto_data) and every pass builds the tree from
 * that copy.
 */
#include "dtws.h"

#include <epan/to_str.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tcp.h>
#include <wiretap/wtap.h>

#include "core/registry.h"
#include "run.h"

extern dt_registry *dtws_registry;

/* One diagtap conversation: a Wireshark conversation (TCP, UDP) or, for
 * exported PDUs, a pcapng interface (diagtap writes a channel per proxied
 * connection). */
typedef struct conv_state {
    dtws_run *run;
    address client;          /* first sender: the client */
    guint32 client_port;
    wmem_map_t *by_seq;      /* event seq → seq_entry, for request/response links */
    struct partial {
        wmem_array_t *bytes; /* pieces of a message split over exported-PDU records */
        size_t need;
    } partial[2];
} conv_state;

typedef struct seq_entry {
    guint32 frame;
    dtws_event *ev;
} seq_entry;

static wmem_map_t *pdu_lengths;

void dtws_cleanup(void)
{
    dtws_session_end();
    pdu_lengths = NULL; /* file-scope memory, freed with the file */
}

static bool session_start(void)
{
    const char *opts[2 * 32 + 1];
    dtws_collect_options(opts, 32);
    return dtws_session_start(dtws_registry, opts, dtws_g.show_credentials);
}

/* How a PDU's direction and conversation are found: UDP (first sender is
 * the client), TCP (the SYN's receiver is the server), exported PDUs (EPB
 * direction flags, one conversation per pcapng interface). */
enum { BY_ADDRESS, BY_TCP, BY_P2P_DIR };

static guint32 iface_of(packet_info *pinfo)
{
    if (pinfo->rec && (pinfo->rec->presence_flags & WTAP_HAS_INTERFACE_ID))
        return pinfo->rec->rec_header.packet_header.interface_id;
    return 0;
}

static dt_dir dir_of(const conv_state *cs, packet_info *pinfo, int how);

/* "addr:port" ("[v6]:port") as diagtap names an endpoint. */
static void endpoint(char *out, size_t outsz, const address *a, guint32 port)
{
    char *s = address_to_str(NULL, a);
    g_snprintf(out, (gulong)outsz, a->type == AT_IPv6 ? "[%s]:%u" : "%s:%u", s, port);
    wmem_free(NULL, s);
}

static conv_state *conv_get(dtws_proto *p, packet_info *pinfo, int how, bool create)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    wmem_map_t *by_iface = conversation_get_proto_data(conv, p->proto);
    guint32 key = how == BY_P2P_DIR ? iface_of(pinfo) + 1 : 0;
    conv_state *cs = by_iface ? wmem_map_lookup(by_iface, GUINT_TO_POINTER(key)) : NULL;
    if (cs || !create)
        return cs;
    if (!by_iface) {
        by_iface = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        conversation_add_proto_data(conv, p->proto, by_iface);
    }
    cs = wmem_new0(wmem_file_scope(), conv_state);
    copy_address_wmem(wmem_file_scope(), &cs->client, &pinfo->src);
    cs->client_port = pinfo->srcport;
    cs->by_seq = wmem_map_new(wmem_file_scope(), g_int64_hash, g_int64_equal);

    if (!dtws_session_active() && !session_start())
        return NULL;
    char client[80] = "", server[80] = "";
    if (how != BY_P2P_DIR) {
        bool c2s = dir_of(NULL, pinfo, how) == DT_DIR_C2S; /* TCP: the SYN's receiver is the server */
        endpoint(client, sizeof client, c2s ? &pinfo->src : &pinfo->dst, c2s ? pinfo->srcport : pinfo->destport);
        endpoint(server, sizeof server, c2s ? &pinfo->dst : &pinfo->src, c2s ? pinfo->destport : pinfo->srcport);
    }
    cs->run = dtws_run_new(p->d, client, server);
    if (!cs->run)
        return NULL;
    wmem_map_insert(by_iface, GUINT_TO_POINTER(key), cs);
    return cs;
}

/* diagtap records a C2S chunk with the EPB "inbound" flag (core/sink.h). */
static int epb_direction(packet_info *pinfo)
{
    guint32 flags;
    if (pinfo->rec && pinfo->rec->block &&
        wtap_block_get_uint32_option_value(pinfo->rec->block, OPT_PKT_FLAGS, &flags) == WTAP_OPTTYPE_SUCCESS)
        return (int)PACK_FLAGS_DIRECTION(flags);
    return PACK_FLAGS_DIRECTION_UNKNOWN;
}

static dt_dir dir_of(const conv_state *cs, packet_info *pinfo, int how)
{
    if (how == BY_P2P_DIR) {
        int d = epb_direction(pinfo);
        if (d == PACK_FLAGS_DIRECTION_INBOUND)
            return DT_DIR_C2S;
        if (d == PACK_FLAGS_DIRECTION_OUTBOUND)
            return DT_DIR_S2C;
        if (pinfo->p2p_dir != P2P_DIR_UNKNOWN)
            return pinfo->p2p_dir == P2P_DIR_RECV ? DT_DIR_C2S : DT_DIR_S2C;
    }
    if (how == BY_TCP && pinfo->srcport != pinfo->destport) {
        conversation_t *conv = find_conversation_pinfo(pinfo, 0);
        struct tcp_analysis *tcpd = conv ? get_tcp_conversation_data(conv, pinfo) : NULL;
        if (tcpd && tcpd->server_port)
            return pinfo->destport == tcpd->server_port ? DT_DIR_C2S : DT_DIR_S2C;
    }
    if (!cs)
        return DT_DIR_C2S;
    return addresses_equal(&pinfo->src, &cs->client) && pinfo->srcport == cs->client_port ? DT_DIR_C2S : DT_DIR_S2C;
}

/* ---- Copying events out of a run (first pass only). */

typedef struct collect {
    dtws_proto *p;
    conv_state *cs;
    packet_info *pinfo;
    dtws_event *first, *last;
} collect;

static dt_field *copy_fields(const dt_field *f)
{
    dt_field *head = NULL, **tail = &head;
    for (; f; f = f->next) {
        dt_field *c = wmem_new0(wmem_file_scope(), dt_field);
        c->def = f->def;
        c->offset = f->offset;
        c->length = f->length;
        c->v = f->v;
        if (f->def && (f->def->type == DT_FT_STRING || f->def->type == DT_FT_BYTES)) {
            char *s = wmem_alloc(wmem_file_scope(), f->v.s.len + 1);
            if (f->v.s.len)
                memcpy(s, f->v.s.ptr, f->v.s.len);
            s[f->v.s.len] = '\0';
            c->v.s.ptr = s;
        }
        c->child = copy_fields(f->child);
        *tail = c;
        tail = &c->next;
    }
    return head;
}

static void collect_event(void *user, const dt_event *ev)
{
    collect *co = user;
    if (ev->kind != DT_EV_PDU && ev->kind != DT_EV_ERROR)
        return;
    dtws_event *e = wmem_new0(wmem_file_scope(), dtws_event);
    e->owner = dtws_proto_by_name(ev->proto_name);
    if (!e->owner)
        e->owner = co->p;
    e->summary = wmem_strdup(wmem_file_scope(), ev->summary ? ev->summary : "");
    e->fields = copy_fields(ev->fields);
    e->malformed = ev->malformed || ev->kind == DT_EV_ERROR;
    e->role = ev->role;
    e->dir = ev->dir;
    e->seq = ev->seq;
    e->latency_ns = ev->latency_ns;
    e->has_latency = ev->has_latency;
    e->status = ev->status ? wmem_strdup(wmem_file_scope(), ev->status) : NULL;
    e->is_error = ev->is_error;

    seq_entry *se = wmem_new0(wmem_file_scope(), seq_entry);
    se->frame = co->pinfo->num;
    se->ev = e;
    guint64 *key = wmem_new(wmem_file_scope(), guint64);
    *key = ev->seq;
    wmem_map_insert(co->cs->by_seq, key, se);
    if (ev->req_seq) {
        guint64 rk = ev->req_seq;
        seq_entry *req = wmem_map_lookup(co->cs->by_seq, &rk);
        if (req) {
            e->req_frame = req->frame;
            if (ev->role == DT_ROLE_RESPONSE && !req->ev->rsp_frame)
                req->ev->rsp_frame = co->pinfo->num;
        }
    }
    if (co->last)
        co->last->next = e;
    else
        co->first = e;
    co->last = e;
}

/* PDU index within this frame for this protocol, counted per dissection. */
static guint32 next_pdu_index(dtws_proto *p, packet_info *pinfo)
{
    guint32 *n = p_get_proto_data(pinfo->pool, pinfo, p->proto, 0);
    if (!n) {
        n = wmem_new0(pinfo->pool, guint32);
        p_add_proto_data(pinfo->pool, pinfo, p->proto, 0, n);
    }
    return (*n)++;
}

static void show(dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const dtws_event *evs,
                 guint32 index)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, evs && evs->owner ? evs->owner->d->display_name : p->d->display_name);
    if (index == 0)
        col_clear(pinfo->cinfo, COL_INFO);
    if (!evs) {
        proto_item *pi = proto_tree_add_item(tree, p->proto, tvb, 0, -1, ENC_NA);
        expert_add_info(pinfo, pi, &dtws_g.ei_not_first_pass);
        return;
    }
    for (const dtws_event *e = evs; e; e = e->next) {
        const dtws_proto *owner = e->owner ? e->owner : p;
        proto_item *pi = proto_tree_add_item(tree, owner->proto, tvb, 0, -1, ENC_NA);
        if (*e->summary) {
            col_append_sep_str(pinfo->cinfo, COL_INFO, " | ", e->summary);
            proto_item_append_text(pi, ", %s", e->summary);
        }
        if (e->placeholder)
            continue;
        proto_tree *sub = proto_item_add_subtree(pi, owner->ett);
        dtws_tree_add_event(owner, tvb, pinfo, sub, pi, e);
    }
}

/* Decodes the PDU that is all of tvb. */
/* A message diagtap recorded in several exported-PDU records (records are
 * at most 256 KiB): the pieces of one direction, gathered on the first pass. */
typedef struct partial partial;

/* First pass: gathers a piece of a split record. Returns true when data is
 * a piece (*whole then points at the message once its last piece is in). */
static bool gather(dtws_proto *p, conv_state *cs, dt_dir dir, const guint8 *data, guint len,
                   const guint8 **whole, guint *whole_len)
{
    *whole = NULL;
    partial *pt = &cs->partial[dir];
    if (!pt->bytes) {
        if (!p->d->frame)
            return false;
        long n = dtws_run_frame(cs->run, dir, data, len);
        if (n <= (long)len)
            return false; /* a whole message (or not one at all: the dissector says so) */
        pt->bytes = wmem_array_new(wmem_file_scope(), 1);
        pt->need = (size_t)n;
    }
    wmem_array_append(pt->bytes, data, len);
    if (wmem_array_get_count(pt->bytes) >= pt->need) {
        *whole_len = wmem_array_get_count(pt->bytes);
        *whole = wmem_memdup(wmem_file_scope(), wmem_array_get_raw(pt->bytes), *whole_len);
        pt->bytes = NULL; /* file-scope memory, freed with the file */
        pt->need = 0;
    }
    return true;
}

static dtws_event *placeholder(const char *summary)
{
    dtws_event *e = wmem_new0(wmem_file_scope(), dtws_event);
    e->summary = summary;
    e->placeholder = true;
    return e;
}

/* Decodes the PDU that is all of tvb (or, for exported PDUs, the message
 * whose last piece it is). */
static int dissect_one_pdu(dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int how)
{
    guint32 index = next_pdu_index(p, pinfo);
    dtws_event *evs = p_get_proto_data(wmem_file_scope(), pinfo, p->proto, index + 1);
    if (!evs && !PINFO_FD_VISITED(pinfo)) {
        conv_state *cs = conv_get(p, pinfo, how, true);
        if (!cs) {
            show(p, tvb, pinfo, tree, NULL, index);
            return (int)tvb_captured_length(tvb);
        }
        guint len = tvb_captured_length(tvb);
        const guint8 *data = tvb_get_ptr(tvb, 0, len);
        dt_dir dir = dir_of(cs, pinfo, how);
        const guint8 *whole = NULL;
        guint whole_len = 0;
        if (how == BY_P2P_DIR && gather(p, cs, dir, data, len, &whole, &whole_len) && !whole) {
            evs = placeholder("[a piece of a message continued in the next records]");
        } else {
            if (whole) {
                data = whole;
                len = whole_len;
            }
            uint64_t ts = (uint64_t)pinfo->abs_ts.secs * 1000000000u + (uint64_t)pinfo->abs_ts.nsecs;
            collect co = { p, cs, pinfo, NULL, NULL };
            dtws_run_pdu(cs->run, dir, ts, data, len, collect_event, &co);
            evs = co.first ? co.first : placeholder(""); /* a placeholder: later passes know it was seen */
            evs->reassembled = whole;
            evs->reassembled_len = whole_len;
        }
        p_add_proto_data(wmem_file_scope(), pinfo, p->proto, index + 1, evs);
    }
    if (evs && evs->reassembled) {
        tvbuff_t *msg = tvb_new_child_real_data(tvb, evs->reassembled, evs->reassembled_len, evs->reassembled_len);
        add_new_data_source(pinfo, msg, "Reassembled message");
        show(p, msg, pinfo, tree, evs, index);
    } else {
        show(p, tvb, pinfo, tree, evs, index);
    }
    return (int)tvb_captured_length(tvb);
}

static int dissect_exported(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb_data)
{
    (void)data;
    return dissect_one_pdu(cb_data, tvb, pinfo, tree, BY_P2P_DIR);
}

static int dissect_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb_data)
{
    (void)data;
    return dissect_one_pdu(cb_data, tvb, pinfo, tree, BY_ADDRESS);
}

/* ---- TCP: tcp_dissect_pdus with the diagtap framer.
 *
 * The framer sees the conversation state as it is when it runs, and on
 * later passes the state is the one at the end of the capture: PDU
 * boundaries found on the first pass are remembered and reused. */

typedef struct frame_key {
    guint32 frame, offset, avail;
    int proto;
    guint8 head[8];
} frame_key;

/* pdu_lengths: frame_key -> long, file scope (declared above). */

static guint frame_key_hash(gconstpointer k)
{
    const frame_key *f = k;
    guint h = f->frame * 2654435761u ^ f->offset * 40503u ^ f->avail ^ (guint)f->proto;
    for (size_t i = 0; i < sizeof f->head; i++)
        h = h * 31u + f->head[i];
    return h;
}

static gboolean frame_key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(frame_key)) == 0;
}

static long frame_at(dtws_proto *p, packet_info *pinfo, tvbuff_t *tvb, int offset)
{
    guint avail = tvb_captured_length_remaining(tvb, offset);
    frame_key key;
    memset(&key, 0, sizeof key);
    key.frame = pinfo->num;
    key.offset = (guint32)offset;
    key.avail = avail;
    key.proto = p->proto;
    tvb_memcpy(tvb, key.head, offset, avail < sizeof key.head ? avail : sizeof key.head);
    if (!pdu_lengths)
        pdu_lengths = wmem_map_new(wmem_file_scope(), frame_key_hash, frame_key_equal);
    long *known = wmem_map_lookup(pdu_lengths, &key);
    if (known)
        return *known;

    conv_state *cs = conv_get(p, pinfo, BY_TCP, true);
    long n = (long)avail;
    if (cs) {
        const guint8 *data = tvb_get_ptr(tvb, offset, avail);
        n = dtws_run_frame(cs->run, dir_of(cs, pinfo, BY_TCP), data, avail);
    }
    if (!PINFO_FD_VISITED(pinfo)) {
        frame_key *k = wmem_memdup(wmem_file_scope(), &key, sizeof key);
        long *v = wmem_new(wmem_file_scope(), long);
        *v = n;
        wmem_map_insert(pdu_lengths, k, v);
    }
    return n;
}

static guint tcp_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data)
{
    dtws_proto *p = data;
    long n = frame_at(p, pinfo, tvb, offset);
    if (n < 0)
        return (guint)-n; /* no PDU starts here: these bytes are shown as skipped */
    if (n == 0 && !pinfo->can_desegment)
        return tvb_captured_length_remaining(tvb, offset);
    return (guint)n;
}

static int dissect_tcp_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    dtws_proto *p = data;
    if (frame_at(p, pinfo, tvb, 0) < 0) {
        col_set_str(pinfo->cinfo, COL_PROTOCOL, p->d->display_name);
        proto_item *pi = proto_tree_add_item(tree, p->proto, tvb, 0, -1, ENC_NA);
        proto_item_append_text(pi, ", %u bytes that start no %s message", tvb_captured_length(tvb),
                               p->d->display_name);
        return (int)tvb_captured_length(tvb);
    }
    return dissect_one_pdu(p, tvb, pinfo, tree, BY_TCP);
}

static int dissect_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb_data)
{
    (void)data;
    tcp_dissect_pdus(tvb, pinfo, tree, TRUE, 1, tcp_pdu_len, dissect_tcp_pdu, cb_data);
    return (int)tvb_captured_length(tvb);
}

/* ---- Heuristics: a protocol takes a conversation when its probe is the
 * most confident of all diagtap probes for these bytes. */

static bool probe_wins(dtws_proto *p, tvbuff_t *tvb, uint32_t transport)
{
    guint len = tvb_captured_length(tvb);
    if (!p->d->probe || len == 0)
        return false;
    const guint8 *data = tvb_get_ptr(tvb, 0, len);
    if (p->d->probe(data, len, DT_DIR_C2S) <= 0)
        return false;
    return dt_registry_probe(dtws_registry, transport, data, len, DT_DIR_C2S) == p->d;
}

static gboolean heur_common(dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, bool tcp)
{
    if (!probe_wins(p, tvb, tcp ? DT_TRANSPORT_TCP : DT_TRANSPORT_UDP))
        return FALSE;
    conversation_set_dissector(find_or_create_conversation(pinfo), tcp ? p->tcp_handle : p->udp_handle);
    if (tcp)
        dissect_tcp(tvb, pinfo, tree, data, p);
    else
        dissect_udp(tvb, pinfo, tree, data, p);
    return TRUE;
}

/* Heuristic dissectors take no user data: one trampoline per protocol slot. */
#define DTWS_MAX_PROTOS 32
static dtws_proto *dtws_heur_slot[DTWS_MAX_PROTOS];

#define HEUR_PAIR(i)                                                                                              \
    static gboolean heur_tcp_##i(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)                 \
    {                                                                                                             \
        return heur_common(dtws_heur_slot[i], tvb, pinfo, tree, data, true);                                      \
    }                                                                                                             \
    static gboolean heur_udp_##i(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)                 \
    {                                                                                                             \
        return heur_common(dtws_heur_slot[i], tvb, pinfo, tree, data, false);                                     \
    }
HEUR_PAIR(0) HEUR_PAIR(1) HEUR_PAIR(2) HEUR_PAIR(3) HEUR_PAIR(4) HEUR_PAIR(5) HEUR_PAIR(6) HEUR_PAIR(7)
HEUR_PAIR(8) HEUR_PAIR(9) HEUR_PAIR(10) HEUR_PAIR(11) HEUR_PAIR(12) HEUR_PAIR(13) HEUR_PAIR(14) HEUR_PAIR(15)
HEUR_PAIR(16) HEUR_PAIR(17) HEUR_PAIR(18) HEUR_PAIR(19) HEUR_PAIR(20) HEUR_PAIR(21) HEUR_PAIR(22) HEUR_PAIR(23)
HEUR_PAIR(24) HEUR_PAIR(25) HEUR_PAIR(26) HEUR_PAIR(27) HEUR_PAIR(28) HEUR_PAIR(29) HEUR_PAIR(30) HEUR_PAIR(31)

#define HEUR_ROW(i) { heur_tcp_##i, heur_udp_##i }
static const heur_dissector_t heur_fns[DTWS_MAX_PROTOS][2] = {
    HEUR_ROW(0),  HEUR_ROW(1),  HEUR_ROW(2),  HEUR_ROW(3),  HEUR_ROW(4),  HEUR_ROW(5),  HEUR_ROW(6),  HEUR_ROW(7),
    HEUR_ROW(8),  HEUR_ROW(9),  HEUR_ROW(10), HEUR_ROW(11), HEUR_ROW(12), HEUR_ROW(13), HEUR_ROW(14), HEUR_ROW(15),
    HEUR_ROW(16), HEUR_ROW(17), HEUR_ROW(18), HEUR_ROW(19), HEUR_ROW(20), HEUR_ROW(21), HEUR_ROW(22), HEUR_ROW(23),
    HEUR_ROW(24), HEUR_ROW(25), HEUR_ROW(26), HEUR_ROW(27), HEUR_ROW(28), HEUR_ROW(29), HEUR_ROW(30), HEUR_ROW(31),
};

/* ---- Registration. */

void dtws_register_handles(dtws_proto *p)
{
    const dt_dissector *d = p->d;
    char name[96];
    /* The name diagtap writes in its exported-PDU records, so its pcapng
     * recordings open decoded (unless Wireshark has a dissector by it). */
    p->pdu_handle = NULL;
    if (!find_dissector(d->name))
        p->pdu_handle = register_dissector_with_data(d->name, dissect_exported, p->proto, p);
    g_snprintf(name, sizeof name, "diagtap_%s_udp", d->name);
    p->udp_handle = register_dissector_with_data(g_strdup(name), dissect_udp, p->proto, p);
    p->tcp_handle = NULL;
    if (d->frame) {
        g_snprintf(name, sizeof name, "diagtap_%s_tcp", d->name);
        p->tcp_handle = register_dissector_with_data(g_strdup(name), dissect_tcp, p->proto, p);
    }
}

static char *port_list(const uint16_t *ports)
{
    GString *s = g_string_new(NULL);
    for (; ports && *ports; ports++)
        g_string_append_printf(s, "%s%u", s->len ? "," : "", *ports);
    return g_string_free(s, FALSE);
}

void dtws_handoff(dtws_proto *p)
{
    static int slot;
    const dt_dissector *d = p->d;
    dissector_handle_t udp = p->udp_handle;

    if (d->transports & DT_TRANSPORT_UDP) {
        char *ports = port_list(d->udp_ports);
        dissector_add_uint_range_with_preference("udp.port", ports, udp);
        g_free(ports);
    } else {
        dissector_add_for_decode_as_with_preference("udp.port", udp);
    }
    if (p->tcp_handle) {
        if (d->tcp_ports && *d->tcp_ports) {
            char *ports = port_list(d->tcp_ports);
            dissector_add_uint_range_with_preference("tcp.port", ports, p->tcp_handle);
            g_free(ports);
        } else {
            dissector_add_for_decode_as_with_preference("tcp.port", p->tcp_handle);
        }
    }
    if (d->probe && slot < DTWS_MAX_PROTOS) {
        int i = slot++;
        dtws_heur_slot[i] = p;
        char *display, *internal;
        if (p->tcp_handle && (d->transports & (DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM))) {
            display = g_strdup_printf("%s over TCP", d->display_name);
            internal = g_strdup_printf("%s_tcp", p->filter_name);
            heur_dissector_add("tcp", heur_fns[i][0], display, internal, p->proto, HEURISTIC_ENABLE);
        }
        if (d->transports & DT_TRANSPORT_UDP) {
            display = g_strdup_printf("%s over UDP", d->display_name);
            internal = g_strdup_printf("%s_udp", p->filter_name);
            heur_dissector_add("udp", heur_fns[i][1], display, internal, p->proto, HEURISTIC_ENABLE);
        }
    }
}
