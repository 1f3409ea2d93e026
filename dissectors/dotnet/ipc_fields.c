/* The .NET IPC field table and value names. Order matches enum ipc_field_index. */
#include "ipc.h"

static const dt_value_name ipc_set_names[] = {
    { 0x01, "Dump" }, { 0x02, "EventPipe" }, { 0x03, "Profiler" }, { 0x04, "Process" }, { 0xff, "Server" },
    { 0, NULL },
};

static const dt_value_name ipc_command_names[] = {
    { IPC_GENERATE_CORE_DUMP, "GenerateCoreDump" },
    { IPC_GENERATE_CORE_DUMP2, "GenerateCoreDump2" },
    { IPC_GENERATE_CORE_DUMP3, "GenerateCoreDump3" },
    { IPC_STOP_TRACING, "StopTracing" },
    { IPC_COLLECT_TRACING, "CollectTracing" },
    { IPC_COLLECT_TRACING2, "CollectTracing2" },
    { IPC_COLLECT_TRACING3, "CollectTracing3" },
    { IPC_COLLECT_TRACING4, "CollectTracing4" },
    { IPC_COLLECT_TRACING5, "CollectTracing5" },
    { IPC_COLLECT_TRACING6, "CollectTracing6" },
    { IPC_ATTACH_PROFILER, "AttachProfiler" },
    { IPC_STARTUP_PROFILER, "StartupProfiler" },
    { IPC_PROCESS_INFO, "ProcessInfo" },
    { IPC_RESUME_RUNTIME, "ResumeRuntime" },
    { IPC_PROCESS_ENVIRONMENT, "ProcessEnvironment" },
    { IPC_SET_ENV_VAR, "SetEnvironmentVariable" },
    { IPC_PROCESS_INFO2, "ProcessInfo2" },
    { IPC_ENABLE_PERF_MAP, "EnablePerfMap" },
    { IPC_DISABLE_PERF_MAP, "DisablePerfMap" },
    { IPC_APPLY_STARTUP_HOOK, "ApplyStartupHook" },
    { IPC_PROCESS_INFO3, "ProcessInfo3" },
    { IPC_OK, "OK" },
    { IPC_ERROR, "Error" },
    { 0, NULL },
};

static const dt_value_name ipc_hresult_names[] = {
    { 0x00000000, "S_OK" },
    { 0x800000cb, "DS_IPC_E_ENVVAR_NOT_FOUND" },
    { 0x80004001, "E_NOTIMPL" },
    { 0x80004005, "DS_IPC_E_FAIL" },
    { 0x8007000e, "E_OUTOFMEMORY" },
    { 0x80070057, "DS_IPC_E_INVALIDARG" },
    { 0x8007007a, "DS_IPC_E_INSUFFICIENT_BUFFER" },
    { 0x8013135b, "DS_IPC_E_NOT_YET_AVAILABLE" },
    { 0x8013136a, "CORPROF_E_PROFILER_ALREADY_ACTIVE" },
    { 0x80131371, "DS_IPC_E_RUNTIME_UNINITIALIZED" },
    { 0x80131384, "DS_IPC_E_BAD_ENCODING" },
    { 0x80131385, "DS_IPC_E_UNKNOWN_COMMAND" },
    { 0x80131386, "DS_IPC_E_UNKNOWN_MAGIC" },
    { 0x80131387, "DS_IPC_E_UNKNOWN_ERROR" },
    { 0x80131515, "DS_IPC_E_NOTSUPPORTED" },
    { 0, NULL },
};

static const dt_value_name ipc_format_names[] = { { 0, "NetPerf" }, { 1, "NetTrace" }, { 0, NULL } };
static const dt_value_name ipc_session_type_names[] = { { 0, "Streaming" }, { 1, "user_events" }, { 0, NULL } };
static const dt_value_name ipc_buffering_names[] = { { 0, "Drop" }, { 1, "Block" }, { 0, NULL } };
static const dt_value_name ipc_level_names[] = {
    { 0, "LogAlways" }, { 1, "Critical" }, { 2, "Error" }, { 3, "Warning" }, { 4, "Informational" },
    { 5, "Verbose" }, { 0, NULL },
};
static const dt_value_name ipc_dump_type_names[] = {
    { 1, "Normal" }, { 2, "WithHeap" }, { 3, "Triage" }, { 4, "Full" }, { 0, NULL },
};
static const dt_value_name ipc_perfmap_names[] = {
    { 0, "Disabled" }, { 1, "All" }, { 2, "JitDump" }, { 3, "PerfMap" }, { 0, NULL },
};

#define F(abbrev, name, type, base, vals, mask, flags, blurb) { abbrev, name, type, base, vals, mask, flags, blurb }
#define S DT_FF_VALS_SORTED

const dt_field_def ipc_fields[] = {
    [IF_MAGIC] = F("dotnet_ipc.magic", "Magic", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_SIZE] = F("dotnet_ipc.size", "Size", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, "header and payload bytes"),
    [IF_COMMAND_SET] = F("dotnet_ipc.command_set", "Command set", DT_FT_UINT8, DT_BASE_HEX, ipc_set_names, 0, 0, NULL),
    [IF_COMMAND_ID] = F("dotnet_ipc.command_id", "Command id", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_COMMAND] = F("dotnet_ipc.command", "Command", DT_FT_UINT16, DT_BASE_HEX, ipc_command_names, 0, S,
                     "command set and id"),
    [IF_RESERVED] = F("dotnet_ipc.reserved", "Reserved", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_PAYLOAD] = F("dotnet_ipc.payload", "Payload", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_ADVR_MAGIC] = F("dotnet_ipc.advertise.magic", "Advertise magic", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_ADVR_COOKIE] = F("dotnet_ipc.advertise.cookie", "Runtime cookie", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_ADVR_PID] = F("dotnet_ipc.advertise.pid", "Process id", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL),
    [IF_ADVR_FUTURE] = F("dotnet_ipc.advertise.future", "Future", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_HRESULT] = F("dotnet_ipc.hresult", "HRESULT", DT_FT_UINT32, DT_BASE_HEX, ipc_hresult_names, 0, S, NULL),
    [IF_ERROR_MESSAGE] = F("dotnet_ipc.error_message", "Error message", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_RESPONSE_TO] = F("dotnet_ipc.response_to", "Response to", DT_FT_UINT16, DT_BASE_HEX, ipc_command_names, 0, S,
                         "the command this answers"),
    [IF_SESSION_ID] = F("dotnet_ipc.session_id", "Session id", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_EP_BUFFER_MB] = F("dotnet_ipc.eventpipe.buffer_mb", "Circular buffer (MB)", DT_FT_UINT32, DT_BASE_DEC, NULL, 0,
                          0, NULL),
    [IF_EP_FORMAT] = F("dotnet_ipc.eventpipe.format", "Format", DT_FT_UINT32, DT_BASE_DEC, ipc_format_names, 0, 0, NULL),
    [IF_EP_RUNDOWN] = F("dotnet_ipc.eventpipe.request_rundown", "Request rundown", DT_FT_BOOL, DT_BASE_NONE, NULL, 0,
                        0, NULL),
    [IF_EP_STACKWALK] = F("dotnet_ipc.eventpipe.request_stackwalk", "Request stackwalk", DT_FT_BOOL, DT_BASE_NONE,
                          NULL, 0, 0, NULL),
    [IF_EP_RUNDOWN_KEYWORD] = F("dotnet_ipc.eventpipe.rundown_keyword", "Rundown keyword", DT_FT_UINT64, DT_BASE_HEX,
                                NULL, 0, 0, NULL),
    [IF_EP_SESSION_TYPE] = F("dotnet_ipc.eventpipe.session_type", "Session type", DT_FT_UINT32, DT_BASE_DEC,
                             ipc_session_type_names, 0, 0, NULL),
    [IF_EP_BUFFERING_MODE] = F("dotnet_ipc.eventpipe.buffering_mode", "Buffering mode", DT_FT_UINT32, DT_BASE_DEC,
                               ipc_buffering_names, 0, 0, NULL),
    [IF_EP_PROVIDER_COUNT] = F("dotnet_ipc.eventpipe.provider_count", "Providers", DT_FT_UINT32, DT_BASE_DEC, NULL, 0,
                               0, NULL),
    [IF_PROV] = F("dotnet_ipc.provider", "Provider", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROV_NAME] = F("dotnet_ipc.provider.name", "Provider name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROV_KEYWORDS] = F("dotnet_ipc.provider.keywords", "Keywords", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_PROV_LEVEL] = F("dotnet_ipc.provider.level", "Level", DT_FT_UINT32, DT_BASE_DEC, ipc_level_names, 0, 0, NULL),
    [IF_PROV_ARGS] = F("dotnet_ipc.provider.arguments", "Arguments", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0,
                       "key=value;... filter data"),
    [IF_PROV_FILTER_ENABLE] = F("dotnet_ipc.provider.filter.enable", "Event filter enables", DT_FT_BOOL, DT_BASE_NONE,
                                NULL, 0, 0, "true: only the listed ids; false: all but them"),
    [IF_PROV_FILTER_EVENT_ID] = F("dotnet_ipc.provider.filter.event_id", "Filtered event id", DT_FT_UINT32,
                                  DT_BASE_DEC, NULL, 0, 0, NULL),
    [IF_PROV_TP_DEFAULT] = F("dotnet_ipc.provider.tracepoint.default", "Default tracepoint", DT_FT_STRING,
                             DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROV_TP_NAME] = F("dotnet_ipc.provider.tracepoint.name", "Tracepoint", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0,
                          NULL),
    [IF_PROV_TP_EVENT_ID] = F("dotnet_ipc.provider.tracepoint.event_id", "Tracepoint event id", DT_FT_UINT32,
                              DT_BASE_DEC, NULL, 0, 0, NULL),
    [IF_DUMP_NAME] = F("dotnet_ipc.dump.name", "Dump path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_DUMP_TYPE] = F("dotnet_ipc.dump.type", "Dump type", DT_FT_UINT32, DT_BASE_DEC, ipc_dump_type_names, 0, 0, NULL),
    [IF_DUMP_DIAGNOSTICS] = F("dotnet_ipc.dump.diagnostics", "Log diagnostics", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0,
                              NULL),
    [IF_DUMP_FLAGS] = F("dotnet_ipc.dump.flags", "Dump flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_DUMP_FLAG_LOG] = F("dotnet_ipc.dump.flags.logging", "Logging enabled", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x1, 0,
                           NULL),
    [IF_DUMP_FLAG_VERBOSE] = F("dotnet_ipc.dump.flags.verbose", "Verbose logging enabled", DT_FT_BOOL, DT_BASE_NONE,
                               NULL, 0x2, 0, NULL),
    [IF_DUMP_FLAG_CRASHREPORT] = F("dotnet_ipc.dump.flags.crash_report", "Crash report enabled", DT_FT_BOOL,
                                   DT_BASE_NONE, NULL, 0x4, 0, NULL),
    [IF_PROF_TIMEOUT] = F("dotnet_ipc.profiler.attach_timeout", "Attach timeout", DT_FT_UINT32, DT_BASE_DEC, NULL, 0,
                          0, NULL),
    [IF_PROF_GUID] = F("dotnet_ipc.profiler.clsid", "Profiler CLSID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROF_PATH] = F("dotnet_ipc.profiler.path", "Profiler path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROF_DATA] = F("dotnet_ipc.profiler.client_data", "Client data", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROC_INFO_VERSION] = F("dotnet_ipc.process.info_version", "ProcessInfo version", DT_FT_UINT32, DT_BASE_DEC,
                               NULL, 0, 0, NULL),
    [IF_PROC_PID] = F("dotnet_ipc.process.pid", "Process id", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0, NULL),
    [IF_PROC_COOKIE] = F("dotnet_ipc.process.cookie", "Runtime cookie", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROC_CMDLINE] = F("dotnet_ipc.process.command_line", "Command line", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0,
                          NULL),
    [IF_PROC_OS] = F("dotnet_ipc.process.os", "OS", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROC_ARCH] = F("dotnet_ipc.process.arch", "Architecture", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROC_ENTRY_ASSEMBLY] = F("dotnet_ipc.process.entry_assembly", "Managed entry assembly", DT_FT_STRING,
                                 DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PROC_RUNTIME_VERSION] = F("dotnet_ipc.process.runtime_version", "Runtime version", DT_FT_STRING, DT_BASE_NONE,
                                  NULL, 0, 0, NULL),
    [IF_PROC_RID] = F("dotnet_ipc.process.rid", "Runtime identifier", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_ENV_INCOMING] = F("dotnet_ipc.environment.incoming_bytes", "Environment bytes", DT_FT_UINT32, DT_BASE_DEC, NULL,
                          0, 0, NULL),
    [IF_ENV_FUTURE] = F("dotnet_ipc.environment.future", "Future", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0, NULL),
    [IF_ENV_COUNT] = F("dotnet_ipc.environment.count", "Variables", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL),
    [IF_ENV_VAR] = F("dotnet_ipc.environment.variable", "Variable", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0,
                     "NAME=value"),
    [IF_ENV_NAME] = F("dotnet_ipc.environment.name", "Variable name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_ENV_VALUE] = F("dotnet_ipc.environment.value", "Variable value", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL),
    [IF_PERFMAP_TYPE] = F("dotnet_ipc.perfmap.type", "Perf map type", DT_FT_UINT32, DT_BASE_DEC, ipc_perfmap_names, 0,
                          0, NULL),
    [IF_STARTUP_HOOK] = F("dotnet_ipc.startup_hook.path", "Startup hook path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0,
                          NULL),
};

const size_t ipc_n_fields = sizeof ipc_fields / sizeof ipc_fields[0];
_Static_assert(sizeof ipc_fields / sizeof ipc_fields[0] == IF__COUNT, "ipc_fields matches ipc_field_index");

const char *ipc_command_name(uint16_t command) { return dt_value_name_find(ipc_command_names, command, true); }
const char *ipc_hresult_name(uint32_t hr) { return dt_value_name_find(ipc_hresult_names, hr, true); }
