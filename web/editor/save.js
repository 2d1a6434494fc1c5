// save.js - never losing work. Every change is written to IndexedDB first
// (the pending buffer, one record per user and item), then saved to the
// server after a short pause with PUT .../annotations/mine and If-Match.
// The record is only deleted once the server has confirmed the very version
// it holds. A 401 keeps the buffer and asks to sign in; a 409 hands both
// sides to the page to resolve; network errors and 5xx retry with back-off.
import { request } from '/common/api.js';

const DB = 'cairn-editor', STORE = 'pending';
let dbp = null;

function db() {
  if (!dbp) {
    dbp = new Promise((res, rej) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
  }
  return dbp;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((res, rej) => {
    const t = d.transaction(STORE, mode);
    const st = t.objectStore(STORE);
    const r = fn(st);
    t.oncomplete = () => res(r && 'result' in r ? r.result : undefined);
    t.onerror = () => rej(t.error);
    t.onabort = () => rej(t.error);
  });
}

export const idbGet = (key) => tx('readonly', (s) => s.get(key));
export const idbPut = (key, v) => tx('readwrite', (s) => s.put(v, key));
export const idbDel = (key) => tx('readwrite', (s) => s.delete(key));
export const idbKeys = () => tx('readonly', (s) => s.getAllKeys());

export class Saver {
  // opts: {user, item, project, getDoc, onStatus(kind, text), onConflict({base, mine, current}),
  //        onAuth(), onInvalid(error)}
  constructor(opts) {
    Object.assign(this, opts);
    this.key = `${opts.user}/${opts.item}`;
    this.version = 0;
    this.baseDoc = null;     // the server's document at `version`
    this.gen = 0;            // bumps on every change
    this.savedGen = 0;       // the generation the server holds
    this.timer = null;
    this.busy = null;
    this.retry = 0;
    this.blocked = null;     // 'auth' | 'conflict' | 'invalid' while waiting on the user
    this.delay = opts.delay ?? 600;
  }

  get dirty() { return this.gen !== this.savedGen; }

  setBase(version, doc) { this.version = version; this.baseDoc = doc; }

  // Called after every change of the document.
  changed() {
    this.gen++;
    if (this.blocked === 'invalid') this.blocked = null;
    this.status('pending', 'Unsaved changes');
    this.buffer();
    this.schedule(this.delay);
  }

  buffer() {
    const gen = this.gen;
    const rec = { user: this.user, item: this.item, project: this.project, version: this.version, baseDoc: this.baseDoc, doc: this.getDoc(), gen, at: Date.now() };
    this.lastBuffer = idbPut(this.key, rec).catch((e) => this.status('error', `Could not keep a local copy: ${e.message}`));
    return this.lastBuffer;
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
  }

  status(kind, text) { this.onStatus && this.onStatus(kind, text); }

  // Saves now (waits for a save in flight first). extra: {status: 'submitted'}.
  async flush(extra = {}) {
    clearTimeout(this.timer);
    if (this.busy) { await this.busy; if (!this.dirty && !extra.status) return true; }
    if (this.blocked && this.blocked !== 'invalid') return false;
    if (!this.dirty && !extra.status) return true;
    this.busy = this.put(extra).finally(() => { this.busy = null; });
    return this.busy;
  }

  async put(extra) {
    const gen = this.gen;
    const doc = this.getDoc();
    if (this.lastBuffer) await this.lastBuffer;
    this.status('saving', 'Saving…');
    let r;
    try {
      const q = extra.status ? `?status=${extra.status}` : '';
      r = await request('PUT', `/items/${this.item}/annotations/mine${q}`,
        { body: JSON.stringify(doc), headers: { 'If-Match': `"${this.version}"` }, raw: true });
    } catch (e) {
      this.backoff('Offline: your changes are kept in this browser; retrying');
      return false;
    }
    if (r.status === 200 || r.status === 201) {
      this.retry = 0;
      this.version = r.json.version;
      this.baseDoc = doc;
      this.savedGen = gen;
      this.lastWarnings = r.json.warnings || [];
      if (this.gen === gen) {
        await idbDel(this.key).catch(() => {});
        this.status('saved', extra.status === 'submitted' ? 'Submitted' : 'All changes saved');
      } else {
        this.buffer();
        this.schedule(this.delay);
      }
      return true;
    }
    const err = (r.json && r.json.error) || { code: 'http', message: `HTTP ${r.status}` };
    if (r.status === 401) {
      this.blocked = 'auth';
      this.status('auth', 'Signed out: your changes are kept here. Sign in to save them.');
      this.onAuth && this.onAuth(err);
      return false;
    }
    if (r.status === 409 && r.json && r.json.current) {
      this.blocked = 'conflict';
      this.status('conflict', 'Someone else saved this item: choose what to keep');
      this.onConflict && this.onConflict({ base: this.baseDoc, mine: doc, current: r.json.current });
      return false;
    }
    if (r.status === 400 || r.status === 403 || r.status === 404 || r.status === 413) {
      this.blocked = 'invalid';
      this.status('invalid', `Not saved (kept in this browser): ${err.message}`);
      this.onInvalid && this.onInvalid(err);
      return false;
    }
    this.backoff(`Server error (${err.message}); retrying, your changes are kept`);
    return false;
  }

  backoff(text) {
    this.retry = Math.min(this.retry + 1, 6);
    const ms = Math.min(30000, 500 * 2 ** this.retry);
    this.status('offline', text);
    this.schedule(ms);
  }

  // After the user chose in a conflict: doc is what to save on top of `version`.
  resolved(version, serverDoc) {
    this.blocked = null;
    this.version = version;
    this.baseDoc = serverDoc;
  }

  unblock() { this.blocked = null; this.retry = 0; return this.flush(); }

  // The user chose to keep the server's version and drop the buffer.
  async clean(version, doc) {
    this.version = version; this.baseDoc = doc; this.savedGen = this.gen; this.blocked = null;
    await idbDel(this.key).catch(() => {});
    this.status('saved', 'All changes saved');
  }
}
