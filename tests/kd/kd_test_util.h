/* Shared by the KD tests: the corpus capture's UDP payloads, a sink that
 * keeps every event with its fields as text, and runs through the engine. */
#ifndef KD_TEST_UTIL_H
#define KD_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/registry.h"

typedef struct kdt_packet {
    uint64_t ts_ns;
    bool from_first; /* sent by the flow's first sender (the target here) */
    uint8_t *data;
    size_t len;
} kdt_packet;

typedef struct kdt_capture {
    kdt_packet *p;
    size_t n;
} kdt_capture;

/* The KDNET corpus capture, relative to the corpus directory; a program
 * that needs it calls dt_corpus_require(KDT_CORPUS_FILE) first. */
#define KDT_CORPUS_FILE "kdnet/windbg-uncut.pcapng.gz"
const char *kdt_corpus_path(void);
/* Reads the UDP payloads of a (gzipped) pcapng with Ethernet/IPv4 frames. */
int kdt_load(const char *path, kdt_capture *cap);
void kdt_free_capture(kdt_capture *cap);

typedef struct kdt_event {
    dt_event_kind kind;
    dt_role role;
    dt_dir dir;
    uint64_t seq, req_seq;
    bool malformed, is_error;
    char proto[16];
    char *summary;
    char *stats_key;
    char *status;
    char *fields; /* "abbrev=value\n" for every field, depth first */
} kdt_event;

typedef struct kdt_run {
    dt_sink base;
    kdt_event *ev;
    size_t n, cap;
} kdt_run;

void kdt_run_init(kdt_run *r);
void kdt_run_free(kdt_run *r);

/* The first value of a field in an event, copied into buf; NULL if absent. */
const char *kdt_field(const kdt_event *e, const char *abbrev, char *buf, size_t bufsz);
bool kdt_has(const kdt_event *e, const char *abbrev, const char *value);
size_t kdt_count(const kdt_run *r, const char *abbrev, const char *value);

/* Replays the capture's datagrams as one UDP flow; key may be NULL. */
void kdt_replay_udp(const kdt_capture *cap, const char *key, const char *force_dissector, kdt_run *out);
void kdt_replay_udp_ex(const kdt_capture *cap, const char *key, const char *force_dissector, bool show_credentials,
                       kdt_run *out);

/* Field values are kept with '\n' and '\\' escaped; escape expected text the same way. */
void kdt_escape(const char *in, char *out, size_t outsz);

/* Each packet's decrypted plaintext (the dissector's MAC-verified view),
 * obtained with libgcrypt for building the serial stream and fuzz inputs. */
typedef struct kdt_plain {
    bool from_host;
    uint8_t channel;
    uint8_t *kd;      /* the KD packet (header + data), NULL when none */
    size_t kd_len;
} kdt_plain;
int kdt_decrypt_all(const kdt_capture *cap, const char *dotted_key, kdt_plain *out, uint8_t data_key[32]);
void kdt_free_plain(kdt_plain *p, size_t n);



/* A KD serial session rebuilt from the capture's KD packets: each piece is a
 * packet with KDCOM framing (data packets end in 0xAA), a break-in byte or
 * inserted garbage, in capture order. The target writes C2S. */
typedef struct kdt_piece {
    dt_dir dir;
    enum { KDT_PACKET, KDT_GARBAGE, KDT_BREAKIN } what;
    size_t off, len; /* into bytes */
    uint64_t ts_ns;
} kdt_piece;

typedef struct kdt_serial {
    uint8_t *bytes;
    size_t len;
    kdt_piece *pieces;
    size_t n, n_garbage, n_packets, n_data_packets;
} kdt_serial;

/* garbage_every: insert garbage before every Nth KD packet (0: none). */
void kdt_build_serial(const kdt_capture *cap, const kdt_plain *plain, size_t garbage_every, kdt_serial *out);
void kdt_free_serial(kdt_serial *s);
#endif
