/* Shared between the WS-Management dissector's files. */
#ifndef DIAGTAP_WSMAN_INT_H
#define DIAGTAP_WSMAN_INT_H

#include "diagtap/dissector.h"
#include "wsman_names.h"
#include "wsman_xml.h"

enum wsm_hf {
    WF_ACTION,
    WF_ACTION_URI,
    WF_MESSAGE_ID,
    WF_RELATES_TO,
    WF_TO,
    WF_RESOURCE_URI,
    WF_RESOURCE,
    WF_OPERATION_TIMEOUT,
    WF_MAX_ENVELOPE,
    WF_SESSION_ID,
    WF_LOCALE,
    WF_SELECTOR,
    WF_OPTION,
    WF_USER,
    WF_SHELL_ID,
    WF_COMMAND_ID,
    WF_COMMAND_LINE,
    WF_COMMAND,
    WF_ARGUMENT,
    WF_DESIRED_STREAMS,
    WF_SHELL_INPUT,
    WF_SHELL_OUTPUT,
    WF_SHELL_WORKDIR,
    WF_SHELL_ENV,
    WF_SHELL_OWNER,
    WF_SHELL_CLIENT_IP,
    WF_SHELL_IDLE,
    WF_SHELL_NAME,
    WF_STREAM,
    WF_STREAM_NAME,
    WF_STREAM_COMMAND_ID,
    WF_STREAM_END,
    WF_STREAM_LEN,
    WF_STREAM_TEXT,
    WF_COMMAND_STATE,
    WF_EXIT_CODE,
    WF_SIGNAL,
    WF_SIGNAL_URI,
    WF_ENUM_CONTEXT,
    WF_ITEMS,
    WF_END_OF_SEQUENCE,
    WF_PRODUCT_VENDOR,
    WF_PRODUCT_VERSION,
    WF_PROTOCOL_VERSION,
    WF_FAULT,
    WF_FAULT_CODE,
    WF_FAULT_SUBCODE,
    WF_FAULT_REASON,
    WF_FAULT_DETAIL,
    WF_FAULT_WSMAN_CODE,
    WF_FAULT_WSMAN_NAME,
    WF_FAULT_MACHINE,
    WF_FAULT_MESSAGE,
    WF_LONG_POLL,
    WF__COUNT
};

extern const dt_field_def wsm_hf[];
#define WF(id) (&wsm_hf[id])

#endif
