/* --stats: per protocol and stats key, how many, how fast, which errors, and
 * what was left unanswered; printed as a table when the run finishes.
 * Memory grows with the number of distinct keys, never with events. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "histogram.h"
#include "json_writer.h"
#include "sink_util.h"

#define MAX_STATUSES 8 /* distinct error statuses kept per key; the rest are "other" */
#define MAX_OPEN (1u << 20) /* requests remembered while unanswered (as the engine's pairing) */
#define MAX_CHANNELS 1024   /* channels counted on their own; the rest under "(other)" */
#define MAX_PENDING_LISTED 200 /* unanswered requests listed by name; the rest counted */

typedef struct status_count {
    char *status;
    uint64_t n;
} status_count;

typedef struct entry {
    char *proto;
    char *key;
    uint64_t count;     /* requests and unpaired events */
    uint64_t replies;   /* responses (final and interim) */
    uint64_t errors;
    uint64_t pending;
    dt_hist *latency;   /* allocated at the first measured reply */
    status_count st[MAX_STATUSES];
    size_t n_st;
    uint64_t other_errors;
} entry;

/* An unanswered request: pending events name only its seq, so the key it
 * counts under is remembered here until its response. */
typedef struct open_req {
    uint64_t seq; /* 0: free slot */
    entry *e;
} open_req;

/* Per channel: what came through it. */
typedef struct chan_stats {
    char *name;
    uint64_t events, requests, replies, errors, pending;
    dt_hist latency;
} chan_stats;

/* An unanswered request, for the list at the end. */
typedef struct pending_item {
    char *channel;
    char *summary;
    uint64_t age_ns;
} pending_item;

typedef struct stats_sink {
    dt_sink base;
    FILE *out;
    bool json; /* the HTML report's table: one JSON object instead of text */
    bool reported;
    chan_stats *chans;
    size_t n_chans, cap_chans;
    pending_item pend[MAX_PENDING_LISTED];
    size_t n_pend;
    uint64_t pend_total;
    entry **slots; /* open addressing */
    size_t cap, n;
    open_req *open; /* linear probing, backward-shift deletion */
    size_t open_cap, open_n;
    uint64_t events, notes, engine_errors;
} stats_sink;

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603u;
    for (; *a; a++)
        h = (h ^ (uint8_t)*a) * 1099511628211u;
    h = (h ^ 0xff) * 1099511628211u;
    for (; *b; b++)
        h = (h ^ (uint8_t)*b) * 1099511628211u;
    return h;
}

static bool grow(stats_sink *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    entry **ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < s->cap; i++) {
        entry *e = s->slots[i];
        if (!e)
            continue;
        size_t j = hash2(e->proto, e->key) & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = e;
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return true;
}

static entry *lookup(stats_sink *s, const char *proto, const char *key)
{
    if ((s->n + 1) * 2 > s->cap && !grow(s))
        return NULL;
    size_t j = hash2(proto, key) & (s->cap - 1);
    for (; s->slots[j]; j = (j + 1) & (s->cap - 1)) {
        entry *e = s->slots[j];
        if (!strcmp(e->proto, proto) && !strcmp(e->key, key))
            return e;
    }
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->proto = strdup(proto);
    e->key = strdup(key);
    if (!e->proto || !e->key) {
        free(e->proto);
        free(e->key);
        free(e);
        return NULL;
    }
    s->slots[j] = e;
    s->n++;
    return e;
}

static size_t seq_slot(uint64_t seq, size_t cap) { return (size_t)(seq * 0x9e3779b97f4a7c15u) & (cap - 1); }

static void open_add(stats_sink *s, uint64_t seq, entry *e)
{
    if (!seq || s->open_n >= MAX_OPEN)
        return;
    if ((s->open_n + 1) * 2 > s->open_cap) {
        size_t ncap = s->open_cap ? s->open_cap * 2 : 256;
        open_req *n = calloc(ncap, sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < s->open_cap; i++) {
            if (!s->open[i].seq)
                continue;
            size_t j = seq_slot(s->open[i].seq, ncap);
            while (n[j].seq)
                j = (j + 1) & (ncap - 1);
            n[j] = s->open[i];
        }
        free(s->open);
        s->open = n;
        s->open_cap = ncap;
    }
    size_t j = seq_slot(seq, s->open_cap);
    while (s->open[j].seq && s->open[j].seq != seq)
        j = (j + 1) & (s->open_cap - 1);
    if (!s->open[j].seq)
        s->open_n++;
    s->open[j] = (open_req){ seq, e };
}

/* Removes seq and returns its entry, or NULL. */
static entry *open_take(stats_sink *s, uint64_t seq)
{
    if (!seq || !s->open_n)
        return NULL;
    size_t mask = s->open_cap - 1, j = seq_slot(seq, s->open_cap);
    while (s->open[j].seq && s->open[j].seq != seq)
        j = (j + 1) & mask;
    if (!s->open[j].seq)
        return NULL;
    entry *e = s->open[j].e;
    /* Backward shift: pull later members of the cluster into the hole. */
    for (size_t k = (j + 1) & mask; s->open[k].seq; k = (k + 1) & mask) {
        size_t home = seq_slot(s->open[k].seq, s->open_cap);
        if (((k - home) & mask) >= ((k - j) & mask)) {
            s->open[j] = s->open[k];
            j = k;
        }
    }
    s->open[j].seq = 0;
    s->open_n--;
    return e;
}

static void count_status(entry *e, const char *status)
{
    e->errors++;
    if (!status) {
        e->other_errors++;
        return;
    }
    for (size_t i = 0; i < e->n_st; i++)
        if (!strcmp(e->st[i].status, status)) {
            e->st[i].n++;
            return;
        }
    if (e->n_st < MAX_STATUSES && (e->st[e->n_st].status = strdup(status))) {
        e->st[e->n_st++].n = 1;
        return;
    }
    e->other_errors++;
}

static chan_stats *chan_of(stats_sink *s, const dt_event *ev)
{
    const char *name = ev->conv && ev->conv->channel ? ev->conv->channel->name : ev->input ? ev->input : "(none)";
    for (size_t i = s->n_chans; i-- > 0;) /* few channels; the newest are the busiest */
        if (!strcmp(s->chans[i].name, name))
            return &s->chans[i];
    if (s->n_chans == MAX_CHANNELS)
        name = "(other)";
    if (s->n_chans == s->cap_chans) {
        size_t ncap = s->cap_chans ? s->cap_chans * 2 : 8;
        chan_stats *n = realloc(s->chans, ncap * sizeof *n);
        if (!n)
            return NULL;
        s->chans = n;
        s->cap_chans = ncap;
    }
    chan_stats *c = &s->chans[s->n_chans];
    memset(c, 0, sizeof *c);
    if (!(c->name = strdup(name)))
        return NULL;
    dt_hist_init(&c->latency);
    s->n_chans++;
    return c;
}

static void count_channel(stats_sink *s, const dt_event *ev)
{
    chan_stats *c = chan_of(s, ev);
    if (!c)
        return;
    c->events++;
    if (ev->kind == DT_EV_PENDING) {
        c->pending++;
        s->pend_total++;
        if (s->n_pend < MAX_PENDING_LISTED) {
            pending_item *p = &s->pend[s->n_pend];
            p->channel = strdup(c->name);
            p->summary = strdup(ev->summary ? ev->summary : "");
            p->age_ns = ev->has_latency ? ev->latency_ns : 0;
            if (p->channel && p->summary)
                s->n_pend++;
            else {
                free(p->channel);
                free(p->summary);
            }
        }
        return;
    }
    if (ev->role == DT_ROLE_REQUEST)
        c->requests++;
    if (ev->role == DT_ROLE_RESPONSE) {
        c->replies++;
        if (ev->has_latency)
            dt_hist_add(&c->latency, ev->latency_ns);
    }
    if (ev->is_error || ev->kind == DT_EV_ERROR)
        c->errors++;
}

static void stats_event(dt_sink *sk, const dt_event *ev)
{
    stats_sink *s = (stats_sink *)sk;
    s->events++;
    count_channel(s, ev);
    if (ev->kind == DT_EV_NOTE) {
        s->notes++;
        if (!ev->stats_key) /* a note with a key is counted in its row: a conversation no dissector claims */
            return;
    }
    if (ev->kind == DT_EV_ERROR && !ev->stats_key) {
        s->engine_errors++;
        return;
    }
    if (ev->kind == DT_EV_PENDING) {
        entry *e = ev->stats_key ? NULL : open_take(s, ev->req_seq);
        if (!e)
            e = lookup(s, ev->proto ? ev->proto : "?", ev->stats_key ? ev->stats_key : "(unknown)");
        if (e)
            e->pending++;
        return;
    }
    if (ev->role == DT_ROLE_RESPONSE)
        open_take(s, ev->req_seq);
    if (!ev->stats_key)
        return;
    entry *e = lookup(s, ev->proto ? ev->proto : "?", ev->stats_key);
    if (!e)
        return;
    if (ev->role == DT_ROLE_REQUEST)
        open_add(s, ev->seq, e);
    if (ev->role == DT_ROLE_RESPONSE || ev->role == DT_ROLE_INTERIM) {
        e->replies++;
        if (ev->has_latency && ev->role == DT_ROLE_RESPONSE) {
            if (!e->latency && (e->latency = malloc(sizeof *e->latency)))
                dt_hist_init(e->latency);
            if (e->latency)
                dt_hist_add(e->latency, ev->latency_ns);
        }
    } else {
        e->count++;
    }
    if (ev->is_error || ev->kind == DT_EV_ERROR)
        count_status(e, ev->status);
}

static int by_proto_count(const void *a, const void *b)
{
    const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
    int c = strcmp(x->proto, y->proto);
    if (c)
        return c;
    uint64_t nx = x->count + x->replies, ny = y->count + y->replies;
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(x->key, y->key);
}

enum { COL_PROTO, COL_KEY, COL_COUNT, COL_REPLIES, COL_P50, COL_P95, COL_MAX, COL_ERRORS, COL_PENDING, N_COLS };
static const char *const heads[N_COLS] = { "PROTO", "KEY", "COUNT", "REPLIES", "P50", "P95",
                                           "MAX", "ERRORS", "PENDING" };
#define CELL 96

static void row_cells(const entry *e, char cells[N_COLS][CELL])
{
    snprintf(cells[COL_PROTO], CELL, "%s", e->proto);
    snprintf(cells[COL_KEY], CELL, "%s", e->key);
    snprintf(cells[COL_COUNT], CELL, "%llu", (unsigned long long)e->count);
    snprintf(cells[COL_REPLIES], CELL, "%llu", (unsigned long long)e->replies);
    if (e->latency && e->latency->n) {
        dt_fmt_duration(dt_hist_percentile(e->latency, 50), cells[COL_P50], CELL);
        dt_fmt_duration(dt_hist_percentile(e->latency, 95), cells[COL_P95], CELL);
        dt_fmt_duration(e->latency->max, cells[COL_MAX], CELL);
    } else {
        strcpy(cells[COL_P50], "-");
        strcpy(cells[COL_P95], "-");
        strcpy(cells[COL_MAX], "-");
    }
    snprintf(cells[COL_ERRORS], CELL, "%llu", (unsigned long long)e->errors);
    snprintf(cells[COL_PENDING], CELL, "%llu", (unsigned long long)e->pending);
}

static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((uint8_t)*s & 0xc0) != 0x80;
    return n;
}

static void put_row(FILE *f, char cells[N_COLS][CELL], const size_t *w)
{
    for (int c = 0; c < N_COLS; c++) {
        size_t n = columns(cells[c]), gap = w[c] > n ? w[c] - n : 0;
        if (c > COL_KEY) /* numbers right-aligned */
            fprintf(f, "%*s%s", (int)gap, "", cells[c]);
        else
            fprintf(f, "%s%*s", cells[c], c == N_COLS - 1 ? 0 : (int)gap, "");
        fputs(c == N_COLS - 1 ? "" : "  ", f);
    }
}

static void put_statuses(FILE *f, const entry *e)
{
    const char *sep = "  ";
    for (size_t i = 0; i < e->n_st; i++) {
        fprintf(f, "%s%s×%llu", sep, e->st[i].status, (unsigned long long)e->st[i].n);
        sep = ", ";
    }
    if (e->other_errors)
        fprintf(f, "%sother×%llu", sep, (unsigned long long)e->other_errors);
}

enum { CH_NAME, CH_EVENTS, CH_REQUESTS, CH_REPLIES, CH_P50, CH_P95, CH_MAX, CH_ERRORS, CH_PENDING, N_CH_COLS };
static const char *const ch_heads[N_CH_COLS] = { "CHANNEL", "EVENTS", "REQUESTS", "REPLIES", "P50",
                                                 "P95", "MAX", "ERRORS", "PENDING" };

static void chan_cells(const chan_stats *c, char cells[N_COLS][CELL])
{
    snprintf(cells[CH_NAME], CELL, "%s", c->name);
    snprintf(cells[CH_EVENTS], CELL, "%llu", (unsigned long long)c->events);
    snprintf(cells[CH_REQUESTS], CELL, "%llu", (unsigned long long)c->requests);
    snprintf(cells[CH_REPLIES], CELL, "%llu", (unsigned long long)c->replies);
    if (c->latency.n) {
        dt_fmt_duration(dt_hist_percentile(&c->latency, 50), cells[CH_P50], CELL);
        dt_fmt_duration(dt_hist_percentile(&c->latency, 95), cells[CH_P95], CELL);
        dt_fmt_duration(c->latency.max, cells[CH_MAX], CELL);
    } else {
        strcpy(cells[CH_P50], "-");
        strcpy(cells[CH_P95], "-");
        strcpy(cells[CH_MAX], "-");
    }
    snprintf(cells[CH_ERRORS], CELL, "%llu", (unsigned long long)c->errors);
    snprintf(cells[CH_PENDING], CELL, "%llu", (unsigned long long)c->pending);
}

/* The per-channel table (when more than one channel spoke) and the
 * unanswered requests of every channel, oldest first. */
static void put_channels_text(stats_sink *s, FILE *f)
{
    char cells[N_COLS][CELL];
    size_t w[N_COLS];
    if (s->n_chans > 1) {
        for (int c = 0; c < N_CH_COLS; c++)
            w[c] = strlen(ch_heads[c]);
        for (size_t i = 0; i < s->n_chans; i++) {
            chan_cells(&s->chans[i], cells);
            for (int c = 0; c < N_CH_COLS; c++)
                if (columns(cells[c]) > w[c])
                    w[c] = columns(cells[c]);
        }
        putc('\n', f);
        for (int c = 0; c < N_CH_COLS; c++)
            fprintf(f, c ? "  %*s" : "%-*s", (int)w[c], ch_heads[c]);
        putc('\n', f);
        for (size_t i = 0; i < s->n_chans; i++) {
            chan_cells(&s->chans[i], cells);
            for (int c = 0; c < N_CH_COLS; c++) {
                size_t n = columns(cells[c]), gap = w[c] > n ? w[c] - n : 0;
                if (c)
                    fprintf(f, "  %*s%s", (int)gap, "", cells[c]);
                else
                    fprintf(f, "%s%*s", cells[c], (int)gap, "");
            }
            putc('\n', f);
        }
    }
    if (s->pend_total) {
        char age[32];
        fprintf(f, "\nunanswered requests (%llu), every channel:\n", (unsigned long long)s->pend_total);
        for (size_t i = 0; i < s->n_pend; i++) {
            dt_fmt_duration(s->pend[i].age_ns, age, sizeof age);
            fprintf(f, "  %10s  %s  %s\n", age, s->pend[i].channel, s->pend[i].summary);
        }
        if (s->pend_total > s->n_pend)
            fprintf(f, "  ... and %llu more\n", (unsigned long long)(s->pend_total - s->n_pend));
    }
}

static int by_age(const void *a, const void *b)
{
    const pending_item *x = a, *y = b;
    return x->age_ns < y->age_ns ? 1 : x->age_ns > y->age_ns ? -1 : 0;
}

/* {"heads":[...],"rows":[[cells..., "statuses"]], "totals":{...},
 *  "channel_heads":[...], "channels":[[...]], "pending":[[age_ns, channel, summary]], "pending_total":N} */
static void put_json(stats_sink *s, entry **rows, size_t n)
{
    dt_jw w = { .script_safe = true };
    char cells[N_COLS][CELL];
    dt_jw_init(&w, s->out);
    dt_jw_begin_object(&w);
    dt_jw_key(&w, "heads");
    dt_jw_begin_array(&w);
    for (int c = 0; c < N_COLS; c++)
        dt_jw_cstr(&w, heads[c]);
    dt_jw_cstr(&w, "ERROR STATUSES");
    dt_jw_end_array(&w);
    dt_jw_key(&w, "rows");
    dt_jw_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        char st[1024];
        size_t o = 0;
        row_cells(rows[i], cells);
        dt_jw_begin_array(&w);
        for (int c = 0; c < N_COLS; c++)
            dt_jw_cstr(&w, cells[c]);
        st[0] = '\0';
        for (size_t k = 0; k < rows[i]->n_st && o < sizeof st; k++)
            o += (size_t)snprintf(st + o, sizeof st - o, "%s%s×%llu", k ? ", " : "", rows[i]->st[k].status,
                                  (unsigned long long)rows[i]->st[k].n);
        if (rows[i]->other_errors && o < sizeof st)
            snprintf(st + o, sizeof st - o, "%sother×%llu", o ? ", " : "", (unsigned long long)rows[i]->other_errors);
        dt_jw_cstr(&w, st);
        dt_jw_end_array(&w);
    }
    dt_jw_end_array(&w);
    dt_jw_key(&w, "totals");
    dt_jw_begin_object(&w);
    dt_jw_key(&w, "events");
    dt_jw_uint(&w, s->events);
    dt_jw_key(&w, "notes");
    dt_jw_uint(&w, s->notes);
    dt_jw_key(&w, "input_errors");
    dt_jw_uint(&w, s->engine_errors);
    dt_jw_end_object(&w);
    dt_jw_key(&w, "channel_heads");
    dt_jw_begin_array(&w);
    for (int c = 0; c < N_CH_COLS; c++)
        dt_jw_cstr(&w, ch_heads[c]);
    dt_jw_end_array(&w);
    dt_jw_key(&w, "channels");
    dt_jw_begin_array(&w);
    for (size_t i = 0; i < s->n_chans; i++) {
        chan_cells(&s->chans[i], cells);
        dt_jw_begin_array(&w);
        for (int c = 0; c < N_CH_COLS; c++)
            dt_jw_cstr(&w, cells[c]);
        dt_jw_end_array(&w);
    }
    dt_jw_end_array(&w);
    dt_jw_key(&w, "pending");
    dt_jw_begin_array(&w);
    for (size_t i = 0; i < s->n_pend; i++) {
        dt_jw_begin_array(&w);
        dt_jw_uint(&w, s->pend[i].age_ns);
        dt_jw_cstr(&w, s->pend[i].channel);
        dt_jw_cstr(&w, s->pend[i].summary);
        dt_jw_end_array(&w);
    }
    dt_jw_end_array(&w);
    dt_jw_key(&w, "pending_total");
    dt_jw_uint(&w, s->pend_total);
    dt_jw_end_object(&w);
    dt_jw_flush(&w);
}

static int stats_finish(dt_sink *sk)
{
    stats_sink *s = (stats_sink *)sk;
    FILE *f = s->out;
    entry **rows = malloc((s->n ? s->n : 1) * sizeof *rows);
    size_t n = 0;
    if (!rows) {
        fputs("diagtap: statistics: out of memory\n", stderr);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            rows[n++] = s->slots[i];
    qsort(rows, n, sizeof *rows, by_proto_count);
    qsort(s->pend, s->n_pend, sizeof s->pend[0], by_age);
    if (s->json) {
        put_json(s, rows, n);
        free(rows);
        fflush(f);
        return dt_sink_file_status(f, &s->reported, "statistics");
    }

    char cells[N_COLS][CELL];
    size_t w[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        w[c] = strlen(heads[c]);
    for (size_t i = 0; i < n; i++) {
        row_cells(rows[i], cells);
        for (int c = 0; c < N_COLS; c++)
            if (columns(cells[c]) > w[c])
                w[c] = columns(cells[c]);
    }
    for (int c = 0; c < N_COLS; c++)
        snprintf(cells[c], CELL, "%s", heads[c]);
    put_row(f, cells, w);
    fputs("  ERROR STATUSES\n", f);
    for (size_t i = 0; i < n; i++) {
        row_cells(rows[i], cells);
        put_row(f, cells, w);
        put_statuses(f, rows[i]);
        putc('\n', f);
    }
    fprintf(f, "%llu events, %llu notes, %llu input errors\n", (unsigned long long)s->events,
            (unsigned long long)s->notes, (unsigned long long)s->engine_errors);
    put_channels_text(s, f);
    free(rows);
    fflush(f);
    return dt_sink_file_status(f, &s->reported, "statistics");
}

static void stats_destroy(dt_sink *sk)
{
    stats_sink *s = (stats_sink *)sk;
    for (size_t i = 0; i < s->cap; i++) {
        entry *e = s->slots[i];
        if (!e)
            continue;
        for (size_t k = 0; k < e->n_st; k++)
            free(e->st[k].status);
        free(e->latency);
        free(e->proto);
        free(e->key);
        free(e);
    }
    for (size_t i = 0; i < s->n_chans; i++)
        free(s->chans[i].name);
    free(s->chans);
    for (size_t i = 0; i < s->n_pend; i++) {
        free(s->pend[i].channel);
        free(s->pend[i].summary);
    }
    free(s->slots);
    free(s->open);
    free(s);
}

dt_sink *dt_stats_sink_new(FILE *out)
{
    stats_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.channel = dt_sink_nop_channel;
    s->base.event = stats_event;
    s->base.finish = stats_finish;
    s->base.destroy = stats_destroy;
    s->out = out;
    return &s->base;
}

dt_sink *dt_stats_sink_new_json(FILE *out)
{
    dt_sink *sk = dt_stats_sink_new(out);
    if (sk)
        ((stats_sink *)sk)->json = true;
    return sk;
}
