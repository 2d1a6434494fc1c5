// The quality API on the real server: a project where three people label
// the same items (tags and boxes), with one item's labels saved a day
// earlier. Agreement (overall, per class, per pair, per time window),
// the confusion matrix of two annotators, the checks with their editor
// links, progress per batch, the class distribution, the consensus job,
// and who may read what. Every figure is checked against one worked out
// by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError } from './server.lib.mjs';
import { cairn } from './lib.mjs';
import { setup, near, DAY, waitJob } from './quality.lib.mjs';

test('quality API: agreement, confusion, checks, progress, classes, consensus, access', async (t) => {
  const { server, admin, P, items, users, ids, batch } = await setup(t);
  const Q = `/api/v1/projects/${P}/quality`;

  // ---- agreement: percent over the tags ----
  const a = await users.ann.get(`${Q}/agreement?metric=percent&bootstrap=0`);
  assert.equal(a.status, 200, a.text);
  const c = a.json.categorical;
  assert.equal(c.metric, 'percent');
  assert.equal(c.n_annotators, 3);
  assert.equal(c.n_items, 5);
  assert.equal(c.n_items_used, 4); // item 4 has one rating
  // Items 0-2 agree fully; item 3: 1 of 3 pairs agree. (3 + 1/3) / 4.
  near(c.value, (3 + 1 / 3) / 4, 'percent');
  // Per pair (Cohen's kappa): ann-ben agree on all 4 items (kappa 1);
  // ann-cal on 3 of 4: po = 3/4, pe = 3/4*1/2 + 1/4*1/2 = 1/2, kappa 1/2.
  const pair = (x, y) => c.by_pair.find((p) => [p.a, p.b].sort().join() === [x, y].sort().join());
  near(pair('ann', 'ben').percent, 1);
  near(pair('ann', 'ben').kappa, 1);
  near(pair('ann', 'cal').percent, 0.75);
  near(pair('ann', 'cal').kappa, 0.5);
  assert.equal(pair('ann', 'cal').n_items, 4);
  // Per class: cat has 8 of the 12 ratings on items with two or more.
  const cat = c.by_category.find((x) => x.label === 'cat');
  near(cat.share, 8 / 12);
  // Fleiss' per-category kappa over the four items with three ratings:
  // 1 - sum n(m - n) / (N m (m - 1) p q) = 1 - 2 / (4 * 3 * 2 * 8/12 * 4/12) = 0.625.
  near(cat.kappa, 0.625);
  near(c.by_category.find((x) => x.label === 'dog').kappa, 0.625);
  if (process.env.QD_DUMP) (await import('node:fs')).writeFileSync(process.env.QD_DUMP, a.text);
  // Over time (one-day windows): item 3 alone in the earlier window (1/3),
  // items 0-2 (and 4, with one rating) in today's (1).
  assert.equal(a.json.window_s, 86400);
  assert.equal(c.by_window.length, 2);
  near(c.by_window[0].value, 1 / 3);
  assert.equal(c.by_window[0].n_items_used, 1);
  near(c.by_window[1].value, 1);
  assert.equal(c.by_window[1].n_items_used, 3);
  assert.equal(c.by_window[1].start - c.by_window[0].start, DAY);
  assert.equal(c.by_window[0].end, c.by_window[1].start);

  // The CLI walks the project with the same code: the same windows.
  const cli = cairn(['agree', '--project', 'pets', '--metric', 'percent', '--bootstrap', '0', '--window', '86400', '--data', server.data]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout).by_window, c.by_window);
  const cls = JSON.parse(cairn(['agree', '--project', 'pets', '--spatial', '--window', '86400', '--data', server.data]).stdout);
  assert.deepEqual(cls.by_window, a.json.spatial.by_window);
  assert.equal(cairn(['agree', '--project', 'pets', '--metric', 'percent', '--window', '0', '--data', server.data]).code, 2);

  // Fleiss' kappa by hand, with a varying number of ratings per item (as
  // Gwet writes it): P-bar over the items with two or more ratings,
  // (1 + 1 + 1 + 1/3) / 4; the category shares are the mean over every
  // rated item of its share: cat (1 + 0 + 1 + 2/3 + 0) / 5, dog the rest.
  const f = (await users.ann.get(`${Q}/agreement?metric=fleiss&bootstrap=0`)).json.categorical;
  const pcat = (2 + 2 / 3) / 5, pbar = (3 + 1 / 3) / 4, pe = pcat ** 2 + (1 - pcat) ** 2;
  near(f.value, (pbar - pe) / (1 - pe), 'fleiss');
  // Cohen's kappa needs exactly two annotators: a 400 that names the metric.
  const k = await users.ann.get(`${Q}/agreement?metric=kappa`);
  assertError(k, 400, 'invalid');
  assert.equal(k.json.error.field, 'metric');
  assert.equal((await users.ann.get(`${Q}/agreement?metric=median`)).json.error.field, 'metric');
  assert.equal((await users.ann.get(`${Q}/agreement?window=-1`)).json.error.field, 'window');
  assert.equal((await users.ann.get(`${Q}/agreement?iou_floor=2`)).json.error.field, 'iou_floor');
  // A 1 s window over saves a day apart still fits in 1000 windows (two);
  // the default bootstrap gives an interval around the value.
  const d = (await users.ann.get(`${Q}/agreement?window=1`)).json;
  assert.equal(d.categorical.metric, 'alpha');
  assert.ok(d.categorical.ci95[0] <= d.categorical.value && d.categorical.value <= d.categorical.ci95[1]);

  // ---- spatial: item 0's boxes ----
  const s = a.json.spatial;
  assert.equal(s.annotator_pairs, 3);
  // ann-ben: IoU 1; ann-cal, ben-cal: IoU 1/3, other label.
  assert.equal(s.overall.matched, 3);
  near(s.overall.mean_iou, (1 + 2 / 3) / 3);
  near(s.overall.iou50.f1, 1 / 3);
  near(s.overall.label_agreement, 1 / 3);
  assert.equal(s.by_class.rectangle.matched, 1);
  // Item 3 (no boxes) is alone in yesterday's window; item 0's matches are today's.
  assert.equal(s.by_window.length, 2);
  assert.equal(s.by_window[0].items, 1);
  assert.equal(s.by_window[0].agreement.matched, 0);
  assert.equal(s.by_window[1].items, 3);
  assert.equal(s.by_window[1].agreement.matched, 3);

  // ---- confusion: ann (rows) against cal (columns) ----
  const cf = await users.ben.get(`${Q}/confusion?a=ann&b=${ids.cal}`);
  assert.equal(cf.status, 200, cf.text);
  assert.equal(cf.json.a.name, 'ann');
  assert.equal(cf.json.b.id, ids.cal);
  assert.equal(cf.json.items, 4); // item 4 only ann labelled
  assert.deepEqual(cf.json.item_labels.labels, [null, 'cat', 'dog']);
  // (cat,cat) items 0 and 2, (dog,dog) item 1, (cat,dog) item 3.
  assert.deepEqual(cf.json.item_labels.matrix, [[0, 0, 0], [0, 2, 1], [0, 0, 1]]);
  near(cf.json.item_labels.agreement, 3 / 4);
  // Objects at IoU 0.5: the boxes (IoU 1/3) do not match.
  assert.deepEqual(cf.json.objects.labels, [null, 'circle', 'rectangle']);
  assert.deepEqual(cf.json.objects.matrix, [[0, 1, 0], [0, 0, 0], [1, 0, 0]]);
  assert.equal(cf.json.objects.matched, 0);
  // At IoU 0.3 they match: rectangle (ann) against circle (cal).
  const cf3 = (await users.ben.get(`${Q}/confusion?a=ann&b=cal&iou=0.3`)).json.objects;
  assert.deepEqual(cf3.matrix, [[0, 0, 0], [0, 0, 0], [0, 1, 0]]);
  assert.equal(cf3.matched, 1);
  assertError(await users.ben.get(`${Q}/confusion?a=ann`), 400, 'invalid');
  assertError(await users.ben.get(`${Q}/confusion?a=ann&b=nobody`), 404, 'not_found');
  assertError(await users.ben.get(`${Q}/confusion?a=ann&b=ann`), 400, 'invalid');

  // ---- checks: ann's box on item 4 leaves the image ----
  const ck = await users.ann.get(`${Q}/checks?rules=out_of_bounds`);
  assert.equal(ck.status, 200, ck.text);
  assert.equal(ck.json.findings.length, 1);
  const fd = ck.json.findings[0];
  assert.equal(fd.rule, 'out_of_bounds');
  assert.equal(fd.item_id, items[4]);
  assert.equal(fd.object, 'oob');
  assert.equal(fd.link, `/label.html#project=${P}&item=${items[4]}&object=oob`);
  assert.deepEqual(ck.json.rules.map((r) => r.name), ['out_of_bounds']);
  assert.equal(ck.json.rules[0].findings, 1);
  const all = (await users.ann.get(`${Q}/checks`)).json;
  assert.ok(all.rules.length >= 10);
  assert.ok(all.findings.some((x) => x.object === 'oob'));
  const none = (await users.ann.get(`${Q}/checks?limit=0`)).json;
  assert.equal(none.findings.length, 0);
  assert.equal(none.truncated, none.total > 0);
  const bad = await users.ann.get(`${Q}/checks?rules=out_of_bounds,nope`);
  assertError(bad, 400, 'invalid');
  assert.match(bad.json.error.message, /unknown rule 'nope'/);

  // ---- progress: the batch, and the project's items by status ----
  const pr = (await users.ann.get(`${Q}/progress`)).json;
  assert.equal(pr.batches.length, 1);
  const pb = pr.batches[0];
  assert.equal(pb.id, batch.id);
  assert.equal(pb.items, 5);
  assert.equal(pb.annotators, 1);
  assert.equal(pb.needed, 15); // 5 items x overlap 3
  assert.equal(Object.values(pb.by_status).reduce((x, y) => x + y, 0), 5);
  for (const [st, n] of Object.entries(pr.project.by_status)) {
    const cnt = await admin.get(`/api/v1/projects/${P}/items/count?status=${st}`);
    assert.equal(n, cnt.json.count, st);
  }
  assert.equal(pr.project.items, items.length);
  // cal, an annotator, sees the batch they are in and no project totals.
  const pc = (await users.cal.get(`${Q}/progress`)).json;
  assert.equal(pc.batches.length, 1);
  assert.equal(pc.project, null);

  // ---- classes: objects and items per label ----
  const cl = (await users.viv.get(`${Q}/classes`)).json;
  const byName = Object.fromEntries(cl.labels.map((x) => [x.name, x]));
  // cat: ann 3, ben 3, cal 2; dog: ann 2, ben 1, cal 2; rectangle: ann 2, ben 1; circle: cal 1.
  assert.deepEqual([byName.cat.objects, byName.dog.objects, byName.rectangle.objects, byName.circle.objects], [8, 5, 3, 1]);
  assert.deepEqual([byName.cat.items, byName.dog.items, byName.rectangle.items, byName.circle.items], [3, 3, 2, 1]);
  assert.equal(cl.objects, 17);

  // ---- who may read what ----
  // Annotators and viewers do not read agreement, confusion or checks.
  for (const who of ['cal', 'viv']) {
    assert.equal((await users[who].get(`${Q}/agreement`)).status, 403);
    assert.equal((await users[who].get(`${Q}/confusion?a=ann&b=ben`)).status, 403);
    assert.equal((await users[who].get(`${Q}/checks`)).status, 403);
  }
  // The annotator table: reviewers see everyone, an annotator their own row.
  const tab = (await users.ann.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  assert.deepEqual(tab.map((r) => r.name).sort(), ['ann', 'ben', 'cal']);
  const mine = (await users.cal.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  assert.deepEqual(mine.map((r) => r.name), ['cal']);
  assert.equal(mine[0].user, ids.cal);
  assert.deepEqual(mine[0], tab.find((r) => r.name === 'cal'));
  assert.equal((await users.viv.get(`/api/v1/projects/${P}/stats/annotators`)).status, 403);

  // ---- consensus: a job; only managers start it ----
  assert.equal((await users.ann.post(`${Q}/consensus`, {})).status, 403);
  assertError(await admin.post(`${Q}/consensus`, { method: 'median' }), 400, 'invalid');
  assertError(await admin.post(`${Q}/consensus`, { min_agreement: 2 }), 400, 'invalid');
  assertError(await admin.post(`${Q}/consensus`, { nope: 1 }), 400, 'invalid');
  const cj = await admin.post(`${Q}/consensus`, { min_agreement: 0.7 });
  assert.equal(cj.status, 202, cj.text);
  const job = await waitJob(admin, P, cj.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  const res = typeof job.result === 'string' ? JSON.parse(job.result) : job.result;
  // Items 0-3 have three annotators: 0-2 unanimous tags, saved; item 3's
  // tag (2 of 3) is under 0.7, and item 0's boxes are split (2 and 1 of 3):
  // both go to review; item 0 is still saved with its tag. Item 4 has one.
  assert.equal(res.saved, 3);
  assert.equal(res.needs_review_count, 2);
  assert.equal(res.too_few_annotators, 1);
  assert.deepEqual(res.needs_review.map((x) => x.item), [items[0], items[3]]);
  assert.equal(res.needs_review[1].from.length, 3);
  const saved = server.sql(`SELECT count(*) FROM annotations WHERE kind = 'consensus' AND source = 'majority'`);
  assert.equal(saved, '3');
  const audit = server.sql(`SELECT count(*) FROM audit WHERE action = 'consensus.start'`);
  assert.equal(audit, '1');
  // Each saved consensus records, in its audit row, the annotations and
  // versions it was built from.
  const det = JSON.parse(server.sql(`SELECT detail FROM audit WHERE action = 'consensus.save' AND target_id = (SELECT id FROM annotations WHERE kind = 'consensus' AND item_id = ${items[1]})`));
  assert.equal(det.method, 'majority');
  assert.deepEqual(det.from.map((x) => x.annotator).sort(), ['ann', 'ben', 'cal']);
  assert.ok(det.from.every((x) => x.version === 1 && x.annotation > 0));
  const ours = res.items.find((x) => x.item === items[1]);
  assert.deepEqual(ours.from, det.from);
});
