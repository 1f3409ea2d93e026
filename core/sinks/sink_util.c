#include "sink_util.h"

void dt_sink_nop_channel(dt_sink *s, const dt_channel *ch)
{
    (void)s, (void)ch;
}

void dt_sink_nop_frame(dt_sink *s, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data, size_t caplen,
                       size_t origlen, uint32_t epb_flags)
{
    (void)s, (void)ch, (void)ts_ns, (void)data, (void)caplen, (void)origlen, (void)epb_flags;
}

void dt_sink_nop_event(dt_sink *s, const dt_event *ev)
{
    (void)s, (void)ev;
}
