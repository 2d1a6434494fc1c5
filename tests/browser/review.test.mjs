// The review round trip in a real browser, with three people in their own
// browser contexts against a real server: the annotator labels and submits
// a batch; the manager's sign-off is refused and the page says why; the
// reviewer gets the sampled item in review mode (read-only), pins a comment
// to the annotator's box and rejects it; the annotator gets the item back
// first, sees the comment on the image and in the list, fixes the box and
// resubmits; the reviewer accepts; the manager sees the sample pass and
// signs the batch off. Each step is also checked through the API.
// Screenshots: build/screenshots/review-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, tool, ingest, createProject, itemIds, makeUsers } from '../system/server.lib.mjs';
import {
  launch, openPage, signIn, shot, stageAt as at, stageDrag as drag,
} from './lib.mjs';

const schema = {
  cairn_schema: 1,
  labels: [
    { name: 'car', color: '#4363d8', hotkey: '1', shapes: ['box', 'polygon'] },
    { name: 'sign', color: '#f58231', hotkey: '2', shapes: ['box'] },
  ],
};
const A = '/api/v1';
let server, admin, browser, tmp, P, items, users, batch;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cairn-review-'));
  tool(['synth', join(tmp, 'shapes'), '--images', '2', '--objects', '2', '--seed', '5', '--size', '640x480']);
  server = await Server.create(null);
  admin = await server.admin();
  P = (await createProject(admin, 'roads', schema)).id;
  ingest(server.data, 'roads', join(tmp, 'shapes', 'images'));
  items = await itemIds(admin, P);
  users = await makeUsers(server, admin, [
    { name: 'anna', roles: { [P]: 'annotator' } },
    { name: 'rita', roles: { [P]: 'reviewer' } },
    { name: 'mark', roles: { [P]: 'manager' } },
  ]);
  // Two items, half of them sampled for review: one item is reviewed.
  const r = await users.mark.post(`${A}/projects/${P}/batches`, {
    name: 'week-1', review_sample: 0.5, gold_first: 0, gold_rate: 0,
    annotators: [users.anna.user.id], reviewers: [users.rita.user.id],
  });
  assert.equal(r.status, 201, r.text);
  batch = r.json.batches[0];
  assert.equal(batch.items, 2);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server?.proc) await server.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

const loaded = (page) => page.waitForFunction(() => {
  const S = window.cairnEditor;
  return S && S.itemId && !S.loading && S.saver && S.renderer.image;
}, null, { timeout: 30000 });
const objs = (page) => page.evaluate(() => [...window.cairnEditor.model.objects.values()]);
// Box corners within 2 pixels of what was dragged (screen to image rounding).
const near = (pts, want) => assert.ok(pts.length === want.length && pts.every((v, i) => Math.abs(v - want[i]) <= 2), `${pts} is not near ${want}`);
const realErrors = (page) => page.jsErrors.filter((e) => !/Failed to load resource/.test(e));

async function annotationOf(item, user) {
  const r = await users.mark.get(`${A}/items/${item}/annotations`);
  assert.equal(r.status, 200, r.text);
  return r.json.annotations.find((a) => a.kind === 'manual' && a.user === user);
}
async function documentOf(item, ann) {
  const r = await users.mark.get(`${A}/items/${item}/annotations/${ann}`);
  assert.equal(r.status, 200, r.text);
  return r.json.document;
}
async function sample() {
  const r = await users.mark.get(`${A}/batches/${batch.id}`);
  assert.equal(r.status, 200, r.text);
  return r.json.batch;
}

test('review round trip: label, submit, reject with a pinned comment, fix, accept, sign off', async () => {
  const anna = await openPage(browser, server.url);
  const rita = await openPage(browser, server.url);
  const mark = await openPage(browser, server.url);
  await signIn(anna, 'anna', users.anna.password);
  await signIn(rita, 'rita', users.rita.password);
  await signIn(mark, 'mark', users.mark.password);
  const annaId = users.anna.user.id;

  // 1. The annotator labels both items of the batch from the queue: one box each, Submit.
  await anna.goto(`/label.html#project=${P}`);
  const labelled = [];
  for (let k = 0; k < 2; k++) {
    await anna.waitForFunction((done) => {
      const S = window.cairnEditor;
      return S && S.itemId && !done.includes(S.itemId) && !S.loading && S.saver && S.renderer.image;
    }, labelled, { timeout: 30000 });
    const id = await anna.evaluate(() => window.cairnEditor.itemId);
    labelled.push(id);
    await anna.keyboard.press('b');
    await drag(anna, 100, 100, 260, 220);
    assert.equal((await objs(anna)).length, 1);
    if (k === 0) await shot(anna, 'review-1-annotator-labels');
    await anna.getByRole('button', { name: 'Submit', exact: true }).click();
    await anna.waitForFunction((id) => window.cairnEditor.itemId !== id || /Nothing left|No more/.test(document.getElementById('save-status').textContent), id, { timeout: 30000 });
  }
  assert.deepEqual([...labelled].sort((a, b) => a - b), items);
  for (const id of items) {
    const a = await annotationOf(id, annaId);
    assert.equal(a?.status, 'submitted', `item ${id} is submitted`);
  }
  let b = await sample();
  assert.deepEqual(b.sample, { size: 1, accepted: 0, pending: 1, rejected: 0, missing: 0, ready: false });

  // 2. The manager tries to sign off: refused, and the page says why.
  await mark.goto(`/#/projects/${P}/batches`);
  await mark.locator(`#sample-${batch.id}`).waitFor();
  assert.match(await mark.locator(`#sample-${batch.id}`).textContent(), /0 of 1 accepted, 1 to review/);
  await mark.getByRole('button', { name: 'Sign off week-1' }).click();
  await mark.locator(`#signoff-why-${batch.id}`).filter({ hasText: 'cannot be signed off' }).waitFor();
  assert.match(await mark.locator(`#signoff-why-${batch.id}`).textContent(), /1 sampled items wait for review/);
  await shot(mark, 'review-2-signoff-refused');
  assert.equal((await sample()).stage, 'annotate');

  // 3. The reviewer opens review mode: the sampled item, the annotator's box, read-only.
  // (Marked as a low-agreement item, as a consensus job does it: its review
  // key below 0; tests/system/review.test.mjs runs the job itself.)
  const sampled = Number(server.sql(`SELECT id FROM items WHERE batch_id = ${batch.id} ORDER BY review_key, id LIMIT 1`));
  server.sql(`UPDATE items SET review_key = review_key - 2 WHERE id = ${sampled}`);
  await rita.goto(`/#/projects/${P}/queue`);
  await rita.locator('#start-review').click();
  await loaded(rita);
  await rita.locator('#review-panel:not([hidden])').waitFor();
  const reviewed = await rita.evaluate(() => window.cairnEditor.review.item);
  assert.ok(items.includes(reviewed));
  assert.equal(reviewed, sampled);
  assert.match(await rita.locator('#review-low').textContent(), /Low agreement/);
  const ann1 = await annotationOf(reviewed, annaId);
  assert.equal(await rita.evaluate(() => window.cairnEditor.review.annotation), ann1.id);
  const [box] = await objs(rita);
  near(box.points, [100, 100, 260, 220]);
  assert.ok(await rita.locator('#btn-submit').isHidden(), 'no Submit in review mode');
  // Dragging the box changes nothing: the annotation is read-only.
  await rita.keyboard.press('v');
  await drag(rita, 180, 160, 230, 200);
  near((await objs(rita))[0].points, [100, 100, 260, 220]);
  // Reject needs a comment: the panel says so and nothing is sent.
  await rita.locator('#btn-review-reject').click();
  assert.match(await rita.locator('#review-msg').textContent(), /needs a comment/);
  // (The version is 1 or 2: an autosave may land before Submit on a loaded machine.)
  assert.match(await rita.locator('#review-what').textContent(), new RegExp(`Annotation by anna, version ${ann1.version},`));
  assert.equal((await annotationOf(reviewed, annaId)).status, 'submitted');
  // Pin a comment on the box (a click on it), then reject.
  await rita.locator('#review-comment').fill('The box is too loose on the right: pull it in to the car.');
  await rita.locator('#review-reason').fill('loose box');
  await rita.locator('#btn-review-pin').click();
  const [px, py] = await at(rita, 250, 150);
  await rita.mouse.click(px, py);
  await rita.locator('#review-pin').filter({ hasText: `Pinned to object ${box.id}` }).waitFor();
  await shot(rita, 'review-3-reviewer-pins-comment');
  await rita.locator('#btn-review-reject').click();
  await rita.locator('#review-empty').waitFor({ timeout: 30000 });
  // The judged item is gone from the screen.
  assert.ok(await rita.locator('#stage canvas').first().isHidden());
  assert.ok(await rita.locator('#list-panel').isHidden());
  await shot(rita, 'review-4-reviewer-queue-empty');
  // Through the API: the annotation is rejected, the comment pinned where she clicked.
  assert.equal((await annotationOf(reviewed, annaId)).status, 'rejected');
  const cs = (await users.mark.get(`${A}/items/${reviewed}/comments`)).json.comments;
  assert.equal(cs.length, 1);
  assert.equal(cs[0].object, box.id);
  assert.equal(cs[0].annotation, ann1.id);
  assert.ok(Math.abs(cs[0].point[0] - 250) < 2 && Math.abs(cs[0].point[1] - 150) < 2, JSON.stringify(cs[0]));
  b = await sample();
  assert.equal(b.sample.rejected, 1);

  // 4. The annotator's queue gives the rejected item first, with the comment on the image and in the list.
  await anna.goto(`/label.html#project=${P}`);
  await anna.waitForFunction((id) => {
    const S = window.cairnEditor;
    return S && S.itemId === id && !S.loading && S.saver && document.querySelector('.comment-marker');
  }, reviewed, { timeout: 30000 });
  assert.match(await anna.locator('#rejected-banner').textContent(), /rejected in review: 1 comment /);
  const marker = anna.locator('.comment-marker').first();
  assert.match(await marker.getAttribute('aria-label'), /too loose/);
  assert.match(await anna.locator('#comment-list').textContent(), /rita.*too loose.*on object/);
  // The marker sits where the reviewer clicked.
  const mb = await marker.boundingBox();
  const [wx, wy] = await at(anna, 250, 150);
  assert.ok(Math.abs(mb.x - wx) < 3 && Math.abs(mb.y + mb.height - wy) < 3, `marker at ${mb.x},${mb.y + mb.height}, point at ${wx},${wy}`);
  await shot(anna, 'review-5-annotator-sees-comment');
  // Clicking the marker selects the box; she pulls its corner in and resubmits.
  await anna.keyboard.press('v');
  await marker.click();
  assert.deepEqual(await anna.evaluate(() => [...window.cairnEditor.selected]), [box.id]);
  const [hx, hy] = await at(anna, 260, 220);
  await anna.mouse.move(hx, hy); await anna.mouse.down();
  const [tx, ty] = await at(anna, 230, 220);
  for (let i = 1; i <= 5; i++) await anna.mouse.move(hx + ((tx - hx) * i) / 5, hy + ((ty - hy) * i) / 5);
  await anna.mouse.up();
  assert.equal((await objs(anna)).length, 1);
  near((await objs(anna))[0].points, [100, 100, 230, 220]);
  await anna.locator('#comment-list button', { hasText: 'Resolved' }).click();
  await anna.getByRole('button', { name: 'Submit', exact: true }).click();
  await anna.waitForFunction(() => /Nothing left|No more/.test(document.getElementById('save-status').textContent) || window.cairnEditor.itemId !== null, null, { timeout: 30000 });
  let a2;
  for (let i = 0; i < 50; i++) {
    a2 = await annotationOf(reviewed, annaId);
    if (a2.status === 'submitted') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(a2.status, 'submitted');
  assert.ok(a2.version > ann1.version);
  near((await documentOf(reviewed, a2.id)).objects[0].points, [100, 100, 230, 220]);
  assert.equal((await users.mark.get(`${A}/items/${reviewed}/comments`)).json.comments[0].resolved, true);

  // 5. The reviewer gets it again (the fixed version) and accepts.
  await rita.goto(`/label.html#project=${P}&review=1`);
  await rita.waitForFunction((v) => {
    const S = window.cairnEditor;
    return S && S.review && S.review.version === v && !S.loading && S.saver;
  }, a2.version, { timeout: 30000 });
  await rita.locator('#review-panel:not([hidden])').waitFor();
  near((await objs(rita))[0].points, [100, 100, 230, 220]);
  assert.equal(await rita.locator('.comment-marker.resolved').count(), 1);
  await shot(rita, 'review-6-reviewer-accepts');
  await rita.locator('#btn-review-accept').click();
  await rita.locator('#review-empty').waitFor({ timeout: 30000 });
  assert.equal((await annotationOf(reviewed, annaId)).status, 'accepted');
  b = await sample();
  assert.deepEqual(b.sample, { size: 1, accepted: 1, pending: 0, rejected: 0, missing: 0, ready: true });

  // 6. The manager sees the sample pass and signs the batch off.
  await mark.reload();
  await mark.locator(`#sample-${batch.id}`).filter({ hasText: '1 of 1 accepted' }).waitFor();
  await mark.getByRole('button', { name: 'Sign off week-1' }).click();
  await mark.locator('.msg.ok').filter({ hasText: 'signed off' }).waitFor();
  await mark.locator(`tr[data-batch="${batch.id}"]`).filter({ hasText: 'signed off' }).waitFor();
  await shot(mark, 'review-7-signed-off');
  b = await sample();
  assert.equal(b.stage, 'done');
  assert.equal(b.signed_off_by, users.mark.user.id);
  const audit = (await admin.get(`${A}/projects/${P}/audit?limit=1000`)).json.entries.map((e) => e.action);
  for (const act of ['queue.reserve', 'review.reserve', 'review.reject', 'review.accept', 'batch.signoff']) {
    assert.ok(audit.includes(act), `audit has ${act}`);
  }
  for (const p of [anna, rita, mark]) assert.deepEqual(realErrors(p), []);
});
