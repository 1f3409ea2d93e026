/* NTLM key derivation and sealing against the published test vectors of
 * MS-NLMP 4.2.1 (common values), 4.2.3 (NTLMv1 with client challenge, i.e.
 * extended session security, 56-bit, no key exchange) and 4.2.4 (NTLMv2
 * authentication): each
 * derivation step on its own, then the whole path as a capture would drive
 * it — CHALLENGE and AUTHENTICATE built from the vector values, fed through
 * the engine to dt_auth_token, and the vector's sealed message unsealed by
 * dt_auth_unseal — with the right password, the NT hash, a wrong password
 * and no password. */
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
#include "crypto/dt_crypto.h"
#include "dissectors/auth/auth.h"
#include "dissectors/auth/ntlm_crypto.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        while (*h == ' ')
            h++;
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

#define ASSERT_HEX(buf, len, hex)                                                                                      \
    do {                                                                                                               \
        uint8_t want_[256];                                                                                            \
        size_t n_ = unhex(hex, want_);                                                                                 \
        assert_int_equal(n_, (len));                                                                                   \
        assert_memory_equal((buf), want_, n_);                                                                         \
    } while (0)

/* MS-NLMP 4.2.1 and 4.2.4. */
static const uint8_t server_challenge[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
#define FLAGS_V2 0xe28a8233u /* 33 82 8a e2 */
static const char *const temp_hex = /* 4.2.4.1.3: the NTLMv2 response after NTProofStr */
    "0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
    "02000c0044006f006d00610069006e00" "01000c00530065007200760065007200" "00000000" "00000000";

static void utf16(const char *s, uint8_t *out, size_t *n)
{
    *n = ntlm_utf16le(s, strlen(s), false, out, 128);
}

static void derivation(void **state)
{
    (void)state;
    uint8_t h[16], owf[16], proof[16], base[16], exp[16], temp[128], key[16];
    assert_int_equal(ntlm_nt_hash("Password", h), 0);
    ASSERT_HEX(h, 16, "a4f49c406510bdcab6824ee7c30fd852"); /* 4.2.2.1.2 NTOWFv1 */
    uint8_t u[32], d[32];
    size_t ul, dl;
    utf16("User", u, &ul);
    utf16("Domain", d, &dl);
    assert_int_equal(ntlm_ntowfv2(h, u, ul, d, dl, owf), 0);
    ASSERT_HEX(owf, 16, "0c868a403bfd7a93a3001ef22ef02e3f"); /* 4.2.4.1.1 */
    size_t tl = unhex(temp_hex, temp);
    assert_int_equal(ntlm_v2_proof(owf, server_challenge, temp, tl, proof), 0);
    ASSERT_HEX(proof, 16, "68cd0ab851e51c96aabc927bebef6a1c"); /* 4.2.4.2.2 NTProofStr */
    assert_int_equal(ntlm_v2_session_base_key(owf, proof, base), 0);
    ASSERT_HEX(base, 16, "8de40ccadbc14a82f15cb0ad0de95ca3"); /* 4.2.4.1.2 */
    uint8_t enc[16];
    unhex("c5dad2544fc9799094ce1ce90bc9d03e", enc); /* 4.2.4.2.3 EncryptedSessionKey */
    assert_int_equal(ntlm_exported_session_key(base, FLAGS_V2, enc, 16, exp), 0);
    ASSERT_HEX(exp, 16, "55555555555555555555555555555555"); /* 4.2.1 RandomSessionKey */
    assert_int_equal(ntlm_seal_key(exp, FLAGS_V2, true, key), 0);
    ASSERT_HEX(key, 16, "59f600973cc4960a25480a7c196e4c58"); /* 4.2.4.4 client sealing key */
    assert_int_equal(ntlm_sign_key(exp, true, key), 0);
    ASSERT_HEX(key, 16, "4788dc861b4782f35d43fd98fe1a2d39"); /* 4.2.4.4 client signing key */
}

/* MS-NLMP 4.2.3: NTLMv1 with client challenge (extended session security),
 * 56-bit, no key exchange. */
#define FLAGS_V1_ESS 0x82088235u /* 35 82 08 82, the AUTHENTICATE's flags */
static void derivation_v1_ess(void **state)
{
    (void)state;
    uint8_t h[16], lm[24], kx[16], exp[16], key[16];
    assert_int_equal(ntlm_nt_hash("Password", h), 0);
    size_t lml = unhex("aaaaaaaaaaaaaaaa00000000000000000000000000000000", lm); /* 4.2.3.2.2 LMv1 response */
    assert_int_equal(ntlm_v1_key_exchange_key(h, server_challenge, lm, lml, FLAGS_V1_ESS, kx), 0);
    ASSERT_HEX(kx, 16, "eb93429a8bd952f8b89c55b87f475edc"); /* 4.2.3.1.2 KeyExchangeKey */
    assert_int_equal(ntlm_exported_session_key(kx, FLAGS_V1_ESS, NULL, 0, exp), 0);
    assert_memory_equal(exp, kx, 16); /* no KEY_EXCH: the exported key is the KeyExchangeKey */
    assert_int_equal(ntlm_seal_key(exp, FLAGS_V1_ESS, true, key), 0);
    ASSERT_HEX(key, 16, "04dd7f014d8504d265a25cc86a3a7c06"); /* 4.2.3.4 client sealing key (56-bit) */
    assert_int_equal(ntlm_sign_key(exp, true, key), 0);
    ASSERT_HEX(key, 16, "60e799be5c72fc92922ae8ebe961fb8d"); /* 4.2.3.4 client signing key */
}

/* ---- The whole path through the engine. A test carrier: 'T' + token, or
 * 'C' / 'S' + 16-byte signature + sealed data (from client / server). */
typedef struct carrier_conv {
    dt_auth_state auth;
} carrier_conv;

static void carrier_dissect(dt_ctx *ctx)
{
    carrier_conv *c = ctx->conv;
    if (ctx->pdu_len < 1)
        return;
    if (ctx->pdu[0] == 'T') {
        const char *d = dt_auth_token(ctx, NULL, &c->auth, ctx->dir, ctx->pdu + 1, ctx->pdu_len - 1);
        dt_summary(ctx, "%s", d);
        return;
    }
    if (ctx->pdu_len < 17)
        return;
    size_t n = ctx->pdu_len - 17;
    uint8_t *data = dt_alloc(ctx, n + 1);
    memcpy(data, ctx->pdu + 17, n);
    char why[160];
    if (dt_auth_unseal(ctx, &c->auth, ctx->dir, ctx->pdu + 1, 16, data, n, why, sizeof why) == 0) {
        char text[64];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof text; i += 2) /* UTF-16LE ASCII */
            text[k++] = (char)data[i];
        text[k] = '\0';
        dt_summary(ctx, "unsealed \"%s\"", text);
    } else {
        dt_summary(ctx, "sealed: %s", why);
    }
}

static void carrier_free(void *conv) { dt_auth_free(&((carrier_conv *)conv)->auth); }

static const dt_dissector carrier = {
    .abi_version = DT_ABI_VERSION,
    .name = "authtest",
    .display_name = "AUTHTEST",
    .description = "test carrier of auth tokens",
    .transports = DT_TRANSPORT_UDP,
    .dissect = carrier_dissect,
    .conv_size = sizeof(carrier_conv),
    .conv_free = carrier_free,
};

typedef struct collect {
    dt_sink base;
    char summary[8][200];
    char fields[8][1200];
    size_t n;
} collect;

static void add_fields(char *out, size_t outsz, const dt_field *f)
{
    for (; f; f = f->next) {
        size_t n = strlen(out);
        if (f->def->type == DT_FT_STRING)
            snprintf(out + n, outsz - n, "%s=%s;", f->def->abbrev, f->v.s.ptr);
        else if (f->def->type == DT_FT_BYTES)
            snprintf(out + n, outsz - n, "%s=%zu bytes%s;", f->def->abbrev, f->v.s.len,
                     (f->flags & DT_FLD_REDACTED) ? " redacted" : "");
        add_fields(out, outsz, f->child);
    }
}

static void on_event(dt_sink *s, const dt_event *e)
{
    collect *c = (collect *)s;
    if (c->n == 8 || e->kind != DT_EV_PDU)
        return;
    snprintf(c->summary[c->n], sizeof c->summary[0], "%s", e->summary);
    c->fields[c->n][0] = '\0';
    add_fields(c->fields[c->n], sizeof c->fields[0], e->fields);
    c->n++;
}
static int on_finish(dt_sink *s) { (void)s; return 0; }
static void on_destroy(dt_sink *s) { (void)s; }

typedef struct buf {
    uint8_t b[1024];
    size_t n;
} buf;

static void put(buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n), b->n += n; }
static void u16(buf *b, uint16_t v) { b->b[b->n++] = (uint8_t)v, b->b[b->n++] = (uint8_t)(v >> 8); }
static void u32(buf *b, uint32_t v) { u16(b, (uint16_t)v), u16(b, (uint16_t)(v >> 16)); }

/* The CHALLENGE of 4.2.4.3 (target "Server", target info of 4.2.4). */
static void build_challenge(buf *b)
{
    uint8_t name[32], ti[128];
    size_t nl, tl;
    utf16("Server", name, &nl);
    tl = unhex("02000c0044006f006d00610069006e00" "01000c00530065007200760065007200" "00000000", ti);
    b->n = 0;
    put(b, "T", 1);
    put(b, "NTLMSSP", 8);
    u32(b, 2);
    u16(b, (uint16_t)nl), u16(b, (uint16_t)nl), u32(b, 56);
    u32(b, FLAGS_V2);
    put(b, server_challenge, 8);
    put(b, "\0\0\0\0\0\0\0\0", 8);
    u16(b, (uint16_t)tl), u16(b, (uint16_t)tl), u32(b, (uint32_t)(56 + nl));
    put(b, "\x06\x00\x70\x17\x00\x00\x00\x0f", 8); /* version 6.0.6000 NTLM 15 */
    put(b, name, nl);
    put(b, ti, tl);
}

/* The AUTHENTICATE of 4.2.4.3: LMv2 and NTLMv2 responses, "Domain",
 * "User", "COMPUTER", the encrypted session key. */
static void build_authenticate(buf *b)
{
    uint8_t lm[24], nt[256], dom[32], usr[32], host[32], key[16];
    size_t lml = unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", lm);
    size_t ntl = unhex("68cd0ab851e51c96aabc927bebef6a1c", nt);
    ntl += unhex(temp_hex, nt + ntl);
    size_t dl, ul, hl;
    utf16("Domain", dom, &dl);
    utf16("User", usr, &ul);
    utf16("COMPUTER", host, &hl);
    unhex("c5dad2544fc9799094ce1ce90bc9d03e", key);
    uint32_t off = 72;
    b->n = 0;
    put(b, "T", 1);
    put(b, "NTLMSSP", 8);
    u32(b, 3);
    size_t lens[6] = { lml, ntl, dl, ul, hl, 16 };
    /* payload order: domain, user, host, lm, nt, key */
    uint32_t offs[6];
    offs[2] = off, offs[3] = offs[2] + (uint32_t)dl, offs[4] = offs[3] + (uint32_t)ul;
    offs[0] = offs[4] + (uint32_t)hl, offs[1] = offs[0] + (uint32_t)lml, offs[5] = offs[1] + (uint32_t)ntl;
    for (int i = 0; i < 6; i++)
        u16(b, (uint16_t)lens[i]), u16(b, (uint16_t)lens[i]), u32(b, offs[i]);
    u32(b, FLAGS_V2);
    put(b, "\x05\x00\x93\x08\x00\x00\x00\x0f", 8);
    put(b, dom, dl), put(b, usr, ul), put(b, host, hl), put(b, lm, lml), put(b, nt, ntl), put(b, key, 16);
}

/* 4.2.4.4: "Plaintext" sealed by the client, and its signature. */
static void build_sealed(buf *b)
{
    b->n = 0;
    put(b, "C", 1);
    uint8_t x[64];
    size_t n = unhex("010000007fb38ec5c55d497600000000", x);
    n += unhex("54e50165bf1936dc996020c1811b0f06fb5f", x + n);
    put(b, x, n);
}

/* 4.2.3.3: the CHALLENGE and AUTHENTICATE messages as published (NTLMv1
 * with client challenge), and 4.2.3.4's sealed "Plaintext" with its
 * signature (checksum not encrypted: no key exchange). */
static void build_v1_challenge(buf *b)
{
    b->n = 0;
    put(b, "T", 1);
    b->n += unhex("4e544c4d53535000020000000c000c003800000033820a820123456789abcdef0000000000000000"
                  "0000000000000000060070170000000f530065007200760065007200",
                  b->b + b->n);
}

static void build_v1_authenticate(buf *b)
{
    b->n = 0;
    put(b, "T", 1);
    b->n += unhex("4e544c4d5353500003000000180018006c00000018001800840000000c000c00480000000800080054000000"
                  "100010005c000000000000009c000000358208820501280a0000000f44006f006d00610069006e0055007300"
                  "6500720043004f004d0050005500540045005200aaaaaaaaaaaaaaaa0000000000000000000000000000000075"
                  "37f803ae367128ca458204bde7caf81e97ed2683267232",
                  b->b + b->n);
}

static void build_v1_sealed(buf *b)
{
    b->n = 0;
    put(b, "C", 1);
    b->n += unhex("01000000ff2aeb52f681793a00000000" "a02372f6530273f3aa1eb90190ce5200c99d", b->b + b->n);
}

static collect run_vectors(bool v1, const char *opt_name, const char *opt_value, bool show);

static collect run(const char *opt_name, const char *opt_value, bool show)
{
    return run_vectors(false, opt_name, opt_value, show);
}

static collect run_vectors(bool v1, const char *opt_name, const char *opt_value, bool show)
{
    collect col;
    memset(&col, 0, sizeof col);
    col.base.event = on_event;
    col.base.finish = on_finish;
    col.base.destroy = on_destroy;
    dt_registry *reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(reg), 0);
    assert_int_equal(dt_register(reg, &carrier), 0);
    dt_engine *e = dt_engine_new(reg);
    dt_engine_add_sink(e, &col.base);
    if (opt_name)
        dt_engine_set_option(e, opt_name, opt_value);
    dt_engine_set_show_credentials(e, show);
    char err[256];
    assert_int_equal(dt_engine_check_options(e, err, sizeof err), 0);
    const dt_channel *ch = dt_engine_channel(e, "test", "MS-NLMP 4.2.4", -1);
    uint64_t ts = 1700000000000000000ULL;
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_UDP, .client = "client", .server = "server",
                         .dissector = "authtest", .ts_ns = ts };
    dt_conv *c = dt_engine_conv_open(e, &p);
    buf b;
    v1 ? build_v1_challenge(&b) : build_challenge(&b);
    dt_engine_datagram(e, c, DT_DIR_S2C, ts, b.b, b.n);
    v1 ? build_v1_authenticate(&b) : build_authenticate(&b);
    dt_engine_datagram(e, c, DT_DIR_C2S, ts + 1, b.b, b.n);
    v1 ? build_v1_sealed(&b) : build_sealed(&b);
    dt_engine_datagram(e, c, DT_DIR_C2S, ts + 2, b.b, b.n);
    dt_engine_datagram(e, c, DT_DIR_C2S, ts + 3, b.b, b.n); /* replayed: the stream has moved on */
    dt_engine_finish(e, ts + 4);
    dt_engine_free(e);
    dt_registry_free(reg);
    return col;
}

static void with_password(void **state)
{
    (void)state;
    collect c = run("ntlm.password", "Domain\\User:Password", false);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.summary[0], "NTLMSSP_CHALLENGE");
    assert_string_equal(c.summary[1], "NTLMSSP_AUTH Domain\\User from COMPUTER");
    assert_non_null(strstr(c.fields[1], "auth.password_check=verified (NTProofStr);"));
    assert_non_null(strstr(c.fields[1], "auth.session_key=0 bytes redacted;"));
    assert_non_null(strstr(c.fields[1], "auth.ntlm.response_version=NTLMv2;"));
    assert_non_null(strstr(c.fields[0], "ntlmssp.challenge.target_name=Server;"));
    assert_non_null(strstr(c.fields[0], "auth.ntlm.av_value=Domain;"));
    assert_non_null(strstr(c.fields[0], "KEY_EXCH"));
    assert_string_equal(c.summary[2], "unsealed \"Plaintext\"");
    assert_string_equal(c.summary[3], "sealed: signature mismatch (wrong password?)");
}

static void with_hash_shown(void **state)
{
    (void)state;
    collect c = run("ntlm.hash", "user:A4F49C406510BDCAB6824EE7C30FD852", true);
    assert_non_null(strstr(c.fields[1], "auth.password_check=verified (NTProofStr);"));
    assert_non_null(strstr(c.fields[1], "auth.session_key=16 bytes;"));
    assert_string_equal(c.summary[2], "unsealed \"Plaintext\"");
}

static void wrong_password(void **state)
{
    (void)state;
    collect c = run("ntlm.password", "OTHER\\User:Password;Domain\\User:Passw0rd", false);
    assert_string_equal(c.summary[1], "NTLMSSP_AUTH Domain\\User from COMPUTER (wrong password for Domain\\User)");
    assert_non_null(strstr(c.fields[1], "auth.password_check=wrong password for Domain\\User;"));
    assert_null(strstr(c.fields[1], "Passw0rd"));
    assert_string_equal(c.summary[2], "sealed: signature mismatch (wrong password?)");
}

static void no_password(void **state)
{
    (void)state;
    collect c = run("ntlm.password", "Someone:else", false);
    assert_string_equal(c.summary[1], "NTLMSSP_AUTH Domain\\User from COMPUTER");
    assert_string_equal(c.summary[2], "sealed: no session key (no --ntlm-password for Domain\\User)");
    c = run(NULL, NULL, false);
    assert_null(strstr(c.fields[1], "auth.password_check"));
    assert_string_equal(c.summary[2], "sealed: no session key (no --ntlm-password for Domain\\User)");
}

/* 4.2.3 through the engine: the NTLMv1-ESS session key from the password
 * (an NTLMv1 response is not verified, so the signature is the check). */
static void v1_ess_path(void **state)
{
    (void)state;
    collect c = run_vectors(true, "ntlm.password", "Domain\\User:Password", false);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.summary[1], "NTLMSSP_AUTH Domain\\User from COMPUTER");
    assert_non_null(strstr(c.fields[1], "auth.ntlm.response_version=NTLMv1-ESS;"));
    assert_string_equal(c.summary[2], "unsealed \"Plaintext\"");
    assert_string_equal(c.summary[3], "sealed: signature mismatch (wrong password?)");
    c = run_vectors(true, "ntlm.hash", "User:a4f49c406510bdcab6824ee7c30fd852", false);
    assert_string_equal(c.summary[2], "unsealed \"Plaintext\"");
    c = run_vectors(true, "ntlm.password", "Domain\\User:Passw0rd", false);
    assert_string_equal(c.summary[2], "sealed: signature mismatch (wrong password?)");
}

static void option_check(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(dt_auth_check_option("ntlm.password", "D\\u:p;x:y:z", err, sizeof err), 0);
    assert_int_equal(dt_auth_check_option("ntlm.password", "nocolon", err, sizeof err), -1);
    assert_int_equal(dt_auth_check_option("ntlm.hash", "u:1234", err, sizeof err), -1);
    assert_int_equal(dt_auth_check_option("kdnet.key", "whatever", err, sizeof err), 0);
}

int main(void)
{
    if (!dt_crypto_available()) {
        printf("SKIP: built without a crypto backend\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derivation),      cmocka_unit_test(with_password), cmocka_unit_test(with_hash_shown),
        cmocka_unit_test(wrong_password),  cmocka_unit_test(no_password),   cmocka_unit_test(option_check),
        cmocka_unit_test(derivation_v1_ess), cmocka_unit_test(v1_ess_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
