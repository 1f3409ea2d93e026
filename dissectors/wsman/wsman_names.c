#include "wsman_names.h"

#include <stdio.h>
#include <string.h>

static const char *last_segment(const char *uri)
{
    const char *s = strrchr(uri, '/');
    return s ? s + 1 : uri;
}

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static const struct {
    const char *name;
    wsm_action a;
} actions[] = {
    { "Create", WSM_A_CREATE },         { "Delete", WSM_A_DELETE },
    { "Get", WSM_A_GET },               { "Put", WSM_A_PUT },
    { "Command", WSM_A_COMMAND },       { "Send", WSM_A_SEND },
    { "Receive", WSM_A_RECEIVE },       { "Signal", WSM_A_SIGNAL },
    { "Connect", WSM_A_CONNECT },       { "Disconnect", WSM_A_DISCONNECT },
    { "Reconnect", WSM_A_RECONNECT },   { "Enumerate", WSM_A_ENUMERATE },
    { "Pull", WSM_A_PULL },             { "Release", WSM_A_RELEASE },
    { "Identify", WSM_A_IDENTIFY },     { "Subscribe", WSM_A_SUBSCRIBE },
    { "Unsubscribe", WSM_A_UNSUBSCRIBE },
};

const char *wsm_action_name(wsm_action a)
{
    if (a == WSM_A_FAULT)
        return "Fault";
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (actions[i].a == a)
            return actions[i].name;
    return "Other";
}

wsm_action wsm_action_parse(const char *uri, char *out, size_t outsz, bool *response)
{
    *response = false;
    const char *seg = last_segment(uri);
    if (strcmp(seg, "fault") == 0 || strcmp(seg, "Fault") == 0) {
        snprintf(out, outsz, "Fault");
        *response = true;
        return WSM_A_FAULT;
    }
    snprintf(out, outsz, "%s", seg[0] ? seg : "(no action)");
    size_t n = strlen(seg);
    static const char resp[] = "Response";
    size_t base_len = n;
    if (n > sizeof resp - 1 && strcmp(seg + n - (sizeof resp - 1), resp) == 0) {
        *response = true;
        base_len = n - (sizeof resp - 1);
    }
    /* only the standard action namespaces name standard operations; a WMI
     * method called "Create" is a custom method */
    bool standard = starts(uri, "http://schemas.xmlsoap.org/ws/2004/09/") ||
                    starts(uri, "http://schemas.xmlsoap.org/ws/2004/08/") ||
                    starts(uri, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/") ||
                    starts(uri, "http://schemas.dmtf.org/wbem/wsman/1/wsman/") ||
                    starts(uri, "http://schemas.dmtf.org/wbem/wsman/identity/");
    if (!standard)
        return WSM_A_OTHER;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strlen(actions[i].name) == base_len && strncmp(seg, actions[i].name, base_len) == 0)
            return actions[i].a;
    return WSM_A_OTHER;
}

wsm_shell_kind wsm_resource_short(const char *uri, char *out, size_t outsz)
{
    static const char ps[] = "http://schemas.microsoft.com/powershell/";
    static const char shell[] = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
    static const char wmi[] = "http://schemas.microsoft.com/wbem/wsman/1/wmi/";
    static const char cim[] = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    if (!uri[0]) {
        snprintf(out, outsz, "%s", "");
        return WSM_SHELL_NONE;
    }
    if (starts(uri, ps)) {
        snprintf(out, outsz, "%s", uri + sizeof ps - 1);
        return WSM_SHELL_POWERSHELL;
    }
    if (strcmp(uri, shell) == 0 || strcmp(uri, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd") == 0) {
        snprintf(out, outsz, "cmd");
        return WSM_SHELL_CMD;
    }
    if (starts(uri, shell)) {
        snprintf(out, outsz, "shell %s", last_segment(uri));
        return WSM_SHELL_OTHER;
    }
    if (starts(uri, wmi))
        snprintf(out, outsz, "wmi %s", uri + sizeof wmi - 1);
    else if (starts(uri, cim))
        snprintf(out, outsz, "cim %s", uri + sizeof cim - 1);
    else if (starts(uri, "http://schemas.microsoft.com/wbem/wsman/1/config"))
        snprintf(out, outsz, "config%s", uri + strlen("http://schemas.microsoft.com/wbem/wsman/1/config"));
    else
        snprintf(out, outsz, "%s", last_segment(uri));
    return WSM_SHELL_NONE;
}

const char *wsm_signal_short(const char *uri)
{
    const char *seg = last_segment(uri);
    /* MS-PSRP 3.1.5.3.3: PowerShell's stop signal really is spelled "crtl_c" */
    if (starts(uri, "http://schemas.microsoft.com/powershell/signal/") &&
        (strcmp(seg, "crtl_c") == 0 || strcmp(seg, "ctrl_c") == 0))
        return "ps_ctrl_c";
    return seg;
}

const char *wsm_state_short(const char *uri) { return last_segment(uri); }

/* From the Windows SDK's wsmerror.h (WS-Management and WinRS codes, sorted),
 * plus the Win32 and HRESULT codes a WSManFault commonly carries. */
const dt_value_name wsm_fault_codes[] = {
    { 2, "ERROR_FILE_NOT_FOUND" },
    { 5, "ERROR_ACCESS_DENIED" },
    { 50, "ERROR_NOT_SUPPORTED" },
    { 87, "ERROR_INVALID_PARAMETER" },
    { 995, "ERROR_OPERATION_ABORTED" },
    { 1326, "ERROR_LOGON_FAILURE" },
    { 1385, "ERROR_LOGON_TYPE_NOT_GRANTED" },
    { 1726, "RPC_S_CALL_FAILED" },
    { 0x80004005, "E_FAIL" },
    { 0x80070002, "ERROR_FILE_NOT_FOUND (HRESULT)" },
    { 0x80070005, "E_ACCESSDENIED" },
    { 0x80070057, "E_INVALIDARG" },
    { 0x8007052E, "ERROR_LOGON_FAILURE (HRESULT)" },
    { 0x80090322, "SEC_E_WRONG_PRINCIPAL" },
    { 0x8009030C, "SEC_E_LOGON_DENIED" },
    { 0x8009030E, "SEC_E_NO_CREDENTIALS" },
    { 0x80338000, "ERROR_WSMAN_RESOURCE_NOT_FOUND" },
    { 0x80338001, "ERROR_WSMAN_INVALID_ACTIONURI" },
    { 0x80338002, "ERROR_WSMAN_INVALID_URI" },
    { 0x80338003, "ERROR_WSMAN_PROVIDER_FAILURE" },
    { 0x80338004, "ERROR_WSMAN_BATCH_COMPLETE" },
    { 0x80338005, "ERROR_WSMAN_CONFIG_CORRUPTED" },
    { 0x80338006, "ERROR_WSMAN_PULL_IN_PROGRESS" },
    { 0x80338007, "ERROR_WSMAN_ENUMERATION_CLOSED" },
    { 0x8033800C, "ERROR_WSMAN_UNSUPPORTED_TIMEOUT" },
    { 0x8033800D, "ERROR_WSMAN_SOAP_VERSION_MISMATCH" },
    { 0x8033800E, "ERROR_WSMAN_SOAP_DATA_ENCODING_UNKNOWN" },
    { 0x8033800F, "ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER" },
    { 0x80338010, "ERROR_WSMAN_SOAP_FAULT_MUST_UNDERSTAND" },
    { 0x80338011, "ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED" },
    { 0x80338012, "ERROR_WSMAN_DESTINATION_UNREACHABLE" },
    { 0x80338013, "ERROR_WSMAN_ACTION_NOT_SUPPORTED" },
    { 0x80338014, "ERROR_WSMAN_ENDPOINT_UNAVAILABLE" },
    { 0x80338015, "ERROR_WSMAN_INVALID_REPRESENTATION" },
    { 0x8033801B, "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT" },
    { 0x8033801C, "ERROR_WSMAN_ENUMERATE_TIMED_OUT" },
    { 0x80338026, "ERROR_WSMAN_ENVELOPE_TOO_LARGE" },
    { 0x80338027, "ERROR_WSMAN_INVALID_SOAP_BODY" },
    { 0x80338029, "ERROR_WSMAN_OPERATION_TIMEDOUT" },
    { 0x8033802C, "ERROR_WSMAN_UNSUPPORTED_ENCODING" },
    { 0x80338031, "ERROR_WSMAN_ACTION_MISMATCH" },
    { 0x80338032, "ERROR_WSMAN_CONCURRENCY" },
    { 0x80338033, "ERROR_WSMAN_ALREADY_EXISTS" },
    { 0x80338035, "ERROR_WSMAN_ENCODING_LIMIT" },
    { 0x80338036, "ERROR_WSMAN_FAILED_AUTHENTICATION" },
    { 0x80338039, "ERROR_WSMAN_INVALID_OPTIONS" },
    { 0x8033803A, "ERROR_WSMAN_INVALID_PARAMETER" },
    { 0x8033803B, "ERROR_WSMAN_INVALID_RESOURCE_URI" },
    { 0x8033803C, "ERROR_WSMAN_INVALID_SYSTEM" },
    { 0x8033803D, "ERROR_WSMAN_INVALID_SELECTORS" },
    { 0x8033803F, "ERROR_WSMAN_QUOTA_LIMIT" },
    { 0x80338041, "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR" },
    { 0x80338042, "ERROR_WSMAN_UNSUPPORTED_FEATURE" },
    { 0x80338043, "ERROR_WSMAN_INVALID_XML" },
    { 0x80338047, "ERROR_WSMAN_MAX_ENVELOPE_SIZE" },
    { 0x80338048, "ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED" },
    { 0x80338049, "ERROR_WSMAN_SERVER_ENVELOPE_LIMIT" },
    { 0x80338051, "ERROR_WSMAN_OPTIONS_NOT_SUPPORTED" },
    { 0x80338052, "ERROR_WSMAN_OPTIONS_INVALID_NAME" },
    { 0x80338053, "ERROR_WSMAN_OPTIONS_INVALID_VALUE" },
    { 0x80338056, "ERROR_WSMAN_INVALID_XML_VALUES" },
    { 0x80338057, "ERROR_WSMAN_INVALID_XML_MISSING_VALUES" },
    { 0x80338058, "ERROR_WSMAN_INVALID_XML_NAMESPACE" },
    { 0x8033805A, "ERROR_WSMAN_INSUFFCIENT_SELECTORS" },
    { 0x8033805B, "ERROR_WSMAN_UNEXPECTED_SELECTORS" },
    { 0x8033805C, "ERROR_WSMAN_SELECTOR_TYPEMISMATCH" },
    { 0x8033805D, "ERROR_WSMAN_INVALID_SELECTOR_VALUE" },
    { 0x8033805E, "ERROR_WSMAN_AMBIGUOUS_SELECTORS" },
    { 0x8033805F, "ERROR_WSMAN_DUPLICATE_SELECTORS" },
    { 0x80338063, "ERROR_WSMAN_TARGET_ALREADY_EXISTS" },
    { 0x80338064, "ERROR_WSMAN_AUTHORIZATION_MODE_NOT_SUPPORTED" },
    { 0x80338067, "ERROR_WSMAN_LOCALE_NOT_SUPPORTED" },
    { 0x8033806E, "ERROR_WSMAN_MAXENVELOPE_SIZE_NOT_SUPPORTED" },
    { 0x80338074, "ERROR_WSMAN_BAD_METHOD" },
    { 0x80338075, "ERROR_WSMAN_UNSUPPORTED_MEDIA" },
    { 0x80338079, "ERROR_WSMAN_CONNECTOR_GET" },
    { 0x8033807E, "ERROR_WSMAN_MIN_ENVELOPE_SIZE" },
    { 0x80338081, "ERROR_WSMAN_INVALID_TIMEOUT_HEADER" },
    { 0x80338083, "ERROR_WSMAN_PLUGIN_FAILED" },
    { 0x80338084, "ERROR_WSMAN_ENUMERATION_INVALID" },
    { 0x8033809A, "ERROR_WSMAN_PROVIDER_LOAD_FAILED" },
    { 0x8033809D, "ERROR_WSMAN_SECURITY_UNMAPPED" },
    { 0x803380DE, "ERROR_WSMAN_CLIENT_UNENCRYPTED_DISABLED" },
    { 0x803380DF, "ERROR_WSMAN_CLIENT_BASIC_AUTHENTICATION_DISABLED" },
    { 0x803380E1, "ERROR_WSMAN_CLIENT_NEGOTIATE_AUTHENTICATION_DISABLED" },
    { 0x803380E2, "ERROR_WSMAN_CLIENT_KERBEROS_AUTHENTICATION_DISABLED" },
    { 0x803380E4, "ERROR_WSMAN_SERVER_NOT_TRUSTED" },
    { 0x803380E5, "ERROR_WSMAN_EXPLICIT_CREDENTIALS_REQUIRED" },
    { 0x803380F5, "ERROR_WSMAN_HTTP_NO_RESPONSE_DATA" },
    { 0x803380F9, "ERROR_WSMAN_CANNOT_DECRYPT" },
    { 0x8033810B, "ERROR_WSMAN_KERBEROS_IPADDRESS" },
    { 0x8033810C, "ERROR_WSMAN_CLIENT_WORKGROUP_NO_KERBEROS" },
    { 0x8033810E, "ERROR_WSMAN_SERVER_DESTINATION_LOCALHOST" },
    { 0x8033810F, "ERROR_WSMAN_UNKNOWN_HTTP_STATUS_RETURNED" },
    { 0x80338111, "ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS" },
    { 0x80338112, "ERROR_WSMAN_HTTP_SERVICE_UNAVAILABLE_STATUS" },
    { 0x80338113, "ERROR_WSMAN_HTTP_NOT_FOUND_STATUS" },
    { 0x8033811A, "ERROR_WSMAN_ENDPOINT_UNAVAILABLE_INVALID_VALUE" },
    { 0x8033811B, "ERROR_WSMAN_INVALID_HEADER" },
    { 0x80338126, "ERROR_WSMAN_NETWORK_TIMEDOUT" },
    { 0x80338128, "ERROR_WINRS_RECEIVE_NO_RESPONSE_DATA" },
    { 0x80338140, "ERROR_WINRS_CODE_PAGE_NOT_SUPPORTED" },
    { 0x8033814A, "ERROR_WSMAN_SHELL_ALREADY_CLOSED" },
    { 0x8033814F, "ERROR_WSMAN_COMMAND_ALREADY_CLOSED" },
    { 0, NULL },
};
const size_t wsm_n_fault_codes = sizeof wsm_fault_codes / sizeof wsm_fault_codes[0] - 1;

const char *wsm_fault_name(unsigned long code)
{
    return dt_value_name_bsearch(wsm_fault_codes, wsm_n_fault_codes, (uint64_t)code);
}
