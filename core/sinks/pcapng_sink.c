/* The pcapng recorder: one interface per channel, captured frames as they
 * were read, IPC stream bytes as exported PDUs tagged with the dissector's
 * name (LINKTYPE_WIRESHARK_UPPER_PDU), direction in epb_flags. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/safe_file.h"
#include "pcapng_format.h"
#include "sink_util.h"

#ifndef DIAGTAP_VERSION
#define DIAGTAP_VERSION "unknown"
#endif

#define BUF_SIZE (64 * 1024)
#define FLUSH_NS UINT64_C(1000000000) /* live recordings reach the disk within a second */

typedef struct pcapng_sink {
    dt_sink base;
    int fd;
    char *path;
    bool failed;
    uint64_t last_flush_ts;
    bool live; /* a FIFO or pipe (Wireshark's extcap): every record is flushed */
    uint32_t *ifmap; /* channel id → pcapng interface index + 1; 0: no IDB yet */
    size_t ifmap_len;
    uint32_t n_ifaces;
    size_t used;
    uint8_t buf[BUF_SIZE];
} pcapng_sink;

static void fail(pcapng_sink *p, int err)
{
    if (!p->failed)
        fprintf(stderr, "diagtap: %s: cannot write the recording: %s\n", p->path, strerror(err));
    p->failed = true;
}

static void write_all(pcapng_sink *p, const uint8_t *d, size_t n)
{
    while (n && !p->failed) {
        ssize_t k = dt_safe_write(p->fd, d, n); /* gives way to a stop signal */
        if (k < 0) {
            fail(p, errno);
            break;
        }
        if (k == 0) {
            fail(p, EIO);
            break;
        }
        d += k;
        n -= (size_t)k;
    }
}

static void flush(pcapng_sink *p)
{
    write_all(p, p->buf, p->used);
    p->used = 0;
}

static void put(pcapng_sink *p, const void *d, size_t n)
{
    if (p->failed || n == 0)
        return;
    if (p->used + n > BUF_SIZE)
        flush(p);
    if (n > BUF_SIZE) {
        write_all(p, d, n);
        return;
    }
    memcpy(p->buf + p->used, d, n);
    p->used += n;
}

static void put_u16(pcapng_sink *p, uint16_t v)
{
    uint8_t b[2];
    dt_pcapng_le16(b, v);
    put(p, b, 2);
}

static void put_u32(pcapng_sink *p, uint32_t v)
{
    uint8_t b[4];
    dt_pcapng_le32(b, v);
    put(p, b, 4);
}

static void put_pad(pcapng_sink *p, size_t n)
{
    static const uint8_t zero[4];
    put(p, zero, DT_PCAPNG_PAD4(n) - n);
}

static void put_opt(pcapng_sink *p, uint16_t code, const void *v, size_t len)
{
    put_u16(p, code);
    put_u16(p, (uint16_t)len);
    put(p, v, len);
    put_pad(p, len);
}

static size_t opt_size(size_t len) { return 4 + DT_PCAPNG_PAD4(len); }

/* Option values longer than an option can hold are cut. */
static size_t opt_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0xfff0 ? 0xfff0 : n;
}

static void write_shb(pcapng_sink *p)
{
    const char *appl = "diagtap " DIAGTAP_VERSION;
    size_t alen = strlen(appl);
    uint32_t total = (uint32_t)(28 + opt_size(alen) + 4);
    put_u32(p, DT_PCAPNG_SHB);
    put_u32(p, total);
    put_u32(p, DT_PCAPNG_BYTE_ORDER_MAGIC);
    put_u16(p, 1);
    put_u16(p, 0);
    put_u32(p, 0xffffffffu); /* section length: unknown */
    put_u32(p, 0xffffffffu);
    put_opt(p, DT_PCAPNG_OPT_SHB_USERAPPL, appl, alen);
    put_u32(p, 0); /* opt_endofopt */
    put_u32(p, total);
}

static void write_idb(pcapng_sink *p, int linktype, const char *name, const char *desc)
{
    size_t nlen = opt_len(name), dlen = opt_len(desc);
    uint8_t tsresol = 9;
    uint32_t total = (uint32_t)(20 + (nlen ? opt_size(nlen) : 0) + (dlen ? opt_size(dlen) : 0) + opt_size(1) + 4);
    put_u32(p, DT_PCAPNG_IDB);
    put_u32(p, total);
    put_u16(p, (uint16_t)linktype);
    put_u16(p, 0);
    put_u32(p, 0); /* snaplen: no limit */
    if (nlen)
        put_opt(p, DT_PCAPNG_OPT_IF_NAME, name, nlen);
    if (dlen)
        put_opt(p, DT_PCAPNG_OPT_IF_DESCRIPTION, desc, dlen);
    put_opt(p, DT_PCAPNG_OPT_IF_TSRESOL, &tsresol, 1);
    put_u32(p, 0);
    put_u32(p, total);
}

static uint32_t *ifslot(pcapng_sink *p, uint32_t id)
{
    if (id >= p->ifmap_len) {
        size_t n = p->ifmap_len ? p->ifmap_len : 8;
        while (n <= id)
            n *= 2;
        uint32_t *m = realloc(p->ifmap, n * sizeof *m);
        if (!m)
            return NULL;
        memset(m + p->ifmap_len, 0, (n - p->ifmap_len) * sizeof *m);
        p->ifmap = m;
        p->ifmap_len = n;
    }
    return &p->ifmap[id];
}

/* The interface index of ch, writing its IDB first if needed. conv names the
 * endpoints of an IPC channel; it may be NULL. Returns -1 on memory failure. */
static int64_t iface(pcapng_sink *p, const dt_channel *ch, const dt_conv_info *conv)
{
    uint32_t *slot = ifslot(p, ch->id);
    if (!slot)
        return -1;
    if (*slot)
        return *slot - 1;
    if (ch->linktype >= 0) {
        write_idb(p, ch->linktype, ch->name, ch->description);
    } else {
        char desc[512];
        snprintf(desc, sizeof desc, "diagtap stream: %s <-> %s", conv && conv->client ? conv->client : "?",
                 conv && conv->server ? conv->server : "?");
        write_idb(p, DT_LINKTYPE_WIRESHARK_UPPER_PDU, ch->name, desc);
    }
    *slot = ++p->n_ifaces;
    return *slot - 1;
}

static void maybe_flush(pcapng_sink *p, uint64_t ts_ns)
{
    if (p->live || ts_ns < p->last_flush_ts || ts_ns - p->last_flush_ts >= FLUSH_NS) {
        flush(p);
        p->last_flush_ts = ts_ns;
    }
}

static void write_epb(pcapng_sink *p, uint32_t ifidx, uint64_t ts_ns, const uint8_t *tags, size_t tlen,
                      const uint8_t *data, size_t caplen, size_t origlen, uint32_t flags)
{
    size_t cap = tlen + caplen;
    uint32_t total = (uint32_t)(28 + DT_PCAPNG_PAD4(cap) + (flags ? opt_size(4) : 0) + 4 + 4);
    uint8_t fl[4];
    put_u32(p, DT_PCAPNG_EPB);
    put_u32(p, total);
    put_u32(p, ifidx);
    put_u32(p, (uint32_t)(ts_ns >> 32));
    put_u32(p, (uint32_t)ts_ns);
    put_u32(p, (uint32_t)cap);
    put_u32(p, (uint32_t)(tlen + origlen));
    put(p, tags, tlen);
    put(p, data, caplen);
    put_pad(p, cap);
    if (flags) {
        dt_pcapng_le32(fl, flags);
        put_opt(p, DT_PCAPNG_OPT_EPB_FLAGS, fl, 4);
    }
    put_u32(p, 0);
    put_u32(p, total);
}

static void pcapng_channel(dt_sink *s, const dt_channel *ch)
{
    pcapng_sink *p = (pcapng_sink *)s;
    if (ch->linktype >= 0 && !p->failed)
        iface(p, ch, NULL); /* IPC channels wait for their first record's endpoints */
}

/* The channel's interface stays in the file; a later channel given the
 * same id gets an interface of its own. */
static void pcapng_channel_release(dt_sink *s, const dt_channel *ch)
{
    pcapng_sink *p = (pcapng_sink *)s;
    if (ch->id < p->ifmap_len)
        p->ifmap[ch->id] = 0;
}

static void pcapng_frame(dt_sink *s, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data, size_t caplen,
                         size_t origlen, uint32_t epb_flags)
{
    pcapng_sink *p = (pcapng_sink *)s;
    if (p->failed || caplen > UINT32_MAX - 64)
        return;
    int64_t idx = iface(p, ch, NULL);
    if (idx < 0)
        return;
    write_epb(p, (uint32_t)idx, ts_ns, NULL, 0, data, caplen, origlen < caplen ? caplen : origlen, epb_flags);
    maybe_flush(p, ts_ns);
}

static void pcapng_stream(dt_sink *s, const dt_conv_info *conv, dt_dir dir, uint64_t ts_ns, const char *proto_name,
                          const uint8_t *data, size_t len)
{
    pcapng_sink *p = (pcapng_sink *)s;
    uint8_t tags[DT_EXP_PDU_TAGS_MAX];
    if (p->failed || !conv || !conv->channel)
        return;
    int64_t idx = iface(p, conv->channel, conv);
    if (idx < 0)
        return;
    size_t tlen = dt_exp_pdu_tags(tags, proto_name ? proto_name : "data", dir);
    /* Wireshark refuses records over 256 KiB: longer PDUs go in pieces. */
    size_t room = DT_PCAPNG_MAX_RECORD - tlen;
    uint32_t flags = dir == DT_DIR_C2S ? DT_EPB_INBOUND : DT_EPB_OUTBOUND;
    do {
        size_t n = len < room ? len : room;
        write_epb(p, (uint32_t)idx, ts_ns, tags, tlen, data, n, n, flags);
        data += n;
        len -= n;
    } while (len);
    maybe_flush(p, ts_ns);
}

static int pcapng_finish(dt_sink *s)
{
    pcapng_sink *p = (pcapng_sink *)s;
    if (p->fd >= 0) {
        flush(p);
        if (close(p->fd) != 0 && errno != EINTR)
            fail(p, errno);
        p->fd = -1;
    }
    return p->failed ? -1 : 0;
}

static void pcapng_destroy(dt_sink *s)
{
    pcapng_sink *p = (pcapng_sink *)s;
    if (p->fd >= 0)
        close(p->fd);
    free(p->ifmap);
    free(p->path);
    free(p);
}

dt_sink *dt_pcapng_sink_new(const char *path, char *err, size_t errsz)
{
    pcapng_sink *p = calloc(1, sizeof *p);
    char *copy = strdup(path);
    if (!p || !copy) {
        snprintf(err, errsz, "%s: out of memory", path);
        free(p);
        free(copy);
        return NULL;
    }
    p->path = copy;
    /* never through a symlink, never another user's file: see core/safe_file.h */
    p->fd = dt_safe_create(path, err, errsz);
    if (p->fd < 0) {
        pcapng_destroy(&p->base);
        return NULL;
    }
    struct stat st;
    p->live = fstat(p->fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    p->base.channel = pcapng_channel;
    p->base.frame = pcapng_frame;
    p->base.stream = pcapng_stream;
    p->base.event = dt_sink_nop_event;
    p->base.finish = pcapng_finish;
    p->base.destroy = pcapng_destroy;
    p->base.channel_release = pcapng_channel_release;
    write_shb(p);
    return &p->base;
}
