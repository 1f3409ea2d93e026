/* The .NET IPC dissector: every command and response of the protocol spec,
 * encoded here and decoded; the advertise message; malformed headers; and a
 * CollectTracing session whose EventPipe continuation is a real trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dn_support.h"
#include "dtcorpus.h"

static const uint8_t cookie[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe };
#define COOKIE_TEXT "67452301-ab89-efcd-1032-547698badcfe"

static void ipc_msg(dn_buf *out, uint8_t set, uint8_t id, const dn_buf *payload)
{
    dn_put(out, "DOTNET_IPC_V1", 14);
    dn_u16(out, (uint16_t)(20 + (payload ? payload->len : 0)));
    dn_u8(out, set);
    dn_u8(out, id);
    dn_u16(out, 0);
    if (payload && payload->len)
        dn_put(out, payload->p, payload->len);
}

static void ok_u64(dn_buf *out, uint64_t v)
{
    dn_buf p = { 0 };
    dn_u64(&p, v);
    ipc_msg(out, 0xff, 0x00, &p);
    dn_buf_free(&p);
}

static void ok_hr(dn_buf *out, uint32_t hr)
{
    dn_buf p = { 0 };
    dn_u32(&p, hr);
    ipc_msg(out, 0xff, 0x00, &p);
    dn_buf_free(&p);
}

static void error_hr(dn_buf *out, uint32_t hr, const char *message)
{
    dn_buf p = { 0 };
    dn_u32(&p, hr);
    if (message)
        dn_ipc_string(&p, message);
    ipc_msg(out, 0xff, 0xff, &p);
    dn_buf_free(&p);
}

/* One connection: the request, then the response (and what follows). */
static void run_conv(dn_run *r, const dn_buf *c2s, const dn_buf *s2c, size_t chunk)
{
    dn_run_start(r, NULL, 42);
    dn_run_feed(r, DT_DIR_C2S, c2s->p, c2s->len, chunk);
    if (s2c && s2c->len)
        dn_run_feed(r, DT_DIR_S2C, s2c->p, s2c->len, chunk);
    dn_run_finish(r);
}

static const dn_event *expect(const dn_sink *s, const char *summary_part)
{
    const dn_event *e = dn_find(s, summary_part);
    if (!e) {
        print_error("no event with \"%s\"; events:\n", summary_part);
        for (size_t i = 0; i < s->n_kept; i++)
            print_error("  [%s] %s\n", s->ev[i].proto, s->ev[i].summary);
    }
    assert_non_null(e);
    return e;
}

static void expect_field(const dn_event *e, const char *text)
{
    if (!text)
        return;
    if (!strstr(e->fields, text))
        print_error("event \"%s\" lacks %s; fields: %s\n", e->summary, text, e->fields);
    assert_non_null(strstr(e->fields, text));
}

/* The response is paired with the request and carries its latency. */
static void expect_pair(const dn_event *req, const dn_event *resp)
{
    assert_int_equal(req->role, DT_ROLE_REQUEST);
    assert_int_equal(resp->role, DT_ROLE_RESPONSE);
    assert_int_equal(resp->req_seq, req->seq);
    assert_true(resp->has_latency);
    assert_string_equal(req->proto, ".NET IPC");
}

static void test_process_info_1_2_3(void **state)
{
    (void)state;
    for (int v = 1; v <= 3; v++) {
        dn_buf c = { 0 }, s = { 0 }, p = { 0 };
        ipc_msg(&c, 0x04, v == 1 ? 0x00 : v == 2 ? 0x04 : 0x08, NULL);
        if (v == 3)
            dn_u32(&p, 1);
        dn_u64(&p, 4242);
        dn_put(&p, cookie, 16);
        dn_ipc_string(&p, "/usr/bin/dotnet app.dll --port 80");
        dn_ipc_string(&p, "Linux");
        dn_ipc_string(&p, "x64");
        if (v >= 2) {
            dn_ipc_string(&p, "app");
            dn_ipc_string(&p, "8.0.1");
        }
        if (v == 3)
            dn_ipc_string(&p, "linux-x64");
        ipc_msg(&s, 0xff, 0x00, &p);
        dn_run r;
        run_conv(&r, &c, &s, 5);
        const char *name = v == 1 ? "ProcessInfo" : v == 2 ? "ProcessInfo2" : "ProcessInfo3";
        const dn_event *req = &r.sink.ev[0];
        assert_string_equal(req->summary, name);
        expect_field(req, "dotnet_ipc.magic=DOTNET_IPC_V1;");
        const dn_event *resp = expect(&r.sink, "OK (ProcessInfo");
        expect_pair(req, resp);
        assert_non_null(strstr(resp->summary, "pid 4242 Linux/x64"));
        assert_non_null(strstr(resp->summary, "/usr/bin/dotnet app.dll --port 80"));
        expect_field(resp, "dotnet_ipc.process.pid=4242;");
        expect_field(resp, "dotnet_ipc.process.cookie=" COOKIE_TEXT ";");
        expect_field(resp, "dotnet_ipc.process.os=Linux;");
        expect_field(resp, "dotnet_ipc.process.arch=x64;");
        if (v >= 2) {
            expect_field(resp, "dotnet_ipc.process.entry_assembly=app;");
            expect_field(resp, "dotnet_ipc.process.runtime_version=8.0.1;");
        }
        if (v == 3)
            expect_field(resp, "dotnet_ipc.process.rid=linux-x64;");
        assert_string_equal(resp->status, "OK");
        assert_string_equal(resp->stats_key, name);
        assert_int_equal(r.sink.n_malformed, 0);
        dn_run_free(&r);
        dn_buf_free(&c);
        dn_buf_free(&s);
        dn_buf_free(&p);
    }
}

/* One provider_config; filter: CollectTracing5+ event filter; tp: user_events tracepoints. */
static void provider(dn_buf *p, const char *name, uint64_t kw, uint32_t level, const char *args, bool filter, bool tp)
{
    dn_u64(p, kw);
    dn_u32(p, level);
    dn_ipc_string(p, name);
    dn_ipc_string(p, args);
    if (filter) {
        dn_u8(p, 1);
        dn_u32(p, 2);
        dn_u32(p, 4);
        dn_u32(p, 5);
    }
    if (tp) {
        dn_ipc_string(p, "MyTracepoint");
        dn_u32(p, 1);
        dn_ipc_string(p, "LowEvents");
        dn_u32(p, 2);
        dn_u32(p, 1);
        dn_u32(p, 9);
    }
}

static uint8_t *small_trace(size_t *len)
{
    char path[1024];
    if (dt_corpus_missing("nettrace/eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace"))
        skip();
    dn_corpus_path("nettrace/eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace", path, sizeof path);
    uint8_t *t = dn_read_file(path, len);
    assert_non_null(t);
    return t;
}

#define CHECKPOINT_KEY "Microsoft-Windows-DotNETRuntimeRundown/ExecutionCheckpointRundown/ExecutionCheckpointDCEnd"

static void test_collect_tracing_1_to_6(void **state)
{
    (void)state;
    size_t tlen;
    uint8_t *trace = small_trace(&tlen);
    for (int v = 1; v <= 8; v++) { /* 7, 8: CollectTracing5, 6 with a user_events session */
        int ver = v == 7 ? 5 : v == 8 ? 6 : v;
        bool ue = v >= 7;
        dn_buf c = { 0 }, s = { 0 }, p = { 0 };
        if (ver >= 5)
            dn_u32(&p, ue ? 1 : 0);
        if (!ue) {
            dn_u32(&p, 256);
            dn_u32(&p, 1);
        }
        if (ver == 2 || ver == 3)
            dn_u8(&p, 1);
        if (ver >= 4)
            dn_u64(&p, 0x80020139ull);
        if (ver >= 3 && !ue)
            dn_u8(&p, 1);
        dn_u32(&p, 2);
        provider(&p, "Microsoft-Windows-DotNETRuntime", 0x4c14fccbdull, 5, "", ver >= 5, ue);
        provider(&p, "System.Runtime", 0, 4, "EventCounterIntervalSec=1", ver >= 5, ue);
        if (ver == 6 && !ue) /* a user_events session has no buffering mode */
            dn_u32(&p, 1);
        ipc_msg(&c, 0x02, (uint8_t)(ver + 1), &p);
        ok_u64(&s, 0x1234abcdull);
        if (!ue)
            dn_put(&s, trace, tlen);
        dn_run r;
        run_conv(&r, &c, &s, 13);
        char name[32];
        snprintf(name, sizeof name, ver == 1 ? "CollectTracing" : "CollectTracing%d", ver);
        const dn_event *req = &r.sink.ev[0];
        assert_int_equal(strncmp(req->summary, name, strlen(name)), 0);
        assert_string_equal(req->stats_key, name);
        expect_field(req, "dotnet_ipc.provider.name=Microsoft-Windows-DotNETRuntime;");
        expect_field(req, "dotnet_ipc.provider.keywords=20423101629;"); /* 0x4c14fccbd */
        expect_field(req, "dotnet_ipc.provider.level=5;");
        expect_field(req, "dotnet_ipc.provider.name=System.Runtime;");
        expect_field(req, "dotnet_ipc.provider.arguments=EventCounterIntervalSec=1;");
        assert_non_null(strstr(req->summary, "Microsoft-Windows-DotNETRuntime:0x4c14fccbd:Verbose"));
        assert_non_null(strstr(req->summary, "System.Runtime:0x0:Informational:EventCounterIntervalSec=1"));
        if (!ue) {
            expect_field(req, "dotnet_ipc.eventpipe.buffer_mb=256;");
            expect_field(req, "dotnet_ipc.eventpipe.format=1;");
        }
        if (ver == 2 || ver == 3)
            expect_field(req, "dotnet_ipc.eventpipe.request_rundown=1;");
        if (ver >= 3 && !ue)
            expect_field(req, "dotnet_ipc.eventpipe.request_stackwalk=1;");
        if (ver >= 4)
            expect_field(req, "dotnet_ipc.eventpipe.rundown_keyword=2147615033;");
        if (ver >= 5) {
            expect_field(req, "dotnet_ipc.eventpipe.session_type=");
            expect_field(req, "dotnet_ipc.provider.filter.enable=1;dotnet_ipc.provider.filter.event_id=4;"
                              "dotnet_ipc.provider.filter.event_id=5;");
        }
        if (ue)
            expect_field(req, "dotnet_ipc.provider.tracepoint.default=MyTracepoint;dotnet_ipc.provider.tracepoint."
                              "name=LowEvents;dotnet_ipc.provider.tracepoint.event_id=1;");
        if (ver == 6 && !ue) {
            expect_field(req, "dotnet_ipc.eventpipe.buffering_mode=1;");
            assert_non_null(strstr(req->summary, " buffering=Block"));
        }
        if (ue) {
            expect_field(req, "dotnet_ipc.eventpipe.session_type=1;");
            assert_null(strstr(req->fields, "buffering_mode"));
        }
        assert_false(req->malformed);
        const dn_event *resp = expect(&r.sink, "OK (CollectTracing");
        expect_pair(req, resp);
        expect_field(resp, "dotnet_ipc.session_id=305441741;");
        if (ue) {
            assert_null(strstr(resp->summary, "EventPipe stream follows"));
            assert_int_equal(dn_count_of(&r.sink, CHECKPOINT_KEY), 0);
        } else {
            /* the continuation is decoded as EventPipe, counted like the file */
            assert_non_null(strstr(resp->summary, "EventPipe stream follows"));
            assert_int_equal(dn_count_of(&r.sink, CHECKPOINT_KEY), 3);
            const dn_event *ev = expect(&r.sink, "ExecutionCheckpointDCEnd tid=25112");
            assert_string_equal(ev->proto, "EventPipe");
            assert_string_equal(ev->proto_name, "nettrace");
            assert_int_equal(ev->dir, DT_DIR_S2C);
            expect(&r.sink, "end of EventPipe stream: 3 events");
        }
        assert_int_equal(r.sink.n_malformed, 0);
        assert_int_equal(r.sink.n_errors, 0);
        dn_run_free(&r);
        dn_buf_free(&c);
        dn_buf_free(&s);
        dn_buf_free(&p);
    }
    free(trace);
}

static void test_stop_tracing(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 }, p = { 0 };
    dn_u64(&p, 0x1234abcdull);
    ipc_msg(&c, 0x02, 0x01, &p);
    ok_u64(&s, 0x1234abcdull);
    dn_run r;
    run_conv(&r, &c, &s, 0);
    const dn_event *req = expect(&r.sink, "StopTracing session 0x1234abcd");
    const dn_event *resp = expect(&r.sink, "OK (StopTracing) session 0x1234abcd");
    expect_pair(req, resp);
    assert_null(strstr(resp->summary, "stream follows"));
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
    dn_buf_free(&p);
}

static void test_dumps(void **state)
{
    (void)state;
    for (int v = 1; v <= 3; v++) {
        dn_buf c = { 0 }, s = { 0 }, p = { 0 };
        dn_ipc_string(&p, "/tmp/core.4242");
        dn_u32(&p, 4);
        dn_u32(&p, v == 1 ? 1 : 5);
        ipc_msg(&c, 0x01, (uint8_t)v, &p);
        if (v == 3)
            error_hr(&s, 0x80004005u, "createdump failed: disk full");
        else
            ok_hr(&s, 0);
        dn_run r;
        run_conv(&r, &c, &s, 3);
        const dn_event *req = &r.sink.ev[0];
        assert_non_null(strstr(req->summary, "Full dump to /tmp/core.4242"));
        expect_field(req, "dotnet_ipc.dump.name=/tmp/core.4242;");
        expect_field(req, "dotnet_ipc.dump.type=4;");
        if (v == 1) {
            expect_field(req, "dotnet_ipc.dump.diagnostics=1;");
        } else {
            expect_field(req, "dotnet_ipc.dump.flags=5;dotnet_ipc.dump.flags.logging=1;dotnet_ipc.dump.flags.verbose=0;"
                              "dotnet_ipc.dump.flags.crash_report=1;");
            assert_non_null(strstr(req->summary, "logging crashreport"));
        }
        const dn_event *resp = &r.sink.ev[1];
        expect_pair(req, resp);
        if (v == 3) {
            assert_non_null(strstr(resp->summary, "Error DS_IPC_E_FAIL (0x80004005): createdump failed: disk full"));
            assert_non_null(strstr(resp->summary, "GenerateCoreDump3"));
            assert_string_equal(resp->status, "DS_IPC_E_FAIL");
            assert_true(resp->is_error);
            expect_field(resp, "dotnet_ipc.error_message=createdump failed: disk full;");
        } else {
            assert_string_equal(resp->status, "OK");
            assert_false(resp->is_error);
            expect_field(resp, "dotnet_ipc.hresult=0;");
        }
        dn_run_free(&r);
        dn_buf_free(&c);
        dn_buf_free(&s);
        dn_buf_free(&p);
    }
}

static void test_profiler(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 }, p = { 0 };
    dn_u32(&p, 5000);
    dn_put(&p, cookie, 16);
    dn_ipc_string(&p, "/opt/prof/libprof.so");
    dn_u32(&p, 3);
    dn_put(&p, "abc", 3);
    ipc_msg(&c, 0x03, 0x01, &p);
    error_hr(&s, 0x8013136au, NULL);
    dn_run r;
    run_conv(&r, &c, &s, 7);
    const dn_event *req = expect(&r.sink, "AttachProfiler /opt/prof/libprof.so (timeout 5000, 3 bytes of client data)");
    expect_field(req, "dotnet_ipc.profiler.clsid=" COOKIE_TEXT ";");
    expect_field(req, "dotnet_ipc.profiler.client_data=<7>;");
    const dn_event *resp = expect(&r.sink, "Error CORPROF_E_PROFILER_ALREADY_ACTIVE");
    expect_pair(req, resp);
    assert_true(resp->is_error);
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
    dn_buf_free(&p);

    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    memset(&p, 0, sizeof p);
    dn_put(&p, cookie, 16);
    dn_ipc_string(&p, "/opt/prof/libprof.so");
    ipc_msg(&c, 0x03, 0x02, &p);
    ok_hr(&s, 0);
    run_conv(&r, &c, &s, 0);
    req = expect(&r.sink, "StartupProfiler /opt/prof/libprof.so");
    expect_field(req, "dotnet_ipc.profiler.clsid=" COOKIE_TEXT ";");
    expect_pair(req, expect(&r.sink, "OK (StartupProfiler)"));
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
    dn_buf_free(&p);
}

static void test_process_commands(void **state)
{
    (void)state;
    struct {
        uint8_t id;
        const char *req_summary;
        const char *req_field;
        uint32_t hr;
        const char *resp_summary;
    } cases[] = {
        { 0x01, "ResumeRuntime", NULL, 0xffffffffu, "OK (ResumeRuntime)" },
        { 0x03, "SetEnvironmentVariable DOTNET_gcServer=1", "dotnet_ipc.environment.name=DOTNET_gcServer;"
                                                             "dotnet_ipc.environment.value=1;",
          0, "OK (SetEnvironmentVariable)" },
        { 0x05, "EnablePerfMap PerfMap", "dotnet_ipc.perfmap.type=3;", 0, "OK (EnablePerfMap)" },
        { 0x06, "DisablePerfMap", NULL, 0x80131515u, "OK (DisablePerfMap) DS_IPC_E_NOTSUPPORTED" },
        { 0x07, "ApplyStartupHook /app/hook.dll", "dotnet_ipc.startup_hook.path=/app/hook.dll;", 0,
          "OK (ApplyStartupHook)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dn_buf c = { 0 }, s = { 0 }, p = { 0 };
        if (cases[i].id == 0x03) {
            dn_ipc_string(&p, "DOTNET_gcServer");
            dn_ipc_string(&p, "1");
        } else if (cases[i].id == 0x05) {
            dn_u32(&p, 3);
        } else if (cases[i].id == 0x07) {
            dn_ipc_string(&p, "/app/hook.dll");
        }
        ipc_msg(&c, 0x04, cases[i].id, &p);
        if (cases[i].hr == 0xffffffffu)
            ipc_msg(&s, 0xff, 0x00, NULL);
        else
            ok_hr(&s, cases[i].hr);
        dn_run r;
        run_conv(&r, &c, &s, 0);
        const dn_event *req = &r.sink.ev[0];
        assert_string_equal(req->summary, cases[i].req_summary);
        if (cases[i].req_field)
            expect_field(req, cases[i].req_field);
        const dn_event *resp = expect(&r.sink, cases[i].resp_summary);
        expect_pair(req, resp);
        assert_int_equal(resp->is_error, cases[i].hr == 0x80131515u);
        assert_int_equal(r.sink.n_malformed, 0);
        dn_run_free(&r);
        dn_buf_free(&c);
        dn_buf_free(&s);
        dn_buf_free(&p);
    }
}

static void test_process_environment(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 }, p = { 0 }, env = { 0 };
    dn_u32(&env, 2);
    dn_ipc_string(&env, "PATH=/usr/bin:/bin");
    dn_ipc_string(&env, "DOTNET_ROOT=/usr/share/dotnet");
    ipc_msg(&c, 0x04, 0x02, NULL);
    dn_u32(&p, (uint32_t)env.len);
    dn_u16(&p, 0);
    ipc_msg(&s, 0xff, 0x00, &p);
    dn_put(&s, env.p, env.len);
    dn_run r;
    run_conv(&r, &c, &s, 9);
    const dn_event *req = expect(&r.sink, "ProcessEnvironment");
    char want[64];
    snprintf(want, sizeof want, "OK (ProcessEnvironment); %zu bytes of environment follow", env.len);
    expect_pair(req, expect(&r.sink, want));
    const dn_event *blk = expect(&r.sink, "environment block: 2 variables");
    expect_field(blk, "dotnet_ipc.environment.variable=PATH=/usr/bin:/bin;");
    expect_field(blk, "dotnet_ipc.environment.variable=DOTNET_ROOT=/usr/share/dotnet;");
    assert_int_equal(r.sink.n_malformed, 0);
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
    dn_buf_free(&p);
    dn_buf_free(&env);
}

static void test_unknown_command_error(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 };
    ipc_msg(&c, 0x04, 0x42, NULL);
    error_hr(&s, 0x80131385u, NULL);
    dn_run r;
    run_conv(&r, &c, &s, 0);
    const dn_event *req = expect(&r.sink, "Command 0x0442");
    const dn_event *resp = expect(&r.sink, "Error DS_IPC_E_UNKNOWN_COMMAND (0x80131385)");
    expect_pair(req, resp);
    assert_string_equal(resp->status, "DS_IPC_E_UNKNOWN_COMMAND");
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
}

static void test_advertise(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 };
    dn_put(&c, "ADVR_V1", 8);
    dn_put(&c, cookie, 16);
    dn_u64(&c, 777);
    dn_u16(&c, 0x1234);
    /* reverse connection: the tool then sends its command the other way */
    ipc_msg(&s, 0x04, 0x01, NULL);
    ipc_msg(&c, 0xff, 0x00, NULL);
    dn_run r;
    dn_run_start(&r, NULL, 1);
    dn_run_feed(&r, DT_DIR_C2S, c.p, 34, 5);
    dn_run_feed(&r, DT_DIR_S2C, s.p, s.len, 5);
    dn_run_feed(&r, DT_DIR_C2S, c.p + 34, c.len - 34, 5);
    dn_run_finish(&r);
    const dn_event *a = expect(&r.sink, "Advertise: runtime pid 777 cookie " COOKIE_TEXT);
    expect_field(a, "dotnet_ipc.advertise.magic=ADVR_V1;");
    expect_field(a, "dotnet_ipc.advertise.cookie=" COOKIE_TEXT ";dotnet_ipc.advertise.pid=777;"
                    "dotnet_ipc.advertise.future=4660;");
    assert_int_equal(a->dir, DT_DIR_C2S); /* the runtime connected: it is the client here */
    assert_false(a->malformed);
    expect_pair(expect(&r.sink, "ResumeRuntime"), expect(&r.sink, "OK (ResumeRuntime)"));
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&s);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    /* size smaller than the header, then a good message: both reported */
    dn_buf c = { 0 };
    dn_put(&c, "DOTNET_IPC_V1", 14);
    dn_u16(&c, 12);
    dn_u8(&c, 4);
    dn_u8(&c, 0);
    dn_u16(&c, 0);
    ipc_msg(&c, 0x04, 0x01, NULL);
    dn_run r;
    dn_run_start(&r, "dotnet_ipc", 1);
    dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 3);
    dn_run_finish(&r);
    const dn_event *e = expect(&r.sink, "bad IPC header: size 12 is smaller than the 20-byte header");
    assert_true(e->malformed);
    expect(&r.sink, "ResumeRuntime");
    dn_run_free(&r);
    dn_buf_free(&c);

    /* bad magic, then a good message */
    memset(&c, 0, sizeof c);
    dn_put(&c, "DOTNET_IPC_V2\0\x14\x00\x04\x00\x00\x00", 20);
    ipc_msg(&c, 0x04, 0x00, NULL);
    dn_run_start(&r, "dotnet_ipc", 1);
    dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 0);
    dn_run_finish(&r);
    e = expect(&r.sink, "not an IPC message: bad magic \"DOTNET_IPC_V2.\" (20 bytes skipped)");
    assert_true(e->malformed);
    expect(&r.sink, "ProcessInfo");
    dn_run_free(&r);
    dn_buf_free(&c);

    /* size beyond the stream: reported with the offset, nothing invented */
    memset(&c, 0, sizeof c);
    ipc_msg(&c, 0x04, 0x00, NULL);
    dn_put(&c, "DOTNET_IPC_V1", 14);
    dn_u16(&c, 200);
    dn_u8(&c, 2);
    dn_u8(&c, 3);
    dn_u16(&c, 0);
    dn_u32(&c, 256);
    dn_run_start(&r, NULL, 1);
    dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 4);
    dn_run_finish(&r);
    e = expect(&r.sink, "truncated .NET IPC message at end of stream: 24 of 200 bytes (stream offset 20)");
    assert_int_equal(e->kind, DT_EV_ERROR);
    assert_null(dn_find(&r.sink, "CollectTracing2"));
    dn_run_free(&r);
    dn_buf_free(&c);

    /* a payload shorter than its command needs */
    memset(&c, 0, sizeof c);
    dn_buf p = { 0 };
    dn_u32(&p, 256);
    ipc_msg(&c, 0x02, 0x03, &p);
    dn_run_start(&r, NULL, 1);
    dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 0);
    dn_run_finish(&r);
    e = expect(&r.sink, "CollectTracing2");
    assert_true(e->malformed);
    dn_run_free(&r);
    dn_buf_free(&c);
    dn_buf_free(&p);
}

/* dotnet-trace's session, the runtime streaming a real trace in random
 * chunks: the same counts as decoding the file. */
static void test_session_with_real_trace(void **state)
{
    (void)state;
    char path[1024];
    if (dt_corpus_missing("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace"))
        skip();
    dn_corpus_path("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace", path, sizeof path);
    size_t tlen;
    uint8_t *trace = dn_read_file(path, &tlen);
    assert_non_null(trace);

    dn_run file;
    dn_run_start(&file, "nettrace", 1);
    dn_run_feed(&file, DT_DIR_S2C, trace, tlen, 0);
    dn_run_finish(&file);

    dn_buf c = { 0 }, p = { 0 }, ok = { 0 };
    dn_u32(&p, 256);
    dn_u32(&p, 1);
    dn_u8(&p, 1);
    dn_u32(&p, 1);
    provider(&p, "Microsoft-Windows-DotNETRuntime", 0x4c14fccbdull, 5, "", false, false);
    ipc_msg(&c, 0x02, 0x03, &p);
    ok_u64(&ok, 1);
    dn_run r;
    dn_run_start(&r, NULL, 1234);
    dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 0);
    dn_run_feed(&r, DT_DIR_S2C, ok.p, ok.len, 0);
    dn_run_feed(&r, DT_DIR_S2C, trace, tlen, 60000);
    dn_run_finish(&r);
    size_t compared = 0;
    for (size_t i = 0; i < file.sink.n_counts; i++) {
        const char *key = file.sink.counts[i].key;
        assert_int_equal(dn_count_of(&r.sink, key), file.sink.counts[i].n);
        compared++;
    }
    assert_true(compared > 30);
    assert_int_equal(r.sink.n_malformed, 0);
    assert_int_equal(r.sink.n_errors, 0);
    dn_run_free(&r);
    dn_run_free(&file);
    dn_buf_free(&c);
    dn_buf_free(&p);
    dn_buf_free(&ok);
    free(trace);
}

/* The runtime dies mid-stream: the IPC conversation reports where its
 * EventPipe stream stopped and keeps every event before, exactly as the
 * nettrace decoder does for the same bytes of the file. */
static void test_session_cut_short(void **state)
{
    (void)state;
    char path[1024];
    if (dt_corpus_missing("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace"))
        skip();
    dn_corpus_path("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace", path, sizeof path);
    size_t tlen;
    uint8_t *trace = dn_read_file(path, &tlen);
    assert_non_null(trace);
    static const size_t cuts[] = { 40, 1000, 2000003, 4826849 };
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t cut = cuts[k];
        dn_run file;
        dn_run_start(&file, "nettrace", 1);
        dn_run_feed(&file, DT_DIR_S2C, trace, cut, 0);
        dn_run_finish(&file);
        const dn_event *fe = dn_find(&file.sink, "EventPipe stream cut short at stream offset");
        assert_non_null(fe);

        dn_buf c = { 0 }, p = { 0 }, ok = { 0 };
        dn_u32(&p, 256);
        dn_u32(&p, 1);
        dn_u8(&p, 1);
        dn_u32(&p, 1);
        provider(&p, "Microsoft-Windows-DotNETRuntime", 0x4c14fccbdull, 5, "", false, false);
        ipc_msg(&c, 0x02, 0x03, &p);
        ok_u64(&ok, 7);
        dn_run r;
        dn_run_start(&r, NULL, 99);
        dn_run_feed(&r, DT_DIR_C2S, c.p, c.len, 0);
        dn_run_feed(&r, DT_DIR_S2C, ok.p, ok.len, 0);
        dn_run_feed(&r, DT_DIR_S2C, trace, cut, 50000);
        dn_run_finish(&r);
        const dn_event *e = expect(&r.sink, "EventPipe stream cut short at stream offset");
        assert_int_equal(e->kind, DT_EV_ERROR);
        assert_string_equal(e->proto, "EventPipe");
        assert_string_equal(e->summary, fe->summary);
        assert_null(dn_find(&r.sink, "end of EventPipe stream"));
        uint64_t total = 0;
        for (size_t i = 0; i < file.sink.n_counts; i++) {
            assert_int_equal(dn_count_of(&r.sink, file.sink.counts[i].key), file.sink.counts[i].n);
            total += file.sink.counts[i].n;
        }
        if (cut > 2000000)
            assert_true(total > 40000);
        dn_run_free(&r);
        dn_run_free(&file);
        dn_buf_free(&c);
        dn_buf_free(&p);
        dn_buf_free(&ok);
    }
    free(trace);
}

/* Each byte of a CollectTracing5 user_events request, a ProcessInfo3 answer
 * and an advertise message, changed: no overrun, no hang. */
static void test_mutated_messages(void **state)
{
    (void)state;
    dn_buf c = { 0 }, s = { 0 }, p = { 0 };
    dn_u32(&p, 1);
    dn_u64(&p, 0x80020139ull);
    dn_u32(&p, 1);
    provider(&p, "Microsoft-Windows-DotNETRuntime", 1, 5, "a=b", true, true);
    ipc_msg(&c, 0x02, 0x06, &p);
    p.len = 0;
    dn_u32(&p, 1);
    dn_u64(&p, 4242);
    dn_put(&p, cookie, 16);
    dn_ipc_string(&p, "/usr/bin/dotnet app.dll");
    dn_ipc_string(&p, "Linux");
    dn_ipc_string(&p, "x64");
    dn_ipc_string(&p, "app");
    dn_ipc_string(&p, "8.0.1");
    dn_ipc_string(&p, "linux-x64");
    ipc_msg(&s, 0xff, 0x00, &p);
    dn_put(&s, "ADVR_V1", 8);
    dn_put(&s, cookie, 16);
    dn_u64(&s, 1);
    dn_u16(&s, 0);
    static const uint8_t values[] = { 0x00, 0xff, 0x80, 0x01 };
    for (int which = 0; which < 2; which++) {
        dn_buf *m = which ? &s : &c;
        uint8_t *orig = malloc(m->len);
        memcpy(orig, m->p, m->len);
        for (size_t off = 0; off < m->len; off++) {
            for (size_t v = 0; v < sizeof values; v++) {
                memcpy(m->p, orig, m->len);
                m->p[off] = values[v];
                dn_run r;
                run_conv(&r, &c, &s, 7);
                assert_true(r.sink.n_events < 1000);
                dn_run_free(&r);
            }
        }
        memcpy(m->p, orig, m->len);
        free(orig);
    }
    dn_buf_free(&c);
    dn_buf_free(&s);
    dn_buf_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_info_1_2_3),
        cmocka_unit_test(test_collect_tracing_1_to_6),
        cmocka_unit_test(test_stop_tracing),
        cmocka_unit_test(test_dumps),
        cmocka_unit_test(test_profiler),
        cmocka_unit_test(test_process_commands),
        cmocka_unit_test(test_process_environment),
        cmocka_unit_test(test_unknown_command_error),
        cmocka_unit_test(test_advertise),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_session_with_real_trace),
        cmocka_unit_test(test_session_cut_short),
        cmocka_unit_test(test_mutated_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
