/* Debug Adapter Protocol: shared between the message framing/dispatch
 * (dap.c) and the per-command and per-event decoders (dap_msgs.c). */
#ifndef DT_DAP_DAP_H
#define DT_DAP_DAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clen.h"
#include "jsonx.h"
#include "diagtap/dissector.h"

enum dap_fid {
    DAP_F_CONTENT_LENGTH,
    DAP_F_HEADER,
    DAP_F_SEQ,
    DAP_F_TYPE,
    DAP_F_COMMAND,
    DAP_F_EVENT,
    DAP_F_REQUEST_SEQ,
    DAP_F_SUCCESS,
    DAP_F_MESSAGE,
    DAP_F_ARGUMENTS,
    DAP_F_BODY,
    DAP_F_CLIENT_ID,
    DAP_F_CLIENT_NAME,
    DAP_F_ADAPTER_ID,
    DAP_F_CAPABILITY,
    DAP_F_PROGRAM,
    DAP_F_ARGS,
    DAP_F_CWD,
    DAP_F_PROCESS_ID,
    DAP_F_NAME,
    DAP_F_SOURCE,
    DAP_F_BREAKPOINT,
    DAP_F_LINE,
    DAP_F_VERIFIED,
    DAP_F_BREAKPOINT_ID,
    DAP_F_REASON,
    DAP_F_DESCRIPTION,
    DAP_F_THREAD_ID,
    DAP_F_ALL_THREADS,
    DAP_F_HIT_BREAKPOINT_ID,
    DAP_F_FRAME,
    DAP_F_FRAME_ID,
    DAP_F_FRAME_NAME,
    DAP_F_FRAME_SOURCE,
    DAP_F_FRAME_LINE,
    DAP_F_TOTAL_FRAMES,
    DAP_F_COUNT,
    DAP_F_SCOPE_NAME,
    DAP_F_VARIABLES_REFERENCE,
    DAP_F_VARIABLE,
    DAP_F_VARIABLE_NAME,
    DAP_F_VARIABLE_VALUE,
    DAP_F_EXPRESSION,
    DAP_F_CONTEXT,
    DAP_F_RESULT,
    DAP_F_RESULT_TYPE,
    DAP_F_OUTPUT_CATEGORY,
    DAP_F_OUTPUT,
    DAP_F_EXIT_CODE,
    DAP_F_ERROR_ID,
    DAP_F_ERROR_FORMAT,
    DAP_F_RIT_KIND,
    DAP_F_RIT_TITLE,
    DAP_F_N
};

extern const dt_field_def dap_fields[DAP_F_N];
#define DAPF(x) (&dap_fields[DAP_F_##x])

/* Kept with a request until its response (dt_pair_request's blob). */
typedef struct dap_pending {
    char command[40];
    char detail[120]; /* what the response summary needs: a file, an expression */
} dap_pending;

/* Breakpoints the adapter confirmed (setBreakpoints responses, breakpoint
 * events), so a stopped event can say where the breakpoints it hit are. A
 * fixed table per conversation; the oldest entry gives way when it is full. */
#define DAP_MAX_BPS 128
typedef struct dap_bp {
    int64_t id;
    int64_t line; /* 0: unknown */
    char file[48]; /* basename, "" when unknown */
} dap_bp;

/* Replies that came before their request: raw dumps hold all client→adapter
 * bytes before any adapter→client bytes, so the IDE's answer to a reverse
 * request (runInTerminal) is decoded first. Their keys are kept so that the
 * request, when it comes, is not listed as unanswered. */
#define DAP_MAX_EARLY 32

/* Both tables are allocated when first needed (most conversations never set
 * a breakpoint or see an early reply), and freed by conv_free: an open
 * conversation costs a few dozen bytes here, not 8.5 KiB. */
typedef struct dap_conv {
    dap_bp *bps; /* cap_bps entries, grown up to DAP_MAX_BPS */
    size_t n_bps, next, cap_bps;
    uint64_t *early; /* DAP_MAX_EARLY entries, or NULL */
    size_t n_early, early_next;
} dap_conv;

/* One message being decoded. */
typedef struct dap_msg {
    dt_ctx *ctx;
    const jx_node *root;
    const jx_node *part;  /* arguments (request) or body (response, event); may be NULL */
    dt_field *tree;      /* dap.arguments / dap.body subtree, or NULL */
    dap_pending *pend;   /* request: blob to fill; response: the request's, or NULL */
    dap_conv *conv;      /* this conversation's state, or NULL */
    size_t off, len;     /* where the JSON body is in the PDU */
    bool detail_started; /* the summary already has its ": " */
} dap_msg;

/* Appends one detail to the summary (": a" then " b"). */
void dap_detail(dap_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Per-command and per-event decoders: fields under m->tree and summary details. */
void dap_request_details(dap_msg *m, const char *command);
void dap_response_details(dap_msg *m, const char *command);
void dap_event_details(dap_msg *m, const char *event);

#endif
