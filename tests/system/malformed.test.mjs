// Malformed requests: bad JSON, wrong types, bodies over the route's limit,
// deep nesting, path-traversal strings in every path parameter and query,
// odd Unicode, wrong content types, missing or bad If-Match. Each must be a
// 4xx with the JSON error body {"error": {"code", "message", "field"}}, and
// the server must go on serving (GET /api/v1/health after each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, createProject, itemIds, doc, demoSchema, assertError, assertHealthy,
  rawRequest,
} from './server.lib.mjs';

const P = '/api/v1';

test('malformed requests get a 4xx JSON error and the server keeps serving', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const api = await admin.bearer('malformed');
  const A = (await createProject(admin, 'alpha')).id;
  ingest(server.data, 'alpha', synthImages());
  const items = await itemIds(admin, A);
  const item = items[0];
  const uid = admin.user.id;
  const auth = { Authorization: `Bearer ${api.token}` };
  const raw = (method, path, o = {}) => rawRequest(server.url, method, path, { ...o, headers: { ...auth, ...(o.headers ?? {}) } });
  const json = { 'Content-Type': 'application/json' };

  let checked = 0;
  const expect4xx = async (what, r, status, code) => {
    try {
      // The schema check answers every body with a verdict, for live validation.
      if (status === 400 && what.includes('/schema/validate') && r.status === 200) {
        assert.equal(r.json.valid, false, r.text);
        assert.ok(r.json.errors.length >= 1);
        await assertHealthy(server);
        checked++;
        return;
      }
      if (status) assertError(r, status, code);
      else {
        assert.ok(r.status >= 400 && r.status < 500, `${r.status}: ${r.text}`);
        assertError(r, r.status, code);
      }
    } catch (e) {
      e.message = `${what}: ${e.message}`;
      throw e;
    }
    await assertHealthy(server);
    checked++;
  };

  // Every JSON-taking endpoint, with a body it would accept.
  const writes = [
    ['POST', `${P}/auth/login`, { username: 'admin', password: 'wrong-but-irrelevant' }],
    ['POST', `${P}/auth/password`, { current: 'x', new: 'y' }],
    ['POST', `${P}/auth/tokens`, { name: 't' }],
    ['POST', `${P}/users`, { name: 'someone' }],
    ['PATCH', `${P}/users/${uid}`, { active: true }],
    ['POST', `${P}/projects`, { name: 'p2', schema: demoSchema }],
    ['PUT', `${P}/projects/${A}/schema`, demoSchema],
    ['POST', `${P}/projects/${A}/schema/validate`, demoSchema],
    ['PUT', `${P}/projects/${A}/members/${uid}`, { role: 'viewer' }],
    ['PUT', `${P}/items/${item}/annotations/mine`, doc(1)],
    ['PUT', `${P}/items/${item}/annotations/gold`, doc(1)],
    ['PUT', `${P}/items/${item}/predictions/m`, doc(1)],
    ['POST', `${P}/items/${item}/comments`, { body: 'hi' }],
    ['POST', `${P}/projects/${A}/exports`, { format: 'coco' }],
  ];
  const ifMatch = { 'If-Match': '"0"' };

  // Bad JSON.
  const badJson = ['{"name": ', '{name: 1}', '[]', 'null', '"text"', '{"a":1}{"b":2}', '{"a":1,"a":2}',
    '{"x": 1e999999}', '{"x": tru}', '\u0000', '{"x":"\\q"}'];
  for (const [method, path] of writes) {
    for (const body of badJson) {
      const r = await api.req(method, path, { body, headers: ifMatch });
      await expect4xx(`${method} ${path} body ${JSON.stringify(body)}`, r, 400);
    }
    // No body at all (an export without one takes the defaults).
    if (!path.endsWith('/exports')) await expect4xx(`${method} ${path} without a body`, await api.req(method, path, { headers: { ...json, ...ifMatch } }), 400);
  }

  // Wrong types for each field.
  const wrongTypes = [
    ['POST', `${P}/auth/login`, { username: 5, password: 'x' }, 'username'],
    ['POST', `${P}/auth/login`, { username: 'a', password: ['x'] }, 'password'],
    ['POST', `${P}/auth/login`, { username: 'a', password: 'x', extra: 1 }, 'extra'],
    ['POST', `${P}/auth/tokens`, { name: { a: 1 } }, 'name'],
    ['POST', `${P}/users`, { name: 'bob', admin: 'yes' }, 'admin'],
    ['POST', `${P}/users`, { name: 'bob', password: 12345678 }, 'password'],
    ['PATCH', `${P}/users/${uid}`, { active: 1 }, 'active'],
    ['POST', `${P}/projects`, { name: 'p', schema: 'labels' }, 'schema'],
    ['POST', `${P}/projects`, { name: ['p'], schema: demoSchema }, 'name'],
    ['PUT', `${P}/projects/${A}/members/${uid}`, { role: 7 }, 'role'],
    ['PUT', `${P}/projects/${A}/members/${uid}`, { role: 'owner' }, 'role'],
    ['PUT', `${P}/items/${item}/annotations/mine`, { format: '1' }, null],
    ['PUT', `${P}/items/${item}/annotations/mine`, { format: 1, objects: {} }, null],
    ['PUT', `${P}/items/${item}/annotations/mine`, { format: 1, objects: [{ id: 'a', label: 'rectangle', type: 'box', points: ['0', 0, 1, 1], attributes: { color: 'red' } }] }, '$.objects[0].points[0]'],
    ['POST', `${P}/items/${item}/comments`, { body: 5 }, 'body'],
    ['POST', `${P}/items/${item}/comments`, { body: 'x', point: 'here' }, null],
  ];
  for (const [method, path, body, field] of wrongTypes) {
    const r = await api.req(method, path, { body, headers: ifMatch });
    await expect4xx(`${method} ${path} ${JSON.stringify(body)}`, r, 400);
    if (field) assert.equal(r.json.error.field, field, `${method} ${path}: ${r.text}`);
  }

  // Over the route's body limit (64 KiB here): 413 at once, declared or streamed.
  const big = Buffer.alloc(200 << 10, 'a');
  for (const path of [`${P}/auth/login`, `${P}/projects/${A}/members/${uid}`, `${P}/auth/tokens`]) {
    const method = path.includes('members') ? 'PUT' : 'POST';
    await expect4xx(`${path} with 200 KiB (Content-Length)`,
      await raw(method, path, { headers: json, body: big }), 413, 'too_big');
    // Chunked: no Content-Length, the limit is hit while reading.
    await expect4xx(`${path} with 200 KiB (chunked)`,
      await raw(method, path, { headers: { ...json, 'Transfer-Encoding': 'chunked' }, body: big }), 413, 'too_big');
  }
  // A declared length past the default limit on a route with none.
  await expect4xx('Content-Length 1 TB', await rawRequest(server.url, 'POST', `${P}/auth/logout`,
    { headers: { ...auth, 'Content-Length': String(1e12) } }), 413, 'too_big');

  // JSON nested 10,000 levels, in every JSON-taking endpoint.
  const deep = `{"x":${'['.repeat(10000)}${']'.repeat(10000)}}`;
  const deepObj = `${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}`;
  for (const [method, path] of writes) {
    await expect4xx(`${method} ${path} nested arrays`, await api.req(method, path, { body: deep, headers: ifMatch }), 400);
    await expect4xx(`${method} ${path} nested objects`, await api.req(method, path, { body: deepObj, headers: ifMatch }), 400);
  }

  // Odd Unicode: lone surrogates, overlong UTF-8, NUL, invalid bytes.
  const oddBodies = [
    Buffer.from('{"name":"\\ud800"}'),
    Buffer.from('{"name":"\\udc00x"}'),
    Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from('"}')]),
    Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff]), Buffer.from('"}')]),
    Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0x00]), Buffer.from('b"}')]),
    Buffer.from('{"name":"a\\u0000b"}'),
  ];
  for (const [method, path] of writes) {
    for (const body of oddBodies) {
      await expect4xx(`${method} ${path} ${body.toString('hex')}`, await api.req(method, path, { body, headers: ifMatch }), 400);
    }
  }
  // A lone surrogate inside an annotation's text attribute.
  const note = Buffer.from('{"format":1,"objects":[{"id":"a","label":"rectangle","type":"box","points":[0,0,1,1],"attributes":{"color":"red","note":"\\ud83d"}}]}');
  await expect4xx('annotation with a lone surrogate', await api.req('PUT', `${P}/items/${item}/annotations/mine`, { body: note, headers: ifMatch }), 400);
  // Valid but unusual Unicode is kept exactly.
  const fancy = 'naïve 🦀 \u202etxt.exe \u0301 ﷽';
  const pr = await api.post(`${P}/projects`, { name: 'unicode', description: fancy, schema: demoSchema });
  assert.equal(pr.status, 201, pr.text);
  assert.equal(pr.json.project.description, fancy);

  // Wrong content types: 415 on every JSON-taking endpoint.
  for (const [method, path, body] of writes) {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const r = await api.req(method, path, { body: JSON.stringify(body), headers: { 'Content-Type': ct, ...ifMatch } });
      await expect4xx(`${method} ${path} as ${ct}`, r, 415, 'unsupported_media_type');
    }
  }

  // If-Match: missing 428, malformed 400.
  for (const path of [`${P}/items/${item}/annotations/mine`, `${P}/items/${item}/annotations/gold`, `${P}/items/${item}/predictions/m`]) {
    await expect4xx(`${path} without If-Match`, await api.put(path, doc(1)), 428, 'precondition_required');
    for (const bad of ['x', '"1', '-1', '1e3', '"0x10"']) {
      const r = await api.put(path, doc(1), { headers: { 'If-Match': bad } });
      await expect4xx(`${path} If-Match ${bad}`, r, 400, 'invalid');
      assert.equal(r.json.error.field, 'If-Match');
    }
  }

  // Path traversal in every path parameter (raw bytes, not normalised).
  const evil = ['..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%5c..%5cwindows', '1%2F..%2F2',
    '%00', '-1', '0', '1.0', '99999999999999999999', '1;rm', '%252e%252e'];
  const patterns = [
    ['GET', '/items/{}'], ['GET', '/items/{}/media'], ['GET', '/items/{}/annotations'],
    ['GET', `/items/${item}/annotations/{}`], ['GET', `/items/${item}/annotations/{}/history`],
    ['GET', `/items/${item}/predictions/{}`], ['PUT', `/items/${item}/predictions/{}`],
    ['GET', '/projects/{}'], ['GET', '/projects/{}/items'], ['PUT', `/projects/${A}/members/{}`],
    ['DELETE', '/auth/tokens/{}'], ['PATCH', '/users/{}'], ['GET', `/projects/${A}/jobs/{}`],
    ['GET', `/projects/${A}/jobs/{}/download`],
  ];
  const numericOnly = new Set(['-1', '0', '1.0', '99999999999999999999', '1;rm']);
  for (const [method, pat] of patterns) {
    for (const e of evil) {
      // Model names ({name}) may be "0" or "-1"; ids may not.
      if (pat.includes('predictions') && numericOnly.has(e)) continue;
      const path = P + pat.replace('{}', e);
      const r = await raw(method, path, { headers: { ...json, ...ifMatch }, body: method === 'GET' || method === 'DELETE' ? undefined : '{"format":1}' });
      await expect4xx(`${method} ${path}`, r);
      assert.doesNotMatch(r.text, /root:x?:0:0/);
      assert.ok([400, 404].includes(r.status), `${method} ${path}: ${r.status}`);
    }
  }
  // %00 is never decoded to a NUL (it would cut the path short), so a path
  // with one does not name an item.
  const nul = await raw('GET', `${P}/items/${item}%00..%2F..%2Fetc%2Fpasswd`);
  await expect4xx('path with %00', nul, 404);
  await assertHealthy(server);

  // ... and in every query parameter: refused, or treated as plain text.
  for (const q of ['status', 'kind', 'split', 'label', 'batch', 'annotator', 'after', 'limit']) {
    for (const e of ['..%2F..%2Fetc%2Fpasswd', '../../etc/passwd', '-1', '%00', '1%00']) {
      const r = await raw('GET', `${P}/projects/${A}/items?${q}=${e}`);
      await expect4xx(`items?${q}=${e}`, r, 400);
      assert.equal(r.json.error.field, q);
    }
  }
  for (const e of ['..%2F..%2Fetc%2Fpasswd', '%00', '%C0%AF']) {
    const r = await raw('GET', `${P}/projects/${A}/items?q=${e}`);
    assert.ok(r.status === 200 || r.status === 400, `q=${e}: ${r.status} ${r.text}`);
    // '%00' stays the text "%00", which is a fine thing to search for.
    if (r.status === 200 && e !== '%00') assert.deepEqual(r.json.items, []);
    await assertHealthy(server);
  }
  for (const [name, e] of [['version', '../1'], ['from', '..'], ['lead_time_ms', '..%2F1']]) {
    const path = name === 'version' ? `${P}/projects/${A}/schema?version=${e}` : name === 'from'
      ? `${P}/items/${item}/annotations/1/diff?from=${e}&to=1` : `${P}/items/${item}/annotations/mine?lead_time_ms=${e}`;
    const r = await raw(name === 'lead_time_ms' ? 'PUT' : 'GET', path, { headers: { ...json, ...ifMatch }, body: name === 'lead_time_ms' ? JSON.stringify(doc(1)) : undefined });
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    await expect4xx(path, r);
  }
  // Names with ../ are refused where names become identifiers.
  for (const [path, body, field] of [
    [`${P}/users`, { name: '../etc' }, 'name'],
    [`${P}/projects`, { name: '../../x', schema: demoSchema }, 'name'],
    [`${P}/projects`, { name: 'a/b', schema: demoSchema }, 'name'],
  ]) {
    const r = await api.post(path, body);
    await expect4xx(`${path} ${JSON.stringify(body)}`, r, 400, 'invalid');
    assert.equal(r.json.error.field, field);
  }
  // Static files: traversal never reaches the file system.
  for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/api/v1/../../etc/passwd']) {
    const r = await raw('GET', p);
    assert.doesNotMatch(r.text, /root:x?:0:0/, p);
    assert.ok(r.status === 200 || r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    await assertHealthy(server);
  }

  // Unknown API paths and methods.
  await expect4xx('unknown path', await api.get(`${P}/nothing/here`), 404, 'not_found');
  const m = await api.req('DELETE', `${P}/projects/${A}`);
  await expect4xx('DELETE project', m, 405, 'method_not_allowed');
  assert.match(m.headers.get('allow'), /GET/);
  // A header larger than the connection's memory: refused, server alive.
  const hugeHeader = await rawRequest(server.url, 'GET', `${P}/health`, { headers: { 'X-Big': 'a'.repeat(100 << 10) } }).catch((e) => ({ status: 0, e }));
  assert.ok(hugeHeader.status === 0 || (hugeHeader.status >= 400 && hugeHeader.status < 500), `huge header: ${hugeHeader.status}`);
  await assertHealthy(server);

  // Nothing above changed the annotation or made a user.
  assert.equal((await api.get(`${P}/items/${item}/annotations/mine`)).json.version, 0);
  assert.deepEqual((await api.get(`${P}/users`)).json.users.map((u) => u.name), ['admin']);
  t.diagnostic(`${checked} malformed requests, each answered 4xx with a JSON error`);
});
