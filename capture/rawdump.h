/* Raw stream dumps: two files, each the bytes of one direction of a byte
 * stream (what a tool logged of what it sent and received), decoded as one
 * conversation with a given dissector.
 *
 * The dumps carry no timestamps and no record of how the two directions
 * interleaved, so all of the client-to-server dump is fed first (in 64 KiB
 * chunks), then all of the server-to-client dump; requests are still paired
 * with their responses by the dissector's keys, but latencies are
 * meaningless. Every chunk is stamped with its file's modification time. */
#ifndef DIAGTAP_CAPTURE_RAWDUMP_H
#define DIAGTAP_CAPTURE_RAWDUMP_H

#include <stddef.h>

#include "core/engine.h"

/* in_path (C2S) or out_path (S2C) may be NULL. Files may be gzip-compressed.
 * Returns 0, or -1 with "FILE: offset N: what" (or "FILE: why") in err; what
 * was read before a fault has been fed. */
int dt_rawdump_replay(dt_engine *e, const char *in_path, const char *out_path, const char *dissector, char *err,
                      size_t errsz);

#endif
