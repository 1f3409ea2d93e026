/* --stats: per protocol and stats key, how many, how fast, which errors, and
 * what was left unanswered; printed as a table when the run finishes.
 * Memory grows with the number of distinct keys, never with events. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "histogram.h"
#include "sink_util.h"

#define MAX_STATUSES 8 /* distinct error statuses kept per key; the rest are "other" */
#define MAX_OPEN (1u << 20) /* requests remembered while unanswered (as the engine's pairing) */

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

typedef struct stats_sink {
    dt_sink base;
    FILE *out;
    bool reported;
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

static void stats_event(dt_sink *sk, const dt_event *ev)
{
    stats_sink *s = (stats_sink *)sk;
    s->events++;
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
    s->base.frame = dt_sink_nop_frame;
    s->base.stream = dt_sink_nop_stream;
    s->base.event = stats_event;
    s->base.finish = stats_finish;
    s->base.destroy = stats_destroy;
    s->out = out;
    return &s->base;
}
