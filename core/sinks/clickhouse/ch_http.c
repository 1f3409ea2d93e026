/* INSERT and check queries over ClickHouse's HTTP interface (libcurl). One
 * easy handle, reused: the connection stays open between batches. */
#include "ch_http.h"

#include "ch_curl.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dt_ch_http {
    dt_ch_curl api;
    CURL *curl;
    struct curl_slist *headers;
    char *insert_url[2]; /* by dt_ch_format */
    char *query_base;    /* "http://h:p/?query=" */
    char table[300];     /* "db.table" */
    char resp[1024];     /* the start of the response body */
    size_t resp_len;
    bool (*abort_fn)(void *ctx);
    void *abort_ctx;
};

/* libcurl's progress callback, called about once a second even while no
 * byte moves: a non-zero return aborts the transfer. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    dt_ch_http *h = ctx;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return h->abort_fn && h->abort_fn(h->abort_ctx) ? 1 : 0;
}

void dt_ch_http_on_abort(dt_ch_http *h, bool (*fn)(void *ctx), void *ctx)
{
    h->abort_fn = fn;
    h->abort_ctx = ctx;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    dt_ch_http *h = ctx;
    size_t len = size * n;
    size_t room = sizeof h->resp - 1 - h->resp_len;
    size_t take = len < room ? len : room;
    memcpy(h->resp + h->resp_len, p, take);
    h->resp_len += take;
    h->resp[h->resp_len] = 0;
    return len;
}

static char *url_with_query(dt_ch_http *h, const char *base, const char *sql, const char *extra)
{
    char *q = h->api.easy_escape(h->curl, sql, 0);
    if (!q)
        return NULL;
    size_t n = strlen(base) + strlen(q) + strlen(extra) + 16;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s?query=%s%s", base, q, extra);
    h->api.free(q);
    return u;
}

dt_ch_http *dt_ch_http_new(const dt_ch_url *u, const char *password, const char *cacert, char *err, size_t errsz)
{
    dt_ch_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    if (!dt_ch_curl_load(&h->api, err, errsz)) {
        free(h);
        return NULL;
    }
    if (!(h->curl = h->api.easy_init())) {
        dt_ch_curl_unload(&h->api);
        free(h);
        snprintf(err, errsz, "cannot start libcurl");
        return NULL;
    }
    snprintf(h->table, sizeof h->table, "%s.%s", u->database, u->table);
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s) FORMAT RowBinary", h->table, dt_ch_column_list());
    /* A Distributed table forwards the batch before answering, so that a 200
     * means it is on its shard (and the check query can see it). */
    h->insert_url[DT_CH_ROWBINARY] = url_with_query(h, u->http_base, sql, "&insert_distributed_sync=1");
    snprintf(sql, sizeof sql, "INSERT INTO %s FORMAT JSONEachRow", h->table);
    h->insert_url[DT_CH_JSONEACHROW] = url_with_query(h, u->http_base, sql, "&insert_distributed_sync=1");
    h->query_base = strdup(u->http_base);
    h->headers = h->api.slist_append(NULL, "Expect:"); /* no 100-continue round trip */
    if (!h->insert_url[0] || !h->insert_url[1] || !h->query_base || !h->headers) {
        dt_ch_http_free(h);
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    CURL *c = h->curl;
    h->api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    h->api.easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    h->api.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    h->api.easy_setopt(c, CURLOPT_WRITEDATA, h);
    h->api.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    h->api.easy_setopt(c, CURLOPT_XFERINFODATA, h);
    h->api.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    h->api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    h->api.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    h->api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    h->api.easy_setopt(c, CURLOPT_USERAGENT, "diagtap/" DIAGTAP_VERSION);
    const char *pw = password ? password : u->has_password ? u->password : NULL;
    if (u->user[0] || pw) {
        h->api.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        h->api.easy_setopt(c, CURLOPT_USERNAME, u->user[0] ? u->user : "default");
        h->api.easy_setopt(c, CURLOPT_PASSWORD, pw ? pw : "");
    }
    if (cacert)
        h->api.easy_setopt(c, CURLOPT_CAINFO, cacert);
    return h;
}

void dt_ch_http_free(dt_ch_http *h)
{
    if (!h)
        return;
    if (h->curl)
        h->api.easy_cleanup(h->curl);
    if (h->headers)
        h->api.slist_free_all(h->headers);
    dt_ch_curl_unload(&h->api);
    free(h->insert_url[0]);
    free(h->insert_url[1]);
    free(h->query_base);
    free(h);
}

/* The first line of the response body, trimmed: ClickHouse's exception. */
static void server_message(dt_ch_http *h, long code, char *err, size_t errsz)
{
    size_t n = strcspn(h->resp, "\r\n");
    while (n > 0 && isspace((unsigned char)h->resp[n - 1]))
        n--;
    if (n > 300)
        n = 300;
    snprintf(err, errsz, "HTTP %ld%s%.*s", code, n ? ": " : "", (int)n, h->resp);
}

static CURLcode perform(dt_ch_http *h, const char *url, const void *body, size_t len, long timeout_ms, long *code)
{
    CURL *c = h->curl;
    h->resp_len = 0;
    h->resp[0] = 0;
    h->api.easy_setopt(c, CURLOPT_URL, url);
    h->api.easy_setopt(c, CURLOPT_POST, 1L);
    h->api.easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
    h->api.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    h->api.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    CURLcode rc = h->api.easy_perform(c);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        snprintf(h->resp, sizeof h->resp, "no answer before the exit deadline (--clickhouse-exit-wait)");
    *code = 0;
    h->api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    return rc;
}

dt_ch_outcome dt_ch_http_insert(dt_ch_http *h, const dt_ch_batch *b, long timeout_ms, char *err, size_t errsz)
{
    long code;
    CURLcode rc = perform(h, h->insert_url[b->fmt], b->body.p, b->body.len, timeout_ms, &code);
    if (rc == CURLE_OK && code == 200)
        return DT_CH_SENT;
    if (rc != CURLE_OK) {
        snprintf(err, errsz, "%s", rc == CURLE_ABORTED_BY_CALLBACK ? h->resp : h->api.easy_strerror(rc));
        /* Nothing reached the server when no connection was made. */
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
            rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
            rc == CURLE_SSL_CACERT_BADFILE)
            return DT_CH_NOT_SENT;
        return DT_CH_MAYBE;
    }
    server_message(h, code, err, errsz);
    return DT_CH_MAYBE; /* a proxy in front may have passed it on before failing */
}

/* A ClickHouse string literal. */
static void sql_quote(const char *s, char *out, size_t outsz)
{
    size_t n = 0;
    if (outsz < 3)
        return;
    out[n++] = '\'';
    for (; *s && n + 4 < outsz; s++) {
        if (*s == '\'' || *s == '\\')
            out[n++] = '\\';
        out[n++] = *s;
    }
    out[n++] = '\'';
    out[n] = 0;
}

int dt_ch_http_count(dt_ch_http *h, const dt_ch_batch *b, long timeout_ms, uint64_t *count, char *err, size_t errsz)
{
    char host[600], sql[1200];
    sql_quote(b->host, host, sizeof host);
    /* The time range and host narrow it to a few granules of the sort key. */
    snprintf(sql, sizeof sql,
             "SELECT count() FROM %s WHERE time >= toDateTime(%" PRIu32 ") AND time <= toDateTime(%" PRIu32
             ") AND host = %s AND run_id = %" PRIu64 " AND batch = %" PRIu64 " FORMAT TabSeparated",
             h->table, b->min_time, b->max_time, host, b->run_id, b->batch);
    char *url = url_with_query(h, h->query_base, sql, "");
    if (!url) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    long code;
    CURLcode rc = perform(h, url, NULL, 0, timeout_ms, &code);
    free(url);
    if (rc != CURLE_OK) {
        snprintf(err, errsz, "%s", rc == CURLE_ABORTED_BY_CALLBACK ? h->resp : h->api.easy_strerror(rc));
        return -1;
    }
    char *end;
    unsigned long long v = strtoull(h->resp, &end, 10);
    if (code != 200 || end == h->resp) {
        server_message(h, code, err, errsz);
        return -1;
    }
    *count = v;
    return 0;
}
