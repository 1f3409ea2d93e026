#include "collect.h"

#include <stdio.h>
#include <string.h>

static void on_frame(dt_sink *s, const dt_channel *ch, uint64_t ts, const uint8_t *d, size_t caplen, size_t origlen,
                     uint32_t flags)
{
    (void)ch; (void)ts; (void)d; (void)caplen; (void)origlen; (void)flags;
    ((collect *)s)->frames++;
}

static void on_stream(dt_sink *s, const dt_conv_info *conv, dt_dir dir, uint64_t ts, const char *proto,
                      const uint8_t *d, size_t len)
{
    (void)conv; (void)dir; (void)ts; (void)proto; (void)d;
    ((collect *)s)->stream_bytes += (int)len;
}

static void on_event(dt_sink *s, const dt_event *ev)
{
    collect *c = (collect *)s;
    static const char *const kinds[] = { "PDU", "NOTE", "ERROR", "PENDING" };
    if (ev->conv) {
        snprintf(c->client, sizeof c->client, "%s", ev->conv->client);
        snprintf(c->server, sizeof c->server, "%s", ev->conv->server);
    }
    if (c->n < 256)
        snprintf(c->lines[c->n++], sizeof c->lines[0], "%s %s #%u %s", kinds[ev->kind],
                 ev->dir == DT_DIR_C2S ? "c2s" : "s2c", ev->conv ? ev->conv->id : 0, ev->summary);
}

void collect_init(collect *c)
{
    memset(c, 0, sizeof *c);
    c->sink.frame = on_frame;
    c->sink.stream = on_stream;
    c->sink.event = on_event;
}

int collect_find(const collect *c, int from, const char *text)
{
    for (int i = from < 0 ? 0 : from; i < c->n; i++)
        if (strstr(c->lines[i], text))
            return i;
    return -1;
}

void collect_dump(const collect *c)
{
    for (int i = 0; i < c->n; i++)
        fprintf(stderr, "  [%d] %s\n", i, c->lines[i]);
}
