/* The .NET diagnostics IPC protocol: framing, requests, responses, the
 * advertise message, and the continuations that follow some responses (the
 * EventPipe stream after CollectTracing, the environment block after
 * ProcessEnvironment). One request per connection; responses come in order,
 * so the nth response answers the nth request. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ipc.h"

#define STR_MAX 1024

/* ---- Framing. */

static long frame_messages(const uint8_t *d, size_t avail)
{
    size_t k = avail < ADVR_MAGIC_LEN ? avail : ADVR_MAGIC_LEN;
    if (memcmp(d, ADVR_MAGIC, k) == 0)
        return avail < ADVR_MAGIC_LEN ? DT_FRAME_NEED_MORE : ADVR_LEN;
    k = avail < IPC_MAGIC_LEN ? avail : IPC_MAGIC_LEN;
    if (memcmp(d, IPC_MAGIC, k) == 0) {
        if (avail < IPC_MAGIC_LEN + 2)
            return DT_FRAME_NEED_MORE;
        uint16_t size = (uint16_t)(d[14] | d[15] << 8);
        /* a size below the header's own is framed as a bare header and reported */
        return size < IPC_HEADER_LEN ? IPC_HEADER_LEN : size;
    }
    /* Not a message: frame the bytes up to the next magic as one bad PDU,
     * so the dissector can say what was wrong and where. */
    for (size_t i = 1; i < avail; i++) {
        size_t left = avail - i;
        size_t n1 = left < IPC_MAGIC_LEN ? left : IPC_MAGIC_LEN;
        size_t n2 = left < ADVR_MAGIC_LEN ? left : ADVR_MAGIC_LEN;
        if (memcmp(d + i, IPC_MAGIC, n1) == 0 || memcmp(d + i, ADVR_MAGIC, n2) == 0)
            return (long)i;
    }
    return (long)avail;
}

static long ipc_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    ipc_conv *st = conv;
    if (avail == 0)
        return DT_FRAME_NEED_MORE;
    switch (st->mode[dir]) {
    case IPC_MODE_NETTRACE:
        return nt_frame(&st->nt[dir], data, avail);
    case IPC_MODE_ENVIRON:
        return st->environ_len[dir] ? (long)st->environ_len[dir] : (long)avail;
    case IPC_MODE_OPAQUE:
        return (long)avail;
    case IPC_MODE_MESSAGES:
    default:
        return frame_messages(data, avail);
    }
}

static int ipc_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    if (len >= IPC_MAGIC_LEN && memcmp(data, IPC_MAGIC, IPC_MAGIC_LEN) == 0)
        return 100;
    if (len >= ADVR_MAGIC_LEN && memcmp(data, ADVR_MAGIC, ADVR_MAGIC_LEN) == 0)
        return 100;
    return 0;
}

/* ---- Payload helpers. */

/* string = uint32 length in UTF-16 units (terminator included), then the units. */
static bool add_string(dt_ctx *ctx, dt_field *parent, int fi, dt_cursor *c, char *out, size_t outsz)
{
    size_t off = dt_cur_offset(c);
    uint32_t n = dt_cur_u32le(c);
    if (!dt_cur_ok(c) || n > dt_cur_left(c) / 2) {
        c->overrun = true;
        out[0] = '\0';
        return false;
    }
    dt_cur_utf16le(c, (size_t)n * 2, out, outsz);
    dt_add_string(ctx, parent, &ipc_fields[fi], off, 4 + (size_t)n * 2, out, strlen(out));
    return dt_cur_ok(c);
}

static bool add_bool8(dt_ctx *ctx, dt_field *parent, int fi, dt_cursor *c, bool *out)
{
    size_t off = dt_cur_offset(c);
    uint8_t v = dt_cur_u8(c);
    *out = v != 0;
    if (!dt_cur_ok(c))
        return false;
    dt_add_uint(ctx, parent, &ipc_fields[fi], off, 1, v != 0);
    return true;
}

static const char *level_name(uint32_t level)
{
    static const char *const names[] = { "LogAlways", "Critical", "Error", "Warning", "Informational", "Verbose" };
    return level < 6 ? names[level] : "?";
}

static void add_uint_array(dt_ctx *ctx, dt_field *parent, int fi, dt_cursor *c)
{
    uint32_t n = dt_cur_u32le(c);
    if (n > dt_cur_left(c) / 4) {
        c->overrun = true;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        dt_add_u32le(ctx, parent, &ipc_fields[fi], c, NULL);
}

/* provider_config: keywords, level, name, arguments [, event_filter [, tracepoint_config]]. */
static void dissect_providers(dt_ctx *ctx, dt_cursor *c, bool with_filter, bool with_tracepoints)
{
    uint32_t n;
    dt_add_u32le(ctx, NULL, &ipc_fields[IF_EP_PROVIDER_COUNT], c, &n);
    if (n > dt_cur_left(c) / 12) {
        dt_malformed(ctx, dt_cur_offset(c), "provider count %u larger than the payload allows", n);
        return;
    }
    dt_summary_append(ctx, " providers:");
    for (uint32_t i = 0; i < n && dt_cur_ok(c); i++) {
        size_t off = dt_cur_offset(c);
        dt_field *p = dt_add_none(ctx, NULL, &ipc_fields[IF_PROV], off, 0);
        uint64_t kw;
        uint32_t level;
        char name[STR_MAX], args[STR_MAX];
        dt_add_u64le(ctx, p, &ipc_fields[IF_PROV_KEYWORDS], c, &kw);
        dt_add_u32le(ctx, p, &ipc_fields[IF_PROV_LEVEL], c, &level);
        add_string(ctx, p, IF_PROV_NAME, c, name, sizeof name);
        add_string(ctx, p, IF_PROV_ARGS, c, args, sizeof args);
        dt_summary_append(ctx, "%s %s:0x%" PRIx64 ":%s", i ? "," : "", name, kw, level_name(level));
        if (args[0])
            dt_summary_append(ctx, ":%s", args);
        if (with_filter) {
            bool enable;
            add_bool8(ctx, p, IF_PROV_FILTER_ENABLE, c, &enable);
            add_uint_array(ctx, p, IF_PROV_FILTER_EVENT_ID, c);
        }
        if (with_tracepoints) {
            char tp[STR_MAX];
            add_string(ctx, p, IF_PROV_TP_DEFAULT, c, tp, sizeof tp);
            uint32_t sets = dt_cur_u32le(c);
            for (uint32_t k = 0; k < sets && dt_cur_ok(c); k++) {
                add_string(ctx, p, IF_PROV_TP_NAME, c, tp, sizeof tp);
                add_uint_array(ctx, p, IF_PROV_TP_EVENT_ID, c);
            }
        }
        if (p)
            p->length = (uint32_t)(dt_cur_offset(c) - off);
    }
}

static void dissect_collect(dt_ctx *ctx, uint16_t cmd, dt_cursor *c, ipc_pending *pend)
{
    uint32_t buf = 0, format = 0, session_type = 0;
    bool rundown, stackwalk;
    uint64_t rundown_kw;
    if (cmd >= IPC_COLLECT_TRACING5) {
        dt_add_u32le(ctx, NULL, &ipc_fields[IF_EP_SESSION_TYPE], c, &session_type);
        if (session_type == 1) {
            pend->user_events = true;
            dt_add_u64le(ctx, NULL, &ipc_fields[IF_EP_RUNDOWN_KEYWORD], c, &rundown_kw);
            dt_summary_append(ctx, " user_events session, rundown keyword 0x%" PRIx64 ";", rundown_kw);
            dissect_providers(ctx, c, true, true);
            return;
        }
    }
    dt_add_u32le(ctx, NULL, &ipc_fields[IF_EP_BUFFER_MB], c, &buf);
    dt_add_u32le(ctx, NULL, &ipc_fields[IF_EP_FORMAT], c, &format);
    dt_summary_append(ctx, " buffer=%uMB format=%s", buf, format == 1 ? "NetTrace" : format == 0 ? "NetPerf" : "?");
    if (cmd == IPC_COLLECT_TRACING2 || cmd == IPC_COLLECT_TRACING3) {
        add_bool8(ctx, NULL, IF_EP_RUNDOWN, c, &rundown);
        dt_summary_append(ctx, " rundown=%s", rundown ? "true" : "false");
    }
    if (cmd >= IPC_COLLECT_TRACING4) {
        dt_add_u64le(ctx, NULL, &ipc_fields[IF_EP_RUNDOWN_KEYWORD], c, &rundown_kw);
        dt_summary_append(ctx, " rundown_keyword=0x%" PRIx64, rundown_kw);
    }
    if (cmd >= IPC_COLLECT_TRACING3) {
        add_bool8(ctx, NULL, IF_EP_STACKWALK, c, &stackwalk);
        dt_summary_append(ctx, " stacks=%s", stackwalk ? "true" : "false");
    }
    dissect_providers(ctx, c, cmd >= IPC_COLLECT_TRACING5, false);
    if (cmd == IPC_COLLECT_TRACING6) {
        uint32_t mode;
        if (dt_add_u32le(ctx, NULL, &ipc_fields[IF_EP_BUFFERING_MODE], c, &mode))
            dt_summary_append(ctx, " buffering=%s", mode == 0 ? "Drop" : mode == 1 ? "Block" : "?");
    }
}

static void dissect_request(dt_ctx *ctx, uint16_t cmd, dt_cursor *c, ipc_pending *pend)
{
    char s1[STR_MAX], s2[STR_MAX];
    uint32_t u;
    switch (cmd) {
    case IPC_STOP_TRACING: {
        uint64_t id;
        if (dt_add_u64le(ctx, NULL, &ipc_fields[IF_SESSION_ID], c, &id))
            dt_summary_append(ctx, " session 0x%" PRIx64, id);
        break;
    }
    case IPC_COLLECT_TRACING:
    case IPC_COLLECT_TRACING2:
    case IPC_COLLECT_TRACING3:
    case IPC_COLLECT_TRACING4:
    case IPC_COLLECT_TRACING5:
    case IPC_COLLECT_TRACING6:
        dissect_collect(ctx, cmd, c, pend);
        break;
    case IPC_GENERATE_CORE_DUMP:
    case IPC_GENERATE_CORE_DUMP2:
    case IPC_GENERATE_CORE_DUMP3: {
        add_string(ctx, NULL, IF_DUMP_NAME, c, s1, sizeof s1);
        uint32_t type;
        dt_add_u32le(ctx, NULL, &ipc_fields[IF_DUMP_TYPE], c, &type);
        const char *tn = dt_field_value_name(&ipc_fields[IF_DUMP_TYPE], type);
        dt_summary_append(ctx, " %s dump to %s", tn ? tn : "unknown", s1);
        if (cmd == IPC_GENERATE_CORE_DUMP) {
            if (dt_add_u32le(ctx, NULL, &ipc_fields[IF_DUMP_DIAGNOSTICS], c, &u) && u)
                dt_summary_append(ctx, " (diagnostics logged)");
        } else {
            dt_field *f = dt_add_u32le(ctx, NULL, &ipc_fields[IF_DUMP_FLAGS], c, &u);
            if (f) {
                size_t off = f->offset;
                dt_add_uint(ctx, f, &ipc_fields[IF_DUMP_FLAG_LOG], off, 4, u & 1);
                dt_add_uint(ctx, f, &ipc_fields[IF_DUMP_FLAG_VERBOSE], off, 4, (u >> 1) & 1);
                dt_add_uint(ctx, f, &ipc_fields[IF_DUMP_FLAG_CRASHREPORT], off, 4, (u >> 2) & 1);
                dt_summary_append(ctx, " flags=0x%x%s%s%s", u, u & 1 ? " logging" : "", u & 2 ? " verbose" : "",
                                  u & 4 ? " crashreport" : "");
            }
        }
        break;
    }
    case IPC_ATTACH_PROFILER: {
        dt_add_u32le(ctx, NULL, &ipc_fields[IF_PROF_TIMEOUT], c, &u);
        dt_add_guid_cur(ctx, NULL, &ipc_fields[IF_PROF_GUID], c);
        add_string(ctx, NULL, IF_PROF_PATH, c, s1, sizeof s1);
        size_t off = dt_cur_offset(c);
        uint32_t n = dt_cur_u32le(c);
        const uint8_t *b = dt_cur_bytes(c, n);
        if (b)
            dt_add_bytes(ctx, NULL, &ipc_fields[IF_PROF_DATA], off, 4 + (size_t)n, b, n);
        dt_summary_append(ctx, " %s (timeout %u, %u bytes of client data)", s1, u, n);
        break;
    }
    case IPC_STARTUP_PROFILER:
        dt_add_guid_cur(ctx, NULL, &ipc_fields[IF_PROF_GUID], c);
        add_string(ctx, NULL, IF_PROF_PATH, c, s1, sizeof s1);
        dt_summary_append(ctx, " %s", s1);
        break;
    case IPC_SET_ENV_VAR:
        add_string(ctx, NULL, IF_ENV_NAME, c, s1, sizeof s1);
        add_string(ctx, NULL, IF_ENV_VALUE, c, s2, sizeof s2);
        dt_summary_append(ctx, " %s=%s", s1, s2);
        break;
    case IPC_ENABLE_PERF_MAP: {
        if (dt_add_u32le(ctx, NULL, &ipc_fields[IF_PERFMAP_TYPE], c, &u)) {
            const char *n = dt_field_value_name(&ipc_fields[IF_PERFMAP_TYPE], u);
            dt_summary_append(ctx, " %s", n ? n : "unknown type");
        }
        break;
    }
    case IPC_APPLY_STARTUP_HOOK:
        add_string(ctx, NULL, IF_STARTUP_HOOK, c, s1, sizeof s1);
        dt_summary_append(ctx, " %s", s1);
        break;
    case IPC_PROCESS_INFO:
    case IPC_PROCESS_INFO2:
    case IPC_PROCESS_INFO3:
    case IPC_RESUME_RUNTIME:
    case IPC_PROCESS_ENVIRONMENT:
    case IPC_DISABLE_PERF_MAP:
        break;
    default:
        if (dt_cur_left(c)) {
            size_t n = dt_cur_left(c);
            dt_add_bytes(ctx, NULL, &ipc_fields[IF_PAYLOAD], dt_cur_offset(c), n, dt_cur_bytes(c, n), n);
        }
        break;
    }
}

static void dissect_process_info(dt_ctx *ctx, uint16_t cmd, dt_cursor *c)
{
    char cmdline[STR_MAX], os[64], arch[64], entry[256], version[128], rid[128];
    uint64_t pid;
    entry[0] = version[0] = rid[0] = '\0';
    if (cmd == IPC_PROCESS_INFO3)
        dt_add_u32le(ctx, NULL, &ipc_fields[IF_PROC_INFO_VERSION], c, NULL);
    dt_add_u64le(ctx, NULL, &ipc_fields[IF_PROC_PID], c, &pid);
    dt_add_guid_cur(ctx, NULL, &ipc_fields[IF_PROC_COOKIE], c);
    add_string(ctx, NULL, IF_PROC_CMDLINE, c, cmdline, sizeof cmdline);
    add_string(ctx, NULL, IF_PROC_OS, c, os, sizeof os);
    add_string(ctx, NULL, IF_PROC_ARCH, c, arch, sizeof arch);
    if (cmd != IPC_PROCESS_INFO) {
        add_string(ctx, NULL, IF_PROC_ENTRY_ASSEMBLY, c, entry, sizeof entry);
        add_string(ctx, NULL, IF_PROC_RUNTIME_VERSION, c, version, sizeof version);
    }
    if (cmd == IPC_PROCESS_INFO3)
        add_string(ctx, NULL, IF_PROC_RID, c, rid, sizeof rid);
    dt_summary_append(ctx, " pid %" PRIu64 " %s/%s", pid, os, arch);
    if (version[0])
        dt_summary_append(ctx, " .NET %s", version);
    if (rid[0])
        dt_summary_append(ctx, " (%s)", rid);
    if (entry[0])
        dt_summary_append(ctx, " %s", entry);
    dt_summary_append(ctx, ": %s", cmdline);
}

static void set_hresult_status(dt_ctx *ctx, uint32_t hr)
{
    const char *name = ipc_hresult_name(hr);
    char buf[48];
    if (!name) {
        snprintf(buf, sizeof buf, "HRESULT 0x%08x", hr);
        name = buf;
    }
    dt_status(ctx, name, (hr & 0x80000000u) != 0);
    dt_summary_append(ctx, " %s", name);
    if (hr & 0x80000000u)
        dt_summary_append(ctx, " (0x%08x)", hr);
}

static void dissect_response(dt_ctx *ctx, ipc_conv *st, uint8_t id, dt_cursor *c, const ipc_pending *req, bool known)
{
    uint16_t cmd = known ? req->command : 0;
    const char *cname = known ? ipc_command_name(cmd) : NULL;
    if (known)
        dt_add_uint(ctx, NULL, &ipc_fields[IF_RESPONSE_TO], 0, 0, cmd);
    if (cname)
        dt_stats_key(ctx, cname);

    if (id == 0xff) { /* Error */
        uint32_t hr;
        dt_summary(ctx, "Error");
        if (dt_add_u32le(ctx, NULL, &ipc_fields[IF_HRESULT], c, &hr))
            set_hresult_status(ctx, hr);
        else
            dt_status(ctx, "Error", true);
        if (dt_cur_left(c) >= 4) {
            char msg[STR_MAX];
            if (add_string(ctx, NULL, IF_ERROR_MESSAGE, c, msg, sizeof msg) && msg[0])
                dt_summary_append(ctx, ": %s", msg);
        }
        if (cname)
            dt_summary_append(ctx, " (to %s)", cname);
        return;
    }
    if (id != 0x00) {
        dt_summary(ctx, "Server response 0x%02x", id);
        return;
    }
    dt_summary(ctx, "OK");
    if (cname)
        dt_summary_append(ctx, " (%s)", cname);
    dt_status(ctx, "OK", false);
    switch (cmd) {
    case IPC_STOP_TRACING:
    case IPC_COLLECT_TRACING:
    case IPC_COLLECT_TRACING2:
    case IPC_COLLECT_TRACING3:
    case IPC_COLLECT_TRACING4:
    case IPC_COLLECT_TRACING5:
    case IPC_COLLECT_TRACING6: {
        uint64_t id64;
        if (dt_add_u64le(ctx, NULL, &ipc_fields[IF_SESSION_ID], c, &id64))
            dt_summary_append(ctx, " session 0x%" PRIx64, id64);
        if (cmd != IPC_STOP_TRACING && !req->user_events) {
            st->mode[ctx->dir] = IPC_MODE_NETTRACE;
            nt_stream_free(&st->nt[ctx->dir]);
            nt_stream_init(&st->nt[ctx->dir]);
            dt_summary_append(ctx, "; EventPipe stream follows");
        }
        break;
    }
    case IPC_PROCESS_INFO:
    case IPC_PROCESS_INFO2:
    case IPC_PROCESS_INFO3:
        dissect_process_info(ctx, cmd, c);
        break;
    case IPC_PROCESS_ENVIRONMENT: {
        uint32_t n;
        if (dt_add_u32le(ctx, NULL, &ipc_fields[IF_ENV_INCOMING], c, &n)) {
            dt_add_u16le(ctx, NULL, &ipc_fields[IF_ENV_FUTURE], c, NULL);
            dt_summary_append(ctx, "; %u bytes of environment follow", n);
            if (n) {
                st->mode[ctx->dir] = IPC_MODE_ENVIRON;
                st->environ_len[ctx->dir] = n;
            }
        }
        break;
    }
    case IPC_RESUME_RUNTIME:
        break;
    default: {
        /* dump, profiler, environment, perf map, startup hook: an HRESULT */
        uint32_t hr;
        if (dt_cur_left(c) >= 4 && dt_add_u32le(ctx, NULL, &ipc_fields[IF_HRESULT], c, &hr) && hr != 0)
            set_hresult_status(ctx, hr);
        break;
    }
    }
    if (dt_cur_left(c) && cmd != 0) {
        size_t n = dt_cur_left(c);
        dt_add_bytes(ctx, NULL, &ipc_fields[IF_PAYLOAD], dt_cur_offset(c), n, dt_cur_bytes(c, n), n);
    }
}

static void dissect_environment(dt_ctx *ctx, ipc_conv *st)
{
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    uint32_t n;
    dt_add_u32le(ctx, NULL, &ipc_fields[IF_ENV_COUNT], &c, &n);
    uint32_t i;
    char var[STR_MAX];
    for (i = 0; i < n && dt_cur_ok(&c) && !dt_cur_eof(&c); i++)
        add_string(ctx, NULL, IF_ENV_VAR, &c, var, sizeof var);
    dt_summary(ctx, "environment block: %u variable%s", i, i == 1 ? "" : "s");
    dt_stats_key(ctx, "ProcessEnvironment block");
    if (!dt_cur_ok(&c) || i < n)
        dt_malformed(ctx, dt_cur_offset(&c), "environment block cut short after %u of %u variables", i, n);
    st->environ_len[ctx->dir] = 0;
    st->mode[ctx->dir] = IPC_MODE_OPAQUE;
}

static void dissect_advertise(dt_ctx *ctx, dt_cursor *c)
{
    char magic[16];
    uint64_t pid;
    dt_cur_string(c, ADVR_MAGIC_LEN, magic, sizeof magic);
    dt_add_string(ctx, NULL, &ipc_fields[IF_ADVR_MAGIC], 0, ADVR_MAGIC_LEN, magic, strlen(magic));
    dt_field *cookie = dt_add_guid_cur(ctx, NULL, &ipc_fields[IF_ADVR_COOKIE], c);
    dt_add_u64le(ctx, NULL, &ipc_fields[IF_ADVR_PID], c, &pid);
    dt_add_u16le(ctx, NULL, &ipc_fields[IF_ADVR_FUTURE], c, NULL);
    char g[37] = "";
    if (cookie) {
        dt_guid gu;
        memcpy(gu.b, cookie->v.b16, 16);
        dt_guid_format(&gu, g);
    }
    dt_summary(ctx, "Advertise: runtime pid %" PRIu64 " cookie %s", pid, g);
    dt_stats_key(ctx, "Advertise");
}

static void ipc_dissect(dt_ctx *ctx)
{
    ipc_conv *st = ctx->conv;
    switch (st->mode[ctx->dir]) {
    case IPC_MODE_NETTRACE:
        nt_dissect(ctx, &st->nt[ctx->dir], true);
        return;
    case IPC_MODE_ENVIRON:
        dissect_environment(ctx, st);
        return;
    case IPC_MODE_OPAQUE:
        dt_summary(ctx, "%zu bytes of continuation data", ctx->pdu_len);
        return;
    case IPC_MODE_MESSAGES:
    default:
        break;
    }

    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    if (ctx->pdu_len >= ADVR_MAGIC_LEN && memcmp(ctx->pdu, ADVR_MAGIC, ADVR_MAGIC_LEN) == 0) {
        dissect_advertise(ctx, &c);
        return;
    }
    if (ctx->pdu_len < IPC_MAGIC_LEN || memcmp(ctx->pdu, IPC_MAGIC, IPC_MAGIC_LEN) != 0) {
        char shown[20];
        size_t k = ctx->pdu_len < 14 ? ctx->pdu_len : 14;
        for (size_t i = 0; i < k; i++)
            shown[i] = ctx->pdu[i] >= 0x20 && ctx->pdu[i] < 0x7f ? (char)ctx->pdu[i] : '.';
        shown[k] = '\0';
        dt_summary(ctx, "not an IPC message: bad magic \"%s\" (%zu bytes skipped)", shown, ctx->pdu_len);
        dt_malformed(ctx, 0, "bad magic: expected DOTNET_IPC_V1 or ADVR_V1");
        dt_add_bytes(ctx, NULL, &ipc_fields[IF_PAYLOAD], 0, ctx->pdu_len, ctx->pdu, ctx->pdu_len);
        return;
    }

    char magic[16];
    uint16_t size, reserved;
    uint8_t set, id;
    dt_cur_string(&c, IPC_MAGIC_LEN, magic, sizeof magic);
    dt_add_string(ctx, NULL, &ipc_fields[IF_MAGIC], 0, IPC_MAGIC_LEN, magic, strlen(magic));
    dt_add_u16le(ctx, NULL, &ipc_fields[IF_SIZE], &c, &size);
    dt_add_u8(ctx, NULL, &ipc_fields[IF_COMMAND_SET], &c, &set);
    dt_add_u8(ctx, NULL, &ipc_fields[IF_COMMAND_ID], &c, &id);
    uint16_t cmd = IPC_CMD(set, id);
    dt_add_uint(ctx, NULL, &ipc_fields[IF_COMMAND], 16, 2, cmd);
    dt_add_u16le(ctx, NULL, &ipc_fields[IF_RESERVED], &c, &reserved);
    if (size < IPC_HEADER_LEN) {
        dt_summary(ctx, "bad IPC header: size %u is smaller than the %u-byte header", size, IPC_HEADER_LEN);
        dt_malformed(ctx, 14, "size %u smaller than the header", size);
        return;
    }
    if (reserved)
        dt_malformed(ctx, 18, "reserved field is 0x%04x, not 0", reserved);
    dt_cursor payload = dt_cur_sub(&c, (size_t)size - IPC_HEADER_LEN);

    if (set == IPC_SET_SERVER) {
        ipc_pending req = { 0, false };
        bool known = false;
        if (st->pend_count) {
            req = st->pending[st->pend_head];
            st->pend_head = (st->pend_head + 1) % IPC_MAX_PENDING;
            st->pend_count--;
            known = true;
        }
        dt_pair_response(ctx, ++st->n_responses, true);
        dissect_response(ctx, st, id, &payload, &req, known);
    } else {
        const char *name = ipc_command_name(cmd);
        char unknown[40];
        if (!name) {
            snprintf(unknown, sizeof unknown, "Command 0x%04x", cmd);
            name = unknown;
        }
        dt_summary(ctx, "%s", name);
        dt_stats_key(ctx, name);
        ipc_pending *pend;
        if (st->pend_count == IPC_MAX_PENDING) { /* not answered: forget the oldest */
            st->pend_head = (st->pend_head + 1) % IPC_MAX_PENDING;
            st->pend_count--;
        }
        pend = &st->pending[(st->pend_head + st->pend_count) % IPC_MAX_PENDING];
        pend->command = cmd;
        pend->user_events = false;
        st->pend_count++;
        dt_pair_request(ctx, ++st->n_requests, 0);
        dissect_request(ctx, cmd, &payload, pend);
    }
    if (!dt_cur_ok(&payload))
        dt_malformed(ctx, IPC_HEADER_LEN, "payload cut short: the %u-byte message ends inside a field", size);
}

static void ipc_conv_end(dt_ctx *ctx)
{
    ipc_conv *st = ctx->conv;
    for (int d = 0; d < 2; d++) {
        if (st->mode[d] != IPC_MODE_NETTRACE || !st->nt[d].started || st->nt[d].phase == NT_PHASE_DONE)
            continue;
        ctx->ev->dir = (dt_dir)d;
        nt_end(ctx, &st->nt[d], true);
        break;
    }
}

static void ipc_conv_free(void *conv)
{
    ipc_conv *st = conv;
    nt_stream_free(&st->nt[0]);
    nt_stream_free(&st->nt[1]);
}

const dt_dissector dt_dotnet_ipc_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "dotnet_ipc",
    .display_name = ".NET IPC",
    .description = ".NET diagnostics IPC protocol (dotnet-trace, dotnet-counters, dotnet-dump) and its EventPipe stream",
    .fields = ipc_fields,
    .n_fields = IF__COUNT,
    .transports = DT_TRANSPORT_STREAM | DT_TRANSPORT_TCP,
    .probe = ipc_probe,
    .frame = ipc_frame,
    .dissect = ipc_dissect,
    .conv_size = sizeof(ipc_conv),
    .conv_free = ipc_conv_free,
    .conv_end = ipc_conv_end,
};
