/* ClickHouse URLs: parsing, and never printing the password. */
#include "ch_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool dt_ch_url_is(const char *s)
{
    return strncmp(s, "clickhouse://", 13) == 0 || strncmp(s, "clickhouses://", 14) == 0;
}

bool dt_ch_ident_ok(const char *name)
{
    if (!name[0] || isdigit((unsigned char)name[0]))
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

void dt_ch_url_redact(const char *s, char *out, size_t outsz)
{
    const char *scheme_end = strstr(s, "://");
    const char *auth = scheme_end ? scheme_end + 3 : s;
    const char *slash = strchr(auth, '/');
    const char *at = NULL;
    for (const char *p = auth; *p && (!slash || p < slash); p++)
        if (*p == '@')
            at = p; /* the last '@' before the path ends the userinfo */
    const char *colon = NULL;
    if (at)
        colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon) {
        snprintf(out, outsz, "%s", s);
        return;
    }
    snprintf(out, outsz, "%.*s:<redacted>%s", (int)(colon - s), s, at);
}

static int unhex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes [p, end) into out; false when it does not fit or a %XX is bad. */
static bool pct_decode(const char *p, const char *end, char *out, size_t outsz)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '%') {
            if (end - p < 2 || unhex(p[0]) < 0 || unhex(p[1]) < 0)
                return false;
            c = unhex(p[0]) * 16 + unhex(p[1]);
            p += 2;
            if (c == 0)
                return false;
        }
        if (n + 1 >= outsz)
            return false;
        out[n++] = (char)c;
    }
    out[n] = 0;
    return true;
}

int dt_ch_url_parse(const char *s, dt_ch_url *u, char *err, size_t errsz)
{
    memset(u, 0, sizeof *u);
    dt_ch_url_redact(s, u->redacted, sizeof u->redacted);
    if (!dt_ch_url_is(s)) {
        snprintf(err, errsz, "%s: not a clickhouse:// or clickhouses:// URL", u->redacted);
        return -1;
    }
    u->tls = s[10] == 's';
    const char *auth = strstr(s, "://") + 3;
    const char *slash = strchr(auth, '/');
    if (!slash) {
        snprintf(err, errsz, "%s: no /DATABASE.TABLE after the host", u->redacted);
        return -1;
    }
    const char *at = NULL;
    for (const char *p = auth; p < slash; p++)
        if (*p == '@')
            at = p;
    const char *hostpart = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        const char *user_end = colon ? colon : at;
        if (!pct_decode(auth, user_end, u->user, sizeof u->user) ||
            (colon && !pct_decode(colon + 1, at, u->password, sizeof u->password))) {
            snprintf(err, errsz, "%s: bad user or password (too long, or a bad %%XX escape)", u->redacted);
            return -1;
        }
        u->has_password = colon != NULL;
        hostpart = at + 1;
    }
    const char *port_colon = NULL;
    const char *host_end = slash;
    if (*hostpart == '[') {
        const char *rb = memchr(hostpart, ']', (size_t)(slash - hostpart));
        if (!rb) {
            snprintf(err, errsz, "%s: unterminated [IPv6] host", u->redacted);
            return -1;
        }
        if (rb + 1 < slash && rb[1] == ':')
            port_colon = rb + 1;
        else if (rb + 1 != slash) {
            snprintf(err, errsz, "%s: junk after the [IPv6] host", u->redacted);
            return -1;
        }
        hostpart++;
        host_end = rb;
    } else {
        port_colon = memchr(hostpart, ':', (size_t)(slash - hostpart));
        if (port_colon)
            host_end = port_colon;
    }
    if (host_end == hostpart || (size_t)(host_end - hostpart) >= sizeof u->host) {
        snprintf(err, errsz, "%s: no host name", u->redacted);
        return -1;
    }
    memcpy(u->host, hostpart, (size_t)(host_end - hostpart));
    for (const char *p = u->host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-_:%", *p)) {
            snprintf(err, errsz, "%s: bad character in the host name", u->redacted);
            return -1;
        }
    u->port = u->tls ? 8443 : 8123;
    if (port_colon) {
        char *end;
        unsigned long port = strtoul(port_colon + 1, &end, 10);
        if (end != slash || port == 0 || port > 65535) {
            snprintf(err, errsz, "%s: bad port", u->redacted);
            return -1;
        }
        u->port = (unsigned)port;
    }
    const char *dot = strchr(slash + 1, '.');
    if (!dot) {
        snprintf(err, errsz, "%s: the path must be /DATABASE.TABLE", u->redacted);
        return -1;
    }
    snprintf(u->database, sizeof u->database, "%.*s", (int)(dot - slash - 1), slash + 1);
    snprintf(u->table, sizeof u->table, "%s", dot + 1);
    if (!dt_ch_ident_ok(u->database) || !dt_ch_ident_ok(u->table) ||
        strlen(dot + 1) >= sizeof u->table || (size_t)(dot - slash - 1) >= sizeof u->database) {
        snprintf(err, errsz, "%s: DATABASE and TABLE must be plain names (letters, digits, _)", u->redacted);
        return -1;
    }
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(u->http_base, sizeof u->http_base, "%s://%s%s%s:%u/", u->tls ? "https" : "http", v6 ? "[" : "",
             u->host, v6 ? "]" : "", u->port);
    return 0;
}
