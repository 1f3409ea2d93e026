#include "wsman_xml.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

enum ns {
    NS_OTHER,
    NS_SOAP,
    NS_WSA,
    NS_WSMAN,
    NS_WSMV,
    NS_RSP,
    NS_TRANSFER,
    NS_ENUM,
    NS_FAULT,
    NS_PS,
    NS_WSMID,
};

static const struct {
    const char *uri;
    enum ns ns;
} namespaces[] = {
    { "http://www.w3.org/2003/05/soap-envelope", NS_SOAP },
    { "http://schemas.xmlsoap.org/ws/2004/08/addressing", NS_WSA },
    { "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd", NS_WSMAN },
    { "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd", NS_WSMV },
    { "http://schemas.microsoft.com/wbem/wsman/1/windows/shell", NS_RSP },
    { "http://schemas.xmlsoap.org/ws/2004/09/transfer", NS_TRANSFER },
    { "http://schemas.xmlsoap.org/ws/2004/09/enumeration", NS_ENUM },
    { "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault", NS_FAULT },
    { "http://schemas.microsoft.com/powershell", NS_PS },
    { "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd", NS_WSMID },
};

struct wsm_xml {
    XML_Parser p;
    wsm_env *env;
    const uint8_t *data;
    uint8_t **buf;
    size_t *cap;
    size_t used;             /* decoded bytes in *buf */
    int depth;
    int body_depth;          /* depth of s:Body, 0 if not inside */
    int header_depth;
    int items_depth;         /* inside n:Items/w:Items: foreign content */
    /* text capture */
    char *cap_s;
    uint16_t *cap_len;
    bool *cap_set;
    uint32_t *cap_xlen;
    uint32_t cap_off;
    size_t cap_max;
    int cap_depth;
    bool cap_nested;         /* keep text of child elements too (f:Message) */
    /* list capture (options, selectors, variables, arguments) */
    char *list_s;
    size_t list_max;
    size_t list_len;
    int list_depth;
    /* base64 capture */
    wsm_seg *seg;
    int seg_depth;
    wsm_b64 b64;
    bool in_fault_subcode;
    int fmessage_depth;
};

void wsm_trim(char *s, uint16_t *len)
{
    size_t n = *len, a = 0;
    while (a < n && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (a)
        memmove(s, s + a, n - a);
    n -= a;
    s[n] = '\0';
    *len = (uint16_t)n;
}

static enum ns split(const XML_Char *name, const char **local)
{
    const char *sp = strchr(name, ' ');
    if (!sp) {
        *local = name;
        return NS_OTHER;
    }
    *local = sp + 1;
    size_t n = (size_t)(sp - name);
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
        if (strlen(namespaces[i].uri) == n && memcmp(namespaces[i].uri, name, n) == 0)
            return namespaces[i].ns;
    return NS_OTHER;
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static void copy(char *dst, size_t dstsz, const char *src)
{
    snprintf(dst, dstsz, "%s", src ? src : "");
}

static uint32_t cur_off(wsm_xml *x)
{
    XML_Index i = XML_GetCurrentByteIndex(x->p);
    return i < 0 ? 0 : (uint32_t)i;
}

static void capture_str(wsm_xml *x, wsm_str *s, bool nested)
{
    s->len = 0;
    s->s[0] = '\0';
    s->set = true;
    s->off = cur_off(x);
    x->cap_s = s->s;
    x->cap_len = &s->len;
    x->cap_set = &s->set;
    x->cap_xlen = &s->xlen;
    x->cap_off = s->off;
    x->cap_max = sizeof s->s - 1;
    x->cap_depth = x->depth;
    x->cap_nested = nested;
}

static void capture_big(wsm_xml *x, wsm_bigstr *s)
{
    s->len = 0;
    s->s[0] = '\0';
    s->set = true;
    s->off = cur_off(x);
    x->cap_s = s->s;
    x->cap_len = &s->len;
    x->cap_set = &s->set;
    x->cap_xlen = &s->xlen;
    x->cap_off = s->off;
    x->cap_max = sizeof s->s - 1;
    x->cap_depth = x->depth;
    x->cap_nested = true;
}

static void capture_list(wsm_xml *x, char *dst, size_t max)
{
    dst[0] = '\0';
    x->list_s = dst;
    x->list_max = max - 1;
    x->list_len = 0;
    x->list_depth = x->depth;
}

static void start_seg(wsm_xml *x, const char *name, const char *command_id, const char *end)
{
    wsm_env *e = x->env;
    e->n_segs_seen++;
    if (e->n_segs >= WSM_MAX_SEGS)
        return;
    wsm_seg *s = &e->segs[e->n_segs++];
    memset(s, 0, sizeof *s);
    copy(s->name, sizeof s->name, name);
    copy(s->command_id, sizeof s->command_id, command_id);
    s->end = end && (strcmp(end, "true") == 0 || strcmp(end, "1") == 0);
    s->off = x->used;
    s->xml_off = cur_off(x);
    x->seg = s;
    x->seg_depth = x->depth;
    wsm_b64_init(&x->b64);
}

static void seg_text(wsm_xml *x, const char *s, int len)
{
    wsm_seg *g = x->seg;
    size_t need = x->used + (size_t)len * 3 / 4 + 4;
    if (need > *x->cap) {
        if (need > WSM_MAX_DECODED) {
            g->clipped = true;
            return;
        }
        size_t cap = *x->cap ? *x->cap : 65536;
        while (cap < need)
            cap *= 2;
        if (cap > WSM_MAX_DECODED)
            cap = WSM_MAX_DECODED;
        uint8_t *nb = realloc(*x->buf, cap);
        if (!nb) {
            g->clipped = true;
            return;
        }
        *x->buf = nb;
        *x->cap = cap;
    }
    x->used += wsm_b64_feed(&x->b64, s, (size_t)len, *x->buf + x->used);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    wsm_xml *x = ud;
    if (x->seg && x->depth == x->seg_depth) {
        seg_text(x, s, len);
        return;
    }
    if (x->cap_s && (x->depth == x->cap_depth || (x->cap_nested && x->depth > x->cap_depth))) {
        size_t room = x->cap_max - *x->cap_len;
        size_t n = (size_t)len < room ? (size_t)len : room;
        memcpy(x->cap_s + *x->cap_len, s, n);
        *x->cap_len = (uint16_t)(*x->cap_len + n);
        x->cap_s[*x->cap_len] = '\0';
    }
    if (x->list_s && x->depth == x->list_depth) {
        size_t room = x->list_max - x->list_len;
        size_t n = (size_t)len < room ? (size_t)len : room;
        memcpy(x->list_s + x->list_len, s, n);
        x->list_len += n;
        x->list_s[x->list_len] = '\0';
    }
}

static void body_element(wsm_xml *x, enum ns ns, const char *local, const XML_Char **atts)
{
    wsm_env *e = x->env;
    if (x->depth == x->body_depth + 1 && !e->body_elem[0])
        copy(e->body_elem, sizeof e->body_elem, local);
    if (ns == NS_RSP) {
        const char *cid = attr(atts, "CommandId");
        if (cid && !e->command_id.set) {
            copy(e->command_id.s, sizeof e->command_id.s, cid);
            e->command_id.len = (uint16_t)strlen(e->command_id.s);
            e->command_id.set = true;
            e->command_id.off = cur_off(x);
        }
        if (strcmp(local, "Shell") == 0) {
            const char *sid = attr(atts, "ShellId");
            if (sid && !e->shell_id.set) {
                copy(e->shell_id.s, sizeof e->shell_id.s, sid);
                e->shell_id.len = (uint16_t)strlen(e->shell_id.s);
                e->shell_id.set = true;
                e->shell_id.off = cur_off(x);
            }
            const char *name = attr(atts, "Name");
            if (name && !e->shell_name.set) {
                copy(e->shell_name.s, sizeof e->shell_name.s, name);
                e->shell_name.len = (uint16_t)strlen(e->shell_name.s);
                e->shell_name.set = true;
            }
        } else if (strcmp(local, "ShellId") == 0) {
            if (!e->shell_id.set)
                capture_str(x, &e->shell_id, false);
        } else if (strcmp(local, "CommandId") == 0)
            capture_str(x, &e->command_id, false);
        else if (strcmp(local, "Command") == 0)
            capture_str(x, &e->command, false);
        else if (strcmp(local, "Arguments") == 0 &&
                 strncmp(e->resource_uri.s, "http://schemas.microsoft.com/powershell/", 40) == 0)
            start_seg(x, "Arguments", e->command_id.s, "true"); /* PSRP: the pipeline, base64 */
        else if (strcmp(local, "Arguments") == 0) {
            e->n_arguments_seen++;
            if (e->n_arguments < WSM_MAX_LIST)
                capture_list(x, e->arguments[e->n_arguments++], sizeof e->arguments[0]);
        } else if (strcmp(local, "Stream") == 0)
            start_seg(x, attr(atts, "Name"), attr(atts, "CommandId"), attr(atts, "End"));
        else if (strcmp(local, "DesiredStream") == 0)
            capture_str(x, &e->desired_streams, false);
        else if (strcmp(local, "CommandState") == 0) {
            const char *st = attr(atts, "State");
            if (st) {
                copy(e->state.s, sizeof e->state.s, st);
                e->state.len = (uint16_t)strlen(e->state.s);
                e->state.set = true;
                e->state.off = cur_off(x);
            }
        } else if (strcmp(local, "ExitCode") == 0) {
            capture_str(x, &e->exit_code, false);
            e->has_exit_code = true;
        } else if (strcmp(local, "Code") == 0)
            capture_str(x, &e->signal_code, false);
        else if (strcmp(local, "InputStreams") == 0)
            capture_str(x, &e->input_streams, false);
        else if (strcmp(local, "OutputStreams") == 0)
            capture_str(x, &e->output_streams, false);
        else if (strcmp(local, "WorkingDirectory") == 0)
            capture_str(x, &e->working_dir, false);
        else if (strcmp(local, "Owner") == 0)
            capture_str(x, &e->owner, false);
        else if (strcmp(local, "ClientIP") == 0)
            capture_str(x, &e->client_ip, false);
        else if (strcmp(local, "IdleTimeOut") == 0)
            capture_str(x, &e->idle_timeout, false);
        else if (strcmp(local, "Name") == 0 && !e->shell_name.set)
            capture_str(x, &e->shell_name, false);
        else if (strcmp(local, "Variable") == 0 && e->n_variables < WSM_MAX_LIST) {
            wsm_pair *v = &e->variables[e->n_variables++];
            copy(v->name, sizeof v->name, attr(atts, "Name"));
            capture_list(x, v->value, sizeof v->value);
        }
        return;
    }
    if (strcmp(local, "creationXml") == 0 || strcmp(local, "connectXml") == 0 ||
        strcmp(local, "connectResponseXml") == 0) {
        start_seg(x, local, NULL, "true");
        return;
    }
    if (ns == NS_ENUM && strcmp(local, "EnumerationContext") == 0) {
        capture_str(x, &e->enum_context, false);
        return;
    }
    if ((ns == NS_ENUM || ns == NS_WSMAN) && strcmp(local, "Items") == 0) {
        x->items_depth = x->depth;
        return;
    }
    if ((ns == NS_ENUM || ns == NS_WSMAN) && strcmp(local, "EndOfSequence") == 0) {
        e->end_of_sequence = true;
        return;
    }
    if (ns == NS_WSMID) {
        if (strcmp(local, "ProductVendor") == 0)
            capture_str(x, &e->product_vendor, false);
        else if (strcmp(local, "ProductVersion") == 0)
            capture_str(x, &e->product_version, false);
        else if (strcmp(local, "ProtocolVersion") == 0)
            capture_str(x, &e->protocol_version, false);
        return;
    }
    if (ns == NS_WSMAN && strcmp(local, "Selector") == 0) {
        /* a ResourceCreated's EPR names the new shell */
        const char *n = attr(atts, "Name");
        if (n && strcmp(n, "ShellId") == 0 && !e->shell_id.set)
            capture_str(x, &e->shell_id, false);
        return;
    }
    if (ns == NS_SOAP) {
        if (strcmp(local, "Fault") == 0)
            e->is_fault = true;
        else if (e->is_fault && strcmp(local, "Subcode") == 0)
            x->in_fault_subcode = true;
        else if (e->is_fault && strcmp(local, "Value") == 0)
            capture_str(x, x->in_fault_subcode ? &e->fault_subcode : &e->fault_code, false);
        else if (e->is_fault && strcmp(local, "Text") == 0 && !e->fault_reason.set)
            capture_str(x, &e->fault_reason, false);
        return;
    }
    if (ns == NS_FAULT) {
        if (strcmp(local, "WSManFault") == 0 && !e->has_wsman_code) {
            const char *c = attr(atts, "Code");
            if (c) {
                char *end;
                unsigned long long v = strtoull(c, &end, 10);
                if (end != c) {
                    e->wsman_code = v;
                    e->has_wsman_code = true;
                }
            }
            const char *m = attr(atts, "Machine");
            if (m) {
                copy(e->fault_machine.s, sizeof e->fault_machine.s, m);
                e->fault_machine.len = (uint16_t)strlen(e->fault_machine.s);
                e->fault_machine.set = true;
            }
        } else if (strcmp(local, "Message") == 0 && !e->fault_message.set)
            capture_big(x, &e->fault_message); /* nested ProviderFault text included */
        return;
    }
    if (ns == NS_WSMAN && strcmp(local, "FaultDetail") == 0)
        capture_str(x, &e->fault_detail, false);
}

static void header_element(wsm_xml *x, enum ns ns, const char *local, const XML_Char **atts)
{
    wsm_env *e = x->env;
    if (ns == NS_WSA) {
        if (strcmp(local, "Action") == 0)
            capture_str(x, &e->action, false);
        else if (strcmp(local, "MessageID") == 0)
            capture_str(x, &e->message_id, false);
        else if (strcmp(local, "RelatesTo") == 0)
            capture_str(x, &e->relates_to, false);
        else if (strcmp(local, "To") == 0)
            capture_str(x, &e->to, false);
        return;
    }
    if (ns == NS_WSMAN) {
        if (strcmp(local, "ResourceURI") == 0)
            capture_str(x, &e->resource_uri, false);
        else if (strcmp(local, "OperationTimeout") == 0)
            capture_str(x, &e->operation_timeout, false);
        else if (strcmp(local, "MaxEnvelopeSize") == 0)
            capture_str(x, &e->max_envelope_text, false);
        else if (strcmp(local, "Locale") == 0) {
            const char *l = attr(atts, "http://www.w3.org/XML/1998/namespace lang");
            if (l && !e->locale.set) {
                copy(e->locale.s, sizeof e->locale.s, l);
                e->locale.len = (uint16_t)strlen(e->locale.s);
                e->locale.set = true;
            }
        } else if (strcmp(local, "Selector") == 0 && e->n_selectors < WSM_MAX_LIST) {
            wsm_pair *s = &e->selectors[e->n_selectors++];
            const char *n = attr(atts, "Name");
            copy(s->name, sizeof s->name, n);
            capture_list(x, s->value, sizeof s->value);
        } else if (strcmp(local, "Option") == 0 && e->n_options < WSM_MAX_LIST) {
            wsm_pair *o = &e->options[e->n_options++];
            copy(o->name, sizeof o->name, attr(atts, "Name"));
            capture_list(x, o->value, sizeof o->value);
        }
        return;
    }
    if (ns == NS_WSMV && strcmp(local, "SessionId") == 0)
        capture_str(x, &e->session_id, false);
}

static void trim_c(char *s)
{
    size_t n = strlen(s);
    uint16_t len = (uint16_t)(n > 65535 ? 65535 : n);
    wsm_trim(s, &len);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    wsm_xml *x = ud;
    x->depth++;
    if (x->depth > x->env->depth_max)
        x->env->depth_max = x->depth;
    if (x->items_depth) { /* enumeration items belong to other schemas: count them only */
        if (x->depth == x->items_depth + 1)
            x->env->n_items++;
        return;
    }
    const char *local;
    enum ns ns = split(name, &local);
    if (ns == NS_SOAP && x->depth == 2) {
        if (strcmp(local, "Header") == 0)
            x->header_depth = x->depth;
        else if (strcmp(local, "Body") == 0)
            x->body_depth = x->depth;
        return;
    }
    if (x->seg) /* no markup inside base64 */
        return;
    if (x->header_depth)
        header_element(x, ns, local, atts);
    else if (x->body_depth)
        body_element(x, ns, local, atts);
}

static void end_seg(wsm_xml *x)
{
    wsm_seg *g = x->seg;
    g->len = x->used - g->off;
    g->bad_chars = x->b64.bad;
    g->bad_at = x->b64.bad_at;
    g->partial = wsm_b64_partial(&x->b64);
    uint32_t now = cur_off(x) + (uint32_t)XML_GetCurrentByteCount(x->p);
    g->xml_len = now > g->xml_off ? now - g->xml_off : 0;
    x->seg = NULL;
}

static void end_capture(wsm_xml *x)
{
    uint32_t now = cur_off(x) + (uint32_t)XML_GetCurrentByteCount(x->p);
    *x->cap_xlen = now > x->cap_off ? now - x->cap_off : 0;
    wsm_trim(x->cap_s, x->cap_len);
    x->cap_s = NULL;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    wsm_xml *x = ud;
    if (x->seg && x->depth == x->seg_depth)
        end_seg(x);
    if (x->cap_s && x->depth == x->cap_depth)
        end_capture(x);
    if (x->list_s && x->depth == x->list_depth) {
        trim_c(x->list_s);
        x->list_s = NULL;
    }
    if (x->items_depth && x->depth == x->items_depth)
        x->items_depth = 0;
    if (!x->items_depth && x->in_fault_subcode) {
        const char *local;
        if (split(name, &local) == NS_SOAP && strcmp(local, "Subcode") == 0)
            x->in_fault_subcode = false;
    }
    if (x->depth == x->header_depth)
        x->header_depth = 0;
    if (x->depth == x->body_depth)
        x->body_depth = 0;
    x->depth--;
}

/* SOAP 1.2 (part 1, 5): a SOAP message must not contain a DTD. Refusing it
 * here is what keeps entity expansion (and its bombs) out. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal;
    wsm_xml *x = ud;
    x->env->dtd_refused = true;
    XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int value_len, const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid, const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    wsm_xml *x = ud;
    x->env->dtd_refused = true;
    XML_StopParser(x->p, XML_FALSE);
}

wsm_xml *wsm_xml_new(void)
{
    wsm_xml *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->p = XML_ParserCreateNS(NULL, ' ');
    if (!x->p) {
        free(x);
        return NULL;
    }
    return x;
}

void wsm_xml_free(wsm_xml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    free(x);
}

bool wsm_xml_parse(wsm_xml *x, const uint8_t *data, size_t len, wsm_env *env, uint8_t **buf, size_t *cap)
{
    XML_Parser p = x->p;
    XML_ParserReset(p, NULL); /* keeps its memory; clears handlers */
    memset(env, 0, sizeof *env);
    x->env = env;
    x->data = data;
    x->buf = buf;
    x->cap = cap;
    x->used = 0;
    x->depth = 0;
    x->body_depth = x->header_depth = x->items_depth = 0;
    x->cap_s = NULL;
    x->list_s = NULL;
    x->seg = NULL;
    x->in_fault_subcode = false;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity_decl);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    bool ok = true;
    if (len > (size_t)0x7fffffff || XML_Parse(p, (const char *)data, (int)len, XML_TRUE) != XML_STATUS_OK) {
        ok = false;
        XML_Index at = XML_GetCurrentByteIndex(p);
        env->error_off = at < 0 ? 0 : (uint64_t)at;
        if (env->dtd_refused)
            snprintf(env->error, sizeof env->error,
                     "document type declaration refused (SOAP forbids DTDs; entities are never expanded)");
        else
            snprintf(env->error, sizeof env->error, "XML: %s", XML_ErrorString(XML_GetErrorCode(p)));
        env->xml_error = true;
        /* keep what was open when the XML broke off */
        if (x->seg)
            end_seg(x);
        if (x->cap_s)
            end_capture(x);
        if (x->list_s)
            trim_c(x->list_s);
    }
    if (env->max_envelope_text.set) {
        char *end;
        unsigned long long v = strtoull(env->max_envelope_text.s, &end, 10);
        if (end != env->max_envelope_text.s) {
            env->max_envelope = v;
            env->has_max_envelope = true;
        }
    }
    return ok;
}
