/* The ClickHouse sink (docs/fleet.md).
 *
 * The thread that decodes (capture, relay, replay) only appends a row to the
 * open batch under a mutex. A sealed batch goes to a bounded in-memory queue
 * that a sender thread posts to ClickHouse; when the queue is full, or
 * anything is already spooled, it goes to a file in the spool instead, so
 * that batches are always sent in the order they were sealed: the queue
 * first (it only holds batches older than any spool file of this run), then
 * the spool oldest first. A batch whose send failed in a way that may have
 * landed (a timeout, a reset, a 5xx) is counted on the server before it is
 * sent again: rows carry (host, run_id, batch), and a batch stays within one
 * day partition, so ClickHouse 18.16 stores it as one part, all or nothing. */
#include "clickhouse.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ch_http.h"
#include "ch_spool.h"
#include "ch_url.h"
#include "core/sinks/format.h"
#include "core/sinks/sink_util.h"

typedef struct ch_sink {
    dt_sink base;
    dt_ch_config cfg;
    dt_ch_url url;
    FILE *log;
    char host[256];
    dt_ch_http *http;
    dt_ch_spool *spool;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t mu;
    pthread_cond_t wake; /* the sender: work, a stop, an open batch to age */
    dt_ch_row_ctx rc;    /* encoder scratch, used under mu */
    dt_ch_batch *open;
    uint32_t open_day;
    dt_ch_batch *q_head, *q_tail;
    uint32_t q_len;
    dt_ch_batch *free_list;
    bool spooling;          /* new batches go to the spool until it is drained */
    uint32_t spool_writing; /* spool files being written right now */
    uint64_t spool_writes;  /* spool files written so far */
    bool stopping;
    uint64_t stop_deadline; /* monotonic ns */
    _Atomic uint64_t abort_at; /* stop_deadline for the request in flight (read without mu); 0: none */
    uint64_t next_batch;
    uint64_t last_created;
    /* what happened, for the warnings and the summary */
    uint64_t rows_sent, rows_lost, rows_skipped_present;
    bool down;
    uint64_t down_since;
    char down_reason[512];
    bool behind_reported, lost_reported;
    char lost_reason[512];
} ch_sink;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void dt_ch_config_defaults(dt_ch_config *c)
{
    memset(c, 0, sizeof *c);
    c->batch_rows = 50000;
    c->batch_bytes = 8u << 20;
    c->batch_ms = 1000;
    c->queue_batches = 8;
    c->exit_wait_ms = 10000;
    c->format = DT_CH_ROWBINARY;
}

/* ---- batches (under mu) ---- */

static dt_ch_batch *batch_get(ch_sink *cs)
{
    dt_ch_batch *b = cs->free_list;
    if (b)
        cs->free_list = b->next;
    else if (!(b = calloc(1, sizeof *b)))
        return NULL;
    dt_ch_buf body = b->body;
    memset(b, 0, sizeof *b);
    b->body = body;
    b->body.len = 0;
    b->body.failed = false;
    return b;
}

static void batch_put(ch_sink *cs, dt_ch_batch *b)
{
    /* keep a few for reuse; a batch that grew big after an outage is freed */
    b->next = cs->free_list;
    cs->free_list = b;
}

static void batch_free_list(dt_ch_batch *b)
{
    while (b) {
        dt_ch_batch *n = b->next;
        dt_ch_buf_free(&b->body);
        free(b);
        b = n;
    }
}

static void note_lost(ch_sink *cs, uint64_t rows, const char *why)
{
    cs->rows_lost += rows;
    snprintf(cs->lost_reason, sizeof cs->lost_reason, "%s", why);
    if (!cs->lost_reported) {
        fprintf(cs->log, "diagtap: clickhouse: %s: dropping events (counted; the total is reported at exit)\n", why);
        cs->lost_reported = true;
    }
}

/* Writes b to the spool with mu released; b is recycled. Called with mu held. */
static void spool_batch(ch_sink *cs, dt_ch_batch *b)
{
    char err[512];
    cs->spooling = true;
    cs->spool_writing++;
    pthread_mutex_unlock(&cs->mu);
    int rc = b->body.failed ? -1 : dt_ch_spool_write(cs->spool, b, err, sizeof err);
    if (b->body.failed)
        snprintf(err, sizeof err, "out of memory while encoding a batch");
    pthread_mutex_lock(&cs->mu);
    cs->spool_writing--;
    cs->spool_writes++;
    if (rc != 0)
        note_lost(cs, b->rows, err);
    else
        cs->lost_reported = false; /* a later loss is a new episode: say so again */
    batch_put(cs, b);
    pthread_cond_broadcast(&cs->wake);
}

/* Seals the open batch and hands it on. Called with mu held (released while
 * a spool file is written). */
static void seal_open(ch_sink *cs)
{
    dt_ch_batch *b = cs->open;
    cs->open = NULL;
    if (!b)
        return;
    if (b->rows == 0) {
        batch_put(cs, b);
        return;
    }
    uint64_t now = real_ns();
    b->created_ns = now > cs->last_created ? now : cs->last_created + 1;
    cs->last_created = b->created_ns;
    if (!cs->spooling && cs->q_len < cs->cfg.queue_batches && !b->body.failed) {
        b->next = NULL;
        if (cs->q_tail)
            cs->q_tail->next = b;
        else
            cs->q_head = b;
        cs->q_tail = b;
        cs->q_len++;
        pthread_cond_broadcast(&cs->wake);
        return;
    }
    if (!cs->spooling && !cs->down && !cs->behind_reported) {
        fprintf(cs->log, "diagtap: clickhouse %s: sending is behind; spooling batches to %s\n", cs->url.redacted,
                dt_ch_spool_dir(cs->spool));
        cs->behind_reported = true;
    }
    spool_batch(cs, b);
}

/* ---- the sink callbacks (the decoding thread) ---- */

static void ch_event(dt_sink *s, const dt_event *ev)
{
    ch_sink *cs = (ch_sink *)s;
    uint32_t t = (uint32_t)(ev->ts_ns / 1000000000u);
    pthread_mutex_lock(&cs->mu);
    /* one batch, one day partition: ClickHouse stores it as one part */
    if (cs->open && cs->open->rows && t / 86400 != cs->open_day)
        seal_open(cs);
    if (!cs->open) {
        cs->open = batch_get(cs);
        if (!cs->open) {
            note_lost(cs, 1, "out of memory");
            pthread_mutex_unlock(&cs->mu);
            return;
        }
        cs->open->run_id = cs->rc.run_id;
        cs->open->batch = cs->rc.batch = ++cs->next_batch;
        cs->open->fmt = cs->cfg.format;
        snprintf(cs->open->host, sizeof cs->open->host, "%s", cs->host);
    }
    dt_ch_batch *b = cs->open;
    dt_ch_row_append(&b->body, b->fmt, &cs->rc, ev);
    if (b->rows == 0) {
        b->min_time = b->max_time = t;
        cs->open_day = t / 86400;
        b->first_row_ns = mono_ns();
        pthread_cond_broadcast(&cs->wake); /* the sender now has an age to watch */
    }
    if (t < b->min_time)
        b->min_time = t;
    if (t > b->max_time)
        b->max_time = t;
    b->rows++;
    if (b->rows >= cs->cfg.batch_rows || b->body.len >= cs->cfg.batch_bytes || b->body.failed)
        seal_open(cs);
    pthread_mutex_unlock(&cs->mu);
}

/* ---- the sender thread ---- */

static void timed_wait(ch_sink *cs, uint64_t until_mono)
{
    struct timespec ts = { .tv_sec = (time_t)(until_mono / 1000000000u), .tv_nsec = (long)(until_mono % 1000000000u) };
    pthread_cond_timedwait(&cs->wake, &cs->mu, &ts);
}

/* Seals the open batch when its first row is older than batch_ms. Under mu. */
static void age_open(ch_sink *cs)
{
    if (cs->open && cs->open->rows &&
        mono_ns() - cs->open->first_row_ns >= (uint64_t)cs->cfg.batch_ms * 1000000u)
        seal_open(cs);
}

static bool past_deadline(ch_sink *cs) { return cs->stopping && mono_ns() >= cs->stop_deadline; }

/* The sender's request in flight, asked by libcurl without mu: give up at
 * the exit deadline (a silent server would otherwise hold the exit for the
 * 60 s request timeout, past a service manager's stop timeout). */
static bool request_overdue(void *ctx)
{
    ch_sink *cs = ctx;
    uint64_t at = atomic_load(&cs->abort_at);
    return at && mono_ns() >= at;
}

static long attempt_timeout_ms(ch_sink *cs)
{
    long t = 60000;
    if (cs->stopping) {
        uint64_t now = mono_ns();
        long left = now < cs->stop_deadline ? (long)((cs->stop_deadline - now) / 1000000u) : 0;
        if (left < t)
            t = left > 0 ? left : 1;
    }
    return t;
}

static void report_down(ch_sink *cs, const char *why)
{
    snprintf(cs->down_reason, sizeof cs->down_reason, "%s", why);
    if (cs->down)
        return;
    cs->down = true;
    cs->down_since = mono_ns();
    fprintf(cs->log, "diagtap: clickhouse %s unreachable (%s); retrying, meanwhile batches wait in memory and then in %s\n",
            cs->url.redacted, why, dt_ch_spool_dir(cs->spool));
}

static void report_up(ch_sink *cs)
{
    if (!cs->down)
        return;
    cs->down = false;
    cs->behind_reported = false;
    dt_ch_spool_stats st = dt_ch_spool_stats_get(cs->spool);
    char spooled[64] = "";
    if (st.rows)
        snprintf(spooled, sizeof spooled, "; %" PRIu64 " spooled events to send", st.rows);
    fprintf(cs->log, "diagtap: clickhouse %s reachable again after %.1f s%s\n", cs->url.redacted,
            (double)(mono_ns() - cs->down_since) / 1e9, spooled);
}

/* Sends b until it is in (true) or the exit deadline passes (false).
 * Called with mu held; releases it around the network. */
static bool deliver(ch_sink *cs, dt_ch_batch *b, bool from_spool)
{
    uint64_t backoff_ms = 250;
    char err[512];
    for (;;) {
        if (past_deadline(cs))
            return false;
        long timeout = attempt_timeout_ms(cs);
        pthread_mutex_unlock(&cs->mu);
        bool done = false, failed = false;
        bool skip_insert = false;
        if (b->uncertain) {
            uint64_t n = 0;
            if (dt_ch_http_count(cs->http, b, timeout, &n, err, sizeof err) != 0) {
                failed = true;
            } else if (n >= b->rows) {
                done = skip_insert = true; /* the earlier attempt landed */
            } else if (n > 0) {
                fprintf(cs->log,
                        "diagtap: clickhouse: batch %" PRIu64 " of run %016" PRIx64 " is partly in (%" PRIu64
                        " of %" PRIu32 " rows); sending it again (ReplacingMergeTree merges the duplicates)\n",
                        b->batch, b->run_id, n, b->rows);
            }
        }
        if (!failed && !skip_insert) {
            dt_ch_outcome o = dt_ch_http_insert(cs->http, b, timeout, err, sizeof err);
            if (o == DT_CH_SENT) {
                done = true;
            } else {
                failed = true;
                if (o == DT_CH_MAYBE && !b->uncertain) {
                    b->uncertain = true;
                    if (from_spool)
                        dt_ch_spool_mark_uncertain(cs->spool, b);
                }
            }
        }
        pthread_mutex_lock(&cs->mu);
        if (done) {
            if (skip_insert)
                cs->rows_skipped_present += b->rows;
            else
                cs->rows_sent += b->rows;
            report_up(cs);
            return true;
        }
        (void)failed;
        report_down(cs, err);
        uint64_t until = mono_ns() + backoff_ms * 1000000u;
        if (cs->stopping && until > cs->stop_deadline)
            until = cs->stop_deadline;
        while (mono_ns() < until) {
            age_open(cs);
            timed_wait(cs, until);
        }
        backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2; /* a down server costs one try per 5 s */
    }
}

static void *sender_main(void *arg)
{
    ch_sink *cs = arg;
    dt_ch_batch spooled;
    memset(&spooled, 0, sizeof spooled);
    char err[512];
    pthread_mutex_lock(&cs->mu);
    for (;;) {
        age_open(cs);
        if (cs->q_head) {
            dt_ch_batch *b = cs->q_head;
            if (!deliver(cs, b, false))
                break;
            cs->q_head = b->next;
            if (!cs->q_head)
                cs->q_tail = NULL;
            cs->q_len--;
            batch_put(cs, b);
            continue;
        }
        if (cs->spooling) {
            if (cs->spool_writing) { /* a file older than the next may still be on its way */
                timed_wait(cs, mono_ns() + 50000000u);
                continue;
            }
            if (past_deadline(cs))
                break;
            uint64_t writes_before = cs->spool_writes;
            uint64_t lost = 0;
            pthread_mutex_unlock(&cs->mu);
            int r = dt_ch_spool_next(cs->spool, &spooled, &lost, err, sizeof err);
            pthread_mutex_lock(&cs->mu);
            if (r < 0) {
                note_lost(cs, lost, err);
                continue;
            }
            if (r == 0) {
                if (cs->spool_writes == writes_before && !cs->spool_writing) {
                    cs->spooling = false; /* drained: back to the queue */
                    cs->behind_reported = false;
                }
                continue;
            }
            if (!deliver(cs, &spooled, true))
                break;
            dt_ch_spool_remove(cs->spool, &spooled);
            continue;
        }
        if (cs->stopping)
            break;
        if (cs->open && cs->open->rows)
            timed_wait(cs, cs->open->first_row_ns + (uint64_t)cs->cfg.batch_ms * 1000000u);
        else
            timed_wait(cs, mono_ns() + 1000000000u);
    }
    pthread_mutex_unlock(&cs->mu);
    dt_ch_buf_free(&spooled.body);
    return NULL;
}

/* ---- finish: flush, then spool what could not be sent in time ---- */

static int ch_finish(dt_sink *s)
{
    ch_sink *cs = (ch_sink *)s;
    if (!cs->thread_started)
        return cs->rows_lost ? -1 : 0;
    pthread_mutex_lock(&cs->mu);
    seal_open(cs);
    cs->stopping = true;
    cs->stop_deadline = mono_ns() + (uint64_t)cs->cfg.exit_wait_ms * 1000000u;
    atomic_store(&cs->abort_at, cs->stop_deadline ? cs->stop_deadline : 1);
    pthread_cond_broadcast(&cs->wake);
    pthread_mutex_unlock(&cs->mu);
    pthread_join(cs->thread, NULL);
    cs->thread_started = false;

    /* Still queued: older than every spool file of this run, so their names
     * (creation times) put them first. */
    pthread_mutex_lock(&cs->mu);
    while (cs->q_head) {
        dt_ch_batch *b = cs->q_head;
        cs->q_head = b->next;
        cs->q_len--;
        spool_batch(cs, b);
    }
    cs->q_tail = NULL;
    pthread_mutex_unlock(&cs->mu);

    dt_ch_spool_stats st = dt_ch_spool_stats_get(cs->spool);
    if (st.files)
        fprintf(cs->log,
                "diagtap: clickhouse %s: %" PRIu64 " events in %" PRIu64 " batches (%" PRIu64
                " bytes) are spooled in %s%s%s%s; the next diagtap run with this spool sends them first\n",
                cs->url.redacted, st.rows, st.files, st.bytes, dt_ch_spool_dir(cs->spool), cs->down ? " (" : "",
                cs->down ? cs->down_reason : "", cs->down ? ")" : "");
    if (cs->rows_lost)
        fprintf(cs->log, "diagtap: clickhouse %s: %" PRIu64 " events were LOST (%s)\n", cs->url.redacted,
                cs->rows_lost, cs->lost_reason);
    if (getenv("DIAGTAP_CLICKHOUSE_DEBUG"))
        fprintf(cs->log, "diagtap: clickhouse: sent %" PRIu64 ", already present %" PRIu64 ", lost %" PRIu64 "\n",
                cs->rows_sent, cs->rows_skipped_present, cs->rows_lost);
    return cs->rows_lost ? -1 : 0;
}

static void ch_destroy(dt_sink *s)
{
    ch_sink *cs = (ch_sink *)s;
    if (cs->thread_started)
        ch_finish(s);
    if (cs->open)
        batch_put(cs, cs->open);
    batch_free_list(cs->free_list);
    batch_free_list(cs->q_head);
    dt_ch_buf_free(&cs->rc.scratch);
    dt_ch_http_free(cs->http);
    dt_ch_spool_close(cs->spool);
    pthread_cond_destroy(&cs->wake);
    pthread_mutex_destroy(&cs->mu);
    free(cs);
}

dt_sink *dt_clickhouse_sink_new(const dt_ch_config *c, char *err, size_t errsz)
{
    ch_sink *cs = calloc(1, sizeof *cs);
    if (!cs) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    cs->cfg = *c;
    cs->log = c->log ? c->log : stderr;
    if (cs->cfg.batch_rows == 0 || cs->cfg.batch_rows > 1000000)
        cs->cfg.batch_rows = 1000000; /* one block of max_insert_block_size: one part */
    if (cs->cfg.queue_batches == 0)
        cs->cfg.queue_batches = 1;
    pthread_mutex_init(&cs->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cs->wake, &ca);
    pthread_condattr_destroy(&ca);
    cs->base.channel = dt_sink_nop_channel;
    cs->base.event = ch_event;
    cs->base.finish = ch_finish;
    cs->base.destroy = ch_destroy;

    char e[512];
    if (dt_ch_url_parse(c->url, &cs->url, e, sizeof e) != 0) {
        snprintf(err, errsz, "%s", e);
        goto fail;
    }
    if (c->host_label && c->host_label[0])
        snprintf(cs->host, sizeof cs->host, "%s", c->host_label);
    else if (gethostname(cs->host, sizeof cs->host - 1) != 0)
        snprintf(cs->host, sizeof cs->host, "unknown");
    if (!c->spool_dir) {
        snprintf(err, errsz, "clickhouse %s: no spool directory", cs->url.redacted);
        goto fail;
    }
    cs->spool = dt_ch_spool_open(c->spool_dir, c->spool_max_bytes, e, sizeof e);
    if (!cs->spool) {
        snprintf(err, errsz, "clickhouse: %s", e);
        goto fail;
    }
    cs->http = dt_ch_http_new(&cs->url, c->password, c->cacert, e, sizeof e);
    if (!cs->http) {
        snprintf(err, errsz, "clickhouse %s: %s", cs->url.redacted, e);
        goto fail;
    }
    dt_ch_http_on_abort(cs->http, request_overdue, cs);
    /* A random run id: (host, run_id, seq) names every event, across restarts. */
    if (getrandom(&cs->rc.run_id, sizeof cs->rc.run_id, 0) != sizeof cs->rc.run_id)
        cs->rc.run_id = real_ns() ^ ((uint64_t)getpid() << 32);
    cs->rc.host = cs->host;
    dt_ch_spool_stats st = dt_ch_spool_stats_get(cs->spool);
    if (st.files) {
        cs->spooling = true; /* what earlier runs left goes first */
        fprintf(cs->log, "diagtap: clickhouse: %" PRIu64 " events from an earlier run wait in %s; they are sent first\n",
                st.rows, c->spool_dir);
    }
    /* The sender never takes a signal: they stay with the decoding thread's
     * signalfd (or their default action). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&cs->thread, NULL, sender_main, cs);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errsz, "clickhouse: cannot start the sender thread: %s", strerror(rc));
        goto fail;
    }
    cs->thread_started = true;
    return &cs->base;
fail:
    ch_destroy(&cs->base);
    return NULL;
}
