/* The .NET diagnostics IPC protocol (dotnet/diagnostics ipc-protocol.md). */
#ifndef DT_DOTNET_IPC_H
#define DT_DOTNET_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "diagtap/dissector.h"
#include "nettrace.h"

#define IPC_MAGIC "DOTNET_IPC_V1" /* 13 characters and a NUL: 14 bytes */
#define IPC_MAGIC_LEN 14
#define IPC_HEADER_LEN 20
#define ADVR_MAGIC "ADVR_V1" /* and a NUL: 8 bytes */
#define ADVR_MAGIC_LEN 8
#define ADVR_LEN 34

enum {
    IPC_SET_DUMP = 0x01,
    IPC_SET_EVENTPIPE = 0x02,
    IPC_SET_PROFILER = 0x03,
    IPC_SET_PROCESS = 0x04,
    IPC_SET_SERVER = 0xff,
};

#define IPC_CMD(set, id) ((uint16_t)((set) << 8 | (id)))
enum {
    IPC_GENERATE_CORE_DUMP = IPC_CMD(1, 1),
    IPC_GENERATE_CORE_DUMP2 = IPC_CMD(1, 2),
    IPC_GENERATE_CORE_DUMP3 = IPC_CMD(1, 3),
    IPC_STOP_TRACING = IPC_CMD(2, 1),
    IPC_COLLECT_TRACING = IPC_CMD(2, 2),
    IPC_COLLECT_TRACING2 = IPC_CMD(2, 3),
    IPC_COLLECT_TRACING3 = IPC_CMD(2, 4),
    IPC_COLLECT_TRACING4 = IPC_CMD(2, 5),
    IPC_COLLECT_TRACING5 = IPC_CMD(2, 6),
    IPC_COLLECT_TRACING6 = IPC_CMD(2, 7),
    IPC_ATTACH_PROFILER = IPC_CMD(3, 1),
    IPC_STARTUP_PROFILER = IPC_CMD(3, 2),
    IPC_PROCESS_INFO = IPC_CMD(4, 0),
    IPC_RESUME_RUNTIME = IPC_CMD(4, 1),
    IPC_PROCESS_ENVIRONMENT = IPC_CMD(4, 2),
    IPC_SET_ENV_VAR = IPC_CMD(4, 3),
    IPC_PROCESS_INFO2 = IPC_CMD(4, 4),
    IPC_ENABLE_PERF_MAP = IPC_CMD(4, 5),
    IPC_DISABLE_PERF_MAP = IPC_CMD(4, 6),
    IPC_APPLY_STARTUP_HOOK = IPC_CMD(4, 7),
    IPC_PROCESS_INFO3 = IPC_CMD(4, 8),
    IPC_OK = IPC_CMD(0xff, 0x00),
    IPC_ERROR = IPC_CMD(0xff, 0xff),
};

/* What each direction of a connection carries now. */
typedef enum ipc_mode {
    IPC_MODE_MESSAGES, /* IPC messages (and the advertise message) */
    IPC_MODE_NETTRACE, /* the EventPipe stream after CollectTracing's OK */
    IPC_MODE_ENVIRON,  /* ProcessEnvironment's environment block */
    IPC_MODE_OPAQUE,   /* a continuation this protocol does not define */
} ipc_mode;

#define IPC_MAX_PENDING 8

typedef struct ipc_pending {
    uint16_t command;
    bool user_events; /* a CollectTracing5/6 user_events session: no nettrace follows */
} ipc_pending;

typedef struct ipc_conv {
    ipc_mode mode[2];
    uint32_t environ_len[2];
    uint64_t n_requests, n_responses;
    ipc_pending pending[IPC_MAX_PENDING]; /* FIFO of requests not yet answered */
    unsigned pend_head, pend_count;
    nt_stream nt[2];
} ipc_conv;

extern const dt_field_def ipc_fields[];
extern const size_t ipc_n_fields;

enum ipc_field_index {
    IF_MAGIC, IF_SIZE, IF_COMMAND_SET, IF_COMMAND_ID, IF_COMMAND, IF_RESERVED, IF_PAYLOAD,
    IF_ADVR_MAGIC, IF_ADVR_COOKIE, IF_ADVR_PID, IF_ADVR_FUTURE,
    IF_HRESULT, IF_ERROR_MESSAGE, IF_RESPONSE_TO, IF_SESSION_ID,
    IF_EP_BUFFER_MB, IF_EP_FORMAT, IF_EP_RUNDOWN, IF_EP_STACKWALK, IF_EP_RUNDOWN_KEYWORD, IF_EP_SESSION_TYPE,
    IF_EP_BUFFERING_MODE, IF_EP_PROVIDER_COUNT,
    IF_PROV, IF_PROV_NAME, IF_PROV_KEYWORDS, IF_PROV_LEVEL, IF_PROV_ARGS, IF_PROV_FILTER_ENABLE,
    IF_PROV_FILTER_EVENT_ID, IF_PROV_TP_DEFAULT, IF_PROV_TP_NAME, IF_PROV_TP_EVENT_ID,
    IF_DUMP_NAME, IF_DUMP_TYPE, IF_DUMP_DIAGNOSTICS, IF_DUMP_FLAGS, IF_DUMP_FLAG_LOG, IF_DUMP_FLAG_VERBOSE,
    IF_DUMP_FLAG_CRASHREPORT,
    IF_PROF_TIMEOUT, IF_PROF_GUID, IF_PROF_PATH, IF_PROF_DATA,
    IF_PROC_INFO_VERSION, IF_PROC_PID, IF_PROC_COOKIE, IF_PROC_CMDLINE, IF_PROC_OS, IF_PROC_ARCH,
    IF_PROC_ENTRY_ASSEMBLY, IF_PROC_RUNTIME_VERSION, IF_PROC_RID,
    IF_ENV_INCOMING, IF_ENV_FUTURE, IF_ENV_COUNT, IF_ENV_VAR, IF_ENV_NAME, IF_ENV_VALUE,
    IF_PERFMAP_TYPE, IF_STARTUP_HOOK,
    IF__COUNT
};

const char *ipc_command_name(uint16_t command);
const char *ipc_hresult_name(uint32_t hr);

#endif
