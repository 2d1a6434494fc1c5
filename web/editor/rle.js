// rle.js - COCO run-length encoding of binary masks, as pycocotools writes it:
// column-major runs that start with background, compressed into a string of
// 6-bit characters (each run delta-coded against the run two before).

// counts (array of run lengths) -> COCO compressed string.
export function countsToString(counts) {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = (c & 0x10) ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

// COCO compressed string -> array of run lengths.
export function stringToCounts(s) {
  const counts = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true, c = 0;
    while (more) {
      if (p >= s.length) throw new Error('RLE string ends inside a number');
      c = s.charCodeAt(p) - 48;
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++; k++;
      if (!more && (c & 0x10)) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

// {size: [h, w], counts} -> Uint8Array of h*w in row-major order (1 = set).
export function decode(rle) {
  const [h, w] = rle.size;
  const counts = typeof rle.counts === 'string' ? stringToCounts(rle.counts) : rle.counts;
  const out = new Uint8Array(h * w);
  let pos = 0, v = 0;
  for (const n of counts) {
    if (v) {
      for (let i = pos; i < pos + n; i++) {
        const col = (i / h) | 0, row = i - col * h;
        out[row * w + col] = 1;
      }
    }
    pos += n;
    v ^= 1;
  }
  return out;
}

// Row-major Uint8Array of h*w -> {size: [h, w], counts: string}.
export function encode(bits, h, w) {
  const counts = [];
  let run = 0, v = 0;
  for (let col = 0; col < w; col++) {
    for (let row = 0, i = col; row < h; row++, i += w) {
      const b = bits[i] ? 1 : 0;
      if (b !== v) { counts.push(run); run = 0; v = b; }
      run++;
    }
  }
  counts.push(run);
  return { size: [h, w], counts: countsToString(counts) };
}

// Bounding box [x0, y0, x1, y1] (pixel edges) of a decoded mask, or null when empty.
export function bboxOf(bits, h, w) {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      if (bits[r + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}
