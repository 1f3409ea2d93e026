/* The DAP/LSP JSON fast path (jsmn + checks) against jansson: any input
 * they read differently (accept/reject, error text and position, values)
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dissectors/dap/jsonx.h"

static int same(const jx_node *n, json_t *v)
{
    const char *key;
    json_t *m;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const jx_node *k = jx_first_key(n);
        if (!jx_is_object(n))
            return 0;
        json_object_foreach(v, key, m) {
            if (!k || strcmp(k->s, key) != 0 || !same(jx_get(n, key), m))
                return 0;
            k = jx_next_key(n, k);
        }
        return k == NULL;
    }
    case JSON_ARRAY:
        if (!jx_is_array(n) || jx_size(n) != json_array_size(v))
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!same(jx_at(n, i), json_array_get(v, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return jx_is_string(n) && n->n == json_string_length(v) && memcmp(n->s, json_string_value(v), n->n) == 0;
    case JSON_INTEGER:
        return jx_is_integer(n) && n->i == (int64_t)json_integer_value(v);
    case JSON_REAL:
        return jx_is_real(n) && (n->d == json_real_value(v) || (n->d != n->d && json_real_value(v) != json_real_value(v)));
    case JSON_TRUE:
        return jx_is_true(n);
    case JSON_FALSE:
        return n && n->type == JX_FALSE;
    case JSON_NULL:
        return jx_is_null(n);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *v = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
    jx_doc doc;
    jx_error err;
    int ok = jx_parse(NULL, (const char *)data, size, &doc, &err);
    if (!!v != ok)
        abort();
    if (v && !same(doc.root, v))
        abort();
    if (!v && (strcmp(err.text, jerr.text) != 0 || err.line != jerr.line || err.column != jerr.column))
        abort();
    if (ok)
        jx_doc_free(&doc);
    json_decref(v);
    return 0;
}
