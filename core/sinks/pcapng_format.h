/* pcapng blocks and Wireshark exported-PDU tags, as far as the recorder
 * writes them (little-endian sections). */
#ifndef DIAGTAP_SINKS_PCAPNG_FORMAT_H
#define DIAGTAP_SINKS_PCAPNG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "diagtap/event.h"

#define DT_PCAPNG_SHB 0x0a0d0d0au
#define DT_PCAPNG_IDB 0x00000001u
#define DT_PCAPNG_EPB 0x00000006u
#define DT_PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du

#define DT_PCAPNG_OPT_SHB_USERAPPL 4
#define DT_PCAPNG_OPT_IF_NAME 2
#define DT_PCAPNG_OPT_IF_DESCRIPTION 3
#define DT_PCAPNG_OPT_IF_TSRESOL 9
#define DT_PCAPNG_OPT_EPB_FLAGS 2

#define DT_PCAPNG_PAD4(n) (((n) + 3) & ~(size_t)3)

/* Wireshark's limit for one record of most link types (WTAP_MAX_PACKET_SIZE_STANDARD). */
#define DT_PCAPNG_MAX_RECORD 262144u

#define DT_LINKTYPE_WIRESHARK_UPPER_PDU 252

/* Exported-PDU tags (Wireshark epan/exported_pdu.h): big-endian tag and
 * length, value padded to 4 bytes, the length counting the padding. */
#define DT_EXP_PDU_TAG_END_OF_OPT 0
#define DT_EXP_PDU_TAG_DISSECTOR_NAME 12
#define DT_EXP_PDU_TAG_P2P_DIRECTION 35
#define DT_EXP_PDU_NAME_MAX 64
#define DT_EXP_PDU_TAGS_MAX (4 + DT_EXP_PDU_NAME_MAX + 8 + 4)

/* Wireshark's P2P_DIR_SENT / P2P_DIR_RECV, from the client's point of view. */
#define DT_P2P_DIR_C2S 0
#define DT_P2P_DIR_S2C 1

static inline void dt_pcapng_le16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void dt_pcapng_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* Writes the tags for a record of dissector `name` (cut to
 * DT_EXP_PDU_NAME_MAX bytes) in direction dir into out (at least
 * DT_EXP_PDU_TAGS_MAX bytes); returns their length. */
size_t dt_exp_pdu_tags(uint8_t *out, const char *name, dt_dir dir);

#endif
