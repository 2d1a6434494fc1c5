// The quality dashboards in a real browser against a real server, on the
// project of tests/system/quality.lib.mjs (three annotators, tags and
// boxes, a batch, one item saved a day earlier): every chart and table
// must show the numbers the API returns for the same request; the
// confusion matrix follows the chosen annotators; check results link to
// the item in the editor; the page works from the keyboard and hides what
// a viewer may not read. Screenshot: build/screenshots/quality-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { launch, openPage, signIn, shot } from './lib.mjs';
import { setup } from '../system/quality.lib.mjs';

let ctx; let browser;
const STATUSES = ['new', 'in_progress', 'annotated', 'reviewed', 'rejected', 'done', 'skipped'];
const fmt3 = (v) => (v === null || v === undefined ? 'n/a' : (Math.round(v * 1000) / 1000).toFixed(3));

before(async () => {
  ctx = await setup(null);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (ctx?.server?.proc) await ctx.server.stop();
  if (ctx?.server?.dir) rmSync(ctx.server.dir, { recursive: true, force: true });
});

// 4xx answers the page asks for on purpose are not script errors.
const realErrors = (page) => page.jsErrors.filter((e) => !/^Failed to load resource: the server responded with a status of 401/.test(e));

test('a reviewer sees the API numbers in every chart, picks annotators, and follows a finding to the editor', async () => {
  const { server, P, users } = ctx;
  const api = users.ann;
  const Q = `/api/v1/projects/${P}/quality`;
  const page = await openPage(browser, server.url, { viewport: { width: 1280, height: 1000 } });
  await signIn(page, 'ann', users.ann.password);
  await page.goto(`/#/projects/${P}`);
  // The tab is in the project's navigation; reach it and open it.
  const tab = page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Quality' });
  await tab.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/quality$/);
  await page.locator('[data-slot=agreement] [data-stat=value]').waitFor();
  await page.locator('[data-matrix=labels]').waitFor();

  // Progress: one stacked bar per batch, its parts the counts by status.
  const pr = (await api.get(`${Q}/progress`)).json;
  const bars = page.locator('.stack-item');
  assert.equal(await bars.count(), pr.batches.length);
  const b = pr.batches[0];
  assert.equal(await bars.first().getAttribute('data-parts'), STATUSES.map((s) => b.by_status[s]).join(','));
  assert.match(await bars.first().textContent(), new RegExp(`${b.submitted} of ${b.needed}`));

  // Classes: one bar per label with its object count, printed.
  const cl = (await api.get(`${Q}/classes`)).json;
  const items = page.locator('[data-slot=classes] .bar-item');
  assert.equal(await items.count(), cl.labels.length);
  for (let i = 0; i < cl.labels.length; i++) {
    const it = items.nth(i);
    assert.equal(await it.getAttribute('data-label'), cl.labels[i].name);
    assert.equal(Number(await it.getAttribute('data-value')), cl.labels[i].objects);
    assert.equal(await it.locator('text.value').textContent(), String(cl.labels[i].objects));
  }
  assert.ok(await page.getByRole('img', { name: /Objects per label/ }).isVisible());

  // Agreement (alpha by default, day windows, 200 resamples): the headline
  // value and every point over time.
  const ag = (await api.get(`${Q}/agreement?metric=alpha&window=86400&bootstrap=200`)).json;
  assert.equal(await page.locator('[data-slot=agreement] [data-stat=value] .stat-value').textContent(), fmt3(ag.categorical.value));
  const pts = page.locator('[data-chart=categorical-time] .point');
  assert.equal(await pts.count(), ag.categorical.by_window.length);
  for (let i = 0; i < ag.categorical.by_window.length; i++) {
    const w = ag.categorical.by_window[i];
    assert.equal(Number(await pts.nth(i).getAttribute('data-t')), w.start);
    assert.equal(await pts.nth(i).locator('text.value').textContent(), fmt3(w.value));
  }
  assert.equal(await page.locator('[data-slot=agreement] [data-stat=f1] .stat-value').textContent(), fmt3(ag.spatial.overall.iou50.f1));
  // Object F1 over time: the windows whose items had boxes to match.
  const sw = ag.spatial.by_window.filter((w) => w.agreement.iou50.f1 !== null);
  const spts = page.locator('[data-chart=spatial-time] .point text.value');
  assert.deepEqual(await spts.allTextContents(), sw.map((w) => fmt3(w.agreement.iou50.f1)));
  const pairRows = page.locator('[data-table=by-pair] tbody tr');
  assert.equal(await pairRows.count(), ag.categorical.by_pair.length);

  // Percent agreement by the form: the value changes to the API's.
  await page.getByLabel('Metric').selectOption('percent');
  await page.getByRole('button', { name: 'Show' }).click();
  const pc = (await api.get(`${Q}/agreement?metric=percent&window=86400&bootstrap=200`)).json;
  await page.locator('[data-slot=agreement] [data-stat=value] .stat-value', { hasText: fmt3(pc.categorical.value) }).waitFor();

  // Confusion: the first pair (ann, ben) at first; then ann against cal.
  const cells = async (kind) => page.locator(`[data-matrix=${kind}] td`).evaluateAll((tds) => tds.map((td) => Number(td.dataset.count)));
  const cab = (await api.get(`${Q}/confusion?a=ann&b=ben`)).json;
  assert.deepEqual(await cells('labels'), cab.item_labels.matrix.flat());
  await page.getByLabel('Annotator B (columns)').selectOption('cal');
  await page.getByRole('button', { name: 'Compare' }).click();
  const cac = (await api.get(`${Q}/confusion?a=ann&b=cal`)).json;
  await page.locator('[data-slot=confusion] .hint', { hasText: 'against cal' }).waitFor();
  assert.deepEqual(await cells('labels'), cac.item_labels.matrix.flat());
  assert.deepEqual(await cells('objects'), cac.objects.matrix.flat());

  // The annotator table: one row per annotator of the API's table.
  const tab2 = (await api.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  assert.equal(await page.locator('[data-table=annotators] tbody tr').count(), tab2.length);

  // Checks: run them from the keyboard; each finding links to the editor.
  await page.getByRole('button', { name: 'Run checks' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-table=findings]').waitFor();
  const ck = (await api.get(`${Q}/checks?limit=500`)).json;
  assert.equal(await page.locator('[data-table=findings] tbody tr').count(), ck.findings.length);
  const oob = ck.findings.find((f) => f.object === 'oob');
  const link = page.getByRole('link', { name: `item ${oob.item_id}, object oob` });
  assert.equal(await link.getAttribute('href'), oob.link);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: await shot(page, 'quality-dashboard'), fullPage: true });
  assert.deepEqual(realErrors(page), []);

  // The link opens the editor on that item.
  await link.click();
  await page.waitForURL(new RegExp(`label\\.html#project=${P}&item=${oob.item_id}`));
  // ... with the finding's object selected in the object list.
  await page.locator('#obj-list li.selected button.obj[data-id=oob]').waitFor();
  await page.context().close();
});

test('a viewer sees progress and classes only', async () => {
  const { server, P, users } = ctx;
  const page = await openPage(browser, server.url);
  await signIn(page, 'viv', users.viv.password);
  await page.goto(`/#/projects/${P}/quality`);
  await page.locator('[data-slot=classes] .bar-item').first().waitFor();
  assert.equal(await page.locator('[data-slot=agreement]').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Run checks' }).count(), 0);
  assert.ok(await page.getByRole('heading', { name: 'Progress per batch' }).isVisible());
  // The annotator table is not the viewer's: no section, no request.
  assert.equal(await page.locator('[data-slot=annotators]').count(), 0);
  await shot(page, 'quality-viewer');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('a manager builds the consensus from the page; the classes chart counts its objects', async () => {
  const { server, P, admin } = ctx;
  const page = await openPage(browser, server.url);
  await signIn(page, 'admin', server.adminPassword);
  await page.goto(`/#/projects/${P}/quality`);
  await page.getByLabel('Minimum agreement').fill('0.7');
  await page.getByRole('button', { name: 'Build consensus' }).click();
  const done = page.locator('[data-stat=consensus]');
  await done.waitFor({ timeout: 30000 });
  // As in the system test: items 0-2 saved; items 0 and 3 for review; item 4 alone.
  assert.equal(await done.textContent(), '3 saved, 2 for review, 1 with too few annotators.');
  const jobs = (await admin.get(`/api/v1/projects/${P}/jobs`)).json.jobs;
  assert.equal(jobs.filter((j) => j.kind === 'consensus' && j.state === 'done').length, 1);
  // The class chart now includes the consensus tags (three more, all cats and dogs).
  const cl = (await admin.get(`/api/v1/projects/${P}/quality/classes`)).json;
  await page.locator(`[data-slot=classes] .bar-item[data-label=cat][data-value="${cl.labels.find((l) => l.name === 'cat').objects}"]`).waitFor();
  // Items 0 and 3 disagree: they go first in review.
  assert.equal(await page.locator('[data-stat=review-first]').textContent(),
    '2 items go first in review (object F1@0.5 under 0.8 or annotators disagreeing on the label).');
  // The annotator table now compares each annotator with the consensus,
  // as the API does.
  const tab = (await admin.get(`/api/v1/projects/${P}/stats/annotators`)).json.annotators;
  const cal = tab.find((x) => x.name === 'cal');
  assert.ok(cal.consensus.items > 0);
  const calRow = page.locator(`[data-table=annotators] tr[data-user="${cal.user}"]`);
  await calRow.locator('[data-col=cons-labels]', { hasText: ` of ${cal.consensus.tag_items}` }).waitFor();
  const pctOf = (v) => `${Math.round(v * 1000) / 10}%`;
  assert.equal(await calRow.locator('[data-col=cons-labels]').textContent(), `${pctOf(cal.consensus.tag_agreement)} of ${cal.consensus.tag_items}`);
  assert.equal(await calRow.locator('[data-col=cons-f1]').textContent(),
    cal.consensus.f1_50 === null ? 'n/a' : `${(Math.round(cal.consensus.f1_50 * 1000) / 1000).toFixed(3)} over ${cal.consensus.object_items}`);
  // The checks as a background job: the summary and the findings, as the job's API pages them.
  await page.getByRole('button', { name: 'Run in the background' }).click();
  const shown = page.locator('[data-stat=check-job-shown]');
  await shown.waitFor({ timeout: 30000 });
  const jobsNow = (await admin.get(`/api/v1/projects/${P}/jobs`)).json.jobs.filter((j) => j.kind === 'check');
  assert.equal(jobsNow.length, 1);
  const cj = (await admin.get(`/api/v1/projects/${P}/quality/checks/jobs/${jobsNow[0].id}?limit=200`)).json;
  assert.equal(await shown.textContent(), `${cj.findings.length} of ${cj.summary.total} shown.`);
  assert.equal(await page.locator('[data-table=findings] tbody tr').count(), cj.findings.length);
  await shot(page, 'quality-consensus-and-check-job');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

