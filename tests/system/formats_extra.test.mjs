// The newer dataset formats through the real server: Datumaro's MIT LabelMe
// XML fixture uploaded as a zip is imported by a job (image, polygons, box,
// masks, groups), then exported as labelme-xml and downloaded as a zip whose
// XML keeps the part tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, waitJob, zipDir } from './server.lib.mjs';

const FIX = '../shared/fixtures/datumaro/labelme_dataset';
const octet = { headers: { 'Content-Type': 'application/octet-stream' } };


test('a LabelMe XML dataset is imported and exported by jobs', { skip: !existsSync(FIX) }, async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  // The labels of the fixture, each with the attributes its object carries.
  const own = { o1: 'a1', q1: 'kj', b1: 'hg', m1: 'd', hg: 'gfd lkj lkj hi' };
  const schema = {
    cairn_schema: 1,
    labels: ['window', 'license plate', 'o1', 'q1', 'b1', 'm1', 'hg'].map((name) => ({
      name,
      shapes: ['polygon', 'box', 'mask'],
      attributes: [{ name: 'username', type: 'text' },
        ...(own[name] ? [{ name: own[name], type: 'checkbox' }] : [])],
    })),
  };
  const p = await admin.post('/api/v1/projects', { name: 'lmxml', schema });
  assert.equal(p.status, 201, p.text);
  const project = p.json.project;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-lmxml-'));
  zipDir(FIX, join(dir, 'ds.zip'));
  const r = await admin.post(`/api/v1/projects/${project.id}/imports?format=labelme-xml&as=gold`,
    readFileSync(join(dir, 'ds.zip')), octet);
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, project.id, r.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.result.images, 1);
  assert.equal(job.result.objects, 7);
  const items = (await admin.get(`/api/v1/projects/${project.id}/items`)).json.items;
  assert.equal(items.length, 1);
  assert.equal(items[0].width, 102);
  const gold = await admin.get(`/api/v1/items/${items[0].id}/annotations/gold`);
  assert.equal(gold.status, 200, gold.text);
  const objs = gold.json.document.objects;
  const by = Object.fromEntries(objs.map((o) => [o.label, o]));
  assert.deepEqual(objs.map((o) => o.label), ['window', 'license plate', 'o1', 'q1', 'b1', 'm1', 'hg']);
  assert.equal(by.b1.type, 'box');
  assert.deepEqual(by.b1.points, [13, 19, 23, 30]);
  assert.equal(by['license plate'].type, 'mask');
  assert.equal(by.o1.occluded, true);
  assert.equal(by.o1.attributes.a1, true);
  assert.equal(by.o1.attributes.username, 'anonymous');
  assert.deepEqual([by.o1.group, by.q1.group, by.b1.group, by.m1.group, by.hg.group, by.window.group],
    [2, 2, 2, 1, 1, null]);
  const ex = await admin.post(`/api/v1/projects/${project.id}/exports`, { format: 'labelme-xml' });
  assert.equal(ex.status, 202, ex.text);
  const done = await waitJob(admin, project.id, ex.json.job.id);
  assert.equal(done.state, 'done', JSON.stringify(done));
  const zdl = await admin.get(`/api/v1/projects/${project.id}/jobs/${done.id}/download`);
  assert.equal(zdl.status, 200);
  writeFileSync(join(dir, 'out.zip'), zdl.buf);
  const xml = execFileSync('python3', ['-c',
    'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(sorted(z.namelist())); print(z.read("Annotations/subset1/img1.xml").decode())',
    join(dir, 'out.zip')], { encoding: 'utf8' });
  assert.match(xml, /Masks\/subset1\/img1_mask_1\.png/);
  assert.match(xml, /<name>o1<\/name>.*<hasparts>3,4<\/hasparts>/s);
  assert.match(xml, /<ispartof>5<\/ispartof><\/parts><date><\/date><id>6<\/id>/);
});
