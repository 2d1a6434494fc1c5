// dom.js - small DOM helpers for the app pages: h() builds elements from
// plain values (text always goes in as text nodes, never as HTML), and a few
// formatters. No page logic here.

// h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]) -> Element.
// Attributes: on<Event> functions become listeners, `class`, `for`, booleans
// (true sets, false/null/undefined omits), everything else setAttribute.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v === null || v === undefined) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

// A labelled form field: <div class=field><label for=id>text</label>control</div>.
export function field(label, control, hint) {
  if (!control.id) control.id = nextId('c');
  const kids = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = nextId('hint');
    control.setAttribute('aria-describedby', hid);
    kids.push(h('div', { class: 'hint', id: hid }, hint));
  }
  return h('div', { class: 'field' }, kids);
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: String(v) === String(value ?? '') }, text);
  }));
}

// A progress bar with its numbers in words for screen readers and eyes.
export function progressBar(done, total, label) {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const fill = h('div', { class: 'bar-fill' });
  fill.style.width = `${pct.toFixed(1)}%`;
  return h('div', {
    class: 'bar', role: 'progressbar', 'aria-label': label || 'Progress',
    'aria-valuemin': 0, 'aria-valuemax': total || 0, 'aria-valuenow': done || 0,
    'aria-valuetext': `${done} of ${total}`,
  }, fill);
}

export function setProgress(bar, done, total) {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  bar.firstChild.style.width = `${pct.toFixed(1)}%`;
  bar.setAttribute('aria-valuemax', total || 0);
  bar.setAttribute('aria-valuenow', done || 0);
  bar.setAttribute('aria-valuetext', `${done} of ${total}`);
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${u[i]}`;
}

export function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export const fmtNum = (n) => (Number.isFinite(n) ? n.toLocaleString('en') : '');

export const statusText = (s) => String(s || '').replace(/_/g, ' ');

// Calls fn at most once per `ms` of quiet.
export function debounce(fn, ms) {
  let t = null;
  const d = (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

// A status message area (role=status) whose text can be set.
export function statusLine(cls = 'msg') {
  return h('div', { class: cls, role: 'status', 'aria-live': 'polite' });
}

export function showError(el, e) {
  el.className = 'msg error';
  el.textContent = e ? (e.message || String(e)) : '';
}

export function showOk(el, text) {
  el.className = 'msg ok';
  el.textContent = text;
}
