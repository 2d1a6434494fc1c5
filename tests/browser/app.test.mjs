// The app pages in a real browser (headless Debian Chromium through
// playwright-core) against a real `cairn serve`: sign-in, projects, schema
// with live validation and versions, guidelines, members, upload and the
// item browser, export jobs, API tokens, roles, keyboard use, and an
// expired session. Screenshots of every page go to build/screenshots/app-*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, signIn, shot } from './lib.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Server, synthImages, makeUsers, createProject, demoSchema, tool, ingest } from '../system/server.lib.mjs';

const P = '/api/v1';
let server; let browser; let admin; let users; let demo; let many;

// The browser logs every 4xx answer as a console error ("Failed to load
// resource"). The app asks /auth/me when it starts (401 when signed out),
// and a wrong password or an expired session answers 401 by design; a test
// that sends a bad schema on purpose expects its 400. Those lines are not
// script errors; everything else (exceptions, other statuses) fails.
const realErrors = (page, expected = [401]) => page.jsErrors.filter((e) => {
  const m = e.match(/^Failed to load resource: the server responded with a status of (\d+)/);
  return !(m && expected.includes(Number(m[1])));
});

before(async () => {
  server = await Server.create(null);
  browser = await launch();
  admin = await server.admin();
  const schema = structuredClone(demoSchema);
  schema.guidelines = '# Rules\n\nBox **every** shape, see [the docs](https://example.com/docs).\n\n'
    + '- one <script>window.pwned = 1</script>\n- two [bad](javascript:window.pwned=2) `code`\n';
  demo = await createProject(admin, 'demo', schema);
  users = await makeUsers(server, admin, [{ name: 'vera', roles: { [demo.id]: 'viewer' } }, { name: 'carol' }]);
  // A project with more items than one page of the item list.
  many = await createProject(admin, 'many');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-many-'));
  tool(['synth', join(dir, 's'), '--images', '130', '--objects', '1', '--seed', '3', '--size', '24x16']);
  ingest(server.data, 'many', join(dir, 's', 'images'));
  rmSync(dir, { recursive: true, force: true });
});

after(async () => {
  await shared?.context().close();
  await browser?.close();
  if (server?.proc) await server.stop();
});

// One signed-in administrator's page, shared by the tests that need one
// (signing in costs an Argon2id hash); each test starts from the projects.
let shared = null;
async function adminPage() {
  if (!shared) {
    shared = await openPage(browser, server.url);
    await signIn(shared, 'admin', server.adminPassword);
  } else {
    await shared.goto('/#/projects');
  }
  await shared.getByRole('heading', { name: 'Projects' }).waitFor();
  shared.jsErrors.length = 0;
  return shared;
}

test('sign-in: a wrong password shows the error; the right one opens the projects', async () => {
  const page = await openPage(browser, server.url);
  await page.goto('/');
  await page.getByLabel('User name').waitFor();
  await shot(page, 'app-signin');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
  await shot(page, 'app-signin-error');
  await page.getByLabel('Password').fill(server.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'demo' }).waitFor();
  // Progress fills in once the counts arrive.
  await page.getByRole('progressbar', { name: 'demo: labelled items' }).waitFor();
  await shot(page, 'app-projects');
  assert.deepEqual(realErrors(page), []);
  shared = page; // the later tests go on as this administrator
});

test('create a project: a schema error is shown at its path, then the project is made', async () => {
  const page = await adminPage();
  await page.getByRole('link', { name: 'New project' }).click();
  await page.getByLabel('Name', { exact: true }).fill('birds');
  await page.getByLabel('Start from a template').selectOption('segmentation');
  const ta = page.getByLabel('Schema (JSON)');
  const bad = (await ta.inputValue()).replace('"polygon",\n        "mask"', '"polygon",\n        "hexagon"');
  await ta.fill(bad);
  await page.getByRole('button', { name: 'Create project' }).click();
  const err = page.locator('ul.errors li').first();
  await err.waitFor();
  const text = await err.textContent();
  assert.match(text, /\$\.labels\[0\]\.shapes\[1\]/);
  assert.match(text, /line \d+/);
  assert.match(text, /hexagon/);
  // Activating the error selects the bad value in the editor.
  await err.getByRole('button').click();
  const sel = await ta.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd));
  assert.equal(sel, '"hexagon"');
  await shot(page, 'app-create-error');
  await ta.fill(bad.replace('"hexagon"', '"mask"'));
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'birds' }).waitFor();
  await page.getByRole('caption').filter({ hasText: 'Per label' }).waitFor();
  await page.locator('td', { hasText: 'vegetation' }).waitFor();
  await shot(page, 'app-overview-empty');
  const r = await admin.get(`${P}/projects`);
  assert.ok(r.json.projects.some((p) => p.name === 'birds'));
  assert.deepEqual(realErrors(page, [401, 400]), []);
});

test('data: upload images with progress, see thumbnails, filter and search', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${demo.id}/data`);
  const dir = synthImages();
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => join(dir, f));
  assert.equal(files.length, 6);
  await page.getByLabel('Images or a zip of images').setInputFiles(files);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByText('Done: 6 added, 0 already there, 0 refused.').waitFor();
  assert.equal(await page.getByRole('progressbar', { name: 'Upload progress' }).getAttribute('aria-valuenow'),
    String(files.reduce((n, f) => n + statSync(f).size, 0)));
  await page.getByText('6 items').waitFor();
  // Every thumbnail decoded.
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.cell img')];
    return imgs.length === 6 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  await shot(page, 'app-data');

  // One item in progress (a saved draft), then filter by status.
  const items = (await admin.get(`${P}/projects/${demo.id}/items?limit=10`)).json.items;
  const third = items.find((i) => i.name.endsWith('000003.jpg'));
  const put = await admin.put(`${P}/items/${third.id}/annotations/mine`,
    { format: 1, objects: [{ id: 'x0', label: 'rectangle', type: 'box', points: [1, 1, 9, 9], attributes: { color: 'red' } }] },
    { headers: { 'If-Match': '0' } });
  assert.equal(put.status, 201, put.text);
  await page.getByLabel('Status').selectOption('in_progress');
  await page.getByText('1 item', { exact: true }).waitFor();
  assert.equal(await page.locator('a.cell').count(), 1);
  assert.match(page.url(), /status=in_progress/);
  await page.getByLabel('Status').selectOption('');
  await page.getByText('6 items').waitFor();
  await page.getByLabel('Search names').fill('000005');
  await page.getByText('1 item', { exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('a.cell').length === 1);
  assert.match(await page.locator('a.cell').getAttribute('href'), new RegExp(`^/label\\.html#project=${demo.id}&item=\\d+$`));
  await page.getByLabel('Search names').fill('');
  await page.getByLabel('Label').selectOption('rectangle');
  await page.getByText('1 item', { exact: true }).waitFor();
  await shot(page, 'app-data-filtered');
  // The filter survives a reload (it lives in the URL).
  await page.reload();
  await page.getByText('1 item', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Label').inputValue(), 'rectangle');

  // Overview and queue with data in them.
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.locator('td', { hasText: 'person' }).waitFor();
  await shot(page, 'app-overview');
  await page.getByRole('link', { name: 'My queue' }).click();
  const start = page.getByRole('link', { name: 'Start labelling' });
  assert.equal(await start.getAttribute('href'), `/label.html#project=${demo.id}`);
  await page.getByRole('link', { name: /^Open / }).first().waitFor();
  assert.match(await page.getByRole('link', { name: /^Open / }).first().getAttribute('href'), new RegExp(`^/label\\.html#project=${demo.id}&item=\\d+$`));
  await shot(page, 'app-queue');
  assert.deepEqual(realErrors(page), []);
});

test('data: the grid pages through the items by cursor as it scrolls and keeps only what is in view', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${many.id}/data`);
  await page.getByText('130 items').waitFor();
  await page.locator('a.cell').first().waitFor();
  const firstCount = await page.locator('.cell').count();
  assert.ok(firstCount < 100, `${firstCount} cells drawn for the first screen`);
  // Scroll to the end: the next pages load, the last item appears, and the
  // grid still holds about one screen of cells.
  for (let i = 0; i < 12; i++) {
    await page.locator('.grid-scroll').evaluate((e) => { e.scrollTop = e.scrollHeight; });
    if (await page.locator('a.cell', { hasText: '000130.jpg' }).count()) break;
    await page.waitForTimeout(250);
  }
  await page.locator('a.cell', { hasText: '000130.jpg' }).waitFor();
  const endCount = await page.locator('.cell').count();
  assert.ok(endCount < 100, `${endCount} cells drawn at the end`);
  await shot(page, 'app-data-scrolled');
  assert.deepEqual(realErrors(page), []);
});

test('schema: live validation as one types, save makes a new version in the history; guidelines render safely', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${demo.id}/schema`);
  const ta = page.getByLabel(/^Schema \(JSON\)/);
  await page.getByText('Valid schema.').waitFor();
  const good = await ta.inputValue();
  await ta.fill(good.replace('"name": "ellipse"', '"name": "ellipse", "colour": "#00ff00"'));
  const err = page.locator('ul.errors li').first();
  await err.waitFor();
  assert.match(await err.textContent(), /\$\.labels\[1\].*colour/);
  await err.getByRole('button').click();
  assert.equal(await ta.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd)), '"colour"');
  await shot(page, 'app-schema-error');
  await ta.fill(good.replace('"An axis-aligned filled rectangle."', '"A filled rectangle, axis-aligned."'));
  await page.getByText('Valid schema.').waitFor();
  await page.getByLabel('Message').fill('reword rectangle');
  await page.getByRole('button', { name: 'Save as new version' }).click();
  await page.getByText('Saved as version 2.').waitFor();
  await page.getByRole('cell', { name: 'reword rectangle', exact: true }).waitFor();
  await page.getByRole('button', { name: 'View 1' }).click();
  await page.getByRole('heading', { name: 'Version 1' }).waitFor();
  await shot(page, 'app-schema');
  const v = await admin.get(`${P}/projects/${demo.id}/schema/versions`);
  assert.deepEqual(v.json.versions.map((x) => x.version), [2, 1]);

  await page.getByRole('link', { name: 'Guidelines' }).click();
  const md = page.locator('article.markdown');
  await md.getByRole('heading', { name: 'Rules' }).waitFor();
  assert.equal(await md.locator('strong').first().textContent(), 'every');
  assert.equal(await md.locator('script').count(), 0);
  assert.match(await md.textContent(), /<script>window\.pwned = 1<\/script>/);
  const hrefs = await md.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, ['https://example.com/docs']);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await shot(page, 'app-guidelines');
  // A manager edits them with a live preview; saving makes schema version 3.
  await page.getByRole('button', { name: 'Edit guidelines' }).click();
  const src = page.getByLabel('Guidelines (Markdown)');
  await src.fill(`${await src.inputValue()}\n## Added\n\nMark *partly hidden* shapes as occluded.\n`);
  await page.getByLabel('Preview').getByRole('heading', { name: 'Added' }).waitFor();
  await shot(page, 'app-guidelines-edit');
  await page.getByRole('button', { name: 'Save guidelines' }).click();
  await page.getByText('Saved as schema version 3.').waitFor();
  await md.getByRole('heading', { name: 'Added' }).waitFor();
  assert.match((await admin.get(`${P}/projects/${demo.id}/schema`)).json.schema.guidelines, /## Added/);
  assert.deepEqual(realErrors(page), []);
});

test('members: add a member with a role', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${demo.id}/members`);
  await page.getByRole('cell', { name: 'vera', exact: true }).waitFor();
  await page.getByLabel('User', { exact: true }).selectOption({ label: 'carol' });
  await page.getByLabel('Role', { exact: true }).selectOption('annotator');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByText('Added carol as annotator.').waitFor();
  assert.equal(await page.getByLabel('Role of carol').inputValue(), 'annotator');
  await shot(page, 'app-members');
  const m = await admin.get(`${P}/projects/${demo.id}/members`);
  assert.ok(m.json.members.some((x) => x.name === 'carol' && x.role === 'annotator'));
  assert.deepEqual(realErrors(page), []);
});

test('members: remove a member, after confirming; cancelling the question keeps them', async () => {
  const page = await adminPage();
  await makeUsers(server, admin, [{ name: 'dora', roles: { [demo.id]: 'reviewer' } }]);
  await page.goto(`/#/projects/${demo.id}/members`);
  await page.getByRole('cell', { name: 'dora', exact: true }).waitFor();
  const members = async () => (await admin.get(`${P}/projects/${demo.id}/members`)).json.members.map((x) => x.name);
  // Dismissing the confirmation removes nobody.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: 'Remove dora' }).click();
  await page.getByRole('cell', { name: 'dora', exact: true }).waitFor();
  assert.ok((await members()).includes('dora'));
  // Accepting it removes dora, on the server too, and only dora.
  const before = await members();
  page.once('dialog', (d) => { assert.match(d.message(), /Remove dora from this project\?/); d.accept(); });
  await page.getByRole('button', { name: 'Remove dora' }).click();
  await page.getByText('dora removed.').waitFor();
  await page.getByRole('cell', { name: 'dora', exact: true }).waitFor({ state: 'detached' });
  assert.deepEqual(await members(), before.filter((n) => n !== 'dora'));
  await shot(page, 'app-members-removed');
  assert.deepEqual(realErrors(page), []);
});

test('import and export: background jobs with progress; download the export', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${demo.id}/jobs`);
  await page.getByRole('button', { name: 'Start export' }).click();
  const download = page.getByRole('link', { name: /^Download export/ });
  await download.waitFor({ timeout: 20000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), download.click()]);
  const path = await dl.path();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.ok(lines.length >= 6, `${lines.length} lines exported`);
  assert.ok(dl.suggestedFilename().length > 0);

  // Import: the COCO file of the uploaded images, as gold, through the form.
  await page.getByLabel('Dataset').setInputFiles(join(synthImages(), '..', 'annotations', 'instances.json'));
  await page.getByLabel('Import as').selectOption('gold');
  const importForm = page.getByRole('form', { name: 'Import' });
  await page.getByRole('button', { name: 'Start import' }).click();
  await page.getByText(/^Choose the format of instances\.json/).waitFor();
  await importForm.getByLabel('Format').selectOption('coco');
  await page.getByRole('button', { name: 'Start import' }).click();
  await page.getByText(/^Import job \d+ started/).waitFor();
  const row = page.locator('tr', { hasText: 'import (coco)' });
  await row.locator('.status', { hasText: /^(done|failed|cancelled)$/ }).waitFor({ timeout: 20000 });
  assert.equal(await row.locator('.status').textContent(), 'done', await row.textContent());
  await shot(page, 'app-jobs');
  assert.deepEqual(realErrors(page), []);
});

test('import and export: cancel a queued job from the jobs page, with the keyboard', async () => {
  // One runner thread takes jobs in order: behind a long import (a COCO
  // file of 100,000 boxes on the 130 items, sent through the API), the
  // export started from the page stays queued, so its Cancel button is
  // there to press.
  const items = (await admin.get(`${P}/projects/${many.id}/items?limit=1000`)).json.items;
  const coco = { images: items.map((it, i) => ({ id: i + 1, file_name: it.name, width: it.width, height: it.height })),
    categories: [{ id: 1, name: 'person' }], annotations: [] };
  for (let i = 0; i < 100000; i++) {
    coco.annotations.push({ id: i + 1, image_id: (i % items.length) + 1, category_id: 1, bbox: [i % 7, i % 5, 3, 2], area: 6, iscrowd: 0 });
  }
  const imp = await admin.post(`${P}/projects/${many.id}/imports?format=coco&as=prediction`, Buffer.from(JSON.stringify(coco)), { headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(imp.status, 202, imp.text);
  const page = await adminPage();
  await page.goto(`/#/projects/${many.id}/jobs`);
  await page.getByRole('button', { name: 'Start export' }).click();
  const started = await page.getByText(/^Export job \d+ started/).textContent();
  const last = Number(started.match(/\d+/)[0]);
  const ids = [imp.json.job.id];
  const button = page.getByRole('button', { name: `Cancel export ${last}`, exact: true });
  await button.focus();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Cancel export ${last}`);
  // The table is redrawn while jobs run: the focus stays on the button.
  await page.waitForTimeout(1600);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Cancel export ${last}`, 'the focus survives the table\'s refresh');
  await shot(page, 'app-jobs-cancel-focus');
  await page.keyboard.press('Enter');
  const row = page.locator(`tr[data-job="${last}"]`);
  await row.locator('.status', { hasText: /^(cancelled|cancelling)$/ }).waitFor({ timeout: 20000 });
  // Once the cancel is asked for, the row has no Cancel button and says so.
  assert.equal(await row.getByRole('button', { name: /^Cancel/ }).count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.closest('tr')?.dataset.job), String(last), 'the focus stays on the cancelled job\'s row');
  let job;
  for (let t = 0; t < 200; t++) {
    job = (await admin.get(`${P}/projects/${many.id}/jobs/${last}`)).json.job;
    if (['done', 'failed', 'cancelled'].includes(job.state)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(job.state, 'cancelled', JSON.stringify(job));
  assert.equal(job.cancel_requested, true);
  await row.locator('.status', { hasText: /^cancelled$/ }).waitFor({ timeout: 20000 });
  await shot(page, 'app-jobs-cancelled');
  // The import is cancelled through the API (if it has not ended: then the
  // answer is a 409), so that later tests do not wait behind it.
  for (const id of ids) await admin.post(`${P}/projects/${many.id}/jobs/${id}/cancel`, {});
  assert.deepEqual(realErrors(page), []);
});

test('account: create an API token (shown once), use it, revoke it; change the password', async () => {
  const page = await adminPage();
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Token name').fill('ci script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByLabel('New token').inputValue();
  assert.match(secret, /^cairn_/);
  const asToken = await fetch(`${server.url}${P}/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(asToken.status, 200);
  await page.getByRole('cell', { name: 'ci script', exact: true }).waitFor();
  await shot(page, 'app-account');
  await page.getByRole('button', { name: 'Revoke ci script' }).click();
  await page.getByText('Token ci script revoked.').waitFor();
  await page.getByRole('cell', { name: 'ci script', exact: true }).waitFor({ state: 'detached' });
  const after = await fetch(`${server.url}${P}/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(after.status, 401);

  // carol changes her password through the form.
  const p2 = await openPage(browser, server.url);
  await signIn(p2, 'carol', users.carol.password);
  await p2.getByRole('link', { name: 'Account' }).click();
  await p2.getByLabel('Current password').fill(users.carol.password);
  await p2.getByLabel('New password', { exact: true }).fill('a-brand-new-pass-42');
  await p2.getByLabel('New password again').fill('a-brand-new-pass-42');
  await p2.getByRole('button', { name: 'Change password' }).click();
  await p2.getByText('Password changed.').waitFor();
  const relog = await server.anon().login('carol', 'a-brand-new-pass-42');
  assert.equal(relog.status, 200);
  assert.deepEqual(realErrors(page), []);
  assert.deepEqual(realErrors(p2), []);
  await p2.context().close();
});

test('a viewer does not see manager-only controls', async () => {
  const page = await openPage(browser, server.url);
  await signIn(page, 'vera', users.vera.password);
  await page.getByRole('link', { name: 'demo' }).click();
  await page.getByRole('heading', { name: 'demo' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'New project' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Import & export' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Start labelling' }).count(), 0);
  // Viewers may list batches (read only): the tab is there.
  assert.equal(await page.getByRole('link', { name: 'Batches' }).count(), 1);
  await page.getByRole('link', { name: 'Data' }).click();
  await page.getByText(/\d+ items/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).count(), 0);
  await shot(page, 'app-viewer-data');
  await page.getByRole('link', { name: 'Schema' }).click();
  await page.getByText('Read only: your role cannot change the schema.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save as new version' }).count(), 0);
  assert.equal(await page.getByLabel(/^Schema \(JSON\)/).getAttribute('readonly'), '');
  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByRole('cell', { name: 'vera', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Add member' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /^Remove / }).count(), 0);
  await page.getByRole('link', { name: 'Guidelines' }).click();
  await page.locator('article.markdown h2').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Edit guidelines' }).count(), 0);
  await shot(page, 'app-viewer-schema');
  // Signing out brings the sign-in form back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('dialog').getByLabel('User name').waitFor();
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

// Presses Tab until the focused element matches; returns how many presses.
async function tabTo(page, test, limit = 40) {
  for (let i = 1; i <= limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(test)) return i;
  }
  throw new Error(`not reached in ${limit} Tab presses`);
}

test('keyboard only: sign in, open a project, its data, move in the grid, with visible focus', async () => {
  const page = await openPage(browser, server.url);
  await page.goto('/');
  await page.getByLabel('User name').waitFor();
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(server.adminPassword);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  await page.getByRole('link', { name: 'demo' }).waitFor();
  await tabTo(page, () => document.activeElement?.textContent === 'demo');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused link shows a focus ring');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'demo' }).waitFor();
  await tabTo(page, () => document.activeElement?.textContent === 'Data');
  await page.keyboard.press('Enter');
  await page.getByText(/\d+ items/).waitFor();
  await page.locator('a.cell').first().waitFor();
  // Search is reachable, then the grid; arrows move inside the grid.
  await tabTo(page, () => document.activeElement?.getAttribute('aria-label') === null && document.activeElement?.name === 'q');
  await tabTo(page, () => document.activeElement?.classList.contains('cell'));
  const first = await page.evaluate(() => document.activeElement.dataset.i);
  await page.keyboard.press('ArrowRight');
  const second = await page.evaluate(() => document.activeElement.dataset.i);
  assert.equal(Number(second), Number(first) + 1);
  await shot(page, 'app-keyboard');
  // The header links are reachable too (Shift+Tab back to Account).
  await page.keyboard.press('Shift+Tab');
  for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Account'; i++) await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Account');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Account' }).waitFor();
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('an expired session brings back sign-in, and the page goes on where it was', async () => {
  const page = await adminPage();
  await page.goto(`/#/projects/${demo.id}/members`);
  await page.getByRole('cell', { name: 'vera', exact: true }).waitFor();
  // The session ends (as if it expired): the next request answers 401.
  await page.context().clearCookies();
  await page.getByRole('link', { name: 'Account' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('User name').waitFor();
  assert.equal(await dialog.getByLabel('User name').inputValue(), 'admin');
  await shot(page, 'app-session-expired');
  await dialog.getByLabel('Password').fill(server.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await page.getByRole('cell', { name: 'ci script' }).or(page.getByText('No API tokens.')).first().waitFor();
  assert.match(page.url(), /#\/account$/);
  // What was typed survives: the write is retried after signing in again.
  await page.getByLabel('Token name').fill('kept across sign-in');
  await page.context().clearCookies();
  await page.getByRole('button', { name: 'Create token' }).click();
  await dialog.getByLabel('Password').fill(server.adminPassword);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByLabel('New token').inputValue(), /^cairn_/);
  await page.getByRole('cell', { name: 'kept across sign-in', exact: true }).waitFor();
  assert.deepEqual(realErrors(page), []);
});
