// render.js - the three stacked canvases of the editor: the image (a plain
// image, or Deep Zoom tiles of the right level for very large images), the
// objects (drawn per chunk from cached Path2D runs, only the chunks in
// view) and the overlay (selection, handles, the shape being drawn). Each
// layer is redrawn only when something it shows changed, at most once per
// animation frame.
import { addPath, filled, maskCanvas } from './geom.js';

export class Renderer {
  constructor(wrap, model) {
    this.wrap = wrap;
    this.model = model;
    this.layers = {};
    for (const name of ['img', 'obj', 'ui']) {
      const c = document.createElement('canvas');
      c.className = `layer layer-${name}`;
      c.setAttribute('aria-hidden', 'true');
      wrap.appendChild(c);
      this.layers[name] = { canvas: c, ctx: c.getContext('2d'), dirty: true };
    }
    this.view = { s: 1, tx: 0, ty: 0 };
    this.width = 1; this.height = 1;
    this.image = null; this.tiles = null; this.tileCache = new Map();
    this.imgW = 1; this.imgH = 1;
    this.brightness = 1; this.contrast = 1;
    this.styles = new Map();     // label -> {color, opacity}
    this.hidden = new Set();
    this.skeletons = new Map();  // label -> [[i, j], ...]
    this.predictions = [];       // [{obj}] drawn dashed
    this.drawUi = null;
    this.frame = 0;
    this.stats = { frames: 0, chunks: 0 };
    this.raf = 0;
    new ResizeObserver(() => this.resize()).observe(wrap);
    this.resize();
    model.on((kind, ids) => {
      if (kind === 'load') this.invalidate('obj', 'ui');
      else this.invalidate('obj', 'ui');
      void ids;
    });
  }

  resize() {
    const r = this.wrap.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, r.width); this.height = Math.max(1, r.height);
    for (const l of Object.values(this.layers)) {
      l.canvas.width = Math.round(this.width * this.dpr);
      l.canvas.height = Math.round(this.height * this.dpr);
      l.canvas.style.width = `${this.width}px`;
      l.canvas.style.height = `${this.height}px`;
    }
    this.invalidate('img', 'obj', 'ui');
  }

  invalidate(...names) {
    for (const n of names) this.layers[n].dirty = true;
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
  }

  // Draws dirty layers now (the benchmark calls this directly).
  draw() {
    this.frame++;
    if (this.layers.img.dirty) this.drawImage();
    if (this.layers.obj.dirty) this.drawObjects();
    if (this.layers.ui.dirty) this.drawOverlay();
    this.stats.frames++;
  }

  // --- view ---
  toImage(sx, sy) { return [(sx - this.view.tx) / this.view.s, (sy - this.view.ty) / this.view.s]; }
  toScreen(x, y) { return [x * this.view.s + this.view.tx, y * this.view.s + this.view.ty]; }
  visibleRect() {
    const [x0, y0] = this.toImage(0, 0), [x1, y1] = this.toImage(this.width, this.height);
    return [x0, y0, x1, y1];
  }
  setView(s, tx, ty) {
    this.view = { s: Math.min(64, Math.max(1e-4, s)), tx, ty };
    this.invalidate('img', 'obj', 'ui');
    this.onView && this.onView();
  }
  fit() {
    const s = Math.min(this.width / this.imgW, this.height / this.imgH) * 0.96;
    this.setView(s, (this.width - this.imgW * s) / 2, (this.height - this.imgH * s) / 2);
  }
  oneToOne() { this.zoomAt(1 / this.view.s, this.width / 2, this.height / 2); }
  zoomAt(f, sx, sy) {
    const s = Math.min(64, Math.max(1e-4, this.view.s * f));
    const [ix, iy] = this.toImage(sx, sy);
    this.setView(s, sx - ix * s, sy - iy * s);
  }
  panBy(dx, dy) { this.setView(this.view.s, this.view.tx + dx, this.view.ty + dy); }

  // --- image ---
  setImage(img, w, h) { this.image = img; this.tiles = null; this.imgW = w; this.imgH = h; this.invalidate('img'); }
  setTiles(info, urlOf) {
    this.tiles = info; this.tileUrl = urlOf; this.image = null; this.tileCache.clear();
    this.imgW = info.width; this.imgH = info.height; this.invalidate('img');
  }

  setTransform(ctx) {
    const { s, tx, ty } = this.view, d = this.dpr;
    ctx.setTransform(d * s, 0, 0, d * s, d * tx, d * ty);
  }

  drawImage() {
    const { ctx, canvas } = this.layers.img;
    this.layers.img.dirty = false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    this.setTransform(ctx);
    ctx.imageSmoothingEnabled = this.view.s < 2;
    if (this.brightness !== 1 || this.contrast !== 1) ctx.filter = `brightness(${this.brightness}) contrast(${this.contrast})`;
    else ctx.filter = 'none';
    if (this.image) {
      ctx.drawImage(this.image, 0, 0, this.imgW, this.imgH);
    } else if (this.tiles) {
      const maxL = this.tiles.levels - 1;
      const L = Math.max(0, Math.min(maxL, maxL + Math.ceil(Math.log2(this.view.s) - 1e-9)));
      const coarse = Math.max(0, L - 3);
      if (coarse < L) this.drawTiles(ctx, coarse, maxL, false);
      this.drawTiles(ctx, L, maxL, true);
    }
    ctx.filter = 'none';
  }

  drawTiles(ctx, L, maxL, load) {
    const T = this.tiles.tile_size, f = 2 ** (L - maxL);
    const ls = this.tiles.level_sizes[L];
    const [x0, y0, x1, y1] = this.visibleRect();
    const c0 = Math.max(0, Math.floor((x0 * f) / T)), c1 = Math.min(ls.cols - 1, Math.floor((x1 * f) / T));
    const r0 = Math.max(0, Math.floor((y0 * f) / T)), r1 = Math.min(ls.rows - 1, Math.floor((y1 * f) / T));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
      const key = `${L}/${c}/${r}`;
      let t = this.tileCache.get(key);
      if (!t) {
        if (!load) continue;
        t = new Image();
        t.onload = () => { t.ready = true; this.invalidate('img'); };
        t.src = this.tileUrl(L, c, r);
        this.tileCache.set(key, t);
        if (this.tileCache.size > 800) this.tileCache.delete(this.tileCache.keys().next().value);
      }
      if (!t.ready) continue;
      const w = Math.min(T, ls.width - c * T), h = Math.min(T, ls.height - r * T);
      ctx.drawImage(t, (c * T) / f, (r * T) / f, w / f, h / f);
    }
  }

  // --- objects ---
  style(label) {
    return this.styles.get(label) || { color: '#ff00ff', opacity: 0.3 };
  }

  buildChunk(c) {
    const m = this.model, order = m.orderIndex();
    const ids = [...c.ids].filter((id) => !this.hidden.has(id) && !m.live.has(id));
    ids.sort((a, b) => ((m.objects.get(a).z_order || 0) - (m.objects.get(b).z_order || 0)) || (order.get(a) - order.get(b)));
    const runs = [];
    let run = null;
    for (const id of ids) {
      const o = m.objects.get(id);
      const z = o.z_order || 0;
      if (!run || run.label !== o.label || run.z !== z) {
        run = { label: o.label, z, fill: new Path2D(), stroke: new Path2D(), nfill: 0, markers: [], masks: [] };
        runs.push(run);
      }
      if (o.type === 'mask') run.masks.push(o);
      else if (o.type === 'points' || o.type === 'keypoints') run.markers.push(o);
      else {
        addPath(run.stroke, o);
        if (filled(o.type)) { addPath(run.fill, o); run.nfill++; }
      }
    }
    c.paths = runs;
  }

  drawObjects() {
    const { ctx, canvas } = this.layers.obj;
    this.layers.obj.dirty = false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const vr = this.visibleRect();
    const chunks = this.model.chunksIn(vr);
    this.stats.chunks = chunks.length;
    const lw = 1.5 / this.view.s;
    const markers = [];
    this.setTransform(ctx);
    ctx.lineJoin = 'round';
    for (const c of chunks) {
      if (!c.paths) this.buildChunk(c);
      for (const r of c.paths) {
        const st = this.style(r.label);
        ctx.fillStyle = st.color; ctx.strokeStyle = st.color;
        for (const o of r.masks) {
          const mc = maskCanvas(o, st.color);
          if (!mc) continue;
          ctx.globalAlpha = Math.min(1, st.opacity + 0.2);
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(mc, ...bboxXY(o, mc));
        }
        if (r.nfill) { ctx.globalAlpha = st.opacity; ctx.fill(r.fill, 'evenodd'); }
        ctx.globalAlpha = 1;
        ctx.lineWidth = lw;
        ctx.stroke(r.stroke);
        if (r.markers.length) markers.push(...r.markers);
      }
    }
    ctx.globalAlpha = 1;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    for (const o of markers) this.drawMarkers(ctx, o, this.style(o.label).color, false);
    // Pre-labels: dashed, drawn per object (there are few).
    if (this.predictions.length) {
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 2;
      for (const p of this.predictions) {
        const o = p.obj;
        const st = this.style(o.label);
        ctx.strokeStyle = st.color;
        if (o.type === 'points' || o.type === 'keypoints') { this.drawMarkers(ctx, o, st.color, false); continue; }
        if (o.type === 'mask') {
          const mc = maskCanvas(o, st.color);
          if (mc) {
            this.setTransform(ctx); ctx.globalAlpha = 0.35; ctx.drawImage(mc, ...bboxXY(o, mc)); ctx.globalAlpha = 1;
            ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
          }
          continue;
        }
        const path = new Path2D();
        addPath(path, o);
        this.setTransform(ctx);
        ctx.lineWidth = 2 / this.view.s;
        ctx.setLineDash([6 / this.view.s, 4 / this.view.s]);
        ctx.stroke(path);
        ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
        ctx.setLineDash([6, 4]);
      }
      ctx.setLineDash([]);
    }
  }

  // Points and keypoints: fixed-size markers in screen space.
  drawMarkers(ctx, o, color, selected) {
    const p = o.points, kp = o.type === 'keypoints', step = kp ? 3 : 2;
    if (kp) {
      const edges = this.skeletons.get(o.label) || [];
      ctx.strokeStyle = color; ctx.lineWidth = selected ? 2.5 : 1.5;
      ctx.beginPath();
      for (const [a, b] of edges) {
        if (!p[a * 3 + 2] || !p[b * 3 + 2]) continue;
        const [ax, ay] = this.toScreen(p[a * 3], p[a * 3 + 1]), [bx, by] = this.toScreen(p[b * 3], p[b * 3 + 1]);
        ctx.moveTo(ax, ay); ctx.lineTo(bx, by);
      }
      ctx.stroke();
    }
    for (let i = 0; i + 1 < p.length; i += step) {
      if (kp && !p[i + 2]) continue;
      const [x, y] = this.toScreen(p[i], p[i + 1]);
      if (x < -10 || y < -10 || x > this.width + 10 || y > this.height + 10) continue;
      ctx.beginPath();
      ctx.arc(x, y, selected ? 5 : 4, 0, 2 * Math.PI);
      if (kp && p[i + 2] === 1) { ctx.fillStyle = '#ffffff'; ctx.fill(); ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.stroke(); }
      else { ctx.fillStyle = color; ctx.fill(); ctx.strokeStyle = '#000000'; ctx.lineWidth = 1; ctx.stroke(); }
    }
  }

  drawOverlay() {
    const { ctx, canvas } = this.layers.ui;
    this.layers.ui.dirty = false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.drawUi) this.drawUi(ctx);
  }

  // Outline of one object on the overlay (selection, live edits).
  outline(ctx, o, { color, width = 2, dash = null, fill = false }) {
    if (o.type === 'points' || o.type === 'keypoints') { this.drawMarkers(ctx, o, color, true); return; }
    if (o.type === 'mask') {
      const mc = maskCanvas(o, this.style(o.label).color);
      if (mc) {
        this.setTransform(ctx); ctx.globalAlpha = 0.6; ctx.imageSmoothingEnabled = false;
        ctx.drawImage(mc, ...bboxXY(o, mc)); ctx.globalAlpha = 1;
        const [x0, y0, w, h] = bboxXY(o, mc);
        ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
        const [a, b] = this.toScreen(x0, y0);
        ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash([4, 3]);
        ctx.strokeRect(a, b, w * this.view.s, h * this.view.s); ctx.setLineDash([]);
      }
      return;
    }
    const path = new Path2D();
    addPath(path, o);
    this.setTransform(ctx);
    if (fill && filled(o.type)) { ctx.globalAlpha = this.style(o.label).opacity; ctx.fillStyle = this.style(o.label).color; ctx.fill(path, 'evenodd'); ctx.globalAlpha = 1; }
    ctx.lineWidth = (width + 2) / this.view.s; ctx.strokeStyle = '#000000'; ctx.setLineDash([]);
    ctx.stroke(path);
    ctx.lineWidth = width / this.view.s; ctx.strokeStyle = color;
    if (dash) ctx.setLineDash(dash.map((d) => d / this.view.s));
    ctx.stroke(path);
    ctx.setLineDash([]);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  }
}

function bboxXY(o, mc) {
  const [h, w] = o.rle.size;
  void h; void w;
  const b = maskBox(o);
  return [b[0], b[1], mc.width, mc.height];
}

import { maskOf } from './geom.js';
function maskBox(o) { return maskOf(o).bbox; }
