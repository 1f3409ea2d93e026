/* libFuzzer target: the auth token parsers (NTLMSSP, SPNEGO, Kerberos DER,
 * CredSSP), NTLM key derivation and unsealing, and the SMB3 transform path.
 *
 * Input: the first byte picks the mode.
 *   0..127  a sequence of records [dir:1][len:2 LE][bytes] handed to a test
 *           carrier: records starting 'T' are tokens (dt_auth_token), others
 *           are a 16-byte signature + sealed data (dt_auth_unseal). The run
 *           has --ntlm-password Domain\User:Password, so a well-formed
 *           CHALLENGE + AUTHENTICATE (seeds: the MS-NLMP 4.2.4 messages, see
 *           tests/auth/test_auth_nlmp.c) reaches key derivation.
 *   128..   the rest is an SMB2 byte stream (direct TCP framing), half of it
 *           client to server: NEGOTIATE, SESSION_SETUP (tokens, preauth
 *           hash), transform headers (decryption with derived keys). */
#include <stdint.h>
#include <string.h>

#include "core/engine.h"
#include "core/registry.h"
#include "dissectors/auth/auth.h"

typedef struct carrier_conv {
    dt_auth_state auth;
} carrier_conv;

static void carrier_dissect(dt_ctx *ctx)
{
    carrier_conv *c = ctx->conv;
    if (ctx->pdu_len && ctx->pdu[0] == 'T') {
        dt_summary(ctx, "%s", dt_auth_token(ctx, NULL, &c->auth, ctx->dir, ctx->pdu + 1, ctx->pdu_len - 1));
        return;
    }
    if (ctx->pdu_len < 16)
        return;
    uint8_t *data = dt_alloc(ctx, ctx->pdu_len - 16 + 1);
    if (!data)
        return;
    memcpy(data, ctx->pdu + 16, ctx->pdu_len - 16);
    char why[200];
    if (dt_auth_unseal(ctx, &c->auth, ctx->dir, ctx->pdu, 16, data, ctx->pdu_len - 16, why, sizeof why) != 0)
        dt_summary(ctx, "%s", why);
}

static void carrier_free(void *conv) { dt_auth_free(&((carrier_conv *)conv)->auth); }

static const dt_dissector carrier = {
    .abi_version = DT_ABI_VERSION,
    .name = "authfuzz",
    .display_name = "AUTHFUZZ",
    .description = "fuzz carrier of auth tokens",
    .transports = DT_TRANSPORT_UDP,
    .dissect = carrier_dissect,
    .conv_size = sizeof(carrier_conv),
    .conv_free = carrier_free,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    dt_registry *reg = dt_registry_new();
    if (!reg || dt_registry_add_builtins(reg) != 0 || dt_register(reg, &carrier) != 0) {
        dt_registry_free(reg);
        return 0;
    }
    dt_engine *e = dt_engine_new(reg);
    dt_engine_set_option(e, "ntlm.password", "Domain\\User:Password");
    dt_engine_set_option(e, "ntlm.password", "root:Diagtap-Enc-Pass-7");
    const dt_channel *ch = dt_engine_channel(e, "fuzz", "fuzz", -1);
    uint64_t ts = 1700000000000000000ULL;
    bool smb = data[0] >= 128;
    dt_conv_params p = { .channel = ch, .transport = smb ? DT_CONV_STREAM : DT_CONV_UDP, .client = "c",
                         .server = "s", .dissector = smb ? "smb2" : "authfuzz", .ts_ns = ts };
    dt_conv *c = dt_engine_conv_open(e, &p);
    data++, size--;
    if (smb) {
        /* Alternate directions in chunks so both sides' state is exercised. */
        size_t half = size / 2;
        dt_engine_stream(e, c, DT_DIR_C2S, ts, data, half);
        dt_engine_stream(e, c, DT_DIR_S2C, ts + 1, data + half, size - half);
    } else {
        while (size >= 3) {
            dt_dir dir = (data[0] & 1) ? DT_DIR_S2C : DT_DIR_C2S;
            size_t n = (size_t)data[1] | (size_t)data[2] << 8;
            data += 3, size -= 3;
            if (n > size)
                n = size;
            dt_engine_datagram(e, c, dir, ts++, data, n);
            data += n, size -= n;
        }
    }
    dt_engine_finish(e, ts + 10);
    dt_engine_free(e);
    dt_registry_free(reg);
    return 0;
}
