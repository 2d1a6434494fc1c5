// model.js - the document being edited: objects by id, item attributes,
// unlimited undo and redo, and two spatial structures kept up to date on
// every change: a uniform grid for hit-testing and draw chunks (objects
// grouped by the cell of their centre, each with cached paths) so that the
// renderer only draws what is in view and rebuilds only what changed.
import { bbox } from './geom.js';

const CELL = 256;     // hit-test grid cell, image pixels
const CHUNK = 256;    // draw chunk, image pixels (small: one big path rasterises slowly when zoomed in)
const BIG = 256;      // objects over this many cells go to a list of their own
// A cell's key: one small integer (V8 hashes these without allocating,
// where 'x,y' strings cost a concatenation each); cells within 4 million
// pixels of the origin.
const OFF = 16384;
const key = (x, y) => (Math.max(-OFF, Math.min(OFF - 1, y)) + OFF) * 32768 + Math.max(-OFF, Math.min(OFF - 1, x)) + OFF;

export class Model {
  constructor() {
    this.objects = new Map();   // id -> object (insertion order = document order)
    this.attributes = {};
    this.relations = [];
    this.extra = {};            // unknown top-level keys, passed through
    this.undoStack = [];
    this.redoStack = [];
    this.listeners = new Set();
    this.grid = new Map();      // cell key -> Set of ids
    this.big = new Set();
    this.cellsOf = new Map();   // id -> [keys] or 'big'
    this.chunks = new Map();    // chunk key -> {ids: Set, bounds, paths: null}
    this.chunkOf = new Map();   // id -> chunk key
    this.boxes = new Map();     // id -> bbox
    this.live = new Set();      // ids drawn by the overlay, not the chunks
    this.seq = 0;
  }

  on(fn) { this.listeners.add(fn); }
  emit(kind, ids) { for (const fn of this.listeners) fn(kind, ids); }

  load(doc) {
    this.objects.clear(); this.grid.clear(); this.big.clear(); this.cellsOf.clear();
    this.chunks.clear(); this.chunkOf.clear(); this.boxes.clear(); this.live.clear();
    const { objects = [], attributes = {}, relations = [], format, ...extra } = doc || {};
    void format;
    this.attributes = { ...attributes };
    this.relations = relations.slice();
    this.extra = extra;
    for (const o of objects) { this.objects.set(o.id, o); this.index(o); }
    this.emit('load', null);
  }

  toDoc() {
    return { format: 1, ...this.extra, attributes: this.attributes, objects: [...this.objects.values()], relations: this.relations };
  }

  newId() {
    let id;
    do { id = `o${Date.now().toString(36)}${(this.seq++).toString(36)}${Math.random().toString(36).slice(2, 5)}`; } while (this.objects.has(id));
    return id;
  }

  // --- spatial index ---
  index(o) {
    const b = bbox(o);
    if (!b) return;
    this.boxes.set(o.id, b);
    const cx0 = Math.floor(b[0] / CELL), cy0 = Math.floor(b[1] / CELL);
    const cx1 = Math.floor(b[2] / CELL), cy1 = Math.floor(b[3] / CELL);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > BIG) {
      this.big.add(o.id); this.cellsOf.set(o.id, 'big');
    } else {
      const keys = [];
      for (let y = cy0; y <= cy1; y++) for (let x = cx0; x <= cx1; x++) {
        const k = key(x, y);
        let s = this.grid.get(k);
        if (!s) this.grid.set(k, (s = new Set()));
        s.add(o.id); keys.push(k);
      }
      this.cellsOf.set(o.id, keys);
    }
    const ck = key(Math.floor((b[0] + b[2]) / 2 / CHUNK), Math.floor((b[1] + b[3]) / 2 / CHUNK));
    let c = this.chunks.get(ck);
    if (!c) this.chunks.set(ck, (c = { ids: new Set(), bounds: null, paths: null }));
    c.ids.add(o.id); c.paths = null; c.bounds = null;
    this.chunkOf.set(o.id, ck);
  }

  unindex(id) {
    const cells = this.cellsOf.get(id);
    if (cells === 'big') this.big.delete(id);
    else if (cells) for (const k of cells) { const s = this.grid.get(k); s.delete(id); if (!s.size) this.grid.delete(k); }
    this.cellsOf.delete(id);
    const ck = this.chunkOf.get(id);
    if (ck !== undefined) {
      const c = this.chunks.get(ck);
      c.ids.delete(id); c.paths = null; c.bounds = null;
      if (!c.ids.size) this.chunks.delete(ck);
      this.chunkOf.delete(id);
    }
    this.boxes.delete(id);
  }

  invalidate(id) {
    const ck = this.chunkOf.get(id);
    if (ck !== undefined) { const c = this.chunks.get(ck); if (c) c.paths = null; }
  }

  // Ids whose bounding box may contain (x, y) (tol: image pixels).
  candidatesAt(x, y, tol = 0) {
    const out = new Set(this.big);
    const cx0 = Math.floor((x - tol) / CELL), cx1 = Math.floor((x + tol) / CELL);
    const cy0 = Math.floor((y - tol) / CELL), cy1 = Math.floor((y + tol) / CELL);
    for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) {
      const s = this.grid.get(key(cx, cy));
      if (s) for (const id of s) out.add(id);
    }
    return out;
  }

  // Chunks whose objects' union box meets the rectangle.
  chunksIn(r) {
    const out = [];
    for (const c of this.chunks.values()) {
      if (!c.bounds) {
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const id of c.ids) {
          const b = this.boxes.get(id);
          if (b[0] < x0) x0 = b[0]; if (b[1] < y0) y0 = b[1];
          if (b[2] > x1) x1 = b[2]; if (b[3] > y1) y1 = b[3];
        }
        c.bounds = [x0, y0, x1, y1];
      }
      const b = c.bounds;
      if (b[2] >= r[0] && b[0] <= r[2] && b[3] >= r[1] && b[1] <= r[3]) out.push(c);
    }
    return out;
  }

  // --- edits ---
  // changes: [[id, before|null, after|null]]; attrs: [before, after] or null.
  apply(changes, attrs, dir) {
    const ids = [];
    for (const [id, before, after] of changes) {
      const next = dir > 0 ? after : before;
      this.unindex(id);
      if (next) {
        this.objects.set(id, next);
        this.index(next);
      } else this.objects.delete(id);
      ids.push(id);
    }
    if (attrs) this.attributes = { ...(dir > 0 ? attrs[1] : attrs[0]) };
    this.emit('change', ids);
  }

  // Records and applies one undoable step. changes: [[id, after|null]].
  commit(changes, attrsAfter = null, what = '') {
    const full = changes.map(([id, after]) => [id, this.objects.get(id) || null, after]);
    const attrs = attrsAfter ? [this.attributes, attrsAfter] : null;
    if (!full.length && !attrs) return;
    const step = { changes: full, attrs, what };
    this.undoStack.push(step);
    this.redoStack.length = 0;
    this.apply(full, attrs, 1);
  }

  undo() {
    const s = this.undoStack.pop();
    if (!s) return false;
    this.redoStack.push(s);
    this.apply(s.changes.slice().reverse(), s.attrs, -1);
    return true;
  }

  redo() {
    const s = this.redoStack.pop();
    if (!s) return false;
    this.undoStack.push(s);
    this.apply(s.changes, s.attrs, 1);
    return true;
  }

  // The topmost object at (x, y): highest z_order, then latest in the document.
  topAt(x, y, tol, accept, hitFn) {
    let best = null, bz = -Infinity, bi = -1;
    const order = this.orderIndex();
    for (const id of this.candidatesAt(x, y, tol)) {
      const o = this.objects.get(id);
      if (!o || (accept && !accept(o))) continue;
      const z = o.z_order || 0, i = order.get(id);
      if (z < bz || (z === bz && i < bi)) continue;
      if (hitFn(o, x, y, tol)) { best = o; bz = z; bi = i; }
    }
    return best;
  }

  orderIndex() {
    if (!this._order || this._orderVersion !== this.undoStack.length + ':' + this.redoStack.length + ':' + this.objects.size) {
      this._order = new Map();
      let i = 0;
      for (const id of this.objects.keys()) this._order.set(id, i++);
      this._orderVersion = this.undoStack.length + ':' + this.redoStack.length + ':' + this.objects.size;
    }
    return this._order;
  }
}

// What differs between two documents, by object id.
export function diffDocs(a, b) {
  const am = new Map((a.objects || []).map((o) => [o.id, o]));
  const bm = new Map((b.objects || []).map((o) => [o.id, o]));
  const added = [], removed = [], changed = [];
  for (const [id, o] of bm) {
    if (!am.has(id)) added.push(id);
    else if (!sameObject(am.get(id), o)) changed.push(id);
  }
  for (const id of am.keys()) if (!bm.has(id)) removed.push(id);
  const attributes = JSON.stringify(canon(a.attributes || {})) !== JSON.stringify(canon(b.attributes || {}));
  return { added, removed, changed, attributes };
}

// Compares two objects ignoring keys that are null/absent/default on one side.
export function sameObject(a, b) { return JSON.stringify(canon(a)) === JSON.stringify(canon(b)); }

const defaults = { occluded: false, z_order: 0, group: null, parent: null, frame: null, track: null, keyframe: false, outside: false, score: null, text: null, locked: false };

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x === null || x === undefined) continue;
      if (k in defaults && defaults[k] === x) continue;
      if (Array.isArray(x) && !x.length && k !== 'points') continue;
      out[k] = canon(x);
    }
    return out;
  }
  return v;
}

// Three-way merge by object id: theirs, plus my additions, removals and
// changes of objects they did not touch; where both changed one, mine wins
// and the id is listed in `both`.
export function merge3(base, mine, theirs) {
  const bm = new Map((base.objects || []).map((o) => [o.id, o]));
  const mm = new Map((mine.objects || []).map((o) => [o.id, o]));
  const tm = new Map((theirs.objects || []).map((o) => [o.id, o]));
  const out = new Map(tm);
  const both = [];
  for (const [id, o] of mm) {
    const b = bm.get(id), t = tm.get(id);
    if (!b) { out.set(id, o); continue; }               // I added it
    if (sameObject(b, o)) continue;                      // I did not touch it
    if (!t) { out.set(id, o); both.push(id); continue; } // they removed what I changed: keep mine
    if (!sameObject(b, t)) both.push(id);
    out.set(id, o);
  }
  for (const [id, b] of bm) {
    if (mm.has(id)) continue;                            // I removed it
    const t = tm.get(id);
    if (t && sameObject(b, t)) out.delete(id);
    else if (t) both.push(id);                           // they changed what I removed: keep theirs
  }
  const attrsMine = JSON.stringify(canon(mine.attributes || {})) !== JSON.stringify(canon(base.attributes || {}));
  return {
    doc: { ...theirs, attributes: attrsMine ? mine.attributes : theirs.attributes, objects: [...out.values()] },
    both,
  };
}
