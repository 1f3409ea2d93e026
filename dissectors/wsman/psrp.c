/* PowerShell Remoting (MS-PSRP) as WS-Management carries it: each payload
 * (creationXml, a Command's arguments, an rsp:Stream) holds fragments
 * (ObjectId u64 BE, FragmentId u64 BE, flags Start/End, BlobLength u32 BE);
 * fragments are put back together per object and direction (bounded), and
 * each complete message (Destination, MessageType, RPID, PID, CLIXML data)
 * is one event, named after its pipeline. The WS-Man dissector hands the
 * payloads over with dt_inner_message(ctx, "psrp", hash(ShellId), ...). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagtap/dissector.h"
#include "psrp_clixml.h"
#include "psrp_names.h"

#define MAX_PARTIAL 8              /* objects being reassembled per runspace pool */
#define MAX_OBJECT (16u << 20)     /* largest reassembled message kept */
#define FRAG_HEADER 21

enum psrp_hf {
    PF_OBJECT_ID,
    PF_FRAGMENT_ID,
    PF_FRAGMENTS,
    PF_DESTINATION,
    PF_MESSAGE_TYPE,
    PF_RPID,
    PF_PID,
    PF_DATA_LEN,
    PF_PIPELINE,
    PF_COMMAND,
    PF_OUTPUT,
    PF_OUTPUT_TYPE,
    PF_ERROR_MESSAGE,
    PF_ERROR_FQID,
    PF_ERROR_CATEGORY,
    PF_ERROR_REASON,
    PF_ERROR_TARGET,
    PF_RECORD_MESSAGE,
    PF_PROGRESS_ACTIVITY,
    PF_PROGRESS_STATUS,
    PF_PROGRESS_PERCENT,
    PF_RUNSPACE_STATE,
    PF_PIPELINE_STATE,
    PF_PROTOCOL_VERSION,
    PF_PS_VERSION,
    PF_SERIALIZATION_VERSION,
    PF_MIN_RUNSPACES,
    PF_MAX_RUNSPACES,
    PF_HOST_METHOD,
    PF_HOST_CALL_ID,
    PF_HOST_PARAM,
    PF_KEY_LENGTH,
    PF__COUNT
};

#define S(abbrev, name, blurb) { abbrev, name, DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, blurb }

static const dt_field_def psrp_hf[PF__COUNT] = {
    [PF_OBJECT_ID] = { "psrp.object_id", "ObjectId", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [PF_FRAGMENT_ID] = { "psrp.fragment_id", "FragmentId", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, "of a fragment still waiting for the rest of its object" },
    [PF_FRAGMENTS] = { "psrp.fragments", "Fragments", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, "fragments this message was reassembled from" },
    [PF_DESTINATION] = { "psrp.destination", "Destination", DT_FT_UINT32, DT_BASE_DEC, psrp_dest_vals, 0, 0, NULL },
    [PF_MESSAGE_TYPE] = { "psrp.message_type", "MessageType", DT_FT_UINT32, DT_BASE_HEX, psrp_type_vals, 0, DT_FF_VALS_SORTED, NULL },
    [PF_RPID] = { "psrp.rpid", "RunspacePool ID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, "equals the WS-Man ShellId" },
    [PF_PID] = { "psrp.pid", "Pipeline ID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, "equals the WS-Man CommandId" },
    [PF_DATA_LEN] = { "psrp.data_length", "Data length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, "bytes of CLIXML" },
    [PF_PIPELINE] = S("psrp.pipeline", "Pipeline", "the commands of CREATE_PIPELINE as one line"),
    [PF_COMMAND] = S("psrp.command", "Command", "one command with its parameters"),
    [PF_OUTPUT] = S("psrp.output", "Output", "an output object's value or ToString"),
    [PF_OUTPUT_TYPE] = S("psrp.output_type", "Output type", NULL),
    [PF_ERROR_MESSAGE] = S("psrp.error.message", "Error message", NULL),
    [PF_ERROR_FQID] = S("psrp.error.fqid", "FullyQualifiedErrorId", NULL),
    [PF_ERROR_CATEGORY] = { "psrp.error.category", "Error category", DT_FT_INT32, DT_BASE_DEC, psrp_error_category_vals, 0, 0, NULL },
    [PF_ERROR_REASON] = S("psrp.error.reason", "Error category reason", NULL),
    [PF_ERROR_TARGET] = S("psrp.error.target", "Error target", NULL),
    [PF_RECORD_MESSAGE] = S("psrp.record.message", "Record message", "debug, verbose, warning or information text"),
    [PF_PROGRESS_ACTIVITY] = S("psrp.progress.activity", "Progress activity", NULL),
    [PF_PROGRESS_STATUS] = S("psrp.progress.status", "Progress status", NULL),
    [PF_PROGRESS_PERCENT] = { "psrp.progress.percent", "Percent complete", DT_FT_INT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [PF_RUNSPACE_STATE] = { "psrp.runspace_state", "RunspacePool state", DT_FT_INT32, DT_BASE_DEC, psrp_runspace_state_vals, 0, 0, NULL },
    [PF_PIPELINE_STATE] = { "psrp.pipeline_state", "Pipeline state", DT_FT_INT32, DT_BASE_DEC, psrp_pipeline_state_vals, 0, 0, NULL },
    [PF_PROTOCOL_VERSION] = S("psrp.protocol_version", "Protocol version", NULL),
    [PF_PS_VERSION] = S("psrp.ps_version", "PSVersion", NULL),
    [PF_SERIALIZATION_VERSION] = S("psrp.serialization_version", "SerializationVersion", NULL),
    [PF_MIN_RUNSPACES] = { "psrp.min_runspaces", "MinRunspaces", DT_FT_INT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [PF_MAX_RUNSPACES] = { "psrp.max_runspaces", "MaxRunspaces", DT_FT_INT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [PF_HOST_METHOD] = S("psrp.host.method", "Host method", "RUNSPACEPOOL/PIPELINE_HOST_CALL method (WriteLine2, ReadLine, ...)"),
    [PF_HOST_CALL_ID] = { "psrp.host.call_id", "Host call id", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [PF_HOST_PARAM] = S("psrp.host.parameter", "Host call parameter", "the first string parameter"),
    [PF_KEY_LENGTH] = { "psrp.key_length", "Key blob length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, "base64 characters of PUBLIC_KEY / ENCRYPTED_SESSION_KEY (the key is not shown)" },
};
#define PF(id) (&psrp_hf[id])

typedef struct partial {
    bool used;
    uint8_t dir;
    uint64_t oid;
    uint64_t next_fid;
    uint32_t fragments;
    uint64_t tick;
    uint8_t *buf;
    size_t len, cap;
    bool overflow;
} partial;

typedef struct psrp_conv {
    partial part[MAX_PARTIAL];
    psrp_clixml *xml;
    psrp_info info;
    uint64_t tick;
} psrp_conv;

typedef struct pstate {
    dt_ctx *ctx;
    psrp_conv *c;
    int events;      /* messages emitted from this payload */
    bool note_only;  /* the current event holds notes, not a message yet */
} pstate;

/* The GUIDs are written in RFC 4122 byte order (they then read the same as
 * the ShellId and CommandId in WS-Man); dt_guid stores Microsoft's layout. */
static void add_guid_be(dt_ctx *ctx, int hf, size_t off, const uint8_t *b)
{
    dt_guid g;
    g.b[0] = b[3];
    g.b[1] = b[2];
    g.b[2] = b[1];
    g.b[3] = b[0];
    g.b[4] = b[5];
    g.b[5] = b[4];
    g.b[6] = b[7];
    g.b[7] = b[6];
    memcpy(g.b + 8, b + 8, 8);
    dt_add_guid(ctx, NULL, PF(hf), off, &g);
}

static bool zero16(const uint8_t *b)
{
    for (int i = 0; i < 16; i++)
        if (b[i])
            return false;
    return true;
}

static long long num(const psrp_val *v)
{
    return v->set ? strtoll(v->s, NULL, 10) : 0;
}

static void add_val(dt_ctx *ctx, int hf, const psrp_val *v)
{
    if (v->set && v->s[0])
        dt_add_string(ctx, NULL, PF(hf), 0, 0, v->s, strlen(v->s));
}

static void summary_text(dt_ctx *ctx, const char *label, const char *s)
{
    char buf[160];
    size_t n = strlen(s);
    snprintf(buf, sizeof buf, "%.120s%s", s, n > 120 ? "…" : "");
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    dt_summary_append(ctx, " %s%s", label, buf);
}

/* Starts the event for the next message: the payload's first message uses
 * the event wsman opened for it; later ones get their own. */
static void begin_message(pstate *st)
{
    if (st->events > 0 && !st->note_only)
        dt_next_event(st->ctx);
    st->note_only = false;
    st->events++;
}

static void error_info(dt_ctx *ctx, const psrp_info *in)
{
    const char *msg = in->message.set ? in->message.s : in->top.s;
    if (msg[0])
        dt_add_string(ctx, NULL, PF(PF_ERROR_MESSAGE), 0, 0, msg, strlen(msg));
    add_val(ctx, PF_ERROR_FQID, &in->fqid);
    if (in->category.set)
        dt_add_int(ctx, NULL, PF(PF_ERROR_CATEGORY), 0, 0, num(&in->category));
    add_val(ctx, PF_ERROR_REASON, &in->category_reason);
    add_val(ctx, PF_ERROR_TARGET, &in->category_target);
    if (msg[0])
        summary_text(ctx, "", msg);
    if (in->fqid.set) {
        const char *cat = in->category.set ? dt_value_name_find(psrp_error_category_vals, (uint64_t)num(&in->category), false)
                                           : NULL;
        dt_summary_append(ctx, " (%s%s%s)", in->fqid.s, cat ? ", " : "", cat ? cat : "");
    }
}

static void message(pstate *st, const uint8_t *p, size_t len, size_t off, uint64_t oid, uint32_t fragments)
{
    dt_ctx *ctx = st->ctx;
    psrp_conv *c = st->c;
    begin_message(st);
    dt_cursor cur = dt_cursor_make(p, len);
    cur.base = off;
    dt_add_uint(ctx, NULL, PF(PF_OBJECT_ID), 0, 0, oid);
    if (fragments > 1)
        dt_add_uint(ctx, NULL, PF(PF_FRAGMENTS), 0, 0, fragments);
    if (len < 40) {
        dt_summary(ctx, "PSRP object %" PRIu64 ": %zu bytes, too short for a message header", oid, len);
        dt_malformed(ctx, off, "PSRP message of %zu bytes: the header needs 40", len);
        return;
    }
    uint32_t dest, type;
    dt_add_u32le(ctx, NULL, PF(PF_DESTINATION), &cur, &dest);
    dt_add_u32le(ctx, NULL, PF(PF_MESSAGE_TYPE), &cur, &type);
    const uint8_t *rpid = dt_cur_bytes(&cur, 16);
    const uint8_t *pid = dt_cur_bytes(&cur, 16);
    add_guid_be(ctx, PF_RPID, off + 8, rpid);
    bool has_pid = !zero16(pid);
    if (has_pid)
        add_guid_be(ctx, PF_PID, off + 24, pid);
    size_t dlen = dt_cur_left(&cur);
    const uint8_t *data = dt_cur_bytes(&cur, dlen);
    dt_add_uint(ctx, NULL, PF(PF_DATA_LEN), off + 40, dlen, dlen);

    const char *tname = psrp_type_name(type);
    char tbuf[32];
    if (!tname) {
        snprintf(tbuf, sizeof tbuf, "0x%08x", type);
        tname = tbuf;
    }
    dt_summary(ctx, "%s", tname);
    dt_stats_key(ctx, tname);
    if (has_pid) {
        char g[40];
        snprintf(g, sizeof g, "%02X%02X%02X%02X", pid[0], pid[1], pid[2], pid[3]);
        dt_summary_append(ctx, " [pipeline %s]", g);
    }

    if (!c->xml && !(c->xml = psrp_clixml_new())) {
        dt_malformed(ctx, off + 40, "out of memory for the CLIXML parser");
        return;
    }
    psrp_info *in = &c->info;
    bool ok = dlen ? psrp_clixml_parse(c->xml, data, dlen, in) : (memset(in, 0, sizeof *in), true);

    switch (type) {
    case PSRP_SESSION_CAPABILITY:
        add_val(ctx, PF_PROTOCOL_VERSION, &in->protocol_version);
        add_val(ctx, PF_PS_VERSION, &in->ps_version);
        add_val(ctx, PF_SERIALIZATION_VERSION, &in->serialization_version);
        dt_summary_append(ctx, " protocol %s, PowerShell %s", in->protocol_version.s, in->ps_version.s);
        break;
    case PSRP_INIT_RUNSPACEPOOL:
    case PSRP_CONNECT_RUNSPACEPOOL:
    case PSRP_RUNSPACEPOOL_INIT_DATA:
    case PSRP_SET_MAX_RUNSPACES:
    case PSRP_SET_MIN_RUNSPACES:
        if (in->min_runspaces.set) {
            dt_add_int(ctx, NULL, PF(PF_MIN_RUNSPACES), 0, 0, num(&in->min_runspaces));
            dt_summary_append(ctx, " min %lld", num(&in->min_runspaces));
        }
        if (in->max_runspaces.set) {
            dt_add_int(ctx, NULL, PF(PF_MAX_RUNSPACES), 0, 0, num(&in->max_runspaces));
            dt_summary_append(ctx, " max %lld", num(&in->max_runspaces));
        }
        break;
    case PSRP_RUNSPACEPOOL_STATE: {
        long long s = num(&in->runspace_state);
        const char *n = dt_value_name_find(psrp_runspace_state_vals, (uint64_t)s, false);
        if (in->runspace_state.set)
            dt_add_int(ctx, NULL, PF(PF_RUNSPACE_STATE), 0, 0, s);
        dt_summary_append(ctx, " %s", n ? n : in->runspace_state.s);
        if (s == 5) {
            dt_status(ctx, "Broken", true);
            error_info(ctx, in);
        }
        break;
    }
    case PSRP_PIPELINE_STATE: {
        long long s = num(&in->pipeline_state);
        const char *n = dt_value_name_find(psrp_pipeline_state_vals, (uint64_t)s, false);
        if (in->pipeline_state.set)
            dt_add_int(ctx, NULL, PF(PF_PIPELINE_STATE), 0, 0, s);
        dt_summary_append(ctx, " %s", n ? n : in->pipeline_state.s);
        if (s == 5) { /* Failed: ExceptionAsErrorRecord says why */
            dt_status(ctx, "Failed", true);
            error_info(ctx, in);
        }
        break;
    }
    case PSRP_CREATE_PIPELINE:
        if (in->pipeline[0]) {
            dt_add_string(ctx, NULL, PF(PF_PIPELINE), 0, 0, in->pipeline, strlen(in->pipeline));
            summary_text(ctx, "", in->pipeline);
        }
        for (int i = 0; i < in->n_commands; i++)
            dt_add_string(ctx, NULL, PF(PF_COMMAND), 0, 0, in->commands[i], strlen(in->commands[i]));
        break;
    case PSRP_PIPELINE_OUTPUT:
    case PSRP_PIPELINE_INPUT:
        if (in->top.set) {
            dt_add_string(ctx, NULL, PF(PF_OUTPUT), 0, 0, in->top.s, strlen(in->top.s));
            summary_text(ctx, "", in->top.s);
        } else if (in->top_tag[0] && strcmp(in->top_tag, "Nil") == 0)
            dt_summary_append(ctx, " $null");
        if (in->top_type[0])
            dt_add_string(ctx, NULL, PF(PF_OUTPUT_TYPE), 0, 0, in->top_type, strlen(in->top_type));
        break;
    case PSRP_ERROR_RECORD:
        dt_status(ctx, in->fqid.set ? in->fqid.s : "ERROR_RECORD", true);
        error_info(ctx, in);
        break;
    case PSRP_DEBUG_RECORD:
    case PSRP_VERBOSE_RECORD:
    case PSRP_WARNING_RECORD:
    case PSRP_INFORMATION_RECORD: {
        const psrp_val *m = in->info_message.set ? &in->info_message
                            : in->message_data.set ? &in->message_data
                                                   : &in->top;
        if (m->set) {
            dt_add_string(ctx, NULL, PF(PF_RECORD_MESSAGE), 0, 0, m->s, strlen(m->s));
            summary_text(ctx, "", m->s);
        }
        break;
    }
    case PSRP_PROGRESS_RECORD:
        add_val(ctx, PF_PROGRESS_ACTIVITY, &in->activity);
        add_val(ctx, PF_PROGRESS_STATUS, &in->status_description);
        if (in->percent.set)
            dt_add_int(ctx, NULL, PF(PF_PROGRESS_PERCENT), 0, 0, num(&in->percent));
        dt_summary_append(ctx, " %s: %s (%lld%%)", in->activity.s, in->status_description.s, num(&in->percent));
        break;
    case PSRP_RUNSPACEPOOL_HOST_CALL:
    case PSRP_PIPELINE_HOST_CALL:
    case PSRP_RUNSPACEPOOL_HOST_RESPONSE:
    case PSRP_PIPELINE_HOST_RESPONSE:
        add_val(ctx, PF_HOST_METHOD, &in->method);
        if (in->call_id.set)
            dt_add_int(ctx, NULL, PF(PF_HOST_CALL_ID), 0, 0, num(&in->call_id));
        add_val(ctx, PF_HOST_PARAM, &in->host_param);
        if (in->method.set)
            dt_summary_append(ctx, " %s", in->method.s);
        if (in->host_param.set)
            summary_text(ctx, "", in->host_param.s);
        break;
    case PSRP_PUBLIC_KEY:
    case PSRP_ENCRYPTED_SESSION_KEY: {
        const psrp_val *k = type == PSRP_PUBLIC_KEY ? &in->public_key : &in->session_key;
        if (k->set) {
            dt_add_uint(ctx, NULL, PF(PF_KEY_LENGTH), 0, 0, strlen(k->s));
            dt_summary_append(ctx, " (%zu base64 characters)", strlen(k->s));
        }
        break;
    }
    case PSRP_RUNSPACE_AVAILABILITY:
        if (in->set_minmax.set)
            dt_summary_append(ctx, " %s", in->set_minmax.s);
        break;
    default:
        break;
    }
    if (!ok)
        dt_malformed(ctx, off + 40 + (size_t)in->error_off, "%s at offset %" PRIu64 " of the message data", in->error,
                     in->error_off);
}

static partial *find_partial(psrp_conv *c, dt_dir dir, uint64_t oid)
{
    for (int i = 0; i < MAX_PARTIAL; i++)
        if (c->part[i].used && c->part[i].dir == dir && c->part[i].oid == oid)
            return &c->part[i];
    return NULL;
}

static partial *new_partial(pstate *st, dt_dir dir, uint64_t oid)
{
    psrp_conv *c = st->c;
    partial *p = &c->part[0];
    for (int i = 0; i < MAX_PARTIAL; i++) {
        if (!c->part[i].used) {
            p = &c->part[i];
            break;
        }
        if (c->part[i].tick < p->tick)
            p = &c->part[i];
    }
    if (p->used)
        dt_malformed(st->ctx, 0, "more than %d PSRP objects in reassembly: object %" PRIu64 " dropped (its end never came)",
                     MAX_PARTIAL, p->oid);
    p->used = true;
    p->dir = (uint8_t)dir;
    p->oid = oid;
    p->next_fid = 0;
    p->fragments = 0;
    p->len = 0;
    p->overflow = false;
    p->tick = ++c->tick;
    return p;
}

static void append_partial(pstate *st, partial *p, const uint8_t *b, size_t n)
{
    if (p->overflow)
        return;
    if (p->len + n > MAX_OBJECT) {
        p->overflow = true;
        dt_malformed(st->ctx, 0, "PSRP object %" PRIu64 " is larger than %u MiB; not reassembled", p->oid,
                     MAX_OBJECT >> 20);
        return;
    }
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n)
            cap *= 2;
        uint8_t *nb = realloc(p->buf, cap);
        if (!nb) {
            p->overflow = true;
            return;
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, b, n);
    p->len += n;
}

static void psrp_dissect(dt_ctx *ctx)
{
    psrp_conv *c = ctx->conv;
    pstate st = { .ctx = ctx, .c = c };
    dt_cursor cur = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    uint64_t waiting_oid = 0, waiting_fid = 0;
    bool waiting = false;
    while (!dt_cur_eof(&cur)) {
        size_t at = dt_cur_offset(&cur);
        if (dt_cur_left(&cur) < FRAG_HEADER) {
            dt_malformed(ctx, at, "PSRP fragment header truncated: %zu bytes at offset %zu, 21 needed", dt_cur_left(&cur), at);
            break;
        }
        uint64_t oid = dt_cur_u64be(&cur);
        uint64_t fid = dt_cur_u64be(&cur);
        uint8_t flags = dt_cur_u8(&cur);
        uint32_t blen = dt_cur_u32be(&cur);
        if (blen > dt_cur_left(&cur)) {
            dt_malformed(ctx, at, "PSRP fragment (object %" PRIu64 ", fragment %" PRIu64 ") claims %u bytes, %zu left",
                         oid, fid, blen, dt_cur_left(&cur));
            break;
        }
        const uint8_t *blob = dt_cur_bytes(&cur, blen);
        size_t boff = at + FRAG_HEADER;
        bool start = flags & 1, end = flags & 2;
        partial *p = find_partial(c, ctx->dir, oid);
        if (start) {
            if (p) {
                dt_malformed(ctx, at, "PSRP object %" PRIu64 ": a new start after fragment %" PRIu64
                             "; the earlier fragments are dropped (missing end)", oid, p->next_fid - 1);
                p->used = false;
            }
            if (fid != 0)
                dt_malformed(ctx, at, "PSRP object %" PRIu64 ": start fragment numbered %" PRIu64, oid, fid);
            if (end) { /* a whole message in one fragment: dissected in place */
                message(&st, blob, blen, boff, oid, 1);
                continue;
            }
            p = new_partial(&st, ctx->dir, oid);
            p->next_fid = fid + 1;
            p->fragments = 1;
            append_partial(&st, p, blob, blen);
            waiting = true;
            waiting_oid = oid;
            waiting_fid = fid;
            continue;
        }
        if (!p) {
            dt_malformed(ctx, at, "PSRP object %" PRIu64 " fragment %" PRIu64 ": its start is missing; skipped", oid, fid);
            continue;
        }
        if (fid != p->next_fid) {
            dt_malformed(ctx, at, "PSRP object %" PRIu64 ": fragment %" PRIu64 " came where %" PRIu64
                         " was expected (fragments missing); object dropped", oid, fid, p->next_fid);
            p->used = false;
            continue;
        }
        p->next_fid++;
        p->fragments++;
        p->tick = ++c->tick;
        append_partial(&st, p, blob, blen);
        if (end) {
            p->used = false;
            if (!p->overflow)
                message(&st, p->buf, p->len, 0, oid, p->fragments);
            waiting = false;
        } else {
            waiting = true;
            waiting_oid = oid;
            waiting_fid = fid;
        }
    }
    if (st.events == 0) {
        /* nothing complete here: say what is waiting */
        if (waiting) {
            dt_add_uint(ctx, NULL, PF(PF_OBJECT_ID), 0, 0, waiting_oid);
            dt_add_uint(ctx, NULL, PF(PF_FRAGMENT_ID), 0, 0, waiting_fid);
            dt_summary(ctx, "fragment %" PRIu64 " of object %" PRIu64 " (%zu bytes); the message continues", waiting_fid,
                       waiting_oid, ctx->pdu_len);
        } else
            dt_summary(ctx, "%zu bytes, no complete PSRP message", ctx->pdu_len);
        dt_stats_key(ctx, "fragment");
    }
}

static void psrp_conv_free(void *conv)
{
    psrp_conv *c = conv;
    for (int i = 0; i < MAX_PARTIAL; i++)
        free(c->part[i].buf);
    psrp_clixml_free(c->xml);
}

/* Objects whose end never came are reported when the runspace pool's
 * conversation ends, so a cut capture says what it lost. */
static void psrp_conv_end(dt_ctx *ctx)
{
    psrp_conv *c = ctx->conv;
    int n = 0;
    for (int i = 0; i < MAX_PARTIAL; i++)
        if (c->part[i].used) {
            if (!n)
                dt_summary(ctx, "PSRP objects never completed:");
            dt_summary_append(ctx, " %" PRIu64 " (%u fragments, %zu bytes)", c->part[i].oid, c->part[i].fragments,
                              c->part[i].len);
            n++;
        }
    if (n)
        dt_malformed(ctx, 0, "%d PSRP object%s incomplete at the end of the conversation", n, n == 1 ? "" : "s");
}

const dt_dissector psrp_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "psrp",
    .display_name = "PSRP",
    .description = "PowerShell Remoting Protocol (MS-PSRP) inside WinRM: fragments, messages, pipelines, error records",
    .fields = psrp_hf,
    .n_fields = PF__COUNT,
    .transports = DT_TRANSPORT_INNER,
    .dissect = psrp_dissect,
    .conv_size = sizeof(psrp_conv),
    .conv_free = psrp_conv_free,
    .conv_end = psrp_conv_end,
};
