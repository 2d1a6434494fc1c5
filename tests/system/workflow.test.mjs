// Batches, routing, review and annotator performance against the real
// server: overlap with three annotators, calibration, gold mixing, random
// concurrent use with a short reservation timeout (nothing stranded,
// nothing repeated), a review round trip with a pinned comment and
// sign-off, and the performance table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, synthImages, ingest, makeTeam, createProject, itemIds, doc, assertError,
} from './server.lib.mjs';

const P = '/api/v1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function setup(t, { annotators = 3, reviewers = 1, name = 'wf' } = {}) {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = (await createProject(admin, name)).id;
  ingest(server.data, name, synthImages());
  const items = await itemIds(admin, project);
  const { users, mgr, anns, revs } = await makeTeam(server, admin, project, { annotators, reviewers });
  return { server, admin, project, items, users, anns, revs, mgr };
}

async function submit(c, item, d = doc(1)) {
  const cur = await c.get(`${P}/items/${item}/annotations/mine`);
  assert.equal(cur.status, 200, cur.text);
  const r = await c.put(`${P}/items/${item}/annotations/mine?status=submitted&lead_time_ms=60000`, d,
    { headers: { 'If-Match': `"${cur.json.version}"` } });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  return r.json;
}

async function createBatch(mgr, project, body) {
  const r = await mgr.post(`${P}/projects/${project}/batches`, body);
  assert.equal(r.status, 201, r.text);
  return r.json.batches;
}

// Takes items until 204; returns the item ids in order.
async function drain(c, project, onItem = (id) => submit(c, id)) {
  const got = [];
  for (;;) {
    const r = await c.post(`${P}/projects/${project}/queue/next`, {});
    if (r.status === 204) return got;
    assert.equal(r.status, 200, r.text);
    got.push(r.json.item.id);
    await onItem(r.json.item.id, r.json);
    assert.ok(got.length < 200, 'the queue does not end');
  }
}

test('overlap 2 with three annotators: every item labelled by two different people', async (t) => {
  const { project, items, anns, mgr } = await setup(t);
  const [b] = await createBatch(mgr, project, {
    name: 'b', size: 100, overlap: 2, gold_first: 0, gold_rate: 0,
    annotators: anns.map((a) => a.user.id),
  });
  assert.equal(b.items, items.length);
  assert.equal(b.overlap, 2);
  assert.equal(b.members.length, 3);
  // The items of a batch are visible to its annotators, not to others.
  // Every item is in a batch now: another batch finds none.
  const none = await mgr.post(`${P}/projects/${project}/batches`, { name: 'none' });
  assertError(none, 400, 'invalid');
  assert.match(none.json.error.message, /no unbatched item/);
  // Interleave: each annotator takes one item at a time, in turn.
  const seen = anns.map(() => new Set());
  let active = anns.map((_, i) => i);
  while (active.length) {
    const next = [];
    for (const i of active) {
      const r = await anns[i].post(`${P}/projects/${project}/queue/next`, {});
      if (r.status === 204) continue;
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.batch, b.id);
      assert.equal(r.json.reason, 'batch');
      // The same JSON as GET /items/{id}.
      const g = await anns[i].get(`${P}/items/${r.json.item.id}`);
      assert.deepEqual(r.json.item, g.json.item);
      // Asking again gives the same reservation back.
      const again = await anns[i].post(`${P}/projects/${project}/queue/next`, {});
      assert.equal(again.json.item.id, r.json.item.id);
      assert.equal(again.json.reason, 'reserved');
      assert.ok(!seen[i].has(r.json.item.id), 'never the same item twice');
      seen[i].add(r.json.item.id);
      await submit(anns[i], r.json.item.id);
      next.push(i);
    }
    active = next;
  }
  const per = new Map(items.map((id) => [id, 0]));
  for (const s of seen) for (const id of s) per.set(id, per.get(id) + 1);
  assert.deepEqual([...per.values()], items.map(() => 2));
  const got = (await mgr.get(`${P}/batches/${b.id}`)).json.batch;
  assert.equal(got.open_items, 0);
  assert.equal(got.submitted, items.length * 2);
  assert.equal(got.reserved, 0);
});

test('calibration: everyone labels the same items; gold is mixed in and stays hidden', async (t) => {
  const { admin, project, items, anns, mgr } = await setup(t);
  // Two gold items: never batched, served first to each annotator (gold_first 1).
  const gold = items.slice(0, 2);
  for (const id of gold) {
    const r = await admin.put(`${P}/items/${id}/annotations/gold`, doc(1), { headers: { 'If-Match': '0' } });
    assert.equal(r.status, 201, r.text);
  }
  const [cal] = await createBatch(mgr, project, {
    name: 'calibration', calibration: true, size: 3, limit: 3, gold_first: 1, gold_rate: 0,
    annotators: anns.map((a) => a.user.id),
  });
  assert.equal(cal.kind, 'calibration');
  assert.equal(cal.items, 3);
  assert.equal(cal.open_items, null);
  const batchItems = (await mgr.get(`${P}/projects/${project}/items?batch=${cal.id}`)).json.items.map((i) => i.id);
  assert.equal(batchItems.length, 3);
  assert.ok(!batchItems.some((id) => gold.includes(id)), 'gold items are not put in batches');
  for (const a of anns) {
    const first = await a.post(`${P}/projects/${project}/queue/next`, {});
    assert.equal(first.status, 200);
    assert.ok(gold.includes(first.json.item.id), 'the first item is gold');
    assert.equal(first.json.reason, 'batch', 'an annotator is never told an item is gold');
    assert.equal(first.json.item.batch, cal.id);
    // The ground truth stays hidden from the annotator.
    const anns_ = await a.get(`${P}/items/${first.json.item.id}/annotations`);
    assert.equal(anns_.status, 200);
    assert.ok(!anns_.json.annotations.some((x) => x.kind === 'gold'));
    assert.equal((await a.get(`${P}/items/${first.json.item.id}/annotations/gold`)).status, 403);
    await submit(a, first.json.item.id);
    const rest = await drain(a, project);
    assert.deepEqual([...rest].sort((x, y) => x - y), batchItems, 'everyone labels every calibration item');
  }
  // The performance table scores the gold item: same boxes, IoU 1.
  const st = await mgr.get(`${P}/projects/${project}/stats/annotators`);
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.annotators.length, 3);
  for (const row of st.json.annotators) {
    assert.equal(row.items, 4);
    assert.equal(row.objects, 4);
    assert.equal(row.active_ms, 4 * 60000);
    assert.equal(row.items_per_hour, 60);
    assert.equal(row.gold.items, 1);
    assert.equal(row.gold.box_items, 1);
    assert.equal(row.gold.mean_iou, 1);
    assert.equal(row.rejection_rate, null);
  }
});

test('gold rate 1 serves the whole gold pool, then the batch', async (t) => {
  const { admin, project, items, anns, mgr } = await setup(t, { annotators: 1 });
  const gold = items.slice(0, 3);
  for (const id of gold) {
    await admin.put(`${P}/items/${id}/annotations/gold`, doc(2), { headers: { 'If-Match': '0' } });
  }
  const [b] = await createBatch(mgr, project, { name: 'g', gold_first: 0, gold_rate: 1, annotators: [anns[0].user.id] });
  assert.equal(b.items, items.length - 3);
  const order = await drain(anns[0], project, (id) => submit(anns[0], id, doc(1)));
  assert.deepEqual(order.slice(0, 3).sort((x, y) => x - y), gold);
  assert.deepEqual(order.slice(3), items.slice(3));
  // One box of two, exactly on the first: IoU 1 / (2 + 1 - 1) = 0.5.
  const row = (await mgr.get(`${P}/projects/${project}/stats/annotators`)).json.annotators[0];
  assert.equal(row.gold.items, 3);
  assert.equal(row.gold.mean_iou, 0.5);
});

test('random concurrent use with a short reservation timeout never strands or repeats an item', async (t) => {
  const { project, items, anns, mgr, server } = await setup(t, { annotators: 4, reviewers: 0 });
  const [b] = await createBatch(mgr, project, {
    name: 'c', overlap: 2, reserve_s: 1, gold_first: 0, gold_rate: 0, annotators: anns.map((a) => a.user.id),
  });
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const log = anns.map(() => ({ done: new Set(), skipped: new Set() }));
  const violations = [];
  const worker = async (i) => {
    const c = anns[i];
    for (let n = 0; n < 200; n++) {
      const r = await c.post(`${P}/projects/${project}/queue/next`, {});
      if (r.status === 204) {
        // Nothing for me now; finished only when nobody holds anything.
        const bb = (await mgr.get(`${P}/batches/${b.id}`)).json.batch;
        if (bb.reserved === 0) return;
        await sleep(200);
        continue;
      }
      assert.equal(r.status, 200, r.text);
      const id = r.json.item.id;
      if (log[i].done.has(id) || log[i].skipped.has(id)) violations.push(`${c.user.name} got ${id} again`);
      const x = rand();
      if (x < 0.6) {
        await submit(c, id);
        log[i].done.add(id);
      } else if (x < 0.75) {
        const s = await c.post(`${P}/projects/${project}/queue/${id}/skip`, {});
        assert.equal(s.status, 200, s.text);
        log[i].skipped.add(id);
      } else if (x < 0.85) {
        const s = await c.post(`${P}/projects/${project}/queue/${id}/release`, {});
        assert.equal(s.status, 200, s.text);
      } else {
        await sleep(1300); // idle past the timeout: the reservation is reclaimed
      }
    }
    violations.push(`${c.user.name} did not finish`);
  };
  await Promise.all(anns.map((_, i) => worker(i)));
  assert.deepEqual(violations, []);
  // Nothing is held; every item has two labels, or everyone who could
  // still label it has skipped or labelled it.
  assert.equal(server.sql("SELECT count(*) FROM assignments WHERE state = 'reserved'"), '0');
  for (const id of items) {
    const done = log.filter((l) => l.done.has(id)).length;
    const out = log.filter((l) => l.done.has(id) || l.skipped.has(id)).length;
    assert.ok(done === 2 || (done < 2 && out === anns.length), `item ${id}: ${done} labels, ${out} out`);
    assert.ok(done <= 2, `item ${id} over-labelled: ${done}`);
  }
  const reclaims = Number(server.sql("SELECT count(*) FROM audit WHERE action = 'queue.reclaim'"));
  t.diagnostic(`${reclaims} reservations reclaimed`);
});

test('review round trip: reject with a pinned comment, rework, accept, sign-off', async (t) => {
  const { project, anns, revs, mgr, admin } = await setup(t, { annotators: 1, reviewers: 1 });
  const [ann] = anns;
  const [rev] = revs;
  const [b] = await createBatch(mgr, project, {
    name: 'r', limit: 2, review_sample: 1, gold_first: 0, gold_rate: 0,
    annotators: [ann.user.id], reviewers: [rev.user.id],
  });
  assert.equal(b.items, 2);
  // Nothing to review yet; sign-off refused with a clear 409.
  assert.equal((await rev.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  const early = await mgr.post(`${P}/batches/${b.id}/signoff`, {});
  assertError(early, 409, 'conflict');
  assert.match(early.json.error.message, /cannot be signed off/);
  const labelled = await drain(ann, project);
  assert.equal(labelled.length, 2);
  const stillEarly = await mgr.post(`${P}/batches/${b.id}/signoff`, {});
  assertError(stillEarly, 409);
  assert.match(stillEarly.json.error.message, /2 sampled items wait for review/);
  // An annotator cannot review; a reviewer cannot sign off.
  assert.equal((await ann.post(`${P}/projects/${project}/review/next`, {})).status, 403);
  assert.equal((await rev.post(`${P}/batches/${b.id}/signoff`, {})).status, 403);

  const first = await rev.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.annotation.user, ann.user.id);
  const item = first.json.item.id;
  // A rejection needs a comment.
  assertError(await rev.post(`${P}/items/${item}/review`, { verdict: 'reject' }), 400);
  const rej = await rev.post(`${P}/items/${item}/review`, {
    verdict: 'reject', comment: 'the box is too loose', reason: 'loose box', object: 'x0', point: [3, 4],
  });
  assert.equal(rej.status, 201, rej.text);
  // The same annotation cannot be judged twice.
  assertError(await rev.post(`${P}/items/${item}/review`, { verdict: 'accept' }), 409);
  // Back in the annotator's queue, with the comment.
  const back = await ann.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.item.id, item);
  assert.equal(back.json.reason, 'rejected');
  const c = back.json.comments.find((x) => x.id === rej.json.review.comment);
  assert.ok(c, back.text);
  assert.equal(c.body, 'the box is too loose');
  assert.equal(c.object, 'x0');
  assert.deepEqual(c.point, [3, 4]);
  assert.equal(back.json.item.status, 'rejected');
  await submit(ann, item, doc(2));
  assert.equal((await ann.post(`${P}/projects/${project}/queue/next`, {})).status, 204);
  // Reviewed again, accepted; then the other item.
  for (let k = 0; k < 2; k++) {
    const n = await rev.post(`${P}/projects/${project}/review/next`, {});
    assert.equal(n.status, 200, n.text);
    if (k === 0) assert.equal(n.json.item.id, item);
    const a = await rev.post(`${P}/items/${n.json.item.id}/review`, { verdict: 'accept', annotation: n.json.annotation.id });
    assert.equal(a.status, 201, a.text);
  }
  assert.equal((await rev.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  const ok = await mgr.post(`${P}/batches/${b.id}/signoff`, {});
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.batch.stage, 'done');
  assert.equal(ok.json.batch.signed_off_by, mgr.user.id);
  assertError(await mgr.post(`${P}/batches/${b.id}/signoff`, {}), 409);
  assertError(await mgr.patch(`${P}/batches/${b.id}`, { stage: 'annotate' }), 409);
  const items = (await mgr.get(`${P}/projects/${project}/items?batch=${b.id}`)).json.items;
  assert.deepEqual(items.map((i) => i.status), ['done', 'done']);
  // Every transition is in the audit log.
  const audit = (await admin.get(`${P}/projects/${project}/audit?limit=1000`)).json.entries.map((e) => e.action);
  for (const a of ['batch.create', 'batch.assign', 'queue.reserve', 'review.reject', 'review.accept', 'batch.signoff']) {
    assert.ok(audit.includes(a), `audit has ${a}`);
  }
  const row = (await mgr.get(`${P}/projects/${project}/stats/annotators`)).json.annotators.find((r) => r.user === ann.user.id);
  assert.equal(row.reviewed, 3);
  assert.equal(row.rejected, 1);
  assert.equal(Math.round(row.rejection_rate * 1000), 333);
  assert.deepEqual(row.top_rejection_reasons, [{ reason: 'loose box', count: 1 }]);
});

test('batches: validation, listing by role, stage changes, assignment rules', async (t) => {
  const { project, items, anns, mgr, users, server } = await setup(t, { annotators: 2, reviewers: 1 });
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'x', size: 0 }), 400);
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'x', overlap: 'two' }), 400);
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'x', order: 'sideways' }), 400);
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'x', colour: 1 }), 400);
  // A bad member leaves no batch behind.
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'bad', annotators: [999999] }), 400);
  assert.deepEqual((await mgr.get(`${P}/projects/${project}/batches`)).json.batches, []);
  const bs = await createBatch(mgr, project, { name: 'part', size: 2, limit: 4, order: 'random', seed: 3 });
  assert.deepEqual(bs.map((b) => b.name), ['part-1', 'part-2']);
  assert.deepEqual(bs.map((b) => b.items), [2, 2]);
  assertError(await mgr.post(`${P}/projects/${project}/batches`, { name: 'part-1', size: 5 }), 409);
  // A viewer or a non-member cannot be assigned; a viewer-only member is refused as reviewer too.
  const r = await mgr.post(`${P}/batches/${bs[0].id}/assign`, { annotators: [users.rev0.user.id, anns[0].user.id] });
  assert.equal(r.status, 200, r.text);
  assertError(await mgr.post(`${P}/batches/${bs[0].id}/assign`, { reviewers: [anns[1].user.id] }), 400);
  assertError(await mgr.post(`${P}/batches/${bs[0].id}/assign`, { annotators: [999999] }), 400);
  // Annotators list and open only their batches.
  const mine = (await anns[0].get(`${P}/projects/${project}/batches`)).json.batches.map((b) => b.id);
  assert.deepEqual(mine, [bs[0].id]);
  assert.equal((await anns[1].get(`${P}/projects/${project}/batches`)).json.batches.length, 0);
  assert.equal((await anns[1].get(`${P}/batches/${bs[0].id}`)).status, 404);
  assert.equal((await anns[0].get(`${P}/batches/${bs[0].id}`)).status, 200);
  assert.equal((await mgr.get(`${P}/projects/${project}/batches`)).json.batches.length, 2);
  // An annotator's item list holds exactly the batch's items.
  const visible = (await anns[0].get(`${P}/projects/${project}/items`)).json.items.map((i) => i.id).sort((x, y) => x - y);
  const inBatch = (await mgr.get(`${P}/projects/${project}/items?batch=${bs[0].id}`)).json.items.map((i) => i.id);
  assert.deepEqual(visible, inBatch);
  // A batch in review serves no more items; back to annotate, it does.
  const rv = await mgr.patch(`${P}/batches/${bs[0].id}`, { stage: 'review' });
  assert.equal(rv.status, 200, rv.text);
  assert.equal(rv.json.batch.stage, 'review');
  assert.equal((await anns[0].post(`${P}/projects/${project}/queue/next`, {})).status, 204);
  assertError(await mgr.patch(`${P}/batches/${bs[0].id}`, { stage: 'done' }), 400);
  await mgr.patch(`${P}/batches/${bs[0].id}`, { stage: 'annotate', overlap: 2 });
  const n = await anns[0].post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(n.status, 200);
  // Skip and release only what I hold; an item of another project or not held is 404.
  assertError(await anns[0].post(`${P}/projects/${project}/queue/${items.find((i) => i !== n.json.item.id)}/skip`, {}), 404);
  assert.equal((await anns[0].post(`${P}/projects/${project}/queue/${n.json.item.id}/release`, {})).status, 200);
  assertError(await anns[0].post(`${P}/projects/${project}/queue/${n.json.item.id}/release`, {}), 404);
  // Removing an annotator gives their reservation back.
  const held = await anns[0].post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(held.status, 200);
  await mgr.post(`${P}/batches/${bs[0].id}/assign`, { annotators: [anns[0].user.id], remove: true });
  assert.equal(server.sql(`SELECT state FROM assignments WHERE item_id = ${held.json.item.id} AND user_id = ${anns[0].user.id}`), 'released');
  assert.equal((await anns[0].post(`${P}/projects/${project}/queue/next`, {})).status, 204);
});

test('cairn batch create, list, assign and signoff; cairn review', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { cairn } = await import('./lib.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-batch-'));
  try {
    const data = join(dir, 'data');
    const run = (args, input) => cairn([...args, '--data', data], { input });
    assert.equal(run(['init']).code, 0);
    assert.equal(run(['project', 'create', 'p', '--schema', 'docs/examples/schema-demo.json']).code, 0);
    assert.equal(run(['ingest', '--project', 'p', synthImages()]).code, 0);
    assert.equal(run(['user', 'add', 'al', '--password-stdin'], 'a-long-password\n').code, 0);
    let r = run(['batch', 'create', '--project', 'p', '--name', 'w', '--size', '4', '--overlap', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const made = JSON.parse(r.stdout).batches;
    assert.deepEqual(made.map((b) => [b.name, b.items, b.overlap]), [['w-1', 4, 2], ['w-2', 2, 2]]);
    r = run(['batch', 'list', '--project', 'p', '--json']);
    assert.equal(JSON.parse(r.stdout).batches.length, 2);
    // al is not a member of the project yet: a clear failure.
    r = run(['batch', 'assign', String(made[0].id), '--annotators', 'al']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a member of the project/);
    r = run(['batch', 'signoff', String(made[0].id)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot be signed off yet/);
    assert.equal(run(['batch', 'create', '--project', 'p']).code, 2);
    assert.equal(run(['batch', 'frobnicate']).code, 2);
    // cairn review: as a reviewer or manager only; a rejection needs a comment.
    r = run(['review', '--project', 'p', '--as', 'admin', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { item: null });
    r = run(['review', '--project', 'p', '--as', 'al']);
    assert.equal(r.code, 1);
    assert.equal(run(['review', '--project', 'p', '--as', 'admin', '--item', '1', '--reject']).code, 2);
    r = run(['review', '--project', 'p', '--as', 'admin', '--item', '1', '--accept']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no submitted annotation/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an assigned annotator reaches only their batch, their routed items and no gold', async (t) => {
  const { admin, project: A, items, anns, mgr } = await setup(t, { annotators: 2, reviewers: 0 });
  const B = (await createProject(admin, 'other')).id;
  const [x] = await createBatch(mgr, A, { name: 'x', limit: 3, gold_first: 0, gold_rate: 0, annotators: [anns[0].user.id] });
  const [y] = await createBatch(mgr, A, { name: 'y', gold_first: 0, gold_rate: 0, annotators: [anns[1].user.id] });
  const xs = (await mgr.get(`${P}/projects/${A}/items?batch=${x.id}`)).json.items.map((i) => i.id);
  const ys = items.filter((id) => !xs.includes(id));
  assert.equal(xs.length, 3);
  // Gold put on a batched item after the fact stays hidden.
  const g = await admin.put(`${P}/items/${xs[0]}/annotations/gold`, doc(1), { headers: { 'If-Match': '0' } });
  assert.equal(g.status, 201, g.text);
  const a0 = anns[0];
  for (const path of [`/items/${xs[0]}`, `/items/${xs[0]}/media`, `/items/${xs[0]}/annotations/mine`, `/batches/${x.id}`]) {
    assert.equal((await a0.get(P + path)).status, 200, path);
  }
  for (const path of [`/items/${ys[0]}`, `/items/${ys[0]}/media`, `/items/${ys[0]}/annotations/mine`, `/batches/${y.id}`,
    `/items/${xs[0]}/annotations/${g.json.id}`, `/projects/${B}/batches`]) {
    assert.equal((await a0.get(P + path)).status, 404, path);
  }
  assert.equal((await a0.get(`${P}/items/${xs[0]}/annotations/gold`)).status, 403);
  const listed = (await a0.get(`${P}/items/${xs[0]}/annotations`)).json.annotations;
  assert.ok(!listed.some((a) => a.kind === 'gold'));
  assert.deepEqual((await a0.get(`${P}/projects/${A}/batches`)).json.batches.map((b) => b.id), [x.id]);
  // Managers' and reviewers' routes are refused.
  assert.equal((await a0.post(`${P}/items/${xs[0]}/review`, { verdict: 'accept' })).status, 403);
  assert.equal((await a0.post(`${P}/batches/${x.id}/signoff`, {})).status, 403);
  assert.equal((await a0.patch(`${P}/batches/${x.id}`, { overlap: 3 })).status, 403);
  assert.equal((await a0.post(`${P}/batches/${x.id}/assign`, { annotators: [a0.user.id] })).status, 403);
  // The annotator table: only their own row (docs/quality.md).
  const own = await a0.get(`${P}/projects/${A}/stats/annotators`);
  assert.equal(own.status, 200);
  assert.ok(own.json.annotators.every((r) => r.user === a0.user.id));
  assert.equal((await a0.post(`${P}/projects/${B}/queue/next`, {})).status, 404);
  // Someone else's reservation cannot be skipped or released; nor an item through another project's path.
  const held = await a0.post(`${P}/projects/${A}/queue/next`, {});
  assert.equal(held.status, 200);
  assert.ok(xs.includes(held.json.item.id));
  assert.equal((await anns[1].post(`${P}/projects/${A}/queue/${held.json.item.id}/skip`, {})).status, 404);
  assert.equal((await anns[1].post(`${P}/projects/${A}/queue/${held.json.item.id}/release`, {})).status, 404);
  assert.equal((await a0.post(`${P}/projects/${B}/queue/${held.json.item.id}/skip`, {})).status, 404);
  assert.equal((await a0.post(`${P}/projects/${A}/queue/${held.json.item.id}/skip`, {})).status, 200);
  // The skipped item is still the annotator's to see (they were routed it), not to be given again.
  const n2 = await a0.post(`${P}/projects/${A}/queue/next`, {});
  assert.notEqual(n2.json.item.id, held.json.item.id);
});
