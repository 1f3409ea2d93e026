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
CORPUS = os.environ['DIAGTAP_CORPUS']
TRACE = os.path.join(CORPUS, 'nettrace', 'eventpipe-dotnetcore3.0-win-x64-objver4.nettrace')
BASELINE = TRACE + '.baseline.txt'
MAGIC = b'DOTNET_IPC_V1\0'
PID = 31337
SESSION = 0x7f00aa5500123456
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

    def __init__(self, path, trace):
        self.trace = trace
        self.stop = threading.Event()
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
                conn.sendall(message(0xFF, 0x00, struct.pack('<Q', SESSION)))
                rng = random.Random(4)
                body, end = self.trace[:-1], self.trace[-1:]  # the end tag comes after StopTracing
                pos = 0
                while pos < len(body):
                    n = rng.randint(1, 9000)
                    conn.sendall(body[pos:pos + n])
                    pos += n
                if not self.stop.wait(30):
                    raise TimeoutError('no StopTracing')
                conn.sendall(end)
            elif (cmdset, cmdid) == (0x02, 0x01):  # StopTracing
                (sid,) = struct.unpack('<Q', payload)
                conn.sendall(message(0xFF, 0x00, struct.pack('<Q', sid)))
                self.stop.set()
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


def main():
    trace = open(TRACE, 'rb').read()
    tmp = tempfile.mkdtemp(prefix='diagtap-dotnet-')
    target = os.path.join(tmp, 'dotnet-diagnostic-%d-12345-socket' % PID)
    listen = os.path.join(tmp, 'proxy.sock')
    out_path = os.path.join(tmp, 'timeline.jsonl')
    runtime = Runtime(target, trace)

    out = open(out_path, 'wb')
    proxy = subprocess.Popen([DIAGTAP, 'proxy', 'unix', listen, target, '-T', 'json'], stdout=out,
                             stderr=subprocess.PIPE)
    for _ in range(200):
        if os.path.exists(listen) or proxy.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(listen):
        fail('diagtap proxy did not listen on %s: %s' % (listen, proxy.stderr.read().decode(errors='replace')))

    # The tool: ProcessInfo, CollectTracing2 (reading the stream), StopTracing.
    s = connect(listen)
    s.sendall(message(0x04, 0x00))
    cmdset, cmdid, body = read_message(s)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body[:8])[0] != PID:
        fail('ProcessInfo answer through the proxy: %r' % ((cmdset, cmdid, body[:8]),))
    s.close()

    trace_conn = connect(listen)
    trace_conn.sendall(message(0x02, 0x03, collect_tracing2_payload()))
    cmdset, cmdid, body = read_message(trace_conn)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body)[0] != SESSION:
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
    for _ in range(600):  # let most of the trace through before stopping, like a real session
        if len(received) >= len(trace) - 1:
            break
        time.sleep(0.05)
    stop = connect(listen)
    stop.sendall(message(0x02, 0x01, struct.pack('<Q', SESSION)))
    cmdset, cmdid, body = read_message(stop)
    if (cmdset, cmdid) != (0xFF, 0x00) or struct.unpack('<Q', body)[0] != SESSION:
        fail('StopTracing answer: %r' % ((cmdset, cmdid, body),))
    stop.close()
    if not reader_done.wait(60):
        fail('the trace stream did not end')
    trace_conn.close()
    if runtime.errors:
        fail('runtime peer: %s' % runtime.errors)
    if bytes(received) != trace:
        fail('relayed trace differs: %d bytes received, %d sent' % (len(received), len(trace)))

    time.sleep(0.3)
    proxy.send_signal(signal.SIGINT)
    try:
        _, err = proxy.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proxy.kill()
        fail('diagtap proxy did not exit on SIGINT')
    out.close()

    events = [json.loads(line) for line in open(out_path, 'rb') if line.strip()]
    ipc = [e for e in events if e['proto_name'] == 'dotnet_ipc']

    def find(pred, what):
        for e in ipc:
            if pred(e):
                return e
        fail('no %s in the timeline; IPC events: %s' % (what, [e['summary'] for e in ipc]))

    req = find(lambda e: e['summary'] == 'ProcessInfo' and e['role'] == 'request', 'ProcessInfo request')
    resp = find(lambda e: e['summary'].startswith('OK (ProcessInfo)'), 'ProcessInfo OK')
    if resp['req_seq'] != req['seq'] or resp['fields'].get('dotnet_ipc.process.pid') != str(PID):
        fail('ProcessInfo response: %r' % resp)
    if 'pid %d Linux/x64' % PID not in resp['summary'] or '/srv/app/app.dll' not in resp['summary']:
        fail('ProcessInfo summary: %s' % resp['summary'])
    req = find(lambda e: e['summary'].startswith('CollectTracing2 '), 'CollectTracing2 request')
    for text in ('buffer=256MB', 'format=NetTrace', 'rundown=true', 'Microsoft-Windows-DotNETRuntime:0x4c14fccbd:Verbose',
                 'System.Runtime:0xffffffff:Informational:EventCounterIntervalSec=1'):
        if text not in req['summary']:
            fail('CollectTracing2 summary lacks %s: %s' % (text, req['summary']))
    names = req['fields'].get('dotnet_ipc.provider')
    if not isinstance(names, list) or len(names) != 3:
        fail('CollectTracing2 providers: %r' % names)
    resp = find(lambda e: e['summary'].startswith('OK (CollectTracing2)'), 'CollectTracing2 OK')
    if resp['req_seq'] != req['seq'] or 'EventPipe stream follows' not in resp['summary']:
        fail('CollectTracing2 response: %r' % resp)
    if resp['fields'].get('dotnet_ipc.session_id') != str(SESSION):
        fail('session id: %r' % resp['fields'])
    req = find(lambda e: e['summary'].startswith('StopTracing session 0x%x' % SESSION), 'StopTracing request')
    resp = find(lambda e: e['summary'].startswith('OK (StopTracing)'), 'StopTracing OK')
    if resp['req_seq'] != req['seq']:
        fail('StopTracing pairing: %r' % resp)
    if not any(e['summary'].startswith('end of EventPipe stream') for e in events):
        fail('no end of the EventPipe stream')
    bad = [e['summary'] for e in events if e['malformed'] or e['kind'] == 'error' or e['kind'] == 'pending']
    if bad:
        fail('errors in the timeline: %s' % bad[:5])

    counts = collections.Counter(e['stats_key'] for e in events
                                 if e['proto_name'] == 'nettrace' and e['kind'] == 'pdu' and e['stats_key'])
    checked = 0
    for line in open(BASELINE, encoding='utf-8-sig'):
        key, _, rest = line.partition(', ')
        if not rest:
            continue
        want = int(rest.split(',')[0])
        if counts[key] != want:
            fail('%s: baseline %d, through the proxy %d' % (key, want, counts[key]))
        checked += 1
    replay = subprocess.run([DIAGTAP, 'replay', TRACE, '-T', 'json'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=300)
    if replay.returncode != 0:
        fail('diagtap replay failed: %s' % replay.stderr.decode(errors='replace'))
    replayed = collections.Counter()
    for line in replay.stdout.splitlines():
        e = json.loads(line)
        if e['kind'] == 'pdu' and e['stats_key'] and e['proto_name'] == 'nettrace':
            replayed[e['stats_key']] += 1
    if replayed != counts:
        diff = {k: (replayed[k], counts[k]) for k in set(replayed) | set(counts) if replayed[k] != counts[k]}
        fail('replay and proxy counts differ (replay, proxy): %s' % diff)
    print('ok: %d IPC events, %d EventPipe events, %d baseline types, replay counts equal'
          % (len(ipc), sum(counts.values()), checked))


if __name__ == '__main__':
    main()
