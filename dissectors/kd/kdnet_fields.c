/* The kdnet.* field table. */
#include "kdnet.h"

static const dt_value_name kdnet_channel_vals[] = { { 0, "Data" }, { 1, "Control" }, { 0, NULL } };
static const dt_value_name kdnet_ctl_type_vals[] = { { 1, "Announce" }, { 2, "Reply" }, { 0, NULL } };

const dt_field_def kdnet_fields[KNF_COUNT] = {
    [KNF_MAGIC] = { "kdnet.magic", "Magic", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, "\"MDBG\"" },
    [KNF_VERSION] = { "kdnet.version", "Protocol version", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_CHANNEL] = { "kdnet.channel", "Channel", DT_FT_UINT8, DT_BASE_DEC, kdnet_channel_vals, 0, 0, NULL },
    [KNF_MAC] = { "kdnet.mac", "MAC / IV", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, "Trailing 16 bytes: truncated HMAC-SHA256 of header and plaintext, also the AES-CBC IV" },
    [KNF_DECRYPTION] = { "kdnet.decryption", "Decryption", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "verified, MAC mismatch (wrong key?), no key, not built, data-channel key unknown" },
    [KNF_KEY_INDEX] = { "kdnet.key_index", "Key", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, "Which --kdnet-key value verified (1-based)" },
    [KNF_CIPHERTEXT] = { "kdnet.ciphertext", "Encrypted payload", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_SEQ] = { "kdnet.seq", "Sequence number", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_TAG] = { "kdnet.tag", "Tag", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0, NULL },
    [KNF_FROM_HOST] = { "kdnet.from_host", "Sent by the debugger host", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x80, 0, NULL },
    [KNF_PAD_LEN] = { "kdnet.pad_len", "Padding length", DT_FT_UINT8, DT_BASE_DEC, NULL, 0x7f, 0, NULL },
    [KNF_PAYLOAD] = { "kdnet.payload", "Payload without KD packet", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_CTL_UPTIME] = { "kdnet.ctl.uptime", "Uptime (s)", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, "Seconds the target has been announcing" },
    [KNF_CTL_VERSION] = { "kdnet.ctl.version", "Control version", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_CTL_TYPE] = { "kdnet.ctl.type", "Control message", DT_FT_UINT8, DT_BASE_DEC, kdnet_ctl_type_vals, 0, 0, NULL },
    [KNF_CTL_SEQ] = { "kdnet.ctl.seq", "Announcement sequence", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0, "Counts the target's announcements; the host's reply echoes it" },
    [KNF_CTL_TIME] = { "kdnet.ctl.time", "Target start time", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "TIME_FIELDS the target sends (its boot time)" },
    [KNF_CTL_TARGET_ADDR] = { "kdnet.ctl.target_addr", "Target address", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_CTL_TARGET_PORT] = { "kdnet.ctl.target_port", "Target port", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_CTL_HOST_ADDR] = { "kdnet.ctl.host_addr", "Configured host address", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_CTL_HOST_PORT] = { "kdnet.ctl.host_port", "Configured host port", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_CTL_PEER_ADDR] = { "kdnet.ctl.peer_addr", "Connected host address", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, "The host that last replied (:: while unconnected)" },
    [KNF_CTL_PEER_PORT] = { "kdnet.ctl.peer_port", "Connected host port", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_CTL_HOST_RANDOM] = { "kdnet.ctl.host_random", "Host random", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_CTL_KEY_MATERIAL] = { "kdnet.ctl.key_material", "Handshake key material", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, "The 322 bytes hashed with the key into the data-channel key" },
    [KNF_DATA_KEY] = { "kdnet.data_key", "Data-channel key", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, DT_FF_CREDENTIAL, NULL },
    [KNF_SESSION_ANNOUNCEMENTS] = { "kdnet.session.announcements", "Target announcements", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_SESSION_REPLIES] = { "kdnet.session.replies", "Host replies (connects)", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    [KNF_SESSION_ANNOUNCE_INTERVAL] = { "kdnet.session.announce_interval", "Mean announcement interval", DT_FT_RELTIME, DT_BASE_NONE, NULL, 0, 0, NULL },
    [KNF_SESSION_MAC_FAILURES] = { "kdnet.session.mac_failures", "Packets that did not verify", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL },
};
