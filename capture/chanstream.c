/* Channels that carry one byte stream rather than network frames: diagtap's
 * recorded IPC streams (LINKTYPE_WIRESHARK_UPPER_PDU, one conversation per
 * interface) and .nettrace files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linktype.h"
#include "netdec_impl.h"

#define EXP_PDU_TAG_END_OF_OPT 0
#define EXP_PDU_TAG_DISSECTOR_NAME 12
#define STREAM_PREFIX "diagtap stream: "
#define STREAM_SEP " <-> "

/* One heap object per channel: the engine may keep pointers to its text. */
static dt_chan_conv *chan_state(dt_netdec *d, const dt_channel *ch)
{
    if (ch->id >= d->n_chan) {
        size_t n = d->n_chan ? d->n_chan : 8;
        while (n <= ch->id)
            n *= 2;
        dt_chan_conv **c = realloc(d->chan, n * sizeof *c);
        if (!c)
            return NULL;
        memset(c + d->n_chan, 0, (n - d->n_chan) * sizeof *c);
        d->chan = c;
        d->n_chan = n;
    }
    if (!d->chan[ch->id])
        d->chan[ch->id] = calloc(1, sizeof(dt_chan_conv));
    return d->chan[ch->id];
}

/* "diagtap stream: CLIENT <-> SERVER" */
static void parse_ends(const char *desc, char *client, size_t csz, char *server, size_t ssz)
{
    snprintf(client, csz, "client");
    snprintf(server, ssz, "server");
    size_t pl = strlen(STREAM_PREFIX);
    if (!desc || strncmp(desc, STREAM_PREFIX, pl) != 0)
        return;
    const char *c = desc + pl;
    const char *sep = strstr(c, STREAM_SEP);
    if (!sep)
        return;
    snprintf(client, csz, "%.*s", (int)(sep - c), c);
    snprintf(server, ssz, "%s", sep + strlen(STREAM_SEP));
}

static dt_conv *open_stream(dt_netdec *d, dt_chan_conv *cc, const dt_channel *ch, uint64_t ts, const char *client,
                            const char *server, const char *dissector, bool whole_file)
{
    cc->opened = true;
    dt_conv_params p = {
        .channel = ch,
        .transport = DT_CONV_STREAM,
        .client = client,
        .server = server,
        .dissector = dissector,
        .show_undecoded = true,
        .whole_file = whole_file,
        .ts_ns = ts,
    };
    cc->conv = dt_engine_conv_open(d->eng, &p);
    return cc->conv;
}

void dt_chan_upper_pdu(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len,
                       uint32_t epb_flags)
{
    dt_chan_conv *cc = chan_state(d, ch);
    if (!cc)
        return;
    char name[64] = "";
    size_t off = 0;
    for (;;) {
        if (len - off < 4)
            return; /* no end-of-options tag: not a usable record */
        uint16_t tag = (uint16_t)(p[off] << 8 | p[off + 1]);
        size_t tlen = (size_t)(p[off + 2] << 8 | p[off + 3]);
        off += 4;
        if (tag == EXP_PDU_TAG_END_OF_OPT)
            break;
        if (tlen > len - off)
            return;
        if (tag == EXP_PDU_TAG_DISSECTOR_NAME) {
            size_t n = strnlen((const char *)p + off, tlen);
            snprintf(name, sizeof name, "%.*s", (int)n, (const char *)p + off);
        }
        size_t padded = (tlen + 3u) & ~(size_t)3u;
        off += padded <= len - off ? padded : tlen;
    }
    if (!cc->opened) {
        const char *dissector = NULL;
        if (name[0] && strcmp(name, "data") != 0 && (!d->reg || dt_registry_find(d->reg, name))) {
            snprintf(cc->dissector, sizeof cc->dissector, "%s", name);
            dissector = cc->dissector;
        }
        parse_ends(ch->description, cc->client, sizeof cc->client, cc->server, sizeof cc->server);
        open_stream(d, cc, ch, ts, cc->client, cc->server, dissector, false);
    }
    if (!cc->conv || off == len)
        return;
    dt_dir dir = (epb_flags & 3u) == 2u ? DT_DIR_S2C : DT_DIR_C2S;
    dt_engine_stream(d->eng, cc->conv, dir, ts, p + off, len - off);
}

void dt_chan_nettrace(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len)
{
    dt_chan_conv *cc = chan_state(d, ch);
    if (!cc)
        return;
    if (!cc->opened)
        open_stream(d, cc, ch, ts, "tool", "runtime", "nettrace", true); /* the runtime streams the trace */
    if (cc->conv && len)
        dt_engine_stream(d->eng, cc->conv, DT_DIR_S2C, ts, p, len);
}
