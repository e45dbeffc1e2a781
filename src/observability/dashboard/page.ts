/**
 * The dashboard page: static HTML and a script that reads the SSE stream (`events`) and draws with uPlot
 * (served by the handler from the installed package, no CDN). Relative URLs, so it works under any mount path.
 * Values are never shown: the stream carries counters and sizes only. With `actions`, the page holds a form
 * that posts to `actions/<name>` with the token the operator types (the page itself never holds it).
 */
export function renderPage(options: { actions: boolean }): string {
  return options.actions ? PAGE.replace('<!--actions-->', ACTIONS_FORM) : PAGE;
}

const ACTIONS_FORM = `<h2>Actions</h2>
<form id="actions">
  <label>token <input id="action-token" type="password" autocomplete="off" required></label>
  <select id="action-name">
    <option value="invalidate-tag" data-field="tag">invalidate tag</option>
    <option value="invalidate-pattern" data-field="pattern">invalidate pattern</option>
    <option value="clear-namespace" data-field="namespace">clear namespace</option>
  </select>
  <input id="action-target" placeholder="tag, glob or namespace" required>
  <button id="action-run" type="submit">run</button>
  <output id="action-result"></output>
</form>
<script>
$('actions').onsubmit = async (e) => {
  e.preventDefault();
  const sel = $('action-name');
  const field = sel.selectedOptions[0].dataset.field;
  $('action-result').textContent = '…';
  try {
    const r = await fetch('actions/' + sel.value, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + $('action-token').value, 'content-type': 'application/json' },
      body: JSON.stringify({ [field]: $('action-target').value }),
    });
    const body = await r.json();
    $('action-result').textContent = r.ok ? 'done' + (body.removed === undefined ? '' : ' (' + body.removed + ' removed)') : r.status + ': ' + body.message;
  } catch (err) {
    $('action-result').textContent = 'failed: ' + err.message;
  }
};
</script>
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stratacache dashboard</title>
<link rel="stylesheet" href="uplot.css">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  .tiles { display: flex; gap: 1rem; flex-wrap: wrap; }
  .tile { border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; min-width: 8rem; }
  .tile b { display: block; font-size: 1.4rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1rem; margin-top: 1rem; }
  table { border-collapse: collapse; margin-top: 1rem; } td, th { border-bottom: 1px solid #eee; padding: .2rem .6rem; text-align: left; }
  #status.down { color: #b00; }
  form { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
</style>
</head>
<body>
<h1>stratacache <small id="status">connecting…</small></h1>
<div class="tiles">
  <div class="tile">hit ratio <b id="hit-ratio">–</b></div>
  <div class="tile">ops/s <b id="ops">–</b></div>
  <div class="tile">get p50 <b id="get-p50">–</b></div>
  <div class="tile">get p99 <b id="get-p99">–</b></div>
  <div class="tile">load p99 <b id="load-p99">–</b></div>
  <div class="tile">L1 entries <b id="l1-entries">–</b></div>
  <div class="tile">L1 bytes <b id="l1-bytes">–</b></div>
  <div class="tile">L2 errors <b id="l2-errors">–</b></div>
  <div class="tile">breaker <b id="breaker">–</b></div>
  <div class="tile">L2 nodes <b id="l2-nodes">–</b></div>
  <div class="tile">updates <b id="updates">0</b></div>
</div>
<div class="charts">
  <div id="chart-ratio"></div><div id="chart-ops"></div><div id="chart-latency"></div><div id="chart-histogram"></div>
</div>
<section id="wb" hidden>
<h2>Write-behind</h2>
<div class="tiles">
  <div class="tile">queues <b id="wb-queues">–</b></div>
  <div class="tile">pending <b id="wb-pending">–</b></div>
  <div class="tile">dead letters <b id="wb-dead">–</b></div>
  <div class="tile">lag <b id="wb-lag">–</b></div>
  <div class="tile">retried <b id="wb-retried">–</b></div>
  <div class="tile">journal errors <b id="wb-journal-errors">–</b></div>
</div>
<div class="charts"><div id="chart-wb"></div></div>
</section>
<h2>Fleet</h2>
<table><thead><tr><th>id</th><th>name</th><th>host</th><th>pid</th><th>hits</th><th>misses</th><th>L1</th><th>breaker</th><th>L2 nodes</th><th>WB pending</th><th>WB dead</th><th>WB lag</th><th>seen</th></tr></thead>
<tbody id="fleet"><tr><td colspan="13">no heartbeat store given</td></tr></tbody></table>
<script src="uplot.js"></script>
<script>
const MAX = 300;
const $ = (id) => document.getElementById(id);
const t = [], ratio = [], l1 = [], l2 = [], miss = [], stale = [], p50 = [], p99 = [];
const size = { width: 440, height: 220 };
const mk = (el, title, series, data, extra) => new uPlot(Object.assign({ title, ...size, series: [{}, ...series] }, extra || {}), data, $(el));
const cRatio = mk('chart-ratio', 'hit ratio', [{ label: 'hit ratio', stroke: '#2a7' }], [t, ratio], { scales: { y: { range: [0, 1] } } });
const cOps = mk('chart-ops', 'requests/s by outcome', [
  { label: 'L1 hit', stroke: '#2a7' }, { label: 'L2 hit', stroke: '#27a' }, { label: 'miss', stroke: '#c33' }, { label: 'stale', stroke: '#c90' },
], [t, l1, l2, miss, stale]);
const cLat = mk('chart-latency', 'get latency (ms)', [{ label: 'p50', stroke: '#27a' }, { label: 'p99', stroke: '#c33' }], [t, p50, p99]);
const cHist = mk('chart-histogram', 'get latency histogram (count per bucket, ms)', [
  { label: 'count', stroke: '#27a', fill: '#27a4', paths: uPlot.paths.bars({ size: [0.9] }) },
], [[], []], { scales: { x: { time: false, distr: 3 } } });
const wbT = [], wbPending = [], wbLag = [];
let cWb;
const nodesUp = (n) => n ? (n.total - n.open) + '/' + n.total + ' up' : '-';
let prev;
const fmtMs = (x) => x < 1 ? (x * 1000).toFixed(0) + ' µs' : x.toFixed(2) + ' ms';
const es = new EventSource('events');
es.onopen = () => { $('status').textContent = 'live'; $('status').className = ''; };
es.onerror = () => { $('status').textContent = 'disconnected'; $('status').className = 'down'; };
es.onmessage = (m) => {
  const s = JSON.parse(m.data);
  const sec = s.at / 1000;
  if (prev) {
    const dt = Math.max(1e-3, sec - prev.at / 1000);
    const d = (f) => Math.max(0, (f(s) - f(prev)) / dt);
    t.push(sec); ratio.push(s.hitRatio);
    l1.push(d((x) => x.tiers.l1.hits)); l2.push(d((x) => x.tiers.l2.hits)); miss.push(d((x) => x.misses)); stale.push(d((x) => x.stale.total));
    p50.push(s.latency.get.p50); p99.push(s.latency.get.p99);
    if (t.length > MAX) for (const a of [t, ratio, l1, l2, miss, stale, p50, p99]) a.shift();
    $('ops').textContent = d((x) => x.hits + x.misses).toFixed(1);
    cRatio.setData([t, ratio]); cOps.setData([t, l1, l2, miss, stale]); cLat.setData([t, p50, p99]);
  }
  prev = s;
  const b = s.latency.get.buckets;
  cHist.setData([b.map((x) => x[0]), b.map((x) => x[1])]);
  $('hit-ratio').textContent = (s.hitRatio * 100).toFixed(1) + '%';
  $('get-p50').textContent = fmtMs(s.latency.get.p50);
  $('get-p99').textContent = fmtMs(s.latency.get.p99);
  $('load-p99').textContent = fmtMs(s.latency.load.p99);
  $('l1-entries').textContent = s.entries;
  $('l1-bytes').textContent = s.bytes;
  $('l2-errors').textContent = s.tiers.l2.errors;
  $('breaker').textContent = s.l2CircuitOpen ? 'open' : 'closed';
  $('l2-nodes').textContent = nodesUp(s.nodes);
  const w = s.writeBehind;
  if (w) {
    $('wb').hidden = false;
    cWb ??= mk('chart-wb', 'write-behind', [
      { label: 'pending', stroke: '#27a', scale: 'n' }, { label: 'lag (ms)', stroke: '#c33', scale: 'ms' },
    ], [wbT, wbPending, wbLag], { axes: [{}, { scale: 'n' }, { scale: 'ms', side: 1 }] });
    wbT.push(sec); wbPending.push(w.pending); wbLag.push(w.lagMs);
    if (wbT.length > MAX) for (const a of [wbT, wbPending, wbLag]) a.shift();
    cWb.setData([wbT, wbPending, wbLag]);
    $('wb-queues').textContent = w.queues; $('wb-pending').textContent = w.pending; $('wb-dead').textContent = w.deadLettered;
    $('wb-lag').textContent = w.lagMs + ' ms'; $('wb-retried').textContent = w.retried; $('wb-journal-errors').textContent = w.journalErrors;
  }
  $('updates').textContent = String(Number($('updates').textContent) + 1);
  if (s.fleet) {
    $('fleet').replaceChildren(...s.fleet.map((i) => {
      const tr = document.createElement('tr');
      const wb = i.writeBehind;
      for (const v of [i.id, i.name || '-', i.host, i.pid, i.hits, i.misses, i.entries, i.breakerOpen ? 'open' : 'closed', nodesUp(i.nodes),
        wb ? wb.pending : '-', wb ? wb.deadLettered : '-', wb ? wb.lagMs + ' ms' : '-', Math.round(i.ageMs / 1000) + 's ago']) {
        const td = document.createElement('td'); td.textContent = String(v); tr.append(td);
      }
      return tr;
    }));
  }
};
</script>
<!--actions-->
</body>
</html>
`;
