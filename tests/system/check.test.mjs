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
