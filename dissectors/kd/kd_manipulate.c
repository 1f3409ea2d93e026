/* KD_STATE_MANIPULATE (DBGKD_MANIPULATE_STATE64): the debugger's requests
 * and the target's replies, by API number. */
#include <stdio.h>
#include <string.h>

#include "kd_priv.h"

#define MANIP_UNION 16u /* the union follows ApiNumber..ReturnStatus and 4 bytes of alignment */
#define MANIP_EXTRA 56u /* sizeof(DBGKD_MANIPULATE_STATE64): extra data follows */

enum {
    API_READ_VIRTUAL = 0x3130,
    API_WRITE_VIRTUAL = 0x3131,
    API_GET_CONTEXT = 0x3132,
    API_SET_CONTEXT = 0x3133,
    API_WRITE_BP = 0x3134,
    API_RESTORE_BP = 0x3135,
    API_CONTINUE = 0x3136,
    API_READ_CONTROL = 0x3137,
    API_WRITE_CONTROL = 0x3138,
    API_READ_IO = 0x3139,
    API_WRITE_IO = 0x313A,
    API_CONTINUE2 = 0x313C,
    API_READ_PHYSICAL = 0x313D,
    API_WRITE_PHYSICAL = 0x313E,
    API_READ_IO_EXT = 0x3144,
    API_WRITE_IO_EXT = 0x3145,
    API_GET_VERSION = 0x3146,
    API_WRITE_BP_EX = 0x3147,
    API_RESTORE_BP_EX = 0x3148,
    API_READ_MSR = 0x3152,
    API_WRITE_MSR = 0x3153,
    API_SEARCH_MEMORY = 0x3156,
    API_GET_BUS_DATA = 0x3157,
    API_SET_BUS_DATA = 0x3158,
    API_FILL_MEMORY = 0x315B,
    API_QUERY_MEMORY = 0x315C,
    API_GET_CONTEXT_EX = 0x315F,
    API_SET_CONTEXT_EX = 0x3160,
};

static const char *const major_kinds[] = {
    "NT", "Xbox", "Big", "ExDI", "NT boot debugger", "EFI", "TNT", "Singularity", "Hypervisor", "Midori", "CE",
};

static void memory(kd_pkt *p, dt_cursor *d, bool request, bool is_read)
{
    dt_ctx *ctx = p->ctx;
    uint64_t addr = kd_rd64(p, d, KDF_MEM_ADDRESS);
    uint32_t req = kd_rd32(p, d, KDF_MEM_REQUESTED);
    uint32_t act = kd_rd32(p, d, KDF_MEM_ACTUAL);
    if (request)
        dt_summary_append(ctx, " 0x%llx len %u", (unsigned long long)addr, req);
    else
        dt_summary_append(ctx, " 0x%llx: %u of %u bytes", (unsigned long long)addr, act, req);
    dt_cur_seek(d, MANIP_EXTRA);
    if (is_read != request)
        kd_add_rest(p, d, KDF_MEM_DATA, SIZE_MAX);
}

static void get_version(kd_pkt *p, dt_cursor *d, bool request)
{
    uint16_t major = kd_rd16(p, d, KDF_VER_MAJOR);
    uint16_t minor = kd_rd16(p, d, KDF_VER_MINOR);
    uint8_t proto = kd_rd8(p, d, KDF_VER_PROTOCOL);
    kd_rd8(p, d, KDF_VER_SECONDARY);
    kd_rd16(p, d, KDF_VER_FLAGS);
    uint16_t machine = kd_rd16(p, d, KDF_VER_MACHINE);
    kd_rd8(p, d, KDF_VER_MAX_PACKET_TYPE);
    kd_rd8(p, d, KDF_VER_MAX_STATE_CHANGE);
    kd_rd8(p, d, KDF_VER_MAX_MANIPULATE);
    kd_rd8(p, d, KDF_VER_SIMULATION);
    dt_cur_skip(d, 2);
    uint64_t kern = kd_rd64(p, d, KDF_VER_KERN_BASE);
    uint64_t list = kd_rd64(p, d, KDF_VER_PS_LOADED_MODULE_LIST);
    kd_rd64(p, d, KDF_VER_DEBUGGER_DATA_LIST);
    if (request || !dt_cur_ok(d))
        return;
    p->s->machine = machine;
    unsigned kind = major >> 8;
    const char *mname = dt_value_name_find(kd_machine_vals, machine, false);
    char mbuf[16];
    if (!mname) {
        snprintf(mbuf, sizeof mbuf, "machine 0x%x", machine);
        mname = mbuf;
    }
    dt_summary_append(p->ctx, ": %s build %u (%s) %s, protocol %u, KernBase 0x%llx, PsLoadedModuleList 0x%llx",
                      kind < sizeof major_kinds / sizeof major_kinds[0] ? major_kinds[kind] : "?", minor,
                      (major & 0xff) == 0xC ? "checked" : (major & 0xff) == 0xF ? "free" : "?", mname, proto,
                      (unsigned long long)kern, (unsigned long long)list);
}

static void continue2(kd_pkt *p, dt_cursor *d)
{
    uint32_t st = kd_rd32(p, d, KDF_CONT_STATUS);
    uint32_t trace = kd_rd32(p, d, KDF_CONT_TRACE_FLAG);
    if (p->s->machine == 0x014C || p->s->machine == 0x01C4) { /* 32-bit control set */
        kd_rd32as64(p, d, KDF_CONT_DR7);
        kd_rd32as64(p, d, KDF_CONT_SYMBOL_START);
        kd_rd32as64(p, d, KDF_CONT_SYMBOL_END);
    } else {
        kd_rd64(p, d, KDF_CONT_DR7);
        kd_rd64(p, d, KDF_CONT_SYMBOL_START);
        kd_rd64(p, d, KDF_CONT_SYMBOL_END);
    }
    char b[40];
    dt_summary_append(p->ctx, " %s%s", kd_status_str(st, b, sizeof b), trace ? ", single step" : "");
}

static void union_fields(kd_pkt *p, dt_cursor *d, uint32_t api, bool request)
{
    dt_ctx *ctx = p->ctx;
    char b[40];
    switch (api) {
    case API_READ_VIRTUAL:
    case API_READ_PHYSICAL:
    case API_READ_CONTROL:
        memory(p, d, request, true);
        break;
    case API_WRITE_VIRTUAL:
    case API_WRITE_PHYSICAL:
    case API_WRITE_CONTROL:
        memory(p, d, request, false);
        break;
    case API_GET_CONTEXT:
        if (!request) {
            dt_cur_seek(d, MANIP_EXTRA);
            size_t n = kd_add_rest(p, d, KDF_CTX_DATA, SIZE_MAX);
            dt_summary_append(ctx, ": %zu bytes", n);
        }
        break;
    case API_SET_CONTEXT: {
        uint32_t flags = kd_rd32(p, d, KDF_CTX_FLAGS);
        dt_cur_seek(d, MANIP_EXTRA);
        if (request) {
            size_t n = kd_add_rest(p, d, KDF_CTX_DATA, SIZE_MAX);
            dt_summary_append(ctx, " flags 0x%x, %zu bytes", flags, n);
        }
        break;
    }
    case API_GET_CONTEXT_EX:
    case API_SET_CONTEXT_EX: {
        uint32_t off = kd_rd32(p, d, KDF_CTX_OFFSET);
        uint32_t cnt = kd_rd32(p, d, KDF_CTX_BYTE_COUNT);
        uint32_t copied = kd_rd32(p, d, KDF_CTX_BYTES_COPIED);
        dt_cur_seek(d, MANIP_EXTRA);
        if ((api == API_GET_CONTEXT_EX) != request)
            kd_add_rest(p, d, KDF_CTX_DATA, SIZE_MAX);
        if (request)
            dt_summary_append(ctx, " offset %u len %u", off, cnt);
        else
            dt_summary_append(ctx, ": %u bytes", copied);
        break;
    }
    case API_WRITE_BP: {
        uint64_t a = kd_rd64(p, d, KDF_BP_ADDRESS);
        uint32_t h = kd_rd32(p, d, KDF_BP_HANDLE);
        if (request)
            dt_summary_append(ctx, " 0x%llx", (unsigned long long)a);
        else
            dt_summary_append(ctx, " 0x%llx: handle %u", (unsigned long long)a, h);
        break;
    }
    case API_RESTORE_BP:
        dt_summary_append(ctx, " handle %u", kd_rd32(p, d, KDF_BP_HANDLE));
        break;
    case API_CONTINUE:
        dt_summary_append(ctx, " %s", kd_status_str(kd_rd32(p, d, KDF_CONT_STATUS), b, sizeof b));
        break;
    case API_CONTINUE2:
        continue2(p, d);
        break;
    case API_READ_IO:
    case API_WRITE_IO: {
        uint64_t a = kd_rd64(p, d, KDF_IO_ADDRESS);
        uint32_t sz = kd_rd32(p, d, KDF_IO_SIZE);
        uint32_t v = kd_rd32(p, d, KDF_IO_VALUE);
        dt_summary_append(ctx, " port 0x%llx size %u value 0x%x", (unsigned long long)a, sz, v);
        break;
    }
    case API_READ_IO_EXT:
    case API_WRITE_IO_EXT: {
        uint32_t sz = kd_rd32(p, d, KDF_IO_SIZE);
        kd_rd32(p, d, KDF_IO_INTERFACE);
        kd_rd32(p, d, KDF_IO_BUS);
        kd_rd32(p, d, KDF_IO_ADDRESS_SPACE);
        uint64_t a = kd_rd64(p, d, KDF_IO_ADDRESS);
        uint32_t v = kd_rd32(p, d, KDF_IO_VALUE);
        dt_summary_append(ctx, " 0x%llx size %u value 0x%x", (unsigned long long)a, sz, v);
        break;
    }
    case API_GET_VERSION:
        get_version(p, d, request);
        break;
    case API_WRITE_BP_EX:
    case API_RESTORE_BP_EX: {
        uint32_t n = kd_rd32(p, d, KDF_BP_COUNT);
        kd_rd32(p, d, KDF_CONT_STATUS);
        dt_summary_append(ctx, " %u breakpoints", n);
        dt_cur_seek(d, MANIP_EXTRA);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
    case API_READ_MSR:
    case API_WRITE_MSR: {
        uint32_t msr = kd_rd32(p, d, KDF_MSR);
        size_t off = dt_cur_offset(d);
        uint32_t lo = dt_cur_u32le(d), hi = dt_cur_u32le(d);
        if (dt_cur_ok(d)) {
            uint64_t v = ((uint64_t)hi << 32) | lo;
            dt_add_uint(ctx, p->tree, KDF(MSR_VALUE), off, 8, v);
            dt_summary_append(ctx, " 0x%x = 0x%llx", msr, (unsigned long long)v);
        }
        break;
    }
    case API_SEARCH_MEMORY: {
        uint64_t a = kd_rd64(p, d, KDF_SEARCH_ADDRESS);
        uint64_t len = kd_rd64(p, d, KDF_SEARCH_LENGTH);
        uint32_t pl = kd_rd32(p, d, KDF_SEARCH_PATTERN_LENGTH);
        if (request) {
            dt_cur_seek(d, MANIP_EXTRA);
            kd_add_rest(p, d, KDF_SEARCH_PATTERN, pl);
            dt_summary_append(ctx, " 0x%llx len 0x%llx pattern %u bytes", (unsigned long long)a,
                              (unsigned long long)len, pl);
        } else {
            dt_summary_append(ctx, ": found at 0x%llx", (unsigned long long)a);
        }
        break;
    }
    case API_QUERY_MEMORY: {
        uint64_t a = kd_rd64(p, d, KDF_QUERY_ADDRESS);
        dt_cur_skip(d, 8);
        uint32_t space = kd_rd32(p, d, KDF_QUERY_ADDRESS_SPACE);
        uint32_t flags = kd_rd32(p, d, KDF_QUERY_FLAGS);
        if (request)
            dt_summary_append(ctx, " 0x%llx", (unsigned long long)a);
        else {
            const char *sn = dt_value_name_find(kd_query_space_vals, space, false);
            dt_summary_append(ctx, " 0x%llx: %s, %s%s%s", (unsigned long long)a, sn ? sn : "?",
                              flags & 1 ? "r" : "-", flags & 2 ? "w" : "-", flags & 4 ? "x" : "-");
        }
        break;
    }
    case API_FILL_MEMORY: {
        uint64_t a = kd_rd64(p, d, KDF_MEM_ADDRESS);
        uint32_t len = kd_rd32(p, d, KDF_FILL_LENGTH);
        kd_rd16(p, d, KDF_FILL_FLAGS);
        kd_rd16(p, d, KDF_FILL_PATTERN_LENGTH);
        dt_summary_append(ctx, " 0x%llx len %u", (unsigned long long)a, len);
        dt_cur_seek(d, MANIP_EXTRA);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
    case API_GET_BUS_DATA:
    case API_SET_BUS_DATA: {
        kd_rd32(p, d, KDF_BUS_DATA_TYPE);
        uint32_t bus = kd_rd32(p, d, KDF_BUS_NUMBER);
        uint32_t slot = kd_rd32(p, d, KDF_BUS_SLOT);
        uint32_t off = kd_rd32(p, d, KDF_BUS_OFFSET);
        uint32_t len = kd_rd32(p, d, KDF_BUS_LENGTH);
        dt_summary_append(ctx, " bus %u slot %u offset 0x%x len %u", bus, slot, off, len);
        dt_cur_seek(d, MANIP_EXTRA);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
    default:
        dt_cur_seek(d, MANIP_EXTRA);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
}

void kd_dissect_manipulate(kd_pkt *p, dt_cursor *d)
{
    dt_ctx *ctx = p->ctx;
    uint32_t api = kd_rd32(p, d, KDF_API);
    kd_rd16(p, d, KDF_PROCESSOR_LEVEL);
    uint16_t cpu = kd_rd16(p, d, KDF_PROCESSOR);
    uint32_t status = kd_rd32(p, d, KDF_RETURN_STATUS);
    bool request = p->side == KD_SIDE_HOST || (p->side == KD_SIDE_UNKNOWN && status == 0x103);
    const char *name = kd_api_name(api);

    if (name)
        dt_summary(ctx, "%s %s", name, request ? "request" : "reply");
    else
        dt_summary(ctx, "Manipulate API 0x%x %s", api, request ? "request" : "reply");
    dt_stats_key(ctx, name ? name : "STATE_MANIPULATE");
    if (cpu && cpu != 0xffff)
        dt_summary_append(ctx, " (cpu %u)", cpu);

    dt_cur_seek(d, MANIP_UNION);
    union_fields(p, d, api, request);

    if (!request) {
        char b[40];
        dt_summary_append(ctx, ", %s", kd_status_str(status, b, sizeof b));
        const char *sn = kd_ntstatus_name(status);
        dt_status(ctx, sn ? sn : dt_strdup(ctx, b, strlen(b)), kd_is_error_status(status));
    }
    /* Continue and reboot get no reply: the target runs (a state change follows). */
    bool no_reply = api == API_CONTINUE || api == API_CONTINUE2 || api == 0x313B || api == 0x3149;
    if (!p->retransmit && !no_reply) {
        if (request)
            dt_pair_request(ctx, KD_PAIR_KEY(KD_STATE_MANIPULATE, api), 0);
        else
            dt_pair_response(ctx, KD_PAIR_KEY(KD_STATE_MANIPULATE, api), true);
    }
}
