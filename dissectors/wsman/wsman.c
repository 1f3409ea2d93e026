/* WS-Management (MS-WSMV) as WinRM speaks it: one SOAP envelope per call,
 * handed over whole by the HTTP layer (dt_inner_message). Shells and
 * commands are remembered per conversation (bounded tables) so that every
 * Send, Receive and Signal names its shell and command line; requests are
 * paired with their replies by MessageID/RelatesTo; PowerShell Remoting
 * payloads (creationXml, the pipeline in Command, stdin/stdout/pr streams)
 * go on to the "psrp" dissector. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsman_int.h"

#define MAX_SHELLS 32
#define MAX_COMMANDS 64
#define SUMMARY_TEXT 96 /* characters of stdout/stderr in a summary line; the field has it all */
#define FIELD_TEXT (1u << 20)

typedef struct wsm_shell {
    uint64_t h;        /* hash of the id, 0: free */
    uint64_t used;     /* for eviction */
    char id[40];
    char resource[64];
    uint8_t kind;      /* wsm_shell_kind */
} wsm_shell;

typedef struct wsm_cmd {
    uint64_t h;
    uint64_t used;
    uint64_t shell_h;
    char id[40];
    char line[120];
} wsm_cmd;

typedef struct wsman_conv {
    wsm_xml *xml;
    wsm_env env;
    uint8_t *buf; /* decoded stream bytes, reused */
    size_t cap;
    char *text;   /* stream text as UTF-8, reused */
    size_t text_cap;
    wsm_shell shells[MAX_SHELLS];
    wsm_cmd cmds[MAX_COMMANDS];
    uint64_t tick;
} wsman_conv;

/* What a reply needs from its request. */
typedef struct wsm_req {
    uint8_t action;
    uint8_t kind;
    char name[24];       /* the request's action: replies are counted under it */
    char shell_id[40];
    char command_id[40];
    char line[96];
    char resource[48];
} wsm_req;

/* ---- ids ---- */

/* FNV-1a over the id without "uuid:" and case, so MessageID and RelatesTo,
 * or a ShellId written in two cases, give one key. */
static uint64_t id_hash(const char *s)
{
    if (strncasecmp(s, "uuid:", 5) == 0)
        s += 5;
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h ? h : 1;
}

static void short_id(const char *id, char out[10])
{
    if (strncasecmp(id, "uuid:", 5) == 0)
        id += 5;
    snprintf(out, 10, "%.8s", id);
}

static wsm_shell *shell_find(wsman_conv *c, const char *id)
{
    if (!id[0])
        return NULL;
    uint64_t h = id_hash(id);
    for (int i = 0; i < MAX_SHELLS; i++)
        if (c->shells[i].h == h) {
            c->shells[i].used = ++c->tick;
            return &c->shells[i];
        }
    return NULL;
}

static wsm_shell *shell_add(wsman_conv *c, const char *id, const char *resource, uint8_t kind)
{
    wsm_shell *s = shell_find(c, id);
    if (!s) {
        s = &c->shells[0];
        for (int i = 0; i < MAX_SHELLS; i++) {
            if (!c->shells[i].h) {
                s = &c->shells[i];
                break;
            }
            if (c->shells[i].used < s->used)
                s = &c->shells[i];
        }
        s->h = id_hash(id);
        wsm_copy(s->id, sizeof s->id, id);
    }
    s->used = ++c->tick;
    if (resource && resource[0]) {
        wsm_copy(s->resource, sizeof s->resource, resource);
        s->kind = kind;
    }
    return s;
}

static void shell_remove(wsman_conv *c, const char *id)
{
    wsm_shell *s = shell_find(c, id);
    if (!s)
        return;
    for (int i = 0; i < MAX_COMMANDS; i++)
        if (c->cmds[i].shell_h == s->h)
            memset(&c->cmds[i], 0, sizeof c->cmds[i]);
    memset(s, 0, sizeof *s);
}

static wsm_cmd *cmd_find(wsman_conv *c, const char *id)
{
    if (!id[0])
        return NULL;
    uint64_t h = id_hash(id);
    for (int i = 0; i < MAX_COMMANDS; i++)
        if (c->cmds[i].h == h) {
            c->cmds[i].used = ++c->tick;
            return &c->cmds[i];
        }
    return NULL;
}

static wsm_cmd *cmd_add(wsman_conv *c, const char *id, const char *shell_id, const char *line)
{
    wsm_cmd *m = cmd_find(c, id);
    if (!m) {
        m = &c->cmds[0];
        for (int i = 0; i < MAX_COMMANDS; i++) {
            if (!c->cmds[i].h) {
                m = &c->cmds[i];
                break;
            }
            if (c->cmds[i].used < m->used)
                m = &c->cmds[i];
        }
        memset(m, 0, sizeof *m);
        m->h = id_hash(id);
        wsm_copy(m->id, sizeof m->id, id);
    }
    m->used = ++c->tick;
    if (shell_id && shell_id[0])
        m->shell_h = id_hash(shell_id);
    if (line && line[0])
        wsm_copy(m->line, sizeof m->line, line);
    return m;
}

/* ---- text ---- */

/* Bytes as valid UTF-8 (invalid sequences become U+FFFD) into c->text. */
static size_t to_utf8(wsman_conv *c, const uint8_t *p, size_t n, size_t max)
{
    if (n > max)
        n = max;
    size_t need = n * 3 + 1;
    if (need > c->text_cap) {
        char *t = realloc(c->text, need);
        if (!t)
            return 0;
        c->text = t;
        c->text_cap = need;
    }
    size_t o = 0, i = 0;
    while (i < n) {
        uint8_t b = p[i];
        size_t k = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = k > 0 && i + k <= n && !(k == 2 && b < 0xC2);
        for (size_t j = 1; ok && j < k; j++)
            ok = (p[i + j] & 0xC0) == 0x80;
        if (ok && b == 0) {
            i++;
            continue;
        }
        if (ok) {
            memcpy(c->text + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(c->text + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    c->text[o] = '\0';
    return o;
}

/* A quoted, escaped preview of s for the summary line. */
static void preview(char *out, size_t outsz, const char *s, size_t len, size_t max)
{
    size_t o = 0;
    out[o++] = '"';
    size_t shown = 0;
    for (size_t i = 0; i < len && o + 8 < outsz; i++) {
        if (shown >= max) {
            o += (size_t)snprintf(out + o, outsz - o, "…");
            break;
        }
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (ch == '\r') {
            out[o++] = '\\';
            out[o++] = 'r';
        } else if (ch == '\t') {
            out[o++] = '\\';
            out[o++] = 't';
        } else if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
        if ((ch & 0xC0) != 0x80)
            shown++;
    }
    if (o + 2 <= outsz)
        out[o++] = '"';
    out[o < outsz ? o : outsz - 1] = '\0';
}

/* ---- fields ---- */

static void add_str(dt_ctx *ctx, dt_field *parent, int hf, const wsm_str *s)
{
    if (s->set && s->len)
        dt_add_string(ctx, parent, WF(hf), s->off, s->xlen, s->s, s->len);
}

static void add_cstr(dt_ctx *ctx, dt_field *parent, int hf, const char *s)
{
    if (s && s[0])
        dt_add_string(ctx, parent, WF(hf), 0, 0, s, strlen(s));
}

static void build_command_line(const wsm_env *e, char *out, size_t outsz)
{
    size_t o = (size_t)snprintf(out, outsz, "%s", e->command.s);
    for (int i = 0; i < e->n_arguments && o < outsz; i++) {
        const char *a = e->arguments[i];
        bool quote = !a[0] || strpbrk(a, " \t\"") != NULL;
        o += (size_t)snprintf(out + o, outsz - o, "%s%s%s%s", o ? " " : "", quote ? "\"" : "", a, quote ? "\"" : "");
    }
    if (e->n_arguments_seen > e->n_arguments && o < outsz)
        snprintf(out + o, outsz - o, " … (%d more arguments)", e->n_arguments_seen - e->n_arguments);
}

static bool psrp_payload(const wsm_seg *g, uint8_t kind)
{
    if (strcmp(g->name, "creationXml") == 0 || strcmp(g->name, "connectXml") == 0 ||
        strcmp(g->name, "connectResponseXml") == 0)
        return true;
    return kind == WSM_SHELL_POWERSHELL;
}

/* Streams: fields, a summary preview of text streams, and PSRP payloads
 * handed on. */
static void do_streams(dt_ctx *ctx, wsman_conv *c, const wsm_env *e, uint8_t kind, const char *shell_id,
                       bool *has_text)
{
    char pv[SUMMARY_TEXT * 4 + 16];
    for (int i = 0; i < e->n_segs; i++) {
        const wsm_seg *g = &e->segs[i];
        dt_field *st = dt_add_none(ctx, NULL, WF(WF_STREAM), g->xml_off, g->xml_len);
        add_cstr(ctx, st, WF_STREAM_NAME, g->name);
        add_cstr(ctx, st, WF_STREAM_COMMAND_ID, g->command_id);
        if (g->end)
            dt_add_uint(ctx, st, WF(WF_STREAM_END), 0, 0, 1);
        dt_add_uint(ctx, st, WF(WF_STREAM_LEN), 0, 0, g->len);
        if (g->bad_chars)
            dt_malformed(ctx, g->xml_off, "stream %s: %zu characters are not base64 (first at character %zu); skipped",
                         g->name, g->bad_chars, g->bad_at);
        if (g->partial)
            dt_malformed(ctx, g->xml_off, "stream %s: base64 ends inside a quantum (truncated?)", g->name);
        if (g->clipped)
            dt_malformed(ctx, g->xml_off, "stream %s: more than %u MiB decoded; the rest not kept", g->name,
                         WSM_MAX_DECODED >> 20);
        const uint8_t *data = c->buf + g->off;
        if (psrp_payload(g, kind)) {
            if (g->len)
                dt_inner_message(ctx, "psrp", id_hash(shell_id[0] ? shell_id : "-"), ctx->dir, data, g->len);
            continue;
        }
        if (!g->len)
            continue;
        size_t n = to_utf8(c, data, g->len, FIELD_TEXT);
        dt_add_string(ctx, st, WF(WF_STREAM_TEXT), g->xml_off, g->xml_len, c->text, n);
        if (g->len > FIELD_TEXT)
            dt_malformed(ctx, g->xml_off, "stream %s: %zu bytes; the first %u shown", g->name, g->len, FIELD_TEXT);
        preview(pv, sizeof pv, c->text, n, SUMMARY_TEXT);
        dt_summary_append(ctx, " %s %s", g->name, pv);
        *has_text = true;
    }
    if (e->n_segs_seen > e->n_segs)
        dt_malformed(ctx, 0, "%d streams in one envelope; the first %d decoded", e->n_segs_seen, e->n_segs);
}

static void do_fault(dt_ctx *ctx, const wsm_env *e, const wsm_req *req)
{
    dt_field *f = dt_add_none(ctx, NULL, WF(WF_FAULT), 0, 0);
    add_str(ctx, f, WF_FAULT_CODE, &e->fault_code);
    add_str(ctx, f, WF_FAULT_SUBCODE, &e->fault_subcode);
    add_str(ctx, f, WF_FAULT_REASON, &e->fault_reason);
    add_str(ctx, f, WF_FAULT_DETAIL, &e->fault_detail);
    const char *name = NULL;
    if (e->has_wsman_code) {
        dt_add_uint(ctx, f, WF(WF_FAULT_WSMAN_CODE), 0, 0, e->wsman_code);
        name = wsm_fault_name((unsigned long)e->wsman_code);
        if (name)
            add_cstr(ctx, f, WF_FAULT_WSMAN_NAME, name);
    }
    add_str(ctx, f, WF_FAULT_MACHINE, &e->fault_machine);
    if (e->fault_message.set && e->fault_message.len)
        dt_add_string(ctx, f, WF(WF_FAULT_MESSAGE), e->fault_message.off, e->fault_message.xlen, e->fault_message.s,
                      e->fault_message.len);

    const char *sub = e->fault_subcode.len ? e->fault_subcode.s : e->fault_code.s;
    const char *colon = strchr(sub, ':');
    bool timed_out = strcmp(colon ? colon + 1 : sub, "TimedOut") == 0;
    bool long_poll = timed_out && req && req->action == WSM_A_RECEIVE;
    if (req)
        dt_summary(ctx, "Fault to %s: %s", wsm_action_name((wsm_action)req->action), sub);
    else
        dt_summary(ctx, "Fault: %s", sub);
    if (e->has_wsman_code) {
        char num[64];
        if (name)
            snprintf(num, sizeof num, "%s (%" PRIu64 ")", name, e->wsman_code);
        else
            snprintf(num, sizeof num, "WSManFault %" PRIu64 " (0x%08" PRIx64 ")", e->wsman_code, e->wsman_code);
        dt_summary_append(ctx, " %s", num);
    }
    const char *text = e->fault_message.len ? e->fault_message.s : e->fault_reason.s;
    if (text[0]) {
        char pv[300];
        snprintf(pv, sizeof pv, "%.200s%s", text, strlen(text) > 200 ? "…" : "");
        dt_summary_append(ctx, ": %s", pv);
    }
    if (long_poll) {
        dt_add_uint(ctx, NULL, WF(WF_LONG_POLL), 0, 0, 1);
        dt_summary_append(ctx, " (long-poll timeout, normal)");
        dt_status(ctx, "w:TimedOut", false);
    } else {
        dt_status(ctx, name ? name : sub[0] ? sub : "SOAP Fault", true);
    }
    /* a fault is counted with the request it answers (its row shows the error) */
    dt_stats_key(ctx, req && req->name[0] ? req->name : "Fault");
}

static const char *shell_label(const wsm_shell *s, const char *id)
{
    (void)s;
    return id;
}

/* " (shell 4283CBDC cmd, command CF84C20A: cmd.exe /c echo hi)" */
static void name_target(dt_ctx *ctx, wsman_conv *c, const char *shell_id, const char *command_id)
{
    char sid[10], cid[10];
    wsm_cmd *m = cmd_find(c, command_id);
    wsm_shell *s = shell_find(c, shell_id);
    if (!shell_id[0] && m) {
        for (int i = 0; i < MAX_SHELLS; i++)
            if (c->shells[i].h && c->shells[i].h == m->shell_h)
                s = &c->shells[i];
    }
    if (command_id[0]) {
        short_id(command_id, cid);
        if (m && m->line[0] && strcmp(m->line, "pipeline") == 0)
            dt_summary_append(ctx, " [pipeline %s]", cid);
        else if (m && m->line[0])
            dt_summary_append(ctx, " [command %s: %s]", cid, m->line);
        else
            dt_summary_append(ctx, " [command %s]", cid);
    }
    const char *sh = shell_id[0] ? shell_id : s ? s->id : "";
    if (sh[0]) {
        short_id(shell_label(s, sh), sid);
        if (s && s->resource[0])
            dt_summary_append(ctx, " [shell %s %s]", sid, s->resource);
        else
            dt_summary_append(ctx, " [shell %s]", sid);
    }
}

static void wsman_dissect(dt_ctx *ctx)
{
    wsman_conv *c = ctx->conv;
    if (!c->xml && !(c->xml = wsm_xml_new())) {
        dt_malformed(ctx, 0, "out of memory for the XML parser");
        return;
    }
    wsm_env *e = &c->env;
    bool ok = wsm_xml_parse(c->xml, ctx->pdu, ctx->pdu_len, e, &c->buf, &c->cap);

    char action[64], resource[96];
    bool response = false;
    wsm_action a = wsm_action_parse(e->action.s, action, sizeof action, &response);
    if (!e->action.set && e->is_fault) {
        a = WSM_A_FAULT;
        response = true;
        snprintf(action, sizeof action, "Fault");
    } else if (!e->action.set && e->body_elem[0]) {
        /* Identify has no action header: the body names it */
        wsm_copy(action, sizeof action, e->body_elem);
        if (strcmp(e->body_elem, "Identify") == 0)
            a = WSM_A_IDENTIFY;
        else if (strcmp(e->body_elem, "IdentifyResponse") == 0) {
            a = WSM_A_IDENTIFY;
            response = true;
        }
    }
    if (e->is_fault) {
        a = WSM_A_FAULT;
        response = true;
    }
    wsm_shell_kind kind = wsm_resource_short(e->resource_uri.s, resource, sizeof resource);

    add_cstr(ctx, NULL, WF_ACTION, action);
    add_str(ctx, NULL, WF_ACTION_URI, &e->action);
    add_str(ctx, NULL, WF_MESSAGE_ID, &e->message_id);
    add_str(ctx, NULL, WF_RELATES_TO, &e->relates_to);
    add_str(ctx, NULL, WF_TO, &e->to);
    add_str(ctx, NULL, WF_RESOURCE_URI, &e->resource_uri);
    add_cstr(ctx, NULL, WF_RESOURCE, resource);
    add_str(ctx, NULL, WF_OPERATION_TIMEOUT, &e->operation_timeout);
    if (e->has_max_envelope)
        dt_add_uint(ctx, NULL, WF(WF_MAX_ENVELOPE), e->max_envelope_text.off, e->max_envelope_text.xlen,
                    e->max_envelope);
    add_str(ctx, NULL, WF_SESSION_ID, &e->session_id);
    add_str(ctx, NULL, WF_LOCALE, &e->locale);
    char kv[300];
    for (int i = 0; i < e->n_selectors; i++) {
        snprintf(kv, sizeof kv, "%s=%s", e->selectors[i].name, e->selectors[i].value);
        add_cstr(ctx, NULL, WF_SELECTOR, kv);
        if (strcmp(e->selectors[i].name, "ShellId") == 0 && !e->shell_id.set) {
            wsm_copy(e->shell_id.s, sizeof e->shell_id.s, e->selectors[i].value);
            e->shell_id.len = (uint16_t)strlen(e->shell_id.s);
            e->shell_id.set = true;
        }
    }
    for (int i = 0; i < e->n_options; i++) {
        snprintf(kv, sizeof kv, "%s=%s", e->options[i].name, e->options[i].value);
        add_cstr(ctx, NULL, WF_OPTION, kv);
    }
    const char *user = dt_carrier_user(ctx);
    add_cstr(ctx, NULL, WF_USER, user);

    /* the request this answers: its blob says which shell and command */
    wsm_req *req = NULL;
    uint64_t key = 0;
    if (response && e->relates_to.set) {
        key = id_hash(e->relates_to.s);
        req = dt_pair_response(ctx, key, true);
    } else if (!response && e->message_id.set) {
        key = id_hash(e->message_id.s);
        req = dt_pair_request(ctx, key, sizeof(wsm_req));
    }

    /* shell and command of this message, from itself or its request */
    char shell_id[40], command_id[40];
    wsm_copy(shell_id, sizeof shell_id, e->shell_id.s);
    wsm_copy(command_id, sizeof command_id, e->command_id.s);
    if (response && req) {
        if (!shell_id[0])
            wsm_copy(shell_id, sizeof shell_id, req->shell_id);
        if (!command_id[0])
            wsm_copy(command_id, sizeof command_id, req->command_id);
    }
    wsm_shell *sh = shell_find(c, shell_id);
    if (kind == WSM_SHELL_NONE && sh)
        kind = (wsm_shell_kind)sh->kind;
    if (response && req && kind == WSM_SHELL_NONE)
        kind = (wsm_shell_kind)req->kind;
    if (shell_id[0])
        dt_add_string(ctx, NULL, WF(WF_SHELL_ID), e->shell_id.off, e->shell_id.xlen, shell_id, strlen(shell_id));
    if (command_id[0])
        dt_add_string(ctx, NULL, WF(WF_COMMAND_ID), e->command_id.off, e->command_id.xlen, command_id,
                      strlen(command_id));

    char line[1024] = "";
    if (e->command.set || e->n_arguments) {
        build_command_line(e, line, sizeof line);
        if (kind != WSM_SHELL_POWERSHELL)
            add_cstr(ctx, NULL, WF_COMMAND_LINE, line);
        add_str(ctx, NULL, WF_COMMAND, &e->command);
        for (int i = 0; i < e->n_arguments; i++)
            add_cstr(ctx, NULL, WF_ARGUMENT, e->arguments[i]);
    }
    add_str(ctx, NULL, WF_DESIRED_STREAMS, &e->desired_streams);
    add_str(ctx, NULL, WF_SHELL_NAME, &e->shell_name);
    add_str(ctx, NULL, WF_SHELL_INPUT, &e->input_streams);
    add_str(ctx, NULL, WF_SHELL_OUTPUT, &e->output_streams);
    add_str(ctx, NULL, WF_SHELL_WORKDIR, &e->working_dir);
    for (int i = 0; i < e->n_variables; i++) {
        snprintf(kv, sizeof kv, "%s=%s", e->variables[i].name, e->variables[i].value);
        add_cstr(ctx, NULL, WF_SHELL_ENV, kv);
    }
    add_str(ctx, NULL, WF_SHELL_OWNER, &e->owner);
    add_str(ctx, NULL, WF_SHELL_CLIENT_IP, &e->client_ip);
    add_str(ctx, NULL, WF_SHELL_IDLE, &e->idle_timeout);
    const char *state = e->state.set ? wsm_state_short(e->state.s) : NULL;
    add_cstr(ctx, NULL, WF_COMMAND_STATE, state);
    long long exit_code = 0;
    bool has_exit = false;
    if (e->has_exit_code && e->exit_code.len) {
        char *end;
        exit_code = strtoll(e->exit_code.s, &end, 10);
        has_exit = end != e->exit_code.s;
        if (has_exit)
            dt_add_int(ctx, NULL, WF(WF_EXIT_CODE), e->exit_code.off, e->exit_code.xlen, exit_code);
    }
    const char *signal = e->signal_code.set ? wsm_signal_short(e->signal_code.s) : NULL;
    if (signal) {
        add_cstr(ctx, NULL, WF_SIGNAL, signal);
        add_str(ctx, NULL, WF_SIGNAL_URI, &e->signal_code);
    }
    add_str(ctx, NULL, WF_ENUM_CONTEXT, &e->enum_context);
    if (e->n_items)
        dt_add_uint(ctx, NULL, WF(WF_ITEMS), 0, 0, (uint64_t)e->n_items);
    if (e->end_of_sequence)
        dt_add_uint(ctx, NULL, WF(WF_END_OF_SEQUENCE), 0, 0, 1);
    add_str(ctx, NULL, WF_PRODUCT_VENDOR, &e->product_vendor);
    add_str(ctx, NULL, WF_PRODUCT_VERSION, &e->product_version);
    add_str(ctx, NULL, WF_PROTOCOL_VERSION, &e->protocol_version);

    /* ---- summary, state tables, statistics ---- */
    char sid[10];
    short_id(shell_id, sid);
    if (a == WSM_A_FAULT) {
        do_fault(ctx, e, req);
        if (shell_id[0] || command_id[0])
            name_target(ctx, c, shell_id, command_id);
    } else if (!response) {
        dt_summary(ctx, "%s", action);
        switch (a) {
        case WSM_A_CREATE:
            if (kind == WSM_SHELL_POWERSHELL)
                dt_summary_append(ctx, " runspace pool %s", resource);
            else if (kind != WSM_SHELL_NONE)
                dt_summary_append(ctx, " shell %s", resource);
            else
                dt_summary_append(ctx, " %s", resource);
            if (e->input_streams.len || e->output_streams.len)
                dt_summary_append(ctx, " (%s → %s)", e->input_streams.s, e->output_streams.s);
            if (e->working_dir.len)
                dt_summary_append(ctx, " in %s", e->working_dir.s);
            break;
        case WSM_A_COMMAND:
            if (kind == WSM_SHELL_POWERSHELL)
                dt_summary_append(ctx, " pipeline");
            else if (line[0])
                dt_summary_append(ctx, " %s", line);
            if (command_id[0] && kind == WSM_SHELL_POWERSHELL) {
                char cid[10];
                short_id(command_id, cid);
                dt_summary_append(ctx, " %s", cid);
            }
            name_target(ctx, c, shell_id, "");
            if (command_id[0]) /* PowerShell names its pipeline up front */
                cmd_add(c, command_id, shell_id, kind == WSM_SHELL_POWERSHELL ? "pipeline" : line);
            break;
        case WSM_A_RECEIVE:
            if (e->desired_streams.len)
                dt_summary_append(ctx, " %s", e->desired_streams.s);
            name_target(ctx, c, shell_id, command_id);
            break;
        case WSM_A_SIGNAL:
            dt_summary_append(ctx, " %s", signal ? signal : "?");
            name_target(ctx, c, shell_id, command_id);
            break;
        case WSM_A_SEND:
            name_target(ctx, c, shell_id, command_id);
            break;
        default:
            if (shell_id[0])
                name_target(ctx, c, shell_id, command_id);
            else if (resource[0])
                dt_summary_append(ctx, " %s", resource);
            break;
        }
        if (e->operation_timeout.len && (a == WSM_A_RECEIVE || a == WSM_A_CREATE))
            dt_summary_append(ctx, " timeout %s", e->operation_timeout.s);
        if (user && a == WSM_A_CREATE)
            dt_summary_append(ctx, " as %s", user);
        if (req) {
            req->action = (uint8_t)a;
            req->kind = (uint8_t)kind;
            wsm_copy(req->shell_id, sizeof req->shell_id, shell_id);
            wsm_copy(req->command_id, sizeof req->command_id, command_id);
            wsm_copy(req->line, sizeof req->line, line);
            wsm_copy(req->resource, sizeof req->resource, resource);
            wsm_copy(req->name, sizeof req->name, action);
        }
        dt_stats_key(ctx, action);
    } else {
        dt_summary(ctx, "%s", action);
        switch (a) {
        case WSM_A_CREATE:
            if (shell_id[0]) {
                const char *res = resource[0] ? resource : req ? req->resource : "";
                shell_add(c, shell_id, res, (uint8_t)kind);
                dt_summary_append(ctx, " shell %s %s", sid, res);
                if (e->owner.len)
                    dt_summary_append(ctx, " owner %s", e->owner.s);
            }
            break;
        case WSM_A_COMMAND:
            if (command_id[0]) {
                const char *l = req && req->line[0] ? req->line : kind == WSM_SHELL_POWERSHELL ? "pipeline" : "";
                cmd_add(c, command_id, shell_id, l);
            }
            name_target(ctx, c, shell_id, command_id);
            break;
        case WSM_A_DELETE:
            name_target(ctx, c, shell_id, "");
            break;
        case WSM_A_RECEIVE:
        case WSM_A_SEND:
        case WSM_A_SIGNAL:
        case WSM_A_CONNECT:
        case WSM_A_RECONNECT:
        case WSM_A_DISCONNECT:
            break;
        case WSM_A_IDENTIFY:
            if (e->product_vendor.len)
                dt_summary_append(ctx, " %s %s (%s)", e->product_vendor.s, e->product_version.s,
                                  e->protocol_version.s);
            break;
        case WSM_A_ENUMERATE:
        case WSM_A_PULL:
            if (e->n_items)
                dt_summary_append(ctx, " %d item%s", e->n_items, e->n_items == 1 ? "" : "s");
            if (e->end_of_sequence)
                dt_summary_append(ctx, " (end)");
            break;
        default:
            break;
        }
        /* replies are counted on their request's row (count, replies, latency) */
        char base[64];
        wsm_copy(base, sizeof base, action);
        size_t bl = strlen(base);
        if (bl > 8 && strcmp(base + bl - 8, "Response") == 0)
            base[bl - 8] = '\0';
        dt_stats_key(ctx, req && req->name[0] ? req->name : base);
    }
    if (!response && a == WSM_A_CREATE && shell_id[0])
        shell_add(c, shell_id, resource, (uint8_t)kind); /* PowerShell picks its ShellId itself */

    bool has_text = false;
    do_streams(ctx, c, e, (uint8_t)kind, shell_id, &has_text);
    if (response && a != WSM_A_FAULT) {
        if (state)
            dt_summary_append(ctx, " %s", state);
        if (has_exit)
            dt_summary_append(ctx, ", exit code %lld", exit_code);
        if (a == WSM_A_RECEIVE || a == WSM_A_SEND || a == WSM_A_SIGNAL || a == WSM_A_CONNECT ||
            a == WSM_A_RECONNECT || a == WSM_A_DISCONNECT)
            name_target(ctx, c, shell_id, command_id);
        if (has_exit && exit_code != 0) {
            char st[32];
            snprintf(st, sizeof st, "exit code %lld", exit_code);
            dt_status(ctx, st, false);
        }
    }
    if (response && a == WSM_A_DELETE && shell_id[0])
        shell_remove(c, shell_id);
    if (!ok)
        dt_malformed(ctx, (size_t)e->error_off, "%s at offset %" PRIu64, e->error, e->error_off);
    if (!e->action.set && !e->is_fault && !e->body_elem[0] && ok)
        dt_malformed(ctx, 0, "no WS-Addressing action and no body");
}

static void wsman_conv_free(void *conv)
{
    wsman_conv *c = conv;
    wsm_xml_free(c->xml);
    free(c->buf);
    free(c->text);
}

static const char *const wsman_nested[] = { "psrp", NULL };

const dt_dissector wsman_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "wsman",
    .display_name = "WinRM",
    .description = "WS-Management (MS-WSMV): WinRM shells, commands, streams and faults",
    .fields = wsm_hf,
    .n_fields = WF__COUNT,
    .transports = DT_TRANSPORT_INNER,
    .dissect = wsman_dissect,
    .conv_size = sizeof(wsman_conv),
    .conv_free = wsman_conv_free,
    .nested = wsman_nested,
};
