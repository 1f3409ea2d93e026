/* KD packet types and APIs the corpus capture does not contain, built by hand
 * from windbgkd.h's 64-bit layouts (and the 32-bit state change), sent as a
 * serial session: the decoded fields, summaries, pairing and counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtcorpus.h"
#include "kd_test_util.h"

#define HOST DT_DIR_S2C
#define TARGET DT_DIR_C2S

typedef struct session {
    dt_registry *reg;
    dt_engine *eng;
    dt_conv *conv;
    kdt_run run;
    uint32_t id[2];
    uint64_t ts;
} session;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }

static void open_session(session *s)
{
    memset(s, 0, sizeof *s);
    s->reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(s->reg), 0);
    s->eng = dt_engine_new(s->reg);
    kdt_run_init(&s->run);
    dt_engine_add_sink(s->eng, &s->run.base);
    const dt_channel *ch = dt_engine_channel(s->eng, "unix:/tmp/com1", "", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "vm", .server = "kd" };
    s->conv = dt_engine_conv_open(s->eng, &p);
    s->id[0] = 0x80800000u;
    s->id[1] = 0x80800000u;
    s->ts = 1700000000000000000ull;
}

static void close_session(session *s)
{
    assert_int_equal(dt_engine_finish(s->eng, s->ts), 0);
    dt_engine_free(s->eng);
    dt_registry_free(s->reg);
}

/* Sends one data packet with KDCOM framing; it must produce `events` events
 * (a resync note may come first); returns the last. */
static const kdt_event *send_data_n(session *s, dt_dir dir, uint16_t type, const uint8_t *data, size_t n,
                                    size_t events)
{
    uint8_t buf[8192];
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += data[i];
    memset(buf, '0', 4);
    put16(buf + 4, type);
    put16(buf + 6, (uint16_t)n);
    put32(buf + 8, s->id[dir]);
    put32(buf + 12, sum);
    if (n)
        memcpy(buf + 16, data, n);
    buf[16 + n] = 0xAA;
    s->id[dir] ^= 1;
    s->ts += 1000000;
    size_t before = s->run.n;
    dt_engine_stream(s->eng, s->conv, dir, s->ts, buf, 17 + n);
    assert_int_equal(s->run.n, before + events);
    return &s->run.ev[s->run.n - 1];
}

static const kdt_event *send_data(session *s, dt_dir dir, uint16_t type, const uint8_t *data, size_t n)
{
    return send_data_n(s, dir, type, data, n, 1);
}

static const kdt_event *manip(session *s, dt_dir dir, uint32_t api, uint32_t status, const uint8_t u[40],
                              const uint8_t *extra, size_t n)
{
    uint8_t d[4096] = { 0 };
    put32(d, api);
    put32(d + 8, status);
    memcpy(d + 16, u, 40);
    if (n)
        memcpy(d + 56, extra, n);
    return send_data(s, dir, 2, d, 56 + n);
}

static void expect(const kdt_event *e, const char *abbrev, const char *value)
{
    char buf[4096];
    const char *got = kdt_field(e, abbrev, buf, sizeof buf);
    if (!got || (value && strcmp(got, value) != 0))
        fail_msg("%s: want %s=%s, got %s\n%s", e->summary, abbrev, value ? value : "(any)", got ? got : "(none)",
                 e->fields);
}

static void in_summary(const kdt_event *e, const char *text)
{
    if (!strstr(e->summary, text))
        fail_msg("summary \"%s\" lacks \"%s\"", e->summary, text);
}

static void greet(session *s)
{
    uint8_t d[64] = { 0 };
    put32(d, 0x3230);
    put32(d + 8, 3);
    memcpy(d + 16, "hi\n", 3);
    const kdt_event *e = send_data(s, TARGET, 3, d, 19);
    expect(e, "kd.print.text", "hi\\n");
}

static void manipulate_apis(void **state)
{
    (void)state;
    session s;
    open_session(&s);
    greet(&s); /* the target speaks first: sides are known */
    uint8_t u[40] = { 0 }, x[64];

    /* ReadPhysicalMemory 0x1000, 8 bytes. */
    put64(u, 0x1000);
    put32(u + 8, 8);
    const kdt_event *rq = manip(&s, HOST, 0x313D, 0x103, u, NULL, 0);
    put32(u + 12, 8);
    memcpy(x, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    const kdt_event *rp = manip(&s, TARGET, 0x313D, 0, u, x, 8);
    assert_int_equal(rq->role, DT_ROLE_REQUEST);
    assert_int_equal(rp->role, DT_ROLE_RESPONSE);
    assert_int_equal(rp->req_seq, rq->seq);
    expect(rp, "kd.mem.address", "4096");
    expect(rp, "kd.mem.actual", "8");
    expect(rp, "kd.mem.data", "0102030405060708");
    in_summary(rp, "ReadPhysicalMemory reply 0x1000: 8 of 8 bytes, STATUS_SUCCESS");

    /* WriteVirtualMemory: the bytes travel with the request. */
    memset(u, 0, 40);
    put64(u, 0xfffff80000002000ull);
    put32(u + 8, 2);
    rq = manip(&s, HOST, 0x3131, 0x103, u, (const uint8_t *)"\xcc\x90", 2);
    expect(rq, "kd.mem.data", "cc90");
    expect(rq, "kd.mem.address", "18446735277616537600");
    put32(u + 12, 2);
    rp = manip(&s, TARGET, 0x3131, 0, u, NULL, 0);
    in_summary(rp, "WriteVirtualMemory reply 0xfffff80000002000: 2 of 2 bytes");

    /* WriteBreakPoint: the reply carries the handle. */
    memset(u, 0, 40);
    put64(u, 0xfffff80000001000ull);
    manip(&s, HOST, 0x3134, 0x103, u, NULL, 0);
    put32(u + 8, 5);
    rp = manip(&s, TARGET, 0x3134, 0, u, NULL, 0);
    expect(rp, "kd.bp.handle", "5");
    in_summary(rp, "WriteBreakPoint reply 0xfffff80000001000: handle 5");

    /* SearchMemory: pattern in the request, found address in the reply. */
    memset(u, 0, 40);
    put64(u, 0x400000);
    put64(u + 8, 0x10000);
    put32(u + 16, 4);
    rq = manip(&s, HOST, 0x3156, 0x103, u, (const uint8_t *)"MZ\x90\x00", 4);
    expect(rq, "kd.search.pattern", "4d5a9000");
    expect(rq, "kd.search.length", "65536");
    put64(u, 0x400080);
    rp = manip(&s, TARGET, 0x3156, 0, u, NULL, 0);
    in_summary(rp, "found at 0x400080");

    /* QueryMemory. */
    memset(u, 0, 40);
    put64(u, 0xfffff80000000000ull);
    manip(&s, HOST, 0x315C, 0x103, u, NULL, 0);
    put32(u + 16, 2);
    put32(u + 20, 5);
    rp = manip(&s, TARGET, 0x315C, 0, u, NULL, 0);
    expect(rp, "kd.query.address_space", "2");
    in_summary(rp, "Kernel, r-x");

    /* ReadMachineSpecificRegister. */
    memset(u, 0, 40);
    put32(u, 0xC0000082);
    manip(&s, HOST, 0x3152, 0x103, u, NULL, 0);
    put32(u + 4, 0x12345678);
    put32(u + 8, 0xfffff801);
    rp = manip(&s, TARGET, 0x3152, 0, u, NULL, 0);
    expect(rp, "kd.msr.value", "18446735282216916600"); /* 0xfffff80112345678 */

    /* A failed read: NTSTATUS by name, an error for --stats. */
    memset(u, 0, 40);
    put64(u, 0x10);
    put32(u + 8, 4);
    manip(&s, HOST, 0x3130, 0x103, u, NULL, 0);
    rp = manip(&s, TARGET, 0x3130, 0xC0000005, u, NULL, 0);
    assert_true(rp->is_error);
    assert_string_equal(rp->status, "STATUS_ACCESS_VIOLATION");

    /* Continue2: no reply is expected, so nothing is left pending. */
    memset(u, 0, 40);
    put32(u, 0x10002);
    put32(u + 4, 1);
    put64(u + 8, 0x400);
    rq = manip(&s, HOST, 0x313C, 0x103, u, NULL, 0);
    expect(rq, "kd.continue.status", "65538");
    expect(rq, "kd.continue.trace_flag", "1");
    expect(rq, "kd.continue.dr7", "1024");
    in_summary(rq, "Continue2 request DBG_CONTINUE, single step");
    assert_int_equal(rq->role, DT_ROLE_NONE);

    close_session(&s);
    for (size_t i = 0; i < s.run.n; i++)
        assert_int_not_equal(s.run.ev[i].kind, DT_EV_PENDING);
    kdt_run_free(&s.run);
}

static void target_initiated(void **state)
{
    (void)state;
    session s;
    open_session(&s);
    greet(&s);
    uint8_t d[512];

    /* GetString: a prompt and the host's answer, paired. */
    memset(d, 0, sizeof d);
    put32(d, 0x3231);
    put32(d + 8, 7);
    put32(d + 12, 64);
    memcpy(d + 16, "Break? ", 7);
    const kdt_event *rq = send_data(&s, TARGET, 3, d, 23);
    expect(rq, "kd.prompt.text", "Break? ");
    put32(d + 12, 1);
    memcpy(d + 16, "y", 1);
    const kdt_event *rp = send_data(&s, HOST, 3, d, 17);
    expect(rp, "kd.prompt.reply", "y");
    assert_int_equal(rp->req_seq, rq->seq);

    /* TRACE_IO. */
    memset(d, 0, sizeof d);
    put32(d, 0x3330);
    put32(d + 8, 4);
    memcpy(d + 64, "\xde\xad\xbe\xef", 4);
    const kdt_event *e = send_data(&s, TARGET, 9, d, 68);
    expect(e, "kd.trace.data", "deadbeef");

    /* CONTROL_REQUEST: a hardware breakpoint. */
    memset(d, 0, sizeof d);
    put32(d, 0x4300);
    put32(d + 8, 1);
    put32(d + 12, 1);
    put64(d + 16, 0xfffff80000003000ull);
    e = send_data(&s, TARGET, 10, d, 32);
    in_summary(e, "RequestHardwareBreakpoint #1 0xfffff80000003000");

    /* FILE_IO: CreateFile names the file; ReadFile's data comes back in the
     * host's reply; reads and the close are named after the open handle. */
    memset(d, 0, sizeof d);
    put32(d, 0x3430);
    memcpy(d + 64, "a\0.\0s\0y\0s\0\0\0", 12);
    rq = send_data(&s, TARGET, 11, d, 76);
    expect(rq, "kd.file.name", "a.sys");
    put64(d + 32, 0x10);
    put64(d + 40, 1234);
    rp = send_data(&s, HOST, 11, d, 64);
    in_summary(rp, "CreateFile a.sys: handle 0x10, 1234 bytes -> STATUS_SUCCESS");
    memset(d, 0, sizeof d);
    put32(d, 0x3431);
    put64(d + 8, 0x10);
    put32(d + 24, 4);
    rq = send_data(&s, TARGET, 11, d, 64);
    expect(rq, "kd.file.handle", "16");
    memcpy(d + 64, "DATA", 4);
    rp = send_data(&s, HOST, 11, d, 68);
    expect(rp, "kd.file.data", "44415441");
    expect(rp, "kd.file.name", "a.sys");
    assert_int_equal(rp->req_seq, rq->seq);
    memset(d, 0, sizeof d);
    put32(d, 0x3433);
    put64(d + 8, 0x10);
    send_data(&s, TARGET, 11, d, 64);
    e = send_data(&s, HOST, 11, d, 64);
    in_summary(e, "CloseFile a.sys handle 0x10");

    /* STATE_CHANGE32 load symbols: the path closes the packet. */
    static const char path[] = "\\SystemRoot\\system32\\ntoskrnl.exe";
    memset(d, 0, sizeof d);
    put32(d, 0x3031);
    put32(d + 8, 2);
    put32(d + 20, sizeof path);
    put32(d + 24, 0x80400000);
    put32(d + 36, 0x200000);
    memcpy(d + 200, path, sizeof path);
    e = send_data(&s, TARGET, 1, d, 200 + sizeof path);
    expect(e, "kd.load.path", "\\\\SystemRoot\\\\system32\\\\ntoskrnl.exe");
    expect(e, "kd.load.base", "2151677952");
    in_summary(e, "Load symbols \\SystemRoot\\system32\\ntoskrnl.exe base 0x80400000 size 0x200000");

    /* STATE_CHANGE32 exception, second chance. */
    memset(d, 0, sizeof d);
    put32(d, 0x3030);
    put32(d + 20, 0xC0000005);
    put32(d + 32, 0x80401234);
    e = send_data(&s, TARGET, 1, d, 120);
    in_summary(e, "Exception STATUS_ACCESS_VIOLATION at 0x80401234, second chance");
    assert_true(e->is_error);

    /* STATE_CHANGE64 command string: two strings after the structure. */
    memset(d, 0, sizeof d);
    put32(d, 0x3032);
    memcpy(d + 240, "dbgcmd\0!process 0 0\0", 21);
    e = send_data(&s, TARGET, 7, d, 261);
    in_summary(e, "Command string: dbgcmd !process 0 0");

    /* POLL_BREAKIN twice a second apart, a break-in byte, a bad checksum. */
    send_data(&s, TARGET, 8, NULL, 0);
    s.ts += 999000000;
    send_data(&s, TARGET, 8, NULL, 0);
    dt_engine_stream(s.eng, s.conv, HOST, s.ts, (const uint8_t *)"b", 1);
    expect(&s.run.ev[s.run.n - 1], "kd_serial.breakin", "1");
    uint8_t bad[] = { '0', '0', '0', '0', 3, 0, 4, 0, 0, 0, 0, 0, 0x99, 0, 0, 0, 0x30, 0x32, 0, 0, 0xAA };
    dt_engine_stream(s.eng, s.conv, TARGET, s.ts, bad, sizeof bad);
    e = &s.run.ev[s.run.n - 1];
    expect(e, "kd.checksum.good", "0");
    expect(e, "kd.checksum.computed", "98");
    in_summary(e, "bad checksum");

    dt_engine_conv_close(s.eng, s.conv, s.ts, NULL);
    const kdt_event *sum = NULL;
    for (size_t i = 0; i < s.run.n; i++)
        if (kdt_has(&s.run.ev[i], "kd.session.packets", NULL))
            sum = &s.run.ev[i];
    assert_non_null(sum);
    expect(sum, "kd.session.breakins", "1");
    expect(sum, "kd.session.bad_checksums", "1");
    expect(sum, "kd.session.poll_interval", "1000000000");
    close_session(&s);
    kdt_run_free(&s.run);
}

/* The rest of the APIs the issue lists, request and reply fields each. */
static void manipulate_more_apis(void **state)
{
    (void)state;
    session s;
    open_session(&s);
    greet(&s);
    uint8_t u[40] = { 0 }, x[64];

    /* GetVersion: the request is empty; the reply carries the version block. */
    const kdt_event *rq = manip(&s, HOST, 0x3146, 0x103, u, NULL, 0);
    in_summary(rq, "GetVersion request");
    put16(u, 0x000F);      /* MajorVersion: NT, free */
    put16(u + 2, 22621);   /* MinorVersion: the build */
    u[4] = 6;              /* ProtocolVersion */
    put16(u + 8, 0xAA64);  /* MachineType: ARM64 */
    put64(u + 16, 0xfffff80564000000ull);
    put64(u + 24, 0xfffff80564c2a270ull);
    const kdt_event *rp = manip(&s, TARGET, 0x3146, 0, u, NULL, 0);
    assert_int_equal(rp->req_seq, rq->seq);
    expect(rp, "kd.version.minor", "22621");
    expect(rp, "kd.version.machine", "43620");
    expect(rp, "kd.version.kern_base", "18446735300769087488");
    expect(rp, "kd.version.ps_loaded_module_list", "18446735300781843056");
    in_summary(rp, "GetVersion reply: NT build 22621 (free) ARM64, protocol 6, KernBase 0xfffff80564000000, "
                   "PsLoadedModuleList 0xfffff80564c2a270, STATUS_SUCCESS");

    /* WritePhysicalMemory: data in the request, the actual count in the reply. */
    memset(u, 0, 40);
    put64(u, 0x2000);
    put32(u + 8, 3);
    rq = manip(&s, HOST, 0x313E, 0x103, u, (const uint8_t *)"\x0f\x0b\x90", 3);
    expect(rq, "kd.mem.address", "8192");
    expect(rq, "kd.mem.requested", "3");
    expect(rq, "kd.mem.data", "0f0b90");
    in_summary(rq, "WritePhysicalMemory request 0x2000 len 3");
    put32(u + 12, 2);
    rp = manip(&s, TARGET, 0x313E, 0x80000005, u, NULL, 0);
    expect(rp, "kd.mem.actual", "2");
    in_summary(rp, "WritePhysicalMemory reply 0x2000: 2 of 3 bytes, STATUS_BUFFER_OVERFLOW");
    assert_int_equal(rp->req_seq, rq->seq);

    /* ReadControlSpace: processor block offset, bytes in the reply. */
    memset(u, 0, 40);
    put64(u, 2);
    put32(u + 8, 4);
    rq = manip(&s, HOST, 0x3137, 0x103, u, NULL, 0);
    put32(u + 12, 4);
    rp = manip(&s, TARGET, 0x3137, 0, u, (const uint8_t *)"\xaa\xbb\xcc\xdd", 4);
    expect(rp, "kd.mem.data", "aabbccdd");
    in_summary(rp, "ReadControlSpace reply 0x2: 4 of 4 bytes, STATUS_SUCCESS");

    /* GetContext: the context comes back as extra data. */
    memset(u, 0, 40);
    rq = manip(&s, HOST, 0x3132, 0x103, u, NULL, 0);
    memset(x, 0x11, sizeof x);
    rp = manip(&s, TARGET, 0x3132, 0, u, x, 48);
    in_summary(rp, "GetContext reply: 48 bytes, STATUS_SUCCESS");
    assert_int_equal(rp->req_seq, rq->seq);

    /* SetContext: flags and the context travel with the request. */
    put32(u, 0x10001F);
    rq = manip(&s, HOST, 0x3133, 0x103, u, x, 32);
    expect(rq, "kd.context.flags", "1048607");
    in_summary(rq, "SetContext request flags 0x10001f, 32 bytes");
    rp = manip(&s, TARGET, 0x3133, 0xC0000022, u, NULL, 0);
    assert_string_equal(rp->status, "STATUS_ACCESS_DENIED");
    assert_true(rp->is_error);

    /* GetContextEx / SetContextEx: offset, byte count, bytes copied. */
    memset(u, 0, 40);
    put32(u, 0x30);
    put32(u + 4, 16);
    rq = manip(&s, HOST, 0x315F, 0x103, u, NULL, 0);
    expect(rq, "kd.context.offset", "48");
    expect(rq, "kd.context.byte_count", "16");
    in_summary(rq, "GetContextEx request offset 48 len 16");
    put32(u + 8, 16);
    rp = manip(&s, TARGET, 0x315F, 0, u, x, 16);
    expect(rp, "kd.context.bytes_copied", "16");
    expect(rp, "kd.context.data", "11111111111111111111111111111111");
    in_summary(rp, "GetContextEx reply: 16 bytes, STATUS_SUCCESS");
    memset(u + 8, 0, 4);
    rq = manip(&s, HOST, 0x3160, 0x103, u, (const uint8_t *)"\x01\x02", 2);
    expect(rq, "kd.context.data", "0102");
    put32(u + 8, 2);
    rp = manip(&s, TARGET, 0x3160, 0, u, NULL, 0);
    in_summary(rp, "SetContextEx reply: 2 bytes, STATUS_SUCCESS");
    assert_int_equal(rp->req_seq, rq->seq);

    /* RestoreBreakPoint: the handle both ways. */
    memset(u, 0, 40);
    put32(u, 7);
    rq = manip(&s, HOST, 0x3135, 0x103, u, NULL, 0);
    expect(rq, "kd.bp.handle", "7");
    rp = manip(&s, TARGET, 0x3135, 0xC0000001, u, NULL, 0);
    in_summary(rp, "RestoreBreakPoint reply handle 7, STATUS_UNSUCCESSFUL");

    /* Continue: the status the debugger resumes with; no reply expected. */
    memset(u, 0, 40);
    put32(u, 0x80010001);
    rq = manip(&s, HOST, 0x3136, 0x103, u, NULL, 0);
    expect(rq, "kd.continue.status", "2147549185");
    in_summary(rq, "Continue request DBG_EXCEPTION_NOT_HANDLED");
    assert_int_equal(rq->role, DT_ROLE_NONE);

    /* An unknown status keeps its number. */
    memset(u, 0, 40);
    manip(&s, HOST, 0x3130, 0x103, u, NULL, 0);
    rp = manip(&s, TARGET, 0x3130, 0xC0DE0001, u, NULL, 0);
    in_summary(rp, "0xc0de0001");
    assert_true(rp->is_error);

    close_session(&s);
    for (size_t i = 0; i < s.run.n; i++)
        assert_int_not_equal(s.run.ev[i].kind, DT_EV_PENDING);
    kdt_run_free(&s.run);
}

/* Exceptions by name in the 64-bit layout, and WriteFile's data. */
static void exceptions_and_writes(void **state)
{
    (void)state;
    static const struct { uint32_t code; const char *name; } codes[] = {
        { 0x80000003, "STATUS_BREAKPOINT" },          { 0x80000004, "STATUS_SINGLE_STEP" },
        { 0xC0000005, "STATUS_ACCESS_VIOLATION" },    { 0xC0000094, "STATUS_INTEGER_DIVIDE_BY_ZERO" },
        { 0xC000001D, "STATUS_ILLEGAL_INSTRUCTION" }, { 0xC0000409, "STATUS_STACK_BUFFER_OVERRUN" },
        { 0xC0000420, "STATUS_ASSERTION_FAILURE" },   { 0x40010005, "DBG_CONTROL_C" },
        { 0x80000007, "STATUS_WAKE_SYSTEM_DEBUGGER" }, { 0xC0000602, "STATUS_FAIL_FAST_EXCEPTION" },
    };
    session s;
    open_session(&s);
    greet(&s);
    uint8_t d[512];
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        memset(d, 0, sizeof d);
        put32(d, 0x3030);
        put16(d + 6, 1);                      /* processor */
        put64(d + 24, 0xfffff80000001234ull); /* ProgramCounter */
        put32(d + 32, codes[i].code);         /* ExceptionRecord64 at the union */
        put64(d + 48, 0xfffff80000001234ull); /* ExceptionAddress */
        put32(d + 56, 1);                     /* NumberParameters */
        put64(d + 64, 0xdead);
        put32(d + 32 + 152, i & 1);           /* FirstChance */
        const kdt_event *e = send_data(&s, TARGET, 7, d, 240);
        char want[128];
        snprintf(want, sizeof want, "Exception %s at 0xfffff80000001234, %s chance (cpu 1)", codes[i].name,
                 i & 1 ? "first" : "second");
        in_summary(e, want);
        assert_string_equal(e->status, codes[i].name);
        expect(e, "kd.exception.first_chance", i & 1 ? "1" : "0");
        expect(e, "kd.exception.param", "57005");
        assert_string_equal(e->stats_key, "Exception");
    }

    /* WriteFile: the target's data goes to the host's file. */
    memset(d, 0, sizeof d);
    put32(d, 0x3432);
    put64(d + 8, 0x20);
    put64(d + 16, 512);
    put32(d + 24, 3);
    memcpy(d + 64, "log", 3);
    const kdt_event *rq = send_data(&s, TARGET, 11, d, 67);
    expect(rq, "kd.file.data", "6c6f67");
    expect(rq, "kd.file.offset", "512");
    in_summary(rq, "WriteFile handle 0x20 offset 512 len 3");
    const kdt_event *rp = send_data(&s, HOST, 11, d, 64);
    assert_int_equal(rp->req_seq, rq->seq);
    in_summary(rp, "-> STATUS_SUCCESS");
    close_session(&s);
    kdt_run_free(&s.run);
}

/* Break-in bytes only from the host and only before a packet or silence;
 * the trailing byte is checked. */
static void serial_breakin_and_trailer(void **state)
{
    (void)state;
    session s;
    open_session(&s);
    greet(&s); /* the target writes C2S */
    /* The target's console prints "boot": text, not a break-in. */
    dt_engine_stream(s.eng, s.conv, TARGET, s.ts, (const uint8_t *)"boot\r\n", 6);
    /* A lone 'b' from the target is not one either: only the host breaks in. */
    dt_engine_stream(s.eng, s.conv, TARGET, s.ts, (const uint8_t *)"b", 1);
    uint8_t hi[19] = { 0 };
    put32(hi, 0x3230);
    put32(hi + 8, 3);
    memcpy(hi + 16, "hi\n", 3);
    const kdt_event *e = send_data_n(&s, TARGET, 3, hi, sizeof hi, 2);
    expect(e, "kd.print.text", "hi\\n");
    in_summary(&s.run.ev[s.run.n - 2], "skipped 7 bytes");
    /* The host's break-in, then its next packet: one break-in of three bytes. */
    dt_engine_stream(s.eng, s.conv, HOST, s.ts, (const uint8_t *)"bbb", 3);
    const kdt_event *b = &s.run.ev[s.run.n - 1];
    expect(b, "kd_serial.breakin", "3");
    in_summary(b, "Break-in from the host (3 bytes)");
    assert_string_equal(b->stats_key, "BREAKIN");
    uint8_t u[40] = { 0 };
    manip(&s, HOST, 0x3146, 0x103, u, NULL, 0);

    /* A data packet whose trailing byte is not 0xAA. */
    uint8_t bad[] = { '0', '0', '0', '0', 3, 0, 4, 0, 0, 0, 0, 0, 0x62, 0, 0, 0, 0x30, 0x32, 0, 0, 0x55 };
    size_t before = s.run.n;
    dt_engine_stream(s.eng, s.conv, TARGET, s.ts, bad, sizeof bad);
    assert_int_equal(s.run.n, before + 1);
    e = &s.run.ev[before];
    assert_true(e->malformed);
    expect(e, "kd_serial.trailer", "85");
    expect(e, "kd.checksum.good", "1");

    dt_engine_conv_close(s.eng, s.conv, s.ts, NULL);
    size_t breakins = 0, resyncs = 0;
    const kdt_event *sum = NULL;
    for (size_t i = 0; i < s.run.n; i++) {
        breakins += kdt_has(&s.run.ev[i], "kd_serial.breakin", NULL);
        resyncs += s.run.ev[i].kind == DT_EV_NOTE && strstr(s.run.ev[i].summary, "resynchronised");
        if (kdt_has(&s.run.ev[i], "kd.session.packets", NULL))
            sum = &s.run.ev[i];
    }
    assert_int_equal(breakins, 1);
    assert_int_equal(resyncs, 1); /* "boot\r\n" and the target's 'b': one run of 7 bytes */
    assert_non_null(sum);
    expect(sum, "kd.session.breakins", "1");
    expect(sum, "kd.session.packets", "4");
    expect(sum, "kd.session.bytes", "162"); /* (16 + 19) * 2 + 16 + 56 + 16 + 4: headers and data */
    in_summary(sum, "1 break-ins");
    close_session(&s);
    kdt_run_free(&s.run);
}

static void key_parsing(void **state)
{
    (void)state;
#ifdef KDT_HAVE_CRYPTO
    if (dt_corpus_missing(KDT_CORPUS_FILE))
        skip();
    kdt_capture cap;
    assert_int_equal(kdt_load(kdt_corpus_path(), &cap), 0);
    kdt_run r;
    kdt_replay_udp(&cap, " 8.8.8.8 ", NULL, &r); /* spaces around a key are ignored */
    assert_int_equal(kdt_count(&r, "kdnet.decryption", "verified"), cap.n);
    kdt_run_free(&r);
    kdt_replay_udp(&cap, "3w5e11264sgsg.1.1.1", NULL, &r); /* 2^64 does not fit a quarter */
    assert_non_null(strstr(r.ev[0].summary, "bad KDNET key"));
    kdt_run_free(&r);
    kdt_free_capture(&cap);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manipulate_apis),
        cmocka_unit_test(target_initiated),
        cmocka_unit_test(manipulate_more_apis),
        cmocka_unit_test(exceptions_and_writes),
        cmocka_unit_test(serial_breakin_and_trailer),
        cmocka_unit_test(key_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
