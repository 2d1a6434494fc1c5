// The annotator table's agreement with the consensus and most frequent
// error types, against the real server: three people label three items
// (worked out by hand below), a consensus job runs, a reviewer rejects one
// annotation with a reason, and GET stats/annotators must give each
// person's figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, makeUsers, createProject, itemIds,
} from './server.lib.mjs';
import { waitJob } from './quality.lib.mjs';

const schema = {
  cairn_schema: 1,
  labels: [{ name: 'cat', shapes: ['tag'] }, { name: 'dog', shapes: ['tag'] },
    { name: 'rectangle', shapes: ['box'] }],
};
const tag = (label) => ({ id: `t-${label}`, label, type: 'tag' });
const box = (id, points) => ({ id, label: 'rectangle', type: 'box', points });

test('stats/annotators: agreement with the consensus and the most frequent error types', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const P = (await createProject(admin, 'perf', schema)).id;
  ingest(server.data, 'perf', synthImages());
  const items = await itemIds(admin, P);
  const users = await makeUsers(server, admin, ['a', 'b', 'c', 'rv'].map((name) => ({ name, roles: { [P]: 'reviewer' } })));
  const id = {};
  for (const n of Object.keys(users)) id[n] = (await users[n].get('/api/v1/auth/me')).json.user.id;
  // Item 0: a and b tag cat and draw the same box; c tags dog and draws
  // a box elsewhere. Item 1: everyone tags dog. Item 2: everyone tags cat;
  // a also draws a box past the image's left edge and a 1x1 box.
  const docs = {
    a: [[tag('cat'), box('b', [0, 0, 20, 10])], [tag('dog')], [tag('cat'), box('oob', [-5, 0, 10, 10]), box('tiny', [30, 30, 31, 31])]],
    b: [[tag('cat'), box('b', [0, 0, 20, 10])], [tag('dog')], [tag('cat')]],
    c: [[tag('dog'), box('b', [30, 20, 50, 40])], [tag('dog')], [tag('cat')]],
  };
  const annOf = {};
  for (const n of ['a', 'b', 'c']) {
    for (let i = 0; i < 3; i++) {
      const r = await users[n].put(`/api/v1/items/${items[i]}/annotations/mine?status=submitted`, { format: 1, objects: docs[n][i] }, { headers: { 'If-Match': '0' } });
      assert.equal(r.status, 201, `${n} ${i}: ${r.text}`);
      annOf[`${n}${i}`] = r.json.id;
    }
  }
  // Before any consensus: no items to compare, figures null.
  const before = (await users.rv.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  const rowA0 = before.find((r) => r.user === id.a);
  assert.deepEqual(rowA0.consensus, { items: 0, tag_items: 0, tag_agreement: null, object_items: 0, f1_50: null, mean_iou: null, label_agreement: null });
  assert.deepEqual(rowA0.top_errors, [{ source: 'check', type: 'out_of_bounds', count: 1 }, { source: 'check', type: 'too_small', count: 1 }]);

  // rv rejects a's item-1 annotation with a reason tag.
  const rej = await users.rv.post(`/api/v1/items/${items[1]}/review`, { verdict: 'reject', annotation: annOf.a1, reason: 'wrong_label', comment: 'look again' });
  assert.equal(rej.status, 201, rej.text);

  // Consensus (majority, min_agreement 0.5): item 0 cat and a and b's box
  // (2 of 3); c's box (1 of 3) is dropped; item 1 dog; item 2 cat, a's
  // two boxes dropped.
  const cj = await admin.post(`/api/v1/projects/${P}/quality/consensus`, {});
  assert.equal(cj.status, 202, cj.text);
  const job = await waitJob(admin, P, cj.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));

  const rows = (await users.rv.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  const row = (n) => rows.find((r) => r.user === id[n]);
  // a: tags 3 of 3. Objects on items 0 (1 box each, matched, IoU 1) and 2
  // (2 boxes against none): precision 1/3, recall 1/1, F1 0.5.
  assert.deepEqual(row('a').consensus, { items: 3, tag_items: 3, tag_agreement: 1, object_items: 2, f1_50: 0.5, mean_iou: 1, label_agreement: 1 });
  // b: tags 3 of 3, its one box matches: F1 1.
  assert.deepEqual(row('b').consensus, { items: 3, tag_items: 3, tag_agreement: 1, object_items: 1, f1_50: 1, mean_iou: 1, label_agreement: 1 });
  // c: dog on item 0 against cat: 2 of 3; its box matches nothing: F1 0,
  // no matches, so no mean IoU or label agreement.
  const cc = row('c').consensus;
  assert.equal(cc.items, 3);
  assert.ok(Math.abs(cc.tag_agreement - 2 / 3) < 1e-5, String(cc.tag_agreement));
  assert.deepEqual({ ...cc, tag_agreement: 0 }, { items: 3, tag_items: 3, tag_agreement: 0, object_items: 1, f1_50: 0, mean_iou: null, label_agreement: null });
  // Error types: a's review reason first (a tie goes to review), then the
  // two check rules on a's annotation, in rule order.
  assert.deepEqual(row('a').top_errors, [
    { source: 'review', type: 'wrong_label', count: 1 },
    { source: 'check', type: 'out_of_bounds', count: 1 },
    { source: 'check', type: 'too_small', count: 1 },
  ]);
  assert.deepEqual(row('b').top_errors, []);
  // The consensus annotation's author (admin) is not scored against it.
  const adm = rows.find((r) => r.name === 'admin');
  if (adm) assert.equal(adm.consensus.items, 0);
  // Rows are the same for a reader of one's own row.
  const own = (await users.a.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  assert.ok(own.some((r) => r.user === id.a));
});
