#!/usr/bin/python3
"""-T mermaid of the bundled sample: every line passes a strict check of the
sequenceDiagram subset diagtap writes, the arrows match the exchanges of the
JSON Lines output (requests solid, replies dashed, error replies crossed,
latencies in the label), and Mermaid's own renderer (npm `mermaid`, run in
Debian's headless chromium: no browser download) draws it without error, one
message per arrow. The render is skipped, said so, when mermaid.min.js is not
installed (scripts/deps.sh puts it in /opt/diagtap-npm); the syntax checks
always run.
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
MERMAID_JS = os.environ.get('DIAGTAP_MERMAID_JS', '/opt/diagtap-npm/node_modules/mermaid/dist/mermaid.min.js')

# Text: no character Mermaid reads as syntax, except as an entity code (#59;).
TEXT = r'(?:[^;#%<>"{}\n]|#\d+;)'
PART = re.compile(r'^    participant p\d+ as ' + TEXT + r'+$')
ARROW = re.compile(r'^    (p\d+)(->>|-->>|--x)(p\d+): (' + TEXT + r'*)$')
NOTE = re.compile(r'^    Note over p\d+(,p\d+)?: ' + TEXT + r'+$')


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def diagtap(*args):
    return subprocess.run([DIAGTAP, *args], check=True, stdout=subprocess.PIPE).stdout.decode()


def check_syntax(text, what):
    lines = text.rstrip('\n').split('\n')
    if lines[0].startswith('%%'):
        lines = lines[1:]
    if lines[0] != 'sequenceDiagram':
        fail('%s: first statement is %r' % (what, lines[0]))
    declared, arrows = set(), []
    for n, l in enumerate(lines[1:], 2):
        if PART.match(l):
            declared.add(l.split()[1])
            continue
        m = ARROW.match(l)
        if m:
            if m.group(1) not in declared or m.group(3) not in declared:
                fail('%s line %d: participant used before it is declared: %r' % (what, n, l))
            arrows.append(m.groups())
            continue
        if NOTE.match(l):
            continue
        fail('%s line %d: not a statement diagtap should write: %r' % (what, n, l))
    return arrows


def render(text):
    import cdp
    page = tempfile.NamedTemporaryFile('w', suffix='.html', delete=False)
    page.write('<!DOCTYPE html><html><body><div id="out"></div>'
               '<script src="file://%s"></script><script>'
               'window.result = null;'
               'mermaid.initialize({startOnLoad: false, maxTextSize: 1e7, securityLevel: "strict"});'
               'mermaid.render("d", %s).then(r => { document.getElementById("out").innerHTML = r.svg;'
               '  window.result = {ok: true, messages: document.querySelectorAll("#out .messageText").length,'
               '                   actors: document.querySelectorAll("#out text.actor").length}; })'
               '.catch(e => { window.result = {ok: false, error: String(e && e.message || e)}; });'
               '</script></body></html>' % (MERMAID_JS, json.dumps(text)))
    page.close()
    try:
        with cdp.Browser() as b:
            b.open(page.name)
            b.wait_for('window.result !== null', 120)
            return b.eval('window.result'), b.console_errors()
    finally:
        os.unlink(page.name)


def main():
    events = [json.loads(l) for l in diagtap('replay', SAMPLE, '-T', 'json').splitlines()]
    text = diagtap('replay', SAMPLE, '-T', 'mermaid')
    arrows = check_syntax(text, 'sample')
    exchanges = [e for e in events if e['kind'] == 'pdu' and (e['role'] in ('request', 'response', 'interim') or e['is_error'])]
    if len(arrows) != len(exchanges):
        fail('%d arrows, %d requests and replies in the JSON Lines' % (len(arrows), len(exchanges)))
    for (a, arrow, b, label), e in zip(arrows, exchanges):
        want = '->>' if e['role'] == 'request' else '--x' if e['is_error'] else '-->>'
        if arrow != want:
            fail('#%d (%s): arrow %s, expected %s' % (e['seq'], e['summary'], arrow, want))
        if e['role'] == 'response' and e['latency_ns'] is not None and not re.search(r'\(\S+ (ns|µs|ms|s)\)$', label):
            fail('#%d: no latency in %r' % (e['seq'], label))
    print('ok: %d arrows match the exchanges' % len(arrows))

    # a selection, as a bug report would take it: errors only, fenced for Markdown
    tmp = tempfile.mkdtemp(prefix='diagtap-mmd-')
    md = os.path.join(tmp, 'bug.md')
    diagtap('replay', SAMPLE, '-T', 'mermaid', '-o', md, '--grep', 'DENIED|NOT_FOUND')
    body = open(md, encoding='utf-8').read()
    if not body.startswith('```mermaid\n') or not body.endswith('```\n'):
        fail('.md output is not a fenced mermaid block')
    sel = check_syntax(body[len('```mermaid\n'):-len('```\n')], 'selection')
    if not sel or any(x[1] == '->>' and 'DENIED' not in x[3] and 'NOT_FOUND' not in x[3] for x in sel):
        fail('the --grep selection has unexpected arrows: %s' % sel)

    if not os.path.exists(MERMAID_JS):
        print('SKIP render: %s not installed (scripts/deps.sh); syntax checks passed' % MERMAID_JS)
        print('PASS')
        return
    for name, t in (('sample', text), ('selection', body[len('```mermaid\n'):-len('```\n')])):
        t0 = time.time()
        res, errs = render(t)
        if not res or not res.get('ok'):
            fail('mermaid could not render the %s: %s' % (name, res))
        n = len(check_syntax(t, name))
        if res['messages'] != n:
            fail('mermaid drew %d messages for %d arrows (%s)' % (res['messages'], n, name))
        if errs:
            fail('console errors while rendering: %s' % errs)
        print('ok: mermaid rendered the %s: %d messages, %d actor labels (%.1f s)' %
              (name, res['messages'], res['actors'], time.time() - t0))
    print('PASS')


if __name__ == '__main__':
    main()
