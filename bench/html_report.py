#!/usr/bin/python3
"""Benchmark: a 200 000-event HTML report loaded and scrolled in Debian's
headless chromium. Not a timed test: it prints what it measured.

usage: bench/html_report.py [BUILD_DIR] [EVENTS]     (default: build 200000)

Makes a synthetic DAP-over-TCP capture (bench/gen_dap_pcap.py) big enough
for EVENTS events, writes the report (-T html) and the JSON Lines of the
same capture (size ratio), opens the report, then: time to first drawn
frame (parse + layout + draw), and frame times while zooming in step by
step, panning across the whole timeline and scrolling the event list.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'tests', 'html'))
import cdp  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else 'build'
want = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
diagtap = os.path.join(os.path.abspath(build), 'diagtap')
tmp = tempfile.mkdtemp(prefix='diagtap-bench-html-')
pcap = os.path.join(tmp, 'dap.pcap')
mib = max(1, want * 48 // 52000 + 1)  # ~1080 events per MiB of this generator's traffic
subprocess.run(['/usr/bin/python3', os.path.join(here, 'gen_dap_pcap.py'), pcap, str(mib), '256'], check=True)
html = os.path.join(tmp, 'report.html')
t = time.time()
subprocess.run([diagtap, 'replay', pcap, '-T', 'html', '-o', html], check=True)
t_write = time.time() - t
with open(os.path.join(tmp, 'out.jsonl'), 'wb') as f:
    subprocess.run([diagtap, 'replay', pcap, '-T', 'json'], check=True, stdout=f)
hsize, jsize = os.path.getsize(html), os.path.getsize(os.path.join(tmp, 'out.jsonl'))
os.unlink(os.path.join(tmp, 'out.jsonl'))

FRAME = '''(function(){var t=performance.now(); dtReport.drawNow(); return performance.now()-t;})()'''
with cdp.Browser() as b:
    t = time.time()
    b.open(html)
    b.wait_for('window.dtReport && dtReport.ready', 600)
    wall = time.time() - t
    info = json.loads(b.eval('JSON.stringify({n: dtReport.events.length, spans: dtReport.spans.length, '
                             'load: dtReport.loadMs, ready: dtReport.readyMs, lanes: dtReport.lanes.length})'))
    frames = {}
    full = json.loads(b.eval('JSON.stringify([dtReport.tMin, dtReport.tMax])'))
    # zoom in around the middle, 1.5x per step, down to a few microseconds
    zoom = []
    b.eval('dtReport.fit()')
    for _ in range(40):
        b.eval('dtReport.zoomAt(500, 0.66)')
        zoom.append(b.eval(FRAME))
    frames['zoom (40 steps, fit → µs)'] = zoom
    # pan across the whole timeline at a 1 % view
    span = (full[1] - full[0]) / 100
    pan = []
    for i in range(100):
        v0 = full[0] + i * span
        b.eval('dtReport.setView(%r, %r)' % (v0, v0 + span))
        pan.append(b.eval(FRAME))
    frames['pan (100 views of 1 %)'] = pan
    b.eval('dtReport.fit()')
    full_view = [b.eval(FRAME) for _ in range(10)]
    frames['whole timeline (10 frames)'] = full_view
    # scroll the event list from top to bottom
    lst = b.eval('''(function(){var l=document.getElementById("dt-list"),ts=[];
        for(var i=0;i<100;i++){var t=performance.now(); l.scrollTop=i*(l.scrollHeight/100);
        l.dispatchEvent(new Event("scroll")); ts.push(performance.now()-t);} return ts;})()''')
    frames['event list scroll (100 jumps)'] = lst
    errs = b.console_errors()

print('events in the report      %d (%d spans, %d lanes)' % (info['n'], info['spans'], info['lanes']))
print('report size               %.1f MiB = %.2f x the JSON Lines (%.1f MiB)' % (hsize / 2**20, hsize / jsize, jsize / 2**20))
print('diagtap writing it        %.1f s' % t_write)
print('page ready (parse+layout) %.0f ms in the page, %.1f s from navigation' % (info['ready'], wall))
for k, v in frames.items():
    v = sorted(v)
    print('%-34s median %6.1f ms  p95 %6.1f ms  max %6.1f ms' % (k, v[len(v) // 2], v[int(len(v) * 0.95)], v[-1]))
print('console errors: %s' % (errs or 'none'))
subprocess.run(['rm', '-rf', tmp])
