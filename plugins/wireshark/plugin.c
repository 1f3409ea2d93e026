/* diagtap.so: the Wireshark epan plugin entry points.
 *
 * Registers one Wireshark protocol per diagtap dissector (except those
 * Wireshark decodes itself), plus an umbrella "diagtap" protocol holding
 * the generic fields and preferences.
 */
#include "dtws.h"

#include <epan/prefs.h>
#include <epan/proto.h>
#include <ws_version.h>

#include "core/registry.h"

#ifndef DIAGTAP_VERSION
#define DIAGTAP_VERSION "0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = DIAGTAP_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

dtws_common dtws_g;
dt_registry *dtws_registry;

static dtws_proto *protos;
static size_t n_protos;

/* Wireshark's own dissectors stay in charge of these protocols (auth: its
 * ntlmssp, spnego, kerberos and credssp dissectors). */
static const char *const left_to_wireshark[] = { "smb2", "dcerpc", "http", "auth", "tls", "conv", NULL };

static bool left_alone(const char *name)
{
    for (const char *const *n = left_to_wireshark; *n; n++)
        if (!strcmp(*n, name))
            return true;
    return false;
}

/* The protocol filter name: diagtap's dissector name unless Wireshark
 * already uses it (X.519 has "dap"); then "<name>_dt". Field abbrevs stay
 * diagtap's either way ("dap.command"). */
static const char *filter_name_for(const dt_dissector *d)
{
    if (proto_get_id_by_filter_name(d->name) == -1)
        return d->name;
    return g_strdup_printf("%s_dt", d->name);
}

static const char *unique_short_name(const dt_dissector *d)
{
    if (proto_get_id_by_short_name(d->display_name) == -1)
        return d->display_name;
    return g_strdup_printf("%s (diagtap)", d->display_name);
}

static const char *unique_long_name(const dt_dissector *d)
{
    const char *desc = d->description && *d->description ? d->description : d->display_name;
    if (proto_get_id_by_short_name(desc) == -1 && proto_name_already_registered(desc) == FALSE)
        return desc;
    return g_strdup_printf("%s (diagtap)", desc);
}

static void register_common(void)
{
    static hf_register_info hf[] = {
        { &dtws_g.hf_text, { "Field", "diagtap.field", FT_STRING, BASE_NONE, NULL, 0,
                             "A field outside the protocol's field table", HFILL } },
        { &dtws_g.hf_malformed, { "Malformed", "diagtap.malformed", FT_STRING, BASE_NONE, NULL, 0,
                                  "Why the bytes could not be decoded", HFILL } },
        { &dtws_g.hf_summary, { "Summary", "diagtap.summary", FT_STRING, BASE_NONE, NULL, 0,
                                "The message in one line, as diagtap's timeline shows it", HFILL } },
        { &dtws_g.hf_dir, { "Direction", "diagtap.dir", FT_STRING, BASE_NONE, NULL, 0,
                            "c2s: from the side that opened the conversation (client, IDE, tool); s2c: back", HFILL } },
        { &dtws_g.hf_response_in, { "Response in", "diagtap.response_in", FT_FRAMENUM, BASE_NONE,
                                    FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0, "The frame of this request's reply", HFILL } },
        { &dtws_g.hf_response_to, { "Request in", "diagtap.response_to", FT_FRAMENUM, BASE_NONE,
                                    FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0, "The frame of the request this replies to", HFILL } },
        { &dtws_g.hf_latency, { "Time since request", "diagtap.latency", FT_RELATIVE_TIME, BASE_NONE, NULL, 0,
                                "Time between the request and this reply", HFILL } },
        { &dtws_g.hf_status, { "Status", "diagtap.status", FT_STRING, BASE_NONE, NULL, 0,
                               "The outcome diagtap counts this message under", HFILL } },
    };
    static ei_register_info ei[] = {
        { &dtws_g.ei_malformed, { "diagtap.expert.malformed", PI_MALFORMED, PI_ERROR, "Malformed message", EXPFILL } },
        { &dtws_g.ei_error_status, { "diagtap.expert.error", PI_RESPONSE_CODE, PI_NOTE, "Error status", EXPFILL } },
        { &dtws_g.ei_not_first_pass, { "diagtap.expert.not_decoded", PI_SEQUENCE, PI_WARN,
                                       "Not seen in order on the first pass: not decoded", EXPFILL } },
    };
    dtws_g.hf_text = dtws_g.hf_malformed = dtws_g.hf_summary = dtws_g.hf_dir = dtws_g.hf_response_in = dtws_g.hf_response_to = dtws_g.hf_latency = dtws_g.hf_status = -1;
    dtws_g.proto = proto_register_protocol("diagtap common fields", "diagtap", "diagtap");
    proto_register_field_array(dtws_g.proto, hf, (int)G_N_ELEMENTS(hf));
    expert_module_t *em = expert_register_protocol(dtws_g.proto);
    expert_register_field_array(em, ei, (int)G_N_ELEMENTS(ei));

    module_t *m = prefs_register_protocol(dtws_g.proto, NULL);
    prefs_register_bool_preference(m, "show_credentials", "Show credentials",
                                   "Show secrets seen on the wire (passwords, tokens) instead of <redacted>",
                                   &dtws_g.show_credentials);
}

static void register_proto(dtws_proto *p)
{
    const dt_dissector *d = p->d;
    p->filter_name = filter_name_for(d);
    p->proto = proto_register_protocol(unique_long_name(d), unique_short_name(d), p->filter_name);
    dtws_register_fields(p);
    dtws_register_handles(p);
    /* Each option the dissector declares is a string preference named after
     * its last part: kdnet.key is the "kdnet.key" preference. */
    module_t *m = NULL;
    size_t k = 0;
    for (const dt_option_def *od = d->options; od && od->name && k < DTWS_MAX_OPTIONS; od++, k++) {
        if (!m)
            m = prefs_register_protocol(p->proto, NULL);
        const char *dot = strrchr(od->name, '.');
        p->opt_value[k] = "";
        const char *title = od->metavar ? od->metavar : od->name;
        const char *help = (od->flags & DT_OPT_MULTI)
                               ? g_strdup_printf("%s (several separated by ';')", od->help)
                               : od->help;
        /* a string even for secrets: Wireshark 4.0 does not take `-o` for its
         * password preferences, and tshark users set keys that way */
        prefs_register_string_preference(m, dot ? dot + 1 : od->name, title, help, &p->opt_value[k]);
    }
}

size_t dtws_collect_options(const char **pairs, size_t max_pairs)
{
    size_t n = 0;
    for (size_t i = 0; i < n_protos; i++) {
        size_t k = 0;
        for (const dt_option_def *od = protos[i].d->options; od && od->name && k < DTWS_MAX_OPTIONS; od++, k++)
            if (protos[i].opt_value[k] && *protos[i].opt_value[k] && n + 1 < max_pairs) {
                pairs[2 * n] = od->name;
                pairs[2 * n + 1] = protos[i].opt_value[k];
                n++;
            }
    }
    pairs[2 * n] = NULL;
    return n;
}

static void register_protoinfo(void)
{
    dt_registry *reg = dt_registry_new();
    if (!reg)
        return;
    dt_registry_add_builtins(reg);
    dtws_registry = reg;
    register_common();

    size_t n = dt_registry_count(reg);
    protos = g_new0(dtws_proto, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const dt_dissector *d = dt_registry_at(reg, i);
        if (left_alone(d->name))
            continue;
        protos[n_protos].d = d;
        register_proto(&protos[n_protos]);
        n_protos++;
    }
    register_cleanup_routine(dtws_cleanup);
}

const dtws_proto *dtws_proto_by_name(const char *name)
{
    for (size_t i = 0; name && i < n_protos; i++)
        if (!strcmp(protos[i].d->name, name))
            return &protos[i];
    return NULL;
}

static void register_handoff(void)
{
    for (size_t i = 0; i < n_protos; i++)
        dtws_handoff(&protos[i]);
}

void plugin_register(void)
{
    static proto_plugin plug = { register_protoinfo, register_handoff };
    proto_register_plugin(&plug);
}
