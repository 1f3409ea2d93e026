/* Small helpers over jansson for the JSON-bodied dissectors, and one-line
 * text for summaries. */
#ifndef DT_DAP_JSONX_H
#define DT_DAP_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diagtap/dissector.h"

/* The member's string (and its length), or NULL when absent or not a string. */
const char *jx_str(const json_t *obj, const char *key, size_t *len);
/* The member as an integer; false when absent or not an integral number. */
bool jx_int(const json_t *obj, const char *key, int64_t *out);
/* The member as a boolean; false when absent or not a boolean. */
bool jx_bool(const json_t *obj, const char *key, bool *out);
/* obj.key when it is an object, else NULL. */
json_t *jx_obj(const json_t *obj, const char *key);
/* obj.key when it is an array, else NULL. */
json_t *jx_arr(const json_t *obj, const char *key);

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
size_t jx_render(char *out, size_t outsz, const json_t *v, size_t max);

/* Adds a string field from a JSON string value, the field covering the body. */
dt_field *jx_add_str(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t off, size_t len, const json_t *obj,
                     const char *key);

#endif
