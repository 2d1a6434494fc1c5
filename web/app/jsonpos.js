// jsonpos.js - where a JSON path ("$.labels[1].shapes[0]") lies in JSON
// text, so that schema errors can point at their place in the editor. A
// small tolerant scanner: it records the [start, end) offsets of every
// value it reaches and stops quietly at the first syntax error.

// Returns {start, end, line} of the deepest value the path reaches, or null.
export function locate(text, path) {
  const want = parsePath(path);
  if (!want) return null;
  const found = { best: null, depth: -1 };
  try {
    scan(text, want, found);
  } catch { /* syntax error: keep the best match so far */ }
  if (!found.best) return null;
  const line = text.slice(0, found.best.start).split('\n').length;
  return { ...found.best, line };
}

// "$.a[3].b" or "$['a b']" -> ['a', 3, 'b'].
export function parsePath(path) {
  const m = String(path).match(/^\$((?:\.[A-Za-z_][\w-]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\]|\["(?:[^"\\]|\\.)*"\])*)/);
  if (!m) return null;
  const parts = [];
  for (const t of m[1].matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (t[1] !== undefined) parts.push(t[1]);
    else if (t[2] !== undefined) parts.push(Number(t[2]));
    else parts.push((t[3] ?? t[4]).replace(/\\(.)/g, '$1'));
  }
  return parts;
}

// The path at the start of an error message: "$.x[1]: message".
export function splitError(msg) {
  const m = String(msg).match(/^(\$[^:\s]*)(?::\s*)?([\s\S]*)$/);
  return m ? { path: m[1], message: m[2] } : { path: null, message: String(msg) };
}

function scan(s, want, found) {
  let i = 0;
  const ws = () => { while (i < s.length && /\s/.test(s[i])) i++; };
  const fail = () => { throw new Error('syntax'); };
  const str = () => {
    if (s[i] !== '"') fail();
    let j = i + 1;
    let out = '';
    while (j < s.length && s[j] !== '"') {
      if (s[j] === '\\') { out += s[j + 1] === 'n' ? '\n' : s[j + 1]; j += 2; } else out += s[j++];
    }
    if (j >= s.length) fail();
    i = j + 1;
    return out;
  };
  // depth: how many leading path parts this value matches (-1: off path).
  const value = (depth) => {
    ws();
    const start = i;
    if (depth >= 0 && depth > found.depth) { found.depth = depth; found.best = { start, end: start }; }
    const onPath = depth >= 0;
    const c = s[i];
    if (c === '{') {
      i++; ws();
      if (s[i] === '}') { i++; } else {
        for (;;) {
          ws();
          const k = str();
          ws();
          if (s[i] !== ':') fail();
          i++;
          value(onPath && depth < want.length && want[depth] === k ? depth + 1 : -1);
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === '}') { i++; break; }
          fail();
        }
      }
    } else if (c === '[') {
      i++; ws();
      let n = 0;
      if (s[i] === ']') { i++; } else {
        for (;;) {
          value(onPath && depth < want.length && want[depth] === n ? depth + 1 : -1);
          n++;
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ']') { i++; break; }
          fail();
        }
      }
    } else if (c === '"') {
      str();
    } else {
      const m = s.slice(i).match(/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/);
      if (!m) fail();
      i += m[0].length;
    }
    if (onPath && found.depth === depth) found.best = { start, end: i };
  };
  value(0);
}
