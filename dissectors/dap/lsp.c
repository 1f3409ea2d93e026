/* LSP base protocol: JSON-RPC 2.0 messages in Content-Length framing (the
 * same framing as DAP; the first body tells which of the two a stream is).
 * Ids are numbers or strings, chosen by each side for its own requests
 * (servers send requests too: workspace/configuration), so the pairing key
 * hashes the id and folds in the requester's direction. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clen.h"
#include "diagtap/dissector.h"
#include "jsonx.h"

enum {
    LSP_F_CONTENT_LENGTH,
    LSP_F_CONTENT_TYPE,
    LSP_F_HEADER,
    LSP_F_JSONRPC,
    LSP_F_KIND,
    LSP_F_ID,
    LSP_F_METHOD,
    LSP_F_ERROR_CODE,
    LSP_F_ERROR_MESSAGE,
    LSP_F_URI,
    LSP_F_LINE,
    LSP_F_CHARACTER,
    LSP_F_MESSAGE,
    LSP_F_COUNT,
    LSP_F_N
};

#define I64(v) ((uint64_t)(int64_t)(v))
static const dt_value_name lsp_error_codes[] = {
    { I64(-32700), "ParseError" },
    { I64(-32600), "InvalidRequest" },
    { I64(-32601), "MethodNotFound" },
    { I64(-32602), "InvalidParams" },
    { I64(-32603), "InternalError" },
    { I64(-32002), "ServerNotInitialized" },
    { I64(-32001), "UnknownErrorCode" },
    { I64(-32800), "RequestCancelled" },
    { I64(-32801), "ContentModified" },
    { I64(-32802), "ServerCancelled" },
    { I64(-32803), "RequestFailed" },
    { 0, NULL },
};

static const dt_field_def lsp_fields[LSP_F_N] = {
    [LSP_F_CONTENT_LENGTH] = { "lsp.content_length", "Content-Length", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [LSP_F_CONTENT_TYPE] = { "lsp.content_type", "Content-Type", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [LSP_F_HEADER] = { "lsp.header", "Header", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Another header line" },
    [LSP_F_JSONRPC] = { "lsp.jsonrpc", "JSON-RPC version", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [LSP_F_KIND] = { "lsp.kind", "Message kind", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "request, notification or response" },
    [LSP_F_ID] = { "lsp.id", "Id", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "Request id (number or string)" },
    [LSP_F_METHOD] = { "lsp.method", "Method", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [LSP_F_ERROR_CODE] = { "lsp.error.code", "Error code", DT_FT_INT64, DT_BASE_DEC, lsp_error_codes, 0, 0, NULL },
    [LSP_F_ERROR_MESSAGE] = { "lsp.error.message", "Error message", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [LSP_F_URI] = { "lsp.uri", "Document URI", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [LSP_F_LINE] = { "lsp.line", "Line (0-based)", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [LSP_F_CHARACTER] = { "lsp.character", "Character (0-based)", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [LSP_F_MESSAGE] = { "lsp.message", "Message", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "window/logMessage, window/showMessage text" },
    [LSP_F_COUNT] = { "lsp.count", "Count", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, "Items in a result array or diagnostics" },
};
#define LSPF(x) (&lsp_fields[LSP_F_##x])

/* Kept with a request until its response. */
typedef struct lsp_pending {
    char method[64];
} lsp_pending;

typedef struct lsp_msg {
    dt_ctx *ctx;
    const jx_node *obj;
    size_t off, len;
    bool detail_started;
} lsp_msg;

/* Stateless framing: the state lives in the engine's stream buffers. */
static long lsp_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    return clen_frame(data, avail);
}

static int lsp_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return clen_probe_score(data, len, CLEN_BODY_JSONRPC, 40);
}

static void detail(lsp_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(lsp_msg *m, const char *fmt, ...)
{
    va_list ap;
    dt_summary_append(m->ctx, "%s", m->detail_started ? " " : ": ");
    m->detail_started = true;
    va_start(ap, fmt);
    dt_vsummary_append(m->ctx, fmt, ap);
    va_end(ap);
}

/* FNV-1a over a type tag and the id's text: numbers and strings never collide. */
static uint64_t id_hash(char tag, const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = (h ^ (uint8_t)tag) * 0x100000001b3ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

/* The id as text (for the field and summary) and its pairing hash. */
static bool read_id(const jx_node *id, char *text, size_t textsz, uint64_t *hash)
{
    if (jx_is_integer(id)) {
        snprintf(text, textsz, "%" PRId64, jx_ival(id));
        *hash = id_hash('n', text, strlen(text));
        return true;
    }
    if (jx_is_real(id)) {
        snprintf(text, textsz, "%.17g", jx_rval(id));
        *hash = id_hash('n', text, strlen(text));
        return true;
    }
    if (jx_is_string(id)) {
        *hash = id_hash('s', jx_sval(id), jx_slen(id));
        text[0] = '"';
        size_t n = jx_line(text + 1, textsz - 2, jx_sval(id), jx_slen(id), 40);
        text[n + 1] = '"';
        text[n + 2] = '\0';
        return true;
    }
    return false;
}

static uint64_t pair_key(uint64_t hash, dt_dir requester)
{
    return (hash << 1) | (uint64_t)requester;
}

/* params.textDocument.uri and params.position, when present. */
static void document_position(lsp_msg *m, const jx_node *params)
{
    const jx_node *doc = jx_obj(params, "textDocument");
    size_t n;
    const char *uri = jx_str(doc, "uri", &n);
    if (!uri)
        uri = jx_str(params, "uri", &n);
    if (!uri)
        return;
    dt_add_string(m->ctx, NULL, LSPF(URI), m->off, m->len, uri, n);
    size_t bn;
    const char *b = jx_basename(uri, n, &bn);
    char name[100];
    jx_line(name, sizeof name, b, bn, 80);
    const jx_node *pos = jx_obj(params, "position");
    int64_t line, ch;
    if (pos && jx_int(pos, "line", &line) && jx_int(pos, "character", &ch)) {
        dt_add_int(m->ctx, NULL, LSPF(LINE), m->off, m->len, line);
        dt_add_int(m->ctx, NULL, LSPF(CHARACTER), m->off, m->len, ch);
        /* Editors count from 1. */
        detail(m, "%s:%" PRId64 ":%" PRId64, name, line + 1, ch + 1);
    } else {
        detail(m, "%s", name);
    }
}

static const char *const message_types[] = { "?", "error", "warning", "info", "log", "debug" };

static void params_details(lsp_msg *m, const char *method, const jx_node *params)
{
    char buf[200];
    if (strcmp(method, "initialize") == 0) {
        const jx_node *ci = jx_obj(params, "clientInfo");
        size_t n;
        const char *root;
        if (jx_str(ci, "name", &n)) {
            jx_line(buf, sizeof buf, jx_str(ci, "name", NULL), n, 60);
            detail(m, "client=%s", buf);
        }
        if ((root = jx_str(params, "rootUri", &n)) || (root = jx_str(params, "rootPath", &n))) {
            jx_line(buf, sizeof buf, root, n, 100);
            detail(m, "root=%s", buf);
        }
        return;
    }
    if (strcmp(method, "window/logMessage") == 0 || strcmp(method, "window/showMessage") == 0 ||
        strcmp(method, "window/showMessageRequest") == 0) {
        int64_t type = 0;
        size_t n;
        const char *text = jx_str(params, "message", &n);
        jx_int(params, "type", &type);
        if (text) {
            dt_add_string(m->ctx, NULL, LSPF(MESSAGE), m->off, m->len, text, n);
            jx_line(buf, sizeof buf, text, n, 160);
            detail(m, "%s: %s", type >= 1 && type <= 5 ? message_types[type] : "message", buf);
        }
        return;
    }
    if (strcmp(method, "$/cancelRequest") == 0) {
        uint64_t h;
        if (read_id(jx_get(params, "id"), buf, sizeof buf, &h))
            detail(m, "id=%s", buf);
        return;
    }
    document_position(m, params);
    const jx_node *diags = jx_arr(params, "diagnostics");
    if (diags) {
        dt_add_uint(m->ctx, NULL, LSPF(COUNT), m->off, m->len, jx_size(diags));
        detail(m, "%zu diagnostic%s", jx_size(diags), jx_size(diags) == 1 ? "" : "s");
    }
}

static void result_details(lsp_msg *m, const char *method, const jx_node *result)
{
    if (jx_is_array(result)) {
        dt_add_uint(m->ctx, NULL, LSPF(COUNT), m->off, m->len, jx_size(result));
        detail(m, "%zu item%s", jx_size(result), jx_size(result) == 1 ? "" : "s");
    } else if (jx_is_null(result)) {
        detail(m, "null");
    } else if (method && strcmp(method, "initialize") == 0) {
        char buf[100];
        size_t n;
        const jx_node *si = jx_obj(result, "serverInfo");
        const char *name = jx_str(si, "name", &n);
        if (name) {
            jx_line(buf, sizeof buf, name, n, 60);
            detail(m, "server=%s", buf);
        }
        const jx_node *caps = jx_obj(result, "capabilities");
        if (caps)
            detail(m, "%zu capabilities", jx_size(caps));
    } else if (jx_is_object(result)) {
        const jx_node *items = jx_arr(result, "items"); /* completion lists */
        if (items) {
            dt_add_uint(m->ctx, NULL, LSPF(COUNT), m->off, m->len, jx_size(items));
            detail(m, "%zu item%s", jx_size(items), jx_size(items) == 1 ? "" : "s");
        }
    }
}

static void decode_error(lsp_msg *m, const jx_node *err)
{
    dt_ctx *ctx = m->ctx;
    int64_t code = 0;
    bool has_code = jx_int(err, "code", &code);
    size_t n = 0;
    const char *msg = jx_str(err, "message", &n);
    char text[160], status[40];
    if (has_code)
        dt_add_int(ctx, NULL, LSPF(ERROR_CODE), m->off, m->len, code);
    if (msg)
        dt_add_string(ctx, NULL, LSPF(ERROR_MESSAGE), m->off, m->len, msg, n);
    const char *name = has_code ? dt_value_name_find(lsp_error_codes, (uint64_t)code, false) : NULL;
    if (name)
        snprintf(status, sizeof status, "%s", name);
    else if (has_code)
        snprintf(status, sizeof status, "error %" PRId64, code);
    else
        snprintf(status, sizeof status, "error");
    dt_status(ctx, status, true);
    jx_flat(text, sizeof text, msg ? msg : "", n, 120);
    if (has_code)
        detail(m, "%" PRId64 "%s%s%s %s", code, name ? " (" : "", name ? name : "", name ? ")" : "", text);
    else
        detail(m, "%s", text);
}

static void decode_one(dt_ctx *ctx, const jx_node *obj, size_t off, size_t len)
{
    lsp_msg m = { .ctx = ctx, .obj = obj, .off = off, .len = len };
    if (!jx_is_object(obj)) {
        dt_malformed(ctx, off, "JSON-RPC message is not an object");
        dt_summary(ctx, "not a JSON-RPC message");
        return;
    }
    size_t vlen;
    const char *ver = jx_str(obj, "jsonrpc", &vlen);
    if (ver)
        dt_add_string(ctx, NULL, LSPF(JSONRPC), off, len, ver, vlen);
    if (!ver || strcmp(ver, "2.0") != 0)
        dt_malformed(ctx, off, "\"jsonrpc\" is not \"2.0\"");

    const jx_node *id = jx_get(obj, "id");
    char idtext[64] = "";
    uint64_t hash = 0;
    bool has_id = id && !jx_is_null(id) && read_id(id, idtext, sizeof idtext, &hash);
    if (has_id)
        dt_add_string(ctx, NULL, LSPF(ID), off, len, idtext, strlen(idtext));
    else if (id && !jx_is_null(id))
        dt_malformed(ctx, off, "JSON-RPC id is neither a number nor a string");

    size_t mlen;
    const char *method = jx_str(obj, "method", &mlen);
    if (method) {
        char name[64];
        jx_line(name, sizeof name, method, mlen, sizeof name - 1);
        dt_add_string(ctx, NULL, LSPF(METHOD), off, len, method, mlen);
        dt_stats_key(ctx, name);
        const jx_node *params = jx_get(obj, "params");
        if (has_id) {
            const char *kind = "request";
            dt_add_string(ctx, NULL, LSPF(KIND), off, len, kind, strlen(kind));
            lsp_pending *p = dt_pair_request(ctx, pair_key(hash, ctx->dir), sizeof(lsp_pending));
            if (p)
                snprintf(p->method, sizeof p->method, "%s", name);
            dt_summary(ctx, "%s #%s", name, idtext);
        } else {
            const char *kind = "notification";
            dt_add_string(ctx, NULL, LSPF(KIND), off, len, kind, strlen(kind));
            dt_summary(ctx, "%s", name);
        }
        params_details(&m, name, params);
        return;
    }

    const jx_node *result = jx_get(obj, "result");
    const jx_node *err = jx_obj(obj, "error");
    if (!result && !err) {
        dt_malformed(ctx, off, "JSON-RPC message with neither method, result nor error");
        dt_summary(ctx, "JSON-RPC message without method, result or error");
        return;
    }
    const char *kind = "response";
    dt_add_string(ctx, NULL, LSPF(KIND), off, len, kind, strlen(kind));
    lsp_pending *p = NULL;
    if (has_id)
        p = dt_pair_response(ctx, pair_key(hash, ctx->dir == DT_DIR_C2S ? DT_DIR_S2C : DT_DIR_C2S), true);
    const char *rmethod = p ? p->method : NULL;
    if (rmethod) {
        dt_add_string(ctx, NULL, LSPF(METHOD), off, len, rmethod, strlen(rmethod));
        dt_stats_key(ctx, rmethod);
    }
    dt_summary(ctx, "%s #%s %s", rmethod ? rmethod : "response", has_id ? idtext : "null", err ? "failed" : "ok");
    if (err) {
        decode_error(&m, err);
    } else {
        dt_status(ctx, "success", false);
        result_details(&m, rmethod, result);
    }
}

static void lsp_dissect(dt_ctx *ctx)
{
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    clen_header h;
    if (clen_parse_header(&c, &h) != CLEN_OK) {
        dt_malformed(ctx, 0, "no complete LSP header block");
        dt_summary(ctx, "%zu bytes without an LSP header", ctx->pdu_len);
        return;
    }
    clen_add_headers(ctx, &c, &h, LSPF(HEADER), true);
    if (h.type_len)
        dt_add_string(ctx, NULL, LSPF(CONTENT_TYPE), h.type_off, h.type_len, (const char *)ctx->pdu + h.type_off,
                      h.type_len);
    if (!h.has_length || h.bad_length) {
        dt_malformed(ctx, h.length_off, "%s", h.has_length ? "bad Content-Length value" : "header without Content-Length");
        dt_summary(ctx, "%s", h.has_length ? "bad Content-Length" : "header without Content-Length");
        return;
    }
    dt_add_uint(ctx, NULL, LSPF(CONTENT_LENGTH), h.length_off, h.length_len, h.content_length);
    size_t off;
    jx_doc doc;
    const jx_node *root = clen_load_json_body(ctx, &c, &h, "LSP", &off, &doc);
    if (!root)
        return;
    if (jx_size(root) > 1 && jx_is_array(root)) {
        /* dt_next_event resets the event arena the nodes are in: a batch
         * (rare) is parsed again onto the heap */
        jx_error err;
        jx_doc_free(&doc);
        if (!jx_parse(NULL, (const char *)ctx->pdu + off, (size_t)h.content_length, &doc, &err))
            return; /* out of memory: it parsed a moment ago */
        root = doc.root;
    }
    if (jx_is_array(root)) {
        /* A JSON-RPC batch: one event per member. */
        size_t n = jx_size(root);
        if (n == 0) {
            dt_malformed(ctx, off, "empty JSON-RPC batch");
            dt_summary(ctx, "empty batch");
        }
        for (size_t i = 0; i < n; i++) {
            if (i)
                dt_next_event(ctx);
            decode_one(ctx, jx_at(root, i), off, (size_t)h.content_length);
            dt_summary_append(ctx, " [batch %zu/%zu]", i + 1, n);
        }
    } else {
        decode_one(ctx, root, off, (size_t)h.content_length);
    }
    jx_doc_free(&doc);
}

static const dt_dissector lsp_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "lsp",
    .display_name = "LSP",
    .description = "Language Server Protocol / JSON-RPC 2.0 (Content-Length framing)",
    .fields = lsp_fields,
    .n_fields = LSP_F_N,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .probe = lsp_probe,
    .frame = lsp_frame,
    .dissect = lsp_dissect,
};

int dt_builtin_lsp(dt_registry *reg);
int dt_builtin_lsp(dt_registry *reg)
{
    return dt_register(reg, &lsp_dissector);
}
