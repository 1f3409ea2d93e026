/* One SOAP envelope of WS-Management, parsed by expat into what the
 * dissector shows: headers, the shell/command body parts, streams (base64
 * decoded into a buffer the caller owns) and faults.
 *
 * The parser is namespace-aware (elements are matched by namespace URI and
 * local name, never by prefix) and refuses any document type declaration:
 * SOAP 1.2 forbids DTDs, and refusing them means no entity is ever expanded
 * (no "billion laughs"). One parser per conversation is reused with
 * XML_ParserReset, so steady-state parsing does not allocate. */
#ifndef DIAGTAP_WSMAN_XML_H
#define DIAGTAP_WSMAN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSM_MAX_SEGS 64      /* streams (and creationXml) kept per envelope */
#define WSM_MAX_LIST 16      /* options, selectors, variables, arguments kept */
#define WSM_MAX_DECODED (32u << 20) /* base64-decoded bytes kept per envelope */

typedef struct wsm_str {
    char s[256];
    uint16_t len;
    bool set;
    uint32_t off, xlen; /* where the element is in the envelope */
} wsm_str;

typedef struct wsm_bigstr {
    char s[2048];
    uint16_t len;
    bool set;
    uint32_t off, xlen;
} wsm_bigstr;

typedef struct wsm_pair {
    char name[64];
    char value[192];
} wsm_pair;

/* A base64 payload: an rsp:Stream, or creationXml/connectXml. */
typedef struct wsm_seg {
    char name[24];       /* "stdout", "stdin", "pr", "creationXml", ... */
    char command_id[40]; /* CommandId attribute, or "" */
    bool end;            /* End="true" */
    size_t off, len;     /* decoded bytes in the caller's buffer */
    uint32_t xml_off, xml_len;
    size_t bad_chars;    /* characters outside base64 */
    size_t bad_at;
    bool partial;        /* ended inside a quantum */
    bool clipped;        /* the buffer was full: not all bytes kept */
} wsm_seg;

typedef struct wsm_env {
    /* header */
    wsm_str action, message_id, relates_to, to, resource_uri, operation_timeout, session_id, locale;
    wsm_str max_envelope_text;
    uint64_t max_envelope;
    bool has_max_envelope;
    wsm_pair selectors[WSM_MAX_LIST];
    int n_selectors;
    wsm_pair options[WSM_MAX_LIST];
    int n_options;
    wsm_str shell_id;           /* a ShellId selector, rsp:ShellId, or Shell's ShellId attribute */
    /* body */
    char body_elem[48];         /* local name of the Body's first child */
    wsm_str command_id;         /* rsp:CommandId, or a CommandId attribute */
    wsm_str command;            /* rsp:Command */
    char arguments[WSM_MAX_LIST][256];
    int n_arguments;
    int n_arguments_seen;
    wsm_str desired_streams;
    wsm_str input_streams, output_streams, working_dir, owner, client_ip, idle_timeout, shell_name;
    wsm_pair variables[WSM_MAX_LIST];
    int n_variables;
    wsm_str state;              /* CommandState State attribute */
    wsm_str exit_code;
    bool has_exit_code;
    wsm_str signal_code;
    wsm_str enum_context;
    bool end_of_sequence;
    int n_items;
    wsm_str product_vendor, product_version, protocol_version;
    /* fault */
    bool is_fault;
    wsm_str fault_code, fault_subcode, fault_reason, fault_detail, fault_machine;
    uint64_t wsman_code;
    bool has_wsman_code;
    wsm_bigstr fault_message;
    /* payloads */
    wsm_seg segs[WSM_MAX_SEGS];
    int n_segs;
    int n_segs_seen;
    /* problems */
    bool dtd_refused;
    bool xml_error;
    char error[160];
    uint64_t error_off;
    int depth_max;
} wsm_env;

typedef struct wsm_xml wsm_xml;

wsm_xml *wsm_xml_new(void);
void wsm_xml_free(wsm_xml *x);

/* Parses one envelope. Decoded stream bytes go to *buf (grown with realloc up
 * to WSM_MAX_DECODED, kept by the caller for reuse); env is filled. Returns
 * false when the XML was not well-formed (env->error says where); what was
 * parsed before the error is kept in env. */
bool wsm_xml_parse(wsm_xml *x, const uint8_t *data, size_t len, wsm_env *env, uint8_t **buf, size_t *cap);

/* Trims ASCII whitespace in place. */
void wsm_trim(char *s, uint16_t *len);

#endif
