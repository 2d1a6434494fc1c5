// The checks of a whole project as a background job, against the real
// server: POST .../quality/checks/jobs starts it (reviewers and up), GET
// .../quality/checks/jobs/{job} shows its progress and summary and pages
// through its findings by cursor. Past the synchronous route's cap of
// 5,000 findings nothing is lost: 6,000 planted findings come back, page
// by page, the same as the synchronous answer's counts, and the findings
// file is the job's download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, makeUsers, createProject, itemIds, assertError,
} from './server.lib.mjs';
import { waitJob } from './quality.lib.mjs';

const schema = { cairn_schema: 1, labels: [{ name: 'rectangle', shapes: ['box'] }] };

test('a check job pages through every finding by cursor', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const P = (await createProject(admin, 'many', schema)).id;
  ingest(server.data, 'many', synthImages());
  const items = await itemIds(admin, P);
  const users = await makeUsers(server, admin, [
    { name: 'rev', roles: { [P]: 'reviewer' } },
    { name: 'ann', roles: { [P]: 'annotator' } },
  ]);
  // 1x1 boxes on distinct pixels of a 64x48 image: each is too_small, no
  // two overlap. 3,000 on each of two items.
  for (const item of items.slice(0, 2)) {
    const objects = [];
    for (let k = 0; k < 3000; k++) {
      const x = k % 64, y = Math.floor(k / 64);
      objects.push({ id: `o${k}`, label: 'rectangle', type: 'box', points: [x, y, x + 1, y + 1] });
    }
    const r = await admin.put(`/api/v1/items/${item}/annotations/mine`, { format: 1, objects }, { headers: { 'If-Match': '0' } });
    assert.equal(r.status, 201, r.text);
  }
  const Q = `/api/v1/projects/${P}/quality/checks`;
  // The synchronous route counts everything but lists at most 5,000.
  const sync = await users.rev.get(`${Q}?limit=5000`);
  assert.equal(sync.status, 200, sync.text);
  assert.ok(sync.json.total >= 6000, String(sync.json.total));
  assert.equal(sync.json.truncated, true);

  // Who may start one, and what it accepts.
  assert.equal((await users.ann.post(`${Q}/jobs`, {})).status, 403);
  const bad = await users.rev.post(`${Q}/jobs`, { rules: 'too_small,nope' });
  assertError(bad, 400, 'invalid');
  assert.match(bad.text, /unknown rule 'nope'/);
  assertError(await users.rev.post(`${Q}/jobs`, { limit: 3 }), 400, 'invalid');
  assertError(await users.rev.post(`${Q}/jobs`, { predictions: 'yes' }), 400, 'invalid');

  const start = await users.rev.post(`${Q}/jobs`, {});
  assert.equal(start.status, 202, start.text);
  const id = start.json.job.id;
  // Progress and the result come through the job runner (the manager's view).
  const job = await waitJob(admin, P, id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.progress.done, items.length);

  const first = await users.rev.get(`${Q}/jobs/${id}?limit=1000`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.job.state, 'done');
  assert.equal(first.json.summary.total, sync.json.total);
  assert.deepEqual(first.json.summary.counts, sync.json.counts);
  const small = first.json.summary.rules.find((r) => r.name === 'too_small');
  assert.equal(small.findings, 6000);
  // Page through; the first 5,000 equal the synchronous list, in order.
  const all = [];
  let cursor = 0, pages = 0;
  for (;;) {
    const r = await users.rev.get(`${Q}/jobs/${id}?limit=1000&cursor=${cursor}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.cursor, cursor);
    all.push(...r.json.findings);
    pages++;
    if (r.json.next === null) break;
    assert.ok(r.json.next > cursor);
    cursor = r.json.next;
  }
  assert.equal(all.length, sync.json.total);
  assert.equal(pages, Math.ceil(all.length / 1000));
  assert.deepEqual(all.slice(0, 5000), sync.json.findings);
  assert.equal(all.filter((f) => f.rule === 'too_small').length, 6000);
  assert.ok(all.every((f) => f.link.startsWith(`/label.html#project=${P}&item=`)));

  // A cursor not at a line start, or past the end, is refused by name.
  const mid = await users.rev.get(`${Q}/jobs/${id}?cursor=3`);
  assertError(mid, 400, 'invalid');
  assert.match(mid.text, /cursor/);
  assertError(await users.rev.get(`${Q}/jobs/${id}?cursor=999999999`), 400, 'invalid');
  assertError(await users.rev.get(`${Q}/jobs/${id}?limit=0`), 400, 'invalid');
  // Only check jobs of this project.
  assertError(await users.rev.get(`${Q}/jobs/999999`), 404, 'not_found');
  const cons = await admin.post(`/api/v1/projects/${P}/quality/consensus`, { dry_run: true });
  assertError(await users.rev.get(`${Q}/jobs/${cons.json.job.id}`), 404, 'not_found');
  // The whole file is the job's download (managers).
  const dl = await admin.get(`/api/v1/projects/${P}/jobs/${id}/download`);
  assert.equal(dl.status, 200);
  assert.equal(dl.text.trim().split('\n').length, all.length);

  // One rule only.
  const one = await users.rev.post(`${Q}/jobs`, { rules: 'out_of_bounds' });
  const j1 = await waitJob(admin, P, one.json.job.id);
  assert.equal(j1.state, 'done');
  const r1 = await users.rev.get(`${Q}/jobs/${one.json.job.id}`);
  assert.deepEqual(r1.json.summary.rules.map((r) => r.name), ['out_of_bounds']);
  assert.equal(r1.json.summary.total, 0);
  assert.deepEqual(r1.json.findings, []);
  assert.equal(r1.json.next, null);
});
