/* The libcurl functions the ClickHouse sink calls, through a table. On POSIX
 * libcurl is loaded with dlopen when a ClickHouse output is opened, not
 * linked: its dependencies (TLS, Kerberos, LDAP, HTTP/2, ...) cost every
 * diagtap run ~12 ms of dynamic linking at start-up, more than decoding a
 * few MB. Elsewhere the table holds the linked functions. */
#ifndef DIAGTAP_CH_CURL_H
#define DIAGTAP_CH_CURL_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

typedef struct dt_ch_curl {
    void *lib; /* the dlopen handle, or NULL when linked */
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *c);
    char *(*easy_escape)(CURL *c, const char *s, int len);
    const char *(*easy_strerror)(CURLcode rc);
    void (*free)(void *p);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
} dt_ch_curl;

/* Fills api (and runs curl_global_init); false with err when libcurl
 * cannot be loaded. */
bool dt_ch_curl_load(dt_ch_curl *api, char *err, size_t errsz);
void dt_ch_curl_unload(dt_ch_curl *api);

#endif
