// session.js - who is signed in, and the one sign-in form. Pages call the
// server through api()/apiRaw() here: a 401 (no session, or an expired one)
// opens the sign-in dialog over the page, waits for the user, and retries
// the request, so the page continues where it was and keeps what was typed.
import { request, ApiError, setCsrf, me as apiMe, signOut as apiSignOut } from '../common/api.js';
import { h, statusLine, showError } from './dom.js';

export const session = { user: null, projects: [], csrf: null };
const listeners = new Set();
export const onSignIn = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };

// Loads the current user; false when signed out.
export async function loadMe() {
  const r = await apiMe();
  if (!r) { session.user = null; return false; }
  session.user = r.user;
  session.projects = r.projects || [];
  session.csrf = r.csrf_token || session.csrf;
  return true;
}

let pending = null; // the open sign-in dialog's promise

// Opens the sign-in dialog (once, however many requests wait) and resolves
// when someone has signed in.
export function requireSignIn(reason) {
  if (!pending) {
    pending = showSignIn(reason).finally(() => { pending = null; });
  }
  return pending;
}

function showSignIn(reason) {
  return new Promise((resolve) => {
    const msg = statusLine();
    const name = h('input', { id: 'signin-name', name: 'username', autocomplete: 'username', required: true });
    const pw = h('input', { id: 'signin-pw', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    if (session.user) name.value = session.user.name;
    const btn = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
    const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title' }, 'Cairn'),
      reason ? h('p', { class: 'hint' }, reason) : null,
      h('div', { class: 'field' }, h('label', { for: 'signin-name' }, 'User name'), name),
      h('div', { class: 'field' }, h('label', { for: 'signin-pw' }, 'Password'), pw),
      msg, btn);
    const dlg = h('dialog', { class: 'signin-dialog', 'aria-labelledby': 'signin-title' }, form);
    // Escape must not dismiss it: there is nothing to go back to.
    dlg.addEventListener('cancel', (e) => e.preventDefault());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      btn.disabled = true;
      showError(msg, null);
      try {
        const r = await request('POST', '/auth/login', { body: { username: name.value, password: pw.value } });
        setCsrf(r.csrf_token);
        session.csrf = r.csrf_token;
        const changed = !session.user || session.user.id !== r.user.id;
        await loadMe();
        dlg.close();
        dlg.remove();
        for (const fn of listeners) fn({ changed });
        resolve(r.user);
      } catch (err) {
        showError(msg, err.status === 401 ? new Error('Wrong user name or password.') : err);
        msg.setAttribute('role', 'alert');
        pw.select();
        pw.focus();
      } finally {
        btn.disabled = false;
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    (name.value ? pw : name).focus();
  });
}

const isAuthFailure = (e) => e instanceof ApiError && e.status === 401;

// request() that survives an expired session: on 401 it asks the user to
// sign in again and retries once.
export async function api(method, path, opts = {}) {
  try {
    return await request(method, path, opts);
  } catch (e) {
    if (!isAuthFailure(e) || path.startsWith('/auth/login')) throw e;
    await requireSignIn('Your session has ended. Sign in again to continue where you were.');
    return request(method, path, opts);
  }
}

export const get = (path, opts) => api('GET', path, opts);
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body });
export const put = (path, body, opts = {}) => api('PUT', path, { ...opts, body });
export const del = (path, opts) => api('DELETE', path, opts);

// GET without throwing: {status, json}; for probing optional endpoints.
export async function getRaw(path) {
  const r = await request('GET', path, { raw: true });
  if (r.status === 401) {
    await requireSignIn('Your session has ended. Sign in again to continue where you were.');
    return request('GET', path, { raw: true });
  }
  return r;
}

// Uploads a Blob with progress (fetch has no upload progress): resolves
// with {status, json}; a 401 asks for sign-in and sends it again.
export function upload(path, blob, onProgress, { signal } = {}) {
  const send = () => new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', `/api/v1${path}`);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.setRequestHeader('Accept', 'application/json');
    if (session.csrf) x.setRequestHeader('X-CSRF-Token', session.csrf);
    x.upload.onprogress = (e) => onProgress && onProgress(e.loaded, e.total || blob.size);
    x.onload = () => {
      let json = null;
      try { json = x.responseText ? JSON.parse(x.responseText) : null; } catch { json = null; }
      resolve({ status: x.status, json });
    };
    x.onerror = () => reject(new Error('the upload failed: network error'));
    x.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    if (signal) signal.addEventListener('abort', () => x.abort(), { once: true });
    x.send(blob);
  });
  return send().then(async (r) => {
    if (r.status !== 401) return r;
    await requireSignIn('Your session has ended. Sign in again to continue where you were.');
    return send();
  });
}

export async function signOut() {
  try { await apiSignOut(); } catch { /* already gone */ }
  session.user = null;
  session.csrf = null;
}

// The role in a project: 'manager' | 'reviewer' | 'annotator' | 'viewer';
// administrators count as managers.
export const canManage = (role) => session.user?.admin || role === 'manager';
