// nav.js - the hash route: "#/projects/3/data?status=new" -> {path, params}.
export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/projects';
  const q = raw.indexOf('?');
  const path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
  return { path, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

// Replaces the query part of the current route without a re-render (so a
// reload or a shared link keeps the filters).
export function setParams(params) {
  const { path } = parseHash();
  const qs = params.toString();
  history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
}
