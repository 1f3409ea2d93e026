/* pcap LINKTYPE_* values diagtap decodes (https://www.tcpdump.org/linktypes.html). */
#ifndef DIAGTAP_CAPTURE_LINKTYPE_H
#define DIAGTAP_CAPTURE_LINKTYPE_H

enum {
    DT_LINKTYPE_NULL = 0,
    DT_LINKTYPE_ETHERNET = 1,
    DT_LINKTYPE_RAW = 101,
    DT_LINKTYPE_LOOP = 108,
    DT_LINKTYPE_LINUX_SLL = 113,
    DT_LINKTYPE_IPV4 = 228,
    DT_LINKTYPE_IPV6 = 229,
    DT_LINKTYPE_UPPER_PDU = 252, /* Wireshark exported PDU: diagtap's recorded IPC streams */
    DT_LINKTYPE_LINUX_SLL2 = 276,
};

/* Not a pcap link type: the chunks of a .nettrace file. */
#define DT_LINKTYPE_NETTRACE (-2)

/* libpcap reports DLT_* values; only DLT_RAW differs from its LINKTYPE. */
int dt_dlt_to_linktype(int dlt);

#endif
