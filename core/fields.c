#include "diagtap/fields.h"

const char *dt_value_name_bsearch(const dt_value_name *vals, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vals[mid].value == v)
            return vals[mid].name;
        if (vals[mid].value < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *dt_value_name_find(const dt_value_name *vals, uint64_t v, bool sorted)
{
    if (!vals)
        return NULL;
    if (sorted) {
        size_t n = 0;
        while (vals[n].name)
            n++;
        return dt_value_name_bsearch(vals, n, v);
    }
    for (const dt_value_name *p = vals; p->name; p++)
        if (p->value == v)
            return p->name;
    return NULL;
}

const char *dt_field_value_name(const dt_field_def *def, uint64_t v)
{
    return dt_value_name_find(def->vals, v, (def->flags & DT_FF_VALS_SORTED) != 0);
}
