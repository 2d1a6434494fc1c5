// Helpers for the server's system tests: start `cairn serve` (the sanitizer
// build when present) on a random port with a fresh data directory, sign in,
// talk to it through a client that keeps the session cookie and CSRF token
// (or a Bearer token), and stop it with SIGTERM asserting a clean exit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { bin as libBin, root } from './lib.mjs';

// CAIRN_TEST_BIN / CAIRN_TEST_RELEASE_BIN point at other builds (e.g. a
// snapshot taken while the tree is being edited).
export const bin = process.env.CAIRN_TEST_BIN ?? libBin;
export const releaseBin = process.env.CAIRN_TEST_RELEASE_BIN ?? join(root, 'build/cairn');
export { root };
// Setup steps (init, ingest, synth) are not under test here: the release
// binary starts faster; the server itself runs under the sanitizers.
const toolBin = existsSync(releaseBin) ? releaseBin : bin;
export const demoSchemaPath = join(root, 'docs/examples/schema-demo.json');
export const demoSchema = JSON.parse(readFileSync(demoSchemaPath, 'utf8'));

const supp = join(root, 'tests/lsan.supp');
const baseEnv = {
  ...process.env,
  CAIRN_NO_PROGRESS: '1',
  LSAN_OPTIONS: existsSync(supp) ? `suppressions=${supp}:print_suppressions=0` : '',
};
delete baseEnv.CAIRN_DATA;

// Runs a setup command with the tool binary; returns parsed --json output.
export function tool(args, opts = {}) {
  const r = spawnSync(opts.bin ?? toolBin, [...args, '--json'], {
    env: baseEnv, encoding: 'utf8', timeout: 120000, input: opts.input,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Synthetic images, made once per test process.
let synthDir = null;
export function synthImages(n = 6) {
  if (!synthDir) {
    synthDir = mkdtempSync(join(tmpdir(), 'cairn-synth-'));
    process.on('exit', () => rmSync(synthDir, { recursive: true, force: true }));
    tool(['synth', join(synthDir, 'shapes'), '--images', String(n), '--objects', '2', '--seed', '7',
      '--size', '64x48']);
  }
  return join(synthDir, 'shapes', 'images');
}

export function ingest(data, project, dir) {
  return tool(['ingest', '--project', project, '--data', data, dir]);
}

// One `cairn serve` process on a data directory.
export class Server {
  constructor(data, { binary = bin, password = null } = {}) {
    this.data = data;
    this.binary = binary;
    this.adminPassword = password;
    this.proc = null;
    this.log = '';
    this.url = null;
  }

  static async create(t, opts = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-srv-'));
    const data = join(dir, 'data');
    const init = tool(['init', '--data', data]);
    const s = new Server(data, { ...opts, password: init.password });
    s.dir = dir;
    await s.start();
    if (t) {
      t.after(async () => {
        if (s.proc) await s.stop();
        rmSync(dir, { recursive: true, force: true });
      });
    }
    return s;
  }

  async start() {
    const p = spawn(this.binary, ['serve', '--listen', '127.0.0.1:0', '--data', this.data],
      { env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    this.exited = new Promise((res) => p.on('exit', (code, signal) => res({ code, signal })));
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d) => {
      this.log += d;
      if (this.log.length > 1 << 20) this.log = this.log.slice(-(1 << 19));
    });
    p.stdout.setEncoding('utf8');
    let out = '';
    const url = await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start: ${this.log}`)), 20000);
      p.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/cairn: listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/);
        if (m) { clearTimeout(timer); res(m[1]); }
      });
      p.on('exit', (code) => { clearTimeout(timer); rej(new Error(`server exited ${code}: ${this.log}`)); });
    });
    this.url = url.replace(/\/$/, '');
    this.port = Number(new URL(this.url).port);
    return this;
  }

  // SIGTERM: in-flight requests finish, exit status 0, no sanitizer report.
  async stop() {
    const p = this.proc;
    this.proc = null;
    p.kill('SIGTERM');
    const r = await this.exited;
    assert.equal(r.signal, null, `server died of ${r.signal}: ${this.log.slice(-4000)}`);
    assert.equal(r.code, 0, `server exited ${r.code}: ${this.log.slice(-4000)}`);
    assert.doesNotMatch(this.log, /AddressSanitizer|LeakSanitizer|runtime error:/, this.log.slice(-8000));
    return r;
  }

  // kill -9: no chance to clean up.
  async kill() {
    const p = this.proc;
    this.proc = null;
    p.kill('SIGKILL');
    return this.exited;
  }

  anon() { return new Client(this.url); }

  async login(name, password) {
    const c = new Client(this.url);
    const r = await c.login(name, password);
    assert.equal(r.status, 200, `login ${name}: ${r.text}`);
    return c;
  }

  async admin() { return this.login('admin', this.adminPassword); }

  sql(query) {
    const r = spawnSync('sqlite3', [join(this.data, 'cairn.db'), query], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
    return r.stdout.trim();
  }
}

// A caller of the API: keeps the session cookie and CSRF token, or a Bearer token.
export class Client {
  constructor(base, { token = null } = {}) {
    this.base = base;
    this.token = token;
    this.cookie = null;
    this.csrf = null;
    this.user = null;
  }

  async login(username, password) {
    const r = await this.req('POST', '/api/v1/auth/login', { body: { username, password } });
    if (r.status === 200) {
      const sc = r.headers.get('set-cookie') ?? '';
      const m = sc.match(/cairn_session=([^;]*)/);
      this.cookie = m ? m[1] : null;
      this.csrf = r.json.csrf_token;
      this.user = r.json.user;
    }
    return r;
  }

  // A second client with a fresh API token of this user.
  async bearer(name = 'test') {
    const r = await this.req('POST', '/api/v1/auth/tokens', { body: { name } });
    assert.equal(r.status, 201, r.text);
    const c = new Client(this.base, { token: r.json.token });
    c.user = this.user;
    c.tokenId = r.json.id;
    return c;
  }

  headers(method, extra = {}) {
    const h = {};
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    else if (this.cookie) {
      h.Cookie = `cairn_session=${this.cookie}`;
      if (method !== 'GET' && method !== 'HEAD' && this.csrf) h['X-CSRF-Token'] = this.csrf;
    }
    return { ...h, ...extra };
  }

  // body: an object (sent as JSON), a string or Buffer (sent as is).
  async req(method, path, { body, headers = {}, csrf = true } = {}) {
    const h = this.headers(method, headers);
    if (!csrf) delete h['X-CSRF-Token'];
    let payload;
    if (body !== undefined) {
      if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
      else payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload });
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.toString('utf8');
    let json;
    if ((res.headers.get('content-type') ?? '').startsWith('application/json') && text.length) {
      try { json = JSON.parse(text); } catch { json = undefined; }
    }
    return { status: res.status, headers: res.headers, text, json, buf };
  }

  get(path, o) { return this.req('GET', path, o); }
  post(path, body, o = {}) { return this.req('POST', path, { ...o, body }); }
  put(path, body, o = {}) { return this.req('PUT', path, { ...o, body }); }
  patch(path, body, o = {}) { return this.req('PATCH', path, { ...o, body }); }
  del(path, o) { return this.req('DELETE', path, o); }
}

// A request with exactly these bytes in the path (fetch would normalise
// "..") and an optional body; resolves with {status, headers, text, json}
// even when the server answers before reading the whole body.
export function rawRequest(base, method, path, { headers = {}, body } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const r = http.request({
      host: u.hostname, port: u.port, method, path, headers: { Connection: 'close', ...headers },
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    r.on('error', (e) => {
      // EPIPE / ECONNRESET after an early answer: the response handler above wins.
      setTimeout(() => reject(e), 2000);
    });
    if (body !== undefined) r.end(body); else r.end();
  });
}

// Asserts the uniform error body {"error": {"code", "message", "field"}}.
export function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && r.json.error, `no JSON error body: ${r.text}`);
  assert.equal(typeof r.json.error.code, 'string');
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  assert.ok('field' in r.json.error, 'error.field present (may be null)');
  assert.ok(r.json.error.field === null || typeof r.json.error.field === 'string');
  if (code) assert.equal(r.json.error.code, code, r.text);
}

export async function assertHealthy(server) {
  const r = await fetch(server.url + '/api/v1/health');
  assert.equal(r.status, 200);
  assert.equal((await r.json()).ok, true);
}

// A valid annotation document of the demo schema with n boxes.
export function doc(n = 1, tag = 'x') {
  const objects = [];
  for (let i = 0; i < n; i++) {
    objects.push({ id: `${tag}${i}`, label: 'rectangle', type: 'box', points: [i, i, i + 10, i + 8],
      attributes: { color: 'red' } });
  }
  return { format: 1, objects };
}

// Users with a role in a project; returns {name: Client}. Creates them
// concurrently (Argon2id hashing dominates).
export async function makeUsers(server, admin, specs) {
  const out = {};
  await Promise.all(specs.map(async ({ name, roles = {} }) => {
    const password = `pw-${name}-secret-123`;
    const r = await admin.post('/api/v1/users', { name, password });
    assert.equal(r.status, 201, r.text);
    for (const [pid, role] of Object.entries(roles)) {
      const m = await admin.put(`/api/v1/projects/${pid}/members/${r.json.user.id}`, { role });
      assert.equal(m.status, 200, m.text);
    }
    const c = await server.login(name, password);
    c.password = password;
    out[name] = c;
  }));
  return out;
}

export async function createProject(admin, name, schema = demoSchema) {
  const r = await admin.post('/api/v1/projects', { name, schema });
  assert.equal(r.status, 201, r.text);
  return r.json.project;
}

export async function itemIds(client, projectId) {
  const r = await client.get(`/api/v1/projects/${projectId}/items?limit=1000`);
  assert.equal(r.status, 200, r.text);
  return r.json.items.map((i) => i.id);
}

// "GET /api/v1/x/{y}" for each row of routes.c.
export function routesOfTable() {
  const src = readFileSync(join(root, 'src/http/routes.c'), 'utf8');
  const out = [];
  for (const m of src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*V1\s*"([^"]*)"/g)) out.push(`${m[1]} ${m[2]}`);
  return out;
}

// ---- shared by several suites (jobs, formats_extra, quality, review, workflow) ----

// Polls a job until it is done, failed or cancelled (every 100 ms, at most
// `tries` times) and returns it.
export async function waitJob(client, project, id, tries = 300) {
  for (let i = 0; i < tries; i++) {
    const r = await client.get(`/api/v1/projects/${project}/jobs/${id}`);
    assert.equal(r.status, 200, r.text);
    if (['done', 'failed', 'cancelled'].includes(r.json.job.state)) return r.json.job;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

// Zips the folder root (paths relative to it) into the file out, with
// Python's zipfile, as a user's own tool would.
export function zipDir(root, out) {
  const r = spawnSync('python3', ['-c', `
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w') as z:
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
`, root, out], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`zipping ${root}: ${r.stderr}`);
}

// A manager, `annotators` annotators ann0.. and `reviewers` reviewers rev0..
// of one project: {users, mgr, anns, revs}.
export async function makeTeam(server, admin, project, { annotators = 0, reviewers = 0 } = {}) {
  const specs = [{ name: 'manager', roles: { [project]: 'manager' } }];
  for (let i = 0; i < annotators; i++) specs.push({ name: `ann${i}`, roles: { [project]: 'annotator' } });
  for (let i = 0; i < reviewers; i++) specs.push({ name: `rev${i}`, roles: { [project]: 'reviewer' } });
  const users = await makeUsers(server, admin, specs);
  return {
    users, mgr: users.manager,
    anns: [...Array(annotators).keys()].map((i) => users[`ann${i}`]),
    revs: [...Array(reviewers).keys()].map((i) => users[`rev${i}`]),
  };
}
