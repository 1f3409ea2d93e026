/* --grep and --proto. (Minimal version; field values are matched by the sinks' formatter once it exists.) */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dt_filter {
    pcre2_code *re;
    pcre2_match_data *md;
    char *protos; /* ",name,name," */
};

dt_filter *dt_filter_new(void) { return calloc(1, sizeof(dt_filter)); }

void dt_filter_free(dt_filter *f)
{
    if (!f)
        return;
    pcre2_match_data_free(f->md);
    pcre2_code_free(f->re);
    free(f->protos);
    free(f);
}

int dt_filter_set_grep(dt_filter *f, const char *regex, char *err, size_t errsz)
{
    int ec;
    PCRE2_SIZE eo;
    f->re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (!f->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errsz, "at offset %zu: %s", (size_t)eo, (const char *)msg);
        return -1;
    }
    pcre2_jit_compile(f->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    f->md = pcre2_match_data_create_from_pattern(f->re, NULL);
    return f->md ? 0 : -1;
}

int dt_filter_set_protos(dt_filter *f, const char *list, char *err, size_t errsz)
{
    size_t n = strlen(list);
    f->protos = malloc(n + 3);
    if (!f->protos) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    snprintf(f->protos, n + 3, ",%s,", list);
    return 0;
}

static bool proto_listed(const char *protos, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = protos; (p = strchr(p, ',')) && p[1]; p++)
        if (strncasecmp(p + 1, name, n) == 0 && p[1 + n] == ',')
            return true;
    return false;
}

static bool grep(dt_filter *f, const char *s, size_t len)
{
    return pcre2_match(f->re, (PCRE2_SPTR)s, len, 0, 0, f->md, NULL) >= 0;
}

static bool grep_fields(dt_filter *f, const dt_field *fl)
{
    for (; fl; fl = fl->next) {
        if ((fl->def->type == DT_FT_STRING) && fl->v.s.ptr && grep(f, fl->v.s.ptr, fl->v.s.len))
            return true;
        if (fl->child && grep_fields(f, fl->child))
            return true;
    }
    return false;
}

bool dt_filter_match(dt_filter *f, const dt_event *ev)
{
    if (f->protos && !proto_listed(f->protos, ev->proto_name) && !proto_listed(f->protos, ev->proto))
        return false;
    if (f->re && !grep(f, ev->summary, strlen(ev->summary)) && !grep_fields(f, ev->fields))
        return false;
    return true;
}
