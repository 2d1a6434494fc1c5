// Review routing and gold privacy against the real server:
// - review/next reserves the item for one reviewer: a second reviewer gets
//   another item, and their verdict on the held one is a 409 naming who
//   holds it; the hold is renewed by asking again, ended by the verdict,
//   and reclaimed after the batch's timeout (audit: review.reclaim);
// - random concurrent reviewers never hold the same item at once (checked
//   live by the clients and again from the audit log's order);
// - a gold item looks like any other to its annotator (the batch it was
//   routed through, in GET /items/{id}, the item list and its batch
//   filter), while managers still see it unbatched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server, synthImages, ingest, makeTeam, createProject, itemIds, doc, assertError, tool,
} from './server.lib.mjs';

const P = '/api/v1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function setup(t, { annotators = 1, reviewers = 2, images = null } = {}) {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = (await createProject(admin, 'rv')).id;
  let dir = synthImages();
  if (images) {
    const tmp = mkdtempSync(join(tmpdir(), 'cairn-rv-'));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    tool(['synth', join(tmp, 's'), '--images', String(images), '--objects', '1', '--seed', '3',
      '--size', '32x24']);
    dir = join(tmp, 's', 'images');
  }
  ingest(server.data, 'rv', dir);
  const items = await itemIds(admin, project);
  const { mgr, anns, revs } = await makeTeam(server, admin, project, { annotators, reviewers });
  return { server, admin, project, items, mgr, anns, revs };
}

async function submit(c, item, d = doc(1)) {
  const cur = await c.get(`${P}/items/${item}/annotations/mine`);
  assert.equal(cur.status, 200, cur.text);
  const r = await c.put(`${P}/items/${item}/annotations/mine?status=submitted`, d,
    { headers: { 'If-Match': `"${cur.json.version}"` } });
  assert.ok(r.status === 200 || r.status === 201, r.text);
}

async function labelAll(c, project) {
  for (let n = 0; n < 500; n++) {
    const r = await c.post(`${P}/projects/${project}/queue/next`, {});
    if (r.status === 204) return;
    assert.equal(r.status, 200, r.text);
    await submit(c, r.json.item.id);
  }
  assert.fail('the queue does not end');
}

async function createBatch(mgr, project, body) {
  const r = await mgr.post(`${P}/projects/${project}/batches`, body);
  assert.equal(r.status, 201, r.text);
  return r.json.batches[0];
}

test('review/next reserves the item for one reviewer; the other gets another; timeout reclaims', async (t) => {
  const { server, project, mgr, anns: [ann], revs: [r0, r1] } = await setup(t);
  const b = await createBatch(mgr, project, {
    name: 'two', limit: 2, review_sample: 1, gold_first: 0, gold_rate: 0, reserve_s: 3,
    annotators: [ann.user.id], reviewers: [r0.user.id, r1.user.id],
  });
  await labelAll(ann, project);
  const a = await r0.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(a.status, 200, a.text);
  assert.ok(a.json.expires_at > Date.now() - 5000, a.text);
  const held = a.json.item.id;
  // The second reviewer gets the other item, never the held one.
  const bnext = await r1.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(bnext.status, 200, bnext.text);
  assert.notEqual(bnext.json.item.id, held);
  // Asking again returns what I hold (renewed), not a new item.
  const again = await r0.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(again.json.item.id, held);
  assert.equal(again.json.annotation.id, a.json.annotation.id);
  // A verdict on someone else's held item: 409 naming the holder.
  const stolen = await r1.post(`${P}/items/${held}/review`, { verdict: 'accept' });
  assertError(stolen, 409);
  assert.match(stolen.json.error.message, /is being reviewed by rev0/);
  // Held items do not block the batch's sign-off count of annotator reservations.
  const bb = (await mgr.get(`${P}/batches/${b.id}`)).json.batch;
  assert.equal(bb.reserved, 0);
  // r1 judges theirs; then nothing is left for r1 while r0 holds the other.
  assert.equal((await r1.post(`${P}/items/${bnext.json.item.id}/review`, { verdict: 'accept' })).status, 201);
  assert.equal((await r1.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  // r0 goes idle past the 3 s timeout: the item is reclaimed and goes to r1.
  await sleep(3300);
  const taken = await r1.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(taken.status, 200, taken.text);
  assert.equal(taken.json.item.id, held);
  assert.equal(server.sql("SELECT count(*) FROM audit WHERE action = 'review.reclaim'"), '1');
  // Now r0's verdict is the late one.
  assertError(await r0.post(`${P}/items/${held}/review`, { verdict: 'accept' }), 409);
  // r0 asks again: their hold is gone, nothing is left for them.
  assert.equal((await r0.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  assert.equal((await r1.post(`${P}/items/${held}/review`, { verdict: 'accept' })).status, 201);
  assert.equal(server.sql("SELECT count(*) FROM assignments WHERE role = 'review' AND state = 'reserved'"), '0');
  const ok = await mgr.post(`${P}/batches/${b.id}/signoff`, {});
  assert.equal(ok.status, 200, ok.text);
});

test('a rejected and resubmitted item comes back to review with its hold released', async (t) => {
  const { project, mgr, anns: [ann], revs: [r0, r1] } = await setup(t);
  await createBatch(mgr, project, {
    name: 'one', limit: 1, review_sample: 1, gold_first: 0, gold_rate: 0,
    annotators: [ann.user.id], reviewers: [r0.user.id, r1.user.id],
  });
  await labelAll(ann, project);
  const a = await r0.post(`${P}/projects/${project}/review/next`, {});
  const item = a.json.item.id;
  const rej = await r0.post(`${P}/items/${item}/review`, { verdict: 'reject', comment: 'fix it', point: [5, 6] });
  assert.equal(rej.status, 201, rej.text);
  // Nothing to review until the annotator resubmits.
  assert.equal((await r1.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  const back = await ann.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(back.json.reason, 'rejected');
  await submit(ann, item, doc(2));
  // Either reviewer may take it now; whoever asks first holds it.
  const n1 = await r1.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(n1.status, 200, n1.text);
  assert.equal(n1.json.item.id, item);
  assert.equal((await r0.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  assert.equal((await r1.post(`${P}/items/${item}/review`, { verdict: 'accept' })).status, 201);
});

test('a reviewer gives a held item back: another takes it at once', async (t) => {
  const { server, project, mgr, anns: [ann], revs: [r0, r1] } = await setup(t);
  await createBatch(mgr, project, {
    name: 'rel', limit: 1, review_sample: 1, gold_first: 0, gold_rate: 0,
    annotators: [ann.user.id], reviewers: [r0.user.id, r1.user.id],
  });
  await labelAll(ann, project);
  const a = await r0.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(a.status, 200, a.text);
  const item = a.json.item.id;
  assert.equal((await r1.post(`${P}/projects/${project}/review/next`, {})).status, 204);
  // Only the holder can give it back; an unknown item or a second release is a 404.
  assertError(await r1.post(`${P}/projects/${project}/review/${item}/release`, {}), 404);
  assertError(await r0.post(`${P}/projects/${project}/review/999999/release`, {}), 404);
  const rel = await r0.post(`${P}/projects/${project}/review/${item}/release`, {});
  assert.equal(rel.status, 200, rel.text);
  assert.deepEqual(rel.json, { item, state: 'released' });
  assertError(await r0.post(`${P}/projects/${project}/review/${item}/release`, {}), 404);
  const b = await r1.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.item.id, item);
  assert.equal(server.sql("SELECT count(*) FROM audit WHERE action = 'review.release'"), '1');
  // The annotators' release does not touch a review hold.
  assertError(await r1.post(`${P}/projects/${project}/queue/${item}/release`, {}), 404);
  assert.equal((await r1.post(`${P}/items/${item}/review`, { verdict: 'accept' })).status, 201);
});

test('random concurrent reviewers never hold the same item at once', async (t) => {
  const { server, project, mgr, anns, revs } = await setup(t, { annotators: 2, reviewers: 4, images: 24 });
  const b = await createBatch(mgr, project, {
    name: 'c', overlap: 2, review_sample: 1, gold_first: 0, gold_rate: 0, reserve_s: 2,
    annotators: anns.map((a) => a.user.id), reviewers: revs.map((r) => r.user.id),
  });
  await Promise.all(anns.map((a) => labelAll(a, project)));
  let seed = 777;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const holder = new Map(); // item -> reviewer name, while the reviewer believes they hold it
  const violations = [];
  const verdicts = [];
  let late = 0;
  const worker = async (rv) => {
    const me = rv.user.name;
    for (let n = 0; n < 400; n++) {
      const sent = Date.now();
      const r = await rv.post(`${P}/projects/${project}/review/next`, {});
      if (r.status === 204) {
        if (!server.sql("SELECT count(*) FROM assignments WHERE role = 'review' AND state = 'reserved'").startsWith('0')) {
          await sleep(150);
          continue;
        }
        const left = server.sql("SELECT count(*) FROM annotations WHERE kind = 'manual' AND status = 'submitted'");
        if (left === '0') return;
        await sleep(150);
        continue;
      }
      assert.equal(r.status, 200, r.text);
      const item = r.json.item.id;
      const h = holder.get(item);
      if (h && h !== me) violations.push(`${me} got item ${item} while ${h} holds it`);
      holder.set(item, me);
      const x = rand();
      if (x < 0.15) {
        // Idle past the timeout: I give up my claim; the server reclaims it.
        holder.delete(item);
        await sleep(2300);
        continue;
      }
      await sleep(Math.floor(rand() * 20));
      holder.delete(item);
      const v = await rv.post(`${P}/items/${item}/review`, { verdict: 'accept', annotation: r.json.annotation.id });
      // The hold began after `sent`; a verdict answered within reserve_s of
      // it was surely judged while the hold was live, and must pass. Later
      // (a loaded machine), the hold may have run out: a 409 is then right.
      if (v.status === 201) verdicts.push(`${item}/${r.json.annotation.id}`);
      else if (v.status === 409 && Date.now() - sent >= 2000) late++;
      else violations.push(`${me}'s verdict on item ${item} (held): ${v.status} ${v.text}`);
    }
    violations.push(`${me} did not finish`);
  };
  await Promise.all(revs.map((rv) => worker(rv)));
  assert.deepEqual(violations, []);
  // Every annotation judged exactly once: 24 items x overlap 2.
  assert.equal(verdicts.length, 48);
  assert.equal(new Set(verdicts).size, 48);
  // Replay the audit log in commit order: a reserve never finds the item
  // held by another reviewer (holds end by verdict, reclaim or release).
  const rows = server.sql("SELECT action || '|' || ifnull(user_id, '') || '|' || target_id || '|' || ifnull(detail, '') FROM audit "
    + "WHERE action LIKE 'review.%' ORDER BY id").split('\n').map((l) => l.split('|'));
  const holds = new Map();
  let reserves = 0;
  for (const [action, user, item, detail] of rows) {
    const who = action === 'review.reclaim' ? String(JSON.parse(detail).user) : user;
    if (action === 'review.reserve') {
      reserves++;
      const h = holds.get(item);
      assert.ok(!h || h === who, `item ${item} reserved by user ${who} while user ${h} holds it`);
      holds.set(item, who);
    } else if (holds.get(item) === who) {
      holds.delete(item);
    }
  }
  assert.ok(reserves >= 48, `${reserves} reserves`);
  const reclaims = rows.filter((r) => r[0] === 'review.reclaim').length;
  t.diagnostic(`${reserves} review reservations, ${reclaims} reclaimed, ${late} verdicts after the hold ran out`);
  const ok = await mgr.post(`${P}/batches/${b.id}/signoff`, {});
  assert.equal(ok.status, 200, ok.text);
});

test('a gold item shows its annotator the batch it came through; managers see it unbatched', async (t) => {
  const { admin, project, items, mgr, anns: [ann, other] } = await setup(t, { annotators: 2, reviewers: 0 });
  const gold = items[0];
  const g = await admin.put(`${P}/items/${gold}/annotations/gold`, doc(1), { headers: { 'If-Match': '0' } });
  assert.ok(g.status === 200 || g.status === 201, g.text);
  const b = await createBatch(mgr, project, {
    name: 'g', gold_first: 1, gold_rate: 0, annotators: [ann.user.id, other.user.id],
  });
  // Another annotator labels the gold item first: the shared item is now 'annotated'.
  const o1 = await other.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(o1.json.item.id, gold);
  await submit(other, gold);
  assert.equal((await mgr.get(`${P}/items/${gold}`)).json.item.status, 'annotated');
  const first = await ann.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(first.json.item.id, gold);
  assert.equal(first.json.item.batch, b.id);
  // To this annotator it is new, like the batch's other items, in every view.
  assert.equal((await ann.get(`${P}/items/${gold}`)).json.item.status, 'new');
  assert.equal((await ann.get(`${P}/items/${items[1]}`)).json.item.status, 'new');
  const news = (await ann.get(`${P}/projects/${project}/items?status=new`)).json.items.map((i) => i.id);
  assert.ok(news.includes(gold), JSON.stringify(news));
  assert.ok(!(await ann.get(`${P}/projects/${project}/items?status=annotated`)).json.items.some((i) => i.id === gold));
  // GET /items/{id}: the same batch as every other item of theirs.
  const mine = await ann.get(`${P}/items/${gold}`);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.item.batch, b.id);
  const plain = await ann.get(`${P}/items/${items[1]}`);
  assert.equal(plain.json.item.batch, b.id);
  assert.deepEqual(Object.keys(mine.json.item).sort(), Object.keys(plain.json.item).sort());
  // The list and its batch filter include it like the others.
  const list = (await ann.get(`${P}/projects/${project}/items`)).json.items;
  assert.ok(list.every((i) => i.batch === b.id), JSON.stringify(list.map((i) => [i.id, i.batch])));
  const filtered = (await ann.get(`${P}/projects/${project}/items?batch=${b.id}`)).json.items.map((i) => i.id);
  assert.ok(filtered.includes(gold));
  assert.equal((await ann.get(`${P}/projects/${project}/items/count?batch=${b.id}`)).json.count, filtered.length);
  // Their annotation list shows no gold kind, and the gold annotation cannot be read by id.
  const anns = (await ann.get(`${P}/items/${gold}/annotations`)).json.annotations;
  assert.ok(!anns.some((a) => a.kind === 'gold'));
  const goldAnn = (await mgr.get(`${P}/items/${gold}/annotations`)).json.annotations.find((a) => a.kind === 'gold');
  for (const path of ['', '/history', '/history/1']) {
    const r = await ann.get(`${P}/items/${gold}/annotations/${goldAnn.id}${path}`);
    // 404, as for an annotation that does not exist: nothing to tell them apart.
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.text}`);
  }
  // Managers see the truth: the gold item is in no batch, and its gold annotation.
  assert.equal((await mgr.get(`${P}/items/${gold}`)).json.item.batch, null);
  const mlist = (await mgr.get(`${P}/projects/${project}/items?batch=${b.id}`)).json.items.map((i) => i.id);
  assert.ok(!mlist.includes(gold));
  assert.ok((await mgr.get(`${P}/items/${gold}/annotations`)).json.annotations.some((a) => a.kind === 'gold'));
  // Once they submit it, it is 'annotated' to them, as their other items would be.
  await submit(ann, gold);
  assert.equal((await ann.get(`${P}/items/${gold}`)).json.item.status, 'annotated');
  assert.equal((await ann.get(`${P}/items/999999`)).status, 404);
});

test('a consensus job puts items whose annotators disagree first in the review sample', async (t) => {
  const { server, project, items, mgr, anns: [a0, a1], revs: [rev] } = await setup(t, { annotators: 2, reviewers: 1 });
  const b = await createBatch(mgr, project, {
    name: 'k2', limit: items.length, overlap: 2, review_sample: 0.2, gold_first: 0, gold_rate: 0,
    annotators: [a0.user.id, a1.user.id], reviewers: [rev.user.id],
  });
  // ceil(6 * 0.2) = 2 sampled items, chosen at random by review_key: the
  // item drawn last is outside the random sample.
  const order = server.sql(`SELECT id FROM items WHERE batch_id = ${b.id} ORDER BY review_key, id`)
    .split('\n').map(Number);
  assert.equal(order.length, items.length);
  const target = order[order.length - 1];
  await labelAll(a0, project);
  // a1 agrees everywhere except on the target, where its box is elsewhere.
  for (let n = 0; n < 50; n++) {
    const r = await a1.post(`${P}/projects/${project}/queue/next`, {});
    if (r.status === 204) break;
    const far = { format: 1, objects: [{ id: 'f', label: 'rectangle', type: 'box', points: [40, 40, 50, 48], attributes: { color: 'red' } }] };
    await submit(a1, r.json.item.id, r.json.item.id === target ? far : doc(1));
  }
  const before = (await mgr.get(`${P}/batches/${b.id}`)).json.batch.sample.size;
  assert.equal(before, 2);

  // Bad thresholds are refused, naming the parameter.
  const bad = await mgr.post(`${P}/projects/${project}/quality/consensus`, { review_f1: 1.5 });
  assertError(bad, 400, 'invalid');
  assert.match(bad.text, /review_f1/);

  // A dry run lists the item but leaves the sample as it was.
  const waitJob = async (id) => {
    for (let i = 0; i < 200; i++) {
      const r = await mgr.get(`${P}/projects/${project}/jobs/${id}`);
      if (!['queued', 'running'].includes(r.json.job.state)) return r.json.job;
      await sleep(50);
    }
    assert.fail('job did not end');
  };
  const result = (job) => (typeof job.result === 'string' ? JSON.parse(job.result) : job.result);
  const dry = await mgr.post(`${P}/projects/${project}/quality/consensus`, { dry_run: true });
  assert.equal(dry.status, 202, dry.text);
  const dr = result(await waitJob(dry.json.job.id));
  assert.deepEqual(dr.review_first.map((x) => x.item), [target]);
  assert.equal(server.sql(`SELECT count(*) FROM items WHERE review_key < 0`), '0');

  const cj = await mgr.post(`${P}/projects/${project}/quality/consensus`, {});
  assert.equal(cj.status, 202, cj.text);
  const job = await waitJob(cj.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  const res = result(job);
  assert.equal(res.review_f1, 0.8);
  assert.equal(res.review_first_count, 1);
  assert.equal(res.review_first[0].item, target);
  assert.equal(res.review_first[0].f1_50, 0);
  assert.equal(server.sql(`SELECT count(*) FROM audit WHERE action = 'review.low_agreement' AND target_id = ${target}`), '1');

  // The reviewer is served the target first, both annotations of it,
  // marked low_agreement; then the rest of the sample, marked as sampled.
  for (let k = 0; k < 2; k++) {
    const r = await rev.post(`${P}/projects/${project}/review/next`, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.item.id, target);
    assert.equal(r.json.low_agreement, true);
    assert.equal(r.json.reason, 'low_agreement');
    const v = await rev.post(`${P}/items/${target}/review`, { verdict: 'accept', annotation: r.json.annotation.id });
    assert.equal(v.status, 201, v.text);
  }
  const rest = await rev.post(`${P}/projects/${project}/review/next`, {});
  assert.equal(rest.status, 200, rest.text);
  assert.notEqual(rest.json.item.id, target);
  assert.equal(rest.json.low_agreement, false);
  assert.equal(rest.json.reason, 'sample');
  // It counts in the sample: still two items, the target and the first random one.
  assert.equal(rest.json.item.id, order[0]);
  const after = (await mgr.get(`${P}/batches/${b.id}`)).json.batch.sample;
  assert.equal(after.size, 2);
  assert.equal(after.accepted, 1);
});

test('on an item two annotators label, each reads only the comments about their own work', async (t) => {
  const { project, items, mgr, anns: [a0, a1], revs: [rev] } = await setup(t, { annotators: 2, reviewers: 1 });
  await createBatch(mgr, project, {
    name: 'ov', limit: 1, overlap: 2, review_sample: 1, gold_first: 0, gold_rate: 0,
    annotators: [a0.user.id, a1.user.id], reviewers: [rev.user.id],
  });
  const first = await a0.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(first.status, 200, first.text);
  const item = first.json.item.id;
  assert.ok(items.includes(item));
  await submit(a0, item);
  await labelAll(a0, project);
  await labelAll(a1, project);
  const ids = {};
  for (let k = 0; k < 2; k++) {
    const r = await rev.post(`${P}/projects/${project}/review/next`, {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.item.id, item);
    const who = r.json.annotation.user === a0.user.id ? 'a0' : 'a1';
    ids[who] = r.json.annotation.id;
    const v = await rev.post(`${P}/items/${item}/review`, {
      verdict: 'reject', annotation: r.json.annotation.id, comment: `fix ${who}`, point: [3, 4],
    });
    assert.equal(v.status, 201, v.text);
  }
  const post = async (c, body) => {
    const r = await c.post(`${P}/items/${item}/comments`, body);
    assert.equal(r.status, 201, r.text);
    return r.json.comment.id;
  };
  const toAll = await post(mgr, { body: 'to everyone on this item' });
  const fromA1 = await post(a1, { body: 'a1 thinks aloud' });
  await post(a1, { body: 'a1 on its own work', annotation: ids.a1 });
  const reply = await post(rev, { body: 'a reply to a1', parent: fromA1 });
  await post(a0, { body: 'a0 replies to everyone', parent: toAll });
  const bodies = async (c) => (await c.get(`${P}/items/${item}/comments`)).json.comments.map((x) => x.body);

  assert.deepEqual(await bodies(a0), ['fix a0', 'to everyone on this item', 'a0 replies to everyone']);
  assert.deepEqual(await bodies(a1), ['fix a1', 'to everyone on this item', 'a1 thinks aloud',
    'a1 on its own work', 'a reply to a1']);
  // Staff see every comment.
  assert.equal((await bodies(rev)).length, 7);
  assert.equal((await bodies(mgr)).length, 7);
  // What a0 cannot read, a0 can neither resolve nor answer.
  const fixA1 = (await mgr.get(`${P}/items/${item}/comments`)).json.comments.find((x) => x.body === 'fix a1').id;
  assertError(await a0.post(`${P}/items/${item}/comments/${fixA1}/resolve`, { resolved: true }), 404, 'not_found');
  assertError(await a0.post(`${P}/items/${item}/comments/${reply}/resolve`, { resolved: true }), 404, 'not_found');
  const ans = await a0.post(`${P}/items/${item}/comments`, { body: 'peek', parent: fromA1 });
  assertError(ans, 400, 'invalid');
  assert.match(ans.text, /parent/);
  // The rejected item comes back to a0 with a0's comments only.
  const back = await a0.post(`${P}/projects/${project}/queue/next`, {});
  assert.equal(back.json.reason, 'rejected');
  assert.deepEqual(back.json.comments.map((x) => x.body), ['fix a0', 'to everyone on this item', 'a0 replies to everyone']);
});
