#!/usr/bin/python3
"""The HTML report (-T html) of the bundled sample, opened in Debian's
headless chromium through the DevTools protocol.

Checks against diagtap's own JSON Lines output of the same input (never
hard-coded counts): the page loads without console errors; one lane per
channel; a span per answered request, error replies drawn in the error red
(pixels on the canvas); unanswered requests of a capture cut short flagged;
a click on a span shows that event's summary and field tree; the search box
(text and field=value) and the protocol toggles filter; the file is at most
twice the JSON Lines size and holds no external reference.

usage: test_html_report.py [--screenshot PNG]   (env DIAGTAP, DIAGTAP_SRCDIR)
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DIAGTAP = os.environ.get('DIAGTAP', 'build/diagtap')
SRC = os.environ.get('DIAGTAP_SRCDIR', '.')
SAMPLE = os.path.join(SRC, 'fixtures', 'sample.pcapng')
ERR_RGB = (214, 39, 40)    # ERR in report.js
PEND_RGB = (224, 161, 0)   # PEND in report.js


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def run(*args):
    return subprocess.run([DIAGTAP, *args], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def jsonl(path, *extra):
    return [json.loads(l) for l in run('replay', path, '-T', 'json', *extra).splitlines()]


def report(path, out, *extra):
    run('replay', path, '-T', 'html', '-o', out, *extra)
    return out


def count_pixels(b, rgb):
    return b.eval('''(function(){var c=document.getElementById("dt-canvas"),x=c.getContext("2d");
      dtReport.drawNow();
      var d=x.getImageData(0,0,c.width,c.height).data,n=0;
      for(var i=0;i<d.length;i+=4) if(d[i]==%d&&d[i+1]==%d&&d[i+2]==%d) n++; return n;})()''' % rgb)


def main():
    shot = sys.argv[sys.argv.index('--screenshot') + 1] if '--screenshot' in sys.argv else None
    try:
        import cdp
    except ImportError as e:
        fail('python3-websocket is needed (scripts/deps.sh): %s' % e)
    if not os.path.exists('/usr/bin/chromium') and not os.environ.get('CHROMIUM'):
        print('SKIP: /usr/bin/chromium not installed')
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix='diagtap-html-')
    events = jsonl(SAMPLE)
    html = report(SAMPLE, os.path.join(tmp, 'sample.html'))

    # --- the file itself
    size, jsize = os.path.getsize(html), len(run('replay', SAMPLE, '-T', 'json'))
    if size > 2 * jsize:
        fail('report is %d bytes, more than twice the JSON Lines (%d)' % (size, jsize))
    text = open(html, encoding='utf-8').read()
    if re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', text, re.I) or '@import' in text:
        fail('the report references something outside itself')
    if text.lower().count('</script>') != text.lower().count('<script'):
        fail('a <script> block is not closed exactly once (escaping?)')

    # secrets: the raw bytes of a message whose credential fields were redacted stay out
    def heads(t):
        return [json.loads(l.split('\t')[0]) for l in t.splitlines() if l.startswith('["e",')]
    auth = [h for h in heads(text) if 'NTLMSSP_AUTH' in h[8] and h[9] == 1]
    if not auth or any(h[16] is not None for h in auth):
        fail('raw bytes of NTLMSSP_AUTH (credentials) are in the report: %s' % [h[1] for h in auth])
    shown = os.path.join(tmp, 'creds.html')
    run('replay', SAMPLE, '-T', 'html', '-o', shown, '--show-credentials')
    if any(h[16] is None for h in heads(open(shown, encoding='utf-8').read()) if 'NTLMSSP_AUTH' in h[8] and h[9] == 1):
        fail('--show-credentials: the NTLMSSP_AUTH bytes are still withheld')

    channels = []
    for e in events:
        ch = (e['conv'] or {}).get('channel') or '(input)'
        if ch not in channels:
            channels.append(ch)
    # --stats: a section per channel, one row each, events counted as the JSON Lines has them
    table = run('replay', SAMPLE, '--stats', '-q').decode()
    if '\nCHANNEL ' not in table:
        fail('--stats has no per-channel section')
    for ch in channels:
        row = next((l for l in table.splitlines() if l.startswith(ch + ' ')), None)
        n = sum(1 for e in events if ((e['conv'] or {}).get('channel') or '(input)') == ch)
        if not row or int(row.split()[1]) != n:
            fail('--stats channel row for %s: %r, expected %d events' % (ch, row, n))
    answered = [e for e in events if e['role'] == 'response' and e['latency_ns'] is not None]
    err_spans = [e for e in answered if e['is_error']]
    if not err_spans:
        fail('the sample has no error reply to colour')

    with cdp.Browser() as b:
        b.open(html)
        b.wait_for('window.dtReport && dtReport.ready')
        errs = b.console_errors()
        if errs:
            fail('console errors: %s' % errs)
        labels = b.eval('Array.from(document.querySelectorAll(".lane-label")).map(e => e.dataset.channel)')
        if labels != channels:
            fail('lanes %s, expected the channels %s' % (labels, channels))
        st = b.eval('JSON.stringify({n: dtReport.events.length, spans: dtReport.spans.length, drawn: dtReport.drawNow()})')
        st = json.loads(st)
        if st['n'] != len(events):
            fail('%d events in the page, %d in the JSON Lines' % (st['n'], len(events)))
        if st['spans'] != len(answered):
            fail('%d spans, %d answered requests' % (st['spans'], len(answered)))
        if st['drawn']['spans'] < 1 or st['drawn']['errSpans'] < 1:
            fail('nothing drawn: %s' % st['drawn'])
        red = count_pixels(b, ERR_RGB)
        if red < 20:
            fail('no error-red spans on the canvas (%d red pixels)' % red)
        print('ok: %d lanes, %d spans, %d drawn (%d red), %d red pixels' %
              (len(labels), st['spans'], st['drawn']['spans'], st['drawn']['errSpans'], red))

        # --- a click on the denied TREE_CONNECT's span shows its fields
        denied = next((e for e in err_spans if e['status'] == 'STATUS_ACCESS_DENIED'), err_spans[0])
        lat = denied['latency_ns']
        t_resp = b.eval('dtReport.bySeq.find(e => e.seq == %d).t' % denied['seq'])
        b.eval('dtReport.setView(%r, %r)' % (t_resp - 3 * lat, t_resp + 2 * lat))
        time.sleep(0.1)
        box = b.eval('dtReport.boxOf(%d)' % denied['seq'])
        b.click(box['x'] + box['w'] / 2, box['y'] + box['h'] / 2)
        time.sleep(0.1)
        shown = b.eval('(document.getElementById("dt-sel-summary")||{}).textContent')
        if shown != denied['summary']:
            fail('clicked the span of #%d, the details show %r' % (denied['seq'], shown))
        abbrevs = b.eval('Array.from(document.querySelectorAll("#dt-details li.field")).map(e => e.dataset.abbrev)')
        want = list(denied['fields'].keys())
        if not want or any(k not in abbrevs for k in want):
            fail('field tree %s lacks %s' % (abbrevs, want))
        if not b.eval('!!document.querySelector("#dt-details pre.hex")'):
            fail('no raw bytes shown')
        print('ok: click on #%d shows %d fields and its bytes' % (denied['seq'], len(abbrevs)))
        if shot:  # docs/html-report.png: the whole sample, the denied TREE_CONNECT selected
            b.eval('dtReport.fit(); dtReport.select(%d)' % denied['seq'])
            time.sleep(0.3)
            b.screenshot(shot)

        # --- search: field=value, then text, then protocol toggles
        b.eval('dtReport.fit()')
        b.eval('document.getElementById("dt-search").focus()')
        b.call('Input.insertText', text='smb2.nt_status=%d' % 0xc0000022)
        b.wait_for('dtReport.query && dtReport.query.length == 1', 10)
        time.sleep(0.2)
        want = [e['seq'] for e in events if e['fields'].get('smb2.nt_status') == 0xc0000022]
        got = b.eval('dtReport.events.filter(e => e.vis).map(e => e.seq)')
        if not want or got != want:
            fail('field search: %s, expected %s' % (got, want))
        b.eval('dtReport.setQuery("launch")')
        want = [e['seq'] for e in events
                if 'launch' in (e['summary'] + ' ' + e['proto'] + ' ' + ((e['conv'] or {}).get('channel') or '(input)') +
                                ' ' + (e['status'] or '')).lower()]
        got = b.eval('dtReport.events.filter(e => e.vis).map(e => e.seq)')
        if not want or got != want:
            fail('text search: %s, expected %s' % (got, want))
        rows = b.eval('document.querySelectorAll("#dt-list .row").length')
        if rows < 1:
            fail('text search: no rows in the list')
        b.eval('dtReport.setQuery("")')
        b.eval('document.querySelector("input[data-proto=DAP]").click()')
        n_dap = sum(1 for e in events if e['proto'] == 'DAP')
        got = b.eval('dtReport.nVisible')
        if got != len(events) - n_dap:
            fail('DAP toggled off: %d visible, expected %d' % (got, len(events) - n_dap))
        print('ok: search and toggles filter')
        errs = b.console_errors()
        if errs:
            fail('console errors: %s' % errs)

    # --- a capture stopped while requests waited: their flags
    cut = os.path.join(tmp, 'cut.pcapng')
    subprocess.run(['editcap', '-B', '2026-11-21 11:23:09.5', SAMPLE, cut], check=True, stdout=subprocess.DEVNULL)
    pend = [e for e in jsonl(cut) if e['kind'] == 'pending']
    if not pend:
        fail('the cut sample has no unanswered request')
    html2 = report(cut, os.path.join(tmp, 'cut.html'))
    with cdp.Browser() as b:
        b.open(html2)
        b.wait_for('window.dtReport && dtReport.ready')
        d = json.loads(b.eval('JSON.stringify(dtReport.drawNow())'))
        if d['pendFlags'] != len(pend):
            fail('%d pending flags drawn, %d unanswered requests' % (d['pendFlags'], len(pend)))
        if count_pixels(b, PEND_RGB) < 20:
            fail('no pending colour on the canvas')
        listed = b.eval('document.getElementById("dt-stats").textContent')
        if 'Unanswered requests (%d)' % len(pend) not in listed:
            fail('the statistics do not list the unanswered requests')
        errs = b.console_errors()
        if errs:
            fail('console errors: %s' % errs)
        print('ok: %d unanswered requests flagged' % len(pend))
    print('PASS')


if __name__ == '__main__':
    main()
