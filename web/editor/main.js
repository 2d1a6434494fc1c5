// main.js - the labelling page (/label.html#project=P&item=I): loads the item,
// its schema, my annotation and any predictions, and wires the tools, the
// sidebar, the shortcuts and the saver together.
import * as api from '/common/api.js';
import { Model, diffDocs, merge3 } from './model.js';
import { Renderer } from './render.js';
import { Saver, idbGet } from './save.js';
import * as G from './geom.js';
import * as rle from './rle.js';
import { Comments } from './comments.js';
import { Review } from './review.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, v);
  }
  for (const c of kids) if (c !== null && c !== undefined) e.append(c);
  return e;
};

// ---------- tools and shortcuts ----------
const TOOLS = [
  ['select', 'Select', 'select'], ['box', 'Box', 'box'], ['polygon', 'Polygon', 'polygon'],
  ['polyline', 'Line', 'polyline'], ['points', 'Points', 'points'], ['keypoints', 'Skeleton', 'keypoints'],
  ['brush', 'Brush', 'mask'], ['eraser', 'Eraser', 'mask'], ['ellipse', 'Ellipse', 'ellipse'],
  ['cuboid', 'Cuboid', 'cuboid'], ['ocr', 'Text', 'box'],
];
const ACTIONS = {
  'tool:select': ['Select and edit', 'v'], 'tool:box': ['Box', 'b'], 'tool:polygon': ['Polygon', 'p'],
  'tool:polyline': ['Polyline', 'l'], 'tool:points': ['Points', 'o'], 'tool:keypoints': ['Keypoint skeleton', 'k'],
  'tool:brush': ['Mask brush', 'm'], 'tool:eraser': ['Mask eraser', 'e'], 'tool:ellipse': ['Ellipse', 'i'],
  'tool:cuboid': ['Cuboid', 'c'], 'tool:ocr': ['Text region (OCR)', 't'],
  undo: ['Undo', 'ctrl+z'], redo: ['Redo', 'ctrl+shift+z'], redo2: ['Redo (alternative)', 'ctrl+y'],
  copy: ['Copy', 'ctrl+c'], paste: ['Paste', 'ctrl+v'], duplicate: ['Duplicate', 'ctrl+d'],
  delete: ['Delete the selection (or the selected vertex)', 'delete'], delete2: ['Delete (alternative)', 'backspace'],
  finish: ['Finish the shape being drawn', 'enter'], cancel: ['Cancel drawing / deselect', 'escape'],
  fit: ['Fit the image', 'f'], one: ['Actual size (1:1)', 'r'], zoomIn: ['Zoom in', '='], zoomOut: ['Zoom out', '-'],
  hide: ['Hide / show the selection', 'h'], lock: ['Lock / unlock the selection', 'shift+l'],
  occluded: ['Toggle occluded', 'shift+o'], raise: ['Bring forward (z-order)', 'pageup'], lower: ['Send backward (z-order)', 'pagedown'],
  nextObj: ['Select the next object', '.'], prevObj: ['Select the previous object', ','],
  brushUp: ['Bigger brush', ']'], brushDown: ['Smaller brush', '['],
  accept: ['Accept the selected prediction', 'a'], reject: ['Reject the selected prediction', 'x'],
  acceptAll: ['Accept all predictions', 'shift+a'], rejectAll: ['Reject all predictions', 'shift+x'],
  absent: ['Skeleton: mark the next point absent', 'n'],
  submit: ['Submit and go to the next item', 'ctrl+enter'], nextItem: ['Next item', 'alt+arrowright'],
  prevItem: ['Previous item', 'alt+arrowleft'], skip: ['Skip this item', 'alt+s'], help: ['This help', '?'],
};
const KEYS_STORE = 'cairn.editor.keys';
let keymap = {};
function loadKeys() {
  let custom = {};
  try { custom = JSON.parse(localStorage.getItem(KEYS_STORE) || '{}'); } catch { custom = {}; }
  keymap = {};
  for (const [a, [, k]] of Object.entries(ACTIONS)) keymap[a] = custom[a] || k;
}
function keyOf(e) {
  let k = e.key.toLowerCase();
  if (k === ' ') k = 'space';
  const named = k.length > 1;
  const parts = [];
  if (e.ctrlKey || e.metaKey) parts.push('ctrl');
  if (e.altKey) parts.push('alt');
  if (e.shiftKey && (named || /^[a-z]$/.test(k) || e.ctrlKey || e.metaKey)) parts.push('shift');
  if (e.altKey && e.code && /^Key[A-Z]$/.test(e.code)) k = e.code.slice(3).toLowerCase();
  parts.push(k);
  return parts.join('+');
}

// ---------- state ----------
const S = {
  me: null, project: null, itemId: null, item: null, schema: null, labels: new Map(),
  model: new Model(), renderer: null, saver: null, tool: 'select', label: null,
  selected: new Set(), selPred: null, hidden: new Set(), preds: [], drawing: null, drag: null,
  hover: null, vertex: null, brush: 20, space: false, history: [], loading: false, suppress: false,
};
window.cairnEditor = S; // for tests and the benchmark

function setStatus(kind, text) {
  const s = $('save-status');
  s.dataset.kind = kind; s.textContent = text;
  s.title = text;
}
function hint(text) { $('hint').textContent = text || ''; }
function banner(node) {
  const b = $('banner');
  b.replaceChildren();
  if (node) { b.append(node); b.hidden = false; } else b.hidden = true;
}

// ---------- schema helpers ----------
function labelAllows(name, type) { const l = S.labels.get(name); return !!l && l.shapes.includes(type); }
function labelFor(type) {
  if (S.label && labelAllows(S.label, type)) return S.label;
  for (const l of S.labels.values()) if (l.shapes.includes(type)) return l.name;
  return null;
}
function defaults(attrs) {
  const out = {};
  for (const a of attrs || []) {
    if (a.default !== undefined && a.default !== null) out[a.name] = a.default;
    else if (a.type === 'checkbox') out[a.name] = false;
    else if (a.type === 'multiselect') out[a.name] = [];
  }
  return out;
}
function newObject(label, type, geom) {
  return { id: S.model.newId(), label, type, ...geom, attributes: defaults(S.labels.get(label)?.attributes), occluded: false, z_order: 0, group: null, parent: null, locked: false, text: null };
}

// ---------- boot ----------
async function boot() {
  loadKeys();
  const stage = $('stage');
  S.renderer = new Renderer(stage, S.model);
  S.renderer.hold(true);   // nothing to draw before the first item
  // /auth/me first and the large document last: the server answers the
  // small requests while it sends the document, not after it.
  const meP = api.me();
  const { project, item } = params();
  if (project && item) S.early = early(project, Number(item));
  S.renderer.drawUi = drawOverlay;
  S.renderer.onView = () => {};
  buildToolbar();
  wireControls();
  wirePointer(stage);
  S.comments = new Comments(S, { select, centreOn, hint, banner });
  S.reviewer = new Review(S, { loadItem, setStatus, banner, hint, comments: S.comments });
  document.addEventListener('keydown', onKey);
  document.addEventListener('keyup', (e) => { if (e.key === ' ') { S.space = false; stage.classList.remove('panning'); } });
  S.model.on((kind) => {
    if (kind !== 'change') return;
    scheduleSidebar();
    if (S.saver && !S.suppress) S.saver.changed();
  });
  window.addEventListener('hashchange', () => route());
  window.addEventListener('beforeunload', (e) => {
    if (S.saver && S.saver.dirty) { S.saver.flush(); e.preventDefault(); }
  });
  api.onUnauthenticated(() => askSignIn());
  let me;
  try { me = await meP; } catch (e) { setStatus('error', `Server unreachable: ${e.message}`); return; }
  if (!me) { signedOut(); return; }
  S.me = me;
  await route();
}

// The first item's requests start with the page, beside /auth/me;
// loadItem takes their answers when they are 200s and asks again otherwise
// (so a 401 here opens no sign-in dialog of its own).
function early(project, id) {
  const get = (path) => api.request('GET', path, { raw: true }).catch(() => null);
  const t0 = performance.now();
  const marks = { t0 };
  const item = get(`/items/${id}`);
  // The image is asked for at once, beside the document, not after the
  // item's answer: the item is needed only to tell a plain image from one
  // too big for the browser (shown from tiles; then this request is
  // aborted unread).
  const ctl = window.AbortController ? new AbortController() : null;
  const media = window.createImageBitmap
    ? fetch(`/api/v1/items/${id}/media`, { credentials: 'same-origin', signal: ctl?.signal }).catch(() => null) : null;
  // The document: its bytes and its parse timed apart (S.phases).
  const mine = fetch(`/api/v1/items/${id}/annotations/mine`, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(async (r) => {
      const text = await r.text();
      marks.docBytes = performance.now();
      let json = null;
      try { json = JSON.parse(text); } catch { json = null; }
      marks.docParsed = performance.now();
      return { status: r.status, json };
    }).catch(() => null);
  return {
    key: `${project}/${id}`, t0, marks, item, schema: get(`/projects/${project}/schema`),
    list: get(`/items/${id}/annotations`), mine,
    image: (S.imageWanted = id, item.then((r) => {
      if (!r || r.status !== 200) { ctl?.abort(); return false; }
      return loadImage(r.json.item, media, ctl).then(() => { marks.imageIn = performance.now(); return true; });
    })),
  };
}

function signedOut() {
  setStatus('auth', 'Not signed in');
  const main = $('main');
  main.replaceChildren(el('div', { class: 'signed-out' },
    el('p', { text: 'You are not signed in.' }),
    el('p', {}, el('a', { href: '/', id: 'signin-link' }, 'Sign in'), ' and come back to this page.')));
}

function params() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { project: p.get('project'), item: p.get('item') };
}

async function route() {
  if (await S.reviewer.route()) return; // review mode (review.js)
  const { project, item } = params();
  if (!project) { setStatus('error', 'No project in the address (#project=P&item=I)'); return; }
  if (!item) {
    const id = await nextFromQueue(project);
    if (id === null) { setStatus('saved', 'Nothing left to label in this project'); banner(el('span', { text: 'Your queue is empty. ' }, el('a', { href: '/' }, 'Back to the projects'))); return; }
    history.replaceState(null, '', `#project=${project}&item=${id}`);
    return loadItem(project, id);
  }
  if (S.itemId === Number(item) && String(S.project) === project) return;
  return loadItem(project, Number(item));
}

async function nextFromQueue(project, after = null) {
  if (after === null) {
    const r = await api.request('POST', `/projects/${project}/queue/next`, { body: {}, raw: true }).catch(() => null);
    if (r && r.status === 200 && r.json && r.json.item) return r.json.item.id;
    if (r && r.status === 204) {
      // Nothing left in my batches; a project without batches has one
      // queue of all its items (below).
      const b = await api.request('GET', `/projects/${project}/batches`, { raw: true }).catch(() => null);
      if (!b || b.status !== 200 || (b.json?.batches || []).length) return null;
    }
  }
  // Fallback: the first item (after `after`) without a submitted annotation of mine.
  let cursor = after;
  for (let pages = 0; pages < 50; pages++) {
    const q = `/projects/${project}/items?limit=200${cursor !== null ? `&after=${cursor}` : ''}`;
    const r = await api.get(q);
    for (const it of r.items) {
      if (after !== null && it.id <= after) continue;
      const mine = await api.get(`/items/${it.id}/annotations/mine`).catch(() => null);
      if (!mine || mine.version === 0 || mine.annotation?.status !== 'submitted') return it.id;
    }
    if (!r.next) break;
    cursor = r.next;
  }
  return null;
}

async function leaveItem() {
  if (S.saver) {
    await S.saver.flush();
    clearTimeout(S.saver.timer);
    S.saver.dead = true;
  }
}

async function loadItem(project, id) {
  if (S.loading) return;
  S.loading = true;
  try {
    await leaveItem();
    if (S.itemId && S.itemId !== id) S.history.push(S.itemId);
    const t0 = performance.now();
    setStatus('idle', 'Loading…');
    S.project = Number(project); S.itemId = id;
    S.renderer.hold(true);
    S.imageWanted = id;
    S.selected.clear(); S.selPred = null; S.drawing = null; S.drag = null; S.hidden = new Set(); S.renderer.hidden = S.hidden;
    const pre = S.early && S.early.key === `${project}/${id}` ? S.early : null;
    S.early = null;
    const get = (what, path) => (pre ? pre[what].then((r) => (r && r.status === 200 ? r.json : api.get(path))) : api.get(path));
    const itemP = get('item', `/items/${id}`);
    // The image loads as soon as its size is known, beside the document.
    const imageP = (pre ? pre.image : Promise.resolve(false)).then((done) => done || itemP.then((r) => loadImage(r.item))).catch(() => {});
    const [itemR, schemaR, mineR, listR] = await Promise.all([
      itemP, get('schema', `/projects/${project}/schema`),
      S.reviewer.document(id).then((d) => d || get('mine', `/items/${id}/annotations/mine`)), get('list', `/items/${id}/annotations`).catch(() => ({ annotations: [] })),
    ]);
    const tFetched = performance.now();
    S.item = itemR.item;
    S.schema = schemaR.schema;
    S.schemaVersion = schemaR.version;
    S.labels = new Map(S.schema.labels.map((l) => [l.name, l]));
    applyLabelStyles();
    if (!S.label || !S.labels.has(S.label)) S.label = S.schema.labels[0]?.name || null;
    $('item-name').textContent = S.item.name;
    $('item-name').title = `${S.item.name} (${S.item.width}x${S.item.height})`;
    document.title = `${S.item.name} - Cairn`;
    fillLabelSelect();
    const serverDoc = mineR.document || { format: 1, objects: [] };
    S.suppress = true;
    S.model.undoStack.length = 0; S.model.redoStack.length = 0;
    const tParsed = performance.now();
    S.model.load(serverDoc);
    S.suppress = false;
    const tIndexed = performance.now();
    const saver = new Saver({
      user: S.me.user.id, item: id, project: S.project, getDoc: () => S.model.toDoc(),
      onStatus: (k, t) => { if (!saver.dead) setStatus(k, t); }, onConflict: (c) => showConflict(c),
      onAuth: () => askSignIn(), onInvalid: (e) => showInvalid(e),
    });
    saver.setBase(mineR.version, serverDoc);
    S.saver = saver;
    setStatus('saved', mineR.version ? `Saved (version ${mineR.version})` : 'No changes yet');
    // The objects are drawn while the image may still be decoding (its size
    // is the item's); the previous item's image is not shown meanwhile.
    const sized = S.imageOf === id || (S.item.width > 0 && S.item.height > 0);
    if (S.imageOf !== id && sized) S.renderer.clearImage(S.item.width, S.item.height);
    if (!sized) await imageP;
    S.renderer.hold(false);
    S.renderer.fit();
    S.renderer.draw();
    // Forced to pixels (Chromium records canvas calls and rasterises them
    // later), so that the time below is that of a complete frame.
    S.renderer.layers.obj.ctx.getImageData(0, 0, 1, 1);
    const tDrawn = performance.now();
    // The editor is usable now: every object is drawn and hit-testing and
    // tools work. The image comes in when it is decoded (setImage redraws).
    const m = pre ? pre.marks : null;
    S.phases = {
      fetch: tFetched - t0, index: tIndexed - tParsed, draw: tDrawn - tIndexed,
      docBytes: m && m.docBytes ? m.docBytes - m.t0 : NaN, docParse: m && m.docParsed ? m.docParsed - m.docBytes : NaN,
    };
    S.openMs = tDrawn - (pre ? pre.t0 : t0);
    S.firstRenderAt = tDrawn;
    const tImage0 = pre ? pre.t0 : t0;
    imageP.then(() => {
      if (S.itemId !== id) return;
      S.imageMs = performance.now() - tImage0;
      S.phases.imageIn = m && m.imageIn ? m.imageIn - m.t0 : NaN;
    });
    // Replay what this browser kept and the server does not have yet.
    const pending = await idbGet(saver.key).catch(() => null);
    if (pending && pending.doc) {
      if (pending.version === mineR.version) {
        S.model.commit(replaceAllChanges(pending.doc), pending.doc.attributes || {}, 'replay');
        setStatus('pending', 'Restored unsaved changes from this browser; saving…');
        banner(el('span', { text: 'Unsaved changes kept in this browser were restored and are being saved.' }));
        await saver.flush();
      } else {
        showConflict({ base: pending.baseDoc || { objects: [] }, mine: pending.doc, current: { version: mineR.version, document: serverDoc } }, true);
      }
    }
    await loadPredictions(listR.annotations || []);
    S.reviewer.afterLoad();
    S.comments.load();
    // A link to one object (check findings: #project=P&item=I&object=uid)
    // opens the item with that object selected and in view.
    const wanted = new URLSearchParams(location.hash.slice(1)).get('object');
    const wantedObj = wanted && S.model.objects.get(wanted);
    if (wantedObj) { select([wanted]); centreOn(wantedObj); }
    renderItemForm();
    scheduleSidebar();
    prefetchNext();
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) signedOut();
    else setStatus('error', `Could not open the item: ${e.message}`);
  } finally {
    S.loading = false;
    S.renderer.hold(false);
  }
}

// Changes turning the current document into doc (for one undoable step).
function replaceAllChanges(doc) {
  const ch = [];
  const want = new Map((doc.objects || []).map((o) => [o.id, o]));
  for (const id of S.model.objects.keys()) if (!want.has(id)) ch.push([id, null]);
  for (const [id, o] of want) if (S.model.objects.get(id) !== o) ch.push([id, o]);
  return ch;
}

// media: a fetch of the item's media already under way (early()), with
// its AbortController: aborted when the image is shown from tiles.
function loadImage(it, media = null, ctl = null) {
  const huge = it.width * it.height > 36e6 || Math.max(it.width, it.height) > 12000;
  const tiles = async () => {
    const info = await api.get(`/items/${it.id}/tiles`);
    if (S.imageWanted !== it.id) return;
    S.renderer.setTiles(info, (L, c, r) => `/api/v1/items/${it.id}/tiles/${L}/${c}/${r}`);
    S.imageOf = it.id;
  };
  if (huge || new URLSearchParams(location.hash.slice(1)).get('tiles') === '1') { ctl?.abort(); return tiles(); }
  // Decoded off the main thread (createImageBitmap), while the document is
  // fetched and indexed; an <img> would be decoded on the main thread at
  // its first draw.
  if (window.createImageBitmap) {
    return Promise.resolve(media).then((r) => r || fetch(`/api/v1/items/${it.id}/media`, { credentials: 'same-origin' }))
      .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.blob(); })
      .then((b) => createImageBitmap(b))
      .then((bm) => { if (S.imageWanted === it.id) { S.renderer.setImage(bm, it.width || bm.width, it.height || bm.height); S.imageOf = it.id; } })
      .catch(() => tiles().catch(() => { S.renderer.imgW = it.width; S.renderer.imgH = it.height; setStatus('error', 'The image could not be shown'); }));
  }
  return new Promise((res) => {
    const img = new Image();
    img.onload = () => { if (S.imageWanted === it.id) { S.renderer.setImage(img, it.width || img.naturalWidth, it.height || img.naturalHeight); S.imageOf = it.id; } res(); };
    img.onerror = () => { tiles().then(res, () => { S.renderer.imgW = it.width; S.renderer.imgH = it.height; setStatus('error', 'The image could not be shown'); res(); }); };
    img.src = `/api/v1/items/${it.id}/media`;
  });
}

async function prefetchNext() {
  try {
    const r = await api.get(`/projects/${S.project}/items?limit=1&after=${S.itemId}`);
    const n = r.items && r.items[0];
    if (!n) return;
    S.nextId = n.id;
    if (n.kind === 'image' && n.width * n.height <= 36e6) { const img = new Image(); img.src = `/api/v1/items/${n.id}/media`; S.prefetched = img; }
  } catch { /* best effort */ }
}

// ---------- predictions ----------
const decidedKey = () => `cairn.editor.decided.${S.itemId}`;
function decided() { try { return new Set(JSON.parse(localStorage.getItem(decidedKey()) || '[]')); } catch { return new Set(); } }
function remember(key) { const d = decided(); d.add(key); localStorage.setItem(decidedKey(), JSON.stringify([...d])); }
function predId(source, id) { return `p_${source}_${id}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64); }

async function loadPredictions(list) {
  S.preds = [];
  const seen = decided();
  for (const a of list.filter((x) => x.kind === 'prediction')) {
    try {
      const r = await api.get(`/items/${S.itemId}/predictions/${encodeURIComponent(a.source)}`);
      for (const o of r.document.objects || []) {
        const nid = predId(a.source, o.id);
        if (seen.has(`${a.source}/${o.id}`) || S.model.objects.has(nid)) continue;
        S.preds.push({ source: a.source, obj: o, key: `${a.source}/${o.id}`, nid });
      }
    } catch { /* a prediction we may not read */ }
  }
  syncPreds();
}
function syncPreds() {
  // The object layer draws the pre-labels: render it again only when there
  // are or were some (not after opening an item that has none).
  if (S.preds.length || S.renderer.predictions.length) S.renderer.invalidate('obj');
  S.renderer.predictions = S.preds;
  S.renderer.invalidate('ui');
  $('pred-panel').hidden = !S.preds.length;
  const ul = $('pred-list');
  ul.replaceChildren(...S.preds.slice(0, 300).map((p) => el('li', { class: S.selPred === p ? 'selected' : '' },
    el('button', { class: 'obj', type: 'button', onclick: () => { S.selPred = p; S.selected.clear(); syncPreds(); scheduleSidebar(); } },
      el('span', { class: 'swatch', style: null }), `${p.obj.label} ${p.obj.type}${p.obj.score != null ? ` ${Math.round(p.obj.score * 100)}%` : ''} (${p.source})`),
    el('button', { type: 'button', 'aria-label': `Accept ${p.obj.label} ${p.obj.id}`, onclick: () => acceptPreds([p]) }, 'Accept'),
    el('button', { type: 'button', 'aria-label': `Reject ${p.obj.label} ${p.obj.id}`, onclick: () => rejectPreds([p]) }, 'Reject'))));
  ul.querySelectorAll('.swatch').forEach((s, i) => { s.style.background = S.renderer.style(S.preds[i].obj.label).color; });
}
function acceptPreds(ps, edit = false) {
  if (!ps.length) return;
  const ch = ps.map((p) => {
    const { score, ...rest } = p.obj; void score;
    return [p.nid, { ...rest, id: p.nid, score: null }];
  });
  for (const p of ps) remember(p.key);
  S.preds = S.preds.filter((p) => !ps.includes(p));
  S.selPred = null;
  S.model.commit(ch, null, 'accept predictions');
  if (edit || ps.length === 1) select([ps[ps.length - 1].nid]);
  syncPreds();
}
function rejectPreds(ps) {
  for (const p of ps) remember(p.key);
  S.preds = S.preds.filter((p) => !ps.includes(p));
  S.selPred = null;
  syncPreds(); scheduleSidebar();
}

// ---------- selection ----------
function select(ids, add = false) {
  if (!add) S.selected.clear();
  for (const id of ids) { if (add && S.selected.has(id)) S.selected.delete(id); else S.selected.add(id); }
  S.vertex = null;
  S.selPred = null;
  S.renderer.invalidate('ui');
  scheduleSidebar();
}
const selectedObjs = () => [...S.selected].map((id) => S.model.objects.get(id)).filter(Boolean);
function single() { const s = selectedObjs(); return s.length === 1 ? s[0] : null; }

// ---------- toolbar and controls ----------
function buildToolbar() {
  const box = $('tools');
  for (const [id, name] of TOOLS) {
    box.append(el('button', { type: 'button', id: `tool-${id}`, 'data-tool': id, 'aria-pressed': 'false', onclick: () => setTool(id) }, name));
  }
  updateToolTitles();
  setTool('select');
}
function updateToolTitles() {
  for (const [id, name] of TOOLS) {
    const b = $(`tool-${id}`);
    b.title = `${name} (${keymap[`tool:${id}`]})`;
  }
}
function setTool(t) {
  if (S.drawing) cancelDrawing();
  S.tool = t;
  for (const b of $('tools').children) b.setAttribute('aria-pressed', String(b.dataset.tool === t));
  $('stage').dataset.tool = t;
  $('brush-ctl').hidden = !(t === 'brush' || t === 'eraser');
  const shape = TOOLS.find((x) => x[0] === t)[2];
  if (t !== 'select') {
    const l = labelFor(shape) || (t === 'ocr' ? labelFor('polygon') || labelFor('rotated_box') : null);
    if (!l && S.labels.size) hint(`No label of this project allows ${shape}`);
    else if (l && l !== S.label) { S.label = l; $('label-select').value = l; }
  }
  toolHint();
  S.renderer.invalidate('ui');
}
function toolHint() {
  const t = S.tool;
  const d = S.drawing;
  if (d && d.type === 'keypoints') {
    const sk = S.labels.get(d.label).skeleton.points;
    hint(`Place '${sk[d.pts.length / 3]}' (${d.pts.length / 3 + 1}/${sk.length}): click = visible, Shift+click = occluded, ${keymap.absent.toUpperCase()} = absent, Enter = finish`);
    return;
  }
  const h = {
    select: 'Click to select, drag to move; drag handles to resize or rotate; double-click an edge to add a vertex, Alt+click a vertex to delete it',
    box: 'Drag to draw a box', ellipse: 'Drag to draw an ellipse', cuboid: 'Drag the front face; then move any vertex',
    polygon: 'Click to add vertices; click the first vertex or press Enter to close; Backspace removes the last',
    polyline: 'Click to add vertices; Enter or double-click finishes', points: 'Click to add points; Enter finishes',
    keypoints: 'Click to place the skeleton points in order', brush: 'Paint the mask ([ and ] change the size); paints into the selected mask',
    eraser: 'Erase from the selected mask (or the mask under the pointer)', ocr: 'Drag a text region, then type its transcription',
  };
  hint(h[t] || '');
}
function fillLabelSelect() {
  const s = $('label-select');
  s.replaceChildren(...S.schema.labels.map((l) => el('option', { value: l.name, text: l.hotkey ? `${l.name} (${l.hotkey})` : l.name })));
  s.value = S.label;
  const fl = $('obj-filter-label');
  fl.replaceChildren(el('option', { value: '', text: 'all labels' }), ...S.schema.labels.map((l) => el('option', { value: l.name, text: l.name })));
  const types = [...new Set(S.schema.labels.flatMap((l) => l.shapes))];
  $('obj-filter-type').replaceChildren(el('option', { value: '', text: 'all types' }), ...types.map((t) => el('option', { value: t, text: t })));
  renderLabelStyles();
}
function styleKey() { return `cairn.editor.styles.${S.project}`; }
function applyLabelStyles() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(styleKey()) || '{}'); } catch { saved = {}; }
  S.renderer.styles = new Map();
  S.renderer.skeletons = new Map();
  for (const l of S.schema.labels) {
    S.renderer.styles.set(l.name, { color: saved[l.name]?.color || l.color || '#ff00ff', opacity: saved[l.name]?.opacity ?? 0.3 });
    if (l.skeleton) {
      const idx = new Map(l.skeleton.points.map((p, i) => [p, i]));
      S.renderer.skeletons.set(l.name, (l.skeleton.edges || []).map(([a, b]) => [idx.get(a), idx.get(b)]));
    }
  }
}
function renderLabelStyles() {
  const box = $('label-styles');
  box.replaceChildren(...S.schema.labels.map((l) => {
    const st = S.renderer.style(l.name);
    const save = () => {
      const all = Object.fromEntries([...S.renderer.styles].map(([k, v]) => [k, v]));
      localStorage.setItem(styleKey(), JSON.stringify(all));
      for (const c of S.model.chunks.values()) c.paths = null;
      S.renderer.invalidate('obj', 'ui');
      scheduleSidebar();
    };
    return el('div', { class: 'row form' },
      el('label', {}, el('span', { text: l.name }), el('input', { type: 'color', value: st.color, 'aria-label': `Colour of ${l.name}`, oninput: (e) => { st.color = e.target.value; save(); } })),
      el('label', {}, el('span', { class: 'sr', text: `Opacity of ${l.name}` }), el('input', { type: 'range', min: 0, max: 100, value: Math.round(st.opacity * 100), 'aria-label': `Opacity of ${l.name}`, oninput: (e) => { st.opacity = e.target.value / 100; save(); } })));
  }));
}
function wireControls() {
  $('label-select').addEventListener('change', (e) => setLabel(e.target.value));
  $('brush-size').addEventListener('input', (e) => { S.brush = Number(e.target.value); $('brush-out').textContent = e.target.value; });
  $('btn-undo').onclick = () => doAction('undo');
  $('btn-redo').onclick = () => doAction('redo');
  $('btn-fit').onclick = () => S.renderer.fit();
  $('btn-one').onclick = () => S.renderer.oneToOne();
  $('brightness').addEventListener('input', (e) => { S.renderer.brightness = e.target.value / 100; S.renderer.invalidate('img'); });
  $('contrast').addEventListener('input', (e) => { S.renderer.contrast = e.target.value / 100; S.renderer.invalidate('img'); });
  $('btn-prev').onclick = () => doAction('prevItem');
  $('btn-next').onclick = () => doAction('nextItem');
  $('btn-skip').onclick = () => doAction('skip');
  $('btn-submit').onclick = () => doAction('submit');
  $('btn-help').onclick = () => showHelp();
  $('btn-help-close').onclick = () => $('help-dialog').close();
  $('btn-keys-reset').onclick = () => { localStorage.removeItem(KEYS_STORE); loadKeys(); renderHelp(); updateToolTitles(); };
  $('btn-accept-all').onclick = () => acceptPreds(S.preds.slice());
  $('btn-reject-all').onclick = () => rejectPreds(S.preds.slice());
  for (const id of ['obj-search', 'obj-filter-label', 'obj-filter-type']) $(id).addEventListener('input', () => { $('obj-list').scrollTop = 0; scheduleSidebar(); });
  wireList();
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('si-error').textContent = '';
    try {
      const user = await api.signIn($('si-user').value, $('si-pass').value);
      S.me = await api.me() || { user };
      $('signin-dialog').close();
      if (S.saver) { setStatus('saving', 'Signed in; saving your changes…'); await S.saver.unblock(); }
    } catch (err) { $('si-error').textContent = err.message; }
  });
}
function setLabel(name) {
  S.label = name;
  $('label-select').value = name;
  const sel = selectedObjs().filter((o) => !o.locked && labelAllows(name, o.type) && o.label !== name);
  if (sel.length) S.model.commit(sel.map((o) => [o.id, { ...o, label: name, attributes: { ...defaults(S.labels.get(name).attributes), ...keepAttrs(o.attributes, name) } }]), null, 'label');
}
function keepAttrs(attrs, label) {
  const names = new Set((S.labels.get(label).attributes || []).map((a) => a.name));
  return Object.fromEntries(Object.entries(attrs || {}).filter(([k]) => names.has(k)));
}

// ---------- sidebar ----------
let sideRaf = 0;
function scheduleSidebar() { if (!sideRaf) sideRaf = requestAnimationFrame(() => { sideRaf = 0; renderSidebar(); }); }
function renderSidebar() {
  renderObjectForm();
  renderList();
  $('btn-undo').disabled = !S.model.undoStack.length;
  $('btn-redo').disabled = !S.model.redoStack.length;
}
function attrInput(a, value, onchange, idp) {
  const id = `${idp}-${a.name}`;
  const lab = (input) => el('label', { for: id, title: a.description || null }, el('span', { text: a.name + (a.required ? ' *' : '') }), input);
  switch (a.type) {
    case 'select': {
      const s = el('select', { id, onchange: (e) => onchange(e.target.value === '' ? null : e.target.value) },
        el('option', { value: '', text: '—' }), ...a.values.map((v) => el('option', { value: v, text: v })));
      s.value = value ?? '';
      return lab(s);
    }
    case 'multiselect': {
      const cur = new Set(value || []);
      return el('fieldset', {}, el('legend', { text: a.name }), ...a.values.map((v) => el('label', {},
        el('input', { type: 'checkbox', checked: cur.has(v), onchange: (e) => { const n = new Set(cur); if (e.target.checked) n.add(v); else n.delete(v); onchange(a.values.filter((x) => n.has(x))); } }), el('span', { text: v }))));
    }
    case 'checkbox': return lab(el('input', { id, type: 'checkbox', checked: !!value, onchange: (e) => onchange(e.target.checked) }));
    case 'number': return lab(el('input', { id, type: 'number', min: a.min, max: a.max, step: a.step ?? 'any', value: value ?? '', onchange: (e) => onchange(e.target.value === '' ? null : Number(e.target.value)) }));
    default: return lab(el('input', { id, type: 'text', value: value ?? '', onchange: (e) => onchange(e.target.value) }));
  }
}
function renderItemForm() {
  const f = $('item-form');
  f.className = 'form';
  const kids = [];
  for (const a of S.schema.item_attributes || []) {
    kids.push(attrInput(a, S.model.attributes[a.name], (v) => S.model.commit([], { ...S.model.attributes, [a.name]: v }, 'item attribute'), 'item'));
  }
  const tagLabels = S.schema.labels.filter((l) => l.shapes.includes('tag'));
  if (tagLabels.length) {
    const has = (name) => [...S.model.objects.values()].find((o) => o.type === 'tag' && o.label === name);
    kids.push(el('fieldset', {}, el('legend', { text: 'Tags' }), ...tagLabels.map((l) => el('label', {},
      el('input', { type: 'checkbox', checked: !!has(l.name), onchange: (e) => {
        const t = has(l.name);
        if (e.target.checked && !t) S.model.commit([[S.model.newId(), { ...newObject(l.name, 'tag', {}), points: [] }]], null, 'tag');
        else if (!e.target.checked && t) S.model.commit([[t.id, null]], null, 'untag');
      } }), el('span', { text: l.name })))));
  }
  if (!kids.length) kids.push(el('p', { class: 'muted', text: 'No item attributes in this schema.' }));
  f.replaceChildren(...kids);
}
function renderObjectForm() {
  const f = $('object-form');
  f.className = 'form';
  if (S.selPred) {
    const p = S.selPred;
    f.replaceChildren(el('p', { text: `Prediction from ${p.source}: ${p.obj.label} ${p.obj.type}${p.obj.score != null ? `, score ${p.obj.score}` : ''}` }),
      el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => acceptPreds([p]) }, 'Accept'),
        el('button', { type: 'button', onclick: () => acceptPreds([p], true) }, 'Edit'),
        el('button', { type: 'button', onclick: () => rejectPreds([p]) }, 'Reject')));
    return;
  }
  const sel = selectedObjs();
  if (!sel.length) { f.replaceChildren(el('p', { class: 'muted', text: 'Nothing selected.' })); return; }
  if (sel.length > 1) {
    f.replaceChildren(el('p', { text: `${sel.length} objects selected.` }), el('div', { class: 'row' },
      el('button', { type: 'button', onclick: () => doAction('duplicate') }, 'Duplicate'),
      el('button', { type: 'button', onclick: () => doAction('delete') }, 'Delete'),
      el('button', { type: 'button', onclick: () => groupSelection() }, 'Group')));
    return;
  }
  const o = sel[0];
  const L = S.labels.get(o.label);
  const up = (patch, what) => S.model.commit([[o.id, { ...o, ...patch }]], null, what);
  const kids = [el('p', { class: 'muted', text: `${o.type} · id ${o.id}` })];
  const ls = el('select', { id: 'obj-label', onchange: (e) => setLabel(e.target.value) }, ...S.schema.labels.filter((l) => l.shapes.includes(o.type)).map((l) => el('option', { value: l.name, text: l.name })));
  ls.value = o.label;
  kids.push(el('label', { for: 'obj-label' }, el('span', { text: 'label' }), ls));
  for (const a of L?.attributes || []) kids.push(attrInput(a, o.attributes?.[a.name], (v) => up({ attributes: { ...o.attributes, [a.name]: v } }, 'attribute'), 'objattr'));
  if (o.text !== null && o.text !== undefined) {
    kids.push(el('label', { for: 'obj-text' }, el('span', { text: 'transcription' }),
      el('textarea', { id: 'obj-text', onchange: (e) => up({ text: e.target.value }, 'text') }, o.text)));
  } else if (['box', 'rotated_box', 'polygon'].includes(o.type)) {
    kids.push(el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => { up({ text: '' }, 'text'); requestAnimationFrame(() => requestAnimationFrame(() => $('obj-text')?.focus())); } }, 'Add a transcription')));
  }
  if (o.type === 'keypoints' && L?.skeleton) {
    const vis = ['absent', 'occluded', 'visible'];
    kids.push(el('fieldset', {}, el('legend', { text: 'keypoints' }), ...L.skeleton.points.map((name, i) => {
      const s = el('select', { id: `kp-${i}`, onchange: (e) => { const q = o.points.slice(); q[i * 3 + 2] = Number(e.target.value); up({ points: q }, 'visibility'); } },
        ...vis.map((v, k) => el('option', { value: k, text: v })));
      s.value = String(o.points[i * 3 + 2]);
      return el('label', { for: `kp-${i}` }, el('span', { text: name }), s);
    })));
  }
  kids.push(el('label', { for: 'obj-occluded' }, el('span', { text: 'occluded' }), el('input', { id: 'obj-occluded', type: 'checkbox', checked: !!o.occluded, onchange: (e) => up({ occluded: e.target.checked }, 'occluded') })));
  kids.push(el('label', { for: 'obj-z' }, el('span', { text: 'z-order' }), el('input', { id: 'obj-z', type: 'number', step: 1, value: o.z_order || 0, onchange: (e) => up({ z_order: Math.trunc(Number(e.target.value)) || 0 }, 'z-order') })));
  kids.push(el('label', { for: 'obj-group' }, el('span', { text: 'group' }), el('input', { id: 'obj-group', type: 'number', min: 0, step: 1, value: o.group ?? '', onchange: (e) => up({ group: e.target.value === '' ? null : Math.max(0, Math.trunc(Number(e.target.value))) }, 'group') })));
  kids.push(el('label', { for: 'obj-locked' }, el('span', { text: 'locked' }), el('input', { id: 'obj-locked', type: 'checkbox', checked: !!o.locked, onchange: (e) => up({ locked: e.target.checked }, 'lock') })));
  kids.push(el('label', { for: 'obj-hidden' }, el('span', { text: 'hidden (only here)' }), el('input', { id: 'obj-hidden', type: 'checkbox', checked: S.hidden.has(o.id), onchange: () => toggleHidden([o.id]) })));
  kids.push(el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => doAction('duplicate') }, 'Duplicate'), el('button', { type: 'button', onclick: () => doAction('delete') }, 'Delete')));
  const focused = document.activeElement && f.contains(document.activeElement) ? document.activeElement.id : null;
  f.replaceChildren(...kids);
  if (focused && $(focused)) $(focused).focus();
}
function groupSelection() {
  let g = 0;
  for (const o of S.model.objects.values()) if (o.group != null && o.group >= g) g = o.group + 1;
  S.model.commit(selectedObjs().map((o) => [o.id, { ...o, group: g }]), null, 'group');
}
function toggleHidden(ids) {
  for (const id of ids) { if (S.hidden.has(id)) S.hidden.delete(id); else S.hidden.add(id); S.model.invalidate(id); }
  S.renderer.invalidate('obj', 'ui');
  scheduleSidebar();
}
// The object list is virtualised: only the rows in (or near) its scrolled
// view exist as elements, whatever the number of objects (10,000 rows of
// buttons would cost the first frame hundreds of ms). The search and the
// filters run over all objects; the list keeps the scroll height of all
// the matches (spacers above and below the rows drawn), the arrow keys,
// Page Up/Down, Home and End move the focus through all of them, and the
// rows carry aria-setsize/aria-posinset so that a screen reader knows the
// whole length.
const ROW = 28;        // px: one row's height (.list.virtual li in editor.css)
const OVERSCAN = 6;    // rows drawn beyond each edge of the view
let listMatch = [];
let listPaint = 0;
function renderList() {
  const q = $('obj-search').value.trim().toLowerCase();
  const fl = $('obj-filter-label').value, ft = $('obj-filter-type').value;
  const match = [];
  for (const o of S.model.objects.values()) {
    if ((!fl || o.label === fl) && (!ft || o.type === ft) &&
      (!q || o.id.toLowerCase().includes(q) || o.label.toLowerCase().includes(q) || (o.text || '').toLowerCase().includes(q))) match.push(o);
  }
  const all = S.model.objects.size;
  $('obj-count').textContent = `(${match.length}${match.length !== all ? ` of ${all}` : ''})`;
  listMatch = match;
  paintList();
}
function listRow(o, i) {
  const sw = el('span', { class: 'swatch' });
  sw.style.background = S.renderer.style(o.label).color;
  const li = el('li', { class: `${S.selected.has(o.id) ? 'selected' : ''} ${S.hidden.has(o.id) ? 'hiddenobj' : ''}`, 'aria-setsize': listMatch.length, 'aria-posinset': i + 1, 'data-row': i },
    el('button', { type: 'button', class: 'obj', 'data-id': o.id, 'aria-pressed': S.selected.has(o.id) ? 'true' : 'false', onclick: (e) => { select([o.id], e.shiftKey); centreOn(o); } },
      sw, `${o.label} · ${o.type}${o.locked ? ' · locked' : ''}${o.text ? ` · "${o.text.slice(0, 20)}"` : ''}`),
    el('button', { type: 'button', 'aria-label': `${S.hidden.has(o.id) ? 'Show' : 'Hide'} ${o.label} ${o.id}`, title: 'Hide / show', onclick: () => toggleHidden([o.id]) }, S.hidden.has(o.id) ? 'show' : 'hide'));
  return li;
}
// Draws the rows in view (and OVERSCAN on each side); keeps the focus on
// the row of the same object if it is still drawn.
function paintList() {
  const ul = $('obj-list');
  const n = listMatch.length, h = ul.clientHeight || 10 * ROW;
  const first = Math.max(0, Math.min(n, Math.floor(ul.scrollTop / ROW)) - OVERSCAN);
  const last = Math.min(n, Math.ceil((ul.scrollTop + h) / ROW) + OVERSCAN);
  const act = document.activeElement;
  const focusId = act && ul.contains(act) ? act.closest('li')?.querySelector('button.obj')?.dataset.id : null;
  const focusHide = focusId && act && !act.classList.contains('obj');
  // Spacers above and below stand for the rows not drawn (padding would
  // not do: a scroll box grows to hold its padding).
  const spacer = (rowsOf) => { const li = el('li', { class: 'spacer', 'aria-hidden': 'true' }); li.style.height = `${rowsOf * ROW}px`; return li; };
  const rows = [];
  if (first) rows.push(spacer(first));
  for (let i = first; i < last; i++) rows.push(listRow(listMatch[i], i));
  if (n > last) rows.push(spacer(n - last));
  ul.replaceChildren(...rows);
  if (focusId) {
    const b = ul.querySelector(`button.obj[data-id="${CSS.escape(focusId)}"]`);
    const t = b && (focusHide ? b.nextElementSibling : b);
    if (t) t.focus({ preventScroll: true });
  }
}
// Moves the focus to row i of the matches, scrolling it into view.
function focusRow(i) {
  const ul = $('obj-list');
  if (!listMatch.length) return;
  i = Math.max(0, Math.min(listMatch.length - 1, i));
  const top = i * ROW, h = ul.clientHeight;
  if (top < ul.scrollTop) ul.scrollTop = top;
  else if (top + ROW > ul.scrollTop + h) ul.scrollTop = top + ROW - h;
  paintList();
  ul.querySelector(`li[data-row="${i}"] button.obj`)?.focus({ preventScroll: true });
}
function wireList() {
  const ul = $('obj-list');
  ul.addEventListener('scroll', () => { if (!listPaint) listPaint = requestAnimationFrame(() => { listPaint = 0; paintList(); }); });
  ul.addEventListener('keydown', (e) => {
    const li = e.target.closest && e.target.closest('li[data-row]');
    if (!li || e.altKey || e.ctrlKey || e.metaKey) return;
    const i = Number(li.dataset.row), page = Math.max(1, Math.floor(ul.clientHeight / ROW) - 1);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: listMatch.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault(); e.stopPropagation();
    focusRow(to);
  });
}
function centreOn(o) {
  const b = G.bbox(o);
  if (!b) return;
  const r = S.renderer, [x0, y0, x1, y1] = r.visibleRect();
  if (b[0] >= x0 && b[2] <= x1 && b[1] >= y0 && b[3] <= y1) return;
  const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  r.setView(r.view.s, r.width / 2 - cx * r.view.s, r.height / 2 - cy * r.view.s);
}

// ---------- pointer ----------
function wirePointer(stage) {
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect();
    S.renderer.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  stage.addEventListener('pointerdown', (e) => { stage.focus({ preventScroll: true }); onDown(e); });
  stage.addEventListener('pointermove', onMove);
  stage.addEventListener('pointerup', onUp);
  stage.addEventListener('pointercancel', onUp);
  stage.addEventListener('dblclick', onDbl);
  stage.addEventListener('contextmenu', (e) => e.preventDefault());
  stage.addEventListener('pointerleave', () => { S.cursor = null; S.renderer.invalidate('ui'); });
}
function pos(e) {
  const r = $('stage').getBoundingClientRect();
  const sx = e.clientX - r.left, sy = e.clientY - r.top;
  const [x, y] = S.renderer.toImage(sx, sy);
  return { sx, sy, x, y };
}
const tol = () => 6 / S.renderer.view.s;
const visible = (o) => !S.hidden.has(o.id);

function handlesOf(o) {
  const hs = G.handles(o, S.renderer.visibleRect());
  if (o.type === 'box' && labelAllows(o.label, 'rotated_box')) hs.push({ x: (o.points[0] + o.points[2]) / 2, y: o.points[1], kind: 'r', i: 0, rotateBox: true });
  return hs;
}
function handleAt(o, x, y) {
  let best = null, bd = tol() ** 2;
  for (const h of handlesOf(o)) {
    const d = (h.x - x) ** 2 + (h.y - y) ** 2;
    if (d <= bd) { bd = d; best = h; }
  }
  return best;
}
function predAt(x, y) {
  for (let i = S.preds.length - 1; i >= 0; i--) if (G.hit(S.preds[i].obj, x, y, tol())) return S.preds[i];
  return null;
}

function onDown(e) {
  const p = pos(e);
  const stage = $('stage');
  if (e.button === 1 || (e.button === 0 && S.space)) {
    S.drag = { kind: 'pan', sx: p.sx, sy: p.sy };
    stage.classList.add('panning');
    capture(stage, e);
    e.preventDefault();
    return;
  }
  if (e.button !== 0) return;
  capture(stage, e);
  const t = S.tool;
  if (t === 'select') return selectDown(e, p);
  if (t === 'box' || t === 'ellipse' || t === 'cuboid' || t === 'ocr') {
    const shape = t === 'ocr' ? (labelFor('box') ? 'box' : labelFor('rotated_box') ? 'rotated_box' : 'polygon') : t === 'box' && !labelFor('box') && labelFor('rotated_box') ? 'rotated_box' : t;
    const label = labelFor(shape);
    if (!label) { hint(`No label of this project allows ${shape}`); return; }
    S.drag = { kind: 'draw', shape, label, x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    return;
  }
  if (t === 'polygon' || t === 'polyline' || t === 'points') return clickVertex(e, p, t);
  if (t === 'keypoints') return clickKeypoint(e, p);
  if (t === 'brush' || t === 'eraser') return brushDown(e, p);
}

function capture(stage, e) { try { stage.setPointerCapture(e.pointerId); } catch { /* synthetic events */ } }

function selectDown(e, p) {
  const o = single();
  if (o && !o.locked && visible(o)) {
    const h = handleAt(o, p.x, p.y);
    if (h) {
      if (e.altKey && h.kind === 'v') {
        const n = G.deleteVertex(o, h);
        if (n) S.model.commit([[o.id, n]], null, 'delete vertex'); else hint('A shape needs at least this many vertices');
        return;
      }
      let live = o;
      if (h.rotateBox) {
        const [x0, y0, x1, y1] = o.points;
        live = { ...o, type: 'rotated_box', points: [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0] };
      }
      if (h.kind === 'v') live = cloneGeom(live);
      S.vertex = h.kind === 'v' ? h : null;
      S.model.live.add(o.id); S.model.invalidate(o.id);
      S.drag = { kind: 'handle', id: o.id, h, live, moved: false };
      S.renderer.invalidate('obj', 'ui');
      return;
    }
  }
  const hit = S.model.topAt(p.x, p.y, tol(), visible, G.hit);
  if (!hit) {
    const pr = predAt(p.x, p.y);
    if (pr) { S.selected.clear(); S.selPred = pr; syncPreds(); scheduleSidebar(); S.renderer.invalidate('ui'); return; }
    if (!e.shiftKey) select([]);
    return;
  }
  if (e.shiftKey) { select([hit.id], true); return; }
  if (!S.selected.has(hit.id)) select([hit.id]);
  const movable = selectedObjs().filter((x) => !x.locked && x.type !== 'mask' && x.type !== 'tag');
  if (!movable.length) { if (hit.locked) hint('Locked: unlock it to edit'); return; }
  for (const m of movable) { S.model.live.add(m.id); S.model.invalidate(m.id); }
  S.drag = { kind: 'move', ids: movable.map((m) => m.id), orig: movable, x0: p.x, y0: p.y, dx: 0, dy: 0 };
  S.renderer.invalidate('obj', 'ui');
}
function cloneGeom(o) {
  if (o.rings) return { ...o, rings: o.rings.map((r) => r.slice()) };
  return { ...o, points: o.points.slice() };
}

function onMove(e) {
  const p = pos(e);
  S.cursor = p;
  const d = S.drag;
  if (!d) {
    if (S.tool === 'brush' || S.tool === 'eraser' || S.drawing) S.renderer.invalidate('ui');
    return;
  }
  if (d.kind === 'pan') { S.renderer.panBy(p.sx - d.sx, p.sy - d.sy); d.sx = p.sx; d.sy = p.sy; return; }
  if (d.kind === 'move') { d.dx = p.x - d.x0; d.dy = p.y - d.y0; S.renderer.invalidate('ui'); return; }
  if (d.kind === 'handle') {
    d.moved = true;
    if (d.h.kind === 'v') G.moveVertexInPlace(d.live, d.h, p.x, p.y);
    else d.live = G.dragHandle(d.live, d.h.rotateBox ? { kind: 'r' } : d.h, p.x, p.y);
    d.path = null;
    S.renderer.invalidate('ui');
    return;
  }
  if (d.kind === 'draw') { d.x1 = p.x; d.y1 = p.y; S.renderer.invalidate('ui'); return; }
  if (d.kind === 'brush') { stamp(d, p.x, p.y); S.renderer.invalidate('ui'); }
}

function onUp(e) {
  const d = S.drag;
  S.drag = null;
  $('stage').classList.remove('panning');
  if (!d) return;
  if (d.kind === 'move') {
    for (const id of d.ids) S.model.live.delete(id);
    if (d.dx || d.dy) S.model.commit(d.orig.map((o) => [o.id, G.translate(o, round(d.dx), round(d.dy))]), null, 'move');
    else { for (const id of d.ids) S.model.invalidate(id); S.renderer.invalidate('obj', 'ui'); }
  } else if (d.kind === 'handle') {
    S.model.live.delete(d.id);
    if (d.moved) S.model.commit([[d.id, d.live]], null, 'edit');
    else { S.model.invalidate(d.id); S.renderer.invalidate('obj', 'ui'); }
  } else if (d.kind === 'draw') finishDrag(d);
  else if (d.kind === 'brush') brushUp(d);
  void e;
}
const round = (v) => Math.round(v * 100) / 100;

function finishDrag(d) {
  const x0 = Math.min(d.x0, d.x1), x1 = Math.max(d.x0, d.x1), y0 = Math.min(d.y0, d.y1), y1 = Math.max(d.y0, d.y1);
  if (x1 - x0 < 2 / S.renderer.view.s && y1 - y0 < 2 / S.renderer.view.s) return;
  const r = [x0, y0, x1, y1].map(round);
  let geom;
  switch (d.shape) {
    case 'box': geom = { points: r }; break;
    case 'rotated_box': geom = { points: [round((x0 + x1) / 2), round((y0 + y1) / 2), round(x1 - x0), round(y1 - y0), 0] }; break;
    case 'ellipse': geom = { points: [round((x0 + x1) / 2), round((y0 + y1) / 2), round((x1 - x0) / 2), round((y1 - y0) / 2), 0] }; break;
    case 'polygon': geom = { points: [r[0], r[1], r[2], r[1], r[2], r[3], r[0], r[3]] }; break;
    case 'cuboid': {
      const dx = round((x1 - x0) * 0.3), dy = round(-(y1 - y0) * 0.3);
      const front = [r[0], r[1], r[2], r[1], r[2], r[3], r[0], r[3]];
      geom = { points: [...front, ...front.map((v, i) => round(v + (i & 1 ? dy : dx)))] };
      break;
    }
    default: return;
  }
  const o = newObject(d.label, d.shape, geom);
  if (S.tool === 'ocr') o.text = '';
  S.model.commit([[o.id, o]], null, `draw ${d.shape}`);
  select([o.id]);
  if (S.tool === 'ocr') requestAnimationFrame(() => requestAnimationFrame(() => $('obj-text')?.focus()));
  else focusRequired(o);
}
// A new object with a required attribute that has no value: put the cursor there.
function focusRequired(o) {
  const a = (S.labels.get(o.label)?.attributes || []).find((x) => x.required && (o.attributes?.[x.name] ?? null) === null);
  if (a) {
    hint(`'${a.name}' is required for ${o.label}`);
    requestAnimationFrame(() => requestAnimationFrame(() => $(`objattr-${a.name}`)?.focus()));
  }
}

function clickVertex(e, p, t) {
  const label = labelFor(t);
  if (!label) { hint(`No label of this project allows ${t}`); return; }
  const d = S.drawing;
  if (!d) { S.drawing = { type: t, label, pts: [round(p.x), round(p.y)] }; S.renderer.invalidate('ui'); return; }
  if (t === 'polygon' && d.pts.length >= 6) {
    const [fx, fy] = S.renderer.toScreen(d.pts[0], d.pts[1]);
    if (Math.hypot(fx - p.sx, fy - p.sy) <= 8) { finishDrawing(); return; }
  }
  d.pts.push(round(p.x), round(p.y));
  S.renderer.invalidate('ui');
}
function onDbl() {
  if (S.drawing && (S.drawing.type === 'polyline' || S.drawing.type === 'polygon')) {
    // The two clicks of the double-click added the same vertex twice: drop one.
    const q = S.drawing.pts, n = q.length;
    if (n >= 4 && q[n - 1] === q[n - 3] && q[n - 2] === q[n - 4]) q.length = n - 2;
    finishDrawing();
    return;
  }
  if (S.tool !== 'select' || !S.cursor) return;
  const o = single();
  if (!o || o.locked) return;
  const e = G.nearestEdge(o, S.cursor.x, S.cursor.y, tol());
  if (e) { e.x = round(e.x); e.y = round(e.y); S.model.commit([[o.id, G.insertVertex(o, e)]], null, 'insert vertex'); }
}
function clickKeypoint(e, p) {
  let d = S.drawing;
  if (!d) {
    const label = [S.label, ...S.labels.keys()].find((n) => n && labelAllows(n, 'keypoints'));
    if (!label) { hint('No label of this project has a skeleton'); return; }
    d = S.drawing = { type: 'keypoints', label, pts: [] };
  }
  d.pts.push(round(p.x), round(p.y), e.shiftKey ? 1 : 2);
  afterKeypoint();
}
function afterKeypoint() {
  const d = S.drawing;
  const n = S.labels.get(d.label).skeleton.points.length;
  if (d.pts.length / 3 >= n) finishDrawing(); else { toolHint(); S.renderer.invalidate('ui'); }
}
function finishDrawing() {
  const d = S.drawing;
  if (!d) return;
  S.drawing = null;
  const min = { polygon: 6, polyline: 4, points: 2, keypoints: 3 }[d.type];
  if (d.pts.length < min) { hint(`A ${d.type} needs more points`); S.renderer.invalidate('ui'); return; }
  const geom = { points: d.pts.slice() };
  if (d.type === 'keypoints') {
    const n = S.labels.get(d.label).skeleton.points.length;
    while (geom.points.length < n * 3) geom.points.push(0, 0, 0);
  }
  const o = newObject(d.label, d.type, geom);
  if (d.type === 'keypoints') {
    const par = single();
    if (par && par.label === d.label && par.type !== 'keypoints') o.parent = par.id;
  }
  S.model.commit([[o.id, o]], null, `draw ${d.type}`);
  select([o.id]);
  toolHint();
  focusRequired(o);
}
function cancelDrawing() { S.drawing = null; S.drag = null; toolHint(); S.renderer.invalidate('ui'); }

// ---------- brush ----------
function brushDown(e, p) {
  const w = S.item.width, h = S.item.height;
  if (w * h > 64e6) { hint('Masks are limited to images of 64 megapixels'); return; }
  let target = single();
  if (!target || target.type !== 'mask') target = null;
  if (S.tool === 'eraser' && !target) target = S.model.topAt(p.x, p.y, 0, (o) => o.type === 'mask' && visible(o), G.hit);
  if (target && target.locked) { hint('Locked: unlock it to edit'); return; }
  const label = target ? target.label : labelFor('mask');
  if (!label) { hint('No label of this project allows masks'); return; }
  if (S.tool === 'eraser' && !target) { hint('Select a mask to erase from'); return; }
  const bits = target ? G.maskOf(target).bits.slice() : new Uint8Array(w * h);
  const d = S.drag = { kind: 'brush', erase: S.tool === 'eraser', target, label, bits, w, h, r: S.brush / 2, stamps: [], last: null };
  stamp(d, p.x, p.y);
  S.renderer.invalidate('ui');
}
function stamp(d, x, y) {
  const pts = [];
  if (d.last) {
    const [lx, ly] = d.last, dist = Math.hypot(x - lx, y - ly), step = Math.max(1, d.r / 2);
    for (let t = step; t < dist; t += step) pts.push([lx + ((x - lx) * t) / dist, ly + ((y - ly) * t) / dist]);
  }
  pts.push([x, y]);
  d.last = [x, y];
  const r = d.r, r2 = r * r, v = d.erase ? 0 : 1;
  for (const [cx, cy] of pts) {
    d.stamps.push([cx, cy]);
    const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(d.w - 1, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(d.h - 1, Math.ceil(cy + r));
    for (let yy = y0; yy <= y1; yy++) {
      const dy = yy + 0.5 - cy, row = yy * d.w;
      for (let xx = x0; xx <= x1; xx++) { const dx = xx + 0.5 - cx; if (dx * dx + dy * dy <= r2) d.bits[row + xx] = v; }
    }
  }
}
function brushUp(d) {
  const m = rle.encode(d.bits, d.h, d.w);
  const empty = !rle.bboxOf(d.bits, d.h, d.w);
  if (d.target) {
    if (empty) S.model.commit([[d.target.id, null]], null, 'erase mask');
    else { S.model.commit([[d.target.id, { ...d.target, rle: m }]], null, d.erase ? 'erase' : 'paint'); select([d.target.id]); }
  } else if (!empty) {
    const o = newObject(d.label, 'mask', { rle: m });
    S.model.commit([[o.id, o]], null, 'paint mask');
    select([o.id]);
  }
}

// ---------- overlay ----------
function drawOverlay(ctx) {
  const r = S.renderer;
  ctx.setTransform(r.dpr, 0, 0, r.dpr, 0, 0);
  const d = S.drag;
  const liveIds = new Set();
  if (d && d.kind === 'move') {
    for (const o of d.orig) { liveIds.add(o.id); r.outline(ctx, o, { color: '#ffffff', width: 2, fill: true, dx: d.dx, dy: d.dy }); }
  }
  if (d && d.kind === 'handle') { liveIds.add(d.id); r.outline(ctx, d.live, { color: '#ffffff', width: 2, fill: true }); drawHandles(ctx, d.live); }
  for (const o of selectedObjs()) {
    if (liveIds.has(o.id) || S.hidden.has(o.id)) continue;
    r.outline(ctx, o, { color: o.locked ? '#aaaaaa' : '#ffffff', width: 2, dash: [5, 4] });
    if (S.selected.size === 1 && !o.locked) drawHandles(ctx, o);
  }
  if (S.selPred) r.outline(ctx, S.selPred.obj, { color: '#ffffff', width: 3, dash: [3, 3] });
  if (d && d.kind === 'draw') {
    const st = r.style(d.label);
    const [a, b] = r.toScreen(Math.min(d.x0, d.x1), Math.min(d.y0, d.y1)), [c, e] = r.toScreen(Math.max(d.x0, d.x1), Math.max(d.y0, d.y1));
    ctx.strokeStyle = st.color; ctx.lineWidth = 2;
    ctx.beginPath();
    if (d.shape === 'ellipse') ctx.ellipse((a + c) / 2, (b + e) / 2, (c - a) / 2, (e - b) / 2, 0, 0, 2 * Math.PI);
    else ctx.rect(a, b, c - a, e - b);
    ctx.stroke();
  }
  if (S.drawing) {
    const dr = S.drawing, st = r.style(dr.label), step = dr.type === 'keypoints' ? 3 : 2;
    const q = dr.pts;
    ctx.strokeStyle = st.color; ctx.fillStyle = st.color; ctx.lineWidth = 2;
    if (dr.type !== 'points' && dr.type !== 'keypoints') {
      ctx.beginPath();
      for (let i = 0; i < q.length; i += step) { const [x, y] = r.toScreen(q[i], q[i + 1]); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); }
      if (S.cursor) ctx.lineTo(S.cursor.sx, S.cursor.sy);
      ctx.stroke();
    }
    for (let i = 0; i < q.length; i += step) {
      if (step === 3 && !q[i + 2]) continue;
      const [x, y] = r.toScreen(q[i], q[i + 1]);
      ctx.beginPath(); ctx.arc(x, y, i === 0 && dr.type === 'polygon' ? 6 : 4, 0, 2 * Math.PI); ctx.fill();
      ctx.strokeStyle = '#000'; ctx.lineWidth = 1; ctx.stroke(); ctx.strokeStyle = st.color; ctx.lineWidth = 2;
    }
  }
  if (d && d.kind === 'brush') {
    const st = r.style(d.label);
    ctx.fillStyle = d.erase ? 'rgba(0,0,0,0.55)' : st.color;
    ctx.globalAlpha = d.erase ? 1 : 0.5;
    ctx.beginPath();
    for (const [x, y] of d.stamps) { const [sx, sy] = r.toScreen(x, y); ctx.moveTo(sx + d.r * r.view.s, sy); ctx.arc(sx, sy, d.r * r.view.s, 0, 2 * Math.PI); }
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  if ((S.tool === 'brush' || S.tool === 'eraser') && S.cursor) {
    ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(S.cursor.sx, S.cursor.sy, (S.brush / 2) * r.view.s, 0, 2 * Math.PI); ctx.stroke();
    ctx.strokeStyle = '#000000'; ctx.beginPath(); ctx.arc(S.cursor.sx, S.cursor.sy, (S.brush / 2) * r.view.s + 1.5, 0, 2 * Math.PI); ctx.stroke();
  }
}
function drawHandles(ctx, o) {
  const r = S.renderer;
  const hs = handlesOf(o);
  if (hs.length > 3000) return;
  for (const h of hs) {
    const [x, y] = r.toScreen(h.x, h.y);
    const act = S.vertex && h.kind === 'v' && S.vertex.i === h.i && S.vertex.ring === h.ring;
    ctx.fillStyle = h.kind === 'r' ? '#ffd23f' : act ? '#ff9f1c' : '#ffffff';
    ctx.strokeStyle = '#000000'; ctx.lineWidth = 1.5;
    ctx.beginPath();
    if (h.kind === 'r') ctx.arc(x, y, 6, 0, 2 * Math.PI); else ctx.rect(x - 4, y - 4, 8, 8);
    ctx.fill(); ctx.stroke();
  }
}

// ---------- keyboard ----------
function onKey(e) {
  const t = e.target;
  const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if ($('help-dialog').open && S.rebinding) { e.preventDefault(); finishRebind(e); return; }
  if (document.querySelector('dialog[open]')) return;
  if (typing) return;
  // Enter and Space on a focused button or link press it (the object list,
  // the toolbar, the sidebar's forms): they are not the editor's
  // shortcuts (finish, pan) there, or no button could be pressed by keyboard.
  if ((e.key === 'Enter' || e.key === ' ') && !e.ctrlKey && !e.metaKey && !e.altKey && t && (t.tagName === 'BUTTON' || t.tagName === 'A' || t.tagName === 'SUMMARY')) return;
  if (e.key === ' ') { S.space = true; e.preventDefault(); return; }
  const k = keyOf(e);
  const action = Object.keys(keymap).find((a) => keymap[a] === k);
  if (action) { e.preventDefault(); doAction(action); return; }
  if (e.key.startsWith('Arrow') && S.selected.size && !e.altKey) {
    e.preventDefault();
    const n = e.shiftKey ? 10 : 1;
    const dx = e.key === 'ArrowLeft' ? -n : e.key === 'ArrowRight' ? n : 0, dy = e.key === 'ArrowUp' ? -n : e.key === 'ArrowDown' ? n : 0;
    S.model.commit(selectedObjs().filter((o) => !o.locked).map((o) => [o.id, G.translate(o, dx, dy)]), null, 'nudge');
    return;
  }
  if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key.length === 1) {
    const l = S.schema && S.schema.labels.find((x) => x.hotkey === e.key);
    if (l) { e.preventDefault(); setLabel(l.name); }
  }
}

async function doAction(a) {
  const m = S.model;
  if (a.startsWith('tool:')) return setTool(a.slice(5));
  switch (a) {
    case 'undo': if (S.drawing) { cancelDrawing(); return; } m.undo(); pruneSelection(); return;
    case 'redo': case 'redo2': m.redo(); pruneSelection(); return;
    case 'copy': {
      const objs = selectedObjs();
      if (objs.length) { localStorage.setItem('cairn.editor.clipboard', JSON.stringify({ item: S.itemId, objects: objs })); hint(`Copied ${objs.length} object(s)`); }
      return;
    }
    case 'paste': {
      let clip;
      try { clip = JSON.parse(localStorage.getItem('cairn.editor.clipboard') || 'null'); } catch { clip = null; }
      if (!clip) return;
      const off = clip.item === S.itemId ? 10 : 0;
      pasteObjects(clip.objects, off);
      return;
    }
    case 'duplicate': pasteObjects(selectedObjs(), 10); return;
    case 'delete': case 'delete2': {
      if (S.drawing) { S.drawing.pts.length -= S.drawing.type === 'keypoints' ? 3 : 2; if (!S.drawing.pts.length) cancelDrawing(); else S.renderer.invalidate('ui'); return; }
      const o = single();
      if (o && S.vertex && !o.locked) {
        const n = G.deleteVertex(o, S.vertex);
        S.vertex = null;
        if (n) m.commit([[o.id, n]], null, 'delete vertex');
        return;
      }
      const del = selectedObjs().filter((x) => !x.locked);
      if (del.length) { m.commit(del.map((x) => [x.id, null]), null, 'delete'); select([]); }
      else if (S.selPred) rejectPreds([S.selPred]);
      return;
    }
    case 'finish': if (S.drawing) finishDrawing(); return;
    case 'cancel': if (S.drawing || S.drag) cancelDrawing(); else if (S.vertex) { S.vertex = null; S.renderer.invalidate('ui'); } else select([]); return;
    case 'fit': S.renderer.fit(); return;
    case 'one': S.renderer.oneToOne(); return;
    case 'zoomIn': S.renderer.zoomAt(1.25, S.renderer.width / 2, S.renderer.height / 2); return;
    case 'zoomOut': S.renderer.zoomAt(0.8, S.renderer.width / 2, S.renderer.height / 2); return;
    case 'hide': toggleHidden([...S.selected]); return;
    case 'lock': { const s = selectedObjs(); const to = !s.every((o) => o.locked); m.commit(s.map((o) => [o.id, { ...o, locked: to }]), null, 'lock'); return; }
    case 'occluded': { const s = selectedObjs().filter((o) => !o.locked); const to = !s.every((o) => o.occluded); m.commit(s.map((o) => [o.id, { ...o, occluded: to }]), null, 'occluded'); return; }
    case 'raise': case 'lower': m.commit(selectedObjs().filter((o) => !o.locked).map((o) => [o.id, { ...o, z_order: (o.z_order || 0) + (a === 'raise' ? 1 : -1) }]), null, 'z-order'); return;
    case 'nextObj': case 'prevObj': {
      const ids = [...m.objects.keys()].filter((id) => !S.hidden.has(id));
      if (!ids.length) return;
      const cur = ids.indexOf(single()?.id);
      const n = (cur + (a === 'nextObj' ? 1 : -1) + ids.length) % ids.length;
      select([ids[cur < 0 ? 0 : n]]); centreOn(m.objects.get(ids[cur < 0 ? 0 : n]));
      return;
    }
    case 'brushUp': case 'brushDown': {
      S.brush = Math.max(1, Math.min(200, Math.round(S.brush * (a === 'brushUp' ? 1.25 : 0.8))));
      $('brush-size').value = S.brush; $('brush-out').textContent = S.brush; S.renderer.invalidate('ui');
      return;
    }
    case 'accept': if (S.selPred) acceptPreds([S.selPred]); return;
    case 'reject': if (S.selPred) rejectPreds([S.selPred]); return;
    case 'acceptAll': acceptPreds(S.preds.slice()); return;
    case 'rejectAll': rejectPreds(S.preds.slice()); return;
    case 'absent': if (S.drawing && S.drawing.type === 'keypoints') { S.drawing.pts.push(0, 0, 0); afterKeypoint(); } return;
    case 'help': showHelp(); return;
    case 'submit': return submit();
    case 'nextItem': case 'skip': return goNext(a === 'skip');
    case 'prevItem': return goPrev();
    default:
  }
}
function pruneSelection() {
  S.vertex = null;
  for (const id of [...S.selected]) if (!S.model.objects.has(id)) S.selected.delete(id);
  S.renderer.invalidate('ui');
  renderItemForm();
}
function pasteObjects(objs, off) {
  if (!objs.length) return;
  const ch = objs.filter((o) => S.labels.has(o.label)).map((o) => {
    const n = { ...G.translate(o, off, off), id: S.model.newId(), parent: null, locked: false };
    return [n.id, n];
  });
  S.model.commit(ch, null, 'paste');
  select(ch.map((c) => c[0]));
}

// ---------- navigation ----------
async function submit() {
  if (!S.saver || S.review) return;
  const ok = await S.saver.flush({ status: 'submitted' });
  if (ok) goNext(false);
}
async function goNext(skip) {
  if (S.review) return;
  if (S.saver) await S.saver.flush();
  let id = null;
  try { id = await nextFromQueue(S.project, skip || S.nextId ? S.itemId : null); } catch { id = null; }
  if (id === null || id === S.itemId) {
    const r = await api.get(`/projects/${S.project}/items?limit=1&after=${S.itemId}`).catch(() => null);
    id = r && r.items && r.items[0] ? r.items[0].id : null;
  }
  if (id === null) { setStatus('saved', 'No more items'); return; }
  location.hash = `project=${S.project}&item=${id}`;
}
async function goPrev() {
  if (S.review) return;
  let id = S.history.pop();
  if (!id) {
    const r = await api.get(`/projects/${S.project}/items?limit=1000`).catch(() => null);
    const ids = r ? r.items.map((i) => i.id) : [];
    const k = ids.indexOf(S.itemId);
    id = k > 0 ? ids[k - 1] : null;
  }
  if (!id) { hint('This is the first item'); return; }
  const p = S.project;
  await leaveItem();
  S.itemId = null;
  history.pushState(null, '', `#project=${p}&item=${id}`);
  await loadItem(p, id);
  S.history.pop();
}

// ---------- help and key binding ----------
function showHelp() { renderHelp(); $('help-dialog').showModal(); }
function renderHelp() {
  const tb = $('help-table').tBodies[0];
  tb.replaceChildren(...Object.entries(ACTIONS).map(([a, [name]]) => el('tr', {},
    el('td', { text: name }), el('td', {}, el('kbd', { text: S.rebinding === a ? 'press a key…' : keymap[a] })),
    el('td', {}, el('button', { type: 'button', 'aria-label': `Change the key of ${name}`, onclick: () => { S.rebinding = a; renderHelp(); } }, 'Change')))));
}
function finishRebind(e) {
  if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
  const a = S.rebinding;
  S.rebinding = null;
  if (e.key !== 'Escape') {
    const k = keyOf(e);
    let custom = {};
    try { custom = JSON.parse(localStorage.getItem(KEYS_STORE) || '{}'); } catch { custom = {}; }
    for (const [b, kb] of Object.entries(keymap)) if (kb === k && b !== a) { custom[b] = ''; }
    custom[a] = k;
    localStorage.setItem(KEYS_STORE, JSON.stringify(custom));
    loadKeys();
    updateToolTitles();
  }
  renderHelp();
}

// ---------- conflicts, sign-in, invalid ----------
function describe(doc, ids) {
  const m = new Map((doc.objects || []).map((o) => [o.id, o]));
  return ids.map((id) => { const o = m.get(id); return o ? `${o.label} ${o.type} (${id})` : id; });
}
function showConflict(c, fromBuffer = false) {
  const theirs = c.current.document || { objects: [] };
  const base = c.base || { objects: [] };
  const mineD = diffDocs(base, c.mine), theirD = diffDocs(base, theirs);
  const section = (title, doc, d) => el('div', { class: 'diff' }, el('h3', { text: title }),
    el('ul', {}, ...describe(doc, d.added).map((t) => el('li', { class: 'add', text: `added ${t}` })),
      ...describe(base, d.removed).map((t) => el('li', { class: 'del', text: `removed ${t}` })),
      ...describe(doc, d.changed).map((t) => el('li', { class: 'chg', text: `changed ${t}` })),
      d.attributes ? el('li', { class: 'chg', text: 'changed the item attributes' }) : null,
      !d.added.length && !d.removed.length && !d.changed.length && !d.attributes ? el('li', { text: 'nothing' }) : null));
  $('conflict-body').replaceChildren(
    el('p', { text: fromBuffer ? 'This browser kept changes that were not saved, and the item has been saved since (version ' + c.current.version + ').' : `Version ${c.current.version} was saved while you were editing.` }),
    section('Your changes', c.mine, mineD), section('Their changes', theirs, theirD),
    el('p', { class: 'muted', text: 'Merge keeps both; where both changed the same object yours wins. Whatever you choose can be undone.' }));
  const dlg = $('conflict-dialog');
  // The choice is applied to what the page holds now (edits made while the
  // dialog was open included), as undoable steps: Undo brings the other side back.
  const done = async (choice) => {
    dlg.close();
    const mineDoc = fromBuffer ? c.mine : S.model.toDoc();
    S.saver.resolved(c.current.version, theirs);
    const toDoc = (doc, what) => {
      const ch = replaceAllChanges(doc);
      const attrsDiffer = JSON.stringify(doc.attributes || {}) !== JSON.stringify(S.model.attributes || {});
      if (!ch.length && !attrsDiffer) return false;
      S.model.commit(ch, attrsDiffer ? doc.attributes || {} : null, what);
      return true;
    };
    if (choice === 'theirs') {
      S.suppress = true;
      toDoc(mineDoc, 'mine');
      toDoc(theirs, 'take theirs');
      S.suppress = false;
      await S.saver.clean(c.current.version, theirs);
      hint('Took their version; Undo brings yours back');
    } else {
      const doc = choice === 'merge' ? merge3(base, mineDoc, theirs).doc : mineDoc;
      if (!toDoc(doc, choice === 'merge' ? 'merge' : 'keep mine')) S.saver.changed();
      await S.saver.flush();
    }
    pruneSelection();
  };
  $('btn-mine').onclick = () => done('mine');
  $('btn-theirs').onclick = () => done('theirs');
  $('btn-merge').onclick = () => done('merge');
  if (!dlg.open) dlg.showModal();
}
function askSignIn() {
  const d = $('signin-dialog');
  if (!d.open) { $('si-user').value = S.me?.user?.name || ''; d.showModal(); $('si-pass').focus(); }
}
function showInvalid(err) {
  const m = /^\$\.objects\[(\d+)\]/.exec(err.field || err.message || '');
  if (m) {
    const o = [...S.model.objects.values()][Number(m[1])];
    if (o) { select([o.id]); centreOn(o); }
  }
}

boot();
