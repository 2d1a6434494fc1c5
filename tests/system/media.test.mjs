// Media over HTTP on the real binary: thumbnails (sizes, caching, ETag
// 304), Deep Zoom tiles of a 6000x4000 image (metadata, tile sizes, bounds,
// concurrent first requests, cold and warm latency), and uploads (items
// appear, duplicates, type checks by content, unsafe names, the size cap
// with and without Content-Length, the server still serving afterwards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A low upload cap for this process's servers, so that the cap can be
// crossed quickly (read by `cairn serve` at start).
const CAP = 4 << 20;
process.env.CAIRN_MAX_UPLOAD = String(CAP);
const {
  Server, tool, ingest, createProject, makeUsers, assertError, assertHealthy, rawRequest,
} = await import('./server.lib.mjs');

// Width and height from a JPEG's SOF or a PNG's IHDR.
function imageSize(buf) {
  if (buf[0] === 0x89 && buf.toString('latin1', 1, 4) === 'PNG') {
    return { type: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  assert.ok(buf[0] === 0xff && buf[1] === 0xd8, 'a JPEG starts with SOI');
  let i = 2;
  while (i + 4 <= buf.length) {
    assert.equal(buf[i], 0xff, `JPEG marker expected at ${i}`);
    const m = buf[i + 1];
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) { i += 2; continue; }
    const len = buf.readUInt16BE(i + 2);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return { type: 'jpeg', height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  throw new Error('no JPEG frame header');
}

// Synthetic images made once for this file: one 6000x4000, several small.
const synthRoot = mkdtempSync(join(tmpdir(), 'cairn-media-'));
process.on('exit', () => rmSync(synthRoot, { recursive: true, force: true }));
let bigDir = null;
function bigImages() {
  if (!bigDir) {
    tool(['synth', join(synthRoot, 'big'), '--images', '1', '--size', '6000x4000', '--seed', '3']);
    bigDir = join(synthRoot, 'big', 'images');
  }
  return bigDir;
}
let smallDir = null;
function smallImages() {
  if (!smallDir) {
    tool(['synth', join(synthRoot, 'small'), '--images', '4', '--size', '640x480', '--seed', '11']);
    smallDir = join(synthRoot, 'small', 'images');
  }
  return smallDir;
}

async function setup(t, dir) {
  const server = await Server.create(t);
  const admin = await server.admin();
  const project = await createProject(admin, 'media');
  if (dir) ingest(server.data, 'media', dir);
  const items = (await admin.get(`/api/v1/projects/${project.id}/items?limit=100`)).json.items;
  return { server, admin, project, items };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

test('thumbnails: sizes, formats, caching and ETag', async (t) => {
  const { server, admin, items } = await setup(t, bigImages());
  assert.equal(items.length, 1);
  const id = items[0].id;
  const first = await timed(() => admin.get(`/api/v1/items/${id}/thumbnail`));
  assert.equal(first.r.status, 200, first.r.text);
  assert.equal(first.r.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(imageSize(first.r.buf), { type: 'jpeg', width: 256, height: 171 });
  const etag = first.r.headers.get('etag');
  assert.ok(etag && etag.includes(items[0].hash), etag);
  assert.match(first.r.headers.get('cache-control'), /immutable/);

  const again = await timed(() => admin.get(`/api/v1/items/${id}/thumbnail?size=256`));
  assert.equal(again.r.status, 200);
  assert.ok(again.r.buf.equals(first.r.buf), 'the cached thumbnail is the same bytes');
  assert.ok(again.ms < first.ms, `cached ${again.ms} ms, first ${first.ms} ms`);
  t.diagnostic(`thumbnail 256 of 6000x4000: first ${first.ms.toFixed(1)} ms, cached ${again.ms.toFixed(1)} ms`);

  const nm = await admin.get(`/api/v1/items/${id}/thumbnail`, { headers: { 'If-None-Match': etag } });
  assert.equal(nm.status, 304);
  assert.equal(nm.buf.length, 0);

  for (const size of [128, 512]) {
    const r = await admin.get(`/api/v1/items/${id}/thumbnail?size=${size}`);
    assert.equal(r.status, 200, r.text);
    const s = imageSize(r.buf);
    assert.equal(s.width, size);
    assert.equal(s.height, Math.round(4000 * size / 6000));
    assert.notEqual(r.headers.get('etag'), etag, 'each size has its own ETag');
  }
  for (const bad of ['300', '0', 'abc', '-256', '100000']) {
    assertError(await admin.get(`/api/v1/items/${id}/thumbnail?size=${bad}`), 400, 'invalid');
  }
  assertError(await admin.get('/api/v1/items/999999/thumbnail'), 404);
  assertError(await server.anon().get(`/api/v1/items/${id}/thumbnail`), 401);
  // HEAD gives the headers without the body.
  const head = await admin.req('HEAD', `/api/v1/items/${id}/thumbnail`);
  assert.equal(head.status, 200);
  assert.equal(head.buf.length, 0);
});

test('thumbnails of small images are not upscaled; non-images answer 415', async (t) => {
  const { server, admin, project, items } = await setup(t, smallImages());
  const r = await admin.get(`/api/v1/items/${items[0].id}/thumbnail?size=512`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(imageSize(r.buf), { type: 'jpeg', width: 512, height: 384 });
  const up = await admin.post(`/api/v1/projects/${project.id}/media?name=notes.txt`,
    Buffer.from('a line of text\n'), { headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.item.kind, 'text');
  assertError(await admin.get(`/api/v1/items/${up.json.item.id}/thumbnail`), 415);
  assertError(await admin.get(`/api/v1/items/${up.json.item.id}/tiles`), 415);
  assertError(await admin.get(`/api/v1/items/${up.json.item.id}/tiles/0/0/0`), 415);
  await assertHealthy(server);
});

test('deep-zoom tiles of a 6000x4000 image', async (t) => {
  const { server, admin, items } = await setup(t, bigImages());
  const id = items[0].id;
  const base = `/api/v1/items/${id}/tiles`;
  const meta = await admin.get(base);
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.json.width, 6000);
  assert.equal(meta.json.height, 4000);
  assert.equal(meta.json.tile_size, 512);
  assert.equal(meta.json.levels, 14);
  assert.equal(meta.json.format, 'jpeg');
  assert.equal(meta.json.overlap, 0);
  assert.equal(meta.json.level_sizes.length, 14);
  assert.deepEqual(meta.json.level_sizes[13], { width: 6000, height: 4000, cols: 12, rows: 8 });
  assert.deepEqual(meta.json.level_sizes[0], { width: 1, height: 1, cols: 1, rows: 1 });
  assert.match(meta.headers.get('cache-control'), /immutable/);

  // Cold and warm latency: a small level (one shrink-on-load decode) and
  // the full-resolution level (the pyramid is built once).
  const figures = [];
  for (const [level, col, row, w, h] of [[11, 2, 1, 476, 488], [13, 11, 7, 368, 416]]) {
    const cold = await timed(() => admin.get(`${base}/${level}/${col}/${row}`));
    assert.equal(cold.r.status, 200, cold.r.text);
    assert.equal(cold.r.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(imageSize(cold.r.buf), { type: 'jpeg', width: w, height: h });
    const warm = [];
    for (let i = 0; i < 5; i++) {
      const x = await timed(() => admin.get(`${base}/${level}/${col}/${row}`));
      assert.ok(x.r.buf.equals(cold.r.buf));
      warm.push(x.ms);
    }
    warm.sort((a, b) => a - b);
    figures.push(`level ${level}: cold ${cold.ms.toFixed(1)} ms, warm median ${warm[2].toFixed(1)} ms`);
    assert.ok(warm[2] < cold.ms);
  }
  t.diagnostic(`tiles of 6000x4000 (ASan server): ${figures.join('; ')}`);

  // Every level's corner tiles have the sizes the metadata promises.
  for (let L = 0; L < 14; L++) {
    const { width, height, cols, rows } = meta.json.level_sizes[L];
    const r = await admin.get(`${base}/${L}/${cols - 1}/${rows - 1}`);
    assert.equal(r.status, 200, `level ${L}: ${r.text}`);
    assert.deepEqual(imageSize(r.buf), {
      type: 'jpeg', width: width - (cols - 1) * 512, height: height - (rows - 1) * 512,
    }, `level ${L}`);
  }
  const z = await admin.get(`${base}/0/0/0`);
  assert.deepEqual(imageSize(z.buf), { type: 'jpeg', width: 1, height: 1 });

  // ETag and 304.
  const etag = z.headers.get('etag');
  assert.ok(etag);
  assert.equal((await admin.get(`${base}/0/0/0`, { headers: { 'If-None-Match': etag } })).status, 304);
  assert.notEqual((await admin.get(`${base}/1/0/0`)).headers.get('etag'), etag);

  // Outside the pyramid: 404 with a JSON error; not a number: no such route.
  for (const p of ['14/0/0', '13/12/0', '13/0/8', '12/6/0', '0/1/0', '99999999/0/0']) {
    assertError(await admin.get(`${base}/${p}`), 404, 'not_found');
  }
  for (const p of ['-1/0/0', 'a/0/0', '1/0', '1/0/0/0', '1/0/0.jpg']) {
    const r = await admin.get(`${base}/${p}`);
    assert.equal(r.status, 404, p);
  }
  assertError(await admin.get('/api/v1/items/0/tiles/0/0/0'), 404);
  assertError(await server.anon().get(`${base}/0/0/0`), 401);
  await assertHealthy(server);
});

test('concurrent first requests for the same tiles all get whole tiles', async (t) => {
  const { server, admin, items } = await setup(t, bigImages());
  const base = `/api/v1/items/${items[0].id}/tiles`;
  const paths = [];
  for (let i = 0; i < 4; i++) paths.push(`${base}/13/${i}/${i}`, `${base}/11/0/0`, `${base}/12/1/1`);
  const rs = await Promise.all(paths.map((p) => admin.get(p)));
  const byPath = new Map();
  rs.forEach((r, i) => {
    assert.equal(r.status, 200, `${paths[i]}: ${r.text}`);
    imageSize(r.buf);
    const prev = byPath.get(paths[i]);
    if (prev) assert.ok(prev.equals(r.buf), `${paths[i]} differs between requests`);
    byPath.set(paths[i], r.buf);
  });
  // No temporary or partial files remain in the cache.
  const hash = items[0].hash;
  const dir = join(server.data, 'media', 'derived', hash);
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [e.name]);
  const names = walk(dir);
  assert.ok(names.length > 0);
  assert.deepEqual(names.filter((n) => n.includes('.tmp-') || n.startsWith('build-')), []);
  assert.ok(!readdirSync(dir).some((n) => n.startsWith('build-')));
});

// An upload as the raw body.
function upload(client, projectId, name, body, headers = {}) {
  const q = name === null ? '' : `?name=${encodeURIComponent(name)}`;
  return client.post(`/api/v1/projects/${projectId}/media${q}`, body,
    { headers: { 'Content-Type': 'application/octet-stream', ...headers } });
}

// A chunked upload (no Content-Length) of n bytes in 64 KiB pieces.
function chunkedUpload(client, path, n) {
  const u = new URL(client.base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, method: 'POST', path, agent: false,
      headers: { ...client.headers('POST'), 'Content-Type': 'application/octet-stream',
        Connection: 'close' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', (e) => setTimeout(() => reject(e), 2000));
    const piece = Buffer.alloc(64 << 10, 0x41);
    let sent = 0;
    const pump = () => {
      while (sent < n) {
        sent += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

function tmpLeft(server) {
  const d = join(server.data, 'tmp');
  return existsSync(d) ? readdirSync(d) : [];
}

test('upload: images become items, duplicates are reported, bad files refused', async (t) => {
  const { server, admin, project } = await setup(t);
  const dir = smallImages();
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
  const bytes = readFileSync(join(dir, files[0]));

  const r = await upload(admin, project.id, 'photo one.jpg', bytes);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.duplicate, false);
  assert.equal(r.json.item.name, 'photo one.jpg');
  assert.equal(r.json.item.kind, 'image');
  assert.equal(r.json.item.width, 640);
  assert.equal(r.json.item.height, 480);
  assert.equal(r.json.item.size, bytes.length);
  const list = await admin.get(`/api/v1/projects/${project.id}/items`);
  assert.deepEqual(list.json.items.map((i) => i.id), [r.json.item.id]);
  // The original comes back byte for byte, and has a thumbnail.
  const orig = await admin.get(`/api/v1/items/${r.json.item.id}/media`);
  assert.ok(orig.buf.equals(bytes));
  assert.equal((await admin.get(`/api/v1/items/${r.json.item.id}/thumbnail`)).status, 200);

  // The same bytes under another name: the existing item.
  const dup = await upload(admin, project.id, 'copy.jpg', bytes);
  assert.equal(dup.status, 200, dup.text);
  assert.equal(dup.json.duplicate, true);
  assert.equal(dup.json.item.id, r.json.item.id);

  // Type-checked by content, not by name.
  const fake = await upload(admin, project.id, 'fake.jpg', Buffer.from('just some text\n'));
  assertError(fake, 415, 'unsupported_media_type');
  assert.match(fake.json.error.message, /fake\.jpg.*mislabelled/);
  const bin = await upload(admin, project.id, 'blob.dat', Buffer.from([0, 1, 2, 3, 4, 5, 250, 251]));
  assertError(bin, 415);
  const trunc = await upload(admin, project.id, 'cut.jpg', bytes.subarray(0, 2000));
  assertError(trunc, 400, 'invalid');
  assert.match(trunc.json.error.message, /truncated|corrupt/);
  assertError(await upload(admin, project.id, 'empty.jpg', Buffer.alloc(0)), 400);
  assertError(await upload(admin, project.id, 'form.jpg', bytes,
    { 'Content-Type': 'multipart/form-data; boundary=x' }), 415);

  // The name is a base name only; it never becomes a path.
  for (const name of ['../evil.jpg', '../../etc/passwd', 'a/b.jpg', '..', '.', '', 'x\\y.jpg',
    'tab\there.jpg', 'nl\n.jpg', 'x'.repeat(256) + '.jpg']) {
    const b = await upload(admin, project.id, name, bytes);
    assertError(b, 400, 'invalid');
    assert.equal(b.json.error.field, 'name', name);
  }
  assertError(await upload(admin, project.id, null, bytes), 400);
  // Odd but harmless names are kept as they are.
  const other = readFileSync(join(dir, files[1]));
  const uni = await upload(admin, project.id, 'ünï cødé ✓ ..jpg', other);
  assert.equal(uni.status, 201, uni.text);
  assert.equal(uni.json.item.name, 'ünï cødé ✓ ..jpg');
  assert.equal((await admin.get(`/api/v1/projects/${project.id}/items/count`)).json.count, 2);

  // Only managers upload; nothing is stored for the others.
  const users = await makeUsers(server, admin, [{ name: 'vic', roles: { [project.id]: 'viewer' } },
    { name: 'ann', roles: { [project.id]: 'annotator' } }]);
  assertError(await upload(users.vic, project.id, 'v.jpg', other), 403);
  assertError(await upload(users.ann, project.id, 'a.jpg', other), 403);
  assertError(await upload(server.anon(), project.id, 'n.jpg', other), 401);
  assertError(await upload(admin, project.id, 'no-csrf.jpg', other, { 'X-CSRF-Token': 'wrong' }), 403);
  assertError(await upload(admin, 999999, 'p.jpg', other), 404);
  assert.deepEqual(tmpLeft(server), []);
  assert.equal(existsSync(join(server.data, 'evil.jpg')), false);
  await assertHealthy(server);
});

test('upload: a zip archive is ingested entry by entry', async (t) => {
  const { admin, project } = await setup(t);
  const dir = smallImages();
  const zipDir = mkdtempSync(join(tmpdir(), 'cairn-zip-'));
  t.after(() => rmSync(zipDir, { recursive: true, force: true }));
  const { spawnSync } = await import('node:child_process');
  const z = spawnSync('zip', ['-q', '-j', join(zipDir, 'set.zip'), join(dir, '000001.jpg'), join(dir, '000002.jpg')]);
  if (z.error || z.status !== 0) { t.skip('no zip command'); return; }
  const r = await upload(admin, project.id, 'set.zip', readFileSync(join(zipDir, 'set.zip')));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.archive, true);
  assert.equal(r.json.added, 2);
  const names = (await admin.get(`/api/v1/projects/${project.id}/items`)).json.items.map((i) => i.name).sort();
  assert.deepEqual(names, ['set.zip/000001.jpg', 'set.zip/000002.jpg']);
  const notZip = await upload(admin, project.id, 'broken.zip', Buffer.from('PK\x03\x04 not really'));
  assert.ok(notZip.status === 400 || notZip.status === 415, notZip.text);
});

test('upload: over the size cap answers 413 and the server goes on', async (t) => {
  const { server, admin, project } = await setup(t);
  const path = `/api/v1/projects/${project.id}/media?name=big.jpg`;
  // Declared too big: refused before the body is read.
  const declared = await rawRequest(server.url, 'POST', path, {
    headers: { ...admin.headers('POST'), 'Content-Type': 'application/octet-stream',
      'Content-Length': String(5 * 2 ** 30) },
    body: Buffer.alloc(1024),
  });
  assertError(declared, 413, 'too_big');
  // Too big as it arrives (chunked, no length): the file is dropped at the cap.
  const chunked = await chunkedUpload(admin, path, CAP + (1 << 20));
  assertError(chunked, 413, 'too_big');
  // A body one byte under the cap is accepted as far as its content allows.
  const under = await upload(admin, project.id, 'under.bin', Buffer.alloc(CAP - 1, 0x41));
  assert.ok(under.status === 400 || under.status === 415, under.text);
  assert.deepEqual(tmpLeft(server), []);
  await assertHealthy(server);
  const bytes = readFileSync(join(smallImages(), '000003.jpg'));
  const ok = await upload(admin, project.id, 'after.jpg', bytes);
  assert.equal(ok.status, 201, ok.text);
  // Leftovers of a killed server are swept at the next start.
  await server.kill();
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(join(server.data, 'tmp'), { recursive: true });
  writeFileSync(join(server.data, 'tmp', 'upload-stale1'), 'x');
  mkdirSync(join(server.data, 'tmp', 'upload-stale2'));
  writeFileSync(join(server.data, 'tmp', 'upload-stale2', 'a.jpg'), 'x');
  await server.start();
  assert.deepEqual(tmpLeft(server), []);
  await assertHealthy(server);
});
