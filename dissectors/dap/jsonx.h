/* JSON for the JSON-bodied dissectors (a jsmn-built node array, jansson
 * only for what jsmn's tokens cannot settle), and one-line text for
 * summaries. */
#ifndef DT_DAP_JSONX_H
#define DT_DAP_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diagtap/dissector.h"

/* A parsed JSON document: a flat array of nodes in document order (a
 * container is followed by its subtree; an object's members are key, value,
 * key, value...). Strings are unescaped and NUL-terminated (they may hold
 * NULs: use the length). Built by jsmn (a zero-allocation tokenizer) into
 * the event's scratch arena, so decoding a message calls no malloc; see docs/dap.md. */
typedef enum { JX_OBJECT, JX_ARRAY, JX_STRING, JX_INTEGER, JX_REAL, JX_TRUE, JX_FALSE, JX_NULL } jx_type;

/* 32 bytes: a message of DAP variables is hundreds of nodes, each written
 * once and mostly read once, so their size is much of the parse's cost. */
typedef struct jx_node {
    jx_type type;
    uint32_t skip; /* nodes in this subtree, itself included */
    uint32_t n;    /* members (object), elements (array), bytes (string) */
    uint32_t at_i; /* jx_at's cursor (with at_p), so an index loop over an array is linear */
    union {        /* by type */
        const char *s; /* string value */
        int64_t i;     /* integer value */
        double d;      /* real value */
    };
    const struct jx_node *at_p;
} jx_node;

typedef struct jx_doc {
    jx_node *root;
    void *heap[3]; /* what jx_doc_free frees (used when the arena cannot hold it) */
} jx_doc;

typedef struct jx_error {
    size_t position;
    int line, column;
    char text[160];
} jx_error;

/* Parses body as one JSON object or array (what jansson's json_loadb
 * accepts, with NULs allowed in strings). Nodes live in ctx's scratch arena
 * (valid until the next event) or, with ctx NULL or the arena full, on the
 * heap. Anything the fast tokenizer is not sure of (an error, a number out of
 * range, invalid UTF-8) is handed to jansson, so errors and values are
 * exactly jansson's. Returns false with *err filled on malformed JSON. */
bool jx_parse(dt_ctx *ctx, const char *body, size_t len, jx_doc *doc, jx_error *err);
void jx_doc_free(jx_doc *doc);

static inline bool jx_is_object(const jx_node *v) { return v && v->type == JX_OBJECT; }
static inline bool jx_is_array(const jx_node *v) { return v && v->type == JX_ARRAY; }
static inline bool jx_is_string(const jx_node *v) { return v && v->type == JX_STRING; }
static inline bool jx_is_integer(const jx_node *v) { return v && v->type == JX_INTEGER; }
static inline bool jx_is_real(const jx_node *v) { return v && v->type == JX_REAL; }
static inline bool jx_is_true(const jx_node *v) { return v && v->type == JX_TRUE; }
static inline bool jx_is_null(const jx_node *v) { return v && v->type == JX_NULL; }
/* Members of an object, elements of an array; 0 for anything else. */
static inline size_t jx_size(const jx_node *v) { return v && (v->type == JX_OBJECT || v->type == JX_ARRAY) ? v->n : 0; }
static inline const char *jx_sval(const jx_node *v) { return jx_is_string(v) ? v->s : NULL; }
static inline size_t jx_slen(const jx_node *v) { return jx_is_string(v) ? v->n : 0; }
static inline int64_t jx_ival(const jx_node *v) { return jx_is_integer(v) ? v->i : 0; }
static inline double jx_rval(const jx_node *v) { return jx_is_real(v) ? v->d : 0.0; }

/* obj[key] (the last member of that name, as jansson keeps), or NULL.
 * Inline, so that a literal key's length is known when compiling and the
 * compare needs no call. */
static inline const jx_node *jx_get_n(const jx_node *obj, const char *key, size_t klen)
{
    if (!jx_is_object(obj))
        return NULL;
    const jx_node *found = NULL, *k = obj + 1;
    for (size_t m = 0; m < obj->n; m++) {
        const jx_node *v = k + 1;
        /* the first byte before memcmp: most keys differ there (keys are never empty here when klen is not) */
        if (k->n == klen && (!klen || k->s[0] == key[0]) && memcmp(k->s, key, klen) == 0)
            found = v; /* the last one wins, as in jansson */
        k = v + v->skip;
    }
    return found;
}
static inline const jx_node *jx_get(const jx_node *obj, const char *key) { return jx_get_n(obj, key, strlen(key)); }
/* arr[i], or NULL. */
const jx_node *jx_at(const jx_node *arr, size_t i);
/* The object's members in order, each name once (its last value):
 * for (const jx_node *k = jx_first_key(o); k; k = jx_next_key(o, k)) ...
 * with the value at jx_get(o, k->s). */
const jx_node *jx_first_key(const jx_node *obj);
const jx_node *jx_next_key(const jx_node *obj, const jx_node *key);

/* The member's string (and its length), or NULL when absent or not a string. */
static inline const char *jx_str(const jx_node *obj, const char *key, size_t *len)
{
    const jx_node *v = jx_get(obj, key);
    if (!jx_is_string(v))
        return NULL;
    if (len)
        *len = v->n;
    return v->s;
}
/* v as an integer; false when absent or not an integral number. */
bool jx_int_value(const jx_node *v, int64_t *out);
/* The member as an integer; false when absent or not an integral number. */
static inline bool jx_int(const jx_node *obj, const char *key, int64_t *out) { return jx_int_value(jx_get(obj, key), out); }
/* The member as a boolean; false when absent or not a boolean. */
static inline bool jx_bool(const jx_node *obj, const char *key, bool *out)
{
    const jx_node *v = jx_get(obj, key);
    if (!v || (v->type != JX_TRUE && v->type != JX_FALSE))
        return false;
    *out = v->type == JX_TRUE;
    return true;
}
/* obj.key when it is an object, else NULL. */
static inline const jx_node *jx_obj(const jx_node *obj, const char *key)
{
    const jx_node *v = jx_get(obj, key);
    return jx_is_object(v) ? v : NULL;
}
/* obj.key when it is an array, else NULL. */
static inline const jx_node *jx_arr(const jx_node *obj, const char *key)
{
    const jx_node *v = jx_get(obj, key);
    return jx_is_array(v) ? v : NULL;
}

/* Copies text as one line into out (always NUL-terminated): stops at the
 * first line break that has text after it (adding "…"), drops trailing line
 * breaks, turns other control characters into spaces, and cuts at a UTF-8
 * boundary to fit max bytes (adding "…"). Returns the length written. */
size_t jx_line(char *out, size_t outsz, const char *s, size_t len, size_t max);

/* Like jx_line, but keeps every line: runs of blanks, line breaks and other
 * control characters become one space (for error messages, whose useful
 * part is often on the second line). */
size_t jx_flat(char *out, size_t outsz, const char *s, size_t len, size_t max);

/* The last path component of a file path or URI (either separator). */
const char *jx_basename(const char *path, size_t len, size_t *out_len);

/* A compact rendering of a scalar or short array ("[1, two]") as one line. */
size_t jx_render(char *out, size_t outsz, const jx_node *v, size_t max);

/* Adds a string field from a JSON string value, the field covering the body. */
dt_field *jx_add_str(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t off, size_t len, const jx_node *obj,
                     const char *key);

#endif
