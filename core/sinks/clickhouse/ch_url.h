/* clickhouse[s]://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE.TABLE */
#ifndef DIAGTAP_CH_URL_H
#define DIAGTAP_CH_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dt_ch_url {
    bool tls;          /* clickhouses:// */
    char user[128];    /* percent-decoded; "" for the server's default user */
    char password[256];
    bool has_password; /* the URL carried one */
    char host[256];    /* without brackets for IPv6 */
    unsigned port;     /* default 8123, or 8443 with TLS */
    char database[128];
    char table[128];
    char http_base[320]; /* "http://HOST:PORT/" */
    char redacted[640];  /* the URL with the password as <redacted>: what messages print */
} dt_ch_url;

/* True when s is meant as a ClickHouse URL (its scheme). */
bool dt_ch_url_is(const char *s);
/* Parses; on error returns -1 with one line in err (never the password). */
int dt_ch_url_parse(const char *s, dt_ch_url *u, char *err, size_t errsz);
/* s with the password of its userinfo replaced by <redacted> (s itself
 * when it has none); for messages about a URL that did not parse. */
void dt_ch_url_redact(const char *s, char *out, size_t outsz);
/* True when name is a plain identifier ClickHouse takes unquoted. */
bool dt_ch_ident_ok(const char *name);

#endif
