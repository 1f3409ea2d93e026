/* KD packets the target starts: state changes (exceptions, module loads,
 * command strings), DbgPrint and prompts, trace output, hardware-breakpoint
 * control requests and .kdfiles file I/O. */
#include <stdio.h>
#include <string.h>

#include "kd_priv.h"

#define STATE_CHANGE64_SIZE 240u /* sizeof(DBGKD_ANY_WAIT_STATE_CHANGE): strings follow it */

static void exception(kd_pkt *p, dt_cursor *d, bool wide, size_t u)
{
    dt_ctx *ctx = p->ctx;
    uint32_t code = kd_rd32(p, d, KDF_EXC_CODE);
    kd_rd32(p, d, KDF_EXC_FLAGS);
    uint64_t addr;
    if (wide) {
        kd_rd64(p, d, KDF_EXC_RECORD);
        addr = kd_rd64(p, d, KDF_EXC_ADDRESS);
    } else {
        kd_rd32as64(p, d, KDF_EXC_RECORD);
        addr = kd_rd32as64(p, d, KDF_EXC_ADDRESS);
    }
    uint32_t np = kd_rd32(p, d, KDF_EXC_NUM_PARAMS);
    if (wide)
        dt_cur_skip(d, 4);
    for (uint32_t i = 0; i < np && i < 15 && dt_cur_ok(d); i++) {
        if (wide)
            kd_rd64(p, d, KDF_EXC_PARAM);
        else
            kd_rd32as64(p, d, KDF_EXC_PARAM);
    }
    dt_cur_seek(d, u + (wide ? 152 : 80));
    size_t off = dt_cur_offset(d);
    uint32_t first = dt_cur_u32le(d);
    if (dt_cur_ok(d))
        dt_add_uint(ctx, p->tree, KDF(EXC_FIRST_CHANCE), off, 4, first != 0);
    char b[40];
    const char *name = kd_ntstatus_name(code);
    dt_summary(ctx, "Exception %s at 0x%llx", kd_status_str(code, b, sizeof b), (unsigned long long)addr);
    if (dt_cur_ok(d))
        dt_summary_append(ctx, ", %s chance", first ? "first" : "second");
    dt_status(ctx, name ? name : dt_strdup(ctx, b, strlen(b)), kd_is_error_status(code));
}

static void load_symbols(kd_pkt *p, dt_cursor *d, bool wide)
{
    dt_ctx *ctx = p->ctx;
    uint32_t pl = kd_rd32(p, d, KDF_LOAD_PATH_LENGTH);
    uint64_t base;
    if (wide) {
        dt_cur_skip(d, 4);
        base = kd_rd64(p, d, KDF_LOAD_BASE);
        kd_rd64(p, d, KDF_LOAD_PROCESS_ID);
    } else {
        base = kd_rd32as64(p, d, KDF_LOAD_BASE);
        kd_rd32as64(p, d, KDF_LOAD_PROCESS_ID);
    }
    kd_rd32(p, d, KDF_LOAD_CHECKSUM);
    uint32_t size = kd_rd32(p, d, KDF_LOAD_SIZE);
    size_t off = dt_cur_offset(d);
    uint8_t unload = dt_cur_u8(d);
    if (dt_cur_ok(d))
        dt_add_uint(ctx, p->tree, KDF(LOAD_UNLOAD), off, 1, unload != 0);
    bool ok = dt_cur_ok(d);
    const char *path = "";
    /* The path closes the packet; the structure before it differs by version. */
    if (ok && pl > 0 && pl <= d->len && d->len - pl >= dt_cur_offset(d) - d->base) {
        dt_cur_seek(d, d->len - pl);
        path = kd_add_text(p, d, KDF_LOAD_PATH, pl);
    } else if (ok && pl > 0) {
        dt_malformed(ctx, dt_cur_offset(d), "image path length %u exceeds the packet", pl);
    }
    if (unload && base == UINT64_MAX && !*path)
        dt_summary(ctx, "Unload all symbols");
    else
        dt_summary(ctx, "%s %s base 0x%llx size 0x%x", unload ? "Unload symbols" : "Load symbols",
                   *path ? path : "(no path)", (unsigned long long)base, size);
}

static void command_string(kd_pkt *p, dt_cursor *d, bool wide)
{
    uint32_t flags = kd_rd32(p, d, KDF_CMD_FLAGS);
    (void)flags;
    dt_summary(p->ctx, "Command string");
    if (!wide || d->len <= STATE_CHANGE64_SIZE)
        return;
    dt_cur_seek(d, STATE_CHANGE64_SIZE);
    for (int i = 0; i < 2 && dt_cur_left(d) > 0; i++) {
        size_t n = dt_cur_left(d);
        const uint8_t *start = dt_cur_peek(d, 0, n);
        const uint8_t *nul = start ? memchr(start, 0, n) : NULL;
        size_t len = nul ? (size_t)(nul - start) + 1 : n;
        const char *s = kd_add_text(p, d, KDF_CMD_STRING, len);
        dt_summary_append(p->ctx, "%s", i ? " " : ": ");
        kd_summary_text(p->ctx, s, 160);
    }
}

void kd_dissect_state_change(kd_pkt *p, dt_cursor *d, bool wide)
{
    dt_ctx *ctx = p->ctx;
    uint32_t state = kd_rd32(p, d, KDF_NEW_STATE);
    kd_rd16(p, d, KDF_PROCESSOR_LEVEL);
    uint16_t cpu = kd_rd16(p, d, KDF_PROCESSOR);
    kd_rd32(p, d, KDF_NUM_PROCESSORS);
    size_t u;
    if (wide) {
        dt_cur_skip(d, 4);
        kd_rd64(p, d, KDF_THREAD);
        kd_rd64(p, d, KDF_PC);
        u = 32;
    } else {
        kd_rd32as64(p, d, KDF_THREAD);
        kd_rd32as64(p, d, KDF_PC);
        u = 20;
    }
    const char *sname = dt_value_name_find(kd_new_state_vals, state, false);
    dt_stats_key(ctx, sname ? sname : kd_type_name(p->type));
    dt_cur_seek(d, u);
    switch (state) {
    case 0x3030:
        exception(p, d, wide, u);
        break;
    case 0x3031:
        load_symbols(p, d, wide);
        break;
    case 0x3032:
        command_string(p, d, wide);
        break;
    default:
        dt_summary(ctx, "State change 0x%x", state);
        break;
    }
    if (cpu && cpu != 0xffff)
        dt_summary_append(ctx, " (cpu %u)", cpu);
}

void kd_dissect_debug_io(kd_pkt *p, dt_cursor *d)
{
    dt_ctx *ctx = p->ctx;
    uint32_t api = kd_rd32(p, d, KDF_API);
    kd_rd16(p, d, KDF_PROCESSOR_LEVEL);
    kd_rd16(p, d, KDF_PROCESSOR);
    const char *name = kd_api_name(api);
    dt_stats_key(ctx, name ? name : "DEBUG_IO");
    if (api == 0x3230) {
        uint32_t n = kd_rd32(p, d, KDF_PRINT_LENGTH);
        dt_cur_seek(d, 16);
        const char *text = kd_add_text(p, d, KDF_PRINT_TEXT, n);
        dt_summary(ctx, "DbgPrint: ");
        kd_summary_text(ctx, text, 200);
    } else if (api == 0x3231) {
        uint32_t n = kd_rd32(p, d, KDF_PROMPT_LENGTH);
        uint32_t r = kd_rd32(p, d, KDF_PROMPT_READ_LENGTH);
        dt_cur_seek(d, 16);
        bool reply = p->side == KD_SIDE_HOST;
        const char *text = kd_add_text(p, d, reply ? KDF_PROMPT_REPLY : KDF_PROMPT_TEXT, reply ? r : n);
        dt_summary(ctx, reply ? "Prompt reply: " : "Prompt: ");
        kd_summary_text(ctx, text, 200);
        if (!p->retransmit) {
            if (reply)
                dt_pair_response(ctx, KD_PAIR_KEY(KD_DEBUG_IO, api), true);
            else
                dt_pair_request(ctx, KD_PAIR_KEY(KD_DEBUG_IO, api), 0);
        }
    } else {
        dt_summary(ctx, "DEBUG_IO API 0x%x", api);
        dt_cur_seek(d, 16);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
    }
}

void kd_dissect_trace_io(kd_pkt *p, dt_cursor *d)
{
    uint32_t api = kd_rd32(p, d, KDF_API);
    kd_rd16(p, d, KDF_PROCESSOR_LEVEL);
    kd_rd16(p, d, KDF_PROCESSOR);
    uint32_t n = kd_rd32(p, d, KDF_TRACE_LENGTH);
    dt_stats_key(p->ctx, kd_api_name(api) ? kd_api_name(api) : "TRACE_IO");
    dt_cur_seek(d, 64);
    size_t got = kd_add_rest(p, d, KDF_TRACE_DATA, n);
    dt_summary(p->ctx, "Trace output: %zu bytes", got);
}

void kd_dissect_control_request(kd_pkt *p, dt_cursor *d)
{
    uint32_t api = kd_rd32(p, d, KDF_API);
    const char *name = kd_api_name(api);
    dt_stats_key(p->ctx, name ? name : "CONTROL_REQUEST");
    dt_cur_seek(d, 8);
    uint32_t num = kd_rd32(p, d, KDF_HWBP_NUMBER);
    if (api == 0x4300) {
        kd_rd32(p, d, KDF_HWBP_AVAILABLE);
        uint64_t a = kd_rd64(p, d, KDF_HWBP_ADDRESS);
        kd_rd64(p, d, KDF_HWBP_FLAGS);
        dt_summary(p->ctx, "RequestHardwareBreakpoint #%u 0x%llx", num, (unsigned long long)a);
    } else if (api == 0x4301) {
        kd_rd32(p, d, KDF_HWBP_RELEASED);
        dt_summary(p->ctx, "ReleaseHardwareBreakpoint #%u", num);
    } else {
        dt_summary(p->ctx, "CONTROL_REQUEST API 0x%x", api);
    }
}

#define FILE_NAME_KEEP 160

static kd_open_file *open_file(kd_session *s, uint64_t handle)
{
    for (unsigned i = 0; i < KD_OPEN_FILES; i++)
        if (s->files[i].name[0] && s->files[i].handle == handle)
            return &s->files[i];
    return NULL;
}

static void remember_file(kd_session *s, uint64_t handle, const char *name)
{
    kd_open_file *f = open_file(s, handle);
    if (!f)
        f = &s->files[s->next_file++ % KD_OPEN_FILES];
    f->handle = handle;
    snprintf(f->name, sizeof f->name, "%s", name);
}

/* Names the file a read, write or close refers to. */
static void name_handle(kd_pkt *p, uint64_t h, bool forget)
{
    kd_open_file *f = open_file(p->s, h);
    if (!f)
        return;
    dt_add_string(p->ctx, p->tree, KDF(FILE_NAME), 0, 0, f->name, strlen(f->name));
    dt_summary_append(p->ctx, " %s", f->name);
    if (forget)
        f->name[0] = '\0';
}

void kd_dissect_file_io(kd_pkt *p, dt_cursor *d)
{
    dt_ctx *ctx = p->ctx;
    uint32_t api = kd_rd32(p, d, KDF_API);
    uint32_t status = kd_rd32(p, d, KDF_FILE_STATUS);
    const char *name = kd_api_name(api);
    bool request = p->side != KD_SIDE_HOST; /* the target asks, the host answers */
    char b[40];
    dt_stats_key(ctx, name ? name : "FILE_IO");
    dt_summary(ctx, "%s", name ? name : "FILE_IO");
    if (!name)
        dt_summary_append(ctx, " API 0x%x", api);

    char *keep = NULL;
    if (!p->retransmit) {
        uint64_t key = KD_PAIR_KEY(KD_FILE_IO, api);
        keep = request ? dt_pair_request(ctx, key, FILE_NAME_KEEP) : dt_pair_response(ctx, key, true);
    }

    switch (api) {
    case 0x3430: { /* CreateFile */
        kd_rd32(p, d, KDF_FILE_ACCESS);
        kd_rd32(p, d, KDF_FILE_ATTRIBUTES);
        kd_rd32(p, d, KDF_FILE_SHARE);
        kd_rd32(p, d, KDF_FILE_DISPOSITION);
        kd_rd32(p, d, KDF_FILE_OPTIONS);
        dt_cur_skip(d, 4);
        uint64_t h = kd_rd64(p, d, KDF_FILE_HANDLE);
        uint64_t len = kd_rd64(p, d, KDF_FILE_LENGTH);
        dt_cur_seek(d, 64);
        if (dt_cur_left(d) >= 2) {
            size_t n = dt_cur_left(d) & ~(size_t)1, units = 0;
            const uint8_t *w = dt_cur_peek(d, 0, n);
            while (w && units * 2 < n && (w[units * 2] | w[units * 2 + 1]))
                units++;
            size_t off = dt_cur_offset(d);
            char *s = dt_alloc(ctx, units * 3 + 1);
            if (s) {
                size_t sl = dt_cur_utf16le(d, units * 2, s, units * 3 + 1);
                dt_add_string(ctx, p->tree, KDF(FILE_NAME), off, units * 2, s, sl);
                dt_summary_append(ctx, " %s", s);
                if (request && keep)
                    snprintf(keep, FILE_NAME_KEEP, "%s", s);
            }
        } else if (!request && keep && keep[0]) {
            dt_add_string(ctx, p->tree, KDF(FILE_NAME), 0, 0, keep, strlen(keep));
            dt_summary_append(ctx, " %s", keep);
        }
        if (!request && !kd_is_error_status(status)) {
            dt_summary_append(ctx, ": handle 0x%llx, %llu bytes", (unsigned long long)h, (unsigned long long)len);
            if (keep && keep[0])
                remember_file(p->s, h, keep);
        }
        break;
    }
    case 0x3431: /* ReadFile */
    case 0x3432: { /* WriteFile */
        uint64_t h = kd_rd64(p, d, KDF_FILE_HANDLE);
        uint64_t off = kd_rd64(p, d, KDF_FILE_OFFSET);
        uint32_t len = 0;
        dt_add_u32le(ctx, p->tree, KDF(FILE_LENGTH), d, &len);
        name_handle(p, h, false);
        dt_summary_append(ctx, " handle 0x%llx offset %llu len %u", (unsigned long long)h, (unsigned long long)off,
                          len);
        dt_cur_seek(d, 64);
        if ((api == 0x3431) != request)
            kd_add_rest(p, d, KDF_FILE_DATA, SIZE_MAX);
        break;
    }
    case 0x3433: { /* CloseFile */
        uint64_t h = kd_rd64(p, d, KDF_FILE_HANDLE);
        name_handle(p, h, !request);
        dt_summary_append(ctx, " handle 0x%llx", (unsigned long long)h);
        break;
    }
    default:
        dt_cur_seek(d, 64);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
    if (!request) {
        const char *sn = kd_ntstatus_name(status);
        kd_status_str(status, b, sizeof b);
        dt_summary_append(ctx, " -> %s", b);
        dt_status(ctx, sn ? sn : dt_strdup(ctx, b, strlen(b)), kd_is_error_status(status));
    }
}
