// The project the quality tests share (tests/system/quality.test.mjs and
// tests/browser/quality.test.mjs): three people label the same items (tags
// and boxes), one of them an annotator working through a batch, and one
// item's labels saved a day earlier. The figures it gives are worked out
// by hand in quality.test.mjs.
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, makeUsers, createProject, itemIds, waitJob,
} from './server.lib.mjs';

// The pets project's labels (agree.test.mjs builds its own project on them).
export const schema = {
  cairn_schema: 1,
  labels: [
    { name: 'cat', shapes: ['tag'] },
    { name: 'dog', shapes: ['tag'] },
    { name: 'rectangle', shapes: ['box'] },
    { name: 'circle', shapes: ['box'] },
  ],
};

export const near = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);
export const DAY = 86400000;

// quality.test.mjs reads waitJob from here.
export { waitJob };

// Builds the project once for all the tests below.
export async function setup(t) {
  const server = await Server.create(t);
  const admin = await server.admin();
  const P = (await createProject(admin, 'pets', schema)).id;
  ingest(server.data, 'pets', synthImages());
  const items = await itemIds(admin, P);
  assert.ok(items.length >= 5);
  const users = await makeUsers(server, admin, [
    { name: 'ann', roles: { [P]: 'reviewer' } },
    { name: 'ben', roles: { [P]: 'reviewer' } },
    { name: 'cal', roles: { [P]: 'annotator' } },
    { name: 'viv', roles: { [P]: 'viewer' } },
  ]);
  const ids = {};
  for (const name of Object.keys(users)) ids[name] = (await users[name].get('/api/v1/auth/me')).json.user.id;
  // One batch of the first five items, overlap 3; cal (an annotator) labels
  // through it.
  const b = await admin.post(`/api/v1/projects/${P}/batches`, { name: 'b1', size: 5, limit: 5, overlap: 3, gold_first: 0, gold_rate: 0 });
  assert.equal(b.status, 201, b.text);
  const batch = b.json.batches[0];
  const as = await admin.post(`/api/v1/batches/${batch.id}/assign`, { annotators: [ids.cal] });
  assert.equal(as.status, 200, as.text);

  // Tags: items 0-2 unanimous; item 3 cat, cat, dog; item 4 only ann (dog).
  const tags = { ann: ['cat', 'dog', 'cat', 'cat', 'dog'], ben: ['cat', 'dog', 'cat', 'cat'], cal: ['cat', 'dog', 'cat', 'dog'] };
  // Boxes on item 0: ann and ben the same box; cal's is 10 px to the right
  // (IoU 1/3) with another label. ann's box on item 4 leaves the image.
  const boxes = {
    ann: [{ id: 'b1', label: 'rectangle', type: 'box', points: [0, 0, 20, 10] }],
    ben: [{ id: 'b1', label: 'rectangle', type: 'box', points: [0, 0, 20, 10] }],
    cal: [{ id: 'b1', label: 'circle', type: 'box', points: [10, 0, 30, 10] }],
  };
  for (const name of ['ann', 'ben', 'cal']) {
    for (let i = 0; i < tags[name].length; i++) {
      const objects = [{ id: 't1', label: tags[name][i], type: 'tag' }];
      if (i === 0) objects.push(...boxes[name]);
      if (i === 4) objects.push({ id: 'oob', label: 'rectangle', type: 'box', points: [-5, 0, 10, 10] });
      const r = await users[name].put(`/api/v1/items/${items[i]}/annotations/mine`, { format: 1, objects }, { headers: { 'If-Match': '0' } });
      assert.equal(r.status, 201, `${name} item ${i}: ${r.text}`);
    }
  }
  // Item 3's labels were saved a day earlier: it falls into an earlier window.
  server.sql(`UPDATE annotations SET updated_at = updated_at - ${DAY} WHERE item_id = ${items[3]} AND kind = 'manual'`);
  return { server, admin, P, items, users, ids, batch };
}

