/* --grep and --proto. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfilter.h"
#include "sinks/format.h"
#include "timerange.h"

#define MAX_PROTOS 32
#define VALUE_TEXT 512 /* non-string values are matched on their first 511 bytes of text */

struct dt_filter {
    pcre2_code *re;
    pcre2_match_data *md; /* made once, so matching allocates nothing */
    char *protos_buf;     /* the --proto list, split in place */
    const char *protos[MAX_PROTOS];
    size_t n_protos;
    dt_timerange time;    /* --from / --to */
    bool has_time;
    dt_dfilter *display;  /* -Y */
    bool pair_partner;
};

dt_filter *dt_filter_new(void) { return calloc(1, sizeof(dt_filter)); }

void dt_filter_free(dt_filter *f)
{
    if (!f)
        return;
    pcre2_match_data_free(f->md);
    pcre2_code_free(f->re);
    free(f->protos_buf);
    dt_dfilter_free(f->display);
    free(f);
}

int dt_filter_set_grep(dt_filter *f, const char *regex, char *err, size_t errsz)
{
    int code;
    PCRE2_SIZE off;
    /* UTF mode for Unicode patterns; subjects may still be any bytes. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errsz, "'%s': %s at offset %zu", regex, (const char *)msg, (size_t)off);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) {
        pcre2_code_free(re);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* pcre2_match uses it when it worked */
    pcre2_match_data_free(f->md);
    pcre2_code_free(f->re);
    f->re = re;
    f->md = md;
    return 0;
}

int dt_filter_set_protos(dt_filter *f, const char *list, char *err, size_t errsz)
{
    char *buf = strdup(list);
    if (!buf) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (n == MAX_PROTOS) {
            snprintf(err, errsz, "more than %d names", MAX_PROTOS);
            free(buf);
            return -1;
        }
        f->protos[n++] = tok;
    }
    if (n == 0) {
        snprintf(err, errsz, "'%s' names no protocol", list);
        free(buf);
        return -1;
    }
    free(f->protos_buf);
    f->protos_buf = buf;
    f->n_protos = n;
    return 0;
}

int dt_filter_set_time(dt_filter *f, const char *from, const char *to, char *err, size_t errsz)
{
    dt_timerange r = { 0 };
    if (from && dt_tbound_parse(from, &r.from, err, errsz) != 0)
        return -1;
    if (to && dt_tbound_parse(to, &r.to, err, errsz) != 0)
        return -1;
    f->time = r;
    f->has_time = from || to;
    return 0;
}

int dt_filter_set_display(dt_filter *f, const char *expr, const dt_registry *reg, char *err, size_t errsz)
{
    dt_dfilter *d = dt_dfilter_compile(expr, reg, err, errsz);
    if (!d)
        return -1;
    dt_dfilter_free(f->display);
    f->display = d;
    f->pair_partner = true;
    return 0;
}

void dt_filter_set_pair_partner(dt_filter *f, bool on) { f->pair_partner = on; }

bool dt_filter_pair_partner(const dt_filter *f) { return f && f->display && f->pair_partner; }

/* A pending request belongs where it was sent, not where it was given up. */
static bool time_ok(dt_filter *f, const dt_event *ev)
{
    if (!f->has_time)
        return true;
    uint64_t ts = ev->ts_ns;
    if (ev->kind == DT_EV_PENDING && ev->has_latency && ev->latency_ns <= ts)
        ts -= ev->latency_ns;
    return dt_timerange_contains(&f->time, ts);
}

static bool proto_ok(const dt_filter *f, const dt_event *ev)
{
    if (!f->n_protos)
        return true;
    for (size_t i = 0; i < f->n_protos; i++)
        if ((ev->proto_name && !strcasecmp(ev->proto_name, f->protos[i])) ||
            (ev->proto && !strcasecmp(ev->proto, f->protos[i])))
            return true;
    return false;
}

bool dt_filter_passes_proto(const dt_filter *f, const char *name)
{
    if (!f->n_protos)
        return true;
    for (size_t i = 0; i < f->n_protos; i++)
        if (name && !strcasecmp(name, f->protos[i]))
            return true;
    return false;
}

static bool re_match(dt_filter *f, const char *s, size_t len)
{
    return pcre2_match(f->re, (PCRE2_SPTR)s, len, 0, 0, f->md, NULL) >= 0;
}

static bool fields_match(dt_filter *f, const dt_field *fl, int depth)
{
    char buf[VALUE_TEXT];
    for (; fl; fl = fl->next) {
        if (fl->def->type == DT_FT_STRING) {
            if (fl->v.s.ptr && re_match(f, fl->v.s.ptr, fl->v.s.len))
                return true;
        } else if (fl->def->type != DT_FT_NONE) {
            size_t n = dt_fmt_value(fl, buf, sizeof buf);
            if (re_match(f, buf, n < sizeof buf ? n : sizeof buf - 1))
                return true;
        }
        if (fl->child && depth < 64 && fields_match(f, fl->child, depth + 1))
            return true;
    }
    return false;
}

bool dt_filter_match(dt_filter *f, const dt_event *ev)
{
    if (!f)
        return true;
    if (!time_ok(f, ev) || !proto_ok(f, ev))
        return false;
    if (f->display && !dt_dfilter_match(f->display, ev))
        return false;
    if (!f->re)
        return true;
    if (ev->summary && re_match(f, ev->summary, strlen(ev->summary)))
        return true;
    return fields_match(f, ev->fields, 0);
}
