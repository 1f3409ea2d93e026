/* Debug Adapter Protocol: Content-Length framed JSON messages between an IDE
 * (client) and a debug adapter. Requests go both ways (runInTerminal and
 * startDebugging are adapter→client), each side numbering its own seq, so
 * the pairing key folds in the requester's direction. */
#include "dap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

const dt_field_def dap_fields[DAP_F_N] = {
    [DAP_F_CONTENT_LENGTH] = { "dap.content_length", "Content-Length", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, "Body length from the header" },
    [DAP_F_HEADER] = { "dap.header", "Header", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Another header line" },
    [DAP_F_SEQ] = { "dap.seq", "Sequence number", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_TYPE] = { "dap.type", "Message type", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "request, response or event" },
    [DAP_F_COMMAND] = { "dap.command", "Command", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_EVENT] = { "dap.event", "Event", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_REQUEST_SEQ] = { "dap.request_seq", "Request sequence number", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_SUCCESS] = { "dap.success", "Success", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_MESSAGE] = { "dap.message", "Message", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Why a request failed" },
    [DAP_F_ARGUMENTS] = { "dap.arguments", "Arguments", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_BODY] = { "dap.body", "Body", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_CLIENT_ID] = { "dap.client_id", "Client ID", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_CLIENT_NAME] = { "dap.client_name", "Client name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_ADAPTER_ID] = { "dap.adapter_id", "Adapter ID", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_CAPABILITY] = { "dap.capability", "Capability", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "A capability the adapter or client supports" },
    [DAP_F_PROGRAM] = { "dap.program", "Program", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_ARGS] = { "dap.args", "Program arguments", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_CWD] = { "dap.cwd", "Working directory", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_PROCESS_ID] = { "dap.process_id", "Process ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_NAME] = { "dap.name", "Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Process, thread or module name" },
    [DAP_F_SOURCE] = { "dap.source", "Source", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Source path or name" },
    [DAP_F_BREAKPOINT] = { "dap.breakpoint", "Breakpoint", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_LINE] = { "dap.line", "Line", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_VERIFIED] = { "dap.verified", "Verified", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_BREAKPOINT_ID] = { "dap.breakpoint_id", "Breakpoint ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_REASON] = { "dap.reason", "Reason", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_DESCRIPTION] = { "dap.description", "Description", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_THREAD_ID] = { "dap.thread_id", "Thread ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_ALL_THREADS] = { "dap.all_threads", "All threads", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0, "allThreadsStopped / allThreadsContinued" },
    [DAP_F_HIT_BREAKPOINT_ID] = { "dap.hit_breakpoint_id", "Hit breakpoint ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_FRAME] = { "dap.frame", "Stack frame", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_FRAME_ID] = { "dap.frame.id", "Frame ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_FRAME_NAME] = { "dap.frame.name", "Frame name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_FRAME_SOURCE] = { "dap.frame.source", "Frame source", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_FRAME_LINE] = { "dap.frame.line", "Frame line", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_TOTAL_FRAMES] = { "dap.total_frames", "Total frames", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_COUNT] = { "dap.count", "Count", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, "Frames, scopes, variables, threads or breakpoints in the message" },
    [DAP_F_SCOPE_NAME] = { "dap.scope.name", "Scope", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_VARIABLES_REFERENCE] = { "dap.variables_reference", "Variables reference", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_VARIABLE] = { "dap.variable", "Variable", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_VARIABLE_NAME] = { "dap.variable.name", "Variable name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_VARIABLE_VALUE] = { "dap.variable.value", "Variable value", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_EXPRESSION] = { "dap.expression", "Expression", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_CONTEXT] = { "dap.context", "Context", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "watch, repl, hover, clipboard" },
    [DAP_F_RESULT] = { "dap.result", "Result", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_RESULT_TYPE] = { "dap.result_type", "Result type", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_OUTPUT_CATEGORY] = { "dap.output.category", "Output category", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "console, stdout, stderr, telemetry" },
    [DAP_F_OUTPUT] = { "dap.output", "Output", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_EXIT_CODE] = { "dap.exit_code", "Exit code", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_ERROR_ID] = { "dap.error.id", "Error ID", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [DAP_F_ERROR_FORMAT] = { "dap.error.format", "Error text", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [DAP_F_RIT_KIND] = { "dap.run_in_terminal.kind", "Terminal kind", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "integrated or external" },
    [DAP_F_RIT_TITLE] = { "dap.run_in_terminal.title", "Terminal title", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
};

/* Stateless framing: the state lives in the engine's stream buffers. */
static long dap_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    return clen_frame(data, avail);
}

static int dap_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return clen_probe_score(data, len, CLEN_BODY_DAP, 60);
}

void dap_detail(dap_msg *m, const char *fmt, ...)
{
    va_list ap;
    dt_summary_append(m->ctx, "%s", m->detail_started ? " " : ": ");
    m->detail_started = true;
    va_start(ap, fmt);
    dt_vsummary_append(m->ctx, fmt, ap);
    va_end(ap);
}

static uint64_t pair_key(uint64_t seq, dt_dir requester)
{
    return (seq << 1) | (uint64_t)requester;
}

static bool get_seq(dap_msg *m, const char *key, const dt_field_def *f, uint64_t *out)
{
    int64_t v;
    if (!jx_int(m->root, key, &v) || v < 0) {
        dt_malformed(m->ctx, m->off, "DAP message without a valid \"%s\"", key);
        return false;
    }
    *out = (uint64_t)v;
    dt_add_uint(m->ctx, NULL, f, m->off, m->len, *out);
    return true;
}

static void copy_text(char *dst, size_t dstsz, const char *s)
{
    snprintf(dst, dstsz, "%s", s);
}

static void remember_early_reply(dap_conv *c, uint64_t key)
{
    if (!c->early && !(c->early = malloc(DAP_MAX_EARLY * sizeof *c->early)))
        return; /* not remembered: its request will be listed as unanswered */
    c->early[c->early_next] = key;
    c->early_next = (c->early_next + 1) % DAP_MAX_EARLY;
    if (c->n_early < DAP_MAX_EARLY)
        c->n_early++;
}

/* True (and forgotten) when a reply with this request key was already seen. */
static bool take_early_reply(dap_conv *c, uint64_t key)
{
    for (size_t i = 0; i < c->n_early; i++) {
        if (c->early[i] == key) {
            c->early[i] = c->early[--c->n_early];
            c->early_next = c->n_early % DAP_MAX_EARLY;
            return true;
        }
    }
    return false;
}

static void decode_request(dap_msg *m, uint64_t seq)
{
    dt_ctx *ctx = m->ctx;
    size_t clen;
    const char *cmd = jx_str(m->root, "command", &clen);
    if (!cmd) {
        dt_malformed(ctx, m->off, "DAP request without a \"command\"");
        dt_summary(ctx, "request #%" PRIu64 " without a command", seq);
        return;
    }
    char command[40];
    jx_line(command, sizeof command, cmd, clen, sizeof command - 1);
    dt_add_string(ctx, NULL, DAPF(COMMAND), m->off, m->len, cmd, clen);
    dt_stats_key(ctx, command);
    bool answered = m->conv && take_early_reply(m->conv, pair_key(seq, ctx->dir));
    if (!answered) {
        m->pend = dt_pair_request(ctx, pair_key(seq, ctx->dir), sizeof(dap_pending));
        if (m->pend)
            copy_text(m->pend->command, sizeof m->pend->command, command);
    }
    dt_summary(ctx, "%s #%" PRIu64 "%s%s", command, seq, ctx->dir == DT_DIR_S2C ? " (reverse)" : "",
               answered ? " (its reply came earlier in the input)" : "");
    m->part = jx_obj(m->root, "arguments");
    if (m->part)
        m->tree = dt_add_none(ctx, NULL, DAPF(ARGUMENTS), m->off, m->len);
    dap_request_details(m, command);
}

static void decode_response(dap_msg *m)
{
    dt_ctx *ctx = m->ctx;
    uint64_t req_seq;
    if (!get_seq(m, "request_seq", DAPF(REQUEST_SEQ), &req_seq))
        return;
    size_t clen = 0;
    const char *cmd = jx_str(m->root, "command", &clen);
    char command[40] = "?";
    if (cmd) {
        jx_line(command, sizeof command, cmd, clen, sizeof command - 1);
        dt_add_string(ctx, NULL, DAPF(COMMAND), m->off, m->len, cmd, clen);
    }
    bool success = false;
    if (!jx_bool(m->root, "success", &success))
        dt_malformed(ctx, m->off, "DAP response without a boolean \"success\"");
    dt_add_uint(ctx, NULL, DAPF(SUCCESS), m->off, m->len, success);
    dt_stats_key(ctx, command);
    /* The requester is the other side. */
    uint64_t key = pair_key(req_seq, ctx->dir == DT_DIR_C2S ? DT_DIR_S2C : DT_DIR_C2S);
    m->pend = dt_pair_response(ctx, key, true);
    if (!m->pend && m->conv)
        remember_early_reply(m->conv, key);
    dt_summary(ctx, "%s #%" PRIu64 " %s", command, req_seq, success ? "ok" : "failed");

    size_t mlen = 0;
    const char *msg = jx_str(m->root, "message", &mlen);
    if (msg)
        dt_add_string(ctx, NULL, DAPF(MESSAGE), m->off, m->len, msg, mlen);
    m->part = jx_obj(m->root, "body");
    if (m->part)
        m->tree = dt_add_none(ctx, NULL, DAPF(BODY), m->off, m->len);
    if (success) {
        dt_status(ctx, "success", false);
        dap_response_details(m, command);
        return;
    }
    /* Failure: the message, then the error body's text when it says more. */
    char line[200];
    jx_flat(line, sizeof line, msg ? msg : "failed", msg ? mlen : 6, 60);
    dt_status(ctx, line, true);
    const jx_node *err = jx_obj(m->part, "error");
    size_t flen = 0;
    const char *fmt = jx_str(err, "format", &flen);
    int64_t id;
    if (err && jx_int(err, "id", &id))
        dt_add_int(ctx, m->tree, DAPF(ERROR_ID), m->off, m->len, id);
    if (fmt)
        dt_add_string(ctx, m->tree, DAPF(ERROR_FORMAT), m->off, m->len, fmt, flen);
    if (msg) {
        jx_flat(line, sizeof line, msg, mlen, 160);
        dap_detail(m, "%s", line);
    }
    if (fmt && !(msg && flen == mlen && memcmp(fmt, msg, mlen) == 0)) {
        jx_flat(line, sizeof line, fmt, flen, 120);
        dap_detail(m, "(%s)", line);
    }
}

static void decode_event(dap_msg *m)
{
    dt_ctx *ctx = m->ctx;
    size_t elen;
    const char *ev = jx_str(m->root, "event", &elen);
    if (!ev) {
        dt_malformed(ctx, m->off, "DAP event without an \"event\" name");
        dt_summary(ctx, "event without a name");
        return;
    }
    char name[40];
    jx_line(name, sizeof name, ev, elen, sizeof name - 1);
    dt_add_string(ctx, NULL, DAPF(EVENT), m->off, m->len, ev, elen);
    dt_stats_key(ctx, name);
    dt_summary(ctx, "%s", name);
    m->part = jx_obj(m->root, "body");
    if (m->part)
        m->tree = dt_add_none(ctx, NULL, DAPF(BODY), m->off, m->len);
    dap_event_details(m, name);
}

static void decode_json(dt_ctx *ctx, const jx_node *root, size_t off, size_t len)
{
    dap_msg m = { .ctx = ctx, .root = root, .off = off, .len = len, .conv = ctx->conv };
    if (!jx_is_object(root)) {
        dt_malformed(ctx, off, "DAP body is not a JSON object");
        dt_summary(ctx, "JSON %s, not a DAP message", jx_is_array(root) ? "array" : "value");
        return;
    }
    if (jx_get(root, "jsonrpc") && !jx_get(root, "seq")) {
        dt_malformed(ctx, off, "JSON-RPC message on a stream decoded as DAP");
        dt_summary(ctx, "JSON-RPC message, not DAP (decode this stream as lsp)");
        return;
    }
    uint64_t seq;
    if (!get_seq(&m, "seq", DAPF(SEQ), &seq)) {
        dt_summary(ctx, "DAP message without a seq");
        return;
    }
    size_t tlen;
    const char *type = jx_str(root, "type", &tlen);
    if (type)
        dt_add_string(ctx, NULL, DAPF(TYPE), off, len, type, tlen);
    if (type && strcmp(type, "request") == 0)
        decode_request(&m, seq);
    else if (type && strcmp(type, "response") == 0)
        decode_response(&m);
    else if (type && strcmp(type, "event") == 0)
        decode_event(&m);
    else {
        char t[40];
        jx_line(t, sizeof t, type ? type : "", type ? tlen : 0, 32);
        dt_malformed(ctx, off, "unknown DAP message type \"%s\"", t);
        dt_summary(ctx, "#%" PRIu64 " unknown message type \"%s\"", seq, t);
    }
}

static void dap_dissect(dt_ctx *ctx)
{
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    clen_header h;
    if (clen_parse_header(&c, &h) != CLEN_OK) {
        dt_malformed(ctx, 0, "no complete DAP header block");
        dt_summary(ctx, "%zu bytes without a DAP header", ctx->pdu_len);
        return;
    }
    clen_add_headers(ctx, &c, &h, DAPF(HEADER), false);
    if (!h.has_length) {
        dt_malformed(ctx, 0, "DAP header block without Content-Length");
        dt_summary(ctx, "header without Content-Length");
        return;
    }
    if (h.bad_length) {
        char v[40];
        jx_line(v, sizeof v, (const char *)ctx->pdu + h.length_off, h.length_len, 32);
        dt_malformed(ctx, h.length_off, "bad Content-Length value \"%s\"", v);
        dt_summary(ctx, "bad Content-Length \"%s\"", v);
        return;
    }
    dt_add_uint(ctx, NULL, DAPF(CONTENT_LENGTH), h.length_off, h.length_len, h.content_length);
    size_t body_off;
    jx_doc doc;
    const jx_node *root = clen_load_json_body(ctx, &c, &h, "DAP", &body_off, &doc);
    if (!root)
        return;
    decode_json(ctx, root, body_off, (size_t)h.content_length);
    jx_doc_free(&doc);
}

static void dap_conv_free(void *state)
{
    dap_conv *c = state;
    free(c->bps);
    free(c->early);
}

static const dt_dissector dap_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "dap",
    .display_name = "DAP",
    .description = "Debug Adapter Protocol",
    .fields = dap_fields,
    .n_fields = DAP_F_N,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .probe = dap_probe,
    .frame = dap_frame,
    .dissect = dap_dissect,
    .conv_size = sizeof(dap_conv),
    .conv_free = dap_conv_free,
};

int dt_builtin_lsp(dt_registry *reg);

int dt_builtin_dap(dt_registry *reg)
{
    int rc = dt_register(reg, &dap_dissector);
    return rc | dt_builtin_lsp(reg);
}
