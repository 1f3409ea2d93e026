/* The .NET diagnostics dissectors: "dotnet_ipc" (the diagnostic port
 * protocol) and "nettrace" (EventPipe streams and .nettrace files). */
#include "core/registry.h"
#include "ipc.h"
#include "nettrace.h"

extern const dt_dissector dt_dotnet_ipc_dissector;

/* A nettrace stream in either direction (a file replays as one direction). */
typedef struct nettrace_conv {
    nt_stream dir[2];
} nettrace_conv;

static long nettrace_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    nettrace_conv *st = conv;
    return nt_frame(&st->dir[dir], data, avail);
}

static int nettrace_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return nt_is_magic(data, len) ? 100 : 0;
}

static void nettrace_dissect(dt_ctx *ctx)
{
    nettrace_conv *st = ctx->conv;
    nt_dissect(ctx, &st->dir[ctx->dir], false);
}

static void nettrace_conv_end(dt_ctx *ctx)
{
    nettrace_conv *st = ctx->conv;
    for (int d = 0; d < 2; d++) {
        if (!st->dir[d].started || st->dir[d].phase == NT_PHASE_DONE)
            continue;
        ctx->ev->dir = (dt_dir)d;
        nt_end(ctx, &st->dir[d], false);
        break;
    }
}

static void nettrace_conv_free(void *conv)
{
    nettrace_conv *st = conv;
    nt_stream_free(&st->dir[0]);
    nt_stream_free(&st->dir[1]);
}

static const char *const nettrace_inner_names[] = { "nettrace", NULL };

static const dt_dissector nettrace_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "nettrace",
    .display_name = "EventPipe",
    .description = "EventPipe nettrace stream or file (.NET runtime events, EventSource, EventCounters)",
    .fields = nt_fields,
    .n_fields = NTF__COUNT,
    .transports = DT_TRANSPORT_STREAM | DT_TRANSPORT_TCP | DT_TRANSPORT_INNER,
    .inner_names = nettrace_inner_names,
    .probe = nettrace_probe,
    .frame = nettrace_frame,
    .dissect = nettrace_dissect,
    .conv_size = sizeof(nettrace_conv),
    .conv_free = nettrace_conv_free,
    .conv_end = nettrace_conv_end,
};

int dt_builtin_dotnet(dt_registry *reg);

int dt_builtin_dotnet(dt_registry *reg)
{
    int rc = dt_register(reg, &dt_dotnet_ipc_dissector);
    rc |= dt_register(reg, &nettrace_dissector);
    return rc;
}
