import { latencyCells, type LoadReport } from './load-report.js';
import type { LatencyBin } from './load-stats.js';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const W = 560;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 30 };

/** One operation's latencies as bars over log-spaced bins, with the p50/p99 bins marked. */
function histogramSvg(op: string, bins: LatencyBin[], p50: number, p99: number): string {
  if (bins.length === 0) return '<p class="none">no requests</p>';
  const peak = Math.max(...bins.map(bin => bin.count));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const barW = plotW / bins.length;
  const binOf = (ms: number) => bins.findIndex(bin => bin.le_ms >= ms);
  const bars = bins
    .map((bin, index) => {
      const h = peak === 0 ? 0 : (bin.count / peak) * plotH;
      const low = index === 0 ? 0 : bins[index - 1]!.le_ms;
      return `<rect x="${(PAD.left + index * barW + 1).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${Math.max(barW - 2, 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${bin.count} request${bin.count === 1 ? '' : 's'} in ${low}–${bin.le_ms} ms</title></rect>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(bins.length / 8));
  const ticks = bins
    .map((bin, index) =>
      index % every === 0 || index === bins.length - 1
        ? `<text x="${(PAD.left + (index + 1) * barW).toFixed(1)}" y="${H - 12}" text-anchor="${index === bins.length - 1 ? 'end' : 'middle'}">${bin.le_ms}</text>`
        : '',
    )
    .join('');
  const marker = (ms: number, label: string) => {
    const index = binOf(ms);
    if (index < 0) return '';
    const x = (PAD.left + (index + 0.5) * barW).toFixed(1);
    return `<line class="mark" x1="${x}" x2="${x}" y1="${PAD.top}" y2="${PAD.top + plotH}"/><text class="mark" x="${x}" y="${PAD.top + 10}" text-anchor="middle">${label}</text>`;
  };
  return (
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escape(op)} latency histogram">` +
    `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}"/>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${peak}</text>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end">0</text>` +
    bars +
    marker(p50, 'p50') +
    marker(p99, 'p99') +
    ticks +
    `<text x="${PAD.left + plotW / 2}" y="${H - 1}" text-anchor="middle">latency, ms (bin upper bound)</text>` +
    '</svg>'
  );
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse}th,td{padding:.25rem .6rem;border-bottom:1px solid #dde1e8;text-align:right}
th:first-child,td:first-child{text-align:left}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.ops{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1rem}
figure{margin:0;border:1px solid #dde1e8;border-radius:6px;padding:.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}
svg{width:100%;height:auto}svg rect{fill:#4c78a8}svg text{font-size:10px;fill:#57606a}
svg .axis{stroke:#8c959f}svg .mark{stroke:#cf222e;fill:#cf222e;stroke-dasharray:3 2}
.none{color:#57606a}
`;

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map(h => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(row => `<tr>${row.map(cell => `<td>${escape(cell)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A self-contained page (inline CSS and SVG, the data as inline JSON; nothing fetched): summary table and a histogram per operation. */
export function renderHtmlReport(report: LoadReport, bins: Record<string, LatencyBin[]>): string {
  const ops = Object.entries(report.operations).sort(([a], [b]) => a.localeCompare(b));
  const verdict = report.ok
    ? '<span class="ok">OK</span>'
    : '<span class="bad">FAILED</span> (a 5xx, a failed action, or a verify that was not clean)';
  const v = report.verify;
  const sections = [
    `<h1>modfleet load report</h1>`,
    `<p>${verdict}: ${report.requests} requests in ${report.elapsed_s.toFixed(1)} s against ${escape(report.coordinator)} and ${report.nodes} node${report.nodes === 1 ? '' : 's'}, ${report.requests_per_second.toFixed(1)} req/s, ${report.errors} errors (${report.server_errors} 5xx, ${report.connection_errors} without an answer). Final verify: ${v.clean ? '<span class="ok">clean</span>' : `<span class="bad">not clean</span> (missing ${v.totals.missing}, extra ${v.totals.extra}, mismatch ${v.totals.mismatch}, unreachable ${v.totals.unreachable})`}.</p>`,
    `<h2>Operations</h2>`,
    table(
      ['operation', 'count', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
      ops.map(([op, s]) => [op, ...latencyCells(s), String(s.errors)]),
    ),
  ];
  const codes = Object.entries(report.errors_by_code);
  if (codes.length > 0) {
    sections.push(
      '<h2>Errors by error_code</h2>',
      table(
        ['error_code', 'count'],
        codes.map(([c, n]) => [c, String(n)]),
      ),
    );
  }
  if (report.chaos) {
    sections.push(
      `<h2>Chaos (seed ${report.chaos.seed})</h2>`,
      table(
        ['at s', 'service', 'pid', 'back after s', 'new pid', 'data'],
        report.chaos.kills.map(k => [
          k.at_s.toFixed(2),
          k.service,
          String(k.pid),
          k.back_after_s === null ? 'not back' : k.back_after_s.toFixed(2),
          k.new_pid === null ? '-' : String(k.new_pid),
          k.data_kept === undefined ? '-' : k.data_kept ? 'kept' : 'LOST',
        ]),
      ),
    );
  }
  sections.push(
    '<h2>Latency per operation</h2>',
    `<div class="ops">${ops
      .map(
        ([op, s]) =>
          `<figure data-operation="${escape(op)}"><figcaption>${escape(op)} (${s.count}, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms)</figcaption>${histogramSvg(op, bins[op] ?? [], s.p50_ms, s.p99_ms)}</figure>`,
      )
      .join('')}</div>`,
    `<script type="application/json" id="load-report">${scriptJson(report)}</script>`,
    `<script type="application/json" id="latency-histograms">${scriptJson(bins)}</script>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>modfleet load report</title><style>${STYLE}</style></head>
<body>
${sections.join('\n')}
</body></html>
`;
}
