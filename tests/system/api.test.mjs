// The rest of the REST API: sign-in, sessions (expired, revoked, CSRF,
// throttling), tokens, users, projects, schema versions, members, item
// filters with cursors and counts, media with Range and ETag, security
// headers, the OpenAPI document (no route of routes.c missing) and
// docs/api.md (every route documented, GET examples replayed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Server, Client, root, synthImages, ingest, makeUsers, createProject, itemIds, demoSchema, doc,
  assertError, rawRequest, routesOfTable,
} from './server.lib.mjs';

const P = '/api/v1';

function assertSecurityHeaders(r, what) {
  const h = r.headers.get ? (n) => r.headers.get(n) : (n) => r.headers[n];
  const csp = h('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(h('x-content-type-options'), 'nosniff', what);
}

test('sessions, tokens, users, passwords, throttling and security headers', async (t) => {
  const server = await Server.create(t);
  const anon = server.anon();
  // Sign-in: cookie flags, CSRF token, me.
  const admin = new Client(server.url);
  const li = await admin.login('admin', server.adminPassword);
  assert.equal(li.status, 200);
  const sc = li.headers.get('set-cookie');
  assert.match(sc, /cairn_session=cairn_[0-9a-f]{64}/);
  assert.match(sc, /HttpOnly/);
  assert.match(sc, /SameSite=Strict/);
  assert.match(li.json.csrf_token, /^[0-9a-f]{64}$/);
  assert.equal(li.json.user.name, 'admin');
  assert.equal(li.json.user.admin, true);
  const me = await admin.get(`${P}/auth/me`);
  assert.equal(me.json.user.name, 'admin');
  assert.deepEqual(me.json.projects, []);
  assertError(await anon.get(`${P}/auth/me`), 401, 'unauthenticated');
  assertError(await anon.post(`${P}/auth/login`, { username: 'admin', password: 'nope' }), 401, 'unauthenticated');

  // A cookie write without the CSRF header: 403; with a wrong one: 403.
  const noCsrf = await admin.post(`${P}/auth/tokens`, { name: 'x' }, { csrf: false });
  assertError(noCsrf, 403, 'forbidden');
  assert.equal(noCsrf.json.error.field, 'X-CSRF-Token');
  assertError(await admin.post(`${P}/auth/tokens`, { name: 'x' }, { headers: { 'X-CSRF-Token': 'f'.repeat(64) } }), 403);
  // Garbage credentials: 401, never 500.
  for (const auth of ['Bearer nonsense', 'Basic YWRtaW46eA==', `Bearer cairn_${'0'.repeat(64)}`, 'Bearer ']) {
    assertError(await anon.get(`${P}/auth/me`, { headers: { Authorization: auth } }), 401, 'unauthenticated');
  }
  assertError(await anon.get(`${P}/auth/me`, { headers: { Cookie: 'cairn_session=../../etc' } }), 401);

  // API tokens: shown once, listed without the secret, usable, revocable.
  const tk = await admin.post(`${P}/auth/tokens`, { name: 'ci script' });
  assert.equal(tk.status, 201);
  assert.match(tk.json.token, /^cairn_[0-9a-f]{64}$/);
  const list = await admin.get(`${P}/auth/tokens`);
  const row = list.json.tokens.find((x) => x.id === tk.json.id);
  assert.equal(row.name, 'ci script');
  assert.ok(!JSON.stringify(list.json).includes(tk.json.token), 'the secret is never listed');
  const bot = new Client(server.url, { token: tk.json.token });
  assert.equal((await bot.get(`${P}/auth/me`)).json.user.name, 'admin');
  // A Bearer write needs no CSRF header.
  assert.equal((await bot.post(`${P}/auth/tokens`, { name: 'from bot' })).status, 201);
  // A session cookie sent as a Bearer token is refused (and vice versa).
  assertError(await anon.get(`${P}/auth/me`, { headers: { Authorization: `Bearer ${admin.cookie}` } }), 401);
  assertError(await anon.get(`${P}/auth/me`, { headers: { Cookie: `cairn_session=${tk.json.token}` } }), 401);
  assert.equal((await admin.del(`${P}/auth/tokens/${tk.json.id}`)).status, 204);
  assertError(await bot.get(`${P}/auth/me`), 401, 'unauthenticated');
  assertError(await admin.del(`${P}/auth/tokens/${tk.json.id}`), 404);

  // Users: generated password, duplicates, bad names, self-demotion refused.
  const u = await admin.post(`${P}/users`, { name: 'carol' });
  assert.equal(u.status, 201, u.text);
  assert.ok(u.json.password.length >= 16);
  assert.equal(u.json.user.admin, false);
  assertError(await admin.post(`${P}/users`, { name: 'CAROL' }), 409, 'exists');
  assertError(await admin.post(`${P}/users`, { name: 'dave', password: 'short' }), 400);
  assertError(await admin.patch(`${P}/users/${admin.user.id}`, { admin: false }), 400);
  assertError(await admin.patch(`${P}/users/${admin.user.id}`, { active: false }), 400);
  assertError(await admin.patch(`${P}/users/999999`, { active: true }), 404);
  const users = await admin.get(`${P}/users`);
  assert.deepEqual(users.json.users.map((x) => x.name), ['admin', 'carol']);
  assert.ok(!users.text.includes('argon2'), 'no password hashes');

  // Passwords: the current one is checked, the new one works.
  const carol = await server.login('carol', u.json.password);
  assertError(await carol.post(`${P}/auth/password`, { current: 'wrong', new: 'a new password 1' }), 403);
  assertError(await carol.post(`${P}/auth/password`, { current: u.json.password, new: 'short' }), 400);
  assert.equal((await carol.post(`${P}/auth/password`, { current: u.json.password, new: 'a new password 1' })).status, 200);
  await server.login('carol', 'a new password 1');

  // An expired session: 401 session_expired; the edit is kept by the
  // client and saved after signing in again with the same If-Match.
  const A = (await createProject(admin, 'alpha')).id;
  ingest(server.data, 'alpha', synthImages());
  const [item] = await itemIds(admin, A);
  assert.equal((await admin.put(`${P}/projects/${A}/members/${carol.user.id}`, { role: 'manager' })).status, 200);
  server.sql(`UPDATE tokens SET expires_at = 1 WHERE user_id = ${carol.user.id} AND kind = 'session'`);
  const exp = await carol.put(`${P}/items/${item}/annotations/mine`, doc(2), { headers: { 'If-Match': '0' } });
  assertError(exp, 401, 'session_expired');
  assertError(await carol.get(`${P}/auth/me`), 401, 'session_expired');
  // Signing in again works although the browser still sends the expired cookie.
  assert.equal((await carol.login('carol', 'a new password 1')).status, 200);
  const saved = await carol.put(`${P}/items/${item}/annotations/mine`, doc(2), { headers: { 'If-Match': '0' } });
  assert.equal(saved.status, 201, saved.text);
  // Sign-out revokes the session: 401 unauthenticated, the cookie is cleared.
  const lo = await carol.post(`${P}/auth/logout`, {});
  assert.equal(lo.status, 200);
  assert.match(lo.headers.get('set-cookie'), /Max-Age=0/);
  assertError(await carol.get(`${P}/auth/me`), 401, 'unauthenticated');
  // A deactivated user cannot sign in.
  assert.equal((await admin.patch(`${P}/users/${carol.user.id}`, { active: false })).status, 200);
  assertError(await anon.post(`${P}/auth/login`, { username: 'carol', password: 'a new password 1' }), 401);

  // Throttling: repeated failures for one name answer 429 with Retry-After.
  let throttled = null;
  for (let i = 0; i < 8 && !throttled; i++) {
    const r = await anon.post(`${P}/auth/login`, { username: 'mallory', password: `guess${i}` });
    if (r.status === 429) throttled = r;
    else assertError(r, 401);
  }
  assert.ok(throttled, 'no 429 after 8 failures');
  assertError(throttled, 429, 'too_many_attempts');
  assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
  // ... even with the right password while throttled; other names are not affected.
  assert.equal((await anon.post(`${P}/auth/login`, { username: 'admin', password: server.adminPassword })).status, 200);

  // Security headers on every kind of response.
  const responses = {
    health: await anon.get(`${P}/health`),
    401: await anon.get(`${P}/auth/me`),
    404: await admin.get(`${P}/nothing`),
    405: await admin.req('DELETE', `${P}/health`),
    429: throttled,
    ui: await anon.get('/'),
    media: await admin.get(`${P}/items/${item}/media`),
    413: await rawRequest(server.url, 'POST', `${P}/auth/login`, { headers: { 'Content-Type': 'application/json' }, body: Buffer.alloc(100 << 10, 'a') }),
  };
  responses[304] = await admin.get(`${P}/items/${item}/media`, { headers: { 'If-None-Match': responses.media.headers.get('etag') } });
  assert.equal(responses[304].status, 304);
  for (const [what, r] of Object.entries(responses)) assertSecurityHeaders(r, what);
});

test('projects, schema versions, members, items with filters, cursors, counts, and media', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const pr = await admin.post(`${P}/projects`, { name: 'alpha', description: 'first', schema: demoSchema });
  assert.equal(pr.status, 201);
  assert.equal(pr.json.project.schema_version, 1);
  const A = pr.json.project.id;
  assertError(await admin.post(`${P}/projects`, { name: 'alpha', schema: demoSchema }), 409, 'exists');
  const badSchema = structuredClone(demoSchema);
  badSchema.labels[1].shapes = ['box', 'blob'];
  const bs = await admin.post(`${P}/projects`, { name: 'broken', schema: badSchema });
  assertError(bs, 400);
  assert.equal(bs.json.error.field, 'schema');
  assert.match(bs.json.error.message, /\$\.labels\[1\]\.shapes\[1\]/);
  assert.ok(Array.isArray(bs.json.error.errors));
  const images = synthImages();
  ingest(server.data, 'alpha', images);

  // Schema versions: If-Match on the version, history of versions.
  const s1 = await admin.get(`${P}/projects/${A}/schema`);
  assert.equal(s1.json.version, 1);
  assert.equal(s1.json.current, 1);
  const next = structuredClone(demoSchema);
  next.labels[0].description = 'changed';
  const s2 = await admin.put(`${P}/projects/${A}/schema?message=describe`, next, { headers: { 'If-Match': '"1"' } });
  assert.equal(s2.status, 200, s2.text);
  assert.equal(s2.json.version, 2);
  assertError(await admin.put(`${P}/projects/${A}/schema`, next, { headers: { 'If-Match': '1' } }), 409, 'conflict');
  assert.equal((await admin.get(`${P}/projects/${A}/schema?version=1`)).json.version, 1);
  assert.equal((await admin.get(`${P}/projects/${A}/schema`)).json.schema.labels[0].description, 'changed');
  assertError(await admin.get(`${P}/projects/${A}/schema?version=9`), 404);
  const vs = await admin.get(`${P}/projects/${A}/schema/versions`);
  assert.equal(vs.status, 200, vs.text);
  assert.deepEqual(vs.json.versions.map((x) => [x.version, x.message, x.user_name]),
    [[2, 'describe', 'admin'], [1, 'created', 'admin']]);
  const v = await admin.post(`${P}/projects/${A}/schema/validate`, badSchema);
  assert.equal(v.json.valid, false);
  assert.ok(v.json.count >= 1);
  assert.equal((await admin.post(`${P}/projects/${A}/schema/validate`, demoSchema)).json.valid, true);

  // Members.
  const { ann, rev } = await makeUsers(server, admin, [{ name: 'ann', roles: { [A]: 'annotator' } }, { name: 'rev' }]);
  assert.equal((await admin.put(`${P}/projects/${A}/members/${rev.user.id}`, { role: 'reviewer' })).status, 200);
  assert.equal((await admin.put(`${P}/projects/${A}/members/${rev.user.id}`, { role: 'viewer' })).json.role, 'viewer');
  const mem = await rev.get(`${P}/projects/${A}/members`);
  assert.deepEqual(mem.json.members.map((m) => [m.name, m.role]).sort(), [['admin', 'manager'], ['ann', 'annotator'], ['rev', 'viewer']]);
  assertError(await admin.put(`${P}/projects/${A}/members/999999`, { role: 'viewer' }), 404);
  assert.equal((await admin.del(`${P}/projects/${A}/members/${rev.user.id}`)).status, 204);
  assertError(await admin.del(`${P}/projects/${A}/members/${rev.user.id}`), 404);
  void ann;

  // Project with counts.
  const pg = await admin.get(`${P}/projects/${A}`);
  assert.equal(pg.json.counts.items, 6);
  assert.equal(pg.json.counts.by_kind.image, 6);
  assert.equal(pg.json.counts.by_status.new, 6);
  assert.equal(pg.json.project.schema_version, 2);
  assert.equal(pg.json.role, 'manager');

  // Items: cursor pages cover everything exactly once.
  const all = [];
  let after = 0;
  for (let pages = 0; pages < 10; pages++) {
    const r = await admin.get(`${P}/projects/${A}/items?limit=4${after ? `&after=${after}` : ''}`);
    assert.equal(r.status, 200);
    all.push(...r.json.items.map((x) => x.id));
    if (r.json.next === null) break;
    after = r.json.next;
  }
  assert.equal(all.length, 6);
  assert.equal(new Set(all).size, 6);
  assert.deepEqual(all, [...all].sort((x, y) => x - y));
  const count = async (q) => (await admin.get(`${P}/projects/${A}/items/count?${q}`)).json.count;
  assert.equal(await count(''), 6);
  assert.equal(await count('status=new'), 6);
  assert.equal(await count('status=done'), 0);
  assert.equal(await count('kind=image'), 6);
  assert.equal(await count('kind=video'), 0);
  assert.equal(await count('split=train'), 0);
  assert.equal(await count('q=000003'), 1);
  const byName = await admin.get(`${P}/projects/${A}/items?q=000003`);
  assert.deepEqual(byName.json.items.map((x) => x.name), ['images/000003.jpg']);
  // Label and annotator filters follow saved annotations.
  assert.equal((await admin.put(`${P}/items/${all[1]}/annotations/mine`, doc(1), { headers: { 'If-Match': '0' } })).status, 201);
  const byLabel = await admin.get(`${P}/projects/${A}/items?label=rectangle`);
  assert.deepEqual(byLabel.json.items.map((x) => x.id), [all[1]]);
  assert.equal(await count('label=rectangle'), 1);
  assert.equal(await count('label=person'), 0);
  assert.equal(await count(`annotator=${admin.user.id}`), 1);
  assertError(await admin.get(`${P}/projects/${A}/items?label=unicorn`), 400);
  assertError(await admin.get(`${P}/projects/${A}/items?limit=0`), 400);
  assertError(await admin.get(`${P}/projects/${A}/items?limit=1001`), 400);
  assertError(await admin.get(`${P}/projects/${A}/items?status=finished`), 400);
  const one = await admin.get(`${P}/items/${all[0]}`);
  assert.equal(one.json.item.width, 64);
  assert.equal(one.json.item.height, 48);
  assert.equal(one.json.item.mime, 'image/jpeg');

  // Media: bytes as ingested, ETag and 304, Range 206 / 416, HEAD.
  const file = readFileSync(join(images, '000001.jpg'));
  const m = await admin.get(`${P}/items/${all[0]}/media`);
  assert.equal(m.status, 200);
  assert.equal(m.headers.get('content-type'), 'image/jpeg');
  assert.equal(m.headers.get('accept-ranges'), 'bytes');
  assert.ok(m.buf.equals(file), 'the original bytes');
  const etag = m.headers.get('etag');
  assert.equal(etag, `"${one.json.item.hash}"`);
  assert.match(m.headers.get('cache-control'), /immutable/);
  assert.equal((await admin.get(`${P}/items/${all[0]}/media`, { headers: { 'If-None-Match': etag } })).status, 304);
  const r1 = await admin.get(`${P}/items/${all[0]}/media`, { headers: { Range: 'bytes=0-9' } });
  assert.equal(r1.status, 206);
  assert.equal(r1.headers.get('content-range'), `bytes 0-9/${file.length}`);
  assert.ok(r1.buf.equals(file.subarray(0, 10)));
  const r2 = await admin.get(`${P}/items/${all[0]}/media`, { headers: { Range: 'bytes=-5' } });
  assert.ok(r2.buf.equals(file.subarray(file.length - 5)));
  const r3 = await admin.get(`${P}/items/${all[0]}/media`, { headers: { Range: `bytes=100-` } });
  assert.ok(r3.buf.equals(file.subarray(100)));
  const r4 = await admin.get(`${P}/items/${all[0]}/media`, { headers: { Range: `bytes=${file.length}-` } });
  assertError(r4, 416, 'range_not_satisfiable');
  assert.equal(r4.headers.get('content-range'), `bytes */${file.length}`);
  const head = await admin.req('HEAD', `${P}/items/${all[0]}/media`);
  assert.equal(head.status, 200);
  assert.equal(head.buf.length, 0);
  assertError(await admin.get(`${P}/items/999999/media`), 404);
  // JSON ETags: 304 when unchanged; gzip when asked.
  const it = await admin.get(`${P}/projects/${A}/items`);
  const again = await admin.get(`${P}/projects/${A}/items`, { headers: { 'If-None-Match': it.headers.get('etag') } });
  assert.equal(again.status, 304);
  const gz = await rawRequest(server.url, 'GET', `${P}/projects/${A}/items`, { headers: { Authorization: `Bearer ${(await admin.bearer()).token}`, 'Accept-Encoding': 'gzip' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
});

test('the OpenAPI document lists every route; docs/api.md documents every route and its GET examples hold', async (t) => {
  const server = await Server.create(t);
  const r = await server.anon().get(`${P}/openapi.json`);
  assert.equal(r.status, 200);
  const spec = r.json;
  assert.match(spec.openapi, /^3\./);
  const routes = routesOfTable();
  assert.ok(routes.length >= 40, `${routes.length} routes parsed from routes.c`);
  const missing = routes.filter((x) => {
    const [method, path] = x.split(' ');
    const op = spec.paths[P + path]?.[method.toLowerCase()];
    if (!op) return true;
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    return params.some((p) => !op.parameters.some((q) => q.name === p && q.in === 'path'));
  });
  assert.deepEqual(missing, [], 'routes missing from /api/v1/openapi.json');
  const count = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.equal(count, routes.length, 'no route in the document that routes.c lacks');

  // docs/api.md has a section "### METHOD /api/v1/..." for every route.
  const md = readFileSync(join(root, 'docs/api.md'), 'utf8');
  const documented = new Set([...md.matchAll(/^### (GET|POST|PUT|PATCH|DELETE) \/api\/v1(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`));
  assert.deepEqual(routes.filter((x) => !documented.has(x)), [], 'routes missing from docs/api.md');

  // Replay the documented GET examples marked "replay" on a server set up
  // as the document says: project 1 "demo" with the six synthetic images,
  // the admin's annotation 1 on item 1 (two versions).
  const admin = await server.admin();
  await createProject(admin, 'demo');
  ingest(server.data, 'demo', synthImages());
  await admin.put(`${P}/items/1/annotations/mine`, doc(1), { headers: { 'If-Match': '0' } });
  await admin.put(`${P}/items/1/annotations/mine`, doc(2), { headers: { 'If-Match': '1' } });
  const examples = [...md.matchAll(/<!-- replay -->\s*```http\s*\n(GET) (\S+)[^`]*?```\s*\nResponse `(\d+)`:?\s*```json\s*\n([\s\S]*?)```/g)];
  assert.ok(examples.length >= 10, `${examples.length} replayable examples`);
  for (const [, method, path, status, body] of examples) {
    const got = await admin.req(method, path);
    assert.equal(got.status, Number(status), `${method} ${path}: ${got.text}`);
    const want = JSON.parse(body);
    // Same keys at the top level and one level down (values such as times differ).
    const shape = (o) => (o && typeof o === 'object' && !Array.isArray(o)
      ? Object.keys(o).sort().map((k) => [k, o[k] && typeof o[k] === 'object' && !Array.isArray(o[k]) ? Object.keys(o[k]).sort() : typeof o[k]])
      : typeof o);
    assert.deepEqual(shape(got.json), shape(want), `docs/api.md example ${method} ${path}`);
  }
});
