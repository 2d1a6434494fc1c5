// chart.js - the dashboards' small SVG charts, drawn by our own code: a
// horizontal bar chart, stacked bars with a legend, and a line chart over
// time. Every chart is an <svg role="img"> with a title and a description,
// prints its numbers as text next to the marks (so nothing depends on
// colour alone), and comes with a visually hidden table of the same
// numbers for screen readers. Values travel in data-value attributes so a
// test can compare them with the API's.

const NS = 'http://www.w3.org/2000/svg';

// Okabe and Ito's palette: told apart with every common colour-vision
// deficiency. Text on these is dark (#1c2430) except on the darkest two.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];

let uid = 0;

function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of kids.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function frame(title, desc, width, height, cls) {
  const id = `chart-${++uid}`;
  const svg = s('svg', {
    class: `chart ${cls}`, role: 'img', viewBox: `0 0 ${width} ${height}`, width, height,
    'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMinYMin meet',
  }, s('title', { id: `${id}-t` }, title), s('desc', { id: `${id}-d` }, desc));
  return svg;
}

// A hidden table with the chart's numbers: headers, then rows of cells.
function srTable(caption, head, rows) {
  const t = document.createElement('table');
  t.className = 'sr';
  const cap = document.createElement('caption');
  cap.textContent = caption;
  t.append(cap);
  const tr = document.createElement('tr');
  for (const x of head) { const th = document.createElement('th'); th.textContent = x; tr.append(th); }
  const thead = document.createElement('thead');
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const r of rows) {
    const row = document.createElement('tr');
    for (const x of r) { const td = document.createElement('td'); td.textContent = x; row.append(td); }
    tbody.append(row);
  }
  t.append(thead, tbody);
  return t;
}

function wrap(svg, table) {
  const fig = document.createElement('figure');
  fig.className = 'chart-box';
  fig.append(svg, table);
  return fig;
}

const fmtDefault = (v) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : String(v));

// Horizontal bars: rows [{label, value, colour?}] from 0 to max (or the
// largest value). fmt turns a value into its printed text.
export function barChart({ title, desc, rows, max = null, fmt = fmtDefault, width = 560 }) {
  const barH = 20, gap = 8, left = 150, right = 70;
  const height = Math.max(1, rows.length) * (barH + gap) + 10;
  const top = Math.max(max ?? 0, ...rows.map((r) => r.value || 0)) || 1;
  const svg = frame(title, desc || title, width, height, 'bars');
  const span = width - left - right;
  rows.forEach((r, i) => {
    const y = 5 + i * (barH + gap);
    const w = Math.max(0, (span * (r.value || 0)) / top);
    svg.append(s('g', { class: 'bar-item', 'data-label': r.label, 'data-value': r.value ?? '' },
      s('text', { x: left - 8, y: y + barH * 0.7, 'text-anchor': 'end', class: 'axis-label' }, r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label),
      s('rect', { x: left, y, width: span, height: barH, class: 'track' }),
      s('rect', { x: left, y, width: w, height: barH, fill: r.colour || PALETTE[i % PALETTE.length], class: 'mark' },
        s('title', {}, `${r.label}: ${fmt(r.value)}`)),
      s('text', { x: left + span + 6, y: y + barH * 0.7, class: 'value' }, fmt(r.value))));
  });
  return wrap(svg, srTable(title, ['', 'value'], rows.map((r) => [r.label, fmt(r.value)])));
}

// Stacked horizontal bars: rows [{label, parts: [n...], note}] with one
// part per series [{name, colour}]; a legend names the series.
export function stackedBars({ title, desc, rows, series, width = 560 }) {
  const barH = 22, gap = 10, left = 96, right = 130, legendH = 4;
  const height = legendH + Math.max(1, rows.length) * (barH + gap) + 6;
  const svg = frame(title, desc || title, width, height, 'stacked');
  const span = width - left - right;
  rows.forEach((r, i) => {
    const y = legendH + i * (barH + gap);
    const total = r.parts.reduce((a, b) => a + b, 0) || 1;
    const g = s('g', { class: 'stack-item', 'data-label': r.label, 'data-parts': r.parts.join(',') },
      s('text', { x: left - 8, y: y + barH * 0.7, 'text-anchor': 'end', class: 'axis-label' },
        r.label.length > 13 ? `${r.label.slice(0, 12)}…` : r.label, s('title', {}, r.label)),
      s('rect', { x: left, y, width: span, height: barH, class: 'track' }));
    let x = left;
    r.parts.forEach((n, k) => {
      if (!n) return;
      const w = (span * n) / total;
      // Parts are told apart by a thin white border as well as by colour.
      g.append(s('rect', { x, y, width: w, height: barH, fill: series[k].colour, stroke: '#fff', 'stroke-width': 1, class: 'mark' },
        s('title', {}, `${r.label}: ${series[k].name} ${n}`)));
      if (w > 22) g.append(s('text', { x: x + w / 2, y: y + barH * 0.7, 'text-anchor': 'middle', class: `in-bar${k === 0 || series[k].dark ? ' light' : ''}` }, n));
      x += w;
    });
    g.append(s('text', { x: left + span + 6, y: y + barH * 0.7, class: 'value' }, r.note ?? ''));
    svg.append(g);
  });
  // The legend is HTML, so it wraps on narrow screens.
  const legend = document.createElement('ul');
  legend.className = 'chart-legend';
  legend.setAttribute('aria-hidden', 'true');
  for (const se of series) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = se.colour;
    li.append(sw, se.name);
    legend.append(li);
  }
  const fig = wrap(svg, srTable(title, ['', ...series.map((x) => x.name), ''],
    rows.map((r) => [r.label, ...r.parts.map(String), r.note ?? ''])));
  fig.prepend(legend);
  return fig;
}

// A line over time: points [{t (ms), value (or null), label}] on a y axis
// from yMin to yMax; each point prints its value.
export function lineChart({ title, desc, points, yMin = 0, yMax = 1, fmt = fmtDefault, tfmt = (t) => new Date(t).toISOString().slice(0, 10), width = 640, height = 220 }) {
  const left = 44, right = 48, top = 26, bottom = 36;
  const svg = frame(title, desc || title, width, height, 'line');
  const pts = points.filter((p) => p.value !== null && p.value !== undefined && !Number.isNaN(p.value));
  const lo = Math.min(yMin, ...pts.map((p) => p.value)), hi = Math.max(yMax, ...pts.map((p) => p.value));
  const t0 = Math.min(...points.map((p) => p.t)), t1 = Math.max(...points.map((p) => p.t));
  const X = (t) => left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (width - left - right) : (width - left - right) / 2);
  const Y = (v) => top + (1 - (v - lo) / (hi - lo || 1)) * (height - top - bottom);
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(s('line', { x1: left, x2: width - right, y1: Y(v), y2: Y(v), class: 'grid' }),
      s('text', { x: left - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'axis-label' }, Math.round(v * 100) / 100));
  }
  if (pts.length > 1) {
    svg.append(s('polyline', { points: pts.map((p) => `${X(p.t)},${Y(p.value)}`).join(' '), class: 'series', fill: 'none', stroke: PALETTE[0] }));
  }
  points.forEach((p) => {
    const ok = pts.includes(p);
    const g = s('g', { class: 'point', 'data-t': p.t, 'data-value': ok ? p.value : '' });
    if (ok) {
      g.append(s('circle', { cx: X(p.t), cy: Y(p.value), r: 4.5, fill: PALETTE[0], stroke: '#fff', 'stroke-width': 1.5 },
        s('title', {}, `${tfmt(p.t)}: ${fmt(p.value)}${p.label ? ` (${p.label})` : ''}`)),
      s('text', { x: X(p.t), y: Y(p.value) - 9, 'text-anchor': 'middle', class: 'value' }, fmt(p.value)));
    }
    // The first and last dates are anchored inwards so they are not cut.
    const anchor = points.length > 1 && p.t === t1 ? 'end' : points.length > 1 && p.t === t0 ? 'start' : 'middle';
    g.append(s('text', { x: X(p.t), y: height - bottom + 16, 'text-anchor': anchor, class: 'axis-label' }, tfmt(p.t)));
    svg.append(g);
  });
  return wrap(svg, srTable(title, ['window', 'value', ''], points.map((p) => [tfmt(p.t), fmt(p.value), p.label ?? ''])));
}
