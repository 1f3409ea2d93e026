/* KD over a byte stream (KDCOM framing): the KD packets of the real capture,
 * framed as on a serial line, fed through the engine in odd-sized pieces,
 * must decode to the same KD events as over KDNET; inserted garbage is
 * skipped with a resync note; a break-in byte is an event of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtcorpus.h"
#include "kd_test_util.h"

typedef struct fixture {
    kdt_capture cap;
    kdt_plain *plain;
    kdt_run kdnet;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    uint8_t dk[32];
    if (kdt_load(kdt_corpus_path(), &f->cap) != 0)
        return -1;
    f->plain = calloc(f->cap.n, sizeof *f->plain);
    if (kdt_decrypt_all(&f->cap, "8.8.8.8", f->plain, dk) != 0)
        return -1;
    kdt_replay_udp(&f->cap, "8.8.8.8", NULL, &f->kdnet);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kdt_run_free(&f->kdnet);
    kdt_free_plain(f->plain, f->cap.n);
    free(f->plain);
    kdt_free_capture(&f->cap);
    free(f);
    return 0;
}

/* Feeds the serial session through one stream conversation. */
/* swap: the debugger is the client (it connected to the VM's socket). */
static void run_serial(const kdt_serial *s, size_t max_piece, const char *force, bool swap, kdt_run *out)
{
    dt_registry *reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(reg), 0);
    dt_engine *eng = dt_engine_new(reg);
    kdt_run_init(out);
    dt_engine_add_sink(eng, &out->base);
    const dt_channel *ch = dt_engine_channel(eng, "unix:/tmp/vm-com1", "test", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "vm", .server = "windbg",
                         .dissector = force };
    dt_conv *c = dt_engine_conv_open(eng, &p);
    uint32_t rnd = 12345;
    for (size_t i = 0; i < s->n; i++) {
        const kdt_piece *pc = &s->pieces[i];
        for (size_t o = 0; o < pc->len;) {
            rnd = rnd * 1103515245u + 12345u;
            size_t k = max_piece ? 1 + (rnd >> 16) % max_piece : pc->len;
            if (k > pc->len - o)
                k = pc->len - o;
            dt_engine_stream(eng, c, swap ? (dt_dir)!pc->dir : pc->dir, pc->ts_ns, s->bytes + pc->off + o, k);
            o += k;
        }
    }
    dt_engine_conv_close(eng, c, dt_engine_last_ts(eng), NULL);
    assert_int_equal(dt_engine_finish(eng, dt_engine_last_ts(eng)), 0);
    dt_engine_free(eng);
    dt_registry_free(reg);
}

static size_t kd_events(const kdt_run *r, const kdt_event **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n && n < max; i++)
        if (kdt_has(&r->ev[i], "kd.packet", NULL))
            out[n++] = &r->ev[i];
    return n;
}

static void same_events(const fixture *f, const kdt_run *serial)
{
    static const kdt_event *a[2048], *b[2048];
    size_t na = kd_events(&f->kdnet, a, 2048), nb = kd_events(serial, b, 2048);
    assert_int_equal(na, 526);
    assert_int_equal(nb, na);
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i]->summary, b[i]->summary) != 0)
            fail_msg("KD event %zu differs:\n  KDNET:  %s\n  serial: %s", i, a[i]->summary, b[i]->summary);
        assert_int_equal(a[i]->role, b[i]->role);
        assert_true(kdt_has(b[i], "kd.checksum.good", "1"));
        assert_false(b[i]->malformed);
        if (a[i]->stats_key)
            assert_string_equal(a[i]->stats_key, b[i]->stats_key);
    }
}

static void clean_stream(void **state)
{
    fixture *f = *state;
    kdt_serial s;
    kdt_build_serial(&f->cap, f->plain, 0, &s);
    kdt_run r;
    run_serial(&s, 0, NULL, false, &r); /* the probe must pick kd_serial */
    same_events(f, &r);
    assert_int_equal(kdt_count(&r, "kd_serial.trailer", "170"), s.n_data_packets);
    assert_int_equal(s.n_data_packets, 263);
    assert_int_equal(kdt_count(&r, "kd_serial.breakin", "1"), 1);
    for (size_t i = 0; i < r.n; i++)
        assert_false(r.ev[i].malformed);
    kdt_run_free(&r);
    kdt_free_serial(&s);
}

static void odd_pieces_and_garbage(void **state)
{
    fixture *f = *state;
    kdt_serial s;
    kdt_build_serial(&f->cap, f->plain, 40, &s);
    assert_true(s.n_garbage >= 10);
    kdt_run r;
    run_serial(&s, 7, "kd_serial", true, &r);
    same_events(f, &r);
    size_t notes = 0, glen = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.pieces[i].what == KDT_GARBAGE)
            glen = s.pieces[i].len;
    char want[64];
    snprintf(want, sizeof want, "skipped %zu bytes", glen); /* exactly the garbage, no packet byte */
    for (size_t i = 0; i < r.n; i++)
        if (r.ev[i].kind == DT_EV_NOTE && strstr(r.ev[i].summary, "resynchronised")) {
            notes++;
            if (!strstr(r.ev[i].summary, want))
                fail_msg("%s", r.ev[i].summary);
        }
    assert_int_equal(notes, s.n_garbage);
    assert_int_equal(kdt_count(&r, "kd_serial.breakin", "1"), 1); /* the stray 'b' in garbage is not one */
    kdt_run_free(&r);
    kdt_free_serial(&s);
}

static void truncated_tail(void **state)
{
    fixture *f = *state;
    kdt_serial s;
    kdt_build_serial(&f->cap, f->plain, 0, &s);
    /* Cut the last data packet short: the rest decodes, the end is reported. */
    size_t last = s.n;
    while (last > 0 && s.pieces[last - 1].len <= 17)
        last--;
    assert_true(last > 0);
    s.pieces[last - 1].len -= 5;
    s.n = last;
    kdt_run r;
    run_serial(&s, 13, "kd_serial", false, &r);
    size_t errors = 0;
    for (size_t i = 0; i < r.n; i++)
        errors += r.ev[i].kind == DT_EV_ERROR || r.ev[i].malformed;
    assert_true(errors >= 1);
    kdt_run_free(&r);
    kdt_free_serial(&s);
}

int main(void)
{
    dt_corpus_require(KDT_CORPUS_FILE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_stream),
        cmocka_unit_test(odd_pieces_and_garbage),
        cmocka_unit_test(truncated_tail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
