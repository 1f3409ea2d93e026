/* A small streaming JSON writer over a FILE: no allocation, commas and
 * nesting tracked in a fixed stack, strings escaped so that any byte
 * sequence gives valid JSON (docs/json-schema.md, "Strings"). */
#ifndef DIAGTAP_SINKS_JSON_WRITER_H
#define DIAGTAP_SINKS_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DT_JW_MAX_DEPTH 128
#define DT_JW_KEYSLOT_BITS 9
#define DT_JW_KEYSLOTS (1u << DT_JW_KEYSLOT_BITS)
#define DT_JW_KEYTEXT 48 /* a cached key's text, "abbrev": included; longer keys are not cached */

/* Keys by the identity of what names them (a field def): their length and
 * whether they need escaping, found once instead of at every event. */
typedef struct dt_jw_keyslot {
    const void *id;
    const char *key;
    uint32_t len;             /* of text */
    bool plain;               /* text holds the key, quoted, with its ':' */
    char text[DT_JW_KEYTEXT]; /* copied whole (a fixed size copies in a few moves) */
} dt_jw_keyslot;
typedef struct dt_jw_keycache {
    dt_jw_keyslot slot[DT_JW_KEYSLOTS];
} dt_jw_keycache;

typedef struct dt_jw {
    FILE *f;
    int depth;
    bool after_key;
    bool has_items[DT_JW_MAX_DEPTH]; /* per open container: a value was written */
    size_t used;
    bool script_safe; /* '<', '>' and '&' as \u003c...: the text may sit inside an HTML <script> */
    dt_jw_keycache *keys; /* NULL: none (dt_jw_key_of scans every key) */
    char buf[4096]; /* staged output: one fwrite per line, not one stdio call per byte */
} dt_jw;

void dt_jw_init(dt_jw *w, FILE *f); /* keeps script_safe and keys as they were set */
/* Containers nest at most DT_JW_MAX_DEPTH deep; begin returns false (and
 * writes nothing) when that would be exceeded, and the caller writes a
 * scalar instead. */
bool dt_jw_begin_object(dt_jw *w);
void dt_jw_end_object(dt_jw *w);
bool dt_jw_begin_array(dt_jw *w);
void dt_jw_end_array(dt_jw *w);
void dt_jw_key(dt_jw *w, const char *key);
/* A key known to need no escaping (a literal name of the schema): copied as
 * is. DT_JW_KEY(w, "seq") passes the literal's length; inline, so that the
 * copy of a literal is a few moves. */
void dt_jw_key_plain_slow(dt_jw *w, const char *key, size_t len);
static inline void dt_jw_key_plain(dt_jw *w, const char *key, size_t len)
{
    if (w->after_key || w->depth == 0 || !w->has_items[w->depth] || len + 4 > sizeof w->buf - w->used) {
        dt_jw_key_plain_slow(w, key, len);
        return;
    }
    /* not the first member: a comma, then the key */
    char *o = w->buf + w->used;
    o[0] = ',';
    o[1] = '"';
    memcpy(o + 2, key, len);
    o[len + 2] = '"';
    o[len + 3] = ':';
    w->used += len + 4;
    w->after_key = true;
}
/* The key named by id (a static def that holds it, e.g. a dt_field_def):
 * through w->keys when there is one. The same id must keep naming the same
 * string while w lives. */
void dt_jw_key_of_slow(dt_jw *w, const void *id, const char *key);
/* Defs sit 64 bytes apart in their tables: a multiplicative hash spreads
 * them over every slot (address bits 4.. left three of four slots unused). */
static inline size_t dt_jw_key_slot(const void *id)
{
    return (size_t)(((uint64_t)(uintptr_t)id * 0x9E3779B97F4A7C15u) >> (64 - DT_JW_KEYSLOT_BITS));
}
static inline void dt_jw_key_of(dt_jw *w, const void *id, const char *key)
{
    /* Inline, and the miss path apart: this runs for every field written, and
     * as a call with the slot filling in its body it cost ~70 instructions. */
    if (w->keys && !w->after_key && w->depth > 0) {
        const dt_jw_keyslot *s = &w->keys->slot[dt_jw_key_slot(id)];
        if (s->id == id && s->key == key && s->plain && sizeof w->buf - w->used >= sizeof s->text + 1) {
            char *o = w->buf + w->used;
            size_t comma = w->has_items[w->depth];
            o[0] = ',';
            memcpy(o + comma, s->text, sizeof s->text); /* whole: used advances by len only */
            w->used += comma + s->len;
            w->has_items[w->depth] = true;
            w->after_key = true;
            return;
        }
    }
    dt_jw_key_of_slow(w, id, key);
}
#define DT_JW_KEY(w, lit) dt_jw_key_plain((w), "" lit, sizeof(lit) - 1)
void dt_jw_string(dt_jw *w, const void *s, size_t len);
/* null: inline for the usual place, after a key (no comma to decide), with
 * a fixed-size copy instead of a call; the rest in the .c. */
void dt_jw_null_slow(dt_jw *w);
static inline void dt_jw_null(dt_jw *w)
{
    if (w->after_key && sizeof w->buf - w->used >= 8) {
        w->after_key = false;
        memcpy(w->buf + w->used, "null", 4);
        w->used += 4;
        return;
    }
    dt_jw_null_slow(w);
}
/* NULL writes null; inline, so that a literal's length is known when compiling */
static inline void dt_jw_cstr(dt_jw *w, const char *s)
{
    if (!s)
        dt_jw_null(w);
    else
        dt_jw_string(w, s, strlen(s));
}
/* A value already rendered as JSON by this writer (a cached object):
 * written as it is, with the comma before it when one is due. */
void dt_jw_raw(dt_jw *w, const char *json, size_t len);
/* Bytes as a string of lowercase hex digits. */
void dt_jw_hex(dt_jw *w, const void *b, size_t len);
/* A number; one digit after a key (flags, counts, zeros) inline. */
void dt_jw_uint_slow(dt_jw *w, uint64_t v);
static inline void dt_jw_uint(dt_jw *w, uint64_t v)
{
    if (v < 10 && w->after_key && w->used < sizeof w->buf) {
        w->after_key = false;
        w->buf[w->used++] = (char)('0' + v);
        return;
    }
    dt_jw_uint_slow(w, v);
}
/* An integer as a string of decimal digits: "18446744073709551615". */
void dt_jw_uint_str(dt_jw *w, uint64_t v);
void dt_jw_int_str(dt_jw *w, int64_t v);
void dt_jw_int(dt_jw *w, int64_t v);
/* The number whole.frac9 (frac9: nine decimal digits), written exactly. */
void dt_jw_decimal(dt_jw *w, uint64_t whole, uint32_t frac9);
void dt_jw_double(dt_jw *w, double v); /* NaN and infinities write null */
/* true/false: inline for the usual place, as dt_jw_null. */
void dt_jw_bool_slow(dt_jw *w, bool v);
static inline void dt_jw_bool(dt_jw *w, bool v)
{
    if (w->after_key && sizeof w->buf - w->used >= 8) {
        w->after_key = false;
        memcpy(w->buf + w->used, v ? "true" : "false", 5); /* "true" with its NUL: five bytes too */
        w->used += v ? 4 : 5;
        return;
    }
    dt_jw_bool_slow(w, v);
}
/* Ends a JSON Lines record and hands it to the FILE; the writer is ready
 * for the next one. */
void dt_jw_newline(dt_jw *w);
/* Hands what is staged to the FILE. */
void dt_jw_flush(dt_jw *w);

struct dt_field;
/* A field list as object members, by the rules of docs/json-schema.md
 * ("fields"); written by the JSON Lines sink, shared with the HTML report. */
void dt_json_write_fields(dt_jw *w, const struct dt_field *first);

/* Writes s as a quoted JSON string: '"' and '\\' escaped, \b \f \n \r \t
 * by name, other C0 controls and DEL as \u00XX, well-formed UTF-8 as is,
 * every maximal invalid UTF-8 subpart as \ufffd. */
void dt_json_write_string(FILE *f, const void *s, size_t len);

#endif
