// `cairn check` on a project with planted problems: synthetic images with
// their exact ground truth are imported, a baseline is taken, then one
// problem per rule is planted (by editing stored annotation bodies and item
// splits directly, since the API refuses most of them) and each rule must
// fire where it was planted and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cairn, tempDir, root } from './lib.mjs';

function check(data, extra = []) {
  const r = cairn(['check', '--project', 'shapes', '--json', '--data', data, ...extra]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return JSON.parse(r.stdout);
}

const key = (f) => `${f.rule}|${f.item_id}|${f.object}|${f.group}`;

// Runs python3 with the database path and a JSON argument.
function py(db, code, arg) {
  return execFileSync('python3', ['-c', code, db, JSON.stringify(arg)], { encoding: 'utf8' });
}

const PLANT = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
plan = json.loads(sys.argv[2])
def body(item):
    aid, ver = db.execute("select id, version from annotations where item_id = ? and kind = 'gold'", (item,)).fetchone()
    b = db.execute("select body from annotation_history where annotation_id = ? and version = ?", (aid, ver)).fetchone()[0]
    return aid, ver, json.loads(b)
def save(aid, ver, doc):
    db.execute("update annotation_history set body = ? where annotation_id = ? and version = ?", (json.dumps(doc), aid, ver))
out = {}
for op in plan:
    aid, ver, doc = body(op["item"])
    objs = doc["objects"]
    attrs = {"color": "red", "occluded": False, "truncated": False, "confidence": 1, "note": ""}
    if op["do"] == "add":
        o = {"id": op["id"], "label": op["label"], "type": op["type"], "attributes": dict(attrs)}
        o["points"] = op["points"]
        objs.append(o)
    elif op["do"] == "dup":
        src = next(o for o in objs if o["type"] in ("mask", "polygon", "ellipse"))
        c = json.loads(json.dumps(src)); c["id"] = op["id"]; objs.append(c)
        out["dup_of"] = src["id"]
    elif op["do"] == "unrequire":
        o = next(o for o in objs if "color" in o["attributes"])
        del o["attributes"]["color"]
        out["unrequired"] = objs.index(o)
    elif op["do"] == "relabel":
        objs[0]["label"] = "zebra"
    elif op["do"] == "drop":
        doc["objects"] = [o for o in objs if o["label"] != op["label"]]
    save(aid, ver, doc)
db.commit()
print(json.dumps(out))
`;

const SPLIT = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for item, split in json.loads(sys.argv[2]):
    db.execute("update items set split = ? where id = ?", (split, item))
db.commit()
`;

test('each check fires where a problem was planted and nowhere else', (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const db = join(data, 'cairn.db');
  const run = (args) => {
    const r = cairn([...args, '--data', data]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  run(['init']);
  const synth = (out, q) => {
    const r = cairn(['synth', out, '--images', '40', '--seed', '7', '--size', '160x120', '--quality', q]);
    assert.equal(r.code, 0, r.stderr);
  };
  synth(join(dir, 'a'), '90');
  synth(join(dir, 'b'), '60');
  run(['project', 'create', 'shapes', '--schema', join(root, 'docs/examples/schema-demo.json')]);
  run(['import', '--project', 'shapes', '--as', 'gold', join(dir, 'a')]);
  // Odd items train, even items test.
  const splits = [];
  for (let i = 1; i <= 40; i++) splits.push([i, i % 2 ? 'train' : 'test']);
  py(db, SPLIT, splits);

  const base = check(data);
  const baseKeys = new Set(base.findings.map(key));
  for (const r of ['degenerate_shape', 'duplicate', 'required_attribute', 'unknown_label',
                   'invalid_annotation', 'leakage', 'class_shift']) {
    assert.equal(base.rules[r], 0, `${r} fired before anything was planted: ` +
      JSON.stringify(base.findings.filter((f) => f.rule === r)));
  }

  // Plant. Item 3 (train): a box past the right edge, a bow-tie polygon,
  // a tiny polygon, a very flat box. Item 5: a copy of a mask. Item 7: a
  // missing required attribute. Item 9: an unknown label. Test items lose
  // every ellipse (class shift). Item 41: image 1 again, re-encoded, in test.
  const planted = JSON.parse(py(db, PLANT, [
    { item: 3, do: 'add', id: 'oob', label: 'rectangle', type: 'box', points: [140, 40, 175, 70] },
    { item: 3, do: 'add', id: 'bowtie', label: 'polygon', type: 'polygon', points: [20, 20, 60, 60, 60, 20, 20, 60] },
    { item: 3, do: 'add', id: 'tiny', label: 'polygon', type: 'polygon', points: [100, 100, 102, 100, 101, 101.5] },
    { item: 3, do: 'add', id: 'flat', label: 'rectangle', type: 'box', points: [10, 80, 150, 84] },
    { item: 5, do: 'dup', id: 'copy' },
    { item: 7, do: 'unrequire' },
    { item: 9, do: 'relabel' },
    ...splits.filter(([, s]) => s === 'test').map(([i]) => ({ item: i, do: 'drop', label: 'ellipse' })),
  ]));
  run(['ingest', '--project', 'shapes', join(dir, 'b', 'images', '000001.jpg')]);
  py(db, SPLIT, [[41, 'test']]);

  const after = check(data);
  const fresh = after.findings.filter((f) => !baseKeys.has(key(f)));
  const got = (rule) => fresh.filter((f) => f.rule === rule)
    .map((f) => (f.item_id ? `${f.item_id}:${f.object}` : f.group)).sort();

  assert.deepEqual(got('out_of_bounds'), ['3:oob']);
  assert.deepEqual(got('degenerate_shape'), ['3:bowtie']);
  assert.deepEqual(got('too_small'), ['3:tiny']);
  assert.deepEqual(got('duplicate'), ['5:copy']);
  assert.deepEqual(got('required_attribute'), [`7:objects[${planted.unrequired}]`]);
  assert.deepEqual(got('unknown_label'), ['9:objects[0]']);
  assert.deepEqual(got('invalid_annotation'), []);
  assert.deepEqual(got('box_outlier'), ['3:flat']);
  assert.deepEqual(got('leakage'), ['1:']);
  assert.ok(got('class_shift').includes('split test'), JSON.stringify(fresh));
  for (const g of got('class_shift')) assert.ok(['split test', 'split train'].includes(g), g);

  // Every finding links to its item and object; errors make the exit code 1.
  const oob = fresh.find((f) => f.rule === 'out_of_bounds');
  assert.equal(oob.severity, 'warning');
  assert.equal(oob.link, '/items/3#object=oob');
  assert.equal(cairn(['check', '--project', 'shapes', '--data', data]).code, 1);
  // --rule runs only the named rules.
  const only = check(data, ['--rule', 'duplicate,too_small']);
  assert.deepEqual(Object.keys(only.rules).sort(), ['duplicate', 'too_small']);
  assert.ok(only.findings.every((f) => f.rule === 'duplicate' || f.rule === 'too_small'));
  // Usage errors.
  assert.equal(cairn(['check', '--project', 'shapes', '--rule', 'nope', '--data', data]).code, 2);
});

// The rules about annotators, batches and time: four annotators label the
// same 40 images (imported as their manual annotations); items are put in
// batches and their annotations given save times over three days by
// editing the database, a baseline is taken, then each problem is planted
// and each rule must fire where it was planted and nowhere else.
const PLANT_PEOPLE = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("pragma foreign_keys = on")
plan = json.loads(sys.argv[2])
T0, DAY, W, H = 1767225600000, 86400000, 160, 120  # 2026-01-01T00:00Z; image size
uid = {n: i for i, n in db.execute("select id, name from users")}
def manual(item, user=None):
    q = "select id, version from annotations where item_id = ? and kind = 'manual'"
    args = [item]
    if user:
        q += " and user_id = ?"
        args.append(uid[user])
    return db.execute(q, args).fetchall()
def edit(item, user, fn):
    for aid, ver in manual(item, user):
        b = db.execute("select body from annotation_history where annotation_id = ? and version = ?", (aid, ver)).fetchone()[0]
        doc = json.loads(b)
        doc["objects"] = fn(doc["objects"])
        db.execute("update annotation_history set body = ? where annotation_id = ? and version = ?", (json.dumps(doc), aid, ver))
def clamp(v, hi):
    return min(max(v, 0), hi)
def scale(objs, s):
    for o in objs:
        if o["type"] == "box":
            x0, y0, x1, y1 = o["points"]
            cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * s / 2, (y1 - y0) * s / 2
            o["points"] = [clamp(cx - hw, W), clamp(cy - hh, H), clamp(cx + hw, W), clamp(cy + hh, H)]
    return objs
def mirror(objs):
    for o in objs:
        p = o.get("points")
        if o["type"] == "box":
            o["points"] = [W - p[2], p[1], W - p[0], p[3]]
        elif o["type"] == "polygon":
            o["points"] = [W - v if i % 2 == 0 else v for i, v in enumerate(p)]
        elif o["type"] == "ellipse":
            o["points"] = [W - p[0], p[1], p[2], p[3], -p[4]]
    return objs
for op in plan:
    if op["do"] == "times":
        for item, day in op["items"]:
            db.execute("update annotations set updated_at = ? where item_id = ?", (T0 + day * DAY + item * 1000, item))
    elif op["do"] == "batch":
        c = db.execute("insert into batches (project_id, name, stage, created_at) values (1, ?, ?, 0)", (op["name"], op["stage"]))
        db.executemany("update items set batch_id = ? where id = ?", [(c.lastrowid, i) for i in op["items"]])
    elif op["do"] == "scale":
        for i in range(1, 41):
            edit(i, op["user"], lambda objs: scale(objs, op["by"]))
    elif op["do"] == "mirror":
        for i in op["items"]:
            edit(i, op["user"], mirror)
    elif op["do"] == "drop":
        for i in op["items"]:
            edit(i, None, lambda objs: [o for o in objs if o["label"] != op["label"]])
    elif op["do"] == "empty":
        edit(op["item"], None, lambda objs: [])
    elif op["do"] == "delete":
        db.execute("delete from annotations where item_id = ? and kind = 'manual'", (op["item"],))
db.commit()
print(json.dumps(uid))
`;

test('unlabelled items, annotator bias and drift fire where planted and nowhere else', (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const db = join(data, 'cairn.db');
  const run = (args, input) => {
    const r = cairn([...args, '--data', data], input === undefined ? {} : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  run(['init']);
  const r = cairn(['synth', join(dir, 'a'), '--images', '40', '--seed', '7', '--size', '160x120']);
  assert.equal(r.code, 0, r.stderr);
  run(['project', 'create', 'shapes', '--schema', join(root, 'docs/examples/schema-demo.json')]);
  const people = ['ann1', 'ann2', 'ann3', 'ann4'];
  for (const u of people) {
    run(['user', 'add', u, '--password-stdin'], `password-of-${u}\n`);
    run(['import', '--project', 'shapes', '--as', 'manual', '--user', u, join(dir, 'a')]);
  }
  // Odd items 1-31 saved on day 0, items 33-40 on day 1, even items 2-32
  // on day 2. Batch b1 (items 1-6) is in review, b2 (7-8) still annotated.
  const times = [];
  for (let i = 1; i <= 40; i++) times.push([i, i >= 33 ? 1 : i % 2 ? 0 : 2]);
  const uid = JSON.parse(py(db, PLANT_PEOPLE, [
    { do: 'times', items: times },
    { do: 'batch', name: 'b1', stage: 'review', items: [1, 2, 3, 4, 5, 6] },
    { do: 'batch', name: 'b2', stage: 'annotate', items: [7, 8] },
  ]));

  const base = check(data);
  for (const rule of ['unlabelled_in_finished_batch', 'annotator_bias', 'drift']) {
    assert.equal(base.rules[rule], 0, `${rule} fired before anything was planted: ` +
      JSON.stringify(base.findings.filter((f) => f.rule === rule)));
  }
  const baseKeys = new Set(base.findings.map(key));

  // Plant: ann3 draws every box 1.15x wider and higher; ann2's boxes,
  // polygons and ellipses on day 1 are mirrored (agreement drops); the
  // day-2 items lose their ellipses (class mix shifts); in b1, item 2
  // loses its annotations and item 4's are emptied; in b2 (not finished)
  // item 8 loses its annotations.
  py(db, PLANT_PEOPLE, [
    { do: 'scale', user: 'ann3', by: 1.15 },
    { do: 'mirror', user: 'ann2', items: [33, 34, 35, 36, 37, 38, 39, 40] },
    { do: 'drop', label: 'ellipse', items: times.filter(([, d]) => d === 2).map(([i]) => i) },
    { do: 'delete', item: 2 },
    { do: 'empty', item: 4 },
    { do: 'delete', item: 8 },
  ]);
  const after = check(data);
  const fresh = after.findings.filter((f) => !baseKeys.has(key(f)));
  const got = (rule) => fresh.filter((f) => f.rule === rule);

  assert.deepEqual(got('unlabelled_in_finished_batch').map((f) => f.item_id).sort(), [2, 4]);
  const u = got('unlabelled_in_finished_batch')[0];
  assert.equal(u.severity, 'error');
  assert.equal(u.link, `/items/${u.item_id}`);
  assert.match(u.message, /finished batch 'b1'/);

  const bias = got('annotator_bias');
  assert.deepEqual(bias.map((f) => f.user_id), [uid.ann3], JSON.stringify(bias));
  assert.equal(bias[0].group, `annotator ${uid.ann3}`);
  assert.equal(bias[0].severity, 'warning');
  assert.match(bias[0].message, /larger in area than other annotators' matching boxes/);

  const drift = got('drift').map((f) => `${f.group}|${/agreement/.test(f.message) ? 'agreement' : 'class mix'}`);
  assert.deepEqual(drift.sort(), ['window 2026-01-02|agreement', 'window 2026-01-03|class mix'],
    JSON.stringify(got('drift')));

  // Options: a bias threshold above the planted 1.32 silences it; --rule
  // with a new rule; bad values are usage errors.
  const loose = check(data, ['--rule', 'annotator_bias', '--bias-ratio', '1.5']);
  assert.equal(loose.rules.annotator_bias, 0);
  assert.equal(cairn(['check', '--project', 'shapes', '--window-hours', '0', '--data', data]).code, 2);
  assert.equal(cairn(['check', '--project', 'shapes', '--match-iou', '0', '--data', data]).code, 2);
});
