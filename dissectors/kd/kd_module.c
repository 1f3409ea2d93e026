/* Registers the kernel-debugging dissectors: kdnet (UDP), kd_serial (byte
 * streams) and kd (a bare KD packet per PDU, and the home of the kd.* fields). */
#include <string.h>

#include "kd_serial.h"
#include "kdnet_key.h"
#include "kdnet.h"

static const uint16_t kdnet_udp_ports[] = { KDNET_UDP_PORT, 0 };

static int kdnet_check_option(const char *name, const char *value, char *err, size_t errsz)
{
    kdnet_key keys[32];
    if (strcmp(name, "kdnet.key") != 0)
        return 0;
    return kdnet_key_parse_list(value, keys, 32, err, errsz) < 0 ? -1 : 0;
}

static const dt_option_def kdnet_options[] = {
    { "kdnet.key", "--kdnet-key", "KEY",
      "KDNET key as given to bcdedit (w.x.y.z); repeat for several, PORT=KEY binds a key to one UDP port",
      DT_OPT_SECRET | DT_OPT_MULTI },
    { NULL, NULL, NULL, NULL, 0 },
};

static const dt_dissector kdnet_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "kdnet",
    .nested = (const char *const[]){ "kd", NULL },
    .display_name = "KDNET",
    .description = "Windows kernel debugging over the network (encrypted UDP)",
    .fields = kdnet_fields,
    .n_fields = KNF_COUNT,
    .transports = DT_TRANSPORT_UDP,
    .udp_ports = kdnet_udp_ports,
    .probe = kdnet_probe,
    .dissect = kdnet_dissect,
    .conv_size = sizeof(kdnet_conv),
    .conv_free = kdnet_conv_free,
    .conv_end = kdnet_conv_end,
    .check_option = kdnet_check_option,
    .options = kdnet_options,
};

static const dt_dissector kd_serial_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "kd_serial",
    .nested = (const char *const[]){ "kd", NULL },
    .display_name = "KD",
    .description = "Windows kernel debugging over a serial line (KDCOM framing)",
    .fields = kds_fields,
    .n_fields = KSF_COUNT,
    .transports = DT_TRANSPORT_STREAM | DT_TRANSPORT_TCP,
    .probe = kds_probe,
    .frame = kds_frame,
    .dissect = kds_dissect,
    .conv_size = sizeof(kds_conv),
    .conv_end = kds_conv_end,
};

static const dt_dissector kd_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "kd",
    .display_name = "KD",
    .description = "Windows kernel debugger packets (one per datagram; decode-as)",
    .fields = kd_fields,
    .n_fields = KDF_COUNT,
    .transports = DT_TRANSPORT_UDP,
    .dissect = kd_raw_dissect,
    .conv_size = sizeof(kd_session),
};

int dt_builtin_kd(dt_registry *reg)
{
    int rc = 0;
    rc |= dt_register(reg, &kdnet_dissector);
    rc |= dt_register(reg, &kd_serial_dissector);
    rc |= dt_register(reg, &kd_dissector);
    return rc;
}
