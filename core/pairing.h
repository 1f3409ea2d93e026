/* Requests waiting for their responses, keyed by (conversation, key). Entries
 * come from a free list, so steady-state pairing does not call malloc. */
#ifndef DIAGTAP_CORE_PAIRING_H
#define DIAGTAP_CORE_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_PENDING_INLINE_USER 256
#define DT_PENDING_SUMMARY 200

typedef struct dt_pending dt_pending;
struct dt_pending {
    const void *conv;  /* the engine's conversation */
    uint64_t key;
    uint64_t req_seq;  /* 0 until the request event is committed */
    uint64_t ts_ns;
    int dir;           /* dt_dir of the request */
    const char *proto; /* display name (static, from the dissector) */
    char summary[DT_PENDING_SUMMARY];
    char stats_key[64];
    void *user;
    size_t user_len;
    dt_pending *hnext;            /* hash chain */
    dt_pending *cprev, *cnext;    /* the conversation's list */
    bool filter_pass;  /* -Y: the request reached the sinks, so its replies do too */
    bool held_valid;   /* -Y: held holds the request, which did not match */
    _Alignas(16) unsigned char inline_user[DT_PENDING_INLINE_USER];
    /* kept when the entry is reused, so holding requests does not allocate
     * in the steady state (core/held_event.h) */
    void *held;
    size_t held_cap;
    /* a user blob too big for inline_user (SMB2's request state), kept the
     * same way: one calloc per entry, not one per request */
    void *user_heap;
    size_t user_cap;
};

typedef struct dt_pairing dt_pairing;

dt_pairing *dt_pairing_new(void);
void dt_pairing_free(dt_pairing *p);
/* Adds (or finds, *existed = true) the entry; links it at *conv_head. NULL when out of memory or over the cap. */
dt_pending *dt_pairing_add(dt_pairing *p, const void *conv, dt_pending **conv_head, uint64_t key, size_t user_len,
                           bool *existed);
dt_pending *dt_pairing_find(dt_pairing *p, const void *conv, uint64_t key);
void dt_pairing_remove(dt_pairing *p, dt_pending **conv_head, dt_pending *e);
size_t dt_pairing_count(const dt_pairing *p);

#endif
