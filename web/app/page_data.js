// page_data.js - a project's data: upload images (or a zip) with a progress
// bar, and the item browser: filters (status, label, split, annotator,
// name search) kept in the URL, cursor pagination behind an infinitely
// scrolling grid that creates only the cells in view (a project can hold a
// million items), thumbnails from /items/{id}/thumbnail.
import { h, clear, field, select, progressBar, setProgress, statusLine, showError, showOk, fmtNum, fmtBytes, statusText, debounce } from './dom.js';
import { get, upload } from './session.js';
import { setParams } from './nav.js';
import { STATUSES } from './page_project.js';

const CELL_W = 176;
const CELL_H = 196;
const PAGE = 100; // items per request; the grid asks for the next page near the end
const FILTERS = ['status', 'label', 'split', 'annotator', 'batch', 'q'];

export async function render(ctx) {
  const pid = ctx.projectId;
  const [sc, mem] = await Promise.all([get(`/projects/${pid}/schema`), get(`/projects/${pid}/members`)]);
  const params = ctx.params;
  const f = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));

  // ---- filters ----
  const status = select([['', 'any'], ...STATUSES.map((s) => [s, statusText(s)])], f.status, { name: 'status' });
  const label = select([['', 'any'], ...sc.schema.labels.map((l) => l.name)], f.label, { name: 'label' });
  const split = h('input', { name: 'split', list: 'split-names', value: f.split, size: 8, placeholder: 'any' });
  const splits = h('datalist', { id: 'split-names' }, ['train', 'val', 'test'].map((s) => h('option', { value: s })));
  const annot = select([['', 'anyone'], ...mem.members.map((m) => [m.user, m.name])], f.annotator, { name: 'annotator' });
  const q = h('input', { name: 'q', type: 'search', value: f.q, placeholder: 'part of a file name', size: 22 });
  const countEl = h('span', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const reset = h('button', { type: 'button', class: 'small' }, 'Clear filters');
  const filterBar = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter items', onsubmit: (e) => e.preventDefault() },
    field('Search names', q), field('Status', status), field('Label', label), field('Split', split), splits,
    field('Annotator', annot), reset, countEl);

  // ---- upload ----
  let uploadBox = null;
  if (ctx.manage) {
    const input = h('input', { type: 'file', multiple: true, accept: 'image/*,.zip,.tif,.tiff', class: 'file' });
    const bar = progressBar(0, 0, 'Upload progress');
    const info = statusLine();
    const results = h('ul', { class: 'upload-results' });
    const go = h('button', { type: 'submit', class: 'primary' }, 'Upload');
    const cancel = h('button', { type: 'button', hidden: true }, 'Cancel upload');
    let abort = null;
    cancel.addEventListener('click', () => abort && abort.abort());
    const run = async (files) => {
      if (!files.length) { showError(info, new Error('Choose one or more files first.')); return; }
      const total = files.reduce((n, x) => n + x.size, 0);
      let sent = 0;
      let added = 0; let dups = 0; let failed = 0;
      abort = new AbortController();
      go.disabled = true; cancel.hidden = false;
      bar.hidden = false;
      clear(results);
      try {
        for (let i = 0; i < files.length; i++) {
          const file = files[i];
          info.className = 'msg';
          info.textContent = `Uploading ${i + 1} of ${files.length}: ${file.name} (${fmtBytes(sent)} of ${fmtBytes(total)})`;
          const r = await upload(`/projects/${pid}/media?name=${encodeURIComponent(file.name)}`, file,
            (loaded) => setProgress(bar, sent + loaded, total), { signal: abort.signal });
          sent += file.size;
          setProgress(bar, sent, total);
          if (r.status === 201 || r.status === 200) {
            if (r.json?.archive) { added += r.json.added; dups += r.json.duplicates; failed += r.json.rejected; }
            else if (r.json?.duplicate) dups++; else added++;
          } else {
            failed++;
            results.append(h('li', { class: 'error' }, `${file.name}: ${r.json?.error?.message || `HTTP ${r.status}`}`));
          }
        }
        showOk(info, `Done: ${added} added, ${dups} already there, ${failed} refused.`);
      } catch (e) {
        showError(info, e.name === 'AbortError' ? new Error(`Upload cancelled after ${added} files.`) : e);
      } finally {
        go.disabled = false; cancel.hidden = true; abort = null;
        input.value = '';
        refresh();
      }
    };
    const drop = h('form', { class: 'upload', 'aria-label': 'Upload media', onsubmit: (e) => { e.preventDefault(); run([...input.files]); } },
      h('div', { class: 'row' }, field('Images or a zip of images', input), go, cancel),
      h('p', { class: 'hint' }, 'Or drop files here. Duplicates are recognised by their content and skipped; each file is checked by its content, not its name.'),
      bar, info, results);
    bar.hidden = true;
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('drag'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('drag'));
    drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('drag'); run([...e.dataTransfer.files]); });
    // Open at first; once there is data, the grid gets the room.
    uploadBox = h('details', { class: 'upload-box', open: !ctx.info.counts.items }, h('summary', null, 'Upload'), drop);
  }

  // ---- the grid ----
  const sizer = h('div', { class: 'grid-sizer' });
  const scroller = h('div', { class: 'grid-scroll', role: 'region', 'aria-label': 'Items', tabindex: -1 }, sizer);
  const state = { items: [], next: null, total: 0, loading: false, done: false, gen: 0, cols: 1, focus: 0 };

  const query = () => {
    const u = new URLSearchParams();
    const vals = { status: status.value, label: label.value, split: split.value.trim(), annotator: annot.value, batch: f.batch, q: q.value.trim() };
    for (const k of FILTERS) if (vals[k]) u.set(k, vals[k]);
    return u;
  };

  const cell = (it, i) => {
    // Items imported without their media (size 0) have no thumbnail.
    const img = it.size > 0 && it.kind === 'image'
      ? h('img', { alt: '', loading: 'lazy', decoding: 'async', src: `/api/v1/items/${it.id}/thumbnail?size=256`, width: 160, height: 120 })
      : h('span', { class: 'no-media' }, it.size > 0 ? it.kind : 'no media');
    if (img.tagName === 'IMG') img.addEventListener('error', () => img.replaceWith(h('span', { class: 'no-media' }, 'no preview')), { once: true });
    const a = h('a', {
      class: 'cell', href: `/label.html#project=${pid}&item=${it.id}`, 'data-i': i, tabindex: i === state.focus ? 0 : -1,
      'aria-label': `Open ${it.name}, ${statusText(it.status)}`, title: it.name,
    },
    h('div', { class: 'thumb' }, img),
    h('div', { class: 'cell-name' }, it.name.replace(/^.*\//, '')),
    h('div', { class: 'cell-meta' }, h('span', { class: `status s-${it.status}` }, statusText(it.status)),
      it.split ? h('span', { class: 'split' }, it.split) : null, h('span', { class: 'id' }, `#${it.id}`)));
    a.style.transform = `translate(${(i % state.cols) * CELL_W}px, ${Math.floor(i / state.cols) * CELL_H}px)`;
    return a;
  };

  const placeholder = (i) => {
    const d = h('div', { class: 'cell placeholder', 'aria-hidden': 'true' });
    d.style.transform = `translate(${(i % state.cols) * CELL_W}px, ${Math.floor(i / state.cols) * CELL_H}px)`;
    return d;
  };

  let drawn = new Map(); // index -> element
  const draw = () => {
    const w = scroller.clientWidth || 800;
    const cols = Math.max(1, Math.floor(w / CELL_W));
    if (cols !== state.cols) { state.cols = cols; for (const el of drawn.values()) el.remove(); drawn = new Map(); }
    const known = Math.max(state.items.length, state.done ? state.items.length : state.total);
    sizer.style.height = `${Math.ceil(known / cols) * CELL_H}px`;
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / CELL_H) - 2) * cols;
    const last = Math.min(known, (Math.ceil((top + scroller.clientHeight) / CELL_H) + 2) * cols);
    const keep = new Map();
    for (let i = first; i < last; i++) {
      let el = drawn.get(i);
      const it = state.items[i];
      if (el && it && el.classList.contains('placeholder')) { el.remove(); el = null; }
      if (!el) { el = it ? cell(it, i) : placeholder(i); sizer.append(el); }
      keep.set(i, el);
    }
    // Keep the focused cell even when it scrolls away, so focus is not lost.
    for (const [i, el] of drawn) {
      if (!keep.has(i)) { if (el.contains(document.activeElement)) keep.set(i, el); else el.remove(); }
    }
    drawn = keep;
    // One cell is always reachable by Tab: the last focused, else the first in view.
    if (!drawn.get(state.focus)?.matches('a.cell')) {
      const firstCell = [...drawn.values()].find((el) => el.matches('a.cell'));
      if (firstCell) firstCell.tabIndex = 0;
    }
    if (!state.done && last >= state.items.length - cols * 2) loadMore();
  };

  const loadMore = async () => {
    if (state.loading || state.done) return;
    state.loading = true;
    const gen = state.gen;
    try {
      const u = query();
      u.set('limit', PAGE);
      if (state.next !== null) u.set('after', state.next);
      const r = await get(`/projects/${pid}/items?${u}`);
      if (gen !== state.gen || !ctx.alive()) return;
      state.items.push(...r.items);
      state.next = r.next;
      state.done = r.next === null || r.next === undefined || !r.items.length;
      if (!state.items.length) clear(sizer, h('p', { class: 'empty' }, 'No items match.'));
    } catch (e) {
      state.done = true;
      clear(sizer, h('p', { class: 'msg error', role: 'alert' }, e.message));
    } finally {
      if (gen === state.gen) state.loading = false;
    }
    if (gen === state.gen) draw();
  };

  const refresh = async () => {
    state.gen++;
    state.items = []; state.focus = 0; state.next = null; state.done = false; state.loading = false; state.total = 0;
    for (const el of drawn.values()) el.remove();
    drawn = new Map();
    clear(sizer);
    scroller.scrollTop = 0;
    const u = query();
    setParams(u);
    const gen = state.gen;
    get(`/projects/${pid}/items/count?${u}`).then((r) => {
      if (gen !== state.gen) return;
      state.total = r.count;
      countEl.textContent = `${r.capped ? 'more than ' : ''}${fmtNum(r.count)} item${r.count === 1 ? '' : 's'}`;
      draw();
    }).catch(() => {});
    await loadMore();
  };

  // Arrow keys move between cells (Tab leaves the grid): a roving focus.
  scroller.addEventListener('keydown', (e) => {
    const a = e.target.closest?.('.cell');
    if (!a) return;
    const i = Number(a.dataset.i);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: state.cols, ArrowUp: -state.cols, PageDown: state.cols * 4, PageUp: -state.cols * 4 }[e.key]
      ?? (e.key === 'Home' ? -i : e.key === 'End' ? state.items.length - 1 - i : null);
    if (step === null) return;
    e.preventDefault();
    const j = Math.max(0, Math.min(state.items.length - 1, i + step));
    const row = Math.floor(j / state.cols) * CELL_H;
    if (row < scroller.scrollTop) scroller.scrollTop = row;
    else if (row + CELL_H > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = row + CELL_H - scroller.clientHeight;
    draw();
    drawn.get(j)?.focus();
  });
  // Only one cell at a time is in the Tab order.
  scroller.addEventListener('focusin', (e) => {
    const a = e.target.closest?.('.cell');
    if (!a) return;
    for (const el of drawn.values()) if (el !== a && el.matches('a.cell')) el.tabIndex = -1;
    a.tabIndex = 0;
    state.focus = Number(a.dataset.i);
  });

  let raf = 0;
  scroller.addEventListener('scroll', () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; draw(); }); });
  const ro = new ResizeObserver(() => draw());
  ro.observe(scroller);
  for (const el of [status, label, annot]) el.addEventListener('change', refresh);
  const typed = debounce(refresh, 250);
  q.addEventListener('input', typed);
  split.addEventListener('input', typed);
  reset.addEventListener('click', () => {
    status.value = ''; label.value = ''; split.value = ''; annot.value = ''; q.value = ''; f.batch = '';
    refresh();
  });

  clear(ctx.main, h('div', { class: 'row head' }, h('h1', null, 'Data')), uploadBox, filterBar, scroller);
  await refresh();
  return () => { ro.disconnect(); typed.cancel(); cancelAnimationFrame(raf); state.gen++; };
}
