/* Field tables and the field tree of an event.
 *
 * Every dissector declares one static table of dt_field_def. That table is the
 * single source for JSON keys, `diagtap fields`, the filter language and the
 * Wireshark plugin's hf_register_info, so a field has one name everywhere.
 */
#ifndef DIAGTAP_FIELDS_H
#define DIAGTAP_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dt_ftype {
    DT_FT_NONE,    /* a label or subtree with no value of its own */
    DT_FT_BOOL,
    DT_FT_UINT8,
    DT_FT_UINT16,
    DT_FT_UINT32,
    DT_FT_UINT64,
    DT_FT_INT32,
    DT_FT_INT64,
    DT_FT_DOUBLE,
    DT_FT_STRING,  /* UTF-8 text */
    DT_FT_BYTES,
    DT_FT_GUID,
    DT_FT_IPV4,
    DT_FT_IPV6,
    DT_FT_ABSTIME, /* nanoseconds since the Unix epoch */
    DT_FT_RELTIME, /* nanoseconds */
} dt_ftype;

typedef enum dt_fbase {
    DT_BASE_NONE,
    DT_BASE_DEC,
    DT_BASE_HEX,
    DT_BASE_DEC_HEX,
} dt_fbase;

/* Value names; an array ends with { 0, NULL }. */
typedef struct dt_value_name {
    uint64_t value;
    const char *name;
} dt_value_name;

enum {
    DT_FF_VALS_SORTED = 1u << 0, /* vals sorted by value: binary search */
    DT_FF_CREDENTIAL = 1u << 1,  /* a secret seen on the wire: redacted unless --show-credentials */
};

typedef struct dt_field_def {
    const char *abbrev; /* "smb2.status": JSON key, filter name, Wireshark abbrev */
    const char *name;   /* "NT Status": display name */
    dt_ftype type;
    dt_fbase base;
    const dt_value_name *vals; /* may be NULL */
    uint64_t bitmask;          /* 0, or the bits of the parent integer this flag covers */
    uint32_t flags;            /* DT_FF_* */
    const char *blurb;         /* one-line description, may be NULL */
} dt_field_def;

enum {
    DT_FLD_REDACTED = 1u << 0, /* a DT_FF_CREDENTIAL value withheld: show "<redacted>" */
};

/* A node of an event's field tree; allocated in the event's arena. */
typedef struct dt_field dt_field;
struct dt_field {
    const dt_field_def *def;
    dt_field *next;        /* next sibling */
    dt_field *child;       /* first child */
    dt_field *last_child;
    uint32_t offset;       /* bytes within the PDU this field came from */
    uint32_t length;       /* 0: generated (not read from the bytes) */
    uint32_t flags;        /* DT_FLD_* */
    union {
        uint64_t u;
        int64_t i;
        double d;
        struct {
            const char *ptr; /* STRING: NUL-terminated UTF-8; BYTES: raw */
            size_t len;
        } s;
        uint8_t b16[16];     /* GUID (wire layout), IPV6 */
        uint32_t ip4;        /* network byte order */
    } v;
};

/* The name of v in the first n entries of vals, sorted by value, or NULL. */
const char *dt_value_name_bsearch(const dt_value_name *vals, size_t n, uint64_t v);

/* The name of v in vals, or NULL. */
const char *dt_value_name_find(const dt_value_name *vals, uint64_t v, bool sorted);

/* Same, with the def's own table; "Unknown (0x…)" style fallback is the caller's. */
const char *dt_field_value_name(const dt_field_def *def, uint64_t v);

#endif
