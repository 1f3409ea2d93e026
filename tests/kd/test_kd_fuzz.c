/* Every packet of the real capture truncated at every offset and bit-flipped,
 * at three layers: the encrypted KDNET datagram, the decrypted payload
 * re-encrypted with a valid MAC (so corrupted plaintext reaches the control
 * and KD decoders), and the bare KD packet (the "kd" dissector and the serial
 * framer). Passing means: no crash, no sanitizer report, and the engine keeps
 * producing events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "dissectors/kd/kdnet_key.h"
#include "dtcorpus.h"
#include "kd_test_util.h"

typedef struct fixture {
    kdt_capture cap;
    kdt_plain *plain;
    uint8_t key[32], data_key[32];
} fixture;

typedef struct counting_sink {
    dt_sink base;
    size_t events, malformed;
    bool last_malformed;
    char last_summary[160];
} counting_sink;

static void count_event(dt_sink *s, const dt_event *ev)
{
    counting_sink *c = (counting_sink *)s;
    c->events++;
    c->malformed += ev->malformed;
    c->last_malformed = ev->malformed;
    snprintf(c->last_summary, sizeof c->last_summary, "%s", ev->summary ? ev->summary : "");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (kdt_load(kdt_corpus_path(), &f->cap) != 0)
        return -1;
    f->plain = calloc(f->cap.n, sizeof *f->plain);
    if (kdt_decrypt_all(&f->cap, "8.8.8.8", f->plain, f->data_key) != 0)
        return -1;
    if (kdnet_key_parse_dotted("8.8.8.8", 7, f->key) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kdt_free_plain(f->plain, f->cap.n);
    free(f->plain);
    kdt_free_capture(&f->cap);
    free(f);
    return 0;
}

typedef struct rig {
    dt_registry *reg;
    dt_engine *eng;
    dt_conv *conv;
    counting_sink sink;
} rig;

static void rig_open(rig *r, dt_transport t, const char *force)
{
    memset(r, 0, sizeof *r);
    r->reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(r->reg), 0);
    r->eng = dt_engine_new(r->reg);
    r->sink.base.event = count_event;
    dt_engine_add_sink(r->eng, &r->sink.base);
    dt_engine_set_option(r->eng, "kdnet.key", "8.8.8.8");
    const dt_channel *ch = dt_engine_channel(r->eng, "fuzz", "", t == DT_CONV_UDP ? 1 : -1);
    dt_conv_params p = { .channel = ch, .transport = t, .client = "10.0.0.1:51111", .server = "10.0.0.2:51111",
                         .client_port = 51111, .server_port = 51111, .dissector = force };
    r->conv = dt_engine_conv_open(r->eng, &p);
}

static void rig_close(rig *r)
{
    assert_int_equal(dt_engine_finish(r->eng, dt_engine_last_ts(r->eng)), 0);
    dt_engine_free(r->eng);
    dt_registry_free(r->reg);
}

/* Truncations at every offset, then one flipped bit per byte. */
static void mutate_datagram(rig *r, dt_dir dir, uint64_t ts, const uint8_t *p, size_t n, uint8_t *scratch)
{
    for (size_t len = 0; len < n; len++)
        dt_engine_datagram(r->eng, r->conv, dir, ts, p, len);
    for (size_t i = 0; i < n; i++) {
        memcpy(scratch, p, n);
        scratch[i] ^= (uint8_t)(1u << (i % 8));
        dt_engine_datagram(r->eng, r->conv, dir, ts, scratch, n);
    }
}

static void encrypted_datagrams(void **state)
{
    fixture *f = *state;
    rig r;
    rig_open(&r, DT_CONV_UDP, NULL);
    uint8_t *scratch = malloc(65536);
    size_t total = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_packet *p = &f->cap.p[i];
        total += p->len;
        dt_dir dir = p->from_first ? DT_DIR_C2S : DT_DIR_S2C;
        dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, p->data, p->len);
        mutate_datagram(&r, dir, p->ts_ns, p->data, p->len, scratch);
    }
    free(scratch);
    size_t events = r.sink.events;
    rig_close(&r);
    /* one event per datagram (an empty one may be dropped) plus the session summary */
    assert_true(events >= f->cap.n + 2 * total - f->cap.n);
}

/* Encrypts plaintext pt as a KDNET packet whose MAC verifies. */
static size_t seal(const uint8_t hdr[6], const uint8_t mac_key[32], const uint8_t enc_key[32], const uint8_t *pt,
                   size_t n, uint8_t *out)
{
    uint8_t mk[32], mac[32];
    for (int i = 0; i < 32; i++)
        mk[i] = mac_key[i] ^ 0xFF;
    gcry_md_hd_t h;
    assert_int_equal(gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC), 0);
    gcry_md_setkey(h, mk, 32);
    gcry_md_write(h, hdr, 6);
    gcry_md_write(h, pt, n);
    memcpy(mac, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    gcry_cipher_hd_t c;
    assert_int_equal(gcry_cipher_open(&c, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0), 0);
    gcry_cipher_setkey(c, enc_key, 32);
    gcry_cipher_setiv(c, mac, 16);
    memcpy(out, hdr, 6);
    assert_int_equal(gcry_cipher_encrypt(c, out + 6, n, pt, n), 0);
    gcry_cipher_close(c);
    memcpy(out + 6 + n, mac, 16);
    return 6 + n + 16;
}

static void valid_mac_corrupt_plaintext(void **state)
{
    fixture *f = *state;
    rig r;
    rig_open(&r, DT_CONV_UDP, NULL);
    uint8_t *pt = malloc(65536), *out = malloc(65536 + 32);
    size_t sealed_ok = 0, want = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_packet *p = &f->cap.p[i];
        dt_dir dir = p->from_first ? DT_DIR_C2S : DT_DIR_S2C;
        dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, p->data, p->len);
        if (p->len < 22 + 16)
            continue;
        size_t n = p->len - 22;
        want += (p->data[5] == 1 && i == 1) ? 0 : n;
        bool control = p->data[5] == 1;
        /* Recover the plaintext with the key the dissector will use. */
        gcry_cipher_hd_t c;
        assert_int_equal(gcry_cipher_open(&c, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0), 0);
        gcry_cipher_setkey(c, control ? f->key : f->data_key, 32);
        gcry_cipher_setiv(c, p->data + 6 + n, 16);
        gcry_cipher_decrypt(c, pt, n, p->data + 6, n);
        gcry_cipher_close(c);
        /* Skip corrupting the host's key-exchange reply: it would change the key. */
        if (control && (pt[7] & 0x80))
            continue;
        for (size_t j = 0; j < n; j++) {
            pt[j] ^= (uint8_t)(1u << (j % 8));
            size_t m = seal(p->data, f->key, control ? f->key : f->data_key, pt, n, out);
            dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, out, m);
            pt[j] ^= (uint8_t)(1u << (j % 8));
            sealed_ok++;
        }
        /* Shorter plaintexts (whole blocks): the tag's padding may exceed them. */
        for (size_t m16 = 16; m16 < n; m16 += 16) {
            size_t m = seal(p->data, f->key, control ? f->key : f->data_key, pt, m16, out);
            dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, out, m);
        }
    }
    free(pt);
    free(out);
    size_t malformed = r.sink.malformed;
    rig_close(&r);
    assert_int_equal(sealed_ok, want);
    assert_true(sealed_ok > 150000);
    assert_true(malformed > 0); /* corrupted byte counts and padding are reported */
}

static void bare_kd_packets(void **state)
{
    fixture *f = *state;
    rig r;
    rig_open(&r, DT_CONV_UDP, "kd");
    uint8_t *scratch = malloc(65536);
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_plain *p = &f->plain[i];
        if (!p->kd)
            continue;
        dt_dir dir = p->from_host ? DT_DIR_S2C : DT_DIR_C2S;
        dt_engine_datagram(r.eng, r.conv, dir, 0, p->kd, p->kd_len);
        mutate_datagram(&r, dir, 0, p->kd, p->kd_len, scratch);
    }
    free(scratch);
    size_t malformed = r.sink.malformed;
    rig_close(&r);
    assert_true(malformed > 1000);
}

static void serial_stream_bit_flips(void **state)
{
    fixture *f = *state;
    kdt_serial s;
    kdt_build_serial(&f->cap, f->plain, 25, &s);
    for (int round = 0; round < 8; round++) {
        rig r;
        rig_open(&r, DT_CONV_STREAM, "kd_serial");
        uint8_t *b = malloc(s.len);
        memcpy(b, s.bytes, s.len);
        uint32_t rnd = 777u + (uint32_t)round;
        for (size_t i = 0; i < s.len; i++) {
            rnd = rnd * 1103515245u + 12345u;
            if ((rnd >> 16) % 64 == 0)
                b[i] ^= (uint8_t)(1u << ((rnd >> 8) % 8));
        }
        for (size_t i = 0; i < s.n; i++) /* every piece, cut at a varying point */
            for (size_t o = 0, step = 1 + (i + (size_t)round) % 23; o < s.pieces[i].len; o += step) {
                size_t k = s.pieces[i].len - o < step ? s.pieces[i].len - o : step;
                dt_engine_stream(r.eng, r.conv, s.pieces[i].dir, 0, b + s.pieces[i].off + o, k);
            }
        free(b);
        size_t events = r.sink.events;
        rig_close(&r);
        assert_true(events > 400);
    }
    kdt_free_serial(&s);
}

/* Recovers the plaintext of datagram p (n = its ciphertext length). */
static void open_datagram(const fixture *f, const kdt_packet *p, uint8_t *pt, size_t n)
{
    gcry_cipher_hd_t c;
    assert_int_equal(gcry_cipher_open(&c, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0), 0);
    gcry_cipher_setkey(c, p->data[5] == 1 ? f->key : f->data_key, 32);
    gcry_cipher_setiv(c, p->data + 6 + n, 16);
    gcry_cipher_decrypt(c, pt, n, p->data + 6, n);
    gcry_cipher_close(c);
}

/* Every decrypted payload (KD packet or control message) cut at every
 * offset, the cut told by the tag's padding length so the MAC still
 * verifies: the KD and control decoders see every truncation with the
 * sides known. The host's key-exchange reply is also bit-flipped at every
 * byte (each flip derives another data key; the original puts it back). */
static void sealed_truncations(void **state)
{
    fixture *f = *state;
    rig r;
    rig_open(&r, DT_CONV_UDP, NULL);
    uint8_t *pt = malloc(65536), *cut = malloc(65536 + 16), *out = malloc(65536 + 48);
    size_t sent = 0, reply_flips = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_packet *p = &f->cap.p[i];
        dt_dir dir = p->from_first ? DT_DIR_C2S : DT_DIR_S2C;
        dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, p->data, p->len);
        if (p->len < 22 + 16)
            continue;
        size_t n = p->len - 22;
        bool control = p->data[5] == 1;
        const uint8_t *ek = control ? f->key : f->data_key;
        open_datagram(f, p, pt, n);
        size_t pad = pt[7] & 0x7f, body = n - 8 - (pad <= n - 8 ? pad : 0);
        for (size_t t = 0; t < body; t++) {
            size_t m = (8 + t + 15) / 16 * 16;
            memcpy(cut, pt, 8 + t);
            memset(cut + 8 + t, 0, m - 8 - t);
            cut[7] = (uint8_t)((pt[7] & 0x80) | (m - 8 - t));
            size_t len = seal(p->data, f->key, ek, cut, m, out);
            dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, out, len);
            sent++;
        }
        if (control && (pt[7] & 0x80)) {
            for (size_t j = 0; j < n; j++) {
                pt[j] ^= (uint8_t)(1u << (j % 8));
                size_t len = seal(p->data, f->key, f->key, pt, n, out);
                dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, out, len);
                pt[j] ^= (uint8_t)(1u << (j % 8));
                dt_engine_datagram(r.eng, r.conv, dir, p->ts_ns, p->data, p->len);
                reply_flips++;
            }
        }
    }
    /* Decoding is intact afterwards: the capture's last packet decodes cleanly. */
    const kdt_packet *last = &f->cap.p[f->cap.n - 1];
    dt_engine_datagram(r.eng, r.conv, last->from_first ? DT_DIR_C2S : DT_DIR_S2C, last->ts_ns, last->data, last->len);
    assert_false(r.sink.last_malformed);
    assert_null(strstr(r.sink.last_summary, "wrong key"));
    free(pt);
    free(cut);
    free(out);
    rig_close(&r);
    assert_true(sent > 40000);
    assert_true(reply_flips >= 320);
}

/* Every KD packet of the capture with serial framing, truncated at every
 * offset and bit-flipped at every byte, each followed by the intact packet
 * in the same stream: the framer resynchronises and the session goes on. */
static void serial_every_offset(void **state)
{
    fixture *f = *state;
    kdt_serial s;
    kdt_build_serial(&f->cap, f->plain, 0, &s);
    rig r;
    rig_open(&r, DT_CONV_STREAM, "kd_serial");
    uint8_t *b = malloc(8192);
    size_t mutations = 0;
    for (size_t i = 0; i < s.n; i++) {
        const kdt_piece *pc = &s.pieces[i];
        const uint8_t *pkt = s.bytes + pc->off;
        dt_engine_stream(r.eng, r.conv, pc->dir, pc->ts_ns, pkt, pc->len);
        if (pc->what != KDT_PACKET)
            continue;
        assert_true(pc->len <= 8192);
        for (size_t t = 1; t < pc->len; t++) {
            dt_engine_stream(r.eng, r.conv, pc->dir, pc->ts_ns, pkt, t);
            dt_engine_stream(r.eng, r.conv, pc->dir, pc->ts_ns, pkt, pc->len);
            mutations++;
        }
        for (size_t j = 0; j < pc->len; j++) {
            memcpy(b, pkt, pc->len);
            b[j] ^= (uint8_t)(1u << (j % 8));
            dt_engine_stream(r.eng, r.conv, pc->dir, pc->ts_ns, b, pc->len);
            dt_engine_stream(r.eng, r.conv, pc->dir, pc->ts_ns, pkt, pc->len);
            mutations++;
        }
    }
    /* Back in step: a lone DbgPrint from the target decodes cleanly. */
    const kdt_piece *last = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.pieces[i].what == KDT_PACKET && s.bytes[s.pieces[i].off + 4] == 3)
            last = &s.pieces[i];
    assert_non_null(last);
    for (int k = 0; k < 3; k++)
        dt_engine_stream(r.eng, r.conv, last->dir, last->ts_ns, s.bytes + last->off, last->len);
    assert_false(r.sink.last_malformed);
    assert_non_null(strstr(r.sink.last_summary, "DbgPrint"));
    free(b);
    size_t events = r.sink.events, malformed = r.sink.malformed;
    rig_close(&r);
    kdt_free_serial(&s);
    assert_true(mutations > 80000);
    assert_true(events > mutations); /* every mutation and its intact copy showed up */
    assert_true(malformed > 1000);
}

int main(void)
{
    dt_corpus_require(KDT_CORPUS_FILE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encrypted_datagrams),
        cmocka_unit_test(valid_mac_corrupt_plaintext),
        cmocka_unit_test(bare_kd_packets),
        cmocka_unit_test(serial_stream_bit_flips),
        cmocka_unit_test(sealed_truncations),
        cmocka_unit_test(serial_every_offset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
