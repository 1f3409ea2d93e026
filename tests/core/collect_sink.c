#include "collect_sink.h"

#include <stdio.h>
#include <string.h>

static void on_event(dt_sink *base, const dt_event *ev)
{
    collect_sink *s = (collect_sink *)base;
    if (s->n == COLLECT_MAX)
        return;
    collected *c = &s->ev[s->n++];
    memset(c, 0, sizeof *c);
    c->kind = ev->kind;
    c->role = ev->role;
    c->dir = ev->dir;
    c->seq = ev->seq;
    c->req_seq = ev->req_seq;
    c->latency_ns = ev->latency_ns;
    c->raw_offset = ev->raw_offset;
    c->has_latency = ev->has_latency;
    c->malformed = ev->malformed;
    c->ts_ns = ev->ts_ns;
    snprintf(c->proto, sizeof c->proto, "%s", ev->proto);
    snprintf(c->summary, sizeof c->summary, "%s", ev->summary);
    if (ev->fields && ev->fields->def->type == DT_FT_STRING)
        snprintf(c->first_field, sizeof c->first_field, "%s=%s", ev->fields->def->abbrev, ev->fields->v.s.ptr);
}

static void on_stream(dt_sink *base, const dt_conv_info *conv, dt_dir dir, uint64_t ts, const char *proto,
                      const uint8_t *data, size_t len)
{
    (void)conv;
    (void)ts;
    (void)proto;
    collect_sink *s = (collect_sink *)base;
    if (s->stream_len[dir] + len <= sizeof s->stream[dir]) {
        memcpy(s->stream[dir] + s->stream_len[dir], data, len);
        s->stream_len[dir] += len;
    }
}

static int on_finish(dt_sink *base)
{
    ((collect_sink *)base)->finished++;
    return 0;
}

void collect_sink_init(collect_sink *s)
{
    memset(s, 0, sizeof *s);
    s->base.event = on_event;
    s->base.stream = on_stream;
    s->base.finish = on_finish;
}
