#include "pcapng_format.h"

#include <string.h>

static uint8_t *be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
    return b + 2;
}

size_t dt_exp_pdu_tags(uint8_t *out, const char *name, dt_dir dir)
{
    size_t n = strlen(name);
    if (n > DT_EXP_PDU_NAME_MAX)
        n = DT_EXP_PDU_NAME_MAX;
    size_t padded = DT_PCAPNG_PAD4(n);
    uint8_t *p = out;
    p = be16(p, DT_EXP_PDU_TAG_DISSECTOR_NAME);
    p = be16(p, (uint16_t)padded);
    memcpy(p, name, n);
    memset(p + n, 0, padded - n);
    p += padded;
    p = be16(p, DT_EXP_PDU_TAG_P2P_DIRECTION);
    p = be16(p, 4);
    p = be16(p, 0);
    p = be16(p, dir == DT_DIR_C2S ? DT_P2P_DIR_C2S : DT_P2P_DIR_S2C);
    p = be16(p, DT_EXP_PDU_TAG_END_OF_OPT);
    p = be16(p, 0);
    return (size_t)(p - out);
}
