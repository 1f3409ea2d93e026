/* The KD packet protocol shared by KDNET and the serial (KDCOM) transport:
 * field table, name tables and the decoder of one KD packet. */
#ifndef DIAGTAP_KD_H
#define DIAGTAP_KD_H

#include <stdbool.h>
#include <stdint.h>

#include "diagtap/dissector.h"

#define KD_LEADER_DATA 0x30303030u    /* "0000" */
#define KD_LEADER_CONTROL 0x69696969u /* "iiii" */
#define KD_LEADER_BREAKIN 0x62626262u /* "bbbb" */
#define KD_BREAKIN_BYTE 0x62u         /* 'b' */
#define KD_TRAILING_BYTE 0xAAu
#define KD_HEADER_LEN 16u
#define KD_MAX_DATA 4096u             /* PACKET_MAX_SIZE is 4000; keep a margin */

enum kd_packet_type {
    KD_STATE_CHANGE32 = 1,
    KD_STATE_MANIPULATE = 2,
    KD_DEBUG_IO = 3,
    KD_ACKNOWLEDGE = 4,
    KD_RESEND = 5,
    KD_RESET = 6,
    KD_STATE_CHANGE64 = 7,
    KD_POLL_BREAKIN = 8,
    KD_TRACE_IO = 9,
    KD_CONTROL_REQUEST = 10,
    KD_FILE_IO = 11,
    KD_TYPE_MAX = 12,
};

/* Who sent a packet. */
typedef enum kd_side {
    KD_SIDE_TARGET = 0,
    KD_SIDE_HOST = 1,
    KD_SIDE_UNKNOWN = 2,
} kd_side;

/* The last data packet one sender sent, for acknowledges and retransmits. */
typedef struct kd_sent {
    bool valid;
    bool acked;
    uint16_t type;
    uint32_t id;
    uint32_t api;
    uint64_t ts_ns;
} kd_sent;

/* A file the target opened over .kdfiles, so reads and closes can name it. */
#define KD_OPEN_FILES 16
typedef struct kd_open_file {
    uint64_t handle;
    char name[96];
} kd_open_file;

/* Per-session KD state (embedded in the KDNET and serial conversation states). */
typedef struct kd_session {
    kd_sent sent[2];       /* by sender slot: side, or direction when sides are unknown */
    bool host_known;       /* serial: the host's direction has been seen */
    uint8_t host_dir;      /* serial: the dt_dir the host writes in */
    uint16_t machine;      /* from GetVersion: selects the CONTINUE2 control-set layout */
    uint64_t packets, bytes, data_packets, control_packets;
    uint64_t retransmits, resends, resets, breakins, bad_checksums, acks, unmatched_acks;
    uint64_t polls, first_poll_ns, last_poll_ns;
    uint64_t first_ns, last_ns;
    kd_open_file files[KD_OPEN_FILES];
    unsigned next_file;
} kd_session;

/* Field ids: indexes into kd_fields[]. */
enum kd_field_id {
    KDF_PACKET,
    KDF_LEADER,
    KDF_TYPE,
    KDF_BYTE_COUNT,
    KDF_PACKET_ID,
    KDF_CHECKSUM,
    KDF_CHECKSUM_GOOD,
    KDF_CHECKSUM_COMPUTED,
    KDF_FROM_HOST,
    KDF_RETRANSMIT,
    KDF_ACK_OF,
    KDF_ACK_UNMATCHED,
    KDF_DATA,
    KDF_API,
    KDF_PROCESSOR_LEVEL,
    KDF_PROCESSOR,
    KDF_RETURN_STATUS,
    KDF_MEM_ADDRESS,
    KDF_MEM_REQUESTED,
    KDF_MEM_ACTUAL,
    KDF_MEM_DATA,
    KDF_VER_MAJOR,
    KDF_VER_MINOR,
    KDF_VER_PROTOCOL,
    KDF_VER_SECONDARY,
    KDF_VER_FLAGS,
    KDF_VER_MACHINE,
    KDF_VER_MAX_PACKET_TYPE,
    KDF_VER_MAX_STATE_CHANGE,
    KDF_VER_MAX_MANIPULATE,
    KDF_VER_SIMULATION,
    KDF_VER_KERN_BASE,
    KDF_VER_PS_LOADED_MODULE_LIST,
    KDF_VER_DEBUGGER_DATA_LIST,
    KDF_CTX_FLAGS,
    KDF_CTX_OFFSET,
    KDF_CTX_BYTE_COUNT,
    KDF_CTX_BYTES_COPIED,
    KDF_CTX_DATA,
    KDF_BP_ADDRESS,
    KDF_BP_HANDLE,
    KDF_BP_COUNT,
    KDF_CONT_STATUS,
    KDF_CONT_TRACE_FLAG,
    KDF_CONT_DR7,
    KDF_CONT_SYMBOL_START,
    KDF_CONT_SYMBOL_END,
    KDF_IO_ADDRESS,
    KDF_IO_SIZE,
    KDF_IO_VALUE,
    KDF_IO_INTERFACE,
    KDF_IO_BUS,
    KDF_IO_ADDRESS_SPACE,
    KDF_MSR,
    KDF_MSR_VALUE,
    KDF_SEARCH_ADDRESS,
    KDF_SEARCH_LENGTH,
    KDF_SEARCH_PATTERN_LENGTH,
    KDF_SEARCH_PATTERN,
    KDF_QUERY_ADDRESS,
    KDF_QUERY_ADDRESS_SPACE,
    KDF_QUERY_FLAGS,
    KDF_FILL_LENGTH,
    KDF_FILL_FLAGS,
    KDF_FILL_PATTERN_LENGTH,
    KDF_BUS_DATA_TYPE,
    KDF_BUS_NUMBER,
    KDF_BUS_SLOT,
    KDF_BUS_OFFSET,
    KDF_BUS_LENGTH,
    KDF_NEW_STATE,
    KDF_NUM_PROCESSORS,
    KDF_THREAD,
    KDF_PC,
    KDF_EXC_CODE,
    KDF_EXC_FLAGS,
    KDF_EXC_RECORD,
    KDF_EXC_ADDRESS,
    KDF_EXC_NUM_PARAMS,
    KDF_EXC_PARAM,
    KDF_EXC_FIRST_CHANCE,
    KDF_LOAD_PATH,
    KDF_LOAD_PATH_LENGTH,
    KDF_LOAD_BASE,
    KDF_LOAD_PROCESS_ID,
    KDF_LOAD_CHECKSUM,
    KDF_LOAD_SIZE,
    KDF_LOAD_UNLOAD,
    KDF_CMD_FLAGS,
    KDF_CMD_STRING,
    KDF_PRINT_LENGTH,
    KDF_PRINT_TEXT,
    KDF_PROMPT_LENGTH,
    KDF_PROMPT_READ_LENGTH,
    KDF_PROMPT_TEXT,
    KDF_PROMPT_REPLY,
    KDF_TRACE_LENGTH,
    KDF_TRACE_DATA,
    KDF_HWBP_NUMBER,
    KDF_HWBP_AVAILABLE,
    KDF_HWBP_ADDRESS,
    KDF_HWBP_FLAGS,
    KDF_HWBP_RELEASED,
    KDF_FILE_STATUS,
    KDF_FILE_ACCESS,
    KDF_FILE_ATTRIBUTES,
    KDF_FILE_SHARE,
    KDF_FILE_DISPOSITION,
    KDF_FILE_OPTIONS,
    KDF_FILE_HANDLE,
    KDF_FILE_LENGTH,
    KDF_FILE_OFFSET,
    KDF_FILE_NAME,
    KDF_FILE_DATA,
    KDF_SESSION_PACKETS,
    KDF_SESSION_BYTES,
    KDF_SESSION_RETRANSMITS,
    KDF_SESSION_RESENDS,
    KDF_SESSION_RESETS,
    KDF_SESSION_BREAKINS,
    KDF_SESSION_BAD_CHECKSUMS,
    KDF_SESSION_POLL_INTERVAL,
    KDF_COUNT
};

extern const dt_field_def kd_fields[KDF_COUNT];
#define KDF(id) (&kd_fields[KDF_##id])

/* Name tables (kd_names.c). */
extern const dt_value_name kd_packet_type_vals[];
extern const dt_value_name kd_leader_vals[];
extern const dt_value_name kd_api_vals[];       /* sorted: every ApiNumber family */
extern const dt_value_name kd_new_state_vals[];
extern const dt_value_name kd_ntstatus_vals[];  /* sorted */
extern const dt_value_name kd_machine_vals[];
extern const dt_value_name kd_query_space_vals[];

const char *kd_type_name(uint16_t type);  /* "STATE_MANIPULATE", or "UNKNOWN" */
const char *kd_api_name(uint32_t api);    /* "ReadVirtualMemory", or NULL */
const char *kd_ntstatus_name(uint32_t s); /* "STATUS_SUCCESS", or NULL */
/* Writes "NAME" or "0x%08x" into buf and returns buf. */
const char *kd_status_str(uint32_t s, char *buf, size_t bufsz);

/* Checks that data[0..len) starts like a KD packet header (leader, type). */
bool kd_header_plausible(const uint8_t *data, size_t len);

/* Decodes one KD packet (16-byte header and its data) at the cursor. The
 * summary and stats key are set; pairing and retransmit state live in s.
 * slot is the sender slot (side when known, else direction). Returns the
 * number of bytes the packet covers (header + byte count), or 0 when not even
 * the header was there. */
size_t kd_dissect_packet(dt_ctx *ctx, kd_session *s, dt_cursor *c, kd_side side, int slot);

/* Session counters as fields on the current event (end of conversation). */
void kd_session_summary(dt_ctx *ctx, const kd_session *s, const char *what);

#endif
