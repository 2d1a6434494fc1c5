// Versioned annotation saves over HTTP: If-Match, 409 with the current
// state, nothing lost between two editors or under many concurrent ones,
// history, single versions, diffs, ETags, and validation errors that name
// the place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, makeUsers, createProject, itemIds, doc, assertError,
} from './server.lib.mjs';

const P = '/api/v1';

async function setup(t) {
  const server = await Server.create(t);
  const admin = await server.admin();
  const A = (await createProject(admin, 'alpha')).id;
  ingest(server.data, 'alpha', synthImages());
  const items = await itemIds(admin, A);
  return { server, admin, A, items };
}

const ids = (d) => d.objects.map((o) => o.id);

test('two editors save the same annotation: one 409 with the current state, nothing lost', async (t) => {
  const { server, admin, A, items } = await setup(t);
  const { manager } = await makeUsers(server, admin, [{ name: 'manager', roles: { [A]: 'manager' } }]);
  const url = `${P}/items/${items[0]}/annotations/gold`;

  // Both open the (empty) gold annotation.
  const g1 = await admin.get(url);
  const g2 = await manager.get(url);
  assert.equal(g1.status, 200);
  assert.equal(g1.json.version, 0);
  assert.equal(g1.json.document, null);
  assert.equal(g1.headers.get('etag'), '"0"');
  assert.equal(g2.json.version, 0);

  const first = await admin.put(url, doc(2, 'a'), { headers: { 'If-Match': g1.headers.get('etag') } });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.version, 1);
  assert.equal(first.headers.get('etag'), '"1"');
  const annId = first.json.id;

  // The second save was based on version 0: 409, and the body carries version 1.
  const second = await manager.put(url, doc(3, 'm'), { headers: { 'If-Match': '"0"' } });
  assertError(second, 409, 'conflict');
  assert.equal(second.json.error.field, 'If-Match');
  assert.equal(second.json.current.version, 1);
  assert.equal(second.json.current.annotation.id, annId);
  assert.deepEqual(ids(second.json.current.document), ['a0', 'a1']);

  // The manager merges both and saves on top of version 1.
  const merged = { format: 1, objects: [...second.json.current.document.objects, ...doc(3, 'm').objects] };
  const third = await manager.put(url, merged, { headers: { 'If-Match': `"${second.json.current.version}"` } });
  assert.equal(third.status, 200, third.text);
  assert.equal(third.json.version, 2);

  // A stale save and a save from the future both conflict.
  assertError(await admin.put(url, doc(1), { headers: { 'If-Match': '1' } }), 409, 'conflict');
  assertError(await admin.put(url, doc(1), { headers: { 'If-Match': 'W/"7"' } }), 409, 'conflict');

  // History: both versions, who made them, each document retrievable.
  const h = await admin.get(`${P}/items/${items[0]}/annotations/${annId}/history`);
  assert.equal(h.status, 200);
  assert.deepEqual(h.json.versions.map((v) => [v.version, v.user_name]).sort(), [[1, 'admin'], [2, 'manager']]);
  for (const v of h.json.versions) assert.ok(v.created_at > 0);
  const v1 = await admin.get(`${P}/items/${items[0]}/annotations/${annId}/history/1`);
  assert.deepEqual(ids(v1.json.document), ['a0', 'a1']);
  assert.match(v1.headers.get('cache-control'), /immutable/);
  const v2 = await admin.get(`${P}/items/${items[0]}/annotations/${annId}/history/2`);
  assert.deepEqual(ids(v2.json.document), ['a0', 'a1', 'm0', 'm1', 'm2']);
  assertError(await admin.get(`${P}/items/${items[0]}/annotations/${annId}/history/3`), 404);

  const d = await admin.get(`${P}/items/${items[0]}/annotations/${annId}/diff?from=1&to=2`);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.from, 1);
  assert.equal(d.json.to, 2);
  assert.ok(JSON.stringify(d.json.changes).includes('m0'), d.text);
  assertError(await admin.get(`${P}/items/${items[0]}/annotations/${annId}/diff?from=1`), 400);
  assertError(await admin.get(`${P}/items/${items[0]}/annotations/${annId}/diff?from=x&to=2`), 400);

  // The current state by id, with its version as the ETag; 304 when unchanged.
  const cur = await admin.get(`${P}/items/${items[0]}/annotations/${annId}`);
  assert.equal(cur.json.version, 2);
  assert.equal(cur.json.annotation.kind, 'gold');
  assert.equal(cur.headers.get('etag'), '"2"');
  const nm = await admin.get(`${P}/items/${items[0]}/annotations/${annId}`, { headers: { 'If-None-Match': '"2"' } });
  assert.equal(nm.status, 304);
});

test('many concurrent editors with If-Match retry loops: version = successful saves, history complete', async (t) => {
  const { admin, items } = await setup(t);
  const url = `${P}/items/${items[1]}/annotations/gold`;
  const CLIENTS = 20;
  const SAVES = 10;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => admin.bearer(`c${i}`)));
  const acked = new Map(); // version -> object id tag that was saved
  let conflicts = 0;
  await Promise.all(clients.map(async (c, ci) => {
    let version = 0;
    for (let s = 0; s < SAVES; s++) {
      const tag = `c${ci}s${s}x`;
      for (;;) {
        const r = await c.put(url, doc(1, tag), { headers: { 'If-Match': `"${version}"` } });
        if (r.status === 200 || r.status === 201) {
          assert.ok(!acked.has(r.json.version), `version ${r.json.version} acknowledged twice`);
          acked.set(r.json.version, `${tag}0`);
          version = r.json.version;
          break;
        }
        assert.equal(r.status, 409, r.text);
        conflicts++;
        await new Promise((res) => setTimeout(res, Math.random() * 8)); // back off a little
        assert.ok(r.json.current.version > version || version === 0 || r.json.current.version !== version);
        version = r.json.current.version;
      }
    }
  }));
  const total = CLIENTS * SAVES;
  assert.equal(acked.size, total);
  const cur = await admin.get(url);
  assert.equal(cur.json.version, total, 'the version counts every acknowledged save');
  const h = await admin.get(`${P}/items/${items[1]}/annotations/${cur.json.annotation.id}/history`);
  const versions = h.json.versions.map((v) => v.version).sort((x, y) => x - y);
  assert.deepEqual(versions, Array.from({ length: total }, (_, i) => i + 1));
  // Every acknowledged save's document is the one in history.
  const annId = cur.json.annotation.id;
  for (const [v, objId] of acked) {
    const r = await admin.get(`${P}/items/${items[1]}/annotations/${annId}/history/${v}`);
    assert.equal(r.status, 200);
    assert.deepEqual(ids(r.json.document), [objId], `version ${v}`);
  }
  t.diagnostic(`${total} saves, ${conflicts} conflicts retried`);
});

test('saves: If-Match required and well-formed, content type, status, validation errors name the field', async (t) => {
  const { server, admin, A, items } = await setup(t);
  const url = `${P}/items/${items[2]}/annotations/mine`;
  assertError(await admin.put(url, doc(1)), 428, 'precondition_required');
  for (const bad of ['abc', '"-1"', '""', '1.5', '"1" , "2"', '*', '99999999999999999999']) {
    const r = await admin.put(url, doc(1), { headers: { 'If-Match': bad } });
    assertError(r, 400, 'invalid');
    assert.equal(r.json.error.field, 'If-Match', bad);
  }
  assertError(await admin.put(url, 'format=1', { headers: { 'If-Match': '0', 'Content-Type': 'application/x-www-form-urlencoded' } }), 415);
  assertError(await admin.put(`${url}?status=final`, doc(1), { headers: { 'If-Match': '0' } }), 400);
  assertError(await admin.put(`${url}?lead_time_ms=-5`, doc(1), { headers: { 'If-Match': '0' } }), 400);

  const badLabel = { format: 1, objects: [{ id: 'a', label: 'cat', type: 'box', points: [0, 0, 1, 1] }] };
  const r = await admin.put(url, badLabel, { headers: { 'If-Match': '0' } });
  assertError(r, 400, 'invalid');
  assert.equal(r.json.error.field, '$.objects[0].label');
  assert.match(r.json.error.message, /'cat' is not a label/);
  const badPts = { format: 1, objects: [{ id: 'a', label: 'rectangle', type: 'box', points: [0, 0, 1], attributes: { color: 'red' } }] };
  const r2 = await admin.put(url, badPts, { headers: { 'If-Match': '0' } });
  assertError(r2, 400);
  assert.equal(r2.json.error.field, '$.objects[0].points');
  assertError(await admin.put(url, { format: 2 }, { headers: { 'If-Match': '0' } }), 409, 'version');
  // Nothing was saved by the failures.
  assert.equal((await admin.get(url)).json.version, 0);

  // A save with warnings still saves; status and lead time are recorded.
  const flat = { format: 1, objects: [{ id: 'z', label: 'rectangle', type: 'box', points: [5, 5, 5, 5], attributes: { color: 'red' } }] };
  const ok = await admin.put(`${url}?status=submitted&lead_time_ms=1500`, flat, { headers: { 'If-Match': '0' } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.status, 'submitted');
  assert.ok(ok.json.warnings.length >= 1, ok.text);
  const g = await admin.get(url);
  assert.equal(g.json.annotation.status, 'submitted');
  assert.equal(g.json.annotation.lead_time_ms, 1500);
  assert.equal(g.json.document.objects[0].attributes.color, 'red');
  // The canonical form fills defaults.
  assert.equal(g.json.document.objects[0].attributes.occluded, false);

  // Predictions: a bad model name is refused, good ones are separate annotations.
  assertError(await admin.put(`${P}/items/${items[2]}/predictions/bad%20name`, doc(1), { headers: { 'If-Match': '0' } }), 400);
  assert.equal((await admin.put(`${P}/items/${items[2]}/predictions/m-1.v2`, doc(1), { headers: { 'If-Match': '0' } })).status, 201);
  assert.equal((await admin.put(`${P}/items/${items[2]}/predictions/other`, doc(2), { headers: { 'If-Match': '0' } })).status, 201);
  const list = await admin.get(`${P}/items/${items[2]}/annotations`);
  assert.deepEqual(list.json.annotations.map((x) => `${x.kind}:${x.source}`).sort(),
    ['manual:', 'prediction:m-1.v2', 'prediction:other']);
  // A nonexistent item.
  assertError(await admin.put(`${P}/items/999999/annotations/mine`, doc(1), { headers: { 'If-Match': '0' } }), 404);
  void server;
});
