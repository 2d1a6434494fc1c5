// api.js - the browser's one way to talk to the server: JSON in and out of
// /api/v1, the session's CSRF token on every write, and errors as ApiError
// with the server's {code, message, field}. Shared by the app pages and the
// editor. No globals besides what is exported.

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http';
    this.field = e.field ?? null;
    this.body = body;
  }
}

let csrf = null;

// Remembers the CSRF token from sign-in or /auth/me.
export function setCsrf(token) { csrf = token || null; }

// Listeners for "the session is gone" (401): the app shows sign-in and
// keeps whatever the page had not saved.
const authListeners = new Set();
export function onUnauthenticated(fn) { authListeners.add(fn); return () => authListeners.delete(fn); }

// request('GET', '/projects') -> parsed JSON (or null for 204).
// opts: {body, headers, raw} - raw returns {status, headers, json} without
// throwing on 4xx/5xx.
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof FormData) && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (typeof body === 'string' && !headers['Content-Type']) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(`/api/v1${path}`, { method, headers, body, credentials: 'same-origin' });
  const text = r.status === 204 ? '' : await r.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (opts.raw) return { status: r.status, headers: r.headers, json };
  if (!r.ok) {
    const err = new ApiError(r.status, json);
    if (r.status === 401) for (const fn of authListeners) fn(err);
    throw err;
  }
  return json;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });
export const put = (path, body, opts = {}) => request('PUT', path, { ...opts, body });
export const patch = (path, body, opts = {}) => request('PATCH', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// Signs in; returns the user.
export async function signIn(username, password) {
  const r = await post('/auth/login', { username, password });
  setCsrf(r.csrf_token);
  return r.user;
}

export async function signOut() {
  try { await post('/auth/logout'); } finally { setCsrf(null); }
}

// The signed-in user and their projects, or null when signed out.
export async function me() {
  const r = await request('GET', '/auth/me', { raw: true });
  if (r.status === 401) return null;
  if (r.status !== 200) throw new ApiError(r.status, r.json);
  if (r.json.csrf_token) setCsrf(r.json.csrf_token);
  return r.json;
}
