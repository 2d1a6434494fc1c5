// The image editor (/label.html) against a real server: every tool draws,
// polygon vertices are edited, undo and redo, attributes, autosave and
// reload, a 409 from a second session resolved without loss, the IndexedDB
// buffer replayed after the server was stopped and restarted, predictions
// accepted and rejected, and no JS errors. Screenshots: build/screenshots/editor-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, tool, ingest, createProject, itemIds } from '../system/server.lib.mjs';
import { launch, openPage, shot, stageAt as at, stageDrag as drag } from './lib.mjs';

const schema = {
  cairn_schema: 1,
  labels: [
    { name: 'car', color: '#4363d8', hotkey: '1', shapes: ['box', 'rotated_box', 'polygon', 'polyline', 'points', 'mask', 'ellipse', 'cuboid'],
      attributes: [{ name: 'color', type: 'select', values: ['red', 'blue'], default: 'red' }, { name: 'parked', type: 'checkbox' }] },
    { name: 'person', color: '#e6194b', hotkey: '2', shapes: ['box', 'keypoints'],
      skeleton: { points: ['head', 'left_hand', 'right_hand', 'hip'], edges: [['head', 'hip'], ['left_hand', 'hip'], ['right_hand', 'hip']] } },
    { name: 'sign', color: '#f58231', hotkey: '3', shapes: ['box', 'polygon'] },
    { name: 'night', color: '#911eb4', shapes: ['tag'] },
  ],
  item_attributes: [{ name: 'weather', type: 'select', values: ['sun', 'rain'] }],
};

let server, admin, browser, proxy, base, P, items, tmp;
let upstream = 0;

// A TCP proxy on a fixed port, so that the page keeps its origin (and its
// IndexedDB) while the server behind it is stopped and started again.
function startProxy() {
  return new Promise((res) => {
    const srv = net.createServer((c) => {
      const u = net.connect(upstream, '127.0.0.1');
      c.pipe(u); u.pipe(c);
      const kill = () => { c.destroy(); u.destroy(); };
      c.on('error', kill); u.on('error', kill); c.on('close', kill); u.on('close', kill);
    });
    srv.listen(0, '127.0.0.1', () => res(srv));
  });
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cairn-editor-'));
  tool(['synth', join(tmp, 'shapes'), '--images', '4', '--objects', '3', '--seed', '3', '--size', '640x480']);
  server = await Server.create(null);
  upstream = server.port;
  proxy = await startProxy();
  base = `http://127.0.0.1:${proxy.address().port}`;
  admin = await server.admin();
  P = (await createProject(admin, 'cars', schema)).id;
  ingest(server.data, 'cars', join(tmp, 'shapes', 'images'));
  items = await itemIds(admin, P);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  proxy?.close();
  if (server?.proc) await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

async function signedInPage() {
  const page = await openPage(browser, base);
  const r = await page.request.post('/api/v1/auth/login', { data: { username: 'admin', password: server.adminPassword } });
  assert.equal(r.status(), 200);
  return page;
}

async function open(page, item) {
  await page.goto(`/label.html#project=${P}&item=${item}`);
  await page.waitForFunction((id) => window.cairnEditor && window.cairnEditor.itemId === id && !window.cairnEditor.loading && window.cairnEditor.saver, item);
}

async function click(page, x, y, opts) { const [a, b] = await at(page, x, y); await page.mouse.click(a, b, opts); }
const count = (page) => page.evaluate(() => window.cairnEditor.model.objects.size);
const objs = (page) => page.evaluate(() => [...window.cairnEditor.model.objects.values()]);
async function saved(page) {
  await page.waitForFunction(() => {
    const S = window.cairnEditor;
    return S.saver && !S.saver.dirty && !S.saver.busy && document.getElementById('save-status').dataset.kind === 'saved';
  }, null, { timeout: 40000 });
}
async function mine(item) {
  const r = await admin.get(`/api/v1/items/${item}/annotations/mine`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const realErrors = (page) => page.jsErrors.filter((e) => !/Failed to load resource/.test(e));

test('editor modules: COCO RLE round trips, three-way merge keeps both sides', async () => {
  const rle = await import('../../web/editor/rle.js');
  const { merge3, diffDocs } = await import('../../web/editor/model.js');
  // pycocotools' string for a 3x3 mask with only the centre set: runs 4,1,4.
  assert.equal(rle.encode(Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]), 3, 3).counts, '414');
  assert.equal(rle.countsToString([0, 2, 3, 2]), '0230');   // the 4th run is coded as 2 - 2
  assert.equal(rle.countsToString([1, 10, 1, 2]), '1:1H');  // and here as 2 - 10 = -8
  assert.deepEqual(rle.stringToCounts('1:1H'), [1, 10, 1, 2]);
  assert.deepEqual(rle.stringToCounts(rle.countsToString([4, 1, 4])), [4, 1, 4]);
  let seed = 9;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let t = 0; t < 50; t++) {
    const counts = Array.from({ length: 1 + rnd(40) }, (_, i) => (i === 0 ? rnd(3) : 1 + rnd(t % 2 ? 5 : 5000000)));
    assert.deepEqual(rle.stringToCounts(rle.countsToString(counts)), counts);
    const h = 1 + rnd(30), w = 1 + rnd(30);
    const bits = Uint8Array.from({ length: h * w }, () => (rnd(3) === 0 ? 1 : 0));
    const enc = rle.encode(bits, h, w);
    assert.deepEqual([...rle.decode(enc)], [...bits]);
    assert.equal(rle.stringToCounts(enc.counts).reduce((a, b) => a + b, 0), h * w);
  }
  const o = (id, x) => ({ id, label: 'car', type: 'box', points: [x, 0, x + 1, 1] });
  const base = { objects: [o('a', 0), o('b', 0), o('c', 0)] };
  const mine = { objects: [o('a', 5), o('c', 0), o('m', 0)] };          // changed a, removed b, added m
  const theirs = { objects: [o('a', 0), o('b', 0), o('c', 7), o('t', 0)] }; // changed c, added t
  const r = merge3(base, mine, theirs);
  assert.deepEqual(r.doc.objects.map((x) => x.id).sort(), ['a', 'c', 'm', 't']);
  assert.equal(r.doc.objects.find((x) => x.id === 'a').points[0], 5);
  assert.equal(r.doc.objects.find((x) => x.id === 'c').points[0], 7);
  assert.deepEqual(r.both, []);
  assert.deepEqual(diffDocs(base, mine), { added: ['m'], removed: ['b'], changed: ['a'], attributes: false });
  // Both changed the same object: mine wins, and it is reported.
  assert.deepEqual(merge3(base, { objects: [o('a', 1), o('b', 0), o('c', 0)] }, { objects: [o('a', 2), o('b', 0), o('c', 0)] }).both, ['a']);
});

test('every tool draws its shape, and autosave puts it on the server', async () => {
  const page = await signedInPage();
  await open(page, items[0]);
  await shot(page, 'editor-open');

  await page.keyboard.press('b');
  await drag(page, 40, 40, 160, 120);
  assert.equal(await count(page), 1);
  await shot(page, 'editor-box');

  // Rotate the box with its handle: it becomes a rotated box.
  await page.keyboard.press('v');
  await drag(page, 100, 40, 150, 50);
  let o = (await objs(page))[0];
  assert.equal(o.type, 'rotated_box');
  assert.ok(o.points[4] > 10 && o.points[4] < 90, `angle ${o.points[4]}`);
  await shot(page, 'editor-rotate');

  await page.keyboard.press('p');
  for (const [x, y] of [[250, 40], [350, 50], [330, 150], [240, 130]]) await click(page, x, y);
  await click(page, 250, 40);
  assert.equal(await count(page), 2);
  await shot(page, 'editor-polygon');

  await page.keyboard.press('l');
  for (const [x, y] of [[400, 40], [450, 90], [520, 60]]) await click(page, x, y);
  await page.keyboard.press('Enter');
  await page.keyboard.press('o');
  for (const [x, y] of [[560, 40], [590, 60], [570, 90]]) await click(page, x, y);
  await page.keyboard.press('Enter');
  assert.equal(await count(page), 4);
  await shot(page, 'editor-polyline-points');

  await page.keyboard.press('i');
  await drag(page, 40, 200, 160, 280);
  await page.keyboard.press('c');
  await drag(page, 220, 220, 320, 300);
  assert.equal(await count(page), 6);
  await shot(page, 'editor-ellipse-cuboid');

  // Skeleton: head visible, left hand occluded (Shift), right hand absent (N), hip.
  await page.keyboard.press('2');
  await page.keyboard.press('k');
  await click(page, 420, 200);
  const [hx, hy] = await at(page, 390, 240);
  await page.keyboard.down('Shift'); await page.mouse.click(hx, hy); await page.keyboard.up('Shift');
  await page.keyboard.press('n');
  await click(page, 420, 300);
  o = (await objs(page)).find((x) => x.type === 'keypoints');
  assert.deepEqual(o.points.filter((_, i) => i % 3 === 2), [2, 1, 0, 2]);
  await shot(page, 'editor-keypoints');

  // Brush a mask, then erase part of it.
  await page.keyboard.press('1');
  await page.keyboard.press('m');
  await drag(page, 500, 200, 600, 260);
  o = (await objs(page)).find((x) => x.type === 'mask');
  assert.deepEqual(o.rle.size, [480, 640]);
  const before = await page.evaluate((id) => window.cairnEditor.model.objects.get(id).rle.counts, o.id);
  await shot(page, 'editor-brush');
  await page.keyboard.press('e');
  await drag(page, 550, 200, 550, 270);
  const afterErase = await page.evaluate((id) => window.cairnEditor.model.objects.get(id).rle.counts, o.id);
  assert.notEqual(afterErase, before);
  await shot(page, 'editor-eraser');

  // OCR: a text region with its transcription.
  await page.keyboard.press('3');
  await page.keyboard.press('t');
  await drag(page, 40, 340, 200, 400);
  await page.locator('#obj-text').waitFor();
  await page.locator('#obj-text').fill('STOP 42');
  await page.locator('#obj-text').press('Tab');
  await shot(page, 'editor-ocr');

  // Item attribute and tag.
  await page.locator('#item-weather').selectOption('rain');
  await page.getByRole('checkbox', { name: 'night' }).check();
  await shot(page, 'editor-item');

  await saved(page);
  const m = await mine(items[0]);
  const types = m.document.objects.map((x) => x.type).sort();
  assert.deepEqual(types, ['cuboid', 'ellipse', 'keypoints', 'mask', 'points', 'polygon', 'polyline', 'rotated_box', 'box', 'tag'].sort());
  assert.equal(m.document.objects.find((x) => x.label === 'sign').text, 'STOP 42');
  assert.equal(m.document.attributes.weather, 'rain');
  // Our RLE is the canonical one: the server stores the counts exactly as sent.
  const pm = (await objs(page)).find((x) => x.type === 'mask');
  assert.equal(m.document.objects.find((x) => x.type === 'mask').rle.counts, pm.rle.counts);
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('polygon vertices: drag, insert on an edge, delete; undo and redo; attributes', async () => {
  const page = await signedInPage();
  await open(page, items[0]);
  const poly = (await objs(page)).find((x) => x.type === 'polygon');
  await page.keyboard.press('v');
  await click(page, 300, 90);   // inside the polygon
  assert.deepEqual(await page.evaluate(() => [...window.cairnEditor.selected]), [poly.id]);
  await drag(page, 350, 50, 380, 30);
  let p = (await objs(page)).find((x) => x.id === poly.id);
  assert.deepEqual(p.points.slice(2, 4), [380, 30]);
  // Double-click on the edge from (240,130) to (250,40) inserts a vertex.
  const [ex, ey] = await at(page, 245, 85);
  await page.mouse.dblclick(ex, ey);
  p = (await objs(page)).find((x) => x.id === poly.id);
  assert.equal(p.points.length, 10);
  await shot(page, 'editor-vertices');
  // Alt+click deletes it again.
  const [vx, vy] = await at(page, p.points[8], p.points[9]);
  await page.keyboard.down('Alt'); await page.mouse.click(vx, vy); await page.keyboard.up('Alt');
  p = (await objs(page)).find((x) => x.id === poly.id);
  assert.equal(p.points.length, 8, JSON.stringify(p.points));

  // Undo three times: vertex back, inserted vertex gone, drag undone.
  const ctrl = 'Control';
  await page.keyboard.press(`${ctrl}+z`);
  assert.equal((await objs(page)).find((x) => x.id === poly.id).points.length, 10);
  await page.keyboard.press(`${ctrl}+z`);
  await page.keyboard.press(`${ctrl}+z`);
  assert.deepEqual((await objs(page)).find((x) => x.id === poly.id).points, poly.points);
  await page.keyboard.press(`${ctrl}+Shift+z`);
  assert.deepEqual((await objs(page)).find((x) => x.id === poly.id).points.slice(2, 4), [380, 30]);
  // Delete and undo.
  const n = await count(page);
  await page.keyboard.press('Delete');
  assert.equal(await count(page), n - 1);
  await page.getByRole('button', { name: 'Undo' }).click();
  assert.equal(await count(page), n);

  // Attributes of the selected object.
  await page.evaluate((id) => window.cairnEditor && document.querySelector(`button.obj[data-id="${id}"]`).click(), poly.id);
  await page.locator('#objattr-color').selectOption('blue');
  await page.locator('#objattr-parked').check();
  await page.locator('#obj-occluded').check();
  await page.locator('#obj-z').fill('3');
  await page.locator('#obj-z').press('Tab');
  await shot(page, 'editor-attributes');
  await saved(page);
  const saved1 = (await mine(items[0])).document.objects.find((x) => x.id === poly.id);
  assert.deepEqual(saved1.attributes, { color: 'blue', parked: true });
  assert.equal(saved1.occluded, true);
  assert.equal(saved1.z_order, 3);

  // Reload: the same objects, from the server.
  const ids = (await objs(page)).map((x) => x.id).sort();
  await page.reload();
  await page.waitForFunction((id) => window.cairnEditor && window.cairnEditor.itemId === id && !window.cairnEditor.loading, items[0]);
  assert.deepEqual((await objs(page)).map((x) => x.id).sort(), ids);
  assert.deepEqual((await mine(items[0])).document.objects.map((x) => x.id).sort(), ids);
  await page.keyboard.press('?');
  await page.locator('#help-dialog').waitFor();
  await shot(page, 'editor-help');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('a save from a second session: 409 shown, merged, nothing lost', async () => {
  const page = await signedInPage();
  await open(page, items[1]);
  await page.keyboard.press('b');
  await drag(page, 20, 20, 100, 100);
  await saved(page);
  const cur = await mine(items[1]);
  // Another session adds an object and changes nothing else.
  const other = { ...cur.document, objects: [...cur.document.objects, { id: 'theirs1', label: 'sign', type: 'box', points: [300, 300, 400, 350] }] };
  const r = await admin.put(`/api/v1/items/${items[1]}/annotations/mine`, other, { headers: { 'If-Match': `"${cur.version}"` } });
  assert.equal(r.status, 200, r.text);
  // Meanwhile the page draws another box: its save meets a 409.
  await drag(page, 200, 200, 280, 260);
  await page.locator('#conflict-dialog[open]').waitFor({ timeout: 30000 });
  const text = await page.locator('#conflict-body').innerText();
  assert.match(text, /Your changes[\s\S]*added car box/);
  assert.match(text, /Their changes[\s\S]*added sign box \(theirs1\)/);
  await shot(page, 'editor-conflict');
  await page.getByRole('button', { name: 'Merge both' }).click();
  await saved(page);
  const m = await mine(items[1]);
  assert.equal(m.document.objects.length, 3);
  assert.ok(m.document.objects.some((x) => x.id === 'theirs1'));
  assert.equal(await count(page), 3);

  // Again, and this time take theirs: Undo brings mine back and saves it.
  const cur2 = await mine(items[1]);
  const other2 = { ...cur2.document, objects: cur2.document.objects.filter((x) => x.id !== 'theirs1') };
  assert.equal((await admin.put(`/api/v1/items/${items[1]}/annotations/mine`, other2, { headers: { 'If-Match': `"${cur2.version}"` } })).status, 200);
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await drag(page, 400, 50, 500, 120);
  await page.locator('#conflict-dialog[open]').waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Take theirs' }).click();
  await saved(page);
  assert.equal(await count(page), 2);
  await page.keyboard.press('Control+z');
  assert.equal(await count(page), 4);   // mine: theirs1 and the new box
  await saved(page);
  assert.equal((await mine(items[1])).document.objects.length, 4);
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('unsaved edits survive the server going away and a closed page, and are replayed', async () => {
  const page = await signedInPage();
  const context = page.context();
  await open(page, items[2]);
  await page.keyboard.press('b');
  await drag(page, 20, 20, 100, 100);
  await saved(page);
  await server.stop();
  await drag(page, 200, 200, 300, 300);
  await page.waitForFunction(() => document.getElementById('save-status').dataset.kind === 'offline', null, { timeout: 15000 });
  await shot(page, 'editor-offline');
  const offlineIds = (await objs(page)).map((x) => x.id).sort();
  assert.equal(offlineIds.length, 2);
  await page.close();   // the tab is gone with the edit unsaved
  await server.start();
  upstream = server.port;
  admin = await server.admin();
  const page2 = await context.newPage();
  page2.jsErrors = [];
  page2.on('pageerror', (e) => page2.jsErrors.push(String(e)));
  await open(page2, items[2]);
  await saved(page2);
  assert.deepEqual((await mine(items[2])).document.objects.map((x) => x.id).sort(), offlineIds);
  await shot(page2, 'editor-replayed');
  assert.deepEqual(realErrors(page2), []);
  await context.close();
});

test('predictions: shown as pre-labels, accepted and rejected', async () => {
  const preds = { format: 1, objects: [
    { id: 'a', label: 'car', type: 'box', points: [30, 30, 200, 150], score: 0.9 },
    { id: 'b', label: 'car', type: 'polygon', points: [300, 100, 400, 120, 350, 220], score: 0.6 },
    { id: 'c', label: 'sign', type: 'box', points: [420, 300, 600, 420], score: 0.4 },
  ] };
  const r = await admin.put(`/api/v1/items/${items[3]}/predictions/yolo`, preds, { headers: { 'If-Match': '"0"' } });
  assert.equal(r.status, 201, r.text);
  const page = await signedInPage();
  await open(page, items[3]);
  await page.waitForFunction(() => window.cairnEditor.preds.length === 3);
  await shot(page, 'editor-predictions');
  await page.getByRole('button', { name: 'Accept car a' }).click();
  await page.getByRole('button', { name: 'Reject car b' }).click();
  assert.equal(await count(page), 1);
  // Select the last one on the canvas and accept it with the keyboard.
  await page.keyboard.press('v');
  await click(page, 500, 360);
  await page.keyboard.press('a');
  assert.equal(await count(page), 2);
  await saved(page);
  const m = await mine(items[3]);
  assert.deepEqual(m.document.objects.map((x) => x.label).sort(), ['car', 'sign']);
  // Reloaded, decided predictions do not come back.
  await page.reload();
  await page.waitForFunction((id) => window.cairnEditor && window.cairnEditor.itemId === id && !window.cairnEditor.loading, items[3]);
  assert.equal(await page.evaluate(() => window.cairnEditor.preds.length), 0);
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('an expired session keeps the edit, asks to sign in, then saves; submit; the queue; tiles', async () => {
  const page = await signedInPage();
  await open(page, items[3]);
  const n0 = await count(page);
  // The session ends behind the page's back.
  const csrf = (await (await page.request.get('/api/v1/auth/me')).json()).csrf_token;
  assert.equal((await page.request.post('/api/v1/auth/logout', { data: {}, headers: { 'X-CSRF-Token': csrf } })).status(), 200);
  await page.keyboard.press('b');
  await drag(page, 300, 300, 400, 400);
  await page.locator('#signin-dialog[open]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#save-status').getAttribute('data-kind'), 'auth');
  await shot(page, 'editor-signin');
  await page.locator('#si-pass').fill(server.adminPassword);
  await page.locator('#signin-form button[type=submit]').click();
  await saved(page);
  assert.equal((await mine(items[3])).document.objects.length, n0 + 1);

  // Submit: saved as submitted, and the page moves on to another item.
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.waitForFunction((id) => window.cairnEditor.itemId !== id && !window.cairnEditor.loading, items[3]);
  assert.equal((await mine(items[3])).annotation.status, 'submitted');

  // The queue: with no item in the address, an item without a submitted annotation of mine.
  await page.goto(`/label.html#project=${P}`);
  await page.waitForFunction(() => /item=\d+/.test(location.hash) && window.cairnEditor && !window.cairnEditor.loading &&
    String(window.cairnEditor.itemId) === new URLSearchParams(location.hash.slice(1)).get('item'));
  const q = await page.evaluate(() => window.cairnEditor.itemId);
  assert.notEqual(q, items[3]);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`item=${q}`));

  // Deep Zoom tiles (forced here; automatic above 36 megapixels).
  await page.goto(`/label.html#project=${P}&item=${items[0]}&tiles=1`);
  await page.reload();
  await page.waitForFunction((id) => window.cairnEditor && window.cairnEditor.itemId === id && !window.cairnEditor.loading, items[0]);
  await page.waitForFunction(() => [...window.cairnEditor.renderer.tileCache.values()].some((t) => t.ready));
  assert.ok(await page.evaluate(() => window.cairnEditor.renderer.tiles.levels > 1));
  await page.waitForTimeout(300);
  await shot(page, 'editor-tiles');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('signed out: a link to sign in', async () => {
  const page = await openPage(browser, base);
  await page.goto(`/label.html#project=${P}&item=${items[0]}`);
  await page.locator('#signin-link').waitFor();
  assert.equal(await page.locator('#signin-link').getAttribute('href'), '/');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('the object list is virtualised: 3,000 objects, a few rows as elements; keys, search and clicks reach them all', async () => {
  const item = items[3];
  const cur = await admin.get(`/api/v1/items/${item}/annotations/mine`);
  const objects = [];
  for (let i = 0; i < 3000; i++) {
    const x = 5 + (i % 60) * 10, y = 5 + Math.floor(i / 60) * 9;
    objects.push({ id: `v${i}`, label: i % 2 ? 'car' : 'sign', type: 'polygon', points: [x, y, x + 6, y, x + 6, y + 6, x, y + 6], attributes: {} });
  }
  const put = await admin.put(`/api/v1/items/${item}/annotations/mine`, { format: 1, objects }, { headers: { 'If-Match': `"${cur.json.version}"` } });
  assert.ok(put.status === 200 || put.status === 201, put.text);
  const page = await signedInPage();
  await open(page, item);
  await page.waitForFunction(() => document.getElementById('obj-count').textContent === '(3000)');
  const rows = () => page.locator('#obj-list li[data-row]').count();
  const n = await rows();
  assert.ok(n > 0 && n < 60, `${n} rows exist as elements for 3,000 objects`);
  assert.equal(await page.locator('#obj-list li[data-row]').first().getAttribute('aria-setsize'), '3000');
  // The list scrolls over all 3,000: its scroll height is theirs.
  const sh = await page.evaluate(() => document.getElementById('obj-list').scrollHeight);
  assert.ok(sh >= 3000 * 28, `scroll height ${sh}`);
  // Keyboard: the first row, then down, then End: the last object, focused and visible.
  await page.locator('#obj-list button.obj').first().focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), 'v1');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), 'v2999', await page.evaluate(() => JSON.stringify({ tag: document.activeElement.tagName, st: document.getElementById('obj-list').scrollTop, ch: document.getElementById('obj-list').clientHeight, sh: document.getElementById('obj-list').scrollHeight, rows: [...document.querySelectorAll('#obj-list li')].map((l) => l.dataset.row).join(',') })));
  assert.equal(await page.evaluate(() => document.activeElement.closest('li').getAttribute('aria-posinset')), '3000');
  assert.ok(await rows() < 60);
  await page.keyboard.press('PageUp');
  const up = await page.evaluate(() => Number(document.activeElement.closest('li').getAttribute('aria-posinset')));
  assert.ok(up < 3000 && up > 2980, `Page Up went to row ${up}`);
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), 'v0');
  // The arrow keys moved the focus, not the objects.
  assert.deepEqual(await page.evaluate(() => window.cairnEditor.model.objects.get('v1').points.slice(0, 2)), [15, 5]);
  // Enter on a focused row selects its object.
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.cairnEditor.selected.has('v2999'));
  await page.locator('#obj-list li.selected button.obj[data-id=v2999]').waitFor();
  await shot(page, 'editor-list-virtual');
  // Search runs over all the objects, not only the rows drawn.
  await page.getByLabel('Search objects').fill('v2998');
  await page.waitForFunction(() => document.getElementById('obj-count').textContent === '(1 of 3000)');
  await page.locator('#obj-list button.obj[data-id=v2998]').click();
  await page.waitForFunction(() => window.cairnEditor.selected.has('v2998') && window.cairnEditor.selected.size === 1);
  assert.deepEqual(page.jsErrors, []);
  await page.context().close();
});
