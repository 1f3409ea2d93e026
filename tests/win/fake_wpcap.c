/* A test double of Npcap's wpcap.dll, for the tests under wine, where the
 * real Npcap (a kernel driver and its service) cannot run. It exists only
 * for that reason, and it is built to be checked against the real thing:
 *
 * - it exports exactly the libpcap calls capture/live_npcap.c resolves
 *   (tests/win/win_npcap.py compares the export table with that file), and
 *   declares them through libpcap's own pcap.h compiled for Windows, so the
 *   signatures and structures (struct pcap_pkthdr and its struct timeval of
 *   32-bit longs, struct pcap_stat, pcap_if_t, struct bpf_program) are
 *   libpcap's, not a copy of diagtap's hand-written declarations;
 * - its one adapter, \Device\NPF_{GUID} as Npcap names them, "receives" the
 *   packets of a real classic pcap file named by DIAGTAP_FAKE_NPCAP_FILE
 *   (a Windows path), with their original timestamps and their gaps, each
 *   gap capped at DIAGTAP_FAKE_NPCAP_MAX_GAP_MS (50 by default) so a test
 *   does not wait minutes; after the last one (said in the file named by
 *   DIAGTAP_FAKE_NPCAP_DONE, if set) nothing arrives again:
 *   pcap_dispatch returns 0 and the event stays unsignalled until the caller
 *   stops (-c, --duration, Ctrl+C);
 * - libpcap semantics: settings refused once activated
 *   (PCAP_ERROR_ACTIVATED), calls before activation refused
 *   (PCAP_ERROR_NOT_ACTIVATED), an unknown adapter is
 *   PCAP_ERROR_NO_SUCH_DEVICE, timestamps in the precision asked for,
 *   caplen cut at the snap length, pcap_getevent's handle signalled while
 *   packets are waiting, pcap_dispatch handing at most cnt of them
 *   (nanoseconds refused when DIAGTAP_FAKE_NPCAP_MICRO is set, as an
 *   adapter without them would);
 * - it cannot evaluate BPF and says so: only the empty filter compiles (to
 *   libpcap's accept-all program, "ret #snaplen"), and pcap_setfilter runs
 *   only programs of that one instruction, refusing the others.
 * Like Npcap's, it needs Packet.dll from its own folder (fake_packet.c). */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

__declspec(dllimport) PCHAR PacketGetVersion(void);

#define FAKE_ADAPTER "\\Device\\NPF_{5D24AE04-C486-4A96-83FB-8B5EC6C7F430}"
#define FAKE_DESCRIPTION "diagtap's Npcap test double (replays DIAGTAP_FAKE_NPCAP_FILE)"
#define MAX_RECORD 262144 /* libpcap's largest snap length */

struct pcap {
    char errbuf[PCAP_ERRBUF_SIZE];
    char *device;
    bool activated, nonblock, failed;
    int snaplen, timeout_ms, precision;
    FILE *file;
    bool swapped, file_nano;
    int dlt;
    HANDLE timer; /* manual-reset: signalled from the next packet's arrival until it is read */
    LARGE_INTEGER start, freq;
    uint64_t max_gap_ns;
    bool has_filter;
    uint32_t filter_keep; /* the accept-all program's "ret #k": bytes kept, 0 drops */
    /* the next packet, read ahead: its header, bytes and arrival (ns after activation) */
    bool has_next;
    uint32_t ts_sec, ts_frac, caplen, origlen;
    uint8_t *data;
    uint64_t prev_ts_ns, due_ns;
    unsigned delivered;
};

static uint32_t rd32(const uint8_t *b, bool swapped)
{
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return swapped ? (v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24) : v;
}

/* The classic pcap header: byte order, µs or ns, link type. */
static bool open_file(pcap_t *p, const char *path)
{
    uint8_t h[24];
    p->file = fopen(path, "rb");
    if (!p->file) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: cannot open %s", path);
        return false;
    }
    if (fread(h, 1, sizeof h, p->file) != sizeof h) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: %s: no pcap header", path);
        return false;
    }
    uint32_t magic = rd32(h, false);
    p->swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    magic = rd32(h, p->swapped);
    if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: %s is not a classic pcap file", path);
        return false;
    }
    p->file_nano = magic == 0xa1b23c4d;
    uint32_t linktype = rd32(h + 20, p->swapped) & 0xffff;
    /* pcap_datalink reports DLT_* values: the few that differ from LINKTYPE_* */
    p->dlt = linktype == 100 ? DLT_ATM_RFC1483
             : linktype == 101 ? DLT_RAW
             : linktype == 102 ? DLT_SLIP_BSDOS
             : linktype == 103 ? DLT_PPP_BSDOS
                               : (int)linktype;
    return true;
}

static uint64_t elapsed_ns(const pcap_t *p)
{
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    return (uint64_t)((double)(now.QuadPart - p->start.QuadPart) * 1e9 / (double)p->freq.QuadPart);
}

/* Reads the next record ahead and works out when it "arrives". */
static bool read_next(pcap_t *p)
{
    uint8_t h[16];
    p->has_next = false;
    size_t got = fread(h, 1, sizeof h, p->file);
    if (got == 0 && feof(p->file))
        return true;
    long at = ftell(p->file) - (long)got;
    if (got != sizeof h) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: truncated record header at offset %ld", at);
        return false;
    }
    p->ts_sec = rd32(h, p->swapped);
    p->ts_frac = rd32(h + 4, p->swapped);
    p->caplen = rd32(h + 8, p->swapped);
    p->origlen = rd32(h + 12, p->swapped);
    if (p->caplen > MAX_RECORD || fread(p->data, 1, p->caplen, p->file) != p->caplen) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: bad or truncated record at offset %ld", at);
        return false;
    }
    uint64_t ts = (uint64_t)p->ts_sec * 1000000000u + (uint64_t)p->ts_frac * (p->file_nano ? 1u : 1000u);
    uint64_t gap = p->prev_ts_ns && ts > p->prev_ts_ns ? ts - p->prev_ts_ns : 0; /* the first: at once */
    p->due_ns += gap < p->max_gap_ns ? gap : p->max_gap_ns;
    p->prev_ts_ns = ts;
    p->has_next = true;
    return true;
}

/* Signals the event when the next packet arrives; never after the last. */
static void arm(pcap_t *p)
{
    LARGE_INTEGER due;
    if (p->has_next) {
        uint64_t now = elapsed_ns(p);
        due.QuadPart = p->due_ns > now ? -(LONGLONG)((p->due_ns - now + 99) / 100) : -1;
    }
    else
        due.QuadPart = -(LONGLONG)10000000 * 86400 * 365; /* setting it unsignals it */
    SetWaitableTimer(p->timer, &due, 0, NULL, NULL, FALSE);
}

/* For the tests only (no API effect): DIAGTAP_FAKE_NPCAP_DONE names a file
 * written once the last packet was handed over, so a test stops diagtap
 * after it rather than after a guessed time. */
static void say_done(const pcap_t *p)
{
    const char *path = getenv("DIAGTAP_FAKE_NPCAP_DONE");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%u packets\n", p->delivered);
        fclose(f);
    }
}

pcap_t *pcap_create(const char *source, char *errbuf)
{
    pcap_t *p = calloc(1, sizeof *p);
    if (p)
        p->device = strdup(source ? source : "");
    if (!p || !p->device) {
        free(p);
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    p->snaplen = MAX_RECORD;
    p->timeout_ms = 1000;
    p->precision = PCAP_TSTAMP_PRECISION_MICRO;
    return p;
}

#define SETTING(name, field)                                                                                 \
    int pcap_set_##name(pcap_t *p, int v)                                                                    \
    {                                                                                                        \
        if (p->activated)                                                                                    \
            return PCAP_ERROR_ACTIVATED;                                                                     \
        p->field = v;                                                                                        \
        return 0;                                                                                            \
    }
SETTING(snaplen, snaplen)
SETTING(timeout, timeout_ms)

int pcap_set_immediate_mode(pcap_t *p, int on)
{
    (void)on; /* packets are handed over as they arrive either way */
    return p->activated ? PCAP_ERROR_ACTIVATED : 0;
}

int pcap_set_buffer_size(pcap_t *p, int bytes)
{
    (void)bytes; /* no kernel buffer to size: nothing is ever dropped */
    return p->activated ? PCAP_ERROR_ACTIVATED : 0;
}

int pcap_set_tstamp_precision(pcap_t *p, int precision)
{
    if (p->activated)
        return PCAP_ERROR_ACTIVATED;
    /* DIAGTAP_FAKE_NPCAP_MICRO: an adapter that gives microseconds only */
    bool nano_ok = !getenv("DIAGTAP_FAKE_NPCAP_MICRO");
    if (precision != PCAP_TSTAMP_PRECISION_MICRO && !(precision == PCAP_TSTAMP_PRECISION_NANO && nano_ok))
        return PCAP_ERROR_TSTAMP_PRECISION_NOTSUP;
    p->precision = precision;
    return 0;
}

int pcap_get_tstamp_precision(pcap_t *p) { return p->precision; }

int pcap_activate(pcap_t *p)
{
    if (p->activated)
        return PCAP_ERROR_ACTIVATED;
    if (strcmp(p->device, FAKE_ADAPTER) != 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap has no adapter named '%s'", p->device);
        return PCAP_ERROR_NO_SUCH_DEVICE;
    }
    const char *path = getenv("DIAGTAP_FAKE_NPCAP_FILE");
    if (!path) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: DIAGTAP_FAKE_NPCAP_FILE is not set");
        return PCAP_ERROR;
    }
    const char *gap = getenv("DIAGTAP_FAKE_NPCAP_MAX_GAP_MS");
    p->max_gap_ns = (uint64_t)(gap ? strtoul(gap, NULL, 10) : 50) * 1000000u;
    if (p->snaplen <= 0 || p->snaplen > MAX_RECORD)
        p->snaplen = MAX_RECORD;
    p->data = malloc(MAX_RECORD);
    p->timer = CreateWaitableTimerA(NULL, TRUE, NULL);
    if (!p->data || !p->timer) {
        snprintf(p->errbuf, sizeof p->errbuf, "fake Npcap: out of resources");
        return PCAP_ERROR;
    }
    if (!open_file(p, path))
        return PCAP_ERROR;
    QueryPerformanceFrequency(&p->freq);
    QueryPerformanceCounter(&p->start);
    if (!read_next(p))
        return PCAP_ERROR;
    p->activated = true;
    arm(p);
    return 0;
}

char *pcap_geterr(pcap_t *p) { return p->errbuf; }

const char *pcap_statustostr(int error)
{
    switch (error) {
    case 0: return "No error";
    case PCAP_ERROR: return "Generic error";
    case PCAP_ERROR_BREAK: return "Loop ended by pcap_breakloop";
    case PCAP_ERROR_NOT_ACTIVATED: return "The capture is not activated yet";
    case PCAP_ERROR_ACTIVATED: return "The setting cannot change once the capture is activated";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "No such device exists";
    case PCAP_ERROR_PERM_DENIED: return "Permission denied to open the device";
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: return "That time stamp precision is not supported";
    default: return "Unknown error";
    }
}

int pcap_compile(pcap_t *p, struct bpf_program *prog, const char *str, int optimize, bpf_u_int32 netmask)
{
    (void)optimize;
    (void)netmask;
    if (!p->activated) {
        snprintf(p->errbuf, sizeof p->errbuf, "not-yet-activated pcap_t passed to pcap_compile");
        return PCAP_ERROR;
    }
    if (str && str[strspn(str, " \t\r\n")]) {
        snprintf(p->errbuf, sizeof p->errbuf,
                 "this Npcap test double cannot evaluate filters: only the empty filter compiles");
        return PCAP_ERROR;
    }
    struct bpf_insn *accept = malloc(sizeof *accept);
    if (!accept) {
        snprintf(p->errbuf, sizeof p->errbuf, "out of memory");
        return PCAP_ERROR;
    }
    *accept = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, (bpf_u_int32)p->snaplen);
    prog->bf_len = 1;
    prog->bf_insns = accept;
    return 0;
}

int pcap_setfilter(pcap_t *p, struct bpf_program *prog)
{
    if (!p->activated)
        return PCAP_ERROR_NOT_ACTIVATED;
    if (prog->bf_len < 1 || prog->bf_insns[0].code != (BPF_RET | BPF_K)) {
        snprintf(p->errbuf, sizeof p->errbuf, "this Npcap test double runs only 'ret #k' filter programs");
        return PCAP_ERROR;
    }
    p->has_filter = true;
    p->filter_keep = prog->bf_insns[0].k;
    return 0;
}

void pcap_freecode(struct bpf_program *prog)
{
    free(prog->bf_insns);
    prog->bf_insns = NULL;
    prog->bf_len = 0;
}

int pcap_setnonblock(pcap_t *p, int nonblock, char *errbuf)
{
    (void)errbuf;
    p->nonblock = nonblock != 0;
    return 0;
}

HANDLE pcap_getevent(pcap_t *p) { return p->activated ? p->timer : INVALID_HANDLE_VALUE; }

int pcap_datalink(pcap_t *p) { return p->activated ? p->dlt : PCAP_ERROR_NOT_ACTIVATED; }

int pcap_dispatch(pcap_t *p, int cnt, pcap_handler callback, u_char *user)
{
    if (!p->activated)
        return PCAP_ERROR_NOT_ACTIVATED;
    if (p->failed)
        return PCAP_ERROR;
    if (!p->nonblock && p->has_next && elapsed_ns(p) < p->due_ns)
        WaitForSingleObject(p->timer, p->timeout_ms > 0 ? (DWORD)p->timeout_ms : INFINITE);
    int n = 0;
    while (p->has_next && (cnt <= 0 || n < cnt) && elapsed_ns(p) >= p->due_ns) {
        uint32_t keep = p->has_filter ? p->filter_keep : UINT32_MAX;
        if (keep > 0) {
            struct pcap_pkthdr h;
            h.ts.tv_sec = (long)p->ts_sec;
            if (p->precision == PCAP_TSTAMP_PRECISION_NANO)
                h.ts.tv_usec = (long)(p->file_nano ? p->ts_frac : p->ts_frac * 1000u);
            else
                h.ts.tv_usec = (long)(p->file_nano ? p->ts_frac / 1000u : p->ts_frac);
            h.len = p->origlen;
            h.caplen = p->caplen;
            if (h.caplen > (uint32_t)p->snaplen)
                h.caplen = (uint32_t)p->snaplen;
            if (h.caplen > keep)
                h.caplen = keep;
            callback(user, &h, p->data);
            n++;
        }
        p->delivered++;
        if (!read_next(p)) {
            p->failed = true;
            break;
        }
    }
    arm(p);
    if (n > 0 && !p->has_next && !p->failed)
        say_done(p);
    return p->failed && n == 0 ? PCAP_ERROR : n;
}

int pcap_stats(pcap_t *p, struct pcap_stat *ps)
{
    if (!p->activated) {
        snprintf(p->errbuf, sizeof p->errbuf, "Statistics aren't available from a pcap_t that hasn't been activated");
        return PCAP_ERROR_NOT_ACTIVATED;
    }
    /* Npcap fills these three; the Windows-only ones are pcap_stats_ex's */
    ps->ps_recv = p->delivered;
    ps->ps_drop = 0;
    ps->ps_ifdrop = 0;
    return 0;
}

void pcap_close(pcap_t *p)
{
    if (p->file)
        fclose(p->file);
    if (p->timer)
        CloseHandle(p->timer);
    free(p->data);
    free(p->device);
    free(p);
}

int pcap_findalldevs(pcap_if_t **alldevs, char *errbuf)
{
    pcap_if_t *d = calloc(1, sizeof *d);
    if (d) {
        d->name = strdup(FAKE_ADAPTER);
        d->description = strdup(FAKE_DESCRIPTION);
        d->flags = PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_CONNECTED;
    }
    if (!d || !d->name || !d->description) {
        if (d) {
            free(d->name);
            free(d->description);
        }
        free(d);
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
        return PCAP_ERROR;
    }
    *alldevs = d;
    return 0;
}

void pcap_freealldevs(pcap_if_t *alldevs)
{
    while (alldevs) {
        pcap_if_t *next = alldevs->next;
        free(alldevs->name);
        free(alldevs->description);
        free(alldevs);
        alldevs = next;
    }
}

const char *pcap_lib_version(void)
{
    /* As Npcap's: the driver package's version from Packet.dll, built once
     * into a string that lives as long as the DLL. */
    static char text[128];
    if (!text[0])
        snprintf(text, sizeof text, "Npcap version %s, based on libpcap version 1.10 (diagtap test double)",
                 PacketGetVersion());
    return text;
}
