/* Sealed WinRM bodies (MS-WSMV 2.2.9.1): multipart/encrypted with
 * protocol="application/HTTP-SPNEGO-session-encrypted" (NTLM or Kerberos
 * inside SPNEGO), "...-Kerberos-session-encrypted" or
 * "...-CredSSP-session-encrypted"; multipart/x-multi-encrypted repeats the
 * pair of parts per 16 KiB of plaintext:
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <u32le signature length><signature><sealed bytes>--Encrypted Boundary--\r\n
 *
 * NTLM-sealed parts are unsealed with the connection's keys (the auth module)
 * and their plaintext, checked against Length, goes to the inner dissector.
 * A signature that does not verify is reported, never passed on as text. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

#define MAX_PARTS 4096

typedef struct part_hdr {
    size_t proto_off, proto_len;  /* part 1 Content-Type */
    size_t otype_off, otype_len;  /* OriginalContent type= */
    uint64_t orig_len;
    bool has_len;
} part_hdr;

/* Position of needle in hay[from..), or SIZE_MAX. */
static size_t find(const uint8_t *hay, size_t n, size_t from, const char *needle, size_t nl)
{
    if (from > n || nl == 0)
        return SIZE_MAX;
    const uint8_t *p = memmem(hay + from, n - from, needle, nl);
    return p ? (size_t)(p - hay) : SIZE_MAX;
}

static bool ci_prefix(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && strncasecmp((const char *)p, s, k) == 0;
}

/* The header lines of a part, from pos to the next delimiter line. */
static void parse_part_headers(const uint8_t *b, size_t start, size_t end, part_hdr *h)
{
    size_t pos = start;
    while (pos < end) {
        size_t eol = find(b, end, pos, "\r\n", 2);
        if (eol == SIZE_MAX)
            eol = end;
        size_t s = pos;
        while (s < eol && (b[s] == ' ' || b[s] == '\t'))
            s++;
        if (ci_prefix(b + s, eol - s, "Content-Type:")) {
            s += 13;
            while (s < eol && b[s] == ' ')
                s++;
            h->proto_off = s;
            h->proto_len = eol - s;
        } else if (ci_prefix(b + s, eol - s, "OriginalContent:")) {
            s += 16;
            while (s < eol && b[s] == ' ')
                s++;
            if (ci_prefix(b + s, eol - s, "type=")) {
                size_t t = s + 5, te = t;
                while (te < eol && b[te] != ';')
                    te++;
                h->otype_off = t;
                h->otype_len = te - t;
            }
            size_t l = find(b, eol, s, "Length=", 7);
            if (l != SIZE_MAX) {
                uint64_t v = 0;
                size_t d = l + 7;
                bool any = false;
                while (d < eol && b[d] >= '0' && b[d] <= '9' && v < (UINT64_MAX - 9) / 10) {
                    v = v * 10 + (uint64_t)(b[d++] - '0');
                    any = true;
                }
                h->orig_len = v;
                h->has_len = any;
            }
        }
        pos = eol + 2;
    }
}

static const char *mech_of(const uint8_t *proto, size_t n, const uint8_t *sig, size_t siglen)
{
    if (n >= 10 && memmem(proto, n, "CredSSP", 7))
        return "CredSSP";
    if (n >= 10 && memmem(proto, n, "Kerberos", 8))
        return "Kerberos";
    /* SPNEGO: an NTLM signature is 16 bytes of version 1 */
    if (siglen == 16 && sig[0] == 1 && sig[1] == 0 && sig[2] == 0 && sig[3] == 0)
        return "NTLM";
    return "Kerberos";
}

static void boundary_of(const http_msg *m, char *out, size_t outsz)
{
    snprintf(out, outsz, "--Encrypted Boundary");
    const http_span *ct = http_header(m, "Content-Type");
    if (!ct)
        return;
    const uint8_t *p = m->base + ct->off;
    size_t at = find(p, ct->len, 0, "boundary=", 9);
    if (at == SIZE_MAX)
        return;
    at += 9;
    bool q = at < ct->len && p[at] == '"';
    if (q)
        at++;
    size_t e = at;
    while (e < ct->len && p[e] != (q ? '"' : ';') && p[e] != '\r')
        e++;
    if (e > at && e - at < outsz - 2)
        snprintf(out, outsz, "--%.*s", (int)(e - at), (const char *)p + at);
}

bool http_sealed_body(dt_ctx *ctx, http_conv *hc, const http_msg *m, const char *inner)
{
    char delim[96];
    boundary_of(m, delim, sizeof delim);
    size_t dl = strlen(delim);
    const uint8_t *b = m->body;
    size_t n = m->body_len;
    size_t body_off = m->body_buf ? 0 : m->header_end; /* field offsets within the PDU (0: de-chunked copy) */
    dt_field *enc = dt_add_none(ctx, NULL, &http_fields[HF_ENC], body_off, m->body_buf ? 0 : n);
    uint8_t *plain = dt_alloc(ctx, n ? n : 1); /* plaintext is never longer than the sealed body */
    size_t plain_len = 0;
    unsigned parts = 0, bad_sig = 0, no_key = 0, not_ntlm = 0, len_mismatch = 0;
    const char *mech = NULL;
    char why[160] = "";
    uint64_t sealed_total = 0;
    size_t pos = find(b, n, 0, delim, dl);
    bool proto_added = false;
    while (pos != SIZE_MAX && parts < MAX_PARTS) {
        size_t h1 = pos + dl;
        if (h1 + 2 <= n && b[h1] == '-' && b[h1 + 1] == '-')
            break; /* the closing delimiter */
        size_t p2 = find(b, n, h1, delim, dl);
        if (p2 == SIZE_MAX)
            break;
        part_hdr ph = { 0 };
        parse_part_headers(b, h1 + 2, p2, &ph);
        if (!proto_added && ph.proto_len) {
            dt_add_string(ctx, enc, &http_fields[HF_ENC_PROTOCOL], body_off + ph.proto_off, ph.proto_len,
                          (const char *)b + ph.proto_off, ph.proto_len);
            proto_added = true;
        }
        /* part 2: one header line, then the binary */
        size_t h2 = p2 + dl + 2;
        size_t eol = find(b, n, h2, "\r\n", 2);
        if (eol == SIZE_MAX)
            break;
        size_t data = eol + 2;
        dt_cursor c = dt_cursor_make(b, n);
        dt_cur_seek(&c, data);
        uint32_t siglen = dt_cur_u32le(&c);
        const uint8_t *sig = dt_cur_bytes(&c, siglen);
        if (!sig) {
            dt_malformed(ctx, body_off + data, "sealed part %u: signature length %u runs past the body", parts + 1,
                         siglen);
            break;
        }
        size_t sealed_off = dt_cur_offset(&c);
        /* where the part ends: after exactly Length sealed bytes (NTLM's RC4
         * keeps the length) if a delimiter follows there, else at the next delimiter */
        size_t end = SIZE_MAX;
        if (ph.has_len && sealed_off + ph.orig_len + dl <= n && memcmp(b + sealed_off + ph.orig_len, delim, dl) == 0)
            end = sealed_off + (size_t)ph.orig_len;
        else
            end = find(b, n, sealed_off, delim, dl);
        if (end == SIZE_MAX) {
            dt_malformed(ctx, body_off + sealed_off, "sealed part %u has no closing boundary", parts + 1);
            end = n;
        }
        size_t sealed_len = end - sealed_off;
        parts++;
        sealed_total += sealed_len;
        const char *pmech = mech_of(b + ph.proto_off, ph.proto_len, sig, siglen);
        mech = mech ? mech : pmech;
        dt_field *pf = dt_add_none(ctx, enc, &http_fields[HF_ENC_PART], body_off + pos, end - pos);
        if (ph.otype_len)
            dt_add_string(ctx, pf, &http_fields[HF_ENC_ORIG_TYPE], body_off + ph.otype_off, ph.otype_len,
                          (const char *)b + ph.otype_off, ph.otype_len);
        if (ph.has_len)
            dt_add_uint(ctx, pf, &http_fields[HF_ENC_ORIG_LENGTH], 0, 0, ph.orig_len);
        dt_add_uint(ctx, pf, &http_fields[HF_ENC_SIG_LENGTH], body_off + data, 4, siglen);
        dt_add_bytes(ctx, pf, &http_fields[HF_ENC_SIGNATURE], body_off + data + 4, siglen, sig, siglen);
        dt_add_uint(ctx, pf, &http_fields[HF_ENC_SEALED_LENGTH], body_off + sealed_off, sealed_len, sealed_len);
        const char *result;
        if (strcmp(pmech, "NTLM") != 0) {
            not_ntlm++;
            result = "sealed (not decrypted)";
        } else if (!plain || plain_len + sealed_len > n) {
            result = "out of memory";
        } else {
            int r = http_auth_unseal(ctx, hc, ctx->dir, sig, siglen, b + sealed_off, sealed_len, plain + plain_len,
                                     why, sizeof why);
            if (r > 0) {
                result = "decrypted";
                if (ph.has_len && ph.orig_len != sealed_len) {
                    len_mismatch++;
                    result = "decrypted, length differs from OriginalContent";
                }
                plain_len += sealed_len;
            } else if (r == 0) {
                no_key++;
                result = dt_strdup(ctx, why, strlen(why));
            } else {
                bad_sig++;
                result = "signature mismatch (wrong password?)";
            }
        }
        dt_add_string(ctx, pf, &http_fields[HF_ENC_RESULT], 0, 0, result, strlen(result));
        pos = end;
    }
    if (!parts) {
        dt_malformed(ctx, body_off, "multipart/encrypted body without a sealed part");
        return false;
    }
    if (parts > 1)
        dt_summary_append(ctx, ", sealed (%s, %u parts)", mech, parts);
    else
        dt_summary_append(ctx, ", sealed (%s)", mech);
    if (bad_sig) {
        dt_summary_append(ctx, ", %" PRIu64 " bytes: signature mismatch (wrong password?)", sealed_total);
        char st[96];
        snprintf(st, sizeof st, "%s%ssignature mismatch (wrong password?)", ctx->ev->status ? ctx->ev->status : "",
                 ctx->ev->status ? "; " : "");
        dt_status(ctx, st, true);
        return true;
    }
    if (not_ntlm) {
        dt_summary_append(ctx, ", %" PRIu64 " bytes, not decrypted", sealed_total);
        return true;
    }
    if (no_key) {
        dt_summary_append(ctx, ", %" PRIu64 " bytes, not decrypted: %s", sealed_total, why[0] ? why : "no key");
        if (hc->auth_st.keys == DT_AUTH_KEYS_WRONG_PASSWORD) {
            char st[200];
            snprintf(st, sizeof st, "%s%s%s", ctx->ev->status ? ctx->ev->status : "", ctx->ev->status ? "; " : "",
                     why);
            dt_status(ctx, st, true);
        }
        return true;
    }
    if (len_mismatch)
        dt_malformed(ctx, body_off, "unsealed length differs from OriginalContent Length");
    dt_summary_append(ctx, ", %zu bytes unsealed", plain_len);
    if (inner) {
        http_wsman_long_poll(ctx, m, plain, plain_len);
        dt_inner_set_user(ctx, 0, hc->user[0] ? hc->user : NULL);
        if (dt_inner_message(ctx, inner, 0, ctx->dir, plain, plain_len)) {
            dt_add_string(ctx, NULL, &http_fields[HF_INNER], 0, 0, inner, strlen(inner));
            return true;
        }
    }
    char prev[161];
    size_t k = 0;
    for (size_t i = 0; i < plain_len && k < sizeof prev - 1; i++)
        prev[k++] = (plain[i] >= 0x20 && plain[i] < 0x7f) ? (char)plain[i] : '.';
    dt_add_string(ctx, NULL, &http_fields[HF_BODY], 0, 0, prev, k);
    return true;
}
