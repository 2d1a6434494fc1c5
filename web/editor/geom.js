// geom.js - geometry of annotation objects in image pixels: bounding boxes,
// hit tests, handles, moves and the paths the renderer fills and strokes.
// Objects are treated as immutable: every edit returns a new object.
import * as rle from './rle.js';

const RAD = Math.PI / 180;
const maskCache = new WeakMap();

// The decoded mask of a mask object: {bits, h, w, bbox, canvas (lazily)}.
export function maskOf(o) {
  let m = maskCache.get(o.rle);
  if (!m) {
    const [h, w] = o.rle.size;
    const bits = rle.decode(o.rle);
    m = { bits, h, w, bbox: rle.bboxOf(bits, h, w), canvas: null, color: null };
    maskCache.set(o.rle, m);
  }
  return m;
}

// A canvas holding the mask's pixels in colour, cropped to its bounding box.
export function maskCanvas(o, color) {
  const m = maskOf(o);
  if (!m.bbox) return null;
  if (m.canvas && m.color === color) return m.canvas;
  const [x0, y0, x1, y1] = m.bbox;
  const cw = x1 - x0, ch = y1 - y0;
  const c = document.createElement('canvas');
  c.width = cw; c.height = ch;
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(cw, ch);
  const r = parseInt(color.slice(1, 3), 16), g = parseInt(color.slice(3, 5), 16), b = parseInt(color.slice(5, 7), 16);
  const d = img.data;
  for (let y = 0; y < ch; y++) {
    const src = (y + y0) * m.w + x0;
    for (let x = 0; x < cw; x++) {
      if (m.bits[src + x]) {
        const k = (y * cw + x) * 4;
        d[k] = r; d[k + 1] = g; d[k + 2] = b; d[k + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  m.canvas = c; m.color = color;
  return c;
}

function rot(x, y, cx, cy, deg) {
  const a = deg * RAD, c = Math.cos(a), s = Math.sin(a);
  const dx = x - cx, dy = y - cy;
  return [cx + dx * c - dy * s, cy + dx * s + dy * c];
}

// Corners of a rotated box [cx, cy, w, h, angle], clockwise from top-left.
export function rboxCorners(p) {
  const [cx, cy, w, h, a] = p;
  return [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]
    .map(([x, y]) => rot(cx + x, cy + y, cx, cy, a));
}

// The flat x, y list of each ring (polygons), or the only list of others.
export function rings(o) {
  if (o.rings) return o.rings;
  return [o.points || []];
}

export function bbox(o) {
  switch (o.type) {
    case 'mask': {
      const m = maskOf(o);
      return m.bbox || [0, 0, 0, 0];
    }
    case 'tag': case 'span': case 'segment': return null;
    case 'box': return o.points.slice(0, 4);
    case 'rotated_box': return boundsOfPairs(rboxCorners(o.points).flat());
    case 'ellipse': {
      const [cx, cy, rx, ry, a] = o.points;
      const c = Math.cos(a * RAD), s = Math.sin(a * RAD);
      const hw = Math.sqrt(rx * rx * c * c + ry * ry * s * s), hh = Math.sqrt(rx * rx * s * s + ry * ry * c * c);
      return [cx - hw, cy - hh, cx + hw, cy + hh];
    }
    case 'keypoints': {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      const p = o.points;
      for (let i = 0; i < p.length; i += 3) {
        if (!p[i + 2]) continue;
        if (p[i] < x0) x0 = p[i]; if (p[i] > x1) x1 = p[i];
        if (p[i + 1] < y0) y0 = p[i + 1]; if (p[i + 1] > y1) y1 = p[i + 1];
      }
      return x0 === Infinity ? [0, 0, 0, 0] : [x0, y0, x1, y1];
    }
    default: return boundsOfPairs(rings(o)[0]);
  }
}

export function boundsOfPairs(p) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < p.length; i += 2) {
    const x = p[i], y = p[i + 1];
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  return x0 === Infinity ? [0, 0, 0, 0] : [x0, y0, x1, y1];
}

// Adds the object's outline to a Path2D (or context) in image coordinates.
export function addPath(path, o) {
  const p = o.points;
  switch (o.type) {
    case 'box': path.rect(p[0], p[1], p[2] - p[0], p[3] - p[1]); break;
    case 'rotated_box': ring(path, rboxCorners(p).flat(), true); break;
    case 'ellipse': {
      const [cx, cy, rx, ry, a] = p;
      const [sx, sy] = rot(cx + rx, cy, cx, cy, a);
      path.moveTo(sx, sy);
      path.ellipse(cx, cy, Math.max(rx, 0), Math.max(ry, 0), a * RAD, 0, 2 * Math.PI);
      path.closePath();
      break;
    }
    case 'polygon': for (const r of rings(o)) ring(path, r, true); break;
    case 'polyline': ring(path, p, false); break;
    case 'cuboid': {
      ring(path, p.slice(0, 8), true);
      ring(path, p.slice(8, 16), true);
      for (let i = 0; i < 4; i++) { path.moveTo(p[2 * i], p[2 * i + 1]); path.lineTo(p[8 + 2 * i], p[9 + 2 * i]); }
      break;
    }
    default: break;
  }
}

function ring(path, r, close) {
  if (r.length < 2) return;
  path.moveTo(r[0], r[1]);
  for (let i = 2; i + 1 < r.length; i += 2) path.lineTo(r[i], r[i + 1]);
  if (close) path.closePath();
}

export const filled = (t) => t === 'box' || t === 'rotated_box' || t === 'ellipse' || t === 'polygon';

function inRing(r, x, y) {
  let inside = false;
  const n = r.length >> 1;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = r[2 * i], yi = r[2 * i + 1], xj = r[2 * j], yj = r[2 * j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function segDist2(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const l2 = dx * dx + dy * dy;
  let t = l2 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const qx = ax + t * dx - px, qy = ay + t * dy - py;
  return qx * qx + qy * qy;
}

function nearLine(r, x, y, tol, close) {
  const t2 = tol * tol, n = r.length >> 1;
  for (let i = 0; i + 1 < n; i++) if (segDist2(x, y, r[2 * i], r[2 * i + 1], r[2 * i + 2], r[2 * i + 3]) <= t2) return true;
  if (close && n > 2 && segDist2(x, y, r[2 * n - 2], r[2 * n - 1], r[0], r[1]) <= t2) return true;
  return false;
}

// Does the image point (x, y) hit the object? tol is in image pixels.
export function hit(o, x, y, tol) {
  const p = o.points;
  switch (o.type) {
    case 'box': return x >= p[0] - tol && x <= p[2] + tol && y >= p[1] - tol && y <= p[3] + tol;
    case 'rotated_box': {
      const [lx, ly] = rot(x, y, p[0], p[1], -p[4]);
      return Math.abs(lx - p[0]) <= p[2] / 2 + tol && Math.abs(ly - p[1]) <= p[3] / 2 + tol;
    }
    case 'ellipse': {
      const [lx, ly] = rot(x, y, p[0], p[1], -p[4]);
      const rx = p[2] + tol, ry = p[3] + tol;
      const dx = (lx - p[0]) / rx, dy = (ly - p[1]) / ry;
      return dx * dx + dy * dy <= 1;
    }
    case 'polygon': {
      let inside = false;
      for (const r of rings(o)) if (inRing(r, x, y)) inside = !inside;
      return inside || rings(o).some((r) => nearLine(r, x, y, tol, true));
    }
    case 'polyline': return nearLine(p, x, y, tol, false);
    case 'points': {
      for (let i = 0; i + 1 < p.length; i += 2) if (Math.hypot(p[i] - x, p[i + 1] - y) <= tol * 1.5) return true;
      return false;
    }
    case 'keypoints': {
      for (let i = 0; i + 2 < p.length; i += 3) if (p[i + 2] && Math.hypot(p[i] - x, p[i + 1] - y) <= tol * 1.5) return true;
      return false;
    }
    case 'cuboid': return inRing(p.slice(0, 8), x, y) || inRing(p.slice(8, 16), x, y) || nearLine(p, x, y, tol, true);
    case 'mask': {
      const m = maskOf(o);
      const xi = Math.floor(x), yi = Math.floor(y);
      return xi >= 0 && yi >= 0 && xi < m.w && yi < m.h && m.bits[yi * m.w + xi] === 1;
    }
    default: return false;
  }
}

// Handles of a selected object: {x, y, kind, ring, i}. kind: 'v' (a vertex),
// 'c' (a box corner), 'r' (rotate), 'rx'/'ry' (ellipse radii).
// view is [x0, y0, x1, y1]: vertices outside it are left out; at most max.
export function handles(o, view, max = 4000) {
  const p = o.points, out = [];
  const inView = (x, y) => !view || (x >= view[0] && x <= view[2] && y >= view[1] && y <= view[3]);
  switch (o.type) {
    case 'box':
      out.push({ x: p[0], y: p[1], kind: 'c', i: 0 }, { x: p[2], y: p[1], kind: 'c', i: 1 },
        { x: p[2], y: p[3], kind: 'c', i: 2 }, { x: p[0], y: p[3], kind: 'c', i: 3 });
      break;
    case 'rotated_box': {
      const c = rboxCorners(p);
      c.forEach(([x, y], i) => out.push({ x, y, kind: 'c', i }));
      const [tx, ty] = rot(p[0], p[1] - p[3] / 2, p[0], p[1], p[4]);
      out.push({ x: tx, y: ty, kind: 'r', i: 0 });
      break;
    }
    case 'ellipse': {
      const [ax, ay] = rot(p[0] + p[2], p[1], p[0], p[1], p[4]);
      const [bx, by] = rot(p[0], p[1] + p[3], p[0], p[1], p[4]);
      out.push({ x: ax, y: ay, kind: 'rx', i: 0 }, { x: bx, y: by, kind: 'ry', i: 1 });
      break;
    }
    case 'keypoints':
      for (let i = 0; i + 2 < p.length; i += 3) if (p[i + 2] && inView(p[i], p[i + 1])) out.push({ x: p[i], y: p[i + 1], kind: 'v', ring: 0, i: i / 3 });
      break;
    case 'mask': case 'tag': break;
    default: {
      const rs = rings(o);
      for (let r = 0; r < rs.length; r++) {
        const a = rs[r];
        for (let i = 0; i + 1 < a.length && out.length < max; i += 2) {
          if (inView(a[i], a[i + 1])) out.push({ x: a[i], y: a[i + 1], kind: 'v', ring: r, i: i / 2 });
        }
      }
    }
  }
  return out;
}

function withRings(o, rs) {
  if (o.rings) return { ...o, rings: rs };
  return { ...o, points: rs[0] };
}

// The object with a handle dragged to (x, y). keepRatio is unused for now.
export function dragHandle(o, h, x, y) {
  const p = o.points;
  switch (h.kind) {
    case 'c':
      if (o.type === 'box') {
        const q = p.slice();
        if (h.i === 0 || h.i === 3) q[0] = x; else q[2] = x;
        if (h.i === 0 || h.i === 1) q[1] = y; else q[3] = y;
        return { ...o, points: q };
      } else {
        // rotated box: keep the opposite corner fixed.
        const c = rboxCorners(p), opp = c[(h.i + 2) % 4];
        const cx = (opp[0] + x) / 2, cy = (opp[1] + y) / 2;
        const [lx, ly] = rot(x, y, cx, cy, -p[4]);
        return { ...o, points: [cx, cy, Math.abs(lx - cx) * 2, Math.abs(ly - cy) * 2, p[4]] };
      }
    case 'r': {
      let a = Math.atan2(x - p[0], -(y - p[1])) / RAD;
      if (a < 0) a += 360;
      return { ...o, points: [p[0], p[1], p[2], p[3], Math.round(a * 10) / 10] };
    }
    case 'rx': case 'ry': {
      const [lx, ly] = rot(x, y, p[0], p[1], -p[4]);
      const q = p.slice();
      if (h.kind === 'rx') q[2] = Math.max(0.5, Math.abs(lx - p[0])); else q[3] = Math.max(0.5, Math.abs(ly - p[1]));
      return { ...o, points: q };
    }
    case 'v': {
      if (o.type === 'keypoints') {
        const q = p.slice();
        q[h.i * 3] = x; q[h.i * 3 + 1] = y;
        return { ...o, points: q };
      }
      const rs = rings(o).slice();
      const r = rs[h.ring].slice();
      r[h.i * 2] = x; r[h.i * 2 + 1] = y;
      rs[h.ring] = r;
      return withRings(o, rs);
    }
    default: return o;
  }
}

// Moves a vertex in place (no copy of the object's other rings): for dragging
// one vertex of a very large polygon many times a second.
export function moveVertexInPlace(o, h, x, y) {
  const r = o.type === 'keypoints' ? o.points : rings(o)[h.ring];
  const k = o.type === 'keypoints' ? h.i * 3 : h.i * 2;
  r[k] = x; r[k + 1] = y;
}

export function translate(o, dx, dy) {
  const p = o.points;
  switch (o.type) {
    case 'rotated_box': case 'ellipse': return { ...o, points: [p[0] + dx, p[1] + dy, p[2], p[3], p[4]] };
    case 'keypoints': return { ...o, points: p.map((v, i) => (i % 3 === 2 ? v : v + (i % 3 ? dy : dx))) };
    case 'mask': case 'tag': return o;
    default: {
      const shift = (a) => a.map((v, i) => v + (i & 1 ? dy : dx));
      if (o.rings) return { ...o, rings: o.rings.map(shift) };
      return { ...o, points: shift(p) };
    }
  }
}

// The nearest edge of a polygon or polyline to (x, y) within tol:
// {ring, i (insert after vertex i), x, y} or null.
export function nearestEdge(o, x, y, tol) {
  if (o.type !== 'polygon' && o.type !== 'polyline') return null;
  let best = null, bd = tol * tol;
  const rs = rings(o);
  for (let r = 0; r < rs.length; r++) {
    const a = rs[r], n = a.length >> 1, close = o.type === 'polygon';
    for (let i = 0; i < (close ? n : n - 1); i++) {
      const j = (i + 1) % n;
      const d = segDist2(x, y, a[2 * i], a[2 * i + 1], a[2 * j], a[2 * j + 1]);
      if (d <= bd) { bd = d; best = { ring: r, i }; }
    }
  }
  if (best) { best.x = x; best.y = y; }
  return best;
}

export function insertVertex(o, e) {
  const rs = rings(o).slice();
  const r = rs[e.ring].slice();
  r.splice(2 * e.i + 2, 0, e.x, e.y);
  rs[e.ring] = r;
  return withRings(o, rs);
}

// Removes a vertex; null when the shape would become too small.
export function deleteVertex(o, h) {
  if (o.type === 'keypoints') {
    const q = o.points.slice();
    q[h.i * 3] = 0; q[h.i * 3 + 1] = 0; q[h.i * 3 + 2] = 0;
    return { ...o, points: q };
  }
  if (o.type === 'cuboid') return o;
  const min = o.type === 'polygon' ? 3 : o.type === 'polyline' ? 2 : 1;
  const rs = rings(o).slice();
  const r = rs[h.ring].slice();
  if (r.length / 2 <= min) return null;
  r.splice(h.i * 2, 2);
  rs[h.ring] = r;
  return withRings(o, rs);
}

// The handle of o at screen-tolerance tol (image px) from (x, y), or null.
export function handleAt(o, x, y, tol, view) {
  let best = null, bd = tol * tol;
  for (const h of handles(o, view, Infinity)) {
    const d = (h.x - x) ** 2 + (h.y - y) ** 2;
    if (d <= bd) { bd = d; best = h; }
  }
  return best;
}
