"""A small Chrome DevTools Protocol client for Debian's headless chromium.

Starts /usr/bin/chromium with a private profile and --remote-debugging-port,
opens one page and lets a test evaluate JavaScript, dispatch mouse events
and take screenshots. Uses python3-websocket (Debian); nothing is downloaded.
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket  # python3-websocket

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    def __init__(self, width=1400, height=900):
        self.profile = tempfile.mkdtemp(prefix='diagtap-chromium-')
        self.port = free_port()
        args = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
                '--user-data-dir=' + self.profile, '--remote-debugging-address=127.0.0.1',
                '--remote-debugging-port=%d' % self.port, '--window-size=%d,%d' % (width, height), 'about:blank']
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.ws = None
        self.msg_id = 0
        self.events = []
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/json/list' % self.port, timeout=2) as r:
                    pages = [p for p in json.load(r) if p.get('type') == 'page']
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError('chromium did not start its DevTools endpoint')
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=900,
                                              suppress_origin=True)
        self.call('Runtime.enable')
        self.call('Log.enable')
        self.call('Page.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.msg_id += 1
        my = self.msg_id
        self.ws.send(json.dumps({'id': my, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == my:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error']))
                return msg.get('result', {})
            self.events.append(msg)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        for i, m in enumerate(self.events):
            if m.get('method') == method:
                return self.events.pop(i)
        while time.time() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get('method') == method:
                return msg
            self.events.append(msg)
        raise TimeoutError(method)

    def open(self, path):
        self.call('Page.navigate', url='file://' + os.path.abspath(path))
        self.wait_event('Page.loadEventFired', timeout=float(os.environ.get('CDP_LOAD_TIMEOUT', '300')))

    def eval(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('JS: %s' % json.dumps(r['exceptionDetails'])[:800])
        return r['result'].get('value')

    def wait_for(self, expr, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.eval(expr):
                return
            time.sleep(0.05)
        raise TimeoutError(expr)

    def click(self, x, y):
        for kind in ('mousePressed', 'mouseReleased'):
            self.call('Input.dispatchMouseEvent', type=kind, x=x, y=y, button='left', clickCount=1)

    def console_errors(self):
        """Console errors and uncaught exceptions seen so far."""
        out = []
        for m in self.events:
            meth, p = m.get('method'), m.get('params', {})
            if meth == 'Runtime.exceptionThrown':
                out.append(json.dumps(p.get('exceptionDetails', {}))[:500])
            elif meth == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
                out.append(json.dumps(p.get('args', []))[:500])
            elif meth == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
                out.append(p['entry'].get('text', '') + ' ' + p['entry'].get('url', ''))
        return out

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=False)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if self.ws:
                self.ws.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
