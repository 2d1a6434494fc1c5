// bench/editor.mjs - see bench/editor.sh. All times are measured inside the
// page with performance.now(); frames are counted in requestAnimationFrame
// callbacks, each of which moves the view and draws synchronously.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Server, tool, ingest, createProject, itemIds } from '../tests/system/server.lib.mjs';
import { launch, openPage, shotDir } from '../tests/browser/lib.mjs';

const N = Number(process.env.BENCH_EDITOR_POLYGONS ?? 10000);
const V = 20, BIG = Number(process.env.BENCH_EDITOR_BIG ?? 100000);
const SIZE = 4096, SECONDS = Number(process.env.BENCH_EDITOR_SECONDS ?? 3);
const schema = { cairn_schema: 1, labels: [{ name: 'cell', shapes: ['polygon'] }, { name: 'tissue', shapes: ['polygon'] }] };

// Deterministic pseudo-random numbers.
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

function polygons() {
  const objects = [];
  for (let i = 0; i < N; i++) {
    const cx = 40 + rnd() * (SIZE - 80), cy = 40 + rnd() * (SIZE - 80), r = 8 + rnd() * 22;
    const points = [];
    for (let k = 0; k < V; k++) {
      const a = (k / V) * 2 * Math.PI, rr = r * (0.7 + 0.3 * rnd());
      points.push(Math.round((cx + rr * Math.cos(a)) * 10) / 10, Math.round((cy + rr * Math.sin(a)) * 10) / 10);
    }
    objects.push({ id: `p${i}`, label: i % 3 ? 'cell' : 'tissue', type: 'polygon', points });
  }
  return { format: 1, objects };
}

function bigPolygon() {
  const points = [];
  for (let k = 0; k < BIG; k++) {
    const a = (k / BIG) * 2 * Math.PI, r = 1500 + 40 * Math.sin(a * 200) + 10 * rnd();
    points.push(Math.round((SIZE / 2 + r * Math.cos(a)) * 100) / 100, Math.round((SIZE / 2 + r * Math.sin(a)) * 100) / 100);
  }
  return { format: 1, objects: [{ id: 'big', label: 'tissue', type: 'polygon', points }] };
}

// CPU seconds (user + system) used so far by this process's children except
// the server, i.e. the browser's processes (Linux /proc; NaN elsewhere):
// steadier than wall-clock times on a loaded machine.
function browserCpu(serverPid) {
  try {
    const procs = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8'), f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 });
      } catch { /* gone */ }
    }
    let sum = 0;
    for (const [pid, p] of procs) {
      if (pid === process.pid) continue;
      let q = p.ppid, mine = false;
      for (let i = 0; i < 64 && q > 1; i++) {
        if (q === serverPid || pid === serverPid) break;
        if (q === process.pid) { mine = true; break; }
        q = procs.get(q)?.ppid ?? 0;
      }
      if (mine) sum += p.cpu;
    }
    return sum;
  } catch { return NaN; }
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'cairn-bench-editor-'));
  const server = await Server.create(null);
  let browser;
  try {
    tool(['synth', join(tmp, 's'), '--images', '2', '--objects', '1', '--seed', '1', '--size', `${SIZE}x${SIZE}`]);
    const admin = await server.admin();
    const P = (await createProject(admin, 'bench', schema)).id;
    ingest(server.data, 'bench', join(tmp, 's', 'images'));
    const [item, item2] = await itemIds(admin, P);
    let r = await admin.put(`/api/v1/items/${item}/annotations/mine`, polygons(), { headers: { 'If-Match': '"0"' } });
    if (r.status !== 201) throw new Error(r.text);
    r = await admin.put(`/api/v1/items/${item2}/annotations/mine`, bigPolygon(), { headers: { 'If-Match': '"0"' } });
    if (r.status !== 201) throw new Error(r.text);

    browser = await launch();
    const page = await openPage(browser, server.url, { viewport: { width: 1600, height: 1000 } });
    const lr = await page.request.post('/api/v1/auth/login', { data: { username: 'admin', password: server.adminPassword } });
    if (lr.status() !== 200) throw new Error('login');
    const ready = (id) => page.waitForFunction((id) => window.cairnEditor && window.cairnEditor.itemId === id && !window.cairnEditor.loading && window.cairnEditor.firstRenderAt, id, { timeout: 60000 }).catch(async (e) => {
      throw new Error(`${e.message}; page errors: ${page.jsErrors.join('; ') || 'none'}; status: ${await page.locator('#save-status').textContent().catch(() => '?')}`);
    });

    // 1. Open: navigation start to the first full render (all 10,000 in view).
    const spid = server.proc.pid;
    await page.goto('about:blank');
    const cpu0 = browserCpu(spid);
    await page.goto(`/label.html#project=${P}&item=${item}`);
    await ready(item);
    // The image may still be decoding at the first full render: wait for it
    // too, and report both.
    await page.waitForFunction(() => window.cairnEditor.imageMs, null, { timeout: 60000 }).catch(async (e) => {
      throw new Error(`${e.message}: the image was not shown; page errors: ${page.jsErrors.join('; ') || 'none'}; status: ${await page.locator('#save-status').textContent().catch(() => '?')}; ${await page.evaluate(() => JSON.stringify({ of: window.cairnEditor.imageOf, want: window.cairnEditor.imageWanted, id: window.cairnEditor.itemId, res: performance.getEntriesByType('resource').map((e) => [e.name.slice(-30), Math.round(e.responseEnd)]) }))}`);
    });
    // CPU counted to the image shown, as the bare page's includes its decode.
    const cpuOpen = browserCpu(spid) - cpu0;
    const open = await page.evaluate(() => {
      const S = window.cairnEditor, nav = performance.getEntriesByType('navigation')[0];
      const res = (re) => performance.getEntriesByType('resource').find((e) => re.test(e.name));
      const doc = res(/annotations\/mine$/), media = res(/\/media$/);
      return {
        total: S.firstRenderAt, load: S.openMs, image: S.imageMs, n: S.model.objects.size, ph: S.phases,
        rows: document.querySelectorAll('#obj-list li[data-row]').length, html: nav ? nav.responseEnd : NaN,
        docReq: doc ? doc.requestStart || doc.startTime : NaN, docEnd: doc ? doc.responseEnd : NaN,
        mediaReq: media ? media.requestStart || media.startTime : NaN, mediaEnd: media ? media.responseEnd : NaN,
      };
    });
    console.log(`bench editor: ${open.n} polygons of ${V} vertices on a ${SIZE}x${SIZE} image (headless Chromium, software raster; ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at the start: absolute times scale with the machine's load, the ratios much less)`);
    console.log(`  open: ${fmt(open.total, 0)} ms from navigation to the first full render of all the objects, editor usable (the page's HTML in at ${fmt(open.html, 0)} ms; from the first request: the document's bytes in at ${fmt(open.ph.docBytes, 0)} ms, JSON.parse ${fmt(open.ph.docParse, 0)} ms, all of item, schema and document ${fmt(open.ph.fetch, 0)} ms, building the model and the spatial index ${fmt(open.ph.index, 0)} ms, drawing the objects to pixels ${fmt(open.ph.draw, 0)} ms; the image requested at ${fmt(open.mediaReq - open.docReq, 0)} ms after the document, its bytes in at ${fmt(open.mediaEnd - open.docReq, 0)} ms, decoded and shown at ${fmt(open.image, 0)} ms; ${open.rows} rows of the object list exist as elements)`);
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'bench-editor-10k.png') });

    // 1b. The ceiling for opening: the least a page must do to show them, in
    // the same page: fetch the document and the image (not from the cache),
    // parse, decode off the main thread, draw the image and every polygon
    // once at the fitted view, forced to pixels. Compared with the editor's
    // time from its first request to its first full render.
    const cpu1 = browserCpu(spid);
    const bareOpen = await page.evaluate(async (item) => {
      const R = window.cairnEditor.renderer;
      const t0 = performance.now();
      const [doc, bm] = await Promise.all([
        fetch(`/api/v1/items/${item}/annotations/mine`, { cache: 'no-store' }).then((r) => r.json()),
        fetch(`/api/v1/items/${item}/media`, { cache: 'no-store' }).then((r) => r.blob()).then((b) => createImageBitmap(b)),
      ]);
      const c = document.createElement('canvas');
      c.width = R.layers.obj.canvas.width; c.height = R.layers.obj.canvas.height;
      const x = c.getContext('2d'), d = R.dpr;
      const s = Math.min(R.width / bm.width, R.height / bm.height) * 0.96, tx = (R.width - bm.width * s) / 2, ty = (R.height - bm.height * s) / 2;
      x.setTransform(d * s, 0, 0, d * s, d * tx, d * ty);
      x.drawImage(bm, 0, 0);
      x.lineWidth = 1.5 / s;
      for (const o of doc.document.objects) {
        const p = o.points, col = R.style(o.label).color;
        x.beginPath();
        x.moveTo(p[0], p[1]);
        for (let i = 2; i < p.length; i += 2) x.lineTo(p[i], p[i + 1]);
        x.closePath();
        x.fillStyle = col; x.strokeStyle = col;
        x.globalAlpha = 0.3; x.fill(); x.globalAlpha = 1; x.stroke();
      }
      x.getImageData(0, 0, 1, 1);
      return performance.now() - t0;
    }, item);
    const cpuBare = browserCpu(spid) - cpu1;
    console.log(`  open, from the first request to the first full render of all the polygons (editor usable; the image may still be decoding): editor ${fmt(open.load, 0)} ms, bare page (fetch, parse, decode, draw the image and each polygon once) ${fmt(bareOpen, 0)} ms; ratio bare/editor ${fmt(bareOpen / open.load, 2)}`);
    console.log(`  open, from the first request to the image shown under them: editor ${fmt(open.image, 0)} ms, bare page ${fmt(bareOpen, 0)} ms; ratio bare/editor ${fmt(bareOpen / open.image, 2)}`);
    console.log(`  open, CPU time of all the browser's processes: editor ${fmt(cpuOpen, 2)} s (navigation and page included), bare page ${fmt(cpuBare, 2)} s; ratio bare/editor ${fmt(cpuBare / cpuOpen, 2)}`);

    // 2. Pan and zoom, editor vs bare canvas, same page, same polygons, same view path.
    // Set up in the page (window.bench), then each run is its own evaluate so
    // that the browser's CPU time can be read around it.
    await page.evaluate(({ seconds }) => {
      const S = window.cairnEditor, R = S.renderer;
      const polys = [...S.model.objects.values()].map((o) => ({ p: o.points, c: R.style(o.label).color }));
      const stage = document.getElementById('stage');
      const run = (zoom, drawFrame) => new Promise((res) => {
        R.fit();
        const s0 = R.view.s * zoom, cx = R.imgW / 2, cy = R.imgH / 2;
        let frames = 0, drawMs = 0, t0 = 0;
        const tick = (now) => {
          if (!t0) t0 = now;
          const t = (now - t0) / 1000;
          const s = s0 * (1 + 0.15 * Math.sin(t * 3));
          const tx = R.width / 2 - (cx + 200 * Math.sin(t * 2)) * s, ty = R.height / 2 - (cy + 200 * Math.cos(t * 2)) * s;
          const a = performance.now();
          drawFrame(s, tx, ty);
          drawMs += performance.now() - a;
          frames++;
          if (t < seconds) requestAnimationFrame(tick);
          else res({ fps: frames / t, frames, drawMs: drawMs / frames, chunks: R.stats.chunks });
        };
        requestAnimationFrame(tick);
      });
      const editor = (s, tx, ty) => { R.setView(s, tx, ty); cancelAnimationFrame(R.raf); R.raf = 0; R.draw(); };
      // A full render of every object in view, forced to pixels (getImageData waits for the raster).
      const full = (fn, c) => { const a = performance.now(); fn(); c.getContext('2d').getImageData(0, 0, 1, 1); return performance.now() - a; };
      // The ceiling: one canvas, the same polygons, filled and stroked one by one, no culling.
      const bare = document.createElement('canvas');
      bare.width = R.layers.obj.canvas.width; bare.height = R.layers.obj.canvas.height;
      bare.style.cssText = 'position:absolute;left:0;top:0;width:100%;height:100%';
      const bctx = bare.getContext('2d');
      const bareFrame = (s, tx, ty) => {
        const d = R.dpr;
        bctx.setTransform(1, 0, 0, 1, 0, 0);
        bctx.clearRect(0, 0, bare.width, bare.height);
        bctx.drawImage(R.image, tx * d, ty * d, R.imgW * s * d, R.imgH * s * d);
        bctx.setTransform(d * s, 0, 0, d * s, d * tx, d * ty);
        bctx.lineWidth = 1.5 / s;
        for (const { p, c } of polys) {
          bctx.beginPath();
          bctx.moveTo(p[0], p[1]);
          for (let i = 2; i < p.length; i += 2) bctx.lineTo(p[i], p[i + 1]);
          bctx.closePath();
          bctx.fillStyle = c; bctx.strokeStyle = c;
          bctx.globalAlpha = 0.3; bctx.fill(); bctx.globalAlpha = 1; bctx.stroke();
        }
      };
      window.bench = {
        fullEditor: () => { R.fit(); return full(() => { R.snapStale = true; R.drawObjects(); }, R.snap); },
        editor: (zoom) => run(zoom, editor),
        fullBare: () => { stage.appendChild(bare); R.fit(); return full(() => bareFrame(R.view.s, R.view.tx, R.view.ty), bare); },
        bare: (zoom) => run(zoom, bareFrame),
        end: () => { bare.remove(); R.fit(); return R.stats.renders; },
      };
    }, { seconds: SECONDS });
    // Each run with the browser's CPU time per frame.
    const measure = async (what, zoom) => {
      const c = browserCpu(spid);
      const r = await page.evaluate(({ what, zoom }) => window.bench[what](zoom), { what, zoom });
      r.cpuMs = ((browserCpu(spid) - c) * 1000) / r.frames;
      return r;
    };
    const res = {};
    res.fullEditor = await page.evaluate(() => window.bench.fullEditor());
    res.editorFit = await measure('editor', 1);
    res.editorZoom = await measure('editor', 4);
    res.fullBare = await page.evaluate(() => window.bench.fullBare());
    res.bareFit = await measure('bare', 1);
    res.bareZoom = await measure('bare', 4);
    res.renders = await page.evaluate(() => window.bench.end());
    const line = (name, e, b) => console.log(`  ${name}: editor ${fmt(e.fps)} frames/s (${fmt(e.drawMs, 2)} ms per frame in JS, ${fmt(e.cpuMs)} ms of browser CPU per frame, ${e.chunks} chunks drawn), bare canvas loop ${fmt(b.fps)} frames/s (${fmt(b.drawMs, 2)} ms in JS, ${fmt(b.cpuMs)} ms CPU per frame); ratio editor/bare: ${fmt(e.fps / b.fps, 2)} in frames/s, ${fmt(b.drawMs / e.drawMs, 2)} in draw time, ${fmt(b.cpuMs / e.cpuMs, 2)} in CPU per frame`);
    console.log(`  full render of all ${open.n} in view, to pixels: editor ${fmt(res.fullEditor)} ms, bare canvas loop ${fmt(res.fullBare)} ms (with the image); ratio bare/editor ${fmt(res.fullBare / res.fullEditor, 2)}`);
    line('pan+zoom, whole image in view (all 10,000 visible)', res.editorFit, res.bareFit);
    line('pan+zoom at 4x (part in view)', res.editorZoom, res.bareZoom);

    // 3. One 100,000-vertex polygon: drag one vertex (pointer events on the stage).
    await page.goto(`/label.html#project=${P}&item=${item2}`);
    await page.reload();
    await ready(item2);
    const big = await page.evaluate(async () => {
      const S = window.cairnEditor, R = S.renderer, stage = document.getElementById('stage');
      const o = S.model.objects.get('big');
      const vx = o.points[0], vy = o.points[1];
      R.setView(2, R.width / 2 - vx * 2, R.height / 2 - vy * 2); R.draw();
      const rect = stage.getBoundingClientRect();
      const ev = (type, x, y) => {
        const [sx, sy] = R.toScreen(x, y);
        stage.dispatchEvent(new PointerEvent(type, { clientX: rect.left + sx, clientY: rect.top + sy, button: 0, buttons: type === 'pointerup' ? 0 : 1, pointerId: 1, bubbles: true }));
      };
      // (vx, vy) is the polygon's rightmost vertex: 100 pixels to its left
      // is inside. Select it first, or the drag below would move it whole.
      const t0 = performance.now();
      ev('pointerdown', vx - 100, vy);
      ev('pointerup', vx - 100, vy);
      if (!S.selected.has('big')) throw new Error('the big polygon was not selected');
      R.draw();
      const tSelect = performance.now() - t0;
      const a = performance.now();
      ev('pointerdown', vx, vy);
      R.draw();
      const tGrab = performance.now() - a;
      if (!S.drag || S.drag.kind !== 'handle') throw new Error(`pointerdown on the vertex started a ${S.drag ? S.drag.kind : 'no'} drag, not a vertex drag`);
      const moves = [];
      for (let i = 1; i <= 30; i++) {
        const b = performance.now();
        ev('pointermove', vx + i, vy + i / 2);
        R.draw();
        moves.push(performance.now() - b);
      }
      const c = performance.now();
      ev('pointerup', vx + 30, vy + 15);
      R.draw();
      const tDrop = performance.now() - c;
      moves.sort((x, y) => x - y);
      const after = S.model.objects.get('big').points;
      const moved = after.slice(0, 2), next = after[2] === o.points[2] && after[3] === o.points[3];
      // Moving the whole polygon (select, then drag from inside it).
      const whole = [];
      ev('pointerdown', vx - 100, vy);
      for (let i = 1; i <= 10; i++) {
        const b = performance.now();
        ev('pointermove', vx - 100 + i, vy + i);
        R.draw();
        whole.push(performance.now() - b);
      }
      const d = performance.now();
      ev('pointerup', vx - 90, vy + 10);
      R.draw();
      const tWholeDrop = performance.now() - d;
      whole.sort((x, y) => x - y);
      return { tSelect, tGrab, median: moves[15], max: moves[29], tDrop, moved, next, n: after.length / 2, wholeMedian: whole[5], tWholeDrop };
    });
    console.log(`  one ${big.n}-vertex polygon: select ${fmt(big.tSelect)} ms, grab a vertex ${fmt(big.tGrab)} ms, each drag step with redraw median ${fmt(big.median)} ms (max ${fmt(big.max)} ms), drop (commit, reindex, redraw) ${fmt(big.tDrop)} ms; vertex now at ${big.moved.join(',')} (${big.next ? 'the next vertex unmoved' : 'THE NEXT VERTEX MOVED TOO'}); moving the whole polygon: each step with redraw median ${fmt(big.wholeMedian)} ms, drop ${fmt(big.tWholeDrop)} ms`);
    console.log(`  object layer rendered ${res.renders} times in all the pan and zoom runs (in between, the cached bitmap is moved and scaled)`);
    if (page.jsErrors.length) console.log(`  page errors: ${page.jsErrors.join('; ')}`);
  } finally {
    await browser?.close();
    await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(`bench editor: ${e.stack || e}`); process.exit(1); });
