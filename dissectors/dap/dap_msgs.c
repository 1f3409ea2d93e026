/* What each DAP command and event carries that is worth a field and a word
 * in the summary. Unknown commands and events keep the generic fields. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dap.h"
#include "jsonx.h"

#define MAX_LISTED 64 /* per-item subtrees kept per message (variables, frames) */

typedef void (*dap_fn)(dap_msg *m);
typedef struct dap_handler {
    const char *name;
    dap_fn fn;
} dap_handler;

/* ---- small helpers */

static dt_field *str_field(dap_msg *m, dt_field *parent, int fid, const jx_node *obj, const char *key)
{
    return jx_add_str(m->ctx, parent, &dap_fields[fid], m->off, m->len, obj, key);
}

static bool int_field(dap_msg *m, dt_field *parent, int fid, const jx_node *obj, const char *key, int64_t *out)
{
    int64_t v;
    if (!jx_int(obj, key, &v))
        return false;
    dt_add_int(m->ctx, parent, &dap_fields[fid], m->off, m->len, v);
    if (out)
        *out = v;
    return true;
}

static bool bool_field(dap_msg *m, dt_field *parent, int fid, const jx_node *obj, const char *key, bool *out)
{
    bool v;
    if (!jx_bool(obj, key, &v))
        return false;
    dt_add_uint(m->ctx, parent, &dap_fields[fid], m->off, m->len, v);
    if (out)
        *out = v;
    return true;
}

/* A string member as one line, or NULL. */
static const char *line_of(const jx_node *obj, const char *key, char *buf, size_t bufsz, size_t max)
{
    size_t n;
    const char *s = jx_str(obj, key, &n);
    if (!s)
        return NULL;
    jx_line(buf, bufsz, s, n, max);
    return buf;
}

/* source.path (or source.name) as a field; its basename into buf. */
static const char *source_of(dap_msg *m, dt_field *parent, int fid, const jx_node *source, char *buf, size_t bufsz)
{
    size_t n;
    const char *s = jx_str(source, "path", &n);
    if (!s)
        s = jx_str(source, "name", &n);
    if (!s)
        return NULL;
    dt_add_string(m->ctx, parent, &dap_fields[fid], m->off, m->len, s, n);
    size_t bn;
    const char *b = jx_basename(s, n, &bn);
    jx_line(buf, bufsz, b, bn, 60);
    return buf;
}

/* ---- breakpoints the adapter confirmed, by id */

static dap_bp *bp_find(dap_msg *m, int64_t id)
{
    for (size_t i = 0; m->conv && i < m->conv->n_bps; i++)
        if (m->conv->bps[i].id == id)
            return &m->conv->bps[i];
    return NULL;
}

/* file NULL or line 0 keep what was known. */
static void bp_remember(dap_msg *m, int64_t id, const char *file, int64_t line)
{
    if (!m->conv)
        return;
    dap_bp *b = bp_find(m, id);
    if (!b) {
        dap_conv *c = m->conv;
        if (c->n_bps == c->cap_bps && c->cap_bps < DAP_MAX_BPS) {
            size_t cap = c->cap_bps ? c->cap_bps * 2 : 8;
            dap_bp *nb = realloc(c->bps, cap * sizeof *nb);
            if (!nb)
                return; /* not remembered: a stopped event says less */
            c->bps = nb;
            c->cap_bps = cap;
        }
        if (c->n_bps < DAP_MAX_BPS) {
            b = &c->bps[c->n_bps++];
        } else {
            b = &c->bps[c->next];
            c->next = (c->next + 1) % DAP_MAX_BPS;
        }
        memset(b, 0, sizeof *b);
        b->id = id;
    }
    if (file && file[0])
        snprintf(b->file, sizeof b->file, "%s", file);
    if (line > 0)
        b->line = line;
}

/* "1 (prog.c:14)" for a hit breakpoint, its place when known. */
static void hit_detail(dap_msg *m, int64_t id, bool first)
{
    const dap_bp *b = bp_find(m, id);
    char where[80] = "";
    if (b && b->file[0] && b->line)
        snprintf(where, sizeof where, " (%s:%" PRId64 ")", b->file, b->line);
    else if (b && b->line)
        snprintf(where, sizeof where, " (line %" PRId64 ")", b->line);
    if (first)
        dap_detail(m, "hit=%" PRId64 "%s", id, where);
    else
        dt_summary_append(m->ctx, ", %" PRId64 "%s", id, where);
}

/* The basename of obj.source.path (or .name) into buf, or "". */
static void source_file(const jx_node *obj, char *buf, size_t bufsz)
{
    const jx_node *source = jx_obj(obj, "source");
    size_t n, bn;
    const char *s = jx_str(source, "path", &n);
    if (!s)
        s = jx_str(source, "name", &n);
    buf[0] = '\0';
    if (s) {
        const char *b = jx_basename(s, n, &bn);
        jx_line(buf, bufsz, b, bn, 40);
    }
}

static void thread_detail(dap_msg *m)
{
    int64_t tid;
    if (int_field(m, m->tree, DAP_F_THREAD_ID, m->part, "threadId", &tid))
        dap_detail(m, "thread=%" PRId64, tid);
}

/* supports* members that are true, as dap.capability fields. */
static size_t capabilities(dap_msg *m)
{
    size_t n = 0;
    for (const jx_node *k = jx_first_key(m->part); k; k = jx_next_key(m->part, k)) {
        if (strncmp(k->s, "supports", 8) == 0 && jx_is_true(jx_get(m->part, k->s))) {
            dt_add_string(m->ctx, m->tree, DAPF(CAPABILITY), m->off, m->len, k->s, k->n);
            n++;
        }
    }
    return n;
}

/* ---- requests */

static void rq_initialize(dap_msg *m)
{
    char a[80], b[80];
    str_field(m, m->tree, DAP_F_CLIENT_ID, m->part, "clientID");
    str_field(m, m->tree, DAP_F_CLIENT_NAME, m->part, "clientName");
    str_field(m, m->tree, DAP_F_ADAPTER_ID, m->part, "adapterID");
    capabilities(m);
    if (line_of(m->part, "clientID", a, sizeof a, 60))
        dap_detail(m, "clientID=%s", a);
    else if (line_of(m->part, "clientName", a, sizeof a, 60))
        dap_detail(m, "client=%s", a);
    if (line_of(m->part, "adapterID", b, sizeof b, 60))
        dap_detail(m, "adapterID=%s", b);
}

static void rq_launch_attach(dap_msg *m)
{
    char buf[200];
    int64_t pid;
    if (str_field(m, m->tree, DAP_F_PROGRAM, m->part, "program") &&
        line_of(m->part, "program", buf, sizeof buf, 120))
        dap_detail(m, "program=%s", buf);
    else if (line_of(m->part, "module", buf, sizeof buf, 80))
        dap_detail(m, "module=%s", buf);
    const jx_node *args = jx_get(m->part, "args");
    if (args) {
        jx_render(buf, sizeof buf, args, 120);
        dt_add_string(m->ctx, m->tree, DAPF(ARGS), m->off, m->len, buf, strlen(buf));
        dap_detail(m, "args=%s", buf);
    }
    if (str_field(m, m->tree, DAP_F_CWD, m->part, "cwd") && line_of(m->part, "cwd", buf, sizeof buf, 80))
        dap_detail(m, "cwd=%s", buf);
    if (int_field(m, m->tree, DAP_F_PROCESS_ID, m->part, "processId", &pid) ||
        int_field(m, m->tree, DAP_F_PROCESS_ID, m->part, "pid", &pid))
        dap_detail(m, "pid=%" PRId64, pid);
    const jx_node *conn = jx_obj(m->part, "connect");
    int64_t port;
    if (conn && jx_int(conn, "port", &port)) {
        const char *host = line_of(conn, "host", buf, sizeof buf, 60);
        dap_detail(m, "connect=%s:%" PRId64, host ? host : "", port);
    }
}

static void rq_set_breakpoints(dap_msg *m)
{
    char file[80] = "";
    char lines[160];
    source_of(m, m->tree, DAP_F_SOURCE, jx_obj(m->part, "source"), file, sizeof file);
    if (m->pend)
        snprintf(m->pend->detail, sizeof m->pend->detail, "%s", file);
    /* breakpoints[].line, or the deprecated lines[]. */
    const jx_node *bps = jx_arr(m->part, "breakpoints");
    const jx_node *legacy = bps ? NULL : jx_arr(m->part, "lines");
    size_t n = bps ? jx_size(bps) : legacy ? jx_size(legacy) : 0;
    size_t used = 0;
    lines[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const jx_node *bp = bps ? jx_at(bps, i) : NULL;
        const jx_node *lv = bps ? jx_get(bp, "line") : jx_at(legacy, i);
        if (!jx_is_integer(lv))
            continue;
        int64_t line = (int64_t)jx_ival(lv);
        dt_field *t = i < MAX_LISTED ? dt_add_none(m->ctx, m->tree, DAPF(BREAKPOINT), m->off, m->len) : NULL;
        if (t) {
            dt_add_int(m->ctx, t, DAPF(LINE), m->off, m->len, line);
            str_field(m, t, DAP_F_EXPRESSION, bp, "condition");
        }
        if (used < sizeof lines - 24)
            used += (size_t)snprintf(lines + used, sizeof lines - used, "%s%" PRId64, used ? ", " : "", line);
    }
    dt_add_uint(m->ctx, m->tree, DAPF(COUNT), m->off, m->len, n);
    dap_detail(m, "%s [%s]", file[0] ? file : "?", lines);
}

static void rq_stack_trace(dap_msg *m)
{
    int64_t v;
    thread_detail(m);
    if (jx_int(m->part, "levels", &v) && v > 0)
        dap_detail(m, "levels=%" PRId64, v);
}

static void rq_scopes(dap_msg *m)
{
    int64_t id;
    if (int_field(m, m->tree, DAP_F_FRAME_ID, m->part, "frameId", &id))
        dap_detail(m, "frame=%" PRId64, id);
}

static void rq_variables(dap_msg *m)
{
    int64_t ref;
    if (int_field(m, m->tree, DAP_F_VARIABLES_REFERENCE, m->part, "variablesReference", &ref))
        dap_detail(m, "ref=%" PRId64, ref);
}

static void rq_evaluate(dap_msg *m)
{
    char expr[120], ctxname[40];
    int64_t frame;
    str_field(m, m->tree, DAP_F_EXPRESSION, m->part, "expression");
    str_field(m, m->tree, DAP_F_CONTEXT, m->part, "context");
    int_field(m, m->tree, DAP_F_FRAME_ID, m->part, "frameId", &frame);
    if (line_of(m->part, "expression", expr, sizeof expr, 80)) {
        dap_detail(m, "'%s'", expr);
        if (m->pend)
            snprintf(m->pend->detail, sizeof m->pend->detail, "%s", expr);
    }
    if (line_of(m->part, "context", ctxname, sizeof ctxname, 20))
        dap_detail(m, "(%s)", ctxname);
}

static void rq_run_in_terminal(dap_msg *m)
{
    char buf[200];
    str_field(m, m->tree, DAP_F_RIT_KIND, m->part, "kind");
    str_field(m, m->tree, DAP_F_RIT_TITLE, m->part, "title");
    str_field(m, m->tree, DAP_F_CWD, m->part, "cwd");
    if (line_of(m->part, "kind", buf, sizeof buf, 20))
        dap_detail(m, "kind=%s", buf);
    const jx_node *args = jx_arr(m->part, "args");
    if (args) {
        jx_render(buf, sizeof buf, args, 140);
        dt_add_string(m->ctx, m->tree, DAPF(ARGS), m->off, m->len, buf, strlen(buf));
        dap_detail(m, "args=%s", buf);
    }
    if (line_of(m->part, "cwd", buf, sizeof buf, 80))
        dap_detail(m, "cwd=%s", buf);
}

/* The adapter asks the IDE to start a child session (js-debug, debugpy subprocesses). */
static void rq_start_debugging(dap_msg *m)
{
    char how[20], name[100];
    const jx_node *conf = jx_obj(m->part, "configuration");
    if (line_of(m->part, "request", how, sizeof how, 10))
        dap_detail(m, "request=%s", how);
    if (str_field(m, m->tree, DAP_F_NAME, conf, "name") && line_of(conf, "name", name, sizeof name, 80))
        dap_detail(m, "name=%s", name);
}

static void rq_disconnect(dap_msg *m)
{
    bool v;
    if (jx_bool(m->part, "terminateDebuggee", &v))
        dap_detail(m, "terminateDebuggee=%s", v ? "true" : "false");
}

static void rq_set_exception_breakpoints(dap_msg *m)
{
    char buf[160];
    const jx_node *filters = jx_arr(m->part, "filters");
    if (filters) {
        jx_render(buf, sizeof buf, filters, 120);
        dap_detail(m, "filters=%s", buf);
    }
}

static void rq_source(dap_msg *m)
{
    char file[80];
    int64_t ref;
    if (source_of(m, m->tree, DAP_F_SOURCE, jx_obj(m->part, "source"), file, sizeof file))
        dap_detail(m, "%s", file);
    if (jx_int(m->part, "sourceReference", &ref))
        dap_detail(m, "ref=%" PRId64, ref);
}

static const dap_handler requests[] = {
    { "initialize", rq_initialize },
    { "launch", rq_launch_attach },
    { "attach", rq_launch_attach },
    { "setBreakpoints", rq_set_breakpoints },
    { "setExceptionBreakpoints", rq_set_exception_breakpoints },
    { "stackTrace", rq_stack_trace },
    { "scopes", rq_scopes },
    { "variables", rq_variables },
    { "evaluate", rq_evaluate },
    { "continue", thread_detail },
    { "next", thread_detail },
    { "stepIn", thread_detail },
    { "stepOut", thread_detail },
    { "stepBack", thread_detail },
    { "pause", thread_detail },
    { "runInTerminal", rq_run_in_terminal },
    { "startDebugging", rq_start_debugging },
    { "disconnect", rq_disconnect },
    { "terminate", rq_disconnect },
    { "source", rq_source },
};

/* ---- responses */

static void rs_initialize(dap_msg *m)
{
    dap_detail(m, "%zu capabilities", m->part ? capabilities(m) : 0);
}

static void rs_set_breakpoints(dap_msg *m)
{
    char list[200];
    size_t used = 0;
    const jx_node *bps = jx_arr(m->part, "breakpoints");
    size_t n = bps ? jx_size(bps) : 0;
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const jx_node *bp = jx_at(bps, i);
        dt_field *t = i < MAX_LISTED ? dt_add_none(m->ctx, m->tree, DAPF(BREAKPOINT), m->off, m->len) : NULL;
        int64_t line = 0, id = 0;
        bool verified = false, has_line, has_id;
        has_id = jx_int(bp, "id", &id);
        has_line = jx_int(bp, "line", &line);
        jx_bool(bp, "verified", &verified);
        if (has_id) {
            char file[48] = "";
            source_file(bp, file, sizeof file);
            bp_remember(m, id, file[0] ? file : m->pend ? m->pend->detail : NULL, has_line ? line : 0);
        }
        if (t) {
            if (has_id)
                dt_add_int(m->ctx, t, DAPF(BREAKPOINT_ID), m->off, m->len, id);
            dt_add_uint(m->ctx, t, DAPF(VERIFIED), m->off, m->len, verified);
            if (has_line)
                dt_add_int(m->ctx, t, DAPF(LINE), m->off, m->len, line);
            str_field(m, t, DAP_F_MESSAGE, bp, "message");
        }
        if (used < sizeof list - 40) {
            char where[24] = "?";
            if (has_line)
                snprintf(where, sizeof where, "%" PRId64, line);
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %s", used ? ", " : "", where,
                                     verified ? "verified" : "unverified");
        }
    }
    dt_add_uint(m->ctx, m->tree, DAPF(COUNT), m->off, m->len, n);
    const char *file = m->pend && m->pend->detail[0] ? m->pend->detail : NULL;
    dap_detail(m, "%s%s[%s]", file ? file : "", file ? " " : "", list);
}

static void rs_stack_trace(dap_msg *m)
{
    const jx_node *frames = jx_arr(m->part, "stackFrames");
    size_t n = frames ? jx_size(frames) : 0;
    int64_t total = 0;
    dt_add_uint(m->ctx, m->tree, DAPF(COUNT), m->off, m->len, n);
    bool has_total = int_field(m, m->tree, DAP_F_TOTAL_FRAMES, m->part, "totalFrames", &total);
    for (size_t i = 0; i < n && i < MAX_LISTED; i++) {
        const jx_node *f = jx_at(frames, i);
        dt_field *t = dt_add_none(m->ctx, m->tree, DAPF(FRAME), m->off, m->len);
        char file[80] = "";
        int64_t line = 0;
        int_field(m, t, DAP_F_FRAME_ID, f, "id", NULL);
        str_field(m, t, DAP_F_FRAME_NAME, f, "name");
        source_of(m, t, DAP_F_FRAME_SOURCE, jx_obj(f, "source"), file, sizeof file);
        bool has_line = int_field(m, t, DAP_F_FRAME_LINE, f, "line", &line);
        if (i == 0) {
            char name[100];
            if (!line_of(f, "name", name, sizeof name, 80))
                snprintf(name, sizeof name, "?");
            dap_detail(m, "%zu frame%s%s, top %s", n, n == 1 ? "" : "s",
                       has_total && (uint64_t)total > n ? " (more)" : "", name);
            if (file[0] && has_line)
                dap_detail(m, "at %s:%" PRId64, file, line);
            else if (file[0])
                dap_detail(m, "in %s", file);
        }
    }
    if (n == 0)
        dap_detail(m, "no frames");
}

/* "N things: a, b, c…" from an array of objects with a name member. */
static void name_list(dap_msg *m, const jx_node *arr, const char *what, int name_fid)
{
    char list[160];
    size_t used = 0, n = jx_size(arr);
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const jx_node *o = jx_at(arr, i);
        if (i < MAX_LISTED)
            str_field(m, m->tree, name_fid, o, "name");
        char name[60];
        if (used < sizeof list - 70 && line_of(o, "name", name, sizeof name, 40))
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", name);
    }
    dt_add_uint(m->ctx, m->tree, DAPF(COUNT), m->off, m->len, n);
    dap_detail(m, "%zu %s%s%s%s", n, what, n == 1 ? "" : "s", used ? ": " : "", list);
}

static void rs_scopes(dap_msg *m)
{
    const jx_node *scopes = jx_arr(m->part, "scopes");
    if (scopes)
        name_list(m, scopes, "scope", DAP_F_SCOPE_NAME);
}

static void rs_threads(dap_msg *m)
{
    const jx_node *threads = jx_arr(m->part, "threads");
    if (threads)
        name_list(m, threads, "thread", DAP_F_NAME);
}

/* s at list[used] (the caller has checked the room); returns the new end */
static size_t list_put(char *list, size_t used, const char *s)
{
    size_t n = strlen(s);
    memcpy(list + used, s, n + 1);
    return used + n;
}

static void rs_variables(dap_msg *m)
{
    const jx_node *vars = jx_arr(m->part, "variables");
    size_t n = vars ? jx_size(vars) : 0;
    char list[200];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const jx_node *v = jx_at(vars, i);
        char name[48], value[60];
        /* each looked up once, for the fields and the list */
        size_t nlen = 0, vlen = 0;
        const char *nm = jx_str(v, "name", &nlen), *val = jx_str(v, "value", &vlen);
        if (i < MAX_LISTED) {
            dt_field *t = dt_add_none(m->ctx, m->tree, DAPF(VARIABLE), m->off, m->len);
            if (nm)
                dt_add_string(m->ctx, t, DAPF(VARIABLE_NAME), m->off, m->len, nm, nlen);
            if (val)
                dt_add_string(m->ctx, t, DAPF(VARIABLE_VALUE), m->off, m->len, val, vlen);
            int_field(m, t, DAP_F_VARIABLES_REFERENCE, v, "variablesReference", NULL);
        }
        /* appended piece by piece (no snprintf per variable: this runs for
         * every variable of every response); the room checks leave space for
         * the longest piece, ", " + 47 + "=" + 59 bytes */
        if (used < sizeof list - 110 && nm) {
            jx_line(name, sizeof name, nm, nlen, 40);
            if (val)
                jx_line(value, sizeof value, val, vlen, 40);
            else
                memcpy(value, "?", 2);
            if (used)
                used = list_put(list, used, ", ");
            used = list_put(list, used, name);
            /* an empty value is a group (debugpy's "special variables"): its name alone */
            if (value[0]) {
                used = list_put(list, used, "=");
                used = list_put(list, used, value);
            }
        } else if (used && used < sizeof list - 8 && i + 1 == n) {
            used = list_put(list, used, ", \xe2\x80\xa6");
        }
    }
    dt_add_uint(m->ctx, m->tree, DAPF(COUNT), m->off, m->len, n);
    dap_detail(m, "%zu variable%s%s%s", n, n == 1 ? "" : "s", used ? ": " : "", list);
}

static void rs_evaluate(dap_msg *m)
{
    char result[120], type[40];
    str_field(m, m->tree, DAP_F_RESULT, m->part, "result");
    str_field(m, m->tree, DAP_F_RESULT_TYPE, m->part, "type");
    int_field(m, m->tree, DAP_F_VARIABLES_REFERENCE, m->part, "variablesReference", NULL);
    if (!line_of(m->part, "result", result, sizeof result, 80))
        snprintf(result, sizeof result, "?");
    if (m->pend && m->pend->detail[0])
        dap_detail(m, "'%s' \xe2\x86\x92 %s", m->pend->detail, result);
    else
        dap_detail(m, "\xe2\x86\x92 %s", result);
    if (line_of(m->part, "type", type, sizeof type, 30))
        dap_detail(m, "(%s)", type);
}

static void rs_continue(dap_msg *m)
{
    bool all;
    if (bool_field(m, m->tree, DAP_F_ALL_THREADS, m->part, "allThreadsContinued", &all) && all)
        dap_detail(m, "all threads");
}

static void rs_run_in_terminal(dap_msg *m)
{
    int64_t pid;
    if (int_field(m, m->tree, DAP_F_PROCESS_ID, m->part, "processId", &pid))
        dap_detail(m, "pid=%" PRId64, pid);
    else if (int_field(m, m->tree, DAP_F_PROCESS_ID, m->part, "shellProcessId", &pid))
        dap_detail(m, "shell pid=%" PRId64, pid);
}

static const dap_handler responses[] = {
    { "initialize", rs_initialize },
    { "setBreakpoints", rs_set_breakpoints },
    { "setFunctionBreakpoints", rs_set_breakpoints },
    { "stackTrace", rs_stack_trace },
    { "scopes", rs_scopes },
    { "threads", rs_threads },
    { "variables", rs_variables },
    { "evaluate", rs_evaluate },
    { "continue", rs_continue },
    { "runInTerminal", rs_run_in_terminal },
};

/* ---- events */

static void ev_stopped(dap_msg *m)
{
    char buf[120];
    if (str_field(m, m->tree, DAP_F_REASON, m->part, "reason") && line_of(m->part, "reason", buf, sizeof buf, 40))
        dap_detail(m, "reason=%s", buf);
    str_field(m, m->tree, DAP_F_DESCRIPTION, m->part, "description");
    thread_detail(m);
    bool_field(m, m->tree, DAP_F_ALL_THREADS, m->part, "allThreadsStopped", NULL);
    const jx_node *hits = jx_arr(m->part, "hitBreakpointIds");
    size_t shown = 0;
    for (size_t i = 0; hits && i < jx_size(hits) && i < MAX_LISTED; i++) {
        const jx_node *h = jx_at(hits, i);
        if (!jx_is_integer(h))
            continue;
        int64_t id = (int64_t)jx_ival(h);
        dt_add_int(m->ctx, m->tree, DAPF(HIT_BREAKPOINT_ID), m->off, m->len, id);
        if (shown < 8)
            hit_detail(m, id, shown == 0);
        shown++;
    }
    /* lldb-vscode/lldb-dap name the hit breakpoint only in the description:
     * "breakpoint 1.1" (breakpoint 1, location 1). */
    long long id, loc;
    char tail;
    const char *desc = line_of(m->part, "description", buf, sizeof buf, 80);
    if (!shown && desc && sscanf(desc, "breakpoint %lld.%lld%c", &id, &loc, &tail) == 2 && id > 0) {
        dt_add_int(m->ctx, m->tree, DAPF(HIT_BREAKPOINT_ID), m->off, m->len, id);
        hit_detail(m, id, true);
        shown++;
    } else if (!shown && desc && !jx_get(m->part, "text")) {
        dap_detail(m, "(%s)", desc);
    }
    if (shown > 8)
        dt_summary_append(m->ctx, ", \xe2\x80\xa6");
    if (line_of(m->part, "text", buf, sizeof buf, 80))
        dap_detail(m, "(%s)", buf);
}

static void ev_continued(dap_msg *m)
{
    bool all;
    thread_detail(m);
    if (bool_field(m, m->tree, DAP_F_ALL_THREADS, m->part, "allThreadsContinued", &all) && all)
        dap_detail(m, "all threads");
}

static void ev_exited(dap_msg *m)
{
    int64_t code;
    if (int_field(m, m->tree, DAP_F_EXIT_CODE, m->part, "exitCode", &code)) {
        dap_detail(m, "exitCode=%" PRId64, code);
        if (code != 0)
            dt_status(m->ctx, "non-zero exit", false);
    }
}

static void ev_output(dap_msg *m)
{
    char cat[40], text[200];
    size_t n;
    const char *out = jx_str(m->part, "output", &n);
    str_field(m, m->tree, DAP_F_OUTPUT_CATEGORY, m->part, "category");
    if (!line_of(m->part, "category", cat, sizeof cat, 30))
        snprintf(cat, sizeof cat, "console");
    if (out)
        dt_add_string(m->ctx, m->tree, DAPF(OUTPUT), m->off, m->len, out, n);
    jx_line(text, sizeof text, out ? out : "", out ? n : 0, 160);
    dap_detail(m, "%s: %s", cat, text);
}

static void ev_thread(dap_msg *m)
{
    char reason[40];
    if (str_field(m, m->tree, DAP_F_REASON, m->part, "reason") &&
        line_of(m->part, "reason", reason, sizeof reason, 30))
        dap_detail(m, "%s", reason);
    thread_detail(m);
}

static void ev_process(dap_msg *m)
{
    char name[120], how[40];
    int64_t pid;
    if (str_field(m, m->tree, DAP_F_NAME, m->part, "name") && line_of(m->part, "name", name, sizeof name, 80))
        dap_detail(m, "%s", name);
    if (int_field(m, m->tree, DAP_F_PROCESS_ID, m->part, "systemProcessId", &pid))
        dap_detail(m, "pid=%" PRId64, pid);
    if (line_of(m->part, "startMethod", how, sizeof how, 20))
        dap_detail(m, "(%s)", how);
}

static void ev_breakpoint(dap_msg *m)
{
    char reason[40] = "";
    const jx_node *bp = jx_obj(m->part, "breakpoint");
    int64_t id, line;
    bool verified;
    if (str_field(m, m->tree, DAP_F_REASON, m->part, "reason") &&
        line_of(m->part, "reason", reason, sizeof reason, 30))
        dap_detail(m, "%s", reason);
    if (!bp)
        return;
    dt_field *t = dt_add_none(m->ctx, m->tree, DAPF(BREAKPOINT), m->off, m->len);
    bool has_id = int_field(m, t, DAP_F_BREAKPOINT_ID, bp, "id", &id);
    if (has_id)
        dap_detail(m, "id=%" PRId64, id);
    bool has_line = int_field(m, t, DAP_F_LINE, bp, "line", &line);
    if (has_line)
        dap_detail(m, "line=%" PRId64, line);
    if (has_id && strcmp(reason, "removed") != 0) {
        char file[48] = "";
        source_file(bp, file, sizeof file);
        bp_remember(m, id, file, has_line ? line : 0);
    }
    if (bool_field(m, t, DAP_F_VERIFIED, bp, "verified", &verified))
        dap_detail(m, "%s", verified ? "verified" : "unverified");
}

static void ev_module(dap_msg *m)
{
    char reason[40], name[100];
    const jx_node *mod = jx_obj(m->part, "module");
    if (line_of(m->part, "reason", reason, sizeof reason, 30))
        dap_detail(m, "%s", reason);
    if (str_field(m, m->tree, DAP_F_NAME, mod, "name") && line_of(mod, "name", name, sizeof name, 80))
        dap_detail(m, "%s", name);
}

static void ev_progress(dap_msg *m)
{
    char buf[120];
    if (line_of(m->part, "title", buf, sizeof buf, 80))
        dap_detail(m, "%s", buf);
    if (line_of(m->part, "message", buf, sizeof buf, 80))
        dap_detail(m, "%s", buf);
}

static const dap_handler events[] = {
    { "stopped", ev_stopped },
    { "continued", ev_continued },
    { "exited", ev_exited },
    { "output", ev_output },
    { "thread", ev_thread },
    { "process", ev_process },
    { "breakpoint", ev_breakpoint },
    { "module", ev_module },
    { "progressStart", ev_progress },
    { "progressUpdate", ev_progress },
    { "progressEnd", ev_progress },
};

static void run(dap_msg *m, const dap_handler *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            table[i].fn(m);
            return;
        }
    }
}

void dap_request_details(dap_msg *m, const char *command)
{
    run(m, requests, sizeof requests / sizeof requests[0], command);
}

void dap_response_details(dap_msg *m, const char *command)
{
    run(m, responses, sizeof responses / sizeof responses[0], command);
}

void dap_event_details(dap_msg *m, const char *event)
{
    run(m, events, sizeof events / sizeof events[0], event);
}
