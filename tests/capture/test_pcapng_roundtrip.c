/* pcapng write → read: what the recorder writes, the reader gives back —
 * interfaces with their names, link types and descriptions; frames with
 * ns timestamps, lengths and direction flags; IPC stream bytes (exported
 * PDUs, split when large) intact per direction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/source.h"
#include "core/sink.h"

#define BIG (600 * 1024) /* larger than one exported-PDU record may be */

static void test_roundtrip(void **state)
{
    (void)state;
    char path[] = "/tmp/diagtap-rt-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    dt_sink *w = dt_pcapng_sink_new(path, err, sizeof err);
    assert_non_null(w);

    dt_channel eth = { 0, "eth0", "an Ethernet capture", 1 };
    dt_channel ipc = { 1, "unix:/tmp/x.sock#1", "proxy connection 1", -1 };
    dt_conv_info conv = { 1, &ipc, "client#1", "target" };
    w->channel(w, &eth);
    w->channel(w, &ipc);

    uint8_t frame[1514];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 7);
    uint8_t *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    const uint64_t t0 = 1700000000123456789ull;
    w->frame(w, &eth, t0, frame, 60, 60, DT_EPB_INBOUND);
    w->stream(w, &conv, DT_DIR_C2S, t0 + 1, "dap", (const uint8_t *)"Content-Length: 2\r\n\r\n{}", 23);
    w->frame(w, &eth, t0 + 2, frame, 1514, 9000, DT_EPB_OUTBOUND); /* snapped frame */
    w->stream(w, &conv, DT_DIR_S2C, t0 + 3, "dap", big, BIG);
    w->stream(w, &conv, DT_DIR_S2C, t0 + 4, "data", (const uint8_t *)"tail", 4);
    assert_int_equal(w->finish(w), 0);
    w->destroy(w);

    dt_source *s = dt_source_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(dt_source_get_format(s), DT_SRC_PCAPNG);
    dt_packet p;
    size_t frames = 0, c2s = 0, s2c = 0;
    uint8_t *got = malloc(BIG + 4);
    int r;
    while ((r = dt_source_next(s, &p)) == 1) {
        const dt_source_iface *ifc = dt_source_iface_at(s, p.iface);
        if (ifc->linktype == 1) {
            assert_string_equal(ifc->name, "eth0");
            assert_string_equal(ifc->description, "an Ethernet capture");
            if (frames == 0) {
                assert_int_equal(p.ts_ns, t0);
                assert_int_equal(p.caplen, 60);
                assert_int_equal(p.epb_flags & 3, DT_EPB_INBOUND);
            } else {
                assert_int_equal(p.ts_ns, t0 + 2);
                assert_int_equal(p.caplen, 1514);
                assert_int_equal(p.origlen, 9000);
                assert_int_equal(p.epb_flags & 3, DT_EPB_OUTBOUND);
            }
            assert_memory_equal(p.data, frame, p.caplen);
            frames++;
            continue;
        }
        assert_int_equal(ifc->linktype, 252);
        assert_string_equal(ifc->name, "unix:/tmp/x.sock#1");
        assert_string_equal(ifc->description, "diagtap stream: client#1 <-> target");
        /* exported PDU: tags (big-endian type, length, value padded to 4) up to end-of-options */
        size_t off = 0;
        char proto[32] = "";
        while (off + 4 <= p.caplen) {
            unsigned type = (unsigned)(p.data[off] << 8 | p.data[off + 1]);
            unsigned len = (unsigned)(p.data[off + 2] << 8 | p.data[off + 3]);
            off += 4;
            if (type == 0)
                break;
            if (type == 12)
                snprintf(proto, sizeof proto, "%.*s", (int)len, (const char *)p.data + off);
            off += (len + 3) & ~3u;
        }
        const uint8_t *payload = p.data + off;
        size_t n = p.caplen - off;
        if ((p.epb_flags & 3) == DT_EPB_INBOUND) {
            assert_string_equal(proto, "dap");
            assert_int_equal(n, 23);
            assert_memory_equal(payload, "Content-Length: 2\r\n\r\n{}", 23);
            c2s += n;
        } else {
            assert_int_equal(p.epb_flags & 3, DT_EPB_OUTBOUND);
            assert_true(s2c + n <= BIG + 4);
            memcpy(got + s2c, payload, n);
            s2c += n;
            assert_string_equal(proto, s2c > BIG ? "data" : "dap");
        }
    }
    assert_int_equal(r, 0);
    assert_int_equal(frames, 2);
    assert_int_equal(c2s, 23);
    assert_int_equal(s2c, BIG + 4);
    assert_memory_equal(got, big, BIG);
    assert_memory_equal(got + BIG, "tail", 4);
    dt_source_close(s);
    free(got);
    free(big);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_roundtrip) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
