/* diagtap HTML report: reads the event records embedded in this page and
 * draws one lane per channel on a canvas, only what is visible.
 * Hand-written, no dependencies, no network (docs/html.md). */
"use strict";
(function () {
  var LABEL_W = 190, AXIS_H = 26, MARK_H = 12, ROW_H = 14, ROW_GAP = 3, LANE_PAD = 6, MAX_ROWS = 6, LIST_ROW = 18;
  var KIND = ["pdu", "note", "error", "pending"], ROLE = [null, "request", "response", "interim"];
  var ERR = "#d62728", PEND = "#e0a100", NOTE = "#8a96a3";

  var R = {            /* everything the page knows; window.dtReport for tests and the console */
    base: 0n, baseText: "", events: [], bySeq: [], lanes: [], laneOf: {}, convs: {}, spans: [],
    protos: {}, query: null, v0: 0, v1: 1, tMin: 0, tMax: 1, selected: null, drawn: null, complete: false
  };
  window.dtReport = R;

  /* ---------- reading the records ---------- */
  function lane(name) {
    var l = R.laneOf[name];
    if (l === undefined) {
      l = R.lanes.length;
      R.laneOf[name] = l;
      R.lanes.push({ name: name, desc: "", spans: [], rows: 1, rowEnd: [], rowMaxDur: [0], marks: [], n: 0, y: 0, h: 0 });
    }
    return R.lanes[l];
  }

  function load() {
    var el = document.getElementById("dt-events");
    var text = el ? el.textContent : "";
    var lines = text.split("\n"), bad = 0;
    for (var i = 0; i < lines.length; i++) {
      var ln = lines[i];
      if (!ln) continue;
      var r, tab = ln.indexOf("\t"), ftext = null;
      if (tab >= 0) { ftext = ln.slice(tab + 1); ln = ln.slice(0, tab); }
      try { r = JSON.parse(ln); } catch (e) { bad++; continue; }
      switch (r[0]) {
      case "base": R.base = BigInt(r[1]); R.baseText = r[2]; break;
      case "ch": lane(r[1]).desc = r[2] || ""; break;
      case "cv": R.convs[r[1]] = { id: r[1], channel: r[2], client: r[3], server: r[4] }; break;
      case "e":
        var cv = R.convs[r[3]] || null;
        var ev = { seq: r[1], t: r[2], conv: cv, dir: r[4], kind: r[5], proto: r[6] || "?", pname: r[7],
          sum: r[8], role: r[9], req: r[10], lat: r[11], status: r[12], err: (r[13] & 1) !== 0 || r[5] === 2,
          mal: (r[13] & 2) !== 0, key: r[14], rawLen: r[15], raw: r[16], ft: ftext, vis: true, resp: 0 };
        ev.lane = lane(cv && cv.channel ? cv.channel : "(input)");
        R.events.push(ev);
        break;
      }
    }
    var m = document.getElementById("dt-meta");
    if (m) { try { var meta = JSON.parse(m.textContent); R.complete = !!meta.complete; R.title = meta.title; } catch (e) { } }
    R.badLines = bad;
  }

  /* The field tree, parsed when it is needed (the record keeps its text). */
  function fieldsOf(e) {
    if (!e.ft) return null;
    try { return JSON.parse(e.ft); } catch (x) { return null; }
  }
  R.fieldsOf = fieldsOf;

  function bsearch(arr, key, get) { /* first index whose get() >= key */
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (get(arr[mid]) < key) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function eventBySeq(seq) {
    var i = bsearch(R.bySeq, seq, function (e) { return e.seq; });
    return i < R.bySeq.length && R.bySeq[i].seq === seq ? R.bySeq[i] : null;
  }

  /* Spans: a response with its latency is request→response; a pending event
   * (no reply before the end) is flagged open to the end of the view; a
   * request whose reply is not in this report (cut by --to) likewise. */
  function build() {
    R.bySeq = R.events.slice().sort(function (a, b) { return a.seq - b.seq; });
    var answered = new Set(), lats = [];
    R.tMin = Infinity; R.tMax = -Infinity;
    R.events.forEach(function (e) {
      var t0 = e.t;
      if (e.lat !== null && (e.role === 2 || e.kind === 3)) t0 = e.t - e.lat;
      if (t0 < R.tMin) R.tMin = t0;
      if (e.t > R.tMax) R.tMax = e.t;
      if (e.req && (e.role === 2 || e.kind === 3)) answered.add(e.req);
      R.protos[e.proto] = R.protos[e.proto] || { on: true, n: 0 };
      R.protos[e.proto].n++;
    });
    if (!R.events.length) { R.tMin = 0; R.tMax = 1; }
    R.events.forEach(function (e) {
      var s = null;
      if (e.role === 2 && e.lat !== null) {
        s = { t0: e.t - e.lat, t1: e.t, ev: e, req: e.req ? eventBySeq(e.req) : null, pend: 0 };
        lats.push(e.lat);
      } else if (e.kind === 3) {
        s = { t0: e.lat !== null ? e.t - e.lat : e.t, t1: Infinity, ev: e, req: e.req ? eventBySeq(e.req) : null, pend: 1 };
      } else if (e.role === 1 && !answered.has(e.seq)) {
        s = { t0: e.t, t1: Infinity, ev: e, req: e, pend: 2 };
      }
      if (s) {
        if (s.req) s.req.resp = e.seq;
        e.span = s;
        e.lane.spans.push(s);
        R.spans.push(s);
      }
      if (!s && !(e.role === 1 && answered.has(e.seq))) e.lane.marks.push(e);
      e.lane.n++;
    });
    lats.sort(function (a, b) { return a - b; });
    var q = function (p) { return lats.length ? lats[Math.min(lats.length - 1, Math.floor(p * lats.length))] : 1; };
    R.latLo = Math.log(Math.max(1, q(0.05))); R.latHi = Math.log(Math.max(2, q(0.99)));
    if (R.latHi - R.latLo < 0.5) R.latHi = R.latLo + 0.5;
    R.lanes.forEach(function (l) {
      l.spans.sort(function (a, b) { return a.t0 - b.t0; });
      l.marks.sort(function (a, b) { return a.t - b.t; });
      l.rowSpans = [[]]; l.rowEnd = [-Infinity]; l.rowMaxDur = [0];
      l.spans.forEach(function (s) {
        var r = -1;
        for (var i = 0; i < l.rowEnd.length; i++) if (l.rowEnd[i] <= s.t0) { r = i; break; }
        if (r < 0 && l.rowEnd.length < MAX_ROWS) { r = l.rowEnd.length; l.rowEnd.push(-Infinity); l.rowSpans.push([]); l.rowMaxDur.push(0); }
        if (r < 0) { r = 0; for (i = 1; i < l.rowEnd.length; i++) if (l.rowEnd[i] < l.rowEnd[r]) r = i; }
        s.row = r;
        l.rowEnd[r] = Math.max(l.rowEnd[r], s.t1);
        l.rowSpans[r].push(s);
        if (s.t1 !== Infinity) l.rowMaxDur[r] = Math.max(l.rowMaxDur[r], s.t1 - s.t0);
      });
      l.open = l.spans.filter(function (s) { return s.t1 === Infinity; });
      l.rows = l.rowSpans.length;
    });
    var y = AXIS_H;
    R.lanes.forEach(function (l) {
      l.y = y;
      l.h = LANE_PAD + MARK_H + ROW_GAP + l.rows * (ROW_H + ROW_GAP) + LANE_PAD;
      y += l.h;
    });
    R.totalH = y;
    R.sorted = R.events.slice().sort(function (a, b) { return a.t - b.t || a.seq - b.seq; });
    fit();
  }

  function fit() {
    var span = Math.max(1000, R.tMax - R.tMin);
    R.v0 = R.tMin - span * 0.02; R.v1 = R.tMax + span * 0.04;
  }

  /* ---------- search and toggles ---------- */
  function fieldMatch(obj, name, val, sub, depth) {
    if (!obj || typeof obj !== "object" || depth > 64) return false;
    for (var k in obj) {
      var v = obj[k];
      var list = Array.isArray(v) ? v : [v];
      for (var i = 0; i < list.length; i++) {
        var x = list[i];
        if (k.toLowerCase() === name) {
          var s = x !== null && typeof x === "object" ? x.value : x;
          if (s !== undefined && s !== null) {
            s = String(s).toLowerCase();
            if (sub ? s.indexOf(val) >= 0 : s === val) return true;
          }
        }
        if (x !== null && typeof x === "object" && fieldMatch(x, name, val, sub, depth + 1)) return true;
      }
    }
    return false;
  }
  var WORDS = { proto: function (e) { return e.proto + " " + (e.pname || ""); }, status: function (e) { return e.status || ""; },
    channel: function (e) { return e.lane.name; }, key: function (e) { return e.key || ""; },
    kind: function (e) { return KIND[e.kind]; }, seq: function (e) { return String(e.seq); },
    role: function (e) { return ROLE[e.role] || ""; } };

  /* "text words field=value field~part": every term must hold. */
  function parseQuery(q) {
    var terms = [];
    (q.match(/(?:[^\s"]+|"[^"]*")+/g) || []).forEach(function (tok) {
      var m = /^([A-Za-z_][\w.\-]*)(=|~)(.*)$/.exec(tok);
      var unq = function (s) { return s.replace(/^"(.*)"$/, "$1").toLowerCase(); };
      if (m) terms.push({ name: m[1].toLowerCase(), val: unq(m[3]), sub: m[2] === "~" });
      else terms.push({ text: unq(tok) });
    });
    return terms;
  }
  function termOk(e, t) {
    if (t.text !== undefined) {
      var hay = (e.sum + " " + e.proto + " " + e.lane.name + " " + (e.status || "")).toLowerCase();
      return hay.indexOf(t.text) >= 0;
    }
    if (WORDS[t.name]) {
      var s = WORDS[t.name](e).toLowerCase();
      return t.sub ? s.indexOf(t.val) >= 0 : s.split(" ").indexOf(t.val) >= 0;
    }
    return e.ft !== null && e.ft.toLowerCase().indexOf(t.val) >= 0 && fieldMatch(fieldsOf(e), t.name, t.val, t.sub, 0);
  }
  function applyFilter() {
    var terms = R.query || [], n = 0;
    R.events.forEach(function (e) {
      var ok = R.protos[e.proto].on;
      for (var i = 0; ok && i < terms.length; i++) ok = termOk(e, terms[i]);
      e.vis = ok;
    });
    /* a span is shown when its reply or its request matches */
    R.spans.forEach(function (s) { s.vis = s.ev.vis || (s.req ? s.req.vis && R.protos[s.ev.proto].on : false); });
    R.events.forEach(function (e) { if (e.vis) n++; });
    R.nVisible = n;
    R.listed = R.sorted.filter(function (e) { return e.vis || (e.span && e.span.vis); });
    counts();
    redraw();
    refreshList(true);
  }

  /* ---------- drawing ---------- */
  var cv, ctx, lanesEl, listEl, detEl, dpr = 1, W = 600, H = 200, pending = false;

  function latColor(lat) {
    var x = (Math.log(Math.max(1, lat)) - R.latLo) / (R.latHi - R.latLo);
    x = Math.max(0, Math.min(1, x));
    return "hsl(" + Math.round(150 - 125 * x) + "," + Math.round(60 + 30 * x) + "%," + Math.round(42 + 10 * x) + "%)";
  }
  function xOf(t) { return (t - R.v0) / (R.v1 - R.v0) * W; }
  function tOf(x) { return R.v0 + x / W * (R.v1 - R.v0); }

  function niceStep(ns, px) {
    var raw = ns / Math.max(1, px / 110), p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
  function clock(t, step) { /* local wall-clock time of t (ns after base), digits as the step needs */
    var ns = R.base + BigInt(Math.round(t));
    var ms = Number(ns / 1000000n), sub = Number(ns % 1000000000n);
    var d = new Date(ms);
    var s = pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2);
    var digits = step >= 1e9 ? 0 : step >= 1e8 ? 1 : step >= 1e7 ? 2 : step >= 1e6 ? 3 : step >= 1e5 ? 4 : step >= 1e4 ? 5 : step >= 1e3 ? 6 : 9;
    if (digits) s += "." + pad(sub, 9).slice(0, digits);
    return s;
  }
  function human(ns) {
    if (ns < 1e3) return Math.round(ns) + " ns";
    if (ns < 1e6) return (ns / 1e3).toPrecision(3) + " µs";
    if (ns < 1e9) return (ns / 1e6).toPrecision(3) + " ms";
    if (ns < 60e9) return (ns / 1e9).toPrecision(3) + " s";
    return Math.floor(ns / 60e9) + " m " + pad(Math.round(ns / 1e9 % 60), 2) + " s";
  }

  function redraw() { if (!pending) { pending = true; requestAnimationFrame(draw); } }

  function draw() {
    pending = false;
    var top = lanesEl.scrollTop, vh = lanesEl.clientHeight;
    cv.style.top = top + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    var st = { spans: 0, errSpans: 0, pendFlags: 0, marks: 0, errMarks: 0, lanes: 0 };
    var tEnd = R.v1;
    R.lanes.forEach(function (l, li) {
      var y0 = l.y - top;
      if (y0 + l.h < AXIS_H || y0 > vh) return;
      st.lanes++;
      ctx.fillStyle = li % 2 ? "#fafbfc" : "#ffffff";
      ctx.fillRect(0, y0, W, l.h);
      ctx.fillStyle = "#e3e7ec"; ctx.fillRect(0, y0, W, 1);
      /* marks: notes, errors, unpaired messages */
      var my = y0 + LANE_PAD, lastX = -2, lastErr = -2;
      for (var i = bsearch(l.marks, R.v0 - 1, function (e) { return e.t; }); i < l.marks.length; i++) {
        var e = l.marks[i];
        if (e.t > R.v1) break;
        if (!e.vis) continue;
        var x = Math.floor(xOf(e.t));
        if (e.err ? x === lastErr : x === lastX) continue;
        if (e.err) lastErr = x; else lastX = x;
        ctx.fillStyle = e.err ? ERR : e.kind === 1 ? NOTE : "#4a6fa5";
        ctx.fillRect(x - 1, my, e.err ? 3 : 2, MARK_H);
        st.marks++; if (e.err) st.errMarks++;
        if (R.selected === e) { ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.strokeRect(x - 3, my - 2, 7, MARK_H + 4); }
      }
      /* spans, row by row; a span narrower than a pixel shares it */
      for (var r = 0; r < l.rows; r++) {
        var ry = y0 + LANE_PAD + MARK_H + ROW_GAP + r * (ROW_H + ROW_GAP), rs = l.rowSpans[r];
        var from = bsearch(rs, R.v0 - l.rowMaxDur[r] - 1, function (s) { return s.t0; });
        var px = -2, pxErr = -2;
        for (i = from; i < rs.length; i++) {
          var s = rs[i];
          if (s.t0 > R.v1) break;
          if (!s.vis || s.t1 === Infinity || s.t1 < R.v0) continue;
          var x0 = xOf(s.t0), x1 = xOf(s.t1), w = Math.max(1, x1 - x0), err = s.ev.err;
          if (w < 1.5 && Math.floor(x0) === (err ? pxErr : px)) continue;
          if (err) pxErr = Math.floor(x0); else px = Math.floor(x0);
          ctx.fillStyle = err ? ERR : latColor(s.ev.lat);
          ctx.fillRect(x0, ry, w > 4 ? w - 1 : w, ROW_H); /* a gap between neighbours */
          if (w > 60) { /* room for the name */
            ctx.fillStyle = "#fff"; ctx.font = "11px system-ui, sans-serif";
            ctx.save(); ctx.beginPath(); ctx.rect(x0, ry, w, ROW_H); ctx.clip();
            ctx.fillText((s.req ? s.req.sum : s.ev.sum) + "  " + human(s.ev.lat), Math.max(x0, 0) + 4, ry + 11);
            ctx.restore();
          }
          st.spans++; if (err) st.errSpans++;
          if (R.selected && (R.selected === s.ev || R.selected === s.req)) {
            ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.strokeRect(x0 - 1, ry - 1, w + 2, ROW_H + 2);
          }
        }
      }
      /* unanswered requests: open to the end of the view, flagged there */
      l.open.forEach(function (s) {
        if (!s.vis || s.t0 > R.v1) return;
        var ry = y0 + LANE_PAD + MARK_H + ROW_GAP + s.row * (ROW_H + ROW_GAP);
        var x0 = Math.max(-2, xOf(s.t0)), x1 = W - 14;
        ctx.fillStyle = s.pend === 1 ? PEND : "#f3d98b";
        ctx.fillRect(x0, ry, Math.max(2, x1 - x0), ROW_H);
        ctx.strokeStyle = "rgba(255,255,255,.55)"; ctx.lineWidth = 2;
        ctx.save(); ctx.beginPath(); ctx.rect(x0, ry, Math.max(2, x1 - x0), ROW_H); ctx.clip();
        for (var hx = x0 - ROW_H; hx < x1; hx += 9) { ctx.beginPath(); ctx.moveTo(hx, ry + ROW_H); ctx.lineTo(hx + ROW_H, ry); ctx.stroke(); }
        ctx.fillStyle = "#3d2e00"; ctx.font = "11px system-ui, sans-serif";
        ctx.fillText((s.pend === 1 ? "no reply: " : "no reply in this report: ") + (s.req ? s.req.sum : s.ev.sum), Math.max(x0, 0) + 4, ry + 11);
        ctx.restore();
        /* the flag at the end of the view */
        ctx.fillStyle = s.pend === 1 ? ERR : PEND;
        ctx.beginPath(); ctx.moveTo(x1 + 1, ry - 1); ctx.lineTo(x1 + 1, ry + ROW_H + 1); ctx.lineTo(x1 + 2, ry + ROW_H + 1);
        ctx.lineTo(x1 + 2, ry + 7); ctx.lineTo(x1 + 12, ry + 3); ctx.lineTo(x1 + 2, ry - 1); ctx.closePath(); ctx.fill();
        st.pendFlags++;
        if (R.selected && (R.selected === s.ev || R.selected === s.req)) {
          ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.strokeRect(x0 - 1, ry - 1, x1 - x0 + 2, ROW_H + 2);
        }
      });
    });
    /* the time axis */
    ctx.fillStyle = "#f3f5f8"; ctx.fillRect(0, 0, W, AXIS_H);
    ctx.fillStyle = "#c9d0d8"; ctx.fillRect(0, AXIS_H - 1, W, 1);
    var step = niceStep(R.v1 - R.v0, W);
    ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#4b5560";
    for (var t = Math.ceil(R.v0 / step) * step; t <= tEnd; t += step) {
      var x = xOf(t);
      ctx.fillRect(x, AXIS_H - 7, 1, 6);
      ctx.fillText(clock(t, step), x + 3, 15);
    }
    var vt = document.getElementById("dt-view");
    if (vt) vt.textContent = "view " + human(R.v1 - R.v0) + " from +" + human(Math.max(0, R.v0 - R.tMin));
    R.drawn = st;
  }

  function resize() {
    dpr = window.devicePixelRatio || 1;
    W = Math.max(200, lanesEl.clientWidth - LABEL_W);
    H = Math.max(80, lanesEl.clientHeight);
    cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
    cv.style.width = W + "px"; cv.style.height = H + "px";
    redraw();
  }

  /* ---------- interaction ---------- */
  function zoomAt(x, factor) {
    var t = tOf(x), span = (R.v1 - R.v0) * factor;
    span = Math.max(1000, Math.min(span, (R.tMax - R.tMin + 1000) * 20));
    R.v0 = t - (x / W) * span; R.v1 = R.v0 + span;
    redraw(); refreshList(false);
  }
  function pan(dx) {
    var d = dx / W * (R.v1 - R.v0);
    R.v0 -= d; R.v1 -= d;
    redraw(); refreshList(false);
  }

  function hit(x, y) {
    y += lanesEl.scrollTop;
    var l = null;
    for (var i = 0; i < R.lanes.length; i++) if (y >= R.lanes[i].y && y < R.lanes[i].y + R.lanes[i].h) l = R.lanes[i];
    if (!l) return null;
    var tol = 4 / W * (R.v1 - R.v0), t = tOf(x), ry = y - l.y - LANE_PAD;
    if (ry < MARK_H + ROW_GAP / 2) {
      var best = null, bd = Infinity;
      for (i = bsearch(l.marks, t - tol, function (e) { return e.t; }); i < l.marks.length && l.marks[i].t <= t + tol; i++) {
        var d = Math.abs(l.marks[i].t - t);
        if (l.marks[i].vis && d < bd) { bd = d; best = l.marks[i]; }
      }
      return best;
    }
    var r = Math.floor((ry - MARK_H - ROW_GAP) / (ROW_H + ROW_GAP));
    if (r < 0 || r >= l.rows) return null;
    var flagX = W - 14;
    var open = l.open.filter(function (s) { return s.vis && s.row === r && s.t0 <= t + tol && (x >= flagX - 2 || true); });
    var rs = l.rowSpans[r], found = null;
    for (i = bsearch(rs, t - l.rowMaxDur[r] - tol, function (s) { return s.t0; }); i < rs.length && rs[i].t0 <= t + tol; i++) {
      var s = rs[i];
      if (s.vis && s.t1 !== Infinity && s.t1 >= t - tol) { if (!found || Math.abs((s.t0 + s.t1) / 2 - t) < Math.abs((found.t0 + found.t1) / 2 - t)) found = s; }
    }
    if (found) return found.ev;
    return open.length ? open[open.length - 1].ev : null;
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  function treeHTML(obj, depth) {
    if (!obj || typeof obj !== "object") return "";
    var h = "<ul class=\"tree\">";
    for (var k in obj) {
      if (k === "value") continue;
      var list = Array.isArray(obj[k]) ? obj[k] : [obj[k]];
      for (var i = 0; i < list.length; i++) {
        var v = list[i], isObj = v !== null && typeof v === "object";
        var val = isObj ? v.value : v;
        h += "<li class=\"field\" data-abbrev=\"" + esc(k) + "\"><span class=\"k\">" + esc(k) + "</span>";
        if (val !== undefined) h += ": <span class=\"v\">" + esc(val === null ? "—" : JSON.stringify(val)) + "</span>";
        if (isObj && depth < 64) h += treeHTML(v, depth + 1);
        h += "</li>";
      }
    }
    return h + "</ul>";
  }
  function hexdump(b64, total) {
    if (!b64) return "";
    var bin = atob(b64), out = [];
    for (var o = 0; o < bin.length; o += 16) {
      var hex = "", asc = "";
      for (var i = 0; i < 16; i++) {
        if (o + i < bin.length) {
          var c = bin.charCodeAt(o + i);
          hex += (c < 16 ? "0" : "") + c.toString(16) + (i === 7 ? "  " : " ");
          asc += c >= 32 && c < 127 ? bin[o + i] : ".";
        } else hex += i === 7 ? "    " : "   ";
      }
      out.push(pad(o.toString(16), 6) + "  " + hex + " " + asc);
    }
    if (total > bin.length) out.push("… first " + bin.length + " of " + total + " bytes");
    return out.join("\n");
  }

  function endpoint(e) {
    if (!e.conv) return e.lane.name;
    return e.conv.client + (e.dir === 0 ? " → " : " ← ") + e.conv.server;
  }
  function select(e, center) {
    if (typeof e === "number") e = eventBySeq(e);
    R.selected = e || null;
    if (!e) { detEl.innerHTML = "<div class=\"empty\">Click a span or a mark on the timeline, or a row in the list.</div>"; redraw(); return; }
    var abs = R.base + BigInt(e.t), links = "";
    if (e.req && e.req !== e.seq) links += " <a data-seq=\"" + e.req + "\">request #" + e.req + "</a>";
    if (e.resp) links += " <a data-seq=\"" + e.resp + "\">reply #" + e.resp + "</a>";
    var rows = [["seq", e.seq + links], ["time", esc(clock(e.t, 1)) + " <span style=\"color:#6a737d\">(" + abs + " ns)</span>"],
      ["channel", esc(e.lane.name)], ["endpoints", esc(endpoint(e))], ["protocol", esc(e.proto)],
      ["kind", KIND[e.kind] + (ROLE[e.role] ? ", " + ROLE[e.role] : "") + (e.mal ? ", malformed" : "")]];
    if (e.lat !== null) rows.push([e.kind === 3 ? "age" : "latency", human(e.lat)]);
    if (e.status) rows.push(["status", "<span style=\"color:" + (e.err ? ERR : "inherit") + "\">" + esc(e.status) + "</span>"]);
    var h = "<h2 id=\"dt-sel-summary\">" + esc(e.sum) + "</h2><table class=\"meta\">";
    rows.forEach(function (r) { h += "<tr><td>" + r[0] + "</td><td>" + r[1] + "</td></tr>"; });
    var f = fieldsOf(e);
    h += "</table><h3>Fields</h3>" + (f ? treeHTML(f, 0) : "<div class=\"empty\">no fields</div>");
    if (e.raw) h += "<h3>Raw bytes (" + e.rawLen + ")</h3><pre class=\"hex\">" + esc(hexdump(e.raw, e.rawLen)) + "</pre>";
    detEl.innerHTML = h;
    if (center && (e.t < R.v0 || e.t > R.v1)) { var sp = R.v1 - R.v0; R.v0 = e.t - sp / 2; R.v1 = R.v0 + sp; refreshList(false); }
    redraw();
    var L = R.listed || [], v = R.inView, at = L.indexOf(e);
    if (v && at >= v.from && at < v.to) { /* bring its row into the list's view */
      var y = (at - v.from) * LIST_ROW;
      if (y < listEl.scrollTop || y > listEl.scrollTop + listEl.clientHeight - LIST_ROW) listEl.scrollTop = Math.max(0, y - 3 * LIST_ROW);
    }
    renderList();
  }

  /* ---------- the event list: the visible time range, only the rows on screen ---------- */
  var listSpacer, listRows = [];
  function refreshList(reset) {
    var L = R.listed || [];
    var a = bsearch(L, R.v0, function (e) { return e.t; }), b = bsearch(L, R.v1 + 1e-9, function (e) { return e.t; });
    R.inView = L.slice ? { from: a, to: b } : { from: 0, to: 0 };
    listSpacer.style.height = Math.max(0, b - a) * LIST_ROW + "px";
    if (reset) listEl.scrollTop = 0;
    renderList();
  }
  function renderList() {
    var L = R.listed || [], v = R.inView || { from: 0, to: 0 };
    var first = Math.floor(listEl.scrollTop / LIST_ROW), n = Math.ceil(listEl.clientHeight / LIST_ROW) + 2;
    var h = "";
    for (var i = first; i < first + n && v.from + i < v.to; i++) {
      var e = L[v.from + i], cls = "row" + (e.err ? " err" : "") + (e.kind === 3 ? " pend" : "") + (R.selected === e ? " sel" : "");
      h += "<div class=\"" + cls + "\" data-seq=\"" + e.seq + "\" style=\"top:" + i * LIST_ROW + "px\"><span class=\"t\">" +
        esc(clock(e.t, 1e3)) + "</span>  <span class=\"p\">" + esc(e.proto) + "</span>  " + esc(e.lane.name) + "  " + esc(e.sum) +
        (e.lat !== null && e.role === 2 ? "  " + human(e.lat) : "") + "</div>";
    }
    listRows.forEach(function (r) { r.remove(); });
    var tmp = document.createElement("div");
    tmp.innerHTML = h;
    listRows = Array.prototype.slice.call(tmp.children);
    listRows.forEach(function (r) { listEl.appendChild(r); });
  }
  function highlightList() {
    listRows.forEach(function (r) { r.classList.toggle("sel", R.selected && +r.dataset.seq === R.selected.seq); });
  }

  function counts() {
    var el = document.getElementById("dt-counts");
    var nErr = 0, nPend = 0;
    R.events.forEach(function (e) { if (e.err) nErr++; if (e.kind === 3) nPend++; });
    el.textContent = R.nVisible + " of " + R.events.length + " events · " + R.lanes.length + " channels · " + nErr + " errors · " + nPend + " unanswered";
  }

  /* ---------- statistics ---------- */
  function statsHTML() {
    var el = document.getElementById("dt-stats-json"), s;
    try { s = JSON.parse(el.textContent); } catch (e) { return "<div class=\"empty\">no statistics (the report was cut short)</div>"; }
    var table = function (heads, rows, errCol) {
      var h = "<table><tr>" + heads.map(function (x, i) { return "<th" + (i < 2 || i === heads.length - 1 && errCol ? " class=\"l\"" : "") + ">" + esc(x) + "</th>"; }).join("") + "</tr>";
      rows.forEach(function (r) {
        h += "<tr>" + r.map(function (c, i) {
          var cls = i < 2 || (errCol && i === r.length - 1) ? "l" : "";
          if (errCol && i === r.length - 1 && c) cls += " err";
          return "<td class=\"" + cls + "\">" + esc(c) + "</td>";
        }).join("") + "</tr>";
      });
      return h + "</table>";
    };
    var h = "<h3>Statistics</h3>" + table(s.heads, s.rows, true) +
      "<div>" + s.totals.events + " events, " + s.totals.notes + " notes, " + s.totals.input_errors + " input errors</div>";
    h += "<h3>Channels</h3>" + table(s.channel_heads, s.channels, false);
    if (s.pending_total) {
      h += "<h3>Unanswered requests (" + s.pending_total + "), every channel</h3><table><tr><th>AGE</th><th class=\"l\">CHANNEL</th><th class=\"l\">REQUEST</th></tr>";
      s.pending.forEach(function (p) { h += "<tr><td>" + human(p[0]) + "</td><td class=\"l\">" + esc(p[1]) + "</td><td class=\"l\">" + esc(p[2]) + "</td></tr>"; });
      h += "</table>";
    }
    return h;
  }

  /* ---------- the page ---------- */
  function ui() {
    var app = document.createElement("div");
    app.id = "dt-app";
    var protos = Object.keys(R.protos).sort().map(function (p) {
      return "<label><input type=\"checkbox\" checked data-proto=\"" + esc(p) + "\"> " + esc(p) + " <span class=\"sub\">" + R.protos[p].n + "</span></label>";
    }).join("");
    app.innerHTML = "<header><h1>" + esc(R.title || document.title) + "</h1><span class=\"sub\">" + esc(R.baseText) + "</span>" +
      "<input id=\"dt-search\" type=\"search\" placeholder=\"search: text, field=value, field~part (proto=smb2 status=…)\" spellcheck=\"false\">" +
      "<span id=\"dt-protos\">" + protos + "</span>" +
      "<button id=\"dt-fit\" title=\"whole timeline (0)\">fit</button><button id=\"dt-zin\" title=\"zoom in (+)\">+</button><button id=\"dt-zout\" title=\"zoom out (-)\">−</button>" +
      "<span class=\"legend\"><span><i class=\"lat\"></i>fast → slow</span><span><i class=\"err\"></i>error</span><span><i class=\"pend\"></i>no reply</span></span>" +
      "<span id=\"dt-counts\"></span><span id=\"dt-view\" class=\"sub\"></span></header>" +
      (R.complete ? "" : "<div class=\"warn\">This report was cut short (diagtap did not finish writing it): statistics are missing.</div>") +
      (R.badLines ? "<div class=\"warn\">" + R.badLines + " damaged records were skipped.</div>" : "") +
      "<div id=\"dt-lanes\"><div id=\"dt-spacer\"></div><canvas id=\"dt-canvas\"></canvas></div>" +
      "<div id=\"dt-bottom\"><div id=\"dt-list\"><div id=\"dt-list-spacer\"></div></div><div id=\"dt-details\"></div></div>" +
      "<div id=\"dt-stats\"></div>";
    document.body.appendChild(app);
    lanesEl = document.getElementById("dt-lanes");
    cv = document.getElementById("dt-canvas");
    ctx = cv.getContext("2d");
    listEl = document.getElementById("dt-list");
    listSpacer = document.getElementById("dt-list-spacer");
    detEl = document.getElementById("dt-details");
    var spacer = document.getElementById("dt-spacer");
    spacer.style.height = R.totalH + "px";
    R.lanes.forEach(function (l) {
      var d = document.createElement("div");
      d.className = "lane-label";
      d.dataset.channel = l.name;
      d.style.top = l.y + "px"; d.style.height = l.h + "px";
      d.title = l.name + (l.desc ? "\n" + l.desc : "");
      d.innerHTML = "<b>" + esc(l.name) + "</b><span>" + l.n + " events</span>";
      spacer.appendChild(d);
    });
    var statsEl = document.getElementById("dt-stats");
    statsEl.innerHTML = statsHTML();

    lanesEl.addEventListener("scroll", redraw);
    cv.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) pan(-(ev.deltaX || ev.deltaY));
      else if (ev.ctrlKey || ev.altKey) lanesEl.scrollTop += ev.deltaY;
      else zoomAt(ev.offsetX, Math.pow(1.0015, ev.deltaY));
    }, { passive: false });
    var drag = null;
    cv.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, moved: 0 }; cv.classList.add("drag"); });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x;
      drag.moved += Math.abs(dx); drag.x = ev.clientX;
      if (dx) pan(dx);
    });
    window.addEventListener("mouseup", function (ev) {
      if (!drag) return;
      cv.classList.remove("drag");
      var moved = drag.moved; drag = null;
      if (moved < 3 && ev.target === cv) select(hit(ev.offsetX, ev.offsetY));
    });
    listEl.addEventListener("scroll", renderList);
    listEl.addEventListener("click", function (ev) {
      var r = ev.target.closest(".row"); if (r) select(+r.dataset.seq, false);
    });
    detEl.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[data-seq]"); if (a) select(+a.dataset.seq, true);
    });
    var timer = 0, search = document.getElementById("dt-search");
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { setQuery(search.value); }, 120);
    });
    document.getElementById("dt-protos").addEventListener("change", function (ev) {
      var p = ev.target.dataset.proto; if (p) { R.protos[p].on = ev.target.checked; applyFilter(); }
    });
    document.getElementById("dt-fit").onclick = function () { fit(); redraw(); refreshList(true); };
    document.getElementById("dt-zin").onclick = function () { zoomAt(W / 2, 0.5); };
    document.getElementById("dt-zout").onclick = function () { zoomAt(W / 2, 2); };
    window.addEventListener("keydown", function (ev) {
      if (ev.target === search) return;
      if (ev.key === "+" || ev.key === "=") zoomAt(W / 2, 0.5);
      else if (ev.key === "-") zoomAt(W / 2, 2);
      else if (ev.key === "0") { fit(); redraw(); refreshList(true); }
      else if (ev.key === "ArrowLeft") pan(W / 4);
      else if (ev.key === "ArrowRight") pan(-W / 4);
    });
    window.addEventListener("resize", function () { resize(); refreshList(false); });
  }

  function setQuery(q) {
    var s = document.getElementById("dt-search");
    if (s.value !== q) s.value = q;
    R.query = parseQuery(q);
    applyFilter();
  }
  R.select = select; R.setQuery = setQuery; R.zoomAt = zoomAt; R.pan = pan; R.fit = function () { fit(); redraw(); refreshList(false); };
  R.setView = function (v0, v1) { R.v0 = v0; R.v1 = v1; redraw(); refreshList(false); };
  R.drawNow = function () { draw(); return R.drawn; };
  /* Where an event is drawn, in page coordinates (tests click there). */
  R.boxOf = function (seq) {
    var e = eventBySeq(seq); if (!e) return null;
    var rc = cv.getBoundingClientRect(), l = e.lane, top = l.y - lanesEl.scrollTop;
    if (e.span) {
      var s = e.span, ry = top + LANE_PAD + MARK_H + ROW_GAP + s.row * (ROW_H + ROW_GAP);
      var x0 = Math.max(0, xOf(s.t0)), x1 = s.t1 === Infinity ? W - 14 : Math.min(W, xOf(s.t1));
      return { x: rc.left + x0, y: rc.top + ry, w: x1 - x0, h: ROW_H };
    }
    return { x: rc.left + xOf(e.t) - 1, y: rc.top + top + LANE_PAD, w: 3, h: MARK_H };
  };

  document.addEventListener("DOMContentLoaded", function () {
    var t0 = performance.now();
    load();
    build();
    R.loadMs = performance.now() - t0;
    ui();
    resize();
    R.query = [];
    applyFilter();
    select(null);
    R.ready = true;
    R.readyMs = performance.now() - t0;
  });
})();
