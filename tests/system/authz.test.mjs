// The authorization matrix: every endpoint of src/http/routes.c x every role
// (anonymous, admin, manager, reviewer, annotator, viewer, a signed-in user
// who is no member) x the caller's own project / another project, with IDOR
// attempts (ids of another project's items, annotations and jobs, another
// user's tokens, another user's account). Every cell is asserted against
// the table below; the test fails when routes.c has a route with no row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Server, routesOfTable, synthImages, ingest, makeUsers, createProject, itemIds, demoSchema, doc,
} from './server.lib.mjs';

const ROLES = ['anon', 'admin', 'manager', 'reviewer', 'annotator', 'viewer', 'outsider'];

// Expected statuses, one per role in ROLES order.
//                 anon admin mgr  rev  ann  view out
const PUBLIC    = [200, 200, 200, 200, 200, 200, 200];
const SIGNED_IN = [401, 200, 200, 200, 200, 200, 200];
const ADMIN     = [401, 200, 403, 403, 403, 403, 403];
const P_VIEW    = [401, 200, 200, 200, 200, 200, 404]; // own project, viewer and up
const P_MANAGE  = [401, 200, 200, 403, 403, 403, 404]; // own project, managers
const P_REVIEW  = [401, 200, 200, 200, 403, 403, 404]; // own project, reviewers and up
const OTHER     = [401, 200, 404, 404, 404, 404, 404]; // another project: only admins
const NOBODY    = [401, 404, 404, 404, 404, 404, 404]; // an id that does not belong there
// An item of the own project: annotators see only items assigned to them,
// and this annotator has none. The assigned annotator (200 on the batch's
// items, 404 elsewhere, gold hidden) is in tests/system/workflow.test.mjs.
const I_VIEW    = [401, 200, 200, 200, 404, 200, 404];
const I_ANNOT   = [401, 200, 200, 200, 404, 403, 404]; // mine, predictions (GET)
const I_REVIEW  = [401, 200, 200, 200, 403, 403, 404]; // gold (GET)
const I_MANAGE  = [401, 200, 200, 403, 403, 403, 404];
const ANN_GOLD  = [401, 200, 200, 200, 404, 404, 404]; // gold by id: hidden below reviewer
// IDOR: the own project's path with an id from the other project. Roles
// that may use the route get 404; those that may not are refused first.
const X_MANAGE  = [401, 404, 404, 403, 403, 403, 404];
const X_ANNOT   = [401, 404, 404, 404, 404, 403, 404];
const with_ = (row, i, v) => row.map((x, k) => (k === i ? v : x));
const R = Object.fromEntries(ROLES.map((r, i) => [r, i]));

const P = '/api/v1';

// The matrix. `cols` maps a column name to its expected row; `run(col, c,
// role)` makes the request as client c and returns the response.
function matrix(ctx) {
  const { A, B, a, b, ann } = ctx;
  const same = (path) => (col, c) => c.get(path);
  const byProject = (f) => (col, c, role) => f(col === 'other' ? B : A, col, c, role);
  // Saves with If-Match on the version the caller sees (as admin, who sees all).
  const saveAt = async (c, url, body) => {
    const cur = await ctx.admin.get(url);
    const v = cur.status === 200 ? cur.json.version : 0;
    return c.put(url, body, { headers: { 'If-Match': `"${v}"` } });
  };
  let uniq = 0;
  return [
    { route: 'GET /health', cols: { any: PUBLIC }, run: same(`${P}/health`) },
    { route: 'GET /openapi.json', cols: { any: PUBLIC }, run: same(`${P}/openapi.json`) },
    // A malformed body: reaching the handler (400) shows the route is open.
    { route: 'POST /auth/login', cols: { any: PUBLIC.map(() => 400) },
      run: (col, c) => c.post(`${P}/auth/login`, { username: 5, password: 'x' }) },
    { route: 'POST /auth/logout', cols: { own: SIGNED_IN },
      run: async (col, c, role) => (role === 'anon' ? c.post(`${P}/auth/logout`, {})
        : (await c.bearer('logout')).post(`${P}/auth/logout`, {})) },
    { route: 'GET /auth/me', cols: { own: SIGNED_IN }, run: same(`${P}/auth/me`) },
    { route: 'POST /auth/password', cols: { own: SIGNED_IN.map((s) => (s === 200 ? 400 : s)) },
      run: (col, c) => c.post(`${P}/auth/password`, {}) },
    { route: 'GET /auth/tokens', cols: { own: SIGNED_IN }, run: same(`${P}/auth/tokens`) },
    { route: 'POST /auth/tokens', cols: { own: SIGNED_IN.map((s) => (s === 200 ? 201 : s)) },
      run: (col, c) => c.post(`${P}/auth/tokens`, { name: 'matrix' }) },
    // own: a token the caller just made; other: another user's token id (IDOR).
    { route: 'DELETE /auth/tokens/{token}',
      cols: { own: SIGNED_IN.map((s) => (s === 200 ? 204 : s)), other: NOBODY },
      run: async (col, c, role) => {
        if (col === 'other') return c.del(`${P}/auth/tokens/${role === 'admin' ? ctx.mgrToken : ctx.adminToken}`);
        if (role === 'anon') return c.del(`${P}/auth/tokens/${ctx.adminToken}`);
        const t = await c.bearer('to-delete');
        return c.del(`${P}/auth/tokens/${t.tokenId}`);
      } },
    { route: 'GET /users', cols: { any: ADMIN }, run: same(`${P}/users`) },
    { route: 'POST /users', cols: { any: with_(ADMIN, R.admin, 201) },
      run: (col, c) => c.post(`${P}/users`, { name: `made${++uniq}` }) },
    // own: another user's account; other: make myself an administrator.
    { route: 'PATCH /users/{user}', cols: { own: ADMIN, other: ADMIN },
      run: (col, c, role) => (col === 'own'
        ? c.patch(`${P}/users/${ctx.victim}`, { active: true })
        : c.patch(`${P}/users/${role === 'anon' ? 1 : c.user.id}`, { admin: true })) },
    { route: 'GET /projects', cols: { any: SIGNED_IN }, run: same(`${P}/projects`) },
    { route: 'POST /projects', cols: { any: with_(ADMIN, R.admin, 201) },
      run: (col, c) => c.post(`${P}/projects`, { name: `made-${++uniq}`, schema: demoSchema }) },
    { route: 'GET /projects/{project}', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}`)) },
    { route: 'GET /projects/{project}/schema', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/schema?version=1`)) },
    { route: 'PUT /projects/{project}/schema', cols: { own: P_MANAGE, other: OTHER },
      run: byProject((p, col, c) => c.put(`${P}/projects/${p}/schema`, demoSchema)) },
    { route: 'POST /projects/{project}/schema/validate', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/schema/validate`, demoSchema)) },
    { route: 'GET /projects/{project}/schema/versions', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/schema/versions`)) },
    { route: 'GET /projects/{project}/members', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/members`)) },
    { route: 'PUT /projects/{project}/members/{user}', cols: { own: P_MANAGE, other: OTHER },
      run: byProject((p, col, c) => c.put(`${P}/projects/${p}/members/${ctx.victim}`, { role: 'viewer' })) },
    { route: 'DELETE /projects/{project}/members/{user}',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? 204 : s)), other: OTHER.map((s) => (s === 200 ? 204 : s)) },
      run: byProject(async (p, col, c) => {
        const re = await ctx.admin.put(`${P}/projects/${p}/members/${ctx.victim}`, { role: 'viewer' });
        assert.equal(re.status, 200, re.text);
        return c.del(`${P}/projects/${p}/members/${ctx.victim}`);
      }) },
    { route: 'GET /projects/{project}/items', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/items`)) },
    { route: 'GET /projects/{project}/items/count', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/items/count?status=new`)) },
    { route: 'POST /projects/{project}/exports',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? 202 : s)), other: OTHER.map((s) => (s === 200 ? 202 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/exports`, {})) },
    { route: 'GET /projects/{project}/jobs', cols: { own: P_MANAGE, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/jobs`)) },
    // cross: the own project's path with the other project's job id (IDOR).
    { route: 'GET /projects/{project}/jobs/{job}', cols: { own: P_MANAGE, other: OTHER, cross: X_MANAGE },
      run: (col, c) => c.get(`${P}/projects/${col === 'other' ? B : A}/jobs/${col === 'own' ? ctx.jobA : ctx.jobB}`) },
    // A job may be finished already: then cancelling it is a 409.
    { route: 'POST /projects/{project}/jobs/{job}/cancel',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? [200, 202, 409] : s)), other: OTHER.map((s) => (s === 200 ? [200, 202, 409] : s)), cross: X_MANAGE },
      run: (col, c) => c.post(`${P}/projects/${col === 'other' ? B : A}/jobs/${col === 'own' ? ctx.jobA : ctx.jobB}/cancel`, {}) },
    // The result exists once the job has finished (409 before).
    { route: 'GET /projects/{project}/jobs/{job}/download',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? [200, 409] : s)), other: OTHER.map((s) => (s === 200 ? [200, 409] : s)), cross: X_MANAGE },
      run: (col, c) => c.get(`${P}/projects/${col === 'other' ? B : A}/jobs/${col === 'own' ? ctx.jobA : ctx.jobB}/download`) },
    { route: 'GET /items/{item}', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}`) },
    { route: 'GET /items/{item}/media', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/media`) },
    { route: 'GET /items/{item}/thumbnail', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/thumbnail?size=128`) },
    { route: 'GET /items/{item}/tiles', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/tiles`) },
    { route: 'GET /items/{item}/tiles/{level}/{col}/{row}', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/tiles/0/0/0`) },
    // A new file (201) or, for the second caller, the same one again.
    { route: 'POST /projects/{project}/media',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? [200, 201, 409] : s)), other: OTHER.map((s) => (s === 200 ? [200, 201, 409] : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/media?name=up.png`, ctx.png, { headers: { 'Content-Type': 'application/octet-stream' } })) },
    // A dataset upload queues an import job (202); a JSON with no sections fails in the job.
    { route: 'POST /projects/{project}/imports',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? 202 : s)), other: OTHER.map((s) => (s === 200 ? 202 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/imports?format=coco`, Buffer.from('{"images": []}'), { headers: { 'Content-Type': 'application/octet-stream' } })) },
    { route: 'GET /items/{item}/annotations', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/annotations`) },
    { route: 'GET /items/{item}/annotations/mine', cols: { own: I_ANNOT, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/annotations/mine`) },
    // Each role saves its own (new) annotation: 201.
    { route: 'PUT /items/{item}/annotations/mine',
      cols: { own: I_ANNOT.map((s) => (s === 200 ? 201 : s)), other: OTHER.map((s) => (s === 200 ? 201 : s)) },
      run: (col, c) => c.put(`${P}/items/${col === 'own' ? a[1] : b[1]}/annotations/mine`, doc(2),
        { headers: { 'If-Match': '"0"' } }) },
    { route: 'GET /items/{item}/annotations/gold', cols: { own: I_REVIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/annotations/gold`) },
    // The admin saves first (201, a new annotation), the manager next (200).
    { route: 'PUT /items/{item}/annotations/gold',
      cols: { own: with_(I_MANAGE, R.admin, 201), other: OTHER.map((s) => (s === 200 ? 201 : s)) },
      run: (col, c) => saveAt(c, `${P}/items/${col === 'own' ? a[2] : b[2]}/annotations/gold`, doc(1, 'g')) },
    { route: 'GET /items/{item}/predictions/{name}', cols: { own: I_ANNOT, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/predictions/model1`) },
    { route: 'PUT /items/{item}/predictions/{name}',
      cols: { own: with_(I_MANAGE, R.admin, 201), other: OTHER.map((s) => (s === 200 ? 201 : s)) },
      run: (col, c) => saveAt(c, `${P}/items/${col === 'own' ? a[3] : b[3]}/predictions/model2`, doc(1, 'p')) },
    { route: 'GET /items/{item}/comments', cols: { own: I_VIEW, other: OTHER },
      run: (col, c) => c.get(`${P}/items/${col === 'own' ? a[0] : b[0]}/comments`) },
    { route: 'POST /items/{item}/comments',
      cols: { own: I_ANNOT.map((s) => (s === 200 ? 201 : s)), other: OTHER.map((s) => (s === 200 ? 201 : s)) },
      run: (col, c) => c.post(`${P}/items/${col === 'own' ? a[0] : b[0]}/comments`, { body: 'look <b>here</b>' }) },
    // cross: the own item's path with the other project's comment id (IDOR).
    { route: 'POST /items/{item}/comments/{comment}/resolve', cols: { own: I_ANNOT, other: OTHER, cross: X_ANNOT },
      run: (col, c) => c.post(`${P}/items/${col === 'other' ? b[0] : a[0]}/comments/${col === 'own' ? ctx.commentA : ctx.commentB}/resolve`,
        { resolved: true }) },
    // Workflow (docs/workflow.md). Batch "mx" holds the own project's items
    // but a[0] (gold), with no members, so the annotator of this matrix
    // still sees no item; the other project has one too.
    { route: 'GET /projects/{project}/batches', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/batches`)) },
    // Every item is in a batch already: reaching the handler answers 400.
    { route: 'POST /projects/{project}/batches',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? 400 : s)), other: OTHER.map((s) => (s === 200 ? 400 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/batches`, { name: `b${++uniq}` })) },
    // Annotators open only the batches they are members of.
    { route: 'GET /batches/{batch}', cols: { own: with_(P_VIEW, R.annotator, 404), other: OTHER },
      run: (col, c) => c.get(`${P}/batches/${col === 'own' ? ctx.batchA : ctx.batchB}`) },
    { route: 'PATCH /batches/{batch}', cols: { own: P_MANAGE, other: OTHER },
      run: (col, c) => c.patch(`${P}/batches/${col === 'own' ? ctx.batchA : ctx.batchB}`, { review_sample: 0.5 }) },
    { route: 'POST /batches/{batch}/assign', cols: { own: P_MANAGE, other: OTHER },
      run: (col, c) => c.post(`${P}/batches/${col === 'own' ? ctx.batchA : ctx.batchB}/assign`, { annotators: [] }) },
    // Nothing is reviewed: sign-off is refused (409) to those who may ask.
    { route: 'POST /batches/{batch}/signoff',
      cols: { own: P_MANAGE.map((s) => (s === 200 ? 409 : s)), other: OTHER.map((s) => (s === 200 ? 409 : s)) },
      run: (col, c) => c.post(`${P}/batches/${col === 'own' ? ctx.batchA : ctx.batchB}/signoff`, {}) },
    // Nobody here is an annotator of a batch: nothing to route (204).
    { route: 'POST /projects/{project}/queue/next',
      cols: { own: [401, 204, 204, 204, 204, 403, 404], other: OTHER.map((s) => (s === 200 ? 204 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/queue/next`, {})) },
    // Nobody holds the item (404 to those who may ask); cross: the own
    // project's path with the other project's item (IDOR).
    ...['skip', 'release'].map((verb) => ({
      route: `POST /projects/{project}/queue/{item}/${verb}`,
      cols: { own: [401, 404, 404, 404, 404, 403, 404], other: OTHER.map((s) => (s === 200 ? 404 : s)), cross: NOBODY },
      run: (col, c) => c.post(`${P}/projects/${col === 'other' ? B : A}/queue/${col === 'own' ? a[1] : b[1]}/${verb}`, {}),
    })),
    // Nothing is submitted: nothing to review (204).
    { route: 'POST /projects/{project}/review/next',
      cols: { own: [401, 204, 204, 204, 403, 403, 404], other: OTHER.map((s) => (s === 200 ? 204 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/review/next`, {})) },
    // Nobody holds the item for review (404 to reviewers and up); cross as above.
    { route: 'POST /projects/{project}/review/{item}/release',
      cols: { own: [401, 404, 404, 404, 403, 403, 404], other: OTHER.map((s) => (s === 200 ? 404 : s)), cross: NOBODY },
      run: (col, c) => c.post(`${P}/projects/${col === 'other' ? B : A}/review/${col === 'own' ? a[1] : b[1]}/release`, {}) },
    // No submitted annotation on the item: 409 to reviewers and up.
    { route: 'POST /items/{item}/review',
      cols: { own: I_REVIEW.map((s) => (s === 200 ? 409 : s)), other: OTHER.map((s) => (s === 200 ? 409 : s)) },
      run: (col, c) => c.post(`${P}/items/${col === 'own' ? a[1] : b[1]}/review`, { verdict: 'accept' }) },
    // Annotators read their own row of the table; viewers none.
    { route: 'GET /projects/{project}/stats/annotators', cols: { own: with_(I_ANNOT, R.annotator, 200), other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/stats/annotators`)) },
    // Quality (docs/quality.md): reviewers and managers read agreement,
    // confusion and checks; progress and classes are the project's counts.
    { route: 'GET /projects/{project}/quality/agreement', cols: { own: P_REVIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/quality/agreement?bootstrap=0`)) },
    // Without ?a and ?b: reaching the handler (400) shows the route is open.
    { route: 'GET /projects/{project}/quality/confusion', cols: { own: P_REVIEW.map((s) => (s === 200 ? 400 : s)), other: OTHER.map((s) => (s === 200 ? 400 : s)) },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/quality/confusion`)) },
    { route: 'GET /projects/{project}/quality/checks', cols: { own: P_REVIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/quality/checks`)) },
    { route: 'GET /projects/{project}/quality/progress', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/quality/progress`)) },
    { route: 'GET /projects/{project}/quality/classes', cols: { own: P_VIEW, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/quality/classes`)) },
    // Check jobs (docs/checks.md): reviewers and up start one and page its
    // findings; cross: the own project's path with the other's job id.
    { route: 'POST /projects/{project}/quality/checks/jobs', cols: { own: P_REVIEW.map((s) => (s === 200 ? 202 : s)), other: OTHER.map((s) => (s === 200 ? 202 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/quality/checks/jobs`, { rules: 'out_of_bounds' })) },
    { route: 'GET /projects/{project}/quality/checks/jobs/{job}', cols: { own: P_REVIEW, other: OTHER, cross: [401, 404, 404, 404, 403, 403, 404] },
      run: (col, c) => c.get(`${P}/projects/${col === 'other' ? B : A}/quality/checks/jobs/${col === 'own' ? ctx.checkA : ctx.checkB}`) },
    { route: 'POST /projects/{project}/quality/consensus', cols: { own: P_MANAGE.map((s) => (s === 200 ? 202 : s)), other: OTHER.map((s) => (s === 200 ? 202 : s)) },
      run: byProject((p, col, c) => c.post(`${P}/projects/${p}/quality/consensus`, { dry_run: true })) },
    { route: 'GET /audit', cols: { any: ADMIN }, run: same(`${P}/audit`) },
    { route: 'GET /projects/{project}/audit', cols: { own: P_MANAGE, other: OTHER },
      run: byProject((p, col, c) => c.get(`${P}/projects/${p}/audit`)) },
    ...['', '/history', '/history/1', '/diff?from=1&to=2'].map((suffix) => ({
      route: `GET /items/{item}/annotations/{annotation}${suffix.replace(/\/1$/, '/{version}').replace(/\?.*/, '')}`,
      // manual: the manager's own annotation; gold; prediction; other: an
      // annotation of the other project; cross: the own item's path with
      // the other project's annotation id (IDOR).
      cols: { manual: I_VIEW, gold: ANN_GOLD, prediction: I_VIEW, other: OTHER, cross: NOBODY },
      run: (col, c) => {
        const [item, id] = {
          manual: [a[0], ann.mgrA], gold: [a[0], ann.goldA], prediction: [a[0], ann.predA],
          other: [b[0], ann.b], cross: [a[0], ann.b],
        }[col];
        return c.get(`${P}/items/${item}/annotations/${id}${suffix}`);
      },
    })),
  ];
}

test('authorization matrix: every endpoint x every role x own / other project', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const A = (await createProject(admin, 'alpha')).id;
  const B = (await createProject(admin, 'beta')).id;
  const images = synthImages();
  ingest(server.data, 'alpha', images);
  ingest(server.data, 'beta', images);
  const a = await itemIds(admin, A);
  const b = await itemIds(admin, B);
  assert.ok(a.length >= 4 && b.length >= 4);

  const users = await makeUsers(server, admin, [
    { name: 'manager', roles: { [A]: 'manager' } },
    { name: 'reviewer', roles: { [A]: 'reviewer' } },
    { name: 'annotator', roles: { [A]: 'annotator' } },
    { name: 'viewer', roles: { [A]: 'viewer' } },
    { name: 'outsider' },
  ]);
  const victim = await admin.post(`${P}/users`, { name: 'victim', password: 'victim-password-1' });
  assert.equal(victim.status, 201);
  const clients = { anon: server.anon(), admin, ...users };

  // Annotations to reach by id: the manager's (two versions), gold and a prediction on a[0]; one on b[0].
  const put = async (c, url, v, d) => {
    const r = await c.put(url, d, { headers: { 'If-Match': `"${v}"` } });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    return r.json.id;
  };
  const ann = {};
  ann.mgrA = await put(users.manager, `${P}/items/${a[0]}/annotations/mine`, 0, doc(1));
  await put(users.manager, `${P}/items/${a[0]}/annotations/mine`, 1, doc(2));
  ann.goldA = await put(admin, `${P}/items/${a[0]}/annotations/gold`, 0, doc(1));
  await put(admin, `${P}/items/${a[0]}/annotations/gold`, 1, doc(3));
  ann.predA = await put(admin, `${P}/items/${a[0]}/predictions/model1`, 0, doc(1));
  await put(admin, `${P}/items/${a[0]}/predictions/model1`, 1, doc(2));
  ann.b = await put(admin, `${P}/items/${b[0]}/annotations/mine`, 0, doc(1));
  await put(admin, `${P}/items/${b[0]}/annotations/mine`, 1, doc(2));
  const ja = await admin.post(`${P}/projects/${A}/exports`, {});
  const jb = await admin.post(`${P}/projects/${B}/exports`, {});
  assert.equal(ja.status, 202, ja.text);
  assert.equal(jb.status, 202, jb.text);
  const ca0 = await admin.post(`${P}/projects/${A}/quality/checks/jobs`, {});
  const cb0 = await admin.post(`${P}/projects/${B}/quality/checks/jobs`, {});
  assert.equal(ca0.status, 202, ca0.text);
  assert.equal(cb0.status, 202, cb0.text);
  const adminTok = await admin.bearer('admin-token');
  const mgrTok = await users.manager.bearer('manager-token');
  const ctx = {
    A, B, a, b, ann, admin, victim: victim.json.user.id, jobA: ja.json.job.id, jobB: jb.json.job.id,
    checkA: ca0.json.job.id, checkB: cb0.json.job.id,
    adminToken: adminTok.tokenId, mgrToken: mgrTok.tokenId,
  };

  const ca = await admin.post(`${P}/items/${a[0]}/comments`, { body: 'a' });
  const cb = await admin.post(`${P}/items/${b[0]}/comments`, { body: 'b' });
  assert.equal(ca.status, 201, ca.text);
  assert.equal(cb.status, 201, cb.text);
  ctx.commentA = ca.json.comment?.id ?? ca.json.id;
  ctx.commentB = cb.json.comment?.id ?? cb.json.id;

  for (const [p, key] of [[A, 'batchA'], [B, 'batchB']]) {
    const r = await admin.post(`${P}/projects/${p}/batches`, { name: 'mx', gold_first: 0, gold_rate: 0 });
    assert.equal(r.status, 201, r.text);
    ctx[key] = r.json.batches[0].id;
  }

  ctx.png = readFileSync(join(images, '000001.jpg'));
  const rows = matrix(ctx);

  const failures = [];
  let cells = 0;
  for (const row of rows) {
    for (const [col, expect] of Object.entries(row.cols)) {
      for (const role of ROLES) {
        const want = expect[R[role]];
        const r = await row.run(col, clients[role], role);
        cells++;
        const ok = Array.isArray(want) ? want.includes(r.status) : r.status === want;
        if (!ok) failures.push(`${row.route} [${col}] as ${role}: expected ${want}, got ${r.status} ${r.text.slice(0, 160)}`);
        if (r.status >= 400 && !(r.json && r.json.error && typeof r.json.error.code === 'string' && 'field' in r.json.error)) {
          failures.push(`${row.route} [${col}] as ${role}: ${r.status} without a JSON error body`);
        }
        if (r.headers.get('x-content-type-options') !== 'nosniff') failures.push(`${row.route}: no nosniff`);
      }
    }
  }
  t.diagnostic(`${rows.length} rows, ${cells} cells`);
  assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
  // Every route of routes.c has a row.
  const covered = new Set(rows.map((r) => r.route));
  const missing = routesOfTable().filter((r) => !covered.has(r));
  assert.deepEqual(missing, [], 'routes without a row in the authorization matrix');
  assert.ok(cells >= 300, `${cells} cells`);
});

test('what each role sees: lists, counts and hidden annotations', async (t) => {
  const server = await Server.create(t);
  const admin = await server.admin();
  const A = (await createProject(admin, 'alpha')).id;
  const B = (await createProject(admin, 'beta')).id;
  ingest(server.data, 'alpha', synthImages());
  const a = await itemIds(admin, A);
  const users = await makeUsers(server, admin, [
    { name: 'manager', roles: { [A]: 'manager' } },
    { name: 'annotator', roles: { [A]: 'annotator' } },
    { name: 'viewer', roles: { [A]: 'viewer' } },
    { name: 'outsider' },
  ]);
  const put = (c, url, d) => c.put(url, d, { headers: { 'If-Match': '0' } });
  assert.equal((await put(users.manager, `${P}/items/${a[0]}/annotations/mine`, doc(1))).status, 201);
  assert.equal((await put(admin, `${P}/items/${a[0]}/annotations/gold`, doc(1))).status, 201);
  assert.equal((await put(admin, `${P}/items/${a[0]}/predictions/m`, doc(1))).status, 201);

  // Projects: members see theirs, the outsider none, the admin all.
  const names = async (c) => (await c.get(`${P}/projects`)).json.projects.map((p) => p.id).sort();
  assert.deepEqual(await names(admin), [A, B]);
  assert.deepEqual(await names(users.manager), [A]);
  assert.deepEqual(await names(users.outsider), []);
  const me = (await users.viewer.get(`${P}/auth/me`)).json;
  assert.deepEqual(me.projects, [{ id: A, name: 'alpha', role: 'viewer' }]);
  assert.equal((await users.viewer.get(`${P}/projects/${A}`)).json.role, 'viewer');

  // An annotator with nothing assigned sees no items at all.
  const list = await users.annotator.get(`${P}/projects/${A}/items`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.items, []);
  assert.equal(list.json.next, null);
  assert.equal((await users.annotator.get(`${P}/projects/${A}/items/count`)).json.count, 0);
  assert.equal((await users.viewer.get(`${P}/projects/${A}/items/count`)).json.count, a.length);
  for (const path of [`/items/${a[0]}`, `/items/${a[0]}/media`, `/items/${a[0]}/annotations`,
    `/items/${a[0]}/annotations/mine`, `/items/${a[0]}/predictions/m`]) {
    const r = await users.annotator.get(P + path);
    assert.equal(r.status, 404, path);
  }
  const w = await users.annotator.put(`${P}/items/${a[0]}/annotations/mine`, doc(1), { headers: { 'If-Match': '0' } });
  assert.equal(w.status, 404);
  // TODO(workflow issue): with an assignment, the annotator's list holds
  // exactly the assigned items, and GET annotations shows its own manual
  // annotation and the predictions but no gold and nobody else's work.

  // Gold is hidden from viewers in the list; managers see every kind.
  const kinds = async (c) => (await c.get(`${P}/items/${a[0]}/annotations`)).json.annotations.map((x) => x.kind).sort();
  assert.deepEqual(await kinds(users.manager), ['gold', 'manual', 'prediction']);
  assert.deepEqual(await kinds(admin), ['gold', 'manual', 'prediction']);
  assert.deepEqual(await kinds(users.viewer), ['manual', 'prediction']);
  // ... and what a viewer's list shows, the viewer can open.
  for (const x of (await users.viewer.get(`${P}/items/${a[0]}/annotations`)).json.annotations) {
    const r = await users.viewer.get(`${P}/items/${a[0]}/annotations/${x.id}`);
    assert.equal(r.status, 200, `viewer opens the ${x.kind} annotation it is listed: ${r.text}`);
  }
  // Predictions are written by managers only; a viewer cannot even read gold.
  assert.equal((await users.viewer.get(`${P}/items/${a[0]}/annotations/gold`)).status, 403);

  // Tokens of others are neither listed nor revocable.
  const t1 = await users.manager.bearer('mine');
  const toks = (await users.viewer.get(`${P}/auth/tokens`)).json.tokens;
  assert.ok(!toks.some((x) => x.id === t1.tokenId));
  assert.equal((await users.viewer.del(`${P}/auth/tokens/${t1.tokenId}`)).status, 404);
  assert.equal((await t1.get(`${P}/auth/me`)).status, 200, 'the token still works');

  // A removed member loses access at once.
  const vid = users.viewer.user.id;
  assert.equal((await users.manager.del(`${P}/projects/${A}/members/${vid}`)).status, 204);
  assert.equal((await users.viewer.get(`${P}/projects/${A}`)).status, 404);
  // A deactivated user's session stops working.
  assert.equal((await admin.patch(`${P}/users/${users.outsider.user.id}`, { active: false })).status, 200);
  assert.equal((await users.outsider.get(`${P}/auth/me`)).status, 401);
});
