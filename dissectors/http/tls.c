/* TLS records, without decryption: enough to say that WinRM over HTTPS
 * (port 5986) is TLS, which server name the client asked for (SNI), which
 * version and cipher suite were agreed, and that what follows is opaque. */
#include <stdio.h>
#include <string.h>

#include "http_int.h"

#define TLS_MAX_RECORD (16384 + 2048)

enum {
    TF_RECORD,
    TF_CONTENT_TYPE,
    TF_VERSION,
    TF_LENGTH,
    TF_HANDSHAKE,
    TF_HS_TYPE,
    TF_HS_LENGTH,
    TF_HELLO_VERSION,
    TF_SNI,
    TF_ALPN,
    TF_CIPHER,
    TF_SUPPORTED_VERSION,
    TF_OPAQUE,
    TF_COUNT
};

static const dt_value_name content_types[] = {
    { 20, "change_cipher_spec" }, { 21, "alert" }, { 22, "handshake" }, { 23, "application_data" }, { 0, NULL },
};

static const dt_value_name versions[] = {
    { 0x0300, "SSL 3.0" }, { 0x0301, "TLS 1.0" }, { 0x0302, "TLS 1.1" },
    { 0x0303, "TLS 1.2" }, { 0x0304, "TLS 1.3" }, { 0, NULL },
};

static const dt_value_name hs_types[] = {
    { 0, "HelloRequest" },        { 1, "ClientHello" },        { 2, "ServerHello" },
    { 4, "NewSessionTicket" },    { 8, "EncryptedExtensions" }, { 11, "Certificate" },
    { 12, "ServerKeyExchange" },  { 13, "CertificateRequest" }, { 14, "ServerHelloDone" },
    { 15, "CertificateVerify" },  { 16, "ClientKeyExchange" },  { 20, "Finished" },
    { 0, NULL },
};

static const dt_field_def tls_fields[TF_COUNT] = {
    [TF_RECORD] = { "tls.record", "TLS record", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [TF_CONTENT_TYPE] = { "tls.record.content_type", "Content type", DT_FT_UINT8, DT_BASE_DEC, content_types, 0, 0,
                          NULL },
    [TF_VERSION] = { "tls.record.version", "Record version", DT_FT_UINT16, DT_BASE_HEX, versions, 0, 0, NULL },
    [TF_LENGTH] = { "tls.record.length", "Length", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [TF_HANDSHAKE] = { "tls.handshake", "Handshake", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    [TF_HS_TYPE] = { "tls.handshake.type", "Handshake type", DT_FT_UINT8, DT_BASE_DEC, hs_types, 0, 0, NULL },
    [TF_HS_LENGTH] = { "tls.handshake.length", "Handshake length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [TF_HELLO_VERSION] = { "tls.handshake.version", "Hello version", DT_FT_UINT16, DT_BASE_HEX, versions, 0, 0,
                           NULL },
    [TF_SNI] = { "tls.handshake.sni", "Server name (SNI)", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [TF_ALPN] = { "tls.handshake.alpn", "ALPN protocol", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [TF_CIPHER] = { "tls.handshake.cipher_suite", "Cipher suite", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0,
                    "the one the server chose" },
    [TF_SUPPORTED_VERSION] = { "tls.handshake.selected_version", "Selected version", DT_FT_UINT16, DT_BASE_HEX,
                               versions, 0, 0, "supported_versions in ServerHello (TLS 1.3)" },
    [TF_OPAQUE] = { "tls.opaque", "Opaque", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0,
                    "encrypted bytes diagtap does not decrypt" },
};

bool tls_looks_like_record(const uint8_t *data, size_t avail)
{
    dt_cursor c = dt_cursor_make(data, avail);
    uint8_t type = dt_cur_u8(&c), major = dt_cur_u8(&c), minor = dt_cur_u8(&c);
    if (!dt_cur_ok(&c) || type < 20 || type > 23 || major != 3 || minor > 4)
        return false;
    uint16_t len = dt_cur_u16be(&c);
    return !dt_cur_ok(&c) || (len > 0 && len <= TLS_MAX_RECORD);
}

long tls_record_frame(const uint8_t *data, size_t avail)
{
    if (avail < 5)
        return DT_FRAME_NEED_MORE;
    if (!tls_looks_like_record(data, avail))
        return -1;
    dt_cursor c = dt_cursor_make(data, avail);
    dt_cur_skip(&c, 3);
    return 5 + (long)dt_cur_u16be(&c);
}

/* ClientHello / ServerHello extensions: SNI, ALPN, supported_versions. */
static void hello_extensions(dt_ctx *ctx, dt_field *hs, dt_cursor *c, bool client, char *sni, size_t snisz)
{
    uint16_t total = dt_cur_u16be(c);
    dt_cursor exts = dt_cur_sub(c, total);
    while (dt_cur_left(&exts) >= 4) {
        uint16_t type = dt_cur_u16be(&exts), len = dt_cur_u16be(&exts);
        dt_cursor e = dt_cur_sub(&exts, len);
        if (type == 0 && client) { /* server_name */
            dt_cursor list = dt_cur_sub(&e, dt_cur_u16be(&e));
            while (dt_cur_left(&list) >= 3) {
                uint8_t nt = dt_cur_u8(&list);
                uint16_t nl = dt_cur_u16be(&list);
                size_t off = dt_cur_offset(&list);
                char name[256];
                size_t n = dt_cur_string(&list, nl, name, sizeof name);
                if (nt == 0 && dt_cur_ok(&list)) {
                    dt_add_string(ctx, hs, &tls_fields[TF_SNI], off, nl, name, n);
                    snprintf(sni, snisz, "%s", name);
                }
            }
        } else if (type == 16) { /* ALPN */
            dt_cursor list = dt_cur_sub(&e, dt_cur_u16be(&e));
            while (dt_cur_left(&list) >= 1) {
                uint8_t pl = dt_cur_u8(&list);
                size_t off = dt_cur_offset(&list);
                char proto[64];
                size_t n = dt_cur_string(&list, pl, proto, sizeof proto);
                if (dt_cur_ok(&list))
                    dt_add_string(ctx, hs, &tls_fields[TF_ALPN], off, pl, proto, n);
            }
        } else if (type == 43 && !client && len == 2) { /* supported_versions: the chosen one */
            size_t off = dt_cur_offset(&e);
            dt_add_uint(ctx, hs, &tls_fields[TF_SUPPORTED_VERSION], off, 2, dt_cur_u16be(&e));
        }
    }
}

static void hello(dt_ctx *ctx, dt_field *hs, dt_cursor *c, bool client, char *sni, size_t snisz)
{
    size_t off = dt_cur_offset(c);
    uint16_t ver = dt_cur_u16be(c);
    dt_add_uint(ctx, hs, &tls_fields[TF_HELLO_VERSION], off, 2, ver);
    dt_cur_skip(c, 32);                /* random */
    dt_cur_skip(c, dt_cur_u8(c));      /* session id */
    if (client) {
        dt_cur_skip(c, dt_cur_u16be(c)); /* cipher suites */
        dt_cur_skip(c, dt_cur_u8(c));    /* compression methods */
    } else {
        off = dt_cur_offset(c);
        dt_add_uint(ctx, hs, &tls_fields[TF_CIPHER], off, 2, dt_cur_u16be(c));
        dt_cur_skip(c, 1);
    }
    if (dt_cur_left(c) >= 2)
        hello_extensions(ctx, hs, c, client, sni, snisz);
}

void tls_dissect_record(dt_ctx *ctx, const uint8_t *data, size_t len, const char *inside)
{
    dt_cursor c = dt_cursor_make(data, len);
    dt_field *rec = dt_add_none(ctx, NULL, &tls_fields[TF_RECORD], 0, len);
    uint8_t type;
    uint16_t ver, rlen;
    dt_add_u8(ctx, rec, &tls_fields[TF_CONTENT_TYPE], &c, &type);
    dt_add_u16be(ctx, rec, &tls_fields[TF_VERSION], &c, &ver);
    dt_add_u16be(ctx, rec, &tls_fields[TF_LENGTH], &c, &rlen);
    dt_cursor body = dt_cur_sub(&c, rlen);
    if (!dt_cur_ok(&c))
        dt_malformed(ctx, 5, "TLS record of %u bytes, %zu there", rlen, len > 5 ? len - 5 : 0);
    const char *what = inside ? inside : "data";
    dt_stats_key(ctx, dt_value_name_find(content_types, type, false) ? dt_value_name_find(content_types, type, false)
                                                                     : "unknown");
    if (type != 22) {
        dt_add_uint(ctx, NULL, &tls_fields[TF_OPAQUE], 5, rlen, rlen);
        if (type == 23)
            dt_summary(ctx, "TLS application data, %u bytes (encrypted %s: opaque, not decrypted)", rlen, what);
        else if (type == 21)
            dt_summary(ctx, "TLS alert (encrypted or not, %u bytes)", rlen);
        else
            dt_summary(ctx, "TLS change_cipher_spec");
        return;
    }
    dt_summary(ctx, "TLS");
    char sni[256] = "";
    bool first = true;
    while (dt_cur_left(&body) >= 4) {
        size_t off = dt_cur_offset(&body);
        uint8_t ht = dt_cur_u8(&body);
        uint32_t hl = (uint32_t)dt_cur_u8(&body) << 16;
        hl |= dt_cur_u16be(&body);
        const char *name = dt_value_name_find(hs_types, ht, false);
        if (!name || hl > dt_cur_left(&body)) {
            /* after ChangeCipherSpec, handshake records are encrypted */
            dt_add_uint(ctx, NULL, &tls_fields[TF_OPAQUE], off, dt_cur_left(&body) + 4, (uint32_t)dt_cur_left(&body) + 4);
            dt_summary_append(ctx, "%s encrypted handshake message", first ? "" : ",");
            break;
        }
        dt_field *hs = dt_add_none(ctx, NULL, &tls_fields[TF_HANDSHAKE], off, hl + 4);
        dt_add_uint(ctx, hs, &tls_fields[TF_HS_TYPE], off, 1, ht);
        dt_add_uint(ctx, hs, &tls_fields[TF_HS_LENGTH], off + 1, 3, hl);
        dt_cursor h = dt_cur_sub(&body, hl);
        if (ht == 1 || ht == 2)
            hello(ctx, hs, &h, ht == 1, sni, sizeof sni);
        dt_summary_append(ctx, "%s %s", first ? "" : ",", name);
        first = false;
    }
    if (sni[0])
        dt_summary_append(ctx, ", SNI %s", sni);
    dt_summary_append(ctx, " (%s inside TLS is opaque: not decrypted)", what);
}

static int tls_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    if (!tls_looks_like_record(data, len) || data[0] != 22)
        return 0;
    if (len >= 6)
        return (data[5] == 1 || data[5] == 2) ? 70 : 0;
    return 40;
}

static long tls_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    return tls_record_frame(data, avail);
}

static void tls_dissect(dt_ctx *ctx)
{
    unsigned port = 0;
    const dt_conv_info *ci = ctx->ev->conv;
    const char *colon = ci && ci->server ? strrchr(ci->server, ':') : NULL;
    if (colon)
        sscanf(colon + 1, "%u", &port);
    tls_dissect_record(ctx, ctx->pdu, ctx->pdu_len, port == 5986 ? "WinRM (HTTPS)" : NULL);
}

/* WinRM over HTTPS; other TLS is found by the probe (Wireshark keeps its own TLS on 443) */
static const uint16_t tls_tcp_ports[] = { 5986, 0 };

static const dt_dissector tls_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "tls",
    .display_name = "TLS",
    .description = "TLS records: handshake, SNI, versions; the payload stays opaque (no decryption)",
    .fields = tls_fields,
    .n_fields = TF_COUNT,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .tcp_ports = tls_tcp_ports,
    .probe = tls_probe,
    .frame = tls_frame,
    .dissect = tls_dissect,
};

int dt_builtin_tls(dt_registry *reg);
int dt_builtin_tls(dt_registry *reg) { return dt_register(reg, &tls_dissector); }
