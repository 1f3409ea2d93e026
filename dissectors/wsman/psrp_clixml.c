#include "psrp_clixml.h"
#include "wsman_names.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEPTH_MAX 64
#define TEXT_MAX 4096

typedef struct frame {
    char tag[16];
    char n[48]; /* the N attribute: the member's name */
} frame;

/* what the text being captured is for */
enum cap {
    CAP_NONE,
    CAP_TOP,
    CAP_NAMED,
    CAP_CMD,
    CAP_ARG_N,
    CAP_ARG_V,
    CAP_HOST_PARAM,
    CAP_IS_SCRIPT,
};

struct psrp_clixml {
    XML_Parser p;
    psrp_info *info;
    int depth;
    frame f[DEPTH_MAX + 1];
    /* text capture */
    enum cap cap;
    int cap_depth;
    psrp_val *cap_val;
    char text[TEXT_MAX];
    size_t text_len;
    /* the pipeline being rebuilt */
    int cmd_depth;      /* depth of the command's Obj, 0 outside */
    int arg_depth;      /* depth of the argument's Obj, 0 outside */
    int arg_v_obj;      /* depth of an Obj argument value: its ToString is the value */
    bool group_open;    /* a command of the current Cmds list was added */
    bool is_script;
    char cmd[192];
    char arg_n[64];
    char arg_v[128];
    bool arg_has_n, arg_has_v;
    int mp_depth;       /* inside a host call's parameters (Obj N="mp") */
};

static bool is_container(const char *tag)
{
    static const char *const c[] = { "Obj", "MS", "LST", "IE", "QUE", "STK", "DCT", "En", "Props", "TN", "TNRef", "Ref", NULL };
    for (int i = 0; c[i]; i++)
        if (strcmp(tag, c[i]) == 0)
            return true;
    return false;
}

static void put(char *dst, size_t dstsz, const char *s) { wsm_copy(dst, dstsz, s); }

static void append(char *dst, size_t dstsz, const char *s)
{
    size_t n = strlen(dst);
    if (n + 1 < dstsz)
        snprintf(dst + n, dstsz - n, "%s", s);
}

/* CLIXML escapes characters XML cannot carry as _xHHHH_ (UTF-16 code units;
 * a surrogate pair is two escapes). Decoded in place. */
static void unescape(char *s)
{
    char *o = s;
    const char *p = s;
    while (*p) {
        unsigned u;
        if (p[0] == '_' && p[1] == 'x' && sscanf(p + 2, "%4x", &u) == 1 && p[6] == '_') {
            const char *q = p + 7;
            unsigned cp = u;
            unsigned lo;
            if (u >= 0xD800 && u < 0xDC00 && q[0] == '_' && q[1] == 'x' && sscanf(q + 2, "%4x", &lo) == 1 &&
                q[6] == '_' && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                q += 7;
            } else if (u >= 0xD800 && u < 0xE000)
                cp = 0xFFFD;
            if (cp == 0) {
                p = q;
                continue;
            }
            if (cp < 0x80)
                *o++ = (char)cp;
            else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            p = q;
            continue;
        }
        *o++ = *p++;
    }
    *o = '\0';
}

static psrp_val *named(psrp_info *in, const char *n)
{
    static const struct {
        const char *n;
        size_t off;
    } names[] = {
        { "protocolversion", offsetof(psrp_info, protocol_version) },
        { "PSVersion", offsetof(psrp_info, ps_version) },
        { "SerializationVersion", offsetof(psrp_info, serialization_version) },
        { "MinRunspaces", offsetof(psrp_info, min_runspaces) },
        { "MaxRunspaces", offsetof(psrp_info, max_runspaces) },
        { "RunspaceState", offsetof(psrp_info, runspace_state) },
        { "PipelineState", offsetof(psrp_info, pipeline_state) },
        { "FullyQualifiedErrorId", offsetof(psrp_info, fqid) },
        { "errorCategory_Category", offsetof(psrp_info, category) },
        { "errorCategory_Reason", offsetof(psrp_info, category_reason) },
        { "errorCategory_Activity", offsetof(psrp_info, category_activity) },
        { "errorCategory_TargetName", offsetof(psrp_info, category_target) },
        { "Message", offsetof(psrp_info, message) },
        { "InformationalRecord_Message", offsetof(psrp_info, info_message) },
        { "MessageData", offsetof(psrp_info, message_data) },
        { "Activity", offsetof(psrp_info, activity) },
        { "StatusDescription", offsetof(psrp_info, status_description) },
        { "PercentComplete", offsetof(psrp_info, percent) },
        { "mi", offsetof(psrp_info, method) },
        { "ci", offsetof(psrp_info, call_id) },
        { "PublicKey", offsetof(psrp_info, public_key) },
        { "EncryptedSessionKey", offsetof(psrp_info, session_key) },
        { "SetMinMaxRunspacesResponse", offsetof(psrp_info, set_minmax) },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(n, names[i].n) == 0) { /* errorCategory_ and ErrorCategory_ both occur */
            psrp_val *v = (psrp_val *)((char *)in + names[i].off);
            return v->set ? NULL : v;
        }
    return NULL;
}

static void start_cap(psrp_clixml *x, enum cap c, psrp_val *v)
{
    x->cap = c;
    x->cap_depth = x->depth;
    x->cap_val = v;
    x->text_len = 0;
    x->text[0] = '\0';
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static void XMLCALL on_start(void *ud, const XML_Char *tag, const XML_Char **atts)
{
    psrp_clixml *x = ud;
    psrp_info *in = x->info;
    x->depth++;
    if (x->depth > DEPTH_MAX)
        return;
    frame *f = &x->f[x->depth];
    put(f->tag, sizeof f->tag, tag);
    const char *n = attr(atts, "N");
    put(f->n, sizeof f->n, n ? n : "");
    const frame *parent = &x->f[x->depth - 1];
    const frame *grand = x->depth >= 2 ? &x->f[x->depth - 2] : NULL;
    if (x->depth == 1)
        put(in->top_tag, sizeof in->top_tag, tag);
    if (x->cap != CAP_NONE)
        return;

    bool obj = strcmp(tag, "Obj") == 0;
    /* the pipeline: Obj N="Cmds" > LST > Obj (a command) > MS > S N="Cmd", Obj N="Args" > LST > Obj (an argument) */
    if (obj && strcmp(f->n, "Cmds") == 0) {
        if (in->pipeline[0])
            append(in->pipeline, sizeof in->pipeline, "; ");
        x->group_open = false;
    }
    if (obj && grand && strcmp(parent->tag, "LST") == 0 && strcmp(grand->n, "Cmds") == 0 && !x->cmd_depth) {
        x->cmd_depth = x->depth;
        x->cmd[0] = '\0';
        x->is_script = false;
    }
    if (obj && grand && x->cmd_depth && strcmp(parent->tag, "LST") == 0 && strcmp(grand->n, "Args") == 0 &&
        !x->arg_depth) {
        x->arg_depth = x->depth;
        x->arg_has_n = x->arg_has_v = false;
        x->arg_n[0] = x->arg_v[0] = '\0';
    }
    if (obj && strcmp(f->n, "mp") == 0 && !x->mp_depth)
        x->mp_depth = x->depth;
    if (x->arg_depth && x->depth == x->arg_depth + 2 && strcmp(f->n, "V") == 0) {
        if (obj) {
            x->arg_v_obj = x->depth;
            x->arg_has_v = true;
            put(x->arg_v, sizeof x->arg_v, "[object]");
            return;
        }
    }
    if (is_container(tag)) {
        if (obj && x->depth == 1)
            in->top.set = false;
        return;
    }
    /* a primitive value (or ToString / T): decide what its text is for */
    if (x->depth == 1) {
        start_cap(x, CAP_TOP, &in->top);
        return;
    }
    if (strcmp(tag, "T") == 0) {
        if (x->depth == 3 && !in->top_type[0] && strcmp(x->f[1].tag, "Obj") == 0)
            start_cap(x, CAP_NAMED, NULL); /* stored into top_type at the end */
        return;
    }
    if (strcmp(tag, "ToString") == 0) {
        if (x->depth == 2) {
            start_cap(x, CAP_TOP, &in->top);
            return;
        }
        if (x->arg_v_obj && x->depth == x->arg_v_obj + 1) {
            start_cap(x, CAP_ARG_V, NULL);
            return;
        }
        /* an object's ToString stands for it: mi (host method), MessageData, Exception */
        psrp_val *v = named(in, parent->n);
        if (v)
            start_cap(x, CAP_NAMED, v);
        return;
    }
    if (x->cmd_depth && !x->arg_depth && strcmp(f->n, "Cmd") == 0) {
        start_cap(x, CAP_CMD, NULL);
        return;
    }
    if (x->cmd_depth && !x->arg_depth && strcmp(f->n, "IsScript") == 0) {
        start_cap(x, CAP_IS_SCRIPT, NULL);
        return;
    }
    if (x->arg_depth && x->depth == x->arg_depth + 2) {
        if (strcmp(f->n, "N") == 0) {
            if (strcmp(tag, "Nil") != 0)
                start_cap(x, CAP_ARG_N, NULL);
            return;
        }
        if (strcmp(f->n, "V") == 0) {
            x->arg_has_v = true;
            if (strcmp(tag, "Nil") == 0)
                put(x->arg_v, sizeof x->arg_v, "$null");
            else
                start_cap(x, CAP_ARG_V, NULL);
            return;
        }
    }
    if (x->mp_depth && !in->host_param.set && strcmp(tag, "S") == 0) {
        start_cap(x, CAP_HOST_PARAM, &in->host_param);
        return;
    }
    if (f->n[0]) {
        psrp_val *v = named(in, f->n);
        if (v)
            start_cap(x, CAP_NAMED, v);
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    psrp_clixml *x = ud;
    if (x->cap == CAP_NONE || x->depth != x->cap_depth)
        return;
    size_t room = TEXT_MAX - 1 - x->text_len;
    size_t n = (size_t)len < room ? (size_t)len : room;
    memcpy(x->text + x->text_len, s, n);
    x->text_len += n;
    x->text[x->text_len] = '\0';
}

static void quote_arg(char *out, size_t outsz, const char *v)
{
    if (v[0] && !strpbrk(v, " \t;|'\"$"))
        put(out, outsz, v);
    else
        snprintf(out, outsz, "'%s'", v);
}

static void end_capture(psrp_clixml *x)
{
    psrp_info *in = x->info;
    unescape(x->text);
    switch (x->cap) {
    case CAP_TOP:
    case CAP_NAMED:
    case CAP_HOST_PARAM:
        if (x->cap_val) {
            put(x->cap_val->s, sizeof x->cap_val->s, x->text);
            x->cap_val->set = true;
        } else if (!in->top_type[0] && x->depth == 3)
            put(in->top_type, sizeof in->top_type, x->text);
        break;
    case CAP_CMD:
        put(x->cmd, sizeof x->cmd, x->text);
        break;
    case CAP_IS_SCRIPT:
        x->is_script = strcmp(x->text, "true") == 0;
        break;
    case CAP_ARG_N:
        put(x->arg_n, sizeof x->arg_n, x->text);
        x->arg_has_n = x->text[0] != '\0';
        break;
    case CAP_ARG_V:
        put(x->arg_v, sizeof x->arg_v, x->text);
        break;
    case CAP_NONE:
        break;
    }
    x->cap = CAP_NONE;
}

static void XMLCALL on_end(void *ud, const XML_Char *tag)
{
    (void)tag;
    psrp_clixml *x = ud;
    psrp_info *in = x->info;
    if (x->cap != CAP_NONE && x->depth == x->cap_depth)
        end_capture(x);
    if (x->arg_v_obj && x->depth == x->arg_v_obj)
        x->arg_v_obj = 0;
    if (x->arg_depth && x->depth == x->arg_depth) {
        char part[220] = "", v[140];
        if (x->arg_has_n)
            snprintf(part, sizeof part, " -%s", x->arg_n);
        if (x->arg_has_v && !(x->arg_has_n && strcmp(x->arg_v, "$null") == 0)) {
            quote_arg(v, sizeof v, x->arg_v);
            append(part, sizeof part, " ");
            append(part, sizeof part, v);
        }
        append(x->cmd, sizeof x->cmd, part);
        x->arg_depth = 0;
    }
    if (x->cmd_depth && x->depth == x->cmd_depth) {
        /* a script block's text stands for itself; keep it on one line */
        char *o = x->cmd;
        for (const char *p = x->cmd; *p; p++) {
            bool space = *p == '\n' || *p == '\r' || *p == '\t' || *p == ' ';
            if (space && (o == x->cmd || o[-1] == ' '))
                continue;
            *o++ = space ? ' ' : *p;
        }
        if (o > x->cmd && o[-1] == ' ')
            o--;
        *o = '\0';
        if (x->group_open)
            append(in->pipeline, sizeof in->pipeline, " | ");
        append(in->pipeline, sizeof in->pipeline, x->cmd);
        x->group_open = true;
        in->n_commands_seen++;
        if (in->n_commands < PSRP_MAX_CMDS)
            put(in->commands[in->n_commands++], sizeof in->commands[0], x->cmd);
        x->cmd_depth = 0;
    }
    if (x->mp_depth && x->depth == x->mp_depth)
        x->mp_depth = 0;
    x->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal;
    psrp_clixml *x = ud;
    x->info->dtd_refused = true;
    XML_StopParser(x->p, XML_FALSE);
}

psrp_clixml *psrp_clixml_new(void)
{
    psrp_clixml *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->p = XML_ParserCreate(NULL);
    if (!x->p) {
        free(x);
        return NULL;
    }
    return x;
}

void psrp_clixml_free(psrp_clixml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    free(x);
}

bool psrp_clixml_parse(psrp_clixml *x, const uint8_t *data, size_t len, psrp_info *info)
{
    XML_Parser p = x->p;
    XML_ParserReset(p, NULL);
    memset(info, 0, sizeof *info);
    x->info = info;
    x->depth = 0;
    x->cap = CAP_NONE;
    x->cmd_depth = x->arg_depth = x->arg_v_obj = x->mp_depth = 0;
    x->group_open = false;
    memset(&x->f[0], 0, sizeof x->f[0]);
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    if (len > (size_t)0x7fffffff || XML_Parse(p, (const char *)data, (int)len, XML_TRUE) != XML_STATUS_OK) {
        XML_Index at = XML_GetCurrentByteIndex(p);
        info->error_off = at < 0 ? 0 : (uint64_t)at;
        info->xml_error = true;
        if (info->dtd_refused)
            snprintf(info->error, sizeof info->error, "document type declaration refused (entities are never expanded)");
        else
            snprintf(info->error, sizeof info->error, "CLIXML: %s", XML_ErrorString(XML_GetErrorCode(p)));
        return false;
    }
    return true;
}
