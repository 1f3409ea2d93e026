#!/usr/bin/python3
"""A full diagnostic session through `diagtap proxy unix`.

No .NET runtime runs here, so the runtime side is this script: it listens on a
diagnostic socket and answers per the IPC spec (dotnet/diagnostics
ipc-protocol.md): ProcessInfo, CollectTracing2 answered OK with a session id
and followed by a real corpus nettrace trace streamed in random chunk sizes,
then StopTracing on a second connection, after which the trace ends. The tool
side is this script too, speaking like dotnet-trace. diagtap sits between
them; the test asserts every relayed byte arrived unchanged, every IPC message
was decoded, and the EventPipe events were counted exactly as the trace's
TraceEvent baseline and as `diagtap replay` of the same file count them.
"""
import collections
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

DIAGTAP = os.environ['DIAGTAP']
import dtcorpus
TRACE = dtcorpus.require('nettrace', 'eventpipe-dotnetcore3.0-win-x64-objver4.nettrace')
CORPUS = dtcorpus.CORPUS
BASELINE = TRACE + '.baseline.txt'
# The second session's trace is all rundown (ExecutionCheckpointDCEnd): the
# runtime sends it only after StopTracing, as a real runtime does.
RUNDOWN_TRACE = dtcorpus.require('nettrace', 'eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace')
RUNDOWN_KEY = 'Microsoft-Windows-DotNETRuntimeRundown/ExecutionCheckpointRundown/ExecutionCheckpointDCEnd'
MAGIC = b'DOTNET_IPC_V1\0'
PID = 31337
SESSION = 0x7f00aa5500123456
SESSION2 = 0x7f00aa5500654321
COOKIE = bytes(range(16))


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def ipc_string(s):
    if not s:
        return struct.pack('<I', 0)
    b = (s + '\0').encode('utf-16-le')
    return struct.pack('<I', len(b) // 2) + b


def message(cmdset, cmdid, payload=b''):
    return MAGIC + struct.pack('<HBBH', 20 + len(payload), cmdset, cmdid, 0) + payload


def recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError('connection closed after %d of %d bytes' % (len(buf), n))
        buf += chunk
    return buf


def read_message(sock):
    hdr = recv_exact(sock, 20)
    if hdr[:14] != MAGIC:
        raise ValueError('bad magic %r' % hdr[:14])
    size, cmdset, cmdid, _ = struct.unpack('<HBBH', hdr[14:])
    return cmdset, cmdid, recv_exact(sock, size - 20)


class Runtime:
    """The runtime's diagnostic server, per the spec."""

    def __init__(self, path, sessions):
        self.sessions = list(sessions)  # (session id, trace, bytes sent before StopTracing)
        self.stop = {sid: threading.Event() for sid, _, _ in sessions}
        self.stop_seen = {sid: threading.Event() for sid, _, _ in sessions}  # the tool has the OK
        self.requests = []
        self.errors = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            cmdset, cmdid, payload = read_message(conn)
            self.requests.append((cmdset, cmdid, payload))
            if (cmdset, cmdid) == (0x04, 0x00):  # ProcessInfo
                body = (struct.pack('<Q', PID) + COOKIE + ipc_string('/usr/bin/dotnet /srv/app/app.dll --urls http://*:80')
                        + ipc_string('Linux') + ipc_string('x64'))
                conn.sendall(message(0xFF, 0x00, body))
            elif (cmdset, cmdid) == (0x02, 0x03):  # CollectTracing2
                sid, trace, cut = self.sessions.pop(0)
                conn.sendall(message(0xFF, 0x00, struct.pack('<Q', sid)))
                rng = random.Random(4)

                def stream(data):
                    pos = 0
                    while pos < len(data):
                        n = rng.randint(1, 9000)
                        conn.sendall(data[pos:pos + n])
                        pos += n
                stream(trace[:cut])
                if not self.stop[sid].wait(30) or not self.stop_seen[sid].wait(30):
                    raise TimeoutError('no StopTracing')
                stream(trace[cut:])  # the rundown, then the end tag
            elif (cmdset, cmdid) == (0x02, 0x01):  # StopTracing
                (sid,) = struct.unpack('<Q', payload)
                if sid not in self.stop:
                    conn.sendall(message(0xFF, 0xFF, struct.pack('<I', 0x80070057)))
                    return
                conn.sendall(message(0xFF, 0x00, struct.pack('<Q', sid)))
                self.stop[sid].set()
            else:
                conn.sendall(message(0xFF, 0xFF, struct.pack('<I', 0x80131385)))
        except Exception as e:  # reported by the main thread
            self.errors.append(repr(e))
        finally:
            conn.close()


def collect_tracing2_payload():
    providers = [
        ('Microsoft-Windows-DotNETRuntime', 0x4C14FCCBD, 5, ''),
        ('Microsoft-DotNETCore-SampleProfiler', 0xF00000000000, 5, ''),
        ('System.Runtime', 0xFFFFFFFF, 4, 'EventCounterIntervalSec=1'),
    ]
    p = struct.pack('<IIB', 256, 1, 1) + struct.pack('<I', len(providers))
    for name, kw, level, args in providers:
        p += struct.pack('<QI', kw, level) + ipc_string(name) + ipc_string(args)
    return p


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    return s


def session(listen, runtime, sid, trace, cut):
    """dotnet-trace's CollectTracing2 ... StopTracing on two connections; the
    stream must arrive whole, the rundown part only after the stop."""
    trace_conn = connect(listen)
    trace_conn.sendall(message(0x02, 0x03, collect_tracing2_payload()))
    cmdset, cmdid, body = read_message(trace_conn)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body)[0] != sid:
        fail('CollectTracing2 answer: %r' % ((cmdset, cmdid, body),))
    received = bytearray()
    reader_done = threading.Event()

    def read_trace():
        try:
            while True:
                chunk = trace_conn.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
        finally:
            reader_done.set()
    threading.Thread(target=read_trace, daemon=True).start()
    for _ in range(600):  # let the trace through before stopping, like a real session
        if len(received) >= cut:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    if len(received) != cut:
        fail('before StopTracing: %d bytes of the trace received, %d sent' % (len(received), cut))
    stop = connect(listen)
    stop.sendall(message(0x02, 0x01, struct.pack('<Q', sid)))
    cmdset, cmdid, body = read_message(stop)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body)[0] != sid:
        fail('StopTracing answer: %r' % ((cmdset, cmdid, body),))
    runtime.stop_seen[sid].set()
    stop.close()
    if not reader_done.wait(60):
        fail('the trace stream did not end')
    trace_conn.close()
    if bytes(received) != trace:
        fail('relayed trace differs: %d bytes received, %d sent' % (len(received), len(trace)))


def baseline_counts(path):
    want = {}
    for line in open(path + '.baseline.txt', encoding='utf-8-sig'):
        key, _, rest = line.partition(', ')
        if rest:
            want[key] = int(rest.split(',')[0])
    return want


def main():
    trace = open(TRACE, 'rb').read()
    rundown_trace = open(RUNDOWN_TRACE, 'rb').read()
    # the rundown trace's first block (its MetadataBlock) starts after the Trace object
    rundown_cut = rundown_trace.find(b'\x0d\x00\x00\x00MetadataBlock') - 11
    if rundown_cut != 102:
        fail('unexpected layout of %s' % RUNDOWN_TRACE)
    tmp = tempfile.mkdtemp(prefix='diagtap-dotnet-')
    target = os.path.join(tmp, 'dotnet-diagnostic-%d-12345-socket' % PID)
    listen = os.path.join(tmp, 'proxy.sock')
    out_path = os.path.join(tmp, 'timeline.jsonl')
    # session 1: all but the end tag before StopTracing; session 2: the rundown after it
    runtime = Runtime(target, [(SESSION, trace, len(trace) - 1), (SESSION2, rundown_trace, rundown_cut)])

    out = open(out_path, 'wb')
    proxy = subprocess.Popen([DIAGTAP, 'proxy', 'unix', listen, target, '-T', 'json'], stdout=out,
                             stderr=subprocess.PIPE)
    for _ in range(200):
        if os.path.exists(listen) or proxy.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(listen):
        fail('diagtap proxy did not listen on %s: %s' % (listen, proxy.stderr.read().decode(errors='replace')))

    # The tool: ProcessInfo, then CollectTracing2 ... StopTracing twice.
    s = connect(listen)
    s.sendall(message(0x04, 0x00))
    cmdset, cmdid, body = read_message(s)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body[:8])[0] != PID:
        fail('ProcessInfo answer through the proxy: %r' % ((cmdset, cmdid, body[:8]),))
    s.close()
    session(listen, runtime, SESSION, trace, len(trace) - 1)
    session(listen, runtime, SESSION2, rundown_trace, rundown_cut)
    if runtime.errors:
        fail('runtime peer: %s' % runtime.errors)

    time.sleep(0.3)
    proxy.send_signal(signal.SIGINT)
    try:
        _, err = proxy.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proxy.kill()
        fail('diagtap proxy did not exit on SIGINT')
    out.close()
    if proxy.returncode != 0 or b'Sanitizer' in err:
        fail('diagtap proxy exited with %d: %s' % (proxy.returncode, err.decode(errors='replace')[-2000:]))

    events = [json.loads(line) for line in open(out_path, 'rb') if line.strip()]
    ipc = [e for e in events if e['proto_name'] == 'dotnet_ipc' and e['kind'] == 'pdu']
    closed = [e['summary'] for e in events if e['summary'].startswith('connection closed')]
    for n_out, n_in in ((20, 180), (311, 28 + len(trace)), (28, 28), (311, 28 + len(rundown_trace)), (28, 28)):
        text = 'connection closed: %d bytes client→target, %d bytes target→client' % (n_out, n_in)
        if text not in closed:
            fail('no "%s" among %s' % (text, closed))
    bad = [e['summary'] for e in events if e['malformed'] or e['kind'] == 'error' or e['kind'] == 'pending']
    if bad:
        fail('errors in the timeline: %s' % bad[:5])

    # Every IPC message, in order, and nothing else: (role, summary start, request index)
    expected = [
        ('request', 'ProcessInfo', None),
        ('response', 'OK (ProcessInfo) pid %d Linux/x64: /usr/bin/dotnet /srv/app/app.dll --urls http://*:80' % PID, 0),
        ('request', 'CollectTracing2 buffer=256MB format=NetTrace rundown=true providers: '
                    'Microsoft-Windows-DotNETRuntime:0x4c14fccbd:Verbose, '
                    'Microsoft-DotNETCore-SampleProfiler:0xf00000000000:Verbose, '
                    'System.Runtime:0xffffffff:Informational:EventCounterIntervalSec=1', None),
        ('response', 'OK (CollectTracing2) session 0x%x; EventPipe stream follows' % SESSION, 2),
        ('request', 'StopTracing session 0x%x' % SESSION, None),
        ('response', 'OK (StopTracing) session 0x%x' % SESSION, 4),
        ('request', 'CollectTracing2 buffer=256MB', None),
        ('response', 'OK (CollectTracing2) session 0x%x; EventPipe stream follows' % SESSION2, 6),
        ('request', 'StopTracing session 0x%x' % SESSION2, None),
        ('response', 'OK (StopTracing) session 0x%x' % SESSION2, 8),
    ]
    if len(ipc) != len(expected):
        fail('%d IPC events, expected %d: %s' % (len(ipc), len(expected), [e['summary'] for e in ipc]))
    for e, (role, text, req) in zip(ipc, expected):
        if e['role'] != role or not e['summary'].startswith(text):
            fail('IPC event %r, expected %s %r' % (e['summary'], role, text))
        if req is not None and e['req_seq'] != ipc[req]['seq']:
            fail('%r is not paired with %r' % (e['summary'], ipc[req]['summary']))
        if e['dir'] != ('c2s' if role == 'request' else 's2c'):
            fail('%r flows %s' % (e['summary'], e['dir']))
    f = ipc[1]['fields']
    if (f.get('dotnet_ipc.process.pid') != str(PID) or f.get('dotnet_ipc.process.os') != 'Linux'
            or f.get('dotnet_ipc.process.cookie') != '03020100-0504-0706-0809-0a0b0c0d0e0f'):
        fail('ProcessInfo fields: %r' % f)
    names = ipc[2]['fields'].get('dotnet_ipc.provider')
    if not isinstance(names, list) or len(names) != 3:
        fail('CollectTracing2 providers: %r' % names)
    for i, sid in ((3, SESSION), (7, SESSION2)):
        if ipc[i]['fields'].get('dotnet_ipc.session_id') != str(sid):
            fail('session id: %r' % ipc[i]['fields'])

    def nettrace_of(conv_id):
        return [e for e in events if e['proto_name'] == 'nettrace' and e['conv']['id'] == conv_id]

    def counts_of(evs):
        return collections.Counter(e['stats_key'] for e in evs if e['kind'] == 'pdu' and e['stats_key'])

    # Session 1: the streamed trace, counted as its baseline and as `diagtap replay` count it.
    ev1 = nettrace_of(ipc[2]['conv']['id'])
    counts = counts_of(ev1)
    want = baseline_counts(TRACE)
    for key, n in want.items():
        if counts[key] != n:
            fail('%s: baseline %d, through the proxy %d' % (key, n, counts[key]))
    if not ev1 or not ev1[-1]['summary'].startswith('end of EventPipe stream: %d events' % sum(counts.values())):
        fail('session 1 does not end with its end of stream: %r' % (ev1[-1]['summary'] if ev1 else None))
    replay = subprocess.run([DIAGTAP, 'replay', TRACE, '-T', 'json'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=300)
    if replay.returncode != 0:
        fail('diagtap replay failed: %s' % replay.stderr.decode(errors='replace'))
    replayed = counts_of([e for e in map(json.loads, replay.stdout.splitlines()) if e['proto_name'] == 'nettrace'])
    if replayed != counts:
        diff = {k: (replayed[k], counts[k]) for k in set(replayed) | set(counts) if replayed[k] != counts[k]}
        fail('replay and proxy counts differ (replay, proxy): %s' % diff)

    # Session 2, the StopTracing flow: stop request, its OK, then the rundown
    # events on the trace connection, then the end of the stream.
    conv2 = ipc[6]['conv']['id']
    if conv2 == ipc[2]['conv']['id'] or ipc[8]['conv']['id'] == conv2:
        fail('sessions and stop requests must be separate connections')
    pos = {id(e): i for i, e in enumerate(events)}
    ev2 = nettrace_of(conv2)
    rundown = [e for e in ev2 if e['stats_key'] == RUNDOWN_KEY]
    if len(rundown) != baseline_counts(RUNDOWN_TRACE)[RUNDOWN_KEY]:
        fail('rundown events: %d' % len(rundown))
    if not ev2 or not ev2[0]['summary'].startswith('EventPipe stream begins') or pos[id(ev2[0])] > pos[id(ipc[8])]:
        fail('session 2 stream did not begin before StopTracing')
    if not all(pos[id(ipc[9])] < pos[id(e)] for e in rundown):
        fail('rundown events before the StopTracing OK')
    if not ev2[-1]['summary'].startswith('end of EventPipe stream: 3 events') or pos[id(ev2[-1])] < pos[id(rundown[-1])]:
        fail('session 2 does not end with its end of stream: %r' % ev2[-1]['summary'])
    print('ok: %d IPC events, %d + %d EventPipe events, %d baseline types, replay counts equal, rundown after stop'
          % (len(ipc), sum(counts.values()), len(rundown), len(want)))


if __name__ == '__main__':
    main()
