/* Names of KD packet types, API numbers, states and common NTSTATUS values
 * (windbgkd.h / ntstatus.h). */
#include <stdio.h>

#include "kd.h"

const dt_value_name kd_packet_type_vals[] = {
    { 0, "UNUSED" },
    { KD_STATE_CHANGE32, "STATE_CHANGE32" },
    { KD_STATE_MANIPULATE, "STATE_MANIPULATE" },
    { KD_DEBUG_IO, "DEBUG_IO" },
    { KD_ACKNOWLEDGE, "ACKNOWLEDGE" },
    { KD_RESEND, "RESEND" },
    { KD_RESET, "RESET" },
    { KD_STATE_CHANGE64, "STATE_CHANGE64" },
    { KD_POLL_BREAKIN, "POLL_BREAKIN" },
    { KD_TRACE_IO, "TRACE_IO" },
    { KD_CONTROL_REQUEST, "CONTROL_REQUEST" },
    { KD_FILE_IO, "FILE_IO" },
    { 0, NULL },
};

const dt_value_name kd_leader_vals[] = {
    { KD_LEADER_DATA, "Data" },
    { KD_LEADER_BREAKIN, "Break-in" },
    { KD_LEADER_CONTROL, "Control" },
    { 0, NULL },
};

/* Every ApiNumber family in one sorted table: manipulate 0x31xx, debug I/O
 * 0x32xx, trace I/O 0x33xx, file I/O 0x34xx, control requests 0x43xx. */
const dt_value_name kd_api_vals[] = {
    { 0x3130, "ReadVirtualMemory" },
    { 0x3131, "WriteVirtualMemory" },
    { 0x3132, "GetContext" },
    { 0x3133, "SetContext" },
    { 0x3134, "WriteBreakPoint" },
    { 0x3135, "RestoreBreakPoint" },
    { 0x3136, "Continue" },
    { 0x3137, "ReadControlSpace" },
    { 0x3138, "WriteControlSpace" },
    { 0x3139, "ReadIoSpace" },
    { 0x313A, "WriteIoSpace" },
    { 0x313B, "Reboot" },
    { 0x313C, "Continue2" },
    { 0x313D, "ReadPhysicalMemory" },
    { 0x313E, "WritePhysicalMemory" },
    { 0x313F, "QuerySpecialCalls" },
    { 0x3140, "SetSpecialCall" },
    { 0x3141, "ClearSpecialCalls" },
    { 0x3142, "SetInternalBreakPoint" },
    { 0x3143, "GetInternalBreakPoint" },
    { 0x3144, "ReadIoSpaceExtended" },
    { 0x3145, "WriteIoSpaceExtended" },
    { 0x3146, "GetVersion" },
    { 0x3147, "WriteBreakPointEx" },
    { 0x3148, "RestoreBreakPointEx" },
    { 0x3149, "CauseBugCheck" },
    { 0x3150, "SwitchProcessor" },
    { 0x3151, "PageIn" },
    { 0x3152, "ReadMachineSpecificRegister" },
    { 0x3153, "WriteMachineSpecificRegister" },
    { 0x3154, "OldVlm1" },
    { 0x3155, "OldVlm2" },
    { 0x3156, "SearchMemory" },
    { 0x3157, "GetBusData" },
    { 0x3158, "SetBusData" },
    { 0x3159, "CheckLowMemory" },
    { 0x315A, "ClearAllInternalBreakpoints" },
    { 0x315B, "FillMemory" },
    { 0x315C, "QueryMemory" },
    { 0x315D, "SwitchPartition" },
    { 0x315E, "WriteCustomBreakpoint" },
    { 0x315F, "GetContextEx" },
    { 0x3160, "SetContextEx" },
    { 0x3230, "PrintString" },
    { 0x3231, "GetString" },
    { 0x3330, "PrintTrace" },
    { 0x3430, "CreateFile" },
    { 0x3431, "ReadFile" },
    { 0x3432, "WriteFile" },
    { 0x3433, "CloseFile" },
    { 0x4300, "RequestHardwareBreakpoint" },
    { 0x4301, "ReleaseHardwareBreakpoint" },
    { 0, NULL },
};

const dt_value_name kd_new_state_vals[] = {
    { 0x3030, "Exception" },
    { 0x3031, "LoadSymbols" },
    { 0x3032, "CommandString" },
    { 0, NULL },
};

/* A small table of the statuses a kernel debugging session shows. */
const dt_value_name kd_ntstatus_vals[] = {
    { 0x00000000, "STATUS_SUCCESS" },
    { 0x00000102, "STATUS_TIMEOUT" },
    { 0x00000103, "STATUS_PENDING" },
    { 0x00010001, "DBG_EXCEPTION_HANDLED" },
    { 0x00010002, "DBG_CONTINUE" },
    { 0x40000005, "STATUS_IMAGE_NOT_AT_BASE" },
    { 0x40000015, "STATUS_FATAL_APP_EXIT" },
    { 0x4000001F, "STATUS_WX86_BREAKPOINT" },
    { 0x40010005, "DBG_CONTROL_C" },
    { 0x40010006, "DBG_PRINTEXCEPTION_C" },
    { 0x40010008, "DBG_CONTROL_BREAK" },
    { 0x40010009, "DBG_COMMAND_EXCEPTION" },
    { 0x4001000A, "DBG_PRINTEXCEPTION_WIDE_C" },
    { 0x406D1388, "MS_VC_EXCEPTION" },
    { 0x80000001, "STATUS_GUARD_PAGE_VIOLATION" },
    { 0x80000002, "STATUS_DATATYPE_MISALIGNMENT" },
    { 0x80000003, "STATUS_BREAKPOINT" },
    { 0x80000004, "STATUS_SINGLE_STEP" },
    { 0x80000005, "STATUS_BUFFER_OVERFLOW" },
    { 0x80000006, "STATUS_NO_MORE_FILES" },
    { 0x80000007, "STATUS_WAKE_SYSTEM_DEBUGGER" },
    { 0x80010001, "DBG_EXCEPTION_NOT_HANDLED" },
    { 0xC0000001, "STATUS_UNSUCCESSFUL" },
    { 0xC0000002, "STATUS_NOT_IMPLEMENTED" },
    { 0xC0000005, "STATUS_ACCESS_VIOLATION" },
    { 0xC0000006, "STATUS_IN_PAGE_ERROR" },
    { 0xC0000008, "STATUS_INVALID_HANDLE" },
    { 0xC000000D, "STATUS_INVALID_PARAMETER" },
    { 0xC000000F, "STATUS_NO_SUCH_FILE" },
    { 0xC0000010, "STATUS_INVALID_DEVICE_REQUEST" },
    { 0xC0000011, "STATUS_END_OF_FILE" },
    { 0xC0000017, "STATUS_NO_MEMORY" },
    { 0xC000001D, "STATUS_ILLEGAL_INSTRUCTION" },
    { 0xC0000022, "STATUS_ACCESS_DENIED" },
    { 0xC0000023, "STATUS_BUFFER_TOO_SMALL" },
    { 0xC0000024, "STATUS_OBJECT_TYPE_MISMATCH" },
    { 0xC0000025, "STATUS_NONCONTINUABLE_EXCEPTION" },
    { 0xC0000026, "STATUS_INVALID_DISPOSITION" },
    { 0xC0000027, "STATUS_UNWIND" },
    { 0xC0000028, "STATUS_BAD_STACK" },
    { 0xC0000029, "STATUS_INVALID_UNWIND_TARGET" },
    { 0xC0000033, "STATUS_OBJECT_NAME_INVALID" },
    { 0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND" },
    { 0xC0000035, "STATUS_OBJECT_NAME_COLLISION" },
    { 0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND" },
    { 0xC000008C, "STATUS_ARRAY_BOUNDS_EXCEEDED" },
    { 0xC000008D, "STATUS_FLOAT_DENORMAL_OPERAND" },
    { 0xC000008E, "STATUS_FLOAT_DIVIDE_BY_ZERO" },
    { 0xC000008F, "STATUS_FLOAT_INEXACT_RESULT" },
    { 0xC0000090, "STATUS_FLOAT_INVALID_OPERATION" },
    { 0xC0000091, "STATUS_FLOAT_OVERFLOW" },
    { 0xC0000092, "STATUS_FLOAT_STACK_CHECK" },
    { 0xC0000093, "STATUS_FLOAT_UNDERFLOW" },
    { 0xC0000094, "STATUS_INTEGER_DIVIDE_BY_ZERO" },
    { 0xC0000095, "STATUS_INTEGER_OVERFLOW" },
    { 0xC0000096, "STATUS_PRIVILEGED_INSTRUCTION" },
    { 0xC000009A, "STATUS_INSUFFICIENT_RESOURCES" },
    { 0xC00000BB, "STATUS_NOT_SUPPORTED" },
    { 0xC00000E5, "STATUS_INTERNAL_ERROR" },
    { 0xC00000FD, "STATUS_STACK_OVERFLOW" },
    { 0xC0000120, "STATUS_CANCELLED" },
    { 0xC0000135, "STATUS_DLL_NOT_FOUND" },
    { 0xC0000142, "STATUS_DLL_INIT_FAILED" },
    { 0xC0000194, "STATUS_POSSIBLE_DEADLOCK" },
    { 0xC00002B4, "STATUS_FLOAT_MULTIPLE_FAULTS" },
    { 0xC00002B5, "STATUS_FLOAT_MULTIPLE_TRAPS" },
    { 0xC00002C5, "STATUS_DATATYPE_MISALIGNMENT_ERROR" },
    { 0xC0000374, "STATUS_HEAP_CORRUPTION" },
    { 0xC0000409, "STATUS_STACK_BUFFER_OVERRUN" },
    { 0xC0000420, "STATUS_ASSERTION_FAILURE" },
    { 0xC0000602, "STATUS_FAIL_FAST_EXCEPTION" },
    { 0xE06D7363, "CPP_EH_EXCEPTION" },
    { 0, NULL },
};

const dt_value_name kd_machine_vals[] = {
    { 0x014C, "I386" },
    { 0x01C4, "ARMNT" },
    { 0x0200, "IA64" },
    { 0x8664, "AMD64" },
    { 0xAA64, "ARM64" },
    { 0, NULL },
};

const dt_value_name kd_query_space_vals[] = {
    { 0, "Process" },
    { 1, "Session" },
    { 2, "Kernel" },
    { 0, NULL },
};


const char *kd_type_name(uint16_t type)
{
    return type < KD_TYPE_MAX ? kd_packet_type_vals[type].name : "UNKNOWN";
}

const char *kd_api_name(uint32_t api)
{
    return dt_value_name_bsearch(kd_api_vals, sizeof kd_api_vals / sizeof kd_api_vals[0] - 1, api);
}

const char *kd_ntstatus_name(uint32_t s)
{
    return dt_value_name_bsearch(kd_ntstatus_vals, sizeof kd_ntstatus_vals / sizeof kd_ntstatus_vals[0] - 1, s);
}

const char *kd_status_str(uint32_t s, char *buf, size_t bufsz)
{
    const char *n = kd_ntstatus_name(s);
    if (n)
        snprintf(buf, bufsz, "%s", n);
    else
        snprintf(buf, bufsz, "0x%08x", s);
    return buf;
}

bool kd_header_plausible(const uint8_t *data, size_t len)
{
    if (len < 6)
        return false;
    bool data_leader = data[0] == 0x30 && data[1] == 0x30 && data[2] == 0x30 && data[3] == 0x30;
    bool ctl_leader = data[0] == 0x69 && data[1] == 0x69 && data[2] == 0x69 && data[3] == 0x69;
    uint16_t type = (uint16_t)(data[4] | (data[5] << 8));
    if (data_leader)
        return type >= 1 && type < KD_TYPE_MAX && type != KD_ACKNOWLEDGE && type != KD_RESEND && type != KD_RESET;
    if (ctl_leader)
        return type == KD_ACKNOWLEDGE || type == KD_RESEND || type == KD_RESET;
    return false;
}
