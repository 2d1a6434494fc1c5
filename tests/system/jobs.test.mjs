// Background jobs over HTTP: a dataset uploaded as an archive (or as one
// annotation file) is imported by a job; an export job's file downloads
// with Range; bad uploads are refused and leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server, createProject, assertError, assertHealthy, tool, waitJob, zipDir,
} from './server.lib.mjs';

const octet = { headers: { 'Content-Type': 'application/octet-stream' } };

function synthDataset(n = 4) {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-jobs-'));
  tool(['synth', join(dir, 'ds'), '--images', String(n), '--seed', '9', '--size', '160x120']);
  zipDir(join(dir, 'ds'), join(dir, 'ds.zip'));
  return dir;
}


test('an uploaded dataset archive is imported by a job, then exported and downloaded', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = await createProject(admin, 'jobs');
  const dir = synthDataset(4);
  const zip = readFileSync(join(dir, 'ds.zip'));
  const r = await admin.post(`/api/v1/projects/${project.id}/imports?format=coco&as=gold`, zip, octet);
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.job.kind, 'import');
  assert.equal(r.json.job.params.path, undefined, 'the server folder is not shown');
  const job = await waitJob(admin, project.id, r.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.result.images, 4);
  assert.ok(job.result.objects > 0);
  const imports = join(server.data, 'imports');
  assert.deepEqual(existsSync(imports) ? readdirSync(imports) : [], [], 'the upload folder is removed');
  const items = (await admin.get(`/api/v1/projects/${project.id}/items`)).json.items;
  assert.equal(items.length, 4);
  const gold = await admin.get(`/api/v1/items/${items[0].id}/annotations/gold`);
  assert.equal(gold.status, 200);
  assert.ok(gold.json.document.objects.length > 0);

  const ex = await admin.post(`/api/v1/projects/${project.id}/exports`, { format: 'cairn' });
  assert.equal(ex.status, 202, ex.text);
  const done = await waitJob(admin, project.id, ex.json.job.id);
  assert.equal(done.state, 'done', JSON.stringify(done));
  const file = await admin.get(`/api/v1/projects/${project.id}/jobs/${done.id}/download`);
  assert.equal(file.status, 200);
  const lines = file.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  const part = await admin.get(`/api/v1/projects/${project.id}/jobs/${done.id}/download`,
    { headers: { Range: 'bytes=10-' } });
  assert.equal(part.status, 206);
  assert.equal(part.text, file.text.slice(10), 'a broken download resumes');
  // A dataset format is written in its folder layout and downloads as one zip.
  const cx = await admin.post(`/api/v1/projects/${project.id}/exports`, { format: 'coco' });
  assert.equal(cx.status, 202, cx.text);
  const cdone = await waitJob(admin, project.id, cx.json.job.id);
  assert.equal(cdone.state, 'done', JSON.stringify(cdone));
  assert.match(cdone.result.file, /^\d+\.coco\.zip$/);
  const zdl = await admin.get(`/api/v1/projects/${project.id}/jobs/${cdone.id}/download`);
  assert.equal(zdl.status, 200);
  assert.equal(zdl.buf.subarray(0, 2).toString('latin1'), 'PK', 'a zip');
  const zdir = mkdtempSync(join(tmpdir(), 'cairn-zip-'));
  writeFileSync(join(zdir, 'x.zip'), zdl.buf);
  const listing = execFileSync('python3', ['-c',
    'import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); d = json.loads(z.read("annotations/instances.json")); print(len(d["images"]))',
    join(zdir, 'x.zip')], { encoding: 'utf8' });
  assert.equal(listing.trim(), '4', 'the zip holds the COCO file with the four images');
  await assertHealthy(server);
});

test('one annotation file uploaded alone is imported without media', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = await createProject(admin, 'jobs');
  const dir = synthDataset(3);
  const json = readFileSync(join(dir, 'ds/annotations/instances.json'));
  const r = await admin.post(`/api/v1/projects/${project.id}/imports?format=coco&as=prediction`, json, octet);
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, project.id, r.json.job.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.result.items_added, 3);
});

test('bad dataset uploads are refused and leave nothing behind', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = await createProject(admin, 'jobs');
  const base = `/api/v1/projects/${project.id}/imports`;
  assertError(await admin.post(`${base}?format=coco`, Buffer.alloc(0), octet), 400);
  assertError(await admin.post(`${base}?format=nope`, Buffer.from('{}'), octet), 400);
  assertError(await admin.post(`${base}?as=consensus`, Buffer.from('{}'), octet), 400);
  assertError(await admin.post(`${base}?skip_invalid=maybe`, Buffer.from('{}'), octet), 400);
  // An archive whose entry climbs out of its folder.
  const dir = mkdtempSync(join(tmpdir(), 'cairn-jobs-'));
  execFileSync('python3', ['-c', `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('annotations/instances.json', '{}')
    z.writestr('../../evil.txt', 'x')
`, join(dir, 'evil.zip')]);
  const evil = await admin.post(`${base}?format=coco`, readFileSync(join(dir, 'evil.zip')), octet);
  assertError(evil, 400);
  assert.match(evil.json.error.message, /evil\.txt.*leave/);
  assert.ok(!existsSync(join(server.data, '..', 'evil.txt')));
  // A JSON that is not a dataset: the job fails with the reason.
  const r = await admin.post(`${base}?format=coco`, Buffer.from('{"images": 3}'), octet);
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, project.id, r.json.job.id);
  assert.equal(job.state, 'failed');
  assert.match(job.error, /images/);
  const imports = join(server.data, 'imports');
  assert.deepEqual(existsSync(imports) ? readdirSync(imports) : [], []);
  // Only managers start imports.
  assertError(await server.anon().post(`${base}?format=coco`, Buffer.from('{}'), octet), 401);
  await assertHealthy(server);
});
