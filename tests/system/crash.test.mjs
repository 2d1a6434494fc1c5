// Crash consistency: many concurrent writers, kill -9 at a random moment,
// restart, and check that every acknowledged (2xx) save is there (its
// version's document is in history) and that the database passes
// PRAGMA integrity_check; several rounds on the same data directory.
// This file runs the release binary (build/cairn) when it exists: the
// sanitizer build is several times slower and the point here is many
// writes racing a SIGKILL, not memory checking (the other files do that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Server, Client, releaseBin, bin, synthImages, ingest, createProject, itemIds, doc } from './server.lib.mjs';

const P = '/api/v1';
const ROUNDS = 10;
const WRITERS = 12;

test('kill -9 during concurrent saves loses no acknowledged save and leaves an intact database', async (t) => {
  const server = await Server.create(t, { binary: existsSync(releaseBin) ? releaseBin : bin });
  const admin = await server.admin();
  const A = (await createProject(admin, 'alpha')).id;
  ingest(server.data, 'alpha', synthImages());
  const items = await itemIds(admin, A);
  const tokens = await Promise.all(Array.from({ length: WRITERS }, (_, i) => admin.bearer(`w${i}`)));
  // Writer i saves one annotation: a prediction "w<i>" (gold for writer 0) on an item.
  const urlOf = (i) => (i === 0 ? `${P}/items/${items[0]}/annotations/gold`
    : `${P}/items/${items[i % items.length]}/predictions/w${i}`);
  const state = tokens.map(() => ({ version: 0, id: null }));
  const acked = []; // {i, id, version, tag}
  let failedAfterKill = 0;

  for (let round = 0; round < ROUNDS; round++) {
    let stop = false;
    const base = server.url;
    const writers = tokens.map(async (tok, i) => {
      const c = new Client(base, { token: tok.token });
      for (let n = 0; !stop; n++) {
        const tag = `r${round}w${i}n${n}x`;
        let r;
        try {
          r = await c.put(urlOf(i), doc(1 + (n % 3), tag), { headers: { 'If-Match': `"${state[i].version}"` } });
        } catch {
          failedAfterKill++;
          return; // the server is gone: this save was never acknowledged
        }
        if (r.status === 200 || r.status === 201) {
          state[i] = { version: r.json.version, id: r.json.id };
          acked.push({ i, id: r.json.id, version: r.json.version, tag: `${tag}0` });
        } else {
          // A save that committed but whose answer died with the server
          // makes the next If-Match stale: take the current version.
          assert.equal(r.status, 409, r.text);
          state[i] = { version: r.json.current.version, id: r.json.current.annotation.id };
        }
      }
    });
    await new Promise((res) => setTimeout(res, 150 + Math.random() * 700));
    const killed = server.kill();
    stop = true;
    await killed;
    await Promise.all(writers);

    // The database as the crash left it (the WAL not yet checkpointed).
    assert.equal(server.sql('PRAGMA integrity_check'), 'ok', `round ${round}`);
    await server.start();

    // Every acknowledged save, from every round so far, is in history.
    const check = new Client(server.url, { token: tokens[0].token });
    for (const a of acked) {
      const item = urlOf(a.i).match(/items\/(\d+)/)[1];
      const r = await check.get(`${P}/items/${item}/annotations/${a.id}/history/${a.version}`);
      assert.equal(r.status, 200, `round ${round}: acknowledged version ${a.version} of writer ${a.i} is missing: ${r.text}`);
      assert.equal(r.json.document.objects[0].id, a.tag, `round ${round}: version ${a.version} of writer ${a.i}`);
    }
    // And the current version is at least the last acknowledged one, with a complete history.
    for (let i = 0; i < WRITERS; i++) {
      if (!state[i].id) continue;
      const cur = await check.get(urlOf(i));
      assert.ok(cur.json.version >= state[i].version, `writer ${i}: ${cur.json.version} < ${state[i].version}`);
      const item = urlOf(i).match(/items\/(\d+)/)[1];
      const h = await check.get(`${P}/items/${item}/annotations/${state[i].id}/history`);
      const vs = h.json.versions.map((v) => v.version).sort((x, y) => x - y);
      assert.deepEqual(vs, Array.from({ length: cur.json.version }, (_, k) => k + 1), `writer ${i} history`);
      state[i].version = cur.json.version;
    }
  }
  t.diagnostic(`${ROUNDS} kills, ${acked.length} acknowledged saves checked, ${failedAfterKill} cut off by a kill`);
  assert.ok(acked.length >= ROUNDS * WRITERS, `only ${acked.length} saves were acknowledged`);
  // A clean stop at the end, and the database is still intact.
  await server.stop();
  assert.equal(server.sql('PRAGMA integrity_check'), 'ok');
});
