/* Replaying recorded files into the engine: several files merged by
 * timestamp, one channel per capture interface, progress on a terminal. */
#ifndef DIAGTAP_CAPTURE_REPLAY_H
#define DIAGTAP_CAPTURE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "netdec.h"

#define DT_REPLAY_PROGRESS_MIN (64ull * 1024ull * 1024ull)

typedef struct dt_replay dt_replay;

typedef struct dt_replay_opts {
    FILE *errors;    /* where "diagtap: FILE: offset N: what" lines go (stderr) */
    FILE *progress;  /* NULL: no progress; else shown when the inputs exceed 64 MiB */
    const dt_netdec_limits *limits;
    const int *stop_fd; /* NULL, or a descriptor that becomes readable to stop early (SIGTERM) */
    const char *channel; /* NULL, or the channel name to give the file's interfaces (NAME, NAME#N) */
} dt_replay_opts;

dt_replay *dt_replay_new(dt_engine *e, const dt_registry *reg, const dt_replay_opts *o);
/* Reads every file to its end or first fault. Returns 0, or -1 when a file
 * could not be opened or read (reported; the others are still read). */
int dt_replay_files(dt_replay *r, char *const *paths, int n);
/* Hands on what waits behind holes; call before dt_engine_finish. */
void dt_replay_finish(dt_replay *r);
/* Latest packet timestamp seen (0 if none). */
uint64_t dt_replay_last_ts(const dt_replay *r);
uint64_t dt_replay_packets(const dt_replay *r);
/* dt_replay_files stopped early because stop_fd became readable. */
bool dt_replay_stopped(const dt_replay *r);
/* After dt_engine_finish. */
void dt_replay_free(dt_replay *r);

#endif
