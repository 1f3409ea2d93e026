/* A .nettrace file as a source: 64 KiB chunks of one byte stream. The file
 * carries its own clock, which the nettrace dissector reads; the chunks are
 * stamped with the file's modification time. */
#include "linktype.h"
#include "source_impl.h"

#define NETTRACE_CHUNK (64u * 1024u)

int dt_nettrace_open(dt_source *s, char *err, size_t errsz)
{
    dt_source_iface *f = dt_src_add_iface(s);
    if (!f || !dt_src_reserve(s, NETTRACE_CHUNK)) {
        snprintf(err, errsz, "%s: out of memory", s->display);
        return -1;
    }
    f->linktype = DT_LINKTYPE_NETTRACE;
    return 0;
}

int dt_nettrace_next(dt_source *s, dt_packet *p)
{
    if (s->fail_next) {
        s->state = -1;
        return -1;
    }
    size_t got;
    const char *why;
    uint64_t at = s->pos;
    dt_src_read(s, s->buf, NETTRACE_CHUNK, &got, &why);
    if (why) {
        dt_src_fail(s, at + got, "%s", why);
        if (got == 0)
            return -1;
        s->state = 1; /* deliver what was read, then fail */
        s->fail_next = true;
    } else if (got == 0) {
        s->state = 0;
        return 0;
    }
    p->iface = 0;
    p->ts_ns = s->mtime_ns;
    p->data = s->buf;
    p->caplen = p->origlen = (uint32_t)got;
    p->epb_flags = 0;
    p->offset = at;
    return 1;
}
