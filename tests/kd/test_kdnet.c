/* KDNET against the real corpus capture (WinDbg <-> Windows 10 boot debugger,
 * UDP port 51111, key 8.8.8.8), replayed through the engine.
 *
 * Expected values come from outside the dissector: the capture's packet count
 * and KD contents are re-derived here by decrypting each packet with
 * libgcrypt directly and parsing the KD structures in a few lines of test
 * code (kdt_decrypt_all); the GetVersion numbers were established with a
 * separate Python decoder (hashlib/hmac + AES) and match WinDbg's banner for
 * this capture (build 10586, AMD64, KernBase = winload's base 0x96f000). */
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
    uint8_t data_key[32];
    kdt_run good;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (kdt_load(kdt_corpus_path(), &f->cap) != 0) {
        fprintf(stderr, "cannot read the corpus capture %s\n", kdt_corpus_path());
        free(f);
        return -1;
    }
    f->plain = calloc(f->cap.n, sizeof *f->plain);
    if (kdt_decrypt_all(&f->cap, "8.8.8.8", f->plain, f->data_key) != 0)
        return -1;
    kdt_replay_udp(&f->cap, "8.8.8.8", NULL, &f->good);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kdt_run_free(&f->good);
    kdt_free_plain(f->plain, f->cap.n);
    free(f->plain);
    kdt_free_capture(&f->cap);
    free(f);
    return 0;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

/* The dissector's events for packets, in capture order (one per datagram). */
static const kdt_event *pkt_event(const fixture *f, size_t i)
{
    assert_true(i < f->good.n);
    return &f->good.ev[i];
}

static void every_packet_decrypts(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->cap.n, 955);
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_event *e = pkt_event(f, i);
        assert_string_equal(e->proto, "KDNET");
        if (!kdt_has(e, "kdnet.decryption", "verified"))
            fail_msg("packet %zu did not verify: %s", i + 1, e->summary);
        assert_true(kdt_has(e, "kdnet.key_index", "1"));
        assert_false(e->malformed);
    }
    assert_int_equal(kdt_count(&f->good, "kdnet.decryption", "verified"), 955);
}

static void every_checksum_verifies(void **state)
{
    fixture *f = *state;
    size_t kd_packets = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const kdt_event *e = pkt_event(f, i);
        if (f->plain[i].kd) {
            kd_packets++;
            char want[16];
            snprintf(want, sizeof want, "%u", rd32(f->plain[i].kd + 8));
            assert_true(kdt_has(e, "kd.packet_id", want));
            if (!kdt_has(e, "kd.checksum.good", "1"))
                fail_msg("packet %zu: checksum not verified: %s", i + 1, e->summary);
        } else {
            assert_false(kdt_has(e, "kd.packet", NULL));
        }
    }
    assert_int_equal(kd_packets, 526);
    assert_int_equal(kdt_count(&f->good, "kd.checksum.good", "1"), 526);
    assert_int_equal(kdt_count(&f->good, "kd.checksum.good", "0"), 0);
}

static void data_key_from_handshake(void **state)
{
    fixture *f = *state;
    /* Packet 2 is the host's control reply; the key derived there must be
     * SHA-256(configured key || its 322 bytes of key material). */
    const kdt_event *e = pkt_event(f, 1);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", f->data_key[i]);
    assert_true(kdt_has(e, "kdnet.ctl.type", "2"));
    assert_true(kdt_has(e, "kdnet.data_key", "")); /* a secret: redacted by default */
    kdt_run shown;
    kdt_replay_udp_ex(&f->cap, "8.8.8.8", NULL, true, &shown);
    assert_true(kdt_has(&shown.ev[1], "kdnet.data_key", hex));
    kdt_run_free(&shown);
    assert_non_null(strstr(e->summary, "Host connects"));
    assert_int_equal(kdt_count(&f->good, "kdnet.data_key", NULL), 1);
    /* Announcements carry the addresses and ports (::ffff:192.168.2.72:51111). */
    const kdt_event *a = pkt_event(f, 0);
    assert_true(kdt_has(a, "kdnet.ctl.target_addr", "00000000000000000000ffffc0a80248"));
    assert_true(kdt_has(a, "kdnet.ctl.target_port", "51111"));
    assert_true(kdt_has(a, "kdnet.ctl.host_addr", "00000000000000000000ffffc0a80201"));
    assert_non_null(strstr(a->summary, "target 192.168.2.72:51111, host 192.168.2.1:51111"));
    assert_int_equal(kdt_count(&f->good, "kdnet.ctl.type", "1"), 427);
}

static void get_version(void **state)
{
    fixture *f = *state;
    const kdt_event *req = NULL, *rep = NULL;
    for (size_t i = 0; i < f->good.n; i++) {
        const kdt_event *e = &f->good.ev[i];
        if (!kdt_has(e, "kd.api", "12614")) /* 0x3146 */
            continue;
        if (e->role == DT_ROLE_REQUEST && !req)
            req = e;
        if (e->role == DT_ROLE_RESPONSE && !rep)
            rep = e;
    }
    assert_non_null(req);
    assert_non_null(rep);
    assert_int_equal(rep->req_seq, req->seq);
    assert_string_equal(rep->stats_key, "GetVersion");
    assert_string_equal(rep->status, "STATUS_SUCCESS");
    assert_true(kdt_has(rep, "kd.version.minor", "10586"));
    assert_true(kdt_has(rep, "kd.version.machine", "34404"));   /* AMD64 */
    assert_true(kdt_has(rep, "kd.version.protocol", "6"));
    assert_true(kdt_has(rep, "kd.version.kern_base", "9891840")); /* 0x96f000 */
    assert_true(kdt_has(rep, "kd.version.ps_loaded_module_list", "11361888")); /* 0xad5e60 */
    assert_non_null(strstr(rep->summary, "build 10586"));
    assert_non_null(strstr(rep->summary, "AMD64"));
}

/* Text of KD DEBUG_IO PrintString packets, parsed by the test itself. */
static void dbgprint_text(void **state)
{
    fixture *f = *state;
    size_t n = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const uint8_t *k = f->plain[i].kd;
        if (!k || k[4] != 3 || rd32(k + 16) != 0x3230)
            continue;
        size_t len = rd32(k + 16 + 8);
        char want[4096];
        assert_true(len < sizeof want && 32 + len <= f->plain[i].kd_len);
        memcpy(want, k + 32, len);
        want[len] = '\0';
        const kdt_event *e = pkt_event(f, i);
        char got[8192], esc[8192];
        kdt_escape(want, esc, sizeof esc);
        assert_non_null(kdt_field(e, "kd.print.text", got, sizeof got));
        assert_string_equal(got, esc);
        assert_non_null(strstr(e->summary, "DbgPrint: "));
        n++;
    }
    assert_int_equal(n, 7);
    assert_int_equal(kdt_count(&f->good, "kd.print.text", NULL), 7);
    assert_int_equal(kdt_count(&f->good, "kd.print.text", "BD: Boot Debugger Initialized\\n"), 2);
}

static void module_loads_and_files(void **state)
{
    fixture *f = *state;
    /* STATE_CHANGE64 LoadSymbols: the image path closes the packet. */
    size_t loads = 0, creates = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const uint8_t *k = f->plain[i].kd;
        if (!k)
            continue;
        const kdt_event *e = pkt_event(f, i);
        if (k[4] == 7 && rd32(k + 16) == 0x3031) {
            uint32_t pl = rd32(k + 16 + 32);
            size_t count = (size_t)(k[6] | (k[7] << 8));
            char want[512] = "";
            if (pl && pl < sizeof want)
                snprintf(want, sizeof want, "%s", (const char *)k + 16 + count - pl);
            if (*want)
                assert_true(kdt_has(e, "kd.load.path", want));
            loads++;
        }
        if (k[4] == 11 && rd32(k + 16) == 0x3430 && !f->plain[i].from_host) {
            char want[512];
            size_t o = 0;
            for (size_t j = 16 + 64; j + 1 < f->plain[i].kd_len && (k[j] | k[j + 1]) && o + 1 < sizeof want; j += 2)
                want[o++] = (char)k[j]; /* ASCII paths */
            want[o] = '\0';
            char esc[1024];
            kdt_escape(want, esc, sizeof esc);
            assert_true(kdt_has(e, "kd.file.name", esc));
            creates++;
        }
    }
    assert_int_equal(loads, 2);
    assert_int_equal(kdt_count(&f->good, "kd.load.path", "winload.efi"), 1);
    assert_int_equal(kdt_count(&f->good, "kd.load.base", "9891840"), 1);
    assert_int_equal(creates, 33);
    /* The host's replies name the file of their request. */
    assert_int_equal(kdt_count(&f->good, "kd.file.name", "\\\\Windows\\\\system32\\\\kdnet.dll"), 2);
    assert_int_equal(kdt_count(&f->good, "kd.file.status", "3221225487"), 33); /* STATUS_NO_SUCH_FILE */
}

/* The one exception of the capture: the initial breakpoint, parsed here too. */
static void corpus_exception(void **state)
{
    fixture *f = *state;
    size_t n = 0;
    for (size_t i = 0; i < f->cap.n; i++) {
        const uint8_t *k = f->plain[i].kd;
        if (!k || k[4] != 7 || rd32(k + 16) != 0x3030)
            continue;
        const kdt_event *e = pkt_event(f, i);
        uint32_t code = rd32(k + 16 + 32);
        uint64_t addr = rd32(k + 16 + 48) | (uint64_t)rd32(k + 16 + 52) << 32;
        char want[64];
        snprintf(want, sizeof want, "%u", code);
        assert_true(kdt_has(e, "kd.exception.code", want));
        snprintf(want, sizeof want, "%llu", (unsigned long long)addr);
        assert_true(kdt_has(e, "kd.exception.address", want));
        snprintf(want, sizeof want, "%u", rd32(k + 16 + 184) != 0);
        assert_true(kdt_has(e, "kd.exception.first_chance", want));
        snprintf(want, sizeof want, "Exception STATUS_BREAKPOINT at 0x%llx, first chance", (unsigned long long)addr);
        assert_int_equal(code, 0x80000003);
        assert_non_null(strstr(e->summary, want));
        assert_string_equal(e->status, "STATUS_BREAKPOINT");
        n++;
    }
    assert_int_equal(n, 1);
}

static void pairing_and_flags(void **state)
{
    fixture *f = *state;
    size_t acks = 0, matched = 0, retrans = 0, resends = 0, resets = 0, requests = 0, responses = 0, rvm = 0;
    for (size_t i = 0; i < f->good.n; i++) {
        const kdt_event *e = &f->good.ev[i];
        acks += kdt_has(e, "kd.type", "4");
        matched += kdt_has(e, "kd.ack_of", NULL);
        retrans += kdt_has(e, "kd.retransmit", "1");
        resends += kdt_has(e, "kd.type", "5");
        resets += kdt_has(e, "kd.type", "6");
        if (e->stats_key && strcmp(e->stats_key, "ReadVirtualMemory") == 0) {
            rvm++;
            if (e->role == DT_ROLE_RESPONSE)
                assert_true(e->req_seq > 0 && e->req_seq < e->seq);
        }
        requests += e->role == DT_ROLE_REQUEST;
        responses += e->role == DT_ROLE_RESPONSE;
    }
    assert_int_equal(acks, 259);
    assert_int_equal(matched, 259); /* every acknowledge names its packet */
    assert_int_equal(retrans, 3);   /* DbgPrint after RESEND, GetContext after RESEND, reply after RESET */
    assert_int_equal(resends, 2);
    assert_int_equal(resets, 2);
    assert_int_equal(rvm, 88);
    /* 92 manipulate exchanges and 33 file requests answered; Continue gets no reply. */
    assert_int_equal(responses, requests);
    size_t pending = 0;
    for (size_t i = 0; i < f->good.n; i++)
        pending += f->good.ev[i].kind == DT_EV_PENDING;
    assert_int_equal(pending, 0);
    /* Retransmits are their own --stats row; each API counts its exchanges once. */
    size_t gc = 0;
    for (size_t i = 0; i < f->good.n; i++) {
        const kdt_event *e = &f->good.ev[i];
        if (kdt_has(e, "kd.retransmit", "1"))
            assert_string_equal(e->stats_key, "RETRANSMIT");
        gc += e->stats_key && strcmp(e->stats_key, "GetContext") == 0;
    }
    assert_int_equal(gc, 8); /* 4 requests, 4 replies */

    /* The end-of-session event: counters recomputed from the plaintexts. */
    size_t kd_bytes = 0, kd_packets = 0;
    for (size_t i = 0; i < f->cap.n; i++)
        if (f->plain[i].kd) {
            kd_bytes += f->plain[i].kd_len;
            kd_packets++;
        }
    const kdt_event *last = &f->good.ev[f->good.n - 1];
    char want[32];
    snprintf(want, sizeof want, "%zu", kd_packets);
    assert_true(kdt_has(last, "kd.session.packets", want));
    snprintf(want, sizeof want, "%zu", kd_bytes);
    assert_true(kdt_has(last, "kd.session.bytes", want));
    assert_true(kdt_has(last, "kd.session.resends", "2"));
    assert_true(kdt_has(last, "kd.session.breakins", "0"));
    assert_true(kdt_has(last, "kdnet.session.replies", "1"));
    assert_true(kdt_has(last, "kdnet.session.mac_failures", "0"));
    char iv[32];
    assert_non_null(kdt_field(last, "kdnet.session.announce_interval", iv, sizeof iv));
    double s_iv = atof(iv) / 1e9;
    assert_true(s_iv > 2.9 && s_iv < 3.1); /* the target announces every 3 s */
    snprintf(want, sizeof want, "%zu KD packets", kd_packets);
    assert_non_null(strstr(last->summary, want));
    assert_non_null(strstr(last->summary, "3 retransmits"));
    assert_true(kdt_has(last, "kd.session.retransmits", "3"));
    assert_true(kdt_has(last, "kd.session.resets", "2"));
    assert_true(kdt_has(last, "kdnet.session.announcements", "427"));
}

static void wrong_key(void **state)
{
    fixture *f = *state;
    kdt_run r;
    kdt_replay_udp(&f->cap, "1.2.3.4", NULL, &r);
    assert_true(r.n >= f->cap.n);
    for (size_t i = 0; i < f->cap.n; i++) {
        assert_true(kdt_has(&r.ev[i], "kdnet.decryption", "MAC mismatch (wrong key?)"));
        assert_true(r.ev[i].is_error);
        assert_false(kdt_has(&r.ev[i], "kd.packet", NULL)); /* no garbage decoded */
        assert_non_null(strstr(r.ev[i].summary, "wrong key?"));
    }
    kdt_run_free(&r);
}

static void no_key(void **state)
{
    fixture *f = *state;
    kdt_run r;
    kdt_replay_udp(&f->cap, NULL, NULL, &r);
    for (size_t i = 0; i < f->cap.n; i++) {
        char ch[8];
        assert_true(kdt_has(&r.ev[i], "kdnet.magic", "1296319047")); /* "MDBG" */
        assert_true(kdt_has(&r.ev[i], "kdnet.version", "4"));
        assert_non_null(kdt_field(&r.ev[i], "kdnet.channel", ch, sizeof ch));
        assert_int_equal(atoi(ch), f->cap.p[i].data[5]);
        assert_non_null(strstr(r.ev[i].summary, "encrypted (no key)"));
    }
    kdt_run_free(&r);
}

static void several_keys_and_ports(void **state)
{
    fixture *f = *state;
    kdt_run r;
    kdt_replay_udp(&f->cap, "1.2.3.4; 51111=8.8.8.8", NULL, &r);
    assert_int_equal(kdt_count(&r, "kdnet.decryption", "verified"), 955);
    assert_int_equal(kdt_count(&r, "kdnet.key_index", "2"), 955);
    kdt_run_free(&r);

    kdt_replay_udp(&f->cap, "50000=8.8.8.8", NULL, &r); /* bound to another port */
    assert_int_equal(kdt_count(&r, "kdnet.decryption", "no key"), 955);
    kdt_run_free(&r);

    kdt_replay_udp(&f->cap, "8.8.8", NULL, &r); /* malformed: reported, nothing decrypted */
    assert_non_null(strstr(r.ev[0].summary, "bad KDNET key"));
    assert_int_equal(kdt_count(&r, "kdnet.decryption", "no key"), 955);
    kdt_run_free(&r);
}

int main(void)
{
    dt_corpus_require(KDT_CORPUS_FILE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_packet_decrypts),
        cmocka_unit_test(every_checksum_verifies),
        cmocka_unit_test(data_key_from_handshake),
        cmocka_unit_test(get_version),
        cmocka_unit_test(dbgprint_text),
        cmocka_unit_test(module_loads_and_files),
        cmocka_unit_test(corpus_exception),
        cmocka_unit_test(pairing_and_flags),
        cmocka_unit_test(wrong_key),
        cmocka_unit_test(no_key),
        cmocka_unit_test(several_keys_and_ports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
