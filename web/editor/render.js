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
    this.ox = 0; this.oy = 0;
    this.snap = document.createElement('canvas');   // the object layer, rendered with a margin
    this.snapView = null; this.snapStale = true; this.settle = 0;
    this.imgSnap = { canvas: document.createElement('canvas'), view: null, stale: true };   // the same for the image
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
    this.snapStale = true; this.imgSnap.stale = true;
    this.invalidate('img', 'obj', 'ui');
  }

  invalidate(...names) {
    if (!this.viewOnly && names.includes('obj')) this.snapStale = true;
    if (!this.viewOnly && names.includes('img')) this.imgSnap.stale = true;
    for (const n of names) this.layers[n].dirty = true;
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
  }

  // While an item loads (its document indexed, its image still decoding)
  // nothing is drawn: a render at the previous view would be thrown away.
  hold(on) {
    this.held = on;
    if (!on && (this.layers.img.dirty || this.layers.obj.dirty || this.layers.ui.dirty)) this.invalidate();
  }

  // Draws dirty layers now (the benchmark calls this directly).
  draw() {
    if (this.held) return;
    this.frame++;
    if (this.layers.img.dirty) this.drawImage();
    if (this.layers.obj.dirty) this.drawObjects();
    if (this.layers.ui.dirty) this.drawOverlay();
    this.stats.frames++;
    // Once the view rests (no view change for 250 ms after a frame), render
    // the objects afresh: sharp, and all of the margin.
    if (this.viewMoving) {
      this.viewMoving = false;
      clearTimeout(this.settle);
      this.settle = setTimeout(() => {
        const moved = (v) => v && (v.s !== this.view.s || v.tx !== this.view.tx || v.ty !== this.view.ty);
        if (moved(this.snapView)) this.invalidate('obj');
        if (this.image && moved(this.imgSnap.view)) this.invalidate('img');
      }, 250);
    }
  }

  // --- view ---
  toImage(sx, sy) { return [(sx - this.view.tx) / this.view.s, (sy - this.view.ty) / this.view.s]; }
  toScreen(x, y) { return [x * this.view.s + this.view.tx, y * this.view.s + this.view.ty]; }
  visibleRect() {
    const mx = this.ox / this.dpr, my = this.oy / this.dpr;
    const [x0, y0] = this.toImage(-mx, -my), [x1, y1] = this.toImage(this.width + mx, this.height + my);
    return [x0, y0, x1, y1];
  }
  setView(s, tx, ty) {
    this.view = { s: Math.min(64, Math.max(1e-4, s)), tx, ty };
    this.viewOnly = true;
    this.invalidate('img', 'obj', 'ui');
    this.viewOnly = false;
    clearTimeout(this.settle);
    this.viewMoving = true;
    this.onView && this.onView();
  }
  fitScale() { return Math.min(this.width / this.imgW, this.height / this.imgH) * 0.96; }
  fit() {
    const s = this.fitScale();
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
  setImage(img, w, h) {
    // An ImageBitmap (decoded off the main thread) or a canvas is drawn as
    // it is; an <img> from a canvas copy: decoded once and kept, where an
    // <img> may be decoded again for each frame.
    let base = img;
    if (!(img instanceof HTMLImageElement)) { w = w || img.width; h = h || img.height; } else try {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth || w; c.height = img.naturalHeight || h;
      c.getContext('2d').drawImage(img, 0, 0);
      base = c;
    } catch { base = img; }
    this.image = base; this.mips = [base]; this.tiles = null; this.imgW = w; this.imgH = h; this.invalidate('img');
    // The copy the fitted view needs, made now: the image often arrives
    // while the page waits for the document.
    this.mip(this.fitScale() * this.dpr);
  }

  // The image halved k times, the smallest still at least as sharp as the
  // screen needs: zoomed-out views do not resample the full image each frame.
  mip(scale) {
    let k = 0;
    while (scale * 2 ** (k + 1) <= 1 && Math.min(this.imgW, this.imgH) / 2 ** (k + 1) >= 64) k++;
    while (this.mips.length <= k) {
      const prev = this.mips[this.mips.length - 1], n = this.mips.length;
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(this.imgW / 2 ** n)); c.height = Math.max(1, Math.round(this.imgH / 2 ** n));
      const x = c.getContext('2d');
      // Bilinear at exactly half the size averages each 2x2 block: a box
      // filter, as good as 'high' for halving and several times cheaper.
      x.imageSmoothingQuality = 'low';
      x.drawImage(prev, 0, 0, c.width, c.height);
      this.mips.push(c);
    }
    return this.mips[k];
  }
  // No image yet (it is loading) but its size: objects can be drawn.
  clearImage(w, h) {
    this.image = null; this.mips = []; this.tiles = null; this.tileCache.clear();
    this.imgW = w; this.imgH = h; this.invalidate('img');
  }
  setTiles(info, urlOf) {
    this.tiles = info; this.tileUrl = urlOf; this.image = null; this.tileCache.clear();
    this.imgW = info.width; this.imgH = info.height; this.invalidate('img');
  }

  // Image coordinates to device pixels (plus the snapshot's margin when drawing into it).
  setTransform(ctx) {
    const { s, tx, ty } = this.view, d = this.dpr;
    ctx.setTransform(d * s, 0, 0, d * s, d * tx + this.ox, d * ty + this.oy);
  }
  // CSS pixels of the stage to device pixels.
  screenT(ctx) { ctx.setTransform(this.dpr, 0, 0, this.dpr, this.ox, this.oy); }

  drawImage() {
    const { ctx, canvas } = this.layers.img;
    this.layers.img.dirty = false;
    // The object layer shows the image too (drawObjects): redraw it.
    this.layers.obj.dirty = true;
    if (this.image) {
      // A plain image is drawn into the object layer from its own bitmap
      // cache, so panning copies one layer, not two; this one is hidden.
      if (this.imgShown !== false) { ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, canvas.width, canvas.height); canvas.style.visibility = 'hidden'; this.imgShown = false; }
      return;
    }
    if (this.imgShown === false) { canvas.style.visibility = ''; this.imgShown = true; }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    this.setTransform(ctx);
    ctx.imageSmoothingEnabled = this.view.s < 2;
    if (this.brightness !== 1 || this.contrast !== 1) ctx.filter = `brightness(${this.brightness}) contrast(${this.contrast})`;
    else ctx.filter = 'none';
    if (this.tiles) {
      const maxL = this.tiles.levels - 1;
      const L = Math.max(0, Math.min(maxL, maxL + Math.ceil(Math.log2(this.view.s) - 1e-9)));
      const coarse = Math.max(0, L - 3);
      if (coarse < L) this.drawTiles(ctx, coarse, maxL, false);
      this.drawTiles(ctx, L, maxL, true);
    }
    ctx.filter = 'none';
  }

  // The image (scaled and filtered) for the bitmap cache.
  // Only the part of the image in view (with the margin) is drawn.
  renderImage(c) {
    const m = this.mip(this.view.s * this.dpr), fx = m.width / this.imgW, fy = m.height / this.imgH;
    const [x0, y0, x1, y1] = this.visibleRect();
    const sx = Math.max(0, Math.floor(x0 * fx)), sy = Math.max(0, Math.floor(y0 * fy));
    const ex = Math.min(m.width, Math.ceil(x1 * fx)), ey = Math.min(m.height, Math.ceil(y1 * fy));
    if (ex <= sx || ey <= sy) return;
    this.setTransform(c);
    c.imageSmoothingEnabled = this.view.s < 2;
    c.filter = this.brightness !== 1 || this.contrast !== 1 ? `brightness(${this.brightness}) contrast(${this.contrast})` : 'none';
    c.drawImage(m, sx, sy, ex - sx, ey - sy, sx / fx, sy / fy, (ex - sx) / fx, (ey - sy) / fy);
    c.filter = 'none';
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

  // The chunk's runs at a level of detail: lod is a distance in image
  // pixels (a power of two, at most one device pixel; 0 = every vertex)
  // under which a polygon's or polyline's next vertex is skipped. Kept per
  // level in c.paths (a Map), which the model resets to null on a change.
  buildChunk(c, lod = 0) {
    const m = this.model, order = m.orderIndex();
    const ids = [...c.ids].filter((id) => !this.hidden.has(id) && !m.live.has(id));
    ids.sort((a, b) => ((m.objects.get(a).z_order || 0) - (m.objects.get(b).z_order || 0)) || (order.get(a) - order.get(b)));
    const runs = [];
    let run = null;
    for (const id of ids) {
      const o = m.objects.get(id);
      const z = o.z_order || 0;
      if (!run || run.label !== o.label || run.z !== z) {
        run = { label: o.label, z, fill: null, stroke: null, nfill: 0, shapes: [], markers: [], masks: [], direct: [] };
        runs.push(run);
      }
      if (o.type === 'mask') run.masks.push(o);
      else if (vertexCount(o) > HUGE || o.rings) run.direct.push(o);
      else if (o.type === 'points' || o.type === 'keypoints') run.markers.push(o);
      else { run.shapes.push(o); if (filled(o.type)) run.nfill++; }
    }
    // One path serves both the fill and the outline when every shape of the
    // run is filled (polygons, boxes): half the calls to build it.
    const tol2 = lod * lod;
    const add = (path, o) => {
      if (lod && (o.type === 'polygon' || o.type === 'polyline')) ringLod(path, o.points, o.type === 'polygon', tol2);
      else addPath(path, o);
    };
    for (const r of runs) {
      r.stroke = new Path2D();
      for (const o of r.shapes) add(r.stroke, o);
      if (r.nfill === r.shapes.length) r.fill = r.stroke;
      else { r.fill = new Path2D(); for (const o of r.shapes) if (filled(o.type)) add(r.fill, o); }
      r.shapes = null;
    }
    if (!c.paths) c.paths = new Map();
    c.paths.set(lod, runs);
    return runs;
  }

  // The object layer is a bitmap cache: objects are rendered into `snap`
  // (the view plus a quarter of a view of margin on each side) only when they
  // changed, when the view left the margin or zoomed by more than 1.4x, or
  // once the view has come to rest; in between, panning and zooming only
  // move and scale that bitmap.
  // A plain image is cached the same way (imgSnap: scaling a large image
  // down again every frame costs tens of ms in software) and drawn into
  // this layer under the objects: one layer to copy per frame.
  drawObjects() {
    const { ctx, canvas } = this.layers.obj;
    this.layers.obj.dirty = false;
    const img = this.image ? this.place(canvas, this.imgSnap, (c) => this.renderImage(c)) : null;
    const cache = { canvas: this.snap, view: this.snapView, stale: this.snapStale };
    const obj = this.place(canvas, cache, (c) => this.renderObjects(c));
    if (obj.rendered) this.stats.renders = (this.stats.renders || 0) + 1;
    this.snapView = cache.view; this.snapStale = cache.stale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = true;
    for (const b of img ? [img, obj] : [obj]) {
      ctx.setTransform(b.k, 0, 0, b.k, b.ex, b.ey);
      ctx.drawImage(b.snap, 0, 0);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  // Where a bitmap cache ({canvas, view, stale}) goes on a layer: scale k
  // and offset ex, ey in device pixels. First renders the view plus the
  // margin into it with render(ctx) when it is stale, does not cover the
  // view or would be scaled by more than 1.4x (rendered: true).
  place(canvas, cache, render) {
    const d = this.dpr, { s, tx, ty } = this.view;
    const mx = Math.round(canvas.width * MARGIN), my = Math.round(canvas.height * MARGIN);
    const snap = cache.canvas;
    let v = cache.view, k = v ? s / v.s : 1;
    const ex = () => -k * mx + d * (tx - k * v.tx), ey = () => -k * my + d * (ty - k * v.ty);
    const covered = v && !cache.stale && k > 0.7 && k < 1.4 && ex() <= 0 && ey() <= 0 &&
      (canvas.width - ex()) / k <= snap.width && (canvas.height - ey()) / k <= snap.height;
    if (!covered) {
      if (snap.width !== canvas.width + 2 * mx || snap.height !== canvas.height + 2 * my) {
        snap.width = canvas.width + 2 * mx; snap.height = canvas.height + 2 * my;
      }
      const sctx = snap.getContext('2d');
      sctx.setTransform(1, 0, 0, 1, 0, 0);
      sctx.clearRect(0, 0, snap.width, snap.height);
      this.ox = mx; this.oy = my;
      try { render(sctx); } finally { this.ox = 0; this.oy = 0; }
      cache.view = v = { s, tx, ty };
      cache.stale = false;
      k = 1;
    }
    return { snap, k, ex: ex(), ey: ey(), rendered: !covered };
  }

  renderObjects(ctx) {
    const vr = this.visibleRect();
    const chunks = this.model.chunksIn(vr);
    this.stats.chunks = chunks.length;
    // Outlines are 1.5 CSS pixels wide, but one device pixel when many
    // objects are in view: Skia draws those as hairlines, tens of times
    // faster than stroking a wider outline (10,000 polygons: 25 ms against
    // 1 s in software).
    let n = 0;
    for (const c of chunks) n += c.ids.size;
    const lw = n > MANY ? 1 / (this.view.s * this.dpr) : 1.5 / this.view.s;
    // Level of detail: vertices closer than a device pixel to the previous
    // one are skipped when zoomed out (a power of two of image pixels, so
    // that a small zoom does not rebuild the chunks).
    const px = 1 / (this.view.s * this.dpr);
    const lod = px >= 2 ? 2 ** Math.floor(Math.log2(px)) : 0;
    const markers = [];
    this.setTransform(ctx);
    ctx.lineJoin = 'miter';
    for (const c of chunks) {
      const runs = (c.paths && c.paths.get(lod)) || this.buildChunk(c, lod);
      for (const r of runs) {
        const st = this.style(r.label);
        ctx.fillStyle = st.color; ctx.strokeStyle = st.color;
        for (const o of r.masks) {
          const mc = maskCanvas(o, st.color);
          if (!mc) continue;
          ctx.globalAlpha = Math.min(1, st.opacity + 0.2);
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(mc, ...bboxXY(o, mc));
        }
        if (r.nfill) { ctx.globalAlpha = st.opacity; ctx.fill(r.fill); }
        ctx.globalAlpha = 1;
        ctx.lineWidth = lw;
        ctx.stroke(r.stroke);
        for (const o of r.direct) {
          const { path, whole } = this.viewPath(o);
          if (whole && filled(o.type)) { ctx.globalAlpha = st.opacity; ctx.fill(path, 'evenodd'); ctx.globalAlpha = 1; }
          ctx.stroke(path);
        }
        if (r.markers.length) markers.push(...r.markers);
      }
    }
    ctx.globalAlpha = 1;
    this.screenT(ctx);
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
            this.screenT(ctx);
          }
          continue;
        }
        const path = new Path2D();
        addPath(path, o);
        const [bx, by] = this.toScreen(...firstPoint(o));
        ctx.font = '12px system-ui, sans-serif';
        const tag = `? ${o.label}${o.score != null ? ` ${Math.round(o.score * 100)}%` : ''}`;
        ctx.fillStyle = 'rgba(0,0,0,0.7)';
        ctx.fillRect(bx, by - 16, ctx.measureText(tag).width + 8, 16);
        ctx.fillStyle = '#ffffff';
        ctx.fillText(tag, bx + 4, by - 4);
        this.setTransform(ctx);
        ctx.lineWidth = 2 / this.view.s;
        ctx.setLineDash([6 / this.view.s, 4 / this.view.s]);
        ctx.stroke(path);
        this.screenT(ctx);
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
  // dx, dy: drawn moved by this much (image pixels), without copying the
  // object's points (a move drag of a very large polygon).
  outline(ctx, o, { color, width = 2, dash = null, fill = false, dx = 0, dy = 0 }) {
    if ((dx || dy) && (o.type === 'points' || o.type === 'keypoints' || o.type === 'mask')) { this.outline(ctx, translateObj(o, dx, dy), { color, width, dash, fill }); return; }
    if (o.type === 'points' || o.type === 'keypoints') { this.drawMarkers(ctx, o, color, true); return; }
    if (o.type === 'mask') {
      const mc = maskCanvas(o, this.style(o.label).color);
      if (mc) {
        this.setTransform(ctx); ctx.globalAlpha = 0.6; ctx.imageSmoothingEnabled = false;
        ctx.drawImage(mc, ...bboxXY(o, mc)); ctx.globalAlpha = 1;
        const [x0, y0, w, h] = bboxXY(o, mc);
        this.screenT(ctx);
        const [a, b] = this.toScreen(x0, y0);
        ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash([4, 3]);
        ctx.strokeRect(a, b, w * this.view.s, h * this.view.s); ctx.setLineDash([]);
      }
      return;
    }
    let path, whole = true;
    if (vertexCount(o) > HUGE) ({ path, whole } = this.viewPath(o, dx, dy));
    else { path = new Path2D(); addPath(path, o); }
    this.setTransform(ctx);
    ctx.translate(dx, dy);
    if (fill && whole && filled(o.type)) { ctx.globalAlpha = this.style(o.label).opacity; ctx.fillStyle = this.style(o.label).color; ctx.fill(path, 'evenodd'); ctx.globalAlpha = 1; }
    ctx.lineWidth = (width + 2) / this.view.s; ctx.strokeStyle = '#000000'; ctx.setLineDash([]);
    ctx.stroke(path);
    ctx.lineWidth = width / this.view.s; ctx.strokeStyle = color;
    if (dash) ctx.setLineDash(dash.map((d) => d / this.view.s));
    ctx.stroke(path);
    ctx.setLineDash([]);
    this.screenT(ctx);
  }
}

const HUGE = 4096;
const MANY = 500;      // objects in view above which outlines are hairlines
const MARGIN = 0.25;   // of the view, on each side of the object bitmap
function vertexCount(o) {
  if (o.rings) { let n = 0; for (const r of o.rings) n += r.length; return n / 2; }
  return o.points ? o.points.length / 2 : 0;
}

// The part of a very large polygon or polyline that is in view: only the
// segments that meet the visible rectangle. whole: all of it is in view
// (then it can be filled).
Renderer.prototype.viewPath = function viewPath(o, dx = 0, dy = 0) {
  const [x0, y0, x1, y1] = this.visibleRect(), m = 4 / this.view.s;
  const rx0 = x0 - m - dx, ry0 = y0 - m - dy, rx1 = x1 + m - dx, ry1 = y1 + m - dy;
  const path = new Path2D();
  let whole = true;
  const close = o.type === 'polygon';
  for (const r of (o.rings || [o.points])) {
    const n = r.length >> 1;
    let pen = -1;
    for (let i = 0; i < (close ? n : n - 1); i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const ax = r[2 * i], ay = r[2 * i + 1], bx = r[2 * j], by = r[2 * j + 1];
      const out = (ax < rx0 && bx < rx0) || (ax > rx1 && bx > rx1) || (ay < ry0 && by < ry0) || (ay > ry1 && by > ry1);
      if (out) { whole = false; continue; }
      if (pen !== i) path.moveTo(ax, ay);
      path.lineTo(bx, by);
      pen = j;
    }
  }
  return { path, whole };
};

function translateObj(o, dx, dy) {
  const p = o.points;
  if (o.type === 'keypoints') return { ...o, points: p.map((v, i) => (i % 3 === 2 ? v : v + (i % 3 ? dy : dx))) };
  if (o.type === 'points') return { ...o, points: p.map((v, i) => v + (i & 1 ? dy : dx)) };
  return o;
}

// A polygon's or polyline's outline without the vertices closer than
// sqrt(tol2) to the last one kept (the last vertex is always kept).
function ringLod(path, r, close, tol2) {
  const n = r.length;
  if (n < 2) return;
  let lx = r[0], ly = r[1];
  path.moveTo(lx, ly);
  for (let i = 2; i + 1 < n; i += 2) {
    const x = r[i], y = r[i + 1], dx = x - lx, dy = y - ly;
    if (dx * dx + dy * dy < tol2 && i + 3 < n) continue;
    path.lineTo(x, y); lx = x; ly = y;
  }
  if (close) path.closePath();
}

function firstPoint(o) {
  const p = o.points || [];
  if (o.type === 'box') return [p[0], p[1]];
  if (o.type === 'ellipse' || o.type === 'rotated_box') return [p[0] - p[2], p[1] - p[3]];
  if (o.rings) return [o.rings[0][0], o.rings[0][1]];
  return [p[0] || 0, p[1] || 0];
}

function bboxXY(o, mc) {
  const [h, w] = o.rle.size;
  void h; void w;
  const b = maskBox(o);
  return [b[0], b[1], mc.width, mc.height];
}

import { maskOf } from './geom.js';
function maskBox(o) { return maskOf(o).bbox; }
