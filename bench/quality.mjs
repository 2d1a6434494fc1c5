// bench/quality.mjs - see bench/quality.sh.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Server, tool, ingest, createProject, itemIds, makeUsers } from '../tests/system/server.lib.mjs';

const N = Number(process.env.BENCH_QUALITY_ITEMS ?? 1000);
const RUNS = 3;
const schema = {
  cairn_schema: 1,
  labels: [{ name: 'cat', shapes: ['tag'] }, { name: 'dog', shapes: ['tag'] },
    { name: 'car', shapes: ['box'] }, { name: 'bus', shapes: ['box'] }],
};

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

function docFor(k, i) {
  const objects = [{ id: 't', label: (i + (k === 2 && i % 5 === 0 ? 1 : 0)) % 2 ? 'dog' : 'cat', type: 'tag' }];
  for (let j = 0; j < 5; j++) {
    const x = 2 + j * 12 + rnd() * 2, y = 2 + rnd() * 2;
    objects.push({ id: `b${j}`, label: j % 2 ? 'bus' : 'car', type: 'box', points: [x, y, x + 10, y + 10] });
  }
  return { format: 1, objects };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeIt(fn) {
  const ts = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    await fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'cairn-bench-quality-'));
  const server = await Server.create(null);
  try {
    tool(['synth', join(tmp, 's'), '--images', String(N), '--objects', '1', '--seed', '1', '--size', '80x20']);
    const admin = await server.admin();
    const P = (await createProject(admin, 'q', schema)).id;
    ingest(server.data, 'q', join(tmp, 's', 'images'));
    const items = await itemIds(admin, P);
    // itemIds reads one page; the rest by id order.
    for (let after = items[items.length - 1]; items.length < N;) {
      const r = await admin.get(`/api/v1/projects/${P}/items?limit=1000&after=${after}`);
      if (!r.json.items.length) break;
      items.push(...r.json.items.map((x) => x.id));
      after = items[items.length - 1];
    }
    const users = await makeUsers(server, admin, ['ann', 'ben', 'cal'].map((name) => ({ name, roles: { [P]: 'reviewer' } })));
    const names = Object.keys(users);
    const t0 = Date.now();
    for (let k = 0; k < names.length; k++) {
      const c = users[names[k]];
      for (let i = 0; i < items.length; i += 32) {
        await Promise.all(items.slice(i, i + 32).map((id, j) => c.put(`/api/v1/items/${id}/annotations/mine`, docFor(k, i + j), { headers: { 'If-Match': '0' } })
          .then((r) => { if (r.status !== 201) throw new Error(r.text); })));
      }
    }
    const loadS = (Date.now() - t0) / 1000;
    const Q = `/api/v1/projects/${P}/quality`;
    const get = (path) => async () => {
      const r = await users.ann.get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.text}`);
      return r;
    };
    const db = join(server.data, 'cairn.db');
    // The query's own time as sqlite3 reports it (.timer), so process
    // start-up is not counted; the median of RUNS runs after a warm-up.
    const floors = [];
    for (let r = 0; r <= RUNS; r++) {
      const q = spawnSync('sqlite3', ['-cmd', '.timer on', db], { encoding: 'utf8',
        input: "SELECT sum(length(h.body)) FROM annotations a JOIN annotation_history h ON h.annotation_id = a.id AND h.version = a.version WHERE a.kind = 'manual';\n" });
      const m = `${q.stdout}${q.stderr}`.match(/Run Time: real ([0-9.]+)/);
      if (q.status !== 0 || !m) throw new Error(q.stderr || q.stdout);
      if (r) floors.push(Number(m[1]) * 1000);
    }
    const floor = median(floors);
    const agreement = await timeIt(get(`${Q}/agreement?bootstrap=0&window=86400`));
    const withBoot = await timeIt(get(`${Q}/agreement?bootstrap=200&window=86400`));
    const confusion = await timeIt(get(`${Q}/confusion?a=ann&b=cal`));
    const progress = await timeIt(get(`${Q}/progress`));
    const classes = await timeIt(get(`${Q}/classes`));
    // The annotator table walks the project twice (consensus comparison,
    // checks); with no consensus saved, then after one.
    const stats0 = await timeIt(get(`/api/v1/projects/${P}/stats/annotators`));
    const cons = await admin.post(`/api/v1/projects/${P}/quality/consensus`, {});
    for (let k = 0; k < 600; k++) {
      const j = (await admin.get(`/api/v1/projects/${P}/jobs/${cons.json.job.id}`)).json.job;
      if (!['queued', 'running'].includes(j.state)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const stats1 = await timeIt(get(`/api/v1/projects/${P}/stats/annotators`));
    const a = (await get(`${Q}/agreement?bootstrap=0`)()).json;
    // CPU time (user + sys, start-up included on both sides), steadier than
    // wall-clock time on a loaded machine: the same walk from the CLI
    // against the sqlite3 read of every body.
    const cpu = (cmd, args, input) => {
      const ts = [];
      for (let r = 0; r < RUNS; r++) {
        const q = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { encoding: 'utf8', input });
        const m = q.stderr.match(/CPU ([0-9.]+) ([0-9.]+)/);
        if (q.status !== 0 || !m) throw new Error(q.stderr);
        ts.push((Number(m[1]) + Number(m[2])) * 1000);
      }
      return median(ts);
    };
    const bin = process.env.CAIRN_TEST_BIN;
    const cliCat = cpu(bin, ['agree', '--project', 'q', '--metric', 'alpha', '--bootstrap', '0', '--window', '86400', '--data', server.data]);
    const cliSpa = cpu(bin, ['agree', '--project', 'q', '--spatial', '--window', '86400', '--data', server.data]);
    const sqlCpu = cpu('sqlite3', [db], "SELECT sum(length(h.body)) FROM annotations a JOIN annotation_history h ON h.annotation_id = a.id AND h.version = a.version WHERE a.kind = 'manual';\n");
    const f = (v, d = 1) => v.toFixed(d);
    console.log(`bench quality: ${items.length} items x 3 annotators (a tag and 5 boxes each), loaded over the API in ${f(loadS)} s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`  baseline: sqlite3 reading every current annotation body (its .timer): ${f(floor)} ms (median of ${RUNS})`);
    console.log(`  GET agreement (tags + boxes, day windows, no bootstrap): ${f(agreement)} ms = ${f(agreement / floor, 2)} x baseline; alpha ${a.categorical.value}, box F1@0.5 ${a.spatial.overall.iou50.f1}`);
    console.log(`  GET agreement with 200 bootstrap resamples: ${f(withBoot)} ms = ${f(withBoot / floor, 2)} x baseline`);
    console.log(`  GET confusion (two annotators): ${f(confusion)} ms = ${f(confusion / floor, 2)} x baseline`);
    console.log(`  GET progress: ${f(progress)} ms; GET classes: ${f(classes)} ms`);
    console.log(`  GET stats/annotators (with the consensus comparison and the checks): ${f(stats0)} ms = ${f(stats0 / floor, 2)} x baseline; after a consensus job: ${f(stats1)} ms = ${f(stats1 / floor, 2)} x`);
    console.log(`  CPU (user + sys): sqlite3 reading every body ${f(sqlCpu)} ms; cairn agree --project (alpha, windows) ${f(cliCat)} ms = ${f(cliCat / sqlCpu, 2)} x; --spatial ${f(cliSpa)} ms = ${f(cliSpa / sqlCpu, 2)} x`);
  } finally {
    if (server.proc) await server.stop();
    // BENCH_QUALITY_KEEP=1 keeps the data directory (for profiling `cairn agree`).
    if (process.env.BENCH_QUALITY_KEEP) console.log(`  data kept in ${server.data}`);
    else rmSync(server.dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
