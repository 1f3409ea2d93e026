#include "psrp_names.h"

#include <stddef.h>

/* MS-PSRP 2.2.1, sorted by value */
const dt_value_name psrp_type_vals[] = {
    { PSRP_SESSION_CAPABILITY, "SESSION_CAPABILITY" },
    { PSRP_INIT_RUNSPACEPOOL, "INIT_RUNSPACEPOOL" },
    { PSRP_PUBLIC_KEY, "PUBLIC_KEY" },
    { PSRP_ENCRYPTED_SESSION_KEY, "ENCRYPTED_SESSION_KEY" },
    { PSRP_PUBLIC_KEY_REQUEST, "PUBLIC_KEY_REQUEST" },
    { PSRP_CONNECT_RUNSPACEPOOL, "CONNECT_RUNSPACEPOOL" },
    { PSRP_SET_MAX_RUNSPACES, "SET_MAX_RUNSPACES" },
    { PSRP_SET_MIN_RUNSPACES, "SET_MIN_RUNSPACES" },
    { PSRP_RUNSPACE_AVAILABILITY, "RUNSPACE_AVAILABILITY" },
    { PSRP_RUNSPACEPOOL_STATE, "RUNSPACEPOOL_STATE" },
    { PSRP_CREATE_PIPELINE, "CREATE_PIPELINE" },
    { PSRP_GET_AVAILABLE_RUNSPACES, "GET_AVAILABLE_RUNSPACES" },
    { PSRP_USER_EVENT, "USER_EVENT" },
    { PSRP_APPLICATION_PRIVATE_DATA, "APPLICATION_PRIVATE_DATA" },
    { PSRP_GET_COMMAND_METADATA, "GET_COMMAND_METADATA" },
    { PSRP_RUNSPACEPOOL_INIT_DATA, "RUNSPACEPOOL_INIT_DATA" },
    { PSRP_RESET_RUNSPACE_STATE, "RESET_RUNSPACE_STATE" },
    { PSRP_RUNSPACEPOOL_HOST_CALL, "RUNSPACEPOOL_HOST_CALL" },
    { PSRP_RUNSPACEPOOL_HOST_RESPONSE, "RUNSPACEPOOL_HOST_RESPONSE" },
    { PSRP_PIPELINE_INPUT, "PIPELINE_INPUT" },
    { PSRP_END_OF_PIPELINE_INPUT, "END_OF_PIPELINE_INPUT" },
    { PSRP_PIPELINE_OUTPUT, "PIPELINE_OUTPUT" },
    { PSRP_ERROR_RECORD, "ERROR_RECORD" },
    { PSRP_PIPELINE_STATE, "PIPELINE_STATE" },
    { PSRP_DEBUG_RECORD, "DEBUG_RECORD" },
    { PSRP_VERBOSE_RECORD, "VERBOSE_RECORD" },
    { PSRP_WARNING_RECORD, "WARNING_RECORD" },
    { PSRP_PROGRESS_RECORD, "PROGRESS_RECORD" },
    { PSRP_INFORMATION_RECORD, "INFORMATION_RECORD" },
    { PSRP_PIPELINE_HOST_CALL, "PIPELINE_HOST_CALL" },
    { PSRP_PIPELINE_HOST_RESPONSE, "PIPELINE_HOST_RESPONSE" },
    { 0, NULL },
};

const dt_value_name psrp_dest_vals[] = {
    { 1, "Client" },
    { 2, "Server" },
    { 0, NULL },
};

/* System.Management.Automation.Runspaces.RunspacePoolState */
const dt_value_name psrp_runspace_state_vals[] = {
    { 0, "BeforeOpen" }, { 1, "Opening" },         { 2, "Opened" },
    { 3, "Closed" },     { 4, "Closing" },         { 5, "Broken" },
    { 6, "NegotiationSent" }, { 7, "NegotiationSucceeded" }, { 8, "Connecting" },
    { 9, "Disconnected" },
    { 0, NULL },
};

/* System.Management.Automation.PSInvocationState */
const dt_value_name psrp_pipeline_state_vals[] = {
    { 0, "NotStarted" }, { 1, "Running" },   { 2, "Stopping" }, { 3, "Stopped" },
    { 4, "Completed" },  { 5, "Failed" },    { 6, "Disconnected" },
    { 0, NULL },
};

/* System.Management.Automation.ErrorCategory */
const dt_value_name psrp_error_category_vals[] = {
    { 0, "NotSpecified" },       { 1, "OpenError" },          { 2, "CloseError" },
    { 3, "DeviceError" },        { 4, "DeadlockDetected" },   { 5, "InvalidArgument" },
    { 6, "InvalidData" },        { 7, "InvalidOperation" },   { 8, "InvalidResult" },
    { 9, "InvalidType" },        { 10, "MetadataError" },     { 11, "NotImplemented" },
    { 12, "NotInstalled" },      { 13, "ObjectNotFound" },    { 14, "OperationStopped" },
    { 15, "OperationTimeout" },  { 16, "SyntaxError" },       { 17, "ParserError" },
    { 18, "PermissionDenied" },  { 19, "ResourceBusy" },      { 20, "ResourceExists" },
    { 21, "ResourceUnavailable" }, { 22, "ReadError" },       { 23, "WriteError" },
    { 24, "FromStdErr" },        { 25, "SecurityError" },     { 26, "ProtocolError" },
    { 27, "ConnectionError" },   { 28, "AuthenticationError" }, { 29, "LimitsExceeded" },
    { 30, "QuotaExceeded" },     { 31, "NotEnabled" },
    { 0, NULL },
};

const char *psrp_type_name(uint32_t t)
{
    return dt_value_name_bsearch(psrp_type_vals, sizeof psrp_type_vals / sizeof psrp_type_vals[0] - 1, t);
}
