#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/platform.h"
#include "linktype.h"
#include "replay.h"
#include "source.h"
#include "stopsig.h"

typedef struct input {
    dt_source *src;
    const char *path;
    const dt_channel **chan;  /* by interface index, created on first use */
    size_t n_chan;
    dt_packet pkt;
    bool has;                 /* pkt holds the next packet to feed */
} input;

struct dt_replay {
    dt_engine *eng;
    dt_netdec *nd;
    dt_replay_opts o;
    uint64_t last_ts;
    uint64_t packets;
    /* progress */
    uint64_t total_size;
    uint64_t done_size;       /* of inputs already finished */
    struct timespec last_shown;
    bool shown;
    bool stopped;
};

dt_replay *dt_replay_new(dt_engine *e, const dt_registry *reg, const dt_replay_opts *o)
{
    dt_replay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->eng = e;
    if (o)
        r->o = *o;
    if (!r->o.errors)
        r->o.errors = stderr;
    r->nd = dt_netdec_new(e, reg, r->o.limits);
    if (!r->nd) {
        free(r);
        return NULL;
    }
    return r;
}

static const char *base_name(const char *p)
{
    const char *s = dt_path_base(p);
    return *s ? s : p;
}

static const dt_channel *channel_for(dt_replay *r, input *in, uint32_t idx)
{
    if (idx >= in->n_chan) {
        size_t n = in->n_chan ? in->n_chan : 4;
        while (n <= idx)
            n *= 2;
        const dt_channel **c = realloc(in->chan, n * sizeof *c);
        if (!c)
            return NULL;
        memset(c + in->n_chan, 0, (n - in->n_chan) * sizeof *c);
        in->chan = c;
        in->n_chan = n;
    }
    if (in->chan[idx])
        return in->chan[idx];
    const dt_source_iface *f = dt_source_iface_at(in->src, idx);
    if (!f)
        return NULL;
    char name[512];
    if (r->o.channel && dt_source_n_ifaces(in->src) > 1)
        snprintf(name, sizeof name, "%s#%u", r->o.channel, idx);
    else if (r->o.channel)
        snprintf(name, sizeof name, "%s", r->o.channel);
    else if (f->name && f->name[0])
        snprintf(name, sizeof name, "%s", f->name);
    else if (dt_source_n_ifaces(in->src) > 1)
        snprintf(name, sizeof name, "%s#%u", base_name(in->path), idx);
    else
        snprintf(name, sizeof name, "%s", base_name(in->path));
    bool stream = f->linktype == DT_LINKTYPE_UPPER_PDU || f->linktype == DT_LINKTYPE_NETTRACE;
    in->chan[idx] = dt_engine_channel(r->eng, name, f->description, stream ? -1 : f->linktype);
    return in->chan[idx];
}

static void progress(dt_replay *r, input *ins, int n, bool final)
{
    if (!r->o.progress || r->total_size < DT_REPLAY_PROGRESS_MIN)
        return;
    if (final) {
        if (r->shown)
            fprintf(r->o.progress, "\r\033[K");
        fflush(r->o.progress);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - r->last_shown.tv_sec) + (double)(now.tv_nsec - r->last_shown.tv_nsec) / 1e9;
    if (r->shown && dt < 0.25)
        return;
    uint64_t pos = r->done_size;
    for (int i = 0; i < n; i++)
        if (ins[i].src)
            pos += dt_source_file_pos(ins[i].src);
    fprintf(r->o.progress, "\rdiagtap: reading %3.0f%% (%llu MiB of %llu MiB, %llu packets)",
            100.0 * (double)pos / (double)r->total_size, (unsigned long long)(pos >> 20),
            (unsigned long long)(r->total_size >> 20), (unsigned long long)r->packets);
    fflush(r->o.progress);
    r->last_shown = now;
    r->shown = true;
}

/* Moves in to its next packet; on end or fault the input is closed. */
static int advance(dt_replay *r, input *in)
{
    int rc = dt_source_next(in->src, &in->pkt);
    if (rc == 1) {
        in->has = true;
        return 0;
    }
    in->has = false;
    if (rc < 0)
        fprintf(r->o.errors, "diagtap: %s\n", dt_source_error(in->src));
    r->done_size += dt_source_file_size(in->src);
    dt_source_close(in->src);
    in->src = NULL;
    return rc < 0 ? -1 : 0;
}

int dt_replay_files(dt_replay *r, char *const *paths, int n)
{
    int rc = 0;
    input *ins = calloc((size_t)n, sizeof *ins);
    if (!ins) {
        fprintf(r->o.errors, "diagtap: out of memory\n");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char err[640];
        ins[i].path = paths[i];
        ins[i].src = dt_source_open(paths[i], err, sizeof err);
        if (!ins[i].src) {
            fprintf(r->o.errors, "diagtap: %s\n", err);
            rc = -1;
            continue;
        }
        r->total_size += dt_source_file_size(ins[i].src);
    }
    for (int i = 0; i < n; i++)
        if (ins[i].src && advance(r, &ins[i]) < 0)
            rc = -1;
    const char *cur_input = NULL;
    for (;;) {
        input *best = NULL;
        for (int i = 0; i < n; i++)
            if (ins[i].has && (!best || ins[i].pkt.ts_ns < best->pkt.ts_ns))
                best = &ins[i];
        if (!best)
            break;
        const dt_packet *p = &best->pkt;
        const dt_channel *ch = channel_for(r, best, p->iface);
        const dt_source_iface *f = dt_source_iface_at(best->src, p->iface);
        if (ch && f) {
            if (cur_input != best->path) {
                cur_input = best->path;
                dt_engine_set_input(r->eng, base_name(cur_input));
            }
            if (p->ts_ns > r->last_ts)
                r->last_ts = p->ts_ns;
            dt_netdec_packet(r->nd, ch, f->linktype, p->ts_ns, p->data, p->caplen, p->origlen, p->epb_flags);
        }
        r->packets++;
        if ((r->packets & 4095) == 0) {
            progress(r, ins, n, false);
            if (r->o.stop_fd && dt_stopsig_pending(*r->o.stop_fd)) {
                r->stopped = true; /* what was read is finished and flushed as usual */
                break;
            }
        }
        if (advance(r, best) < 0)
            rc = -1;
    }
    progress(r, ins, n, true);
    for (int i = 0; i < n; i++) {
        dt_source_close(ins[i].src);
        free(ins[i].chan);
    }
    free(ins);
    return rc;
}

void dt_replay_finish(dt_replay *r) { dt_netdec_finish(r->nd, r->last_ts); }
uint64_t dt_replay_last_ts(const dt_replay *r) { return r->last_ts; }
uint64_t dt_replay_packets(const dt_replay *r) { return r->packets; }
bool dt_replay_stopped(const dt_replay *r) { return r->stopped; }

void dt_replay_free(dt_replay *r)
{
    if (!r)
        return;
    dt_netdec_free(r->nd);
    free(r);
}
