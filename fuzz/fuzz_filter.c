/* libFuzzer: the -Y display-filter language (core/dfilter.c). The input is
 * an expression, compiled against every built-in dissector's field table;
 * when it compiles it is evaluated on events whose trees hold one field of
 * every definition (values taken from the input's bytes), nested, with
 * strings, bytes and a redacted credential. Any text must give a filter or
 * one error with a caret, never a crash or a read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dfilter.h"
#include "fuzz_common.h"

#define MAX_FIELDS 4096

static dt_field nodes[MAX_FIELDS];

static size_t build_tree(dt_event *ev, const uint8_t *data, size_t size, unsigned variant)
{
    const dt_registry *reg = fuzz_registry();
    size_t n = 0, k = 0;
    dt_field *parent = NULL;
    for (size_t i = 0; i < dt_registry_count(reg); i++) {
        const dt_dissector *d = dt_registry_at(reg, i);
        for (size_t j = 0; j < d->n_fields && n < MAX_FIELDS; j++) {
            dt_field *f = &nodes[n++];
            memset(f, 0, sizeof *f);
            f->def = &d->fields[j];
            uint8_t b = size ? data[(k++ * 7 + variant) % size] : 0;
            f->v.u = variant & 1 ? b : (uint64_t)b << (b % 57);
            if (f->def->type == DT_FT_STRING || f->def->type == DT_FT_BYTES) {
                size_t off = size ? b % size : 0;
                f->v.s.ptr = (const char *)data + off;
                f->v.s.len = f->def->type == DT_FT_BYTES || variant & 2 ? size - off : 0;
                if (f->def->type == DT_FT_STRING) { /* a STRING is NUL-terminated */
                    f->v.s.ptr = "fuzz \xc3\xa9 text";
                    f->v.s.len = strlen(f->v.s.ptr);
                }
            }
            if (f->def->flags & DT_FF_CREDENTIAL)
                f->flags = DT_FLD_REDACTED;
            /* a new subtree now and then, so nesting and siblings both occur */
            if (parent && (b & 3) == 0) {
                if (parent->last_child)
                    parent->last_child->next = f;
                else
                    parent->child = f;
                parent->last_child = f;
            } else {
                if (ev->last_field)
                    ev->last_field->next = f;
                else
                    ev->fields = f;
                ev->last_field = f;
                parent = f;
            }
        }
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char expr[4097];
    char err[8192];
    size_t n = size < sizeof expr - 1 ? size : sizeof expr - 1;
    memcpy(expr, data, n);
    expr[n] = '\0';
    dt_dfilter *f = dt_dfilter_compile(expr, fuzz_registry(), err, sizeof err);
    if (!f)
        return 0;
    static const dt_channel ch = { .id = 0, .name = "lo", .linktype = 1 };
    static const dt_conv_info convs[] = {
        { .id = 1, .channel = &ch, .client = "10.0.0.1:40000", .server = "[fe80::1]:445" },
        { .id = 2, .channel = &ch, .client = "ide", .server = "lldb-vscode-14" },
        { .id = 3, .channel = &ch, .client = "1.2.3.4:", .server = "::1" },
    };
    for (unsigned variant = 0; variant < 4; variant++) {
        dt_event ev = { .seq = variant + 1, .ts_ns = (uint64_t)variant * 1795003600000000000ull,
                        .dir = variant & 1, .kind = variant, .proto = "SMB2", .proto_name = "smb2",
                        .summary = "CREATE \\\\srv\\share", .role = variant, .req_seq = variant,
                        .latency_ns = variant * 1000000ull, .has_latency = variant & 1,
                        .status = variant & 2 ? "STATUS_SUCCESS" : NULL, .is_error = variant == 2,
                        .raw_len = size };
        ev.conv = variant < 3 ? &convs[variant] : NULL;
        build_tree(&ev, data, size, variant);
        (void)dt_dfilter_match(f, &ev);
    }
    dt_dfilter_free(f);
    return 0;
}
