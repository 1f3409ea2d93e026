/* The capture readers: pcap (libpcap through fopencookie), pcapng, gzip
 * (zread), .nettrace, diagtap's exported-PDU recordings, and raw dumps —
 * all reached through the same code diagtap replay runs, from a file.
 *
 * Input: [mode] then the file's bytes.
 * mode 0-127: `diagtap replay FILE` (the format is recognised by content;
 *             seeds cover every format, gzip-wrapped or not);
 * mode 128+:  `diagtap replay -d PROTO --raw-in FILE`, PROTO the registry's
 *             (mode-128) % count-th dissector, forced even where the CLI
 *             refuses it (the engine must still not crash).
 * The bytes live in a memfd opened by /proc/self/fd path, as a file would. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/rawdump.h"
#include "capture/replay.h"
#include "fuzz_common.h"

static FILE *errors;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    dt_registry *reg = fuzz_registry();
    if (!errors && !(errors = fopen("/dev/null", "w")))
        return 0;
    unsigned mode = data[0];
    data++;
    size--;
    int fd = memfd_create("fuzz-input", 0);
    if (fd < 0)
        return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fuzz_run r;
    if (fuzz_run_start(&r, mode & 1u) == 0) {
        if (mode < 128) {
            dt_replay_opts ro = { .errors = errors };
            dt_replay *rp = dt_replay_new(r.eng, reg, &ro);
            if (rp) {
                char *paths[1] = { path };
                (void)dt_replay_files(rp, paths, 1);
                dt_replay_finish(rp);
                dt_replay_free(rp);
            }
        } else if (dt_registry_count(reg)) {
            const dt_dissector *d = dt_registry_at(reg, (mode - 128u) % dt_registry_count(reg));
            char err[640];
            (void)dt_rawdump_replay(r.eng, path, (mode & 2u) ? path : NULL, d->name, err, sizeof err);
        }
        fuzz_run_finish(&r);
    }
    close(fd);
    return 0;
}
