/* The engine session behind the plugin's conversations. */
#include "run.h"

#include <stdlib.h>
#include <string.h>

#include "core/engine.h"

struct dtws_run {
    dt_conv *conv;
    const dt_dissector *d;
    void *scratch; /* copy of the conversation state the framer may scribble on */
};

typedef struct collect_sink {
    dt_sink base;
    dtws_event_fn fn;
    void *user;
} collect_sink;

static dt_engine *engine;
static collect_sink sink;
static dtws_run **runs;
static size_t n_runs, cap_runs;

static void sink_event(dt_sink *s, const dt_event *ev)
{
    collect_sink *c = (collect_sink *)s;
    if (c->fn)
        c->fn(c->user, ev);
}

bool dtws_session_start(dt_registry *reg, const char *const *options, bool show_credentials)
{
    dtws_session_end();
    engine = dt_engine_new(reg);
    if (!engine)
        return false;
    memset(&sink, 0, sizeof sink);
    sink.base.event = sink_event;
    dt_engine_add_sink(engine, &sink.base);
    for (; options && options[0] && options[1]; options += 2)
        dt_engine_set_option(engine, options[0], options[1]);
    dt_engine_set_show_credentials(engine, show_credentials);
    return true;
}

bool dtws_session_active(void) { return engine != NULL; }

void dtws_session_end(void)
{
    if (!engine)
        return;
    dt_engine_free(engine); /* frees the conversations too */
    engine = NULL;
    for (size_t i = 0; i < n_runs; i++) {
        free(runs[i]->scratch);
        free(runs[i]);
    }
    free(runs);
    runs = NULL;
    n_runs = cap_runs = 0;
}

dtws_run *dtws_run_new(const dt_dissector *d, const char *client, const char *server)
{
    if (!engine)
        return NULL;
    if (n_runs == cap_runs) {
        size_t cap = cap_runs ? cap_runs * 2 : 16;
        dtws_run **nr = realloc(runs, cap * sizeof *nr);
        if (!nr)
            return NULL;
        runs = nr;
        cap_runs = cap;
    }
    dtws_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    /* A datagram conversation with the dissector forced: every chunk handed
     * to the engine is one whole PDU, decoded as is. */
    dt_conv_params p = { .transport = DT_CONV_UDP, .client = client && *client ? client : "client",
                        .server = server && *server ? server : "server", .dissector = d->name };
    r->conv = dt_engine_conv_open(engine, &p);
    r->d = d;
    if (!r->conv || (d->conv_size && !(r->scratch = malloc(d->conv_size)))) {
        free(r);
        return NULL;
    }
    runs[n_runs++] = r;
    return r;
}

long dtws_run_frame(dtws_run *r, dt_dir dir, const uint8_t *data, size_t avail)
{
    if (!r->d->frame)
        return (long)avail;
    void *state = dt_engine_conv_state(r->conv);
    if (state && r->scratch) {
        memcpy(r->scratch, state, r->d->conv_size);
        state = r->scratch;
    }
    return r->d->frame(state, dir, data, avail);
}

void dtws_run_pdu(dtws_run *r, dt_dir dir, uint64_t ts_ns, const uint8_t *pdu, size_t len, dtws_event_fn ev_fn,
                  void *user)
{
    /* diagtap's engine runs the framer on the real state before each PDU it
     * dissects (a framer may track where the stream is); so do we. */
    if (r->d->frame && len)
        (void)r->d->frame(dt_engine_conv_state(r->conv), dir, pdu, len);
    sink.fn = ev_fn;
    sink.user = user;
    dt_engine_datagram(engine, r->conv, dir, ts_ns, pdu, len);
    sink.fn = NULL;
    sink.user = NULL;
}
