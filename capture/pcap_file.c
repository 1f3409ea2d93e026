/* Classic pcap files through libpcap, reading through zread with fopencookie
 * so that .pcap.gz works the same. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "linktype.h"
#include "source_impl.h"

#define PCAP_FILE_HEADER 24u
#define PCAP_RECORD_HEADER 16u

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
    dt_source *s = cookie;
    ssize_t r = dt_zread_read(&s->z, buf, size);
    if (r < 0 && s->z.truncated)
        return 0; /* libpcap then names the record cut short */
    if (r < 0)
        errno = EIO; /* libpcap says so; dt_pcap_next gives the reason */
    return r;
}

static int cookie_close(void *cookie)
{
    (void)cookie; /* the gzFile is closed by dt_source_close */
    return 0;
}

int dt_pcap_open(dt_source *s, char *err, size_t errsz)
{
    cookie_io_functions_t io = { .read = cookie_read, .close = cookie_close };
    s->cookie = fopencookie(s, "r", io);
    if (!s->cookie) {
        snprintf(err, errsz, "%s: cannot set up reading", s->display);
        return -1;
    }
    char perr[PCAP_ERRBUF_SIZE] = "";
    s->pcap = pcap_fopen_offline_with_tstamp_precision(s->cookie, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!s->pcap) {
        fclose(s->cookie);
        s->cookie = NULL;
        snprintf(err, errsz, "%s: offset 0: %s", s->display, perr);
        return -1;
    }
    s->cookie = NULL; /* pcap_close fcloses it */
    dt_source_iface *f = dt_src_add_iface(s);
    if (!f) {
        snprintf(err, errsz, "%s: out of memory", s->display);
        return -1;
    }
    f->linktype = dt_dlt_to_linktype(pcap_datalink(s->pcap));
    f->snaplen = (uint32_t)pcap_snapshot(s->pcap);
    s->pos = PCAP_FILE_HEADER;
    return 0;
}

int dt_pcap_next(dt_source *s, dt_packet *p)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(s->pcap, &h, &data);
    if (r == PCAP_ERROR_BREAK) {
        s->state = 0;
        return 0;
    }
    if (r != 1) {
        const char *why = dt_zread_error(&s->z);
        if (why && s->z.truncated)
            return dt_src_fail(s, s->pos, "%s (gzip: %s)", pcap_geterr(s->pcap), why);
        if (why)
            return dt_src_fail(s, s->pos, "%s%s", s->z.gzip ? "gzip: " : "", why);
        return dt_src_fail(s, s->pos, "%s", pcap_geterr(s->pcap));
    }
    memset(p, 0, sizeof *p);
    p->iface = 0;
    p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
    p->data = data;
    p->caplen = h->caplen;
    p->origlen = h->len;
    p->offset = s->pos;
    s->pos += PCAP_RECORD_HEADER + h->caplen;
    return 1;
}

void dt_pcap_close(dt_source *s)
{
    if (s->pcap)
        pcap_close(s->pcap);
    s->pcap = NULL;
    if (s->cookie)
        fclose(s->cookie);
    s->cookie = NULL;
}
