/* CredSSP (MS-CSSP 2.2.1) TSRequest: which stage of the exchange it is
 * (negoTokens, pubKeyAuth, authInfo, errorCode). The SPNEGO/NTLM tokens it
 * carries are walked too, so the user is named; what CredSSP protects
 * (authInfo, and WinRM bodies sealed under its TLS channel) stays sealed.
 *
 * On the wire (WinRM's "Authorization: CredSSP ...", MS-CSSP 3.1.5) the
 * tokens are TLS records: first the TLS handshake, then each TSRequest
 * encrypted as application data. Those are walked record by record: the
 * handshake messages by name, a TSRequest by its place in the exchange. */
#include <stdio.h>
#include <string.h>

#include "auth_int.h"

static const char *tls_handshake_name(uint8_t t)
{
    switch (t) {
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 16: return "ClientKeyExchange";
    case 20: return "Finished";
    default: return "handshake message";
    }
}

static void add_name(char *list, size_t sz, const char *name)
{
    size_t n = strlen(list);
    /* "Certificate, Certificate" says nothing more than one */
    const char *last = strrchr(list, ',');
    last = last ? last + 2 : list;
    if (n && strcmp(last, name) == 0)
        return;
    dt_snprintf(list + n, sz - n, "%s%s", n ? ", " : "", name);
}

bool auth_is_tls_record(dt_cursor tok)
{
    const uint8_t *p = dt_cur_peek(&tok, 0, 5);
    return p && p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4;
}

/* The TSRequests' order (MS-CSSP 3.1.5): client negoTokens, server
 * negoTokens, client pubKeyAuth (with NTLM's last negoToken), server
 * pubKeyAuth, client authInfo. Known by position only: they are encrypted. */
static const char *tsrequest_stage(bool from_client, unsigned n)
{
    if (n == 1)
        return "negoTokens";
    if (n == 2)
        return "pubKeyAuth";
    return from_client ? "authInfo (delegated credentials)" : "TSRequest";
}

void auth_credssp_tls(auth_walk *w, dt_cursor tok)
{
    char names[120] = "";
    size_t app_bytes = 0;
    unsigned app_records = 0;
    bool encrypted_hs = w->st->credssp_ccs[w->dir];
    while (dt_cur_left(&tok) >= 5) {
        size_t off = dt_cur_offset(&tok);
        uint8_t type = dt_cur_u8(&tok);
        uint8_t major = dt_cur_u8(&tok);
        dt_cur_u8(&tok);
        uint16_t len = dt_cur_u16be(&tok);
        if (type < 20 || type > 23 || major != 3) {
            auth_malformed(w, off, "CredSSP: not a TLS record");
            break;
        }
        if (dt_cur_left(&tok) < len) {
            char what[96];
            dt_snprintf(what, sizeof what, "CredSSP: TLS record claims %u bytes, %zu left", len, dt_cur_left(&tok));
            auth_malformed(w, off, what);
            break;
        }
        dt_cursor rec = dt_cur_sub(&tok, len);
        if (type == 20) {
            add_name(names, sizeof names, "ChangeCipherSpec");
            encrypted_hs = true;
        } else if (type == 21) {
            add_name(names, sizeof names, encrypted_hs ? "Alert (encrypted)" : "Alert");
        } else if (type == 22 && encrypted_hs) {
            add_name(names, sizeof names, "Finished (encrypted)");
        } else if (type == 22) {
            while (dt_cur_left(&rec) >= 4) {
                uint8_t ht = dt_cur_u8(&rec);
                uint32_t hl = (uint32_t)dt_cur_u8(&rec) << 16;
                hl |= dt_cur_u16be(&rec);
                add_name(names, sizeof names, tls_handshake_name(ht));
                if (!dt_cur_skip(&rec, hl > dt_cur_left(&rec) ? dt_cur_left(&rec) : hl))
                    break;
            }
        } else {
            app_records++;
            app_bytes += len;
        }
    }
    w->st->credssp_ccs[w->dir] = encrypted_hs;
    w->st->mech = DT_AUTH_MECH_CREDSSP;
    bool from_client = w->st->have_client_dir ? w->dir == w->st->client_dir : w->dir == DT_DIR_C2S;
    char stage[160]; /* "TLS handshake: " and every record name (names[] is 120) */
    if (app_records) {
        if (w->st->credssp_tsreq[w->dir] < UINT8_MAX)
            w->st->credssp_tsreq[w->dir]++;
        unsigned n = w->st->credssp_tsreq[w->dir];
        dt_snprintf(stage, sizeof stage, "TSRequest %u: %s", n, tsrequest_stage(from_client, n));
        if (from_client && n >= 3) /* authInfo: the client's last word, the server decides now */
            w->st->stage = DT_AUTH_STAGE_AUTHENTICATE;
        auth_desc(w, "CredSSP %s (inside TLS, %zu bytes, not decrypted)", stage, app_bytes);
    } else {
        dt_snprintf(stage, sizeof stage, "TLS handshake: %s", names[0] ? names : "no records");
        auth_desc(w, "CredSSP %s", stage);
    }
    auth_add_str(w, NULL, A_STAGE, 0, 0, stage);
}

void auth_credssp(auth_walk *w, dt_cursor msg)
{
    uint8_t tag;
    dt_cursor seq, f;
    size_t off = dt_cur_offset(&msg);
    if (!auth_der_next(&msg, &tag, &seq) || tag != 0x30) {
        auth_desc(w, "CredSSP");
        auth_malformed(w, off, "CredSSP TSRequest malformed");
        return;
    }
    int64_t v;
    if (auth_der_field(seq, 0, &f) && auth_der_int(f, &v))
        auth_add_uint(w, NULL, A_CREDSSP_VERSION, dt_cur_offset(&f), dt_cur_left(&f), (uint64_t)v);
    const char *stage = NULL;
    if (auth_der_field(seq, 1, &f)) {
        stage = "negoTokens";
        dt_cursor list, item, tok;
        if (auth_der_next(&f, &tag, &list) && tag == 0x30 && auth_der_next(&list, &tag, &item) && tag == 0x30 &&
            auth_der_field(item, 0, &tok) && auth_der_next(&tok, &tag, &item) && tag == 0x04) {
            auth_desc(w, "CredSSP");
            auth_mech_token(w, item, 3);
            stage = NULL;
        }
    }
    if (auth_der_field(seq, 3, &f))
        stage = "pubKeyAuth";
    if (auth_der_field(seq, 2, &f)) {
        stage = "authInfo (delegated credentials, encrypted)";
        w->st->stage = DT_AUTH_STAGE_AUTHENTICATE;
    }
    if (auth_der_field(seq, 4, &f) && auth_der_int(f, &v)) {
        auth_add_uint(w, NULL, A_CREDSSP_ERROR, dt_cur_offset(&f), dt_cur_left(&f), (uint64_t)v);
        auth_desc(w, "CredSSP error 0x%08x", (unsigned)v);
        w->st->stage = DT_AUTH_STAGE_REJECTED;
    }
    if (stage) {
        auth_desc(w, "CredSSP %s", stage);
        auth_add_str(w, NULL, A_STAGE, 0, 0, stage);
    }
    w->st->mech = DT_AUTH_MECH_CREDSSP;
}
