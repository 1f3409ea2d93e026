/* diagtap dissectors | fields [PROTO] | --version */
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "capture/live.h"
#include "commands.h"
#include "common.h"

static const char *type_name(dt_ftype t)
{
    static const char *const names[] = {
        [DT_FT_NONE] = "label",    [DT_FT_BOOL] = "bool",     [DT_FT_UINT8] = "uint8",
        [DT_FT_UINT16] = "uint16", [DT_FT_UINT32] = "uint32", [DT_FT_UINT64] = "uint64",
        [DT_FT_INT32] = "int32",   [DT_FT_INT64] = "int64",   [DT_FT_DOUBLE] = "double",
        [DT_FT_STRING] = "string", [DT_FT_BYTES] = "bytes",   [DT_FT_GUID] = "guid",
        [DT_FT_IPV4] = "ipv4",     [DT_FT_IPV6] = "ipv6",     [DT_FT_ABSTIME] = "abstime",
        [DT_FT_RELTIME] = "reltime",
    };
    return (unsigned)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "?";
}

static dt_registry *load_registry(int argc, char **argv, int first, const char **name)
{
    dt_cli_opts o;
    dt_cli_opts_init(&o);
    *name = NULL;
    for (int i = first; i < argc; i++) {
        int r = dt_cli_common_arg(&o, argc, argv, &i);
        if (r < 0)
            return NULL;
        if (r == 0) {
            if (argv[i][0] == '-') {
                fprintf(stderr, "diagtap: unknown option '%s'\n", argv[i]);
                return NULL;
            }
            *name = argv[i];
        }
    }
    return dt_cli_registry(&o);
}

int dt_cmd_dissectors(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: diagtap dissectors [--plugin-dir DIR]\n\nLists every protocol diagtap decodes: name (for -d and "
               "--proto), display name, transports, ports and heuristics, description.\n");
        return 0;
    }
    const char *unused;
    dt_registry *reg = load_registry(argc, argv, 1, &unused);
    if (!reg)
        return 2;
    printf("%-12s %-12s %-22s %s\n", "NAME", "SHOWN AS", "FOUND BY", "DESCRIPTION");
    for (size_t i = 0; i < dt_registry_count(reg); i++) {
        const dt_dissector *d = dt_registry_at(reg, i);
        char how[128] = "";
        size_t n = 0;
        for (const uint16_t *p = d->tcp_ports; p && *p && n < sizeof how - 16; p++)
            n += (size_t)snprintf(how + n, sizeof how - n, "tcp/%u ", *p);
        for (const uint16_t *p = d->udp_ports; p && *p && n < sizeof how - 16; p++)
            n += (size_t)snprintf(how + n, sizeof how - n, "udp/%u ", *p);
        if (d->probe && n < sizeof how - 10)
            n += (size_t)snprintf(how + n, sizeof how - n, "heuristic ");
        if (d->inner_names && n < sizeof how - 10)
            snprintf(how + n, sizeof how - n, "pipe ");
        printf("%-12s %-12s %-22s %s\n", d->name, d->display_name ? d->display_name : d->name, how,
               d->description ? d->description : "");
    }
    dt_registry_free(reg);
    return 0;
}

static void print_fields(const dt_dissector *d)
{
    for (size_t f = 0; f < d->n_fields; f++)
        printf("%-40s %-8s %s\n", d->fields[f].abbrev, type_name(d->fields[f].type), d->fields[f].name);
}

int dt_cmd_fields(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: diagtap fields [PROTO] [--plugin-dir DIR]\n\nLists fields: abbreviation (the JSON key and filter "
               "name, the same in the Wireshark plugin), type, display name.\n");
        return 0;
    }
    const char *proto;
    dt_registry *reg = load_registry(argc, argv, 1, &proto);
    if (!reg)
        return 2;
    int found = 0;
    for (size_t i = 0; i < dt_registry_count(reg); i++) {
        const dt_dissector *d = dt_registry_at(reg, i);
        if (proto && strcasecmp(proto, d->name) != 0)
            continue;
        found = 1;
        print_fields(d);
        if (!proto)
            continue; /* listing everything: the nested ones come in their own turn */
        for (const char *const *n = d->nested; n && *n; n++) {
            const dt_dissector *inner = dt_registry_find(reg, *n);
            if (inner) {
                printf("# %s events also carry %s fields:\n", d->name, inner->name);
                print_fields(inner);
            }
        }
    }
    dt_registry_free(reg);
    if (proto && !found) {
        fprintf(stderr, "diagtap: no dissector named '%s' (see 'diagtap dissectors')\n", proto);
        return 2;
    }
    return 0;
}

int dt_cmd_version(void)
{
    printf("diagtap %s\n%s\nfeatures: %s\n", DIAGTAP_VERSION, dt_live_lib_version(), DIAGTAP_FEATURES);
    return 0;
}
