/* What diagtap shows from a PSRP message's CLIXML payload: the pipeline's
 * commands and parameters, output ToString, error records, informational
 * records, state changes, host calls. Parsed by expat (no DTDs, reused per
 * conversation); only the values listed here are kept, in fixed buffers. */
#ifndef DIAGTAP_PSRP_CLIXML_H
#define DIAGTAP_PSRP_CLIXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSRP_MAX_CMDS 16

typedef struct psrp_val {
    char s[512];
    bool set;
} psrp_val;

typedef struct psrp_info {
    char top_tag[16];
    psrp_val top;          /* a primitive root's value, or the root object's ToString */
    char top_type[128];    /* the root object's first type name */
    char pipeline[1024];   /* "Get-Service -Name winrm | Select-Object -First 1; ..." */
    char commands[PSRP_MAX_CMDS][192];
    int n_commands;
    int n_commands_seen;
    psrp_val protocol_version, ps_version, serialization_version;
    psrp_val min_runspaces, max_runspaces, runspace_state, pipeline_state;
    psrp_val fqid, category, category_reason, category_activity, category_target;
    psrp_val message, info_message, message_data;
    psrp_val activity, status_description, percent;
    psrp_val method, call_id, host_param;
    psrp_val public_key, session_key, set_minmax;
    bool dtd_refused;
    bool xml_error;
    char error[128];
    uint64_t error_off;
} psrp_info;

typedef struct psrp_clixml psrp_clixml;

psrp_clixml *psrp_clixml_new(void);
void psrp_clixml_free(psrp_clixml *x);
/* Parses one message's data; returns false on malformed XML (info->error). */
bool psrp_clixml_parse(psrp_clixml *x, const uint8_t *data, size_t len, psrp_info *info);

#endif
