/* Per-connection SMB2 state: session → user, tree id → \\server\share,
 * FileId → path. Fixed-size tables with least-recently-used replacement, so a
 * connection's memory is bounded whatever the capture holds. */
#include <stdlib.h>
#include <string.h>

#include "smb2_int.h"

/* Picks a free slot, else the least recently used one. */
#define LRU_PICK(arr, n, free_cond)                                 \
    do {                                                            \
        size_t best_ = 0;                                           \
        for (size_t i_ = 0; i_ < (n); i_++) {                       \
            if (free_cond(&(arr)[i_])) {                            \
                best_ = i_;                                         \
                break;                                              \
            }                                                       \
            if ((arr)[i_].used < (arr)[best_].used)                 \
                best_ = i_;                                         \
        }                                                           \
        slot = &(arr)[best_];                                       \
    } while (0)

#define SESSION_FREE(s) ((s)->used == 0)
#define TREE_FREE(t) ((t)->used == 0)
#define FILE_FREE(f) (!(f)->in_use)

smb2_session *smb2_session_find(smb2_conv *c, uint64_t id)
{
    for (size_t i = 0; i < SMB2_MAX_SESSIONS; i++) {
        if (c->sessions[i].used && c->sessions[i].id == id) {
            c->sessions[i].used = ++c->clock;
            return &c->sessions[i];
        }
    }
    return NULL;
}

smb2_session *smb2_session_add(smb2_conv *c, uint64_t id)
{
    smb2_session *slot = smb2_session_find(c, id);
    if (slot)
        return slot;
    LRU_PICK(c->sessions, SMB2_MAX_SESSIONS, SESSION_FREE);
    smb2_session_close_keys(slot);
    memset(slot, 0, sizeof *slot);
    slot->id = id;
    slot->used = ++c->clock;
    return slot;
}

void smb2_session_del(smb2_conv *c, uint64_t id)
{
    smb2_session *s = smb2_session_find(c, id);
    if (s) {
        smb2_session_close_keys(s);
        memset(s, 0, sizeof *s);
    }
}

/* Tree ids are per session; a lookup with an unknown session still finds a
 * tree whose id is unique (a capture that missed the session setup). */
smb2_tree *smb2_tree_find(smb2_conv *c, uint64_t sesid, uint32_t tid)
{
    smb2_tree *any = NULL;
    for (size_t i = 0; i < SMB2_MAX_TREES; i++) {
        smb2_tree *t = &c->trees[i];
        if (!t->used || t->tid != tid)
            continue;
        if (t->sesid == sesid) {
            t->used = ++c->clock;
            return t;
        }
        any = t;
    }
    return any;
}

smb2_tree *smb2_tree_add(smb2_conv *c, uint64_t sesid, uint32_t tid)
{
    smb2_tree *slot = NULL;
    for (size_t i = 0; i < SMB2_MAX_TREES; i++) {
        if (c->trees[i].used && c->trees[i].tid == tid && c->trees[i].sesid == sesid)
            slot = &c->trees[i];
    }
    if (!slot)
        LRU_PICK(c->trees, SMB2_MAX_TREES, TREE_FREE);
    memset(slot, 0, sizeof *slot);
    slot->sesid = sesid;
    slot->tid = tid;
    slot->used = ++c->clock;
    return slot;
}

void smb2_tree_del(smb2_conv *c, uint64_t sesid, uint32_t tid)
{
    for (size_t i = 0; i < SMB2_MAX_TREES; i++) {
        if (c->trees[i].used && c->trees[i].tid == tid && c->trees[i].sesid == sesid)
            memset(&c->trees[i], 0, sizeof c->trees[i]);
    }
}

smb2_file *smb2_file_find(smb2_conv *c, const uint8_t fid[16])
{
    for (size_t i = 0; i < c->files_hi; i++) {
        smb2_file *f = &c->files[i];
        if (f->in_use && memcmp(f->fid, fid, 16) == 0) {
            f->used = ++c->clock;
            return f;
        }
    }
    return NULL;
}

/* A slot never used before, growing the table; NULL when it is full (or
 * cannot grow). */
static smb2_file *file_fresh(smb2_conv *c)
{
    if (c->files_hi == c->files_cap) {
        if (c->files_cap == SMB2_MAX_FILES)
            return NULL;
        size_t cap = c->files_cap ? c->files_cap * 2 : 8;
        if (cap > SMB2_MAX_FILES)
            cap = SMB2_MAX_FILES;
        smb2_file *f = realloc(c->files, cap * sizeof *f);
        if (!f)
            return NULL;
        c->files = f;
        c->files_cap = cap;
    }
    return &c->files[c->files_hi++];
}

smb2_file *smb2_file_add(smb2_conv *c, const uint8_t fid[16])
{
    smb2_file *slot = smb2_file_find(c, fid);
    if (!slot) {
        /* the first free slot, else a fresh one, else the least recently used */
        for (size_t i = 0; i < c->files_hi && !slot; i++)
            if (FILE_FREE(&c->files[i]))
                slot = &c->files[i];
        if (!slot)
            slot = file_fresh(c);
        if (!slot && c->files_hi) {
            slot = &c->files[0];
            for (size_t i = 1; i < c->files_hi; i++)
                if (c->files[i].used < slot->used)
                    slot = &c->files[i];
        }
        if (!slot)
            return NULL;
    }
    memset(slot, 0, sizeof *slot);
    memcpy(slot->fid, fid, 16);
    slot->in_use = true;
    slot->used = ++c->clock;
    return slot;
}

void smb2_file_free_all(smb2_conv *c)
{
    free(c->files);
    c->files = NULL;
    c->files_cap = c->files_hi = 0;
}

void smb2_file_del(smb2_conv *c, const uint8_t fid[16])
{
    smb2_file *f = smb2_file_find(c, fid);
    if (f)
        memset(f, 0, sizeof *f);
}

void smb2_async_add(smb2_conv *c, uint64_t aid, uint64_t msg_id, uint16_t cmd)
{
    smb2_async *slot = &c->asyncs[0];
    for (size_t i = 0; i < SMB2_MAX_ASYNC; i++) {
        if (!c->asyncs[i].in_use || c->asyncs[i].aid == aid) {
            slot = &c->asyncs[i];
            break;
        }
        /* full: the oldest message id goes */
        if (c->asyncs[i].msg_id < slot->msg_id)
            slot = &c->asyncs[i];
    }
    slot->aid = aid;
    slot->msg_id = msg_id;
    slot->cmd = cmd;
    slot->in_use = true;
}

smb2_async *smb2_async_find(smb2_conv *c, uint64_t aid)
{
    for (size_t i = 0; i < SMB2_MAX_ASYNC; i++) {
        if (c->asyncs[i].in_use && c->asyncs[i].aid == aid)
            return &c->asyncs[i];
    }
    return NULL;
}
