#include "sink_util.h"

void dt_sink_nop_channel(dt_sink *s, const dt_channel *ch)
{
    (void)s, (void)ch;
}

void dt_sink_nop_event(dt_sink *s, const dt_event *ev)
{
    (void)s, (void)ev;
}
