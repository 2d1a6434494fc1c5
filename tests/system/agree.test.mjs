// `cairn agree` and `cairn consensus` on the real binary: the published
// worked examples read from CSV, the errors a malformed CSV gives (with its
// line), usage errors, and a project whose annotators tag and box the same
// items over the API: categorical and spatial agreement, then consensus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairn, tempDir } from './lib.mjs';
import {
  Server, synthImages, ingest, makeUsers, createProject, itemIds,
} from './server.lib.mjs';
import { schema } from './quality.lib.mjs';

// Krippendorff (2011): 4 observers x 12 units, 0 = missing.
const kripp = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
  [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
];

function krippCsv() {
  const rows = ['item,annotator,label'];
  kripp.forEach((r, o) => r.forEach((v, u) => rows.push(`unit ${u + 1},"observer ${'ABCD'[o]}",${v || ''}`)));
  return rows.join('\r\n') + '\r\n';
}

function agree(args, opts) {
  const r = cairn(['agree', ...args], opts);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : null };
}

test('Krippendorff 2011 from a CSV: alpha at four levels, with a seeded interval', (t) => {
  const d = tempDir(t);
  const f = join(d, 'k.csv');
  writeFileSync(f, krippCsv());
  const want = { nominal: 0.743, ordinal: 0.815, interval: 0.849, ratio: 0.797 };
  for (const [level, v] of Object.entries(want)) {
    const r = agree([f, '--metric', 'alpha', '--level', level, '--bootstrap', '200']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.metric, 'alpha');
    assert.equal(r.json.level, level);
    assert.ok(Math.abs(r.json.value - v) < 5e-4, `${level}: ${r.json.value}`);
    assert.equal(r.json.n_items, 12);
    assert.equal(r.json.n_annotators, 4);
    assert.equal(r.json.n_missing, 7);
    const [lo, hi] = r.json.ci95;
    assert.ok(lo <= r.json.value && r.json.value <= hi, JSON.stringify(r.json.ci95));
  }
  // The same seed gives the same interval; the CSV may come on stdin.
  const a = agree(['-', '--metric', 'alpha', '--seed', '9', '--bootstrap', '300'], { input: krippCsv() });
  const b = agree([f, '--metric', 'alpha', '--seed', '9', '--bootstrap', '300']);
  assert.deepEqual(a.json.ci95, b.json.ci95);
  // Fleiss and Gwet take more than two annotators; kappa does not.
  assert.equal(agree([f, '--metric', 'fleiss']).code, 0);
  const g = agree([f, '--metric', 'gwet', '--weights', 'quadratic', '--bootstrap', '0']);
  assert.equal(g.json.coefficient, 'AC2');
  assert.deepEqual(g.json.ci95, [null, null]);
  const k = agree([f, '--metric', 'kappa']);
  assert.equal(k.code, 1);
  assert.match(k.stderr, /two annotators/);
});

test('Cohen 1960 and the Wikipedia Fleiss example from CSV', (t) => {
  const d = tempDir(t);
  const cohen = [[88, 14, 18], [10, 40, 10], [2, 6, 12]];
  const rows = ['annotator,item,label,comment'];
  let item = 0;
  cohen.forEach((row, a) => row.forEach((n, b) => {
    for (let i = 0; i < n; i++, item++) {
      rows.push(`judge1,${item},${a + 1},`, `judge2,${item},${b + 1},"a ""quoted"", comment"`);
    }
  }));
  const f = join(d, 'cohen.csv');
  writeFileSync(f, rows.join('\n'));
  const k = agree([f, '--metric', 'kappa']);
  assert.equal(k.code, 0, k.stderr);
  assert.ok(Math.abs(k.json.value - 0.492) < 5e-4, String(k.json.value));
  assert.equal(k.json.n_items, 200);
  assert.deepEqual(k.json.by_pair.map((x) => [x.a, x.b, x.n_items]), [['judge1', 'judge2', 200]]);
  assert.equal(k.json.by_pair[0].kappa, k.json.value);
  assert.deepEqual(k.json.by_category.map((x) => x.label), ['1', '2', '3']);
  const w = agree([f, '--metric', 'weighted-kappa', '--weights', 'quadratic', '--bootstrap', '0']);
  assert.ok(Math.abs(w.json.value - 0.125 / 0.275) < 1e-9);
  assert.equal(w.json.weights, 'quadratic');
  const p = agree([f, '--metric', 'percent', '--bootstrap', '0']);
  assert.equal(p.json.value, 0.7);

  const wiki = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]];
  const wr = ['item,annotator,label'];
  wiki.forEach((counts, i) => {
    let r = 0;
    counts.forEach((n, c) => { for (let k2 = 0; k2 < n; k2++) wr.push(`s${i},r${r++},cat${c}`); });
  });
  writeFileSync(join(d, 'wiki.csv'), wr.join('\n') + '\n');
  const fl = agree([join(d, 'wiki.csv'), '--metric', 'fleiss', '--bootstrap', '0']);
  assert.ok(Math.abs(fl.json.value - 0.210) < 5e-4, String(fl.json.value));
});

test('a malformed CSV is refused with its line; usage errors exit 2', (t) => {
  const d = tempDir(t);
  const cases = [
    ['item,annotator,label\n1,a,x\n1,b\n', /bad\.csv:3: expected 3 fields, got 2/],
    ['item,annotator,label\n1,a,x\n2,a,y\n1,a,z\n', /bad\.csv:4: annotator 'a' already labelled item '1' \(line 2\)/],
    ['item,annotator,label\n1,a,x\n2,b,"open\n3,c,z\n', /bad\.csv:3: a quoted field is not closed/],
    ['item,rater,label\n1,a,x\n', /bad\.csv:1: the header has no 'annotator' column/],
    ['item,annotator,label\n1,a,x"y\n', /bad\.csv:2: a quote inside an unquoted field/],
    ['', /empty file/],
  ];
  const f = join(d, 'bad.csv');
  for (const [text, re] of cases) {
    writeFileSync(f, text);
    const r = agree([f, '--metric', 'percent']);
    assert.equal(r.code, 1, text);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '');
  }
  assert.equal(agree([join(d, 'missing.csv'), '--metric', 'percent']).code, 1);
  writeFileSync(f, 'item,annotator,label\n1,a,x\n');
  for (const args of [
    [f], [f, '--metric', 'median'], [f, '--metric', 'kappa', '--weights', 'linear'],
    [f, '--metric', 'percent', '--bootstrap', 'x'], [f, '--metric', 'percent', '--spatial'],
  ]) {
    assert.equal(agree(args).code, 2, args.join(' '));
  }
  const h = cairn(['agree', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /usage: cairn agree/);
  assert.equal(cairn(['consensus', '--help']).code, 0);
});


test('a project: tag agreement, spatial agreement, consensus saved and listed', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const P = (await createProject(admin, 'pets', schema)).id;
  ingest(server.data, 'pets', synthImages());
  const items = await itemIds(admin, P);
  assert.ok(items.length >= 4);
  const users = await makeUsers(server, admin, ['ann', 'ben', 'cal'].map((name) => ({ name, roles: { [P]: 'manager' } })));
  // Tags: items 0-2 all agree; item 3: cat, cat, dog.
  const tags = { ann: ['cat', 'dog', 'cat', 'cat'], ben: ['cat', 'dog', 'cat', 'cat'], cal: ['cat', 'dog', 'cat', 'dog'] };
  // Boxes on item 0: ann and ben the same box, cal shifted by 5 px (IoU 1/3)
  // with another label.
  const boxes = {
    ann: [{ id: 'b1', label: 'rectangle', type: 'box', points: [0, 0, 20, 10] }],
    ben: [{ id: 'b1', label: 'rectangle', type: 'box', points: [0, 0, 20, 10] }],
    cal: [{ id: 'b1', label: 'circle', type: 'box', points: [10, 0, 30, 10] }],
  };
  for (const [name, c] of Object.entries(users)) {
    for (let i = 0; i < 4; i++) {
      const objects = [{ id: 't1', label: tags[name][i], type: 'tag' }, ...(i === 0 ? boxes[name] : [])];
      const r = await c.put(`/api/v1/items/${items[i]}/annotations/mine`, { format: 1, objects }, { headers: { 'If-Match': '0' } });
      assert.equal(r.status, 201, r.text);
    }
  }
  const data = ['--data', server.data];
  const a = agree(['--project', 'pets', '--metric', 'fleiss', '--bootstrap', '0', ...data]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.json.project, 'pets');
  assert.equal(a.json.n_annotators, 3);
  assert.equal(a.json.n_items, 4);
  // By hand: P-bar = (1 + 1 + 1 + 1/3) / 4; p(cat) = 8/12, p(dog) = 4/12.
  const pbar = (3 + 1 / 3) / 4, pe = (64 + 16) / 144;
  assert.ok(Math.abs(a.json.value - (pbar - pe) / (1 - pe)) < 1e-9, String(a.json.value));

  const s = agree(['--project', 'pets', '--spatial', ...data]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.json.items, 4);
  assert.equal(s.json.annotator_pairs, 3);
  // ann-ben: 1 match, IoU 1; ann-cal, ben-cal: IoU 1/3 each, other label.
  assert.equal(s.json.overall.matched, 3);
  assert.ok(Math.abs(s.json.overall.mean_iou - (1 + 2 / 3) / 3) < 1e-9);
  assert.equal(s.json.overall.iou50.f1, 1 / 3);
  assert.ok(Math.abs(s.json.overall.label_agreement - 1 / 3) < 1e-9);
  assert.equal(s.json.by_class.rectangle.matched, 1);
  assert.equal(s.json.by_class.circle.matched, 0);
  // Users are made concurrently: a pair is named in user-id order.
  const ab = s.json.by_pair.find((p) => [p.a, p.b].sort().join() === 'ann,ben');
  assert.equal(ab.agreement.iou75.f1, 1);

  const c1 = cairn(['consensus', '--project', 'pets', '--min-agreement', '0.7', '--json', ...data]);
  assert.equal(c1.code, 0, c1.stderr);
  const j = JSON.parse(c1.stdout);
  // Items 0-2 have a unanimous tag and are saved; item 3's tag (2 of 3) is
  // under 0.7 and goes to review, and so does item 0, whose boxes have
  // 2 of 3 (rectangle) and 1 of 3 (circle) annotators.
  assert.equal(j.saved, 3);
  assert.equal(j.needs_review_count, 2);
  assert.deepEqual(j.needs_review.map((x) => x.item), [items[0], items[3]]);
  assert.equal(j.needs_review[0].dropped_objects, 2);
  assert.equal(j.needs_review[0].version, 1);
  assert.equal(j.needs_review[1].from.length, 3);
  assert.equal(j.needs_review[1].version, undefined);
  assert.equal(j.items[0].label, 'dog');
  assert.equal(j.items[0].version, 1);
  const rows = server.sql(`SELECT count(*) FROM annotations WHERE kind = 'consensus' AND source = 'majority'`);
  assert.equal(rows, '3');
  // Again at 0.6: the rectangle is fused in (the same annotation's version 2).
  const c2 = JSON.parse(cairn(['consensus', '--project', 'pets', '--min-agreement', '0.6', '--json', ...data]).stdout);
  const i0 = c2.needs_review.find((x) => x.item === items[0]);
  assert.equal(i0.version, 2);
  assert.equal(i0.objects, 2);
  assert.equal(i0.dropped_objects, 1);
  assert.equal(c2.fused_objects, 1);
  const body = server.sql(`SELECT v.body FROM annotations a JOIN annotation_history v ON v.annotation_id = a.id AND v.version = a.version WHERE a.kind = 'consensus' AND a.item_id = ${items[0]}`);
  assert.match(body, /"points":\[0,0,20,10\]/);
  const ds = cairn(['consensus', '--project', 'pets', '--method', 'dawid-skene', '--dry-run', '--json', ...data]);
  assert.equal(ds.code, 0, ds.stderr);
  const dj = JSON.parse(ds.stdout);
  assert.equal(dj.saved, 0);
  assert.equal(dj.dawid_skene.annotators.length, 3);
  assert.equal(cairn(['consensus', '--project', 'nope', ...data]).code, 1);
});
