/* NTLM key derivation (MS-NLMP 3.3 and 3.4.5) as pure functions over the
 * crypto layer, so the published test vectors (MS-NLMP 4.2) check each step.
 * All return DT_CRYPTO_OK or a negative dt_crypto_rc. */
#ifndef DIAGTAP_NTLM_CRYPTO_H
#define DIAGTAP_NTLM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTLM_FLAG_UNICODE 0x00000001u
#define NTLM_FLAG_SIGN 0x00000010u
#define NTLM_FLAG_SEAL 0x00000020u
#define NTLM_FLAG_LM_KEY 0x00000080u
#define NTLM_FLAG_ESS 0x00080000u
#define NTLM_FLAG_128 0x20000000u
#define NTLM_FLAG_KEY_EXCH 0x40000000u
#define NTLM_FLAG_56 0x80000000u

/* UTF-8 → UTF-16LE (surrogate pairs for non-BMP); returns bytes written or
 * (size_t)-1 when out is too small. upper: ASCII and Latin-1 letters
 * uppercased (NTOWFv2 uppercases the user name). */
size_t ntlm_utf16le(const char *s, size_t n, bool upper, uint8_t *out, size_t outsz);

/* NTOWFv1: MD4(UTF-16LE(password)). */
int ntlm_nt_hash(const char *password, uint8_t out[16]);

/* NTOWFv2: HMAC-MD5(nt_hash, UTF-16LE(Uppercase(user)) || UTF-16LE(domain)),
 * user and domain given as UTF-16LE (as an AUTHENTICATE carries them). */
int ntlm_ntowfv2(const uint8_t nt_hash[16], const uint8_t *user16, size_t ulen, const uint8_t *dom16, size_t dlen,
                 uint8_t out[16]);

/* NTProofStr = HMAC-MD5(ntowfv2, server_challenge || temp), temp being the
 * NTLMv2 response after its first 16 bytes. */
int ntlm_v2_proof(const uint8_t ntowfv2[16], const uint8_t challenge[8], const uint8_t *temp, size_t templen,
                  uint8_t out[16]);

/* NTLMv2 SessionBaseKey = HMAC-MD5(ntowfv2, NTProofStr); KeyExchangeKey is
 * the same for NTLMv2. */
int ntlm_v2_session_base_key(const uint8_t ntowfv2[16], const uint8_t proof[16], uint8_t out[16]);

/* NTLMv1 with extended session security: SessionBaseKey = MD4(nt_hash),
 * KeyExchangeKey = HMAC-MD5(SessionBaseKey, challenge || lm_response[0..8]).
 * Without ESS (and without LM_KEY) KeyExchangeKey = SessionBaseKey. */
int ntlm_v1_key_exchange_key(const uint8_t nt_hash[16], const uint8_t challenge[8], const uint8_t *lm, size_t lmlen,
                             uint32_t flags, uint8_t out[16]);

/* ExportedSessionKey: RC4(KeyExchangeKey, EncryptedRandomSessionKey) under
 * KEY_EXCH, else KeyExchangeKey. */
int ntlm_exported_session_key(const uint8_t kxkey[16], uint32_t flags, const uint8_t *enc, size_t enclen,
                              uint8_t out[16]);

/* SIGNKEY and SEALKEY (extended session security) for one direction. */
int ntlm_sign_key(const uint8_t exported[16], bool client_to_server, uint8_t out[16]);
int ntlm_seal_key(const uint8_t exported[16], uint32_t flags, bool client_to_server, uint8_t out[16]);

#endif
