// The command line end to end on the real binary: init, users, projects
// with a label schema, synthetic data, ingest and stats, and the errors a
// person meets on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cairn, cairnJson, tempDir, root } from './lib.mjs';

const demoSchema = join(root, 'docs/examples/schema-demo.json');

test('help and version', () => {
  const h = cairn(['help']);
  assert.equal(h.code, 0);
  for (const c of ['init', 'user', 'project', 'ingest', 'stats', 'synth']) {
    assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  }
  const v = cairn(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^cairn \d+\.\d+\.\d+/);
  assert.equal(cairn(['nonsense']).code, 2);
  assert.equal(cairn(['init', '--bogus']).code, 2);
  const ih = cairn(['ingest', '--help']);
  assert.equal(ih.code, 0);
  assert.match(ih.stdout, /usage: cairn ingest/);
});

test('init creates a data directory once, with a generated admin password', (t) => {
  const d = join(tempDir(t), 'data');
  const r = cairnJson(['init', '--data', d]);
  assert.equal(r.admin, 'admin');
  assert.ok(r.password.length >= 16);
  for (const sub of ['cairn.db', 'media', 'exports']) assert.ok(existsSync(join(d, sub)), sub);
  const again = cairn(['init', '--data', d]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already initialised/);
  // CAIRN_DATA is honoured when --data is absent.
  const users = cairnJson(['user', 'list'], { env: { CAIRN_DATA: d } });
  assert.deepEqual(users.map((u) => u.name), ['admin']);
});

test('commands on a missing data directory say how to create one', (t) => {
  const d = join(tempDir(t), 'nothing-here');
  const r = cairn(['user', 'list', '--data', d]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cairn init/);
});

test('users: add, list, passwd, duplicates and bad names', (t) => {
  const d = join(tempDir(t), 'data');
  cairnJson(['init', '--data', d]);
  const bob = cairnJson(['user', 'add', 'bob', '--data', d]);
  assert.equal(bob.name, 'bob');
  assert.ok(bob.password);
  const alice = cairn(['user', 'add', 'alice', '--admin', '--password-stdin', '--data', d, '--json'],
    { input: 'correct horse battery\n' });
  assert.equal(alice.code, 0, alice.stderr);
  assert.equal(JSON.parse(alice.stdout).password, undefined, 'a chosen password is not echoed');
  const short = cairn(['user', 'add', 'carol', '--password-stdin', '--data', d], { input: 'short\n' });
  assert.equal(short.code, 1);
  assert.match(short.stderr, /at least 8 characters/);
  const dup = cairn(['user', 'add', 'BOB', '--data', d]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists/);
  const bad = cairn(['user', 'add', '../etc', '--data', d]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /user name/);
  const list = cairnJson(['user', 'list', '--data', d]);
  assert.deepEqual(list.map((u) => [u.name, u.admin]), [['admin', true], ['bob', false], ['alice', true]]);
  const pw = cairn(['user', 'passwd', 'bob', '--data', d, '--json']);
  assert.equal(pw.code, 0);
  assert.notEqual(JSON.parse(pw.stdout).password, bob.password);
  assert.equal(cairn(['user', 'passwd', 'nobody', '--data', d]).code, 1);
  assert.equal(cairn(['user', 'frobnicate', '--data', d]).code, 2);
});

test('projects: create with a schema, list, show; bad schemas name the place', (t) => {
  const tmp = tempDir(t);
  const d = join(tmp, 'data');
  cairnJson(['init', '--data', d]);
  const p = cairnJson(['project', 'create', 'demo', '--schema', demoSchema, '--data', d]);
  assert.equal(p.schema_version, 1);
  const dup = cairn(['project', 'create', 'demo', '--schema', demoSchema, '--data', d]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists/);

  const bad = JSON.parse(readFileSync(demoSchema, 'utf8'));
  bad.labels[1].shapes = ['box', 'blob'];
  const badPath = join(tmp, 'bad.json');
  writeFileSync(badPath, JSON.stringify(bad));
  const r = cairn(['project', 'create', 'broken', '--schema', badPath, '--data', d]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.json/);
  assert.match(r.stderr, /\$\.labels\[1\]\.shapes\[1\]/);
  assert.match(r.stderr, /blob/);
  writeFileSync(badPath, '{"labels": [');
  const trunc = cairn(['project', 'create', 'broken', '--schema', badPath, '--data', d]);
  assert.equal(trunc.code, 1);
  assert.match(trunc.stderr, /bad\.json/);
  assert.equal(cairn(['project', 'create', 'x', '--data', d]).code, 2, '--schema is required');

  const list = cairnJson(['project', 'list', '--data', d]);
  assert.deepEqual(list.map((x) => x.name), ['demo'], 'a failed create leaves nothing');
  const show = cairnJson(['project', 'show', 'demo', '--data', d]);
  assert.equal(show.items, 0);
  assert.ok(show.schema.labels.length >= 5);
  assert.ok(show.labels.length >= 5, 'labels have ids');
  const text = cairn(['project', 'show', 'demo', '--data', d]);
  assert.match(text.stdout, /person/);
  assert.equal(cairn(['project', 'show', 'nope', '--data', d]).code, 1);
});

test('synth, ingest and stats end to end', (t) => {
  const tmp = tempDir(t);
  const d = join(tmp, 'data');
  const shapes = join(tmp, 'shapes');
  cairnJson(['init', '--data', d]);
  cairnJson(['project', 'create', 'demo', '--schema', demoSchema, '--data', d]);
  const s = cairn(['synth', shapes, '--images', '12', '--objects', '5', '--seed', '3', '--size', '160x120']);
  assert.equal(s.code, 0, s.stderr);
  const coco = JSON.parse(readFileSync(join(shapes, 'annotations/instances.json'), 'utf8'));
  assert.equal(coco.images.length, 12);
  assert.equal(readdirSync(join(shapes, 'images')).length, 12);

  const first = cairnJson(['ingest', '--project', 'demo', '--data', d, join(shapes, 'images')]);
  assert.equal(first.added, 12);
  const again = cairnJson(['ingest', '--project', 'demo', '--data', d, join(shapes, 'images')]);
  assert.equal(again.added, 0);
  assert.equal(again.duplicates.length ?? again.duplicates, 12);

  const st = cairnJson(['stats', '--project', 'demo', '--data', d]);
  assert.equal(st.items, 12);
  assert.equal(st.by_kind.image, 12);
  assert.equal(st.by_status.new, 12);
  assert.equal(cairn(['stats', '--data', d]).code, 2, '--project is required');
  assert.equal(cairn(['stats', '--project', 'nope', '--data', d]).code, 1);
});
