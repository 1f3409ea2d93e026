/* KDNET (KD over UDP) internals: field ids and conversation state. */
#ifndef DIAGTAP_KDNET_H
#define DIAGTAP_KDNET_H

#include "kd.h"
#include "kdnet_crypto.h"

enum kdnet_field_id {
    KNF_MAGIC,
    KNF_VERSION,
    KNF_CHANNEL,
    KNF_MAC,
    KNF_DECRYPTION,
    KNF_KEY_INDEX,
    KNF_CIPHERTEXT,
    KNF_SEQ,
    KNF_TAG,
    KNF_FROM_HOST,
    KNF_PAD_LEN,
    KNF_PAYLOAD,
    KNF_CTL_UPTIME,
    KNF_CTL_VERSION,
    KNF_CTL_TYPE,
    KNF_CTL_SEQ,
    KNF_CTL_TIME,
    KNF_CTL_TARGET_ADDR,
    KNF_CTL_TARGET_PORT,
    KNF_CTL_HOST_ADDR,
    KNF_CTL_HOST_PORT,
    KNF_CTL_PEER_ADDR,
    KNF_CTL_PEER_PORT,
    KNF_CTL_HOST_RANDOM,
    KNF_CTL_KEY_MATERIAL,
    KNF_DATA_KEY,
    KNF_SESSION_ANNOUNCEMENTS,
    KNF_SESSION_REPLIES,
    KNF_SESSION_ANNOUNCE_INTERVAL,
    KNF_SESSION_MAC_FAILURES,
    KNF_COUNT
};

extern const dt_field_def kdnet_fields[KNF_COUNT];
#define KNF(id) (&kdnet_fields[KNF_##id])

#define KDNET_MAX_KEYS 8
#define KDNET_UDP_PORT 50000

typedef struct kdnet_conv {
    bool init;
    int n_keys;                          /* configured keys that apply to this flow */
    kdnet_key keys[KDNET_MAX_KEYS];
    kdnet_keyctx ctl[KDNET_MAX_KEYS];    /* control channel: the configured keys */
    int ctl_key;                         /* index of the key that verified, -1 none yet */
    bool have_data_key;
    int data_key_of;                     /* the configured key it was derived from */
    uint8_t data_key[KDNET_KEY_LEN];
    kdnet_keyctx data;
    char key_error[128];                 /* a bad --kdnet-key, reported once */
    uint64_t announcements, replies, first_announce_ns, last_announce_ns, mac_failures, undecrypted;
    kd_session kd;
} kdnet_conv;

void kdnet_dissect(dt_ctx *ctx);
void kdnet_conv_free(void *conv);
void kdnet_conv_end(dt_ctx *ctx);
int kdnet_probe(const uint8_t *data, size_t len, dt_dir dir);

#endif
