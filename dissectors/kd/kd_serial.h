/* KD over a byte stream (KDCOM: serial ports, a VM's COM pipe or socket). */
#ifndef DIAGTAP_KD_SERIAL_H
#define DIAGTAP_KD_SERIAL_H

#include "kd.h"

enum kds_field_id {
    KSF_BREAKIN,
    KSF_TRAILER,
    KSF_COUNT
};

extern const dt_field_def kds_fields[KSF_COUNT];

typedef struct kds_conv {
    bool resyncing[2]; /* per direction: skipping garbage, break-in bytes not trusted */
    kd_session kd;
} kds_conv;

long kds_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail);
int kds_probe(const uint8_t *data, size_t len, dt_dir dir);
void kds_dissect(dt_ctx *ctx);
void kds_conv_end(dt_ctx *ctx);

/* A bare KD packet per datagram or PDU (decode-as "kd"). */
void kd_raw_dissect(dt_ctx *ctx);

#endif
