// page_quality.js - the quality dashboards of a project: progress per
// batch, class distribution, agreement (overall, over time, per class and
// per pair), a confusion matrix between two chosen annotators, the
// annotator table and the automated checks with links into the editor.
// Every number comes from /projects/{p}/quality/... and stats/annotators
// (docs/api.md); the charts are our own SVG (chart.js). What a role sees
// follows the API: viewers get progress and classes, annotators also
// their own row of the table, reviewers and managers everything.
import { h, clear, field, select, statusLine, fmtNum, statusText } from './dom.js';
import { get, post, session } from './session.js';
import { barChart, stackedBars, lineChart, PALETTE } from './chart.js';
import { STATUSES } from './page_project.js';

const METRICS = [['alpha', "Krippendorff's alpha"], ['percent', 'Percent agreement'], ['fleiss', "Fleiss' kappa"],
  ['kappa', "Cohen's kappa (two annotators)"], ['gwet', "Gwet's AC1"]];
const WINDOWS = [['3600', 'Hour'], ['86400', 'Day'], ['604800', 'Week'], ['2592000', '30 days']];
// Status colours: the palette's, in an order where neighbours differ in lightness.
const STATUS_COLOURS = ['#999999', '#E69F00', '#56B4E9', '#009E73', '#D55E00', '#0072B2', '#CC79A7'];

export const fmt3 = (v) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : (Math.round(v * 1000) / 1000).toFixed(3));
const pct = (v) => (v === null || v === undefined ? 'n/a' : `${Math.round(v * 1000) / 10}%`);
const canReview = (role) => session.user?.admin || role === 'manager' || role === 'reviewer';

function section(id, title, ...kids) {
  return h('section', { class: 'card dash', 'aria-labelledby': id }, h('h2', { id }, title), ...kids);
}

export async function render(ctx) {
  const pid = ctx.projectId;
  const review = canReview(ctx.role);
  // Viewers do not read the annotator table; annotators read their own row.
  const labeller = review || ctx.role === 'annotator';
  const Q = `/projects/${pid}/quality`;
  const slots = {
    progress: h('div', { 'data-slot': 'progress' }, 'Loading…'),
    classes: h('div', { 'data-slot': 'classes' }, 'Loading…'),
    agreement: h('div', { 'data-slot': 'agreement' }),
    confusion: h('div', { 'data-slot': 'confusion' }),
    annotators: h('div', { 'data-slot': 'annotators' }, 'Loading…'),
    checks: h('div', { 'data-slot': 'checks' }),
  };
  const msg = statusLine();
  const metric = select(METRICS, ctx.params.get('metric') || 'alpha', { name: 'metric' });
  const win = select(WINDOWS, ctx.params.get('window') || '86400', { name: 'window' });
  const agreeForm = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); loadAgreement(); } },
    field('Metric', metric), field('Time window', win), h('button', { type: 'submit' }, 'Show'));
  const pa = select([], '', { name: 'a' });
  const pb = select([], '', { name: 'b' });
  const confForm = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); loadConfusion(); } },
    field('Annotator A (rows)', pa), field('Annotator B (columns)', pb), h('button', { type: 'submit' }, 'Compare'));
  const checkBtn = h('button', { type: 'button', class: 'primary', onclick: () => loadChecks() }, 'Run checks');
  const bgBtn = h('button', { type: 'button', onclick: () => runCheckJob() }, 'Run in the background');
  // Consensus (managers): a background job; its result lists what was saved.
  const cMethod = select([['majority', 'Majority vote'], ['dawid-skene', 'Dawid–Skene']], 'majority', { name: 'method' });
  const cMin = h('input', { name: 'min_agreement', type: 'number', min: 0, max: 1, step: 0.05, value: '0.5', size: 5 });
  const cDry = h('input', { type: 'checkbox', name: 'dry_run' });
  const cOut = h('div', { 'data-slot': 'consensus', role: 'status', 'aria-live': 'polite' });
  const consForm = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); runConsensus(); } },
    field('Method', cMethod), field('Minimum agreement', cMin, 'Items under it go to review.'),
    h('label', { class: 'check' }, cDry, ' dry run (save nothing)'),
    h('button', { type: 'submit', class: 'primary' }, 'Build consensus'));

  clear(ctx.main,
    h('div', { class: 'row head' }, h('h1', null, 'Quality')),
    msg,
    h('div', { class: 'dash-grid' },
      section('q-progress', 'Progress per batch', slots.progress),
      section('q-classes', 'Class distribution', slots.classes)),
    review ? section('q-agree', 'Agreement', agreeForm, slots.agreement) : null,
    review ? section('q-conf', 'Confusion between two annotators', confForm, slots.confusion) : null,
    labeller ? section('q-ann', review ? 'Annotators' : 'My figures', slots.annotators) : null,
    ctx.manage ? section('q-cons', 'Consensus', h('p', { class: 'hint' }, 'One consensus annotation per item with two or more annotators; each records the annotations it was built from.'), consForm, cOut) : null,
    review ? section('q-checks', 'Check results', h('p', { class: 'hint' }, 'Runs every rule of cairn check over the project; each finding links to the item in the editor. In the background: no limit on findings, listed a page at a time.'), h('div', { class: 'row' }, checkBtn, bgBtn), slots.checks) : null);

  const fail = (slot, e) => clear(slot, h('p', { class: 'msg error', role: 'alert' }, e.message || String(e)));

  async function loadProgress() {
    const r = await get(`${Q}/progress`);
    const rows = r.batches.map((b) => ({
      label: b.name, parts: STATUSES.map((s) => b.by_status[s] || 0),
      note: b.progress === null ? `${b.submitted} submitted` : `${b.submitted} of ${b.needed} (${pct(b.progress)})`,
    }));
    if (r.project && !r.batches.length) {
      rows.push({ label: 'all items', parts: STATUSES.map((s) => r.project.by_status[s] || 0), note: `${fmtNum(r.project.items)} items` });
    }
    const series = STATUSES.map((s, i) => ({ name: statusText(s), colour: STATUS_COLOURS[i], dark: i === 5 }));
    clear(slots.progress, rows.length
      ? stackedBars({ title: 'Items per status in each batch', desc: 'For each batch, its items by status, and the annotations submitted out of those it needs.', rows, series })
      : h('p', { class: 'empty' }, 'No batches yet.'));
  }

  async function loadClasses() {
    const r = await get(`${Q}/classes`);
    const sc = await get(`/projects/${pid}/schema`).catch(() => null);
    const colours = new Map((sc?.schema?.labels || []).map((l) => [l.name, l.color]));
    const rows = r.labels.map((l, i) => ({ label: l.name, value: l.objects, colour: colours.get(l.name) || PALETTE[i % PALETTE.length], items: l.items }));
    clear(slots.classes, r.objects
      ? [barChart({ title: 'Objects per label', desc: `${fmtNum(r.objects)} objects in all annotations.`, rows, fmt: fmtNum }),
        h('p', { class: 'hint' }, `${fmtNum(r.objects)} objects; items with each label: `,
          rows.map((x, i) => `${i ? ', ' : ''}${x.label} ${fmtNum(x.items)}`).join(''))]
      : h('p', { class: 'empty' }, 'No objects yet.'));
  }

  async function loadAgreement() {
    clear(slots.agreement, 'Computing…');
    const q = new URLSearchParams({ metric: metric.value, window: win.value, bootstrap: '200' });
    let r;
    try { r = await get(`${Q}/agreement?${q}`); } catch (e) { fail(slots.agreement, e); return; }
    if (!ctx.alive()) return;
    const c = r.categorical, sp = r.spatial;
    const kids = [];
    if (c) {
      const name = METRICS.find(([k]) => k === c.metric)?.[1] || c.metric;
      kids.push(h('div', { class: 'stats' },
        h('div', { class: 'stat', 'data-stat': 'value' }, h('div', { class: 'stat-value' }, fmt3(c.value)), h('div', { class: 'stat-label' }, `${name}, item labels`)),
        h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, c.ci95[0] === null ? 'n/a' : `${fmt3(c.ci95[0])} – ${fmt3(c.ci95[1])}`), h('div', { class: 'stat-label' }, '95% interval (bootstrap)')),
        h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, fmtNum(c.n_items_used)), h('div', { class: 'stat-label' }, 'items with 2+ labels')),
        h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, fmtNum(c.n_annotators)), h('div', { class: 'stat-label' }, 'annotators'))));
      if (c.by_window?.length) {
        kids.push(h('h3', null, 'Over time'), h('div', { 'data-chart': 'categorical-time' }, lineChart({
          title: `${name} per ${WINDOWS.find(([k]) => k === win.value)[1].toLowerCase()}`,
          desc: 'Agreement of the items whose labels were last saved in each window.',
          points: c.by_window.map((w) => ({ t: w.start, value: w.value, label: `${w.n_items_used} items` })),
          yMin: Math.min(0, ...c.by_window.map((w) => w.value ?? 0)), yMax: 1, fmt: fmt3,
          tfmt: (t) => (Number(win.value) < 86400 ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : new Date(t).toISOString().slice(0, 10)),
        })));
      }
      kids.push(h('div', { class: 'two-col even' },
        h('table', { class: 'grid-table', 'data-table': 'by-category' }, h('caption', null, 'Per class (Fleiss per-category kappa)'),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Label'), h('th', { scope: 'col', class: 'num' }, 'Share'), h('th', { scope: 'col', class: 'num' }, 'Kappa'))),
          h('tbody', null, c.by_category.map((x) => h('tr', null, h('td', null, x.label), h('td', { class: 'num' }, pct(x.share)), h('td', { class: 'num' }, fmt3(x.kappa)))))),
        h('table', { class: 'grid-table', 'data-table': 'by-pair' }, h('caption', null, 'Per annotator pair'),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Pair'), h('th', { scope: 'col', class: 'num' }, 'Items'), h('th', { scope: 'col', class: 'num' }, 'Agree'), h('th', { scope: 'col', class: 'num' }, "Cohen's kappa"))),
          h('tbody', null, (c.by_pair || []).map((x) => h('tr', null, h('td', null, `${x.a} – ${x.b}`), h('td', { class: 'num' }, fmtNum(x.n_items)), h('td', { class: 'num' }, pct(x.percent)), h('td', { class: 'num' }, fmt3(x.kappa))))))));
    } else {
      kids.push(h('p', { class: 'empty' }, 'No item labels (tags) to compare yet.'));
    }
    if (sp.items) {
      const o = sp.overall;
      kids.push(h('h3', null, 'Objects (spatial agreement)'),
        h('div', { class: 'stats' },
          h('div', { class: 'stat', 'data-stat': 'f1' }, h('div', { class: 'stat-value' }, fmt3(o.iou50.f1)), h('div', { class: 'stat-label' }, 'F1 at IoU 0.5')),
          h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, fmt3(o.mean_iou)), h('div', { class: 'stat-label' }, 'mean IoU of matches')),
          h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, fmt3(o.label_agreement)), h('div', { class: 'stat-label' }, 'same label among matches')),
          h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, fmtNum(sp.items)), h('div', { class: 'stat-label' }, 'items with 2+ annotators'))),
        barChart({ title: 'F1 at IoU 0.5 per class', rows: Object.entries(sp.by_class).map(([k, v]) => ({ label: k, value: v.iou50.f1 ?? 0 })), max: 1, fmt: fmt3 }));
      const sw = (sp.by_window || []).filter((w) => w.agreement.iou50.f1 !== null);
      if (sw.length) {
        kids.push(h('div', { 'data-chart': 'spatial-time' }, lineChart({
          title: 'Object F1 at IoU 0.5 over time',
          desc: 'Spatial agreement of the items whose annotations were last saved in each window.',
          points: sw.map((w) => ({ t: w.start, value: w.agreement.iou50.f1, label: `${w.items} items` })),
          yMin: 0, yMax: 1, fmt: fmt3, tfmt: (t) => new Date(t).toISOString().slice(0, Number(win.value) < 86400 ? 16 : 10).replace('T', ' '),
        })));
      }
    }
    clear(slots.agreement, kids);
    // The pair pickers: members who label, defaulting to the first pair.
    const names = new Set();
    for (const x of c?.by_pair || []) { names.add(x.a); names.add(x.b); }
    for (const x of sp.by_pair || []) { names.add(x.a); names.add(x.b); }
    const list = [...names].sort();
    if (list.length >= 2 && !pa.options.length) {
      for (const [sel, v] of [[pa, list[0]], [pb, list[1]]]) {
        sel.replaceChildren(...list.map((n) => h('option', { value: n, selected: n === v }, n)));
      }
      loadConfusion();
    } else if (list.length < 2 && !pa.options.length) {
      clear(slots.confusion, h('p', { class: 'empty' }, 'Two annotators must label the same items first.'));
    }
  }

  function matrixTable(caption, m, kind) {
    const max = Math.max(1, ...m.matrix.flat());
    const name = (l) => (l === null ? (kind === 'objects' ? '(no match)' : '(none)') : l);
    return h('table', { class: 'grid-table matrix', 'data-matrix': kind },
      h('caption', null, caption),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'A \\ B'), 'A ↓  B →'), m.labels.map((l) => h('th', { scope: 'col', class: 'num' }, name(l))))),
      h('tbody', null, m.matrix.map((row, i) => h('tr', null, h('th', { scope: 'row' }, name(m.labels[i])),
        row.map((n, j) => {
          const td = h('td', { class: `num${i === j && i ? ' diag' : ''}`, 'data-count': n }, String(n));
          // A blue tint that grows with the count; dark cells get light text.
          const a = n / max;
          td.style.background = n ? `rgba(0, 114, 178, ${(0.12 + 0.78 * a).toFixed(3)})` : '';
          if (a > 0.55) td.style.color = '#fff';
          return td;
        })))));
  }

  async function loadConfusion() {
    if (!pa.value || !pb.value) return;
    if (pa.value === pb.value) { fail(slots.confusion, new Error('Choose two different annotators.')); return; }
    clear(slots.confusion, 'Computing…');
    let r;
    try { r = await get(`${Q}/confusion?${new URLSearchParams({ a: pa.value, b: pb.value })}`); } catch (e) { fail(slots.confusion, e); return; }
    if (!ctx.alive()) return;
    const il = r.item_labels, ob = r.objects;
    clear(slots.confusion,
      h('p', { class: 'hint' }, `${r.a.name} (rows) against ${r.b.name} (columns): ${fmtNum(r.items)} items both annotated; item labels agree on ${pct(il.agreement)} of those both labelled.`),
      h('div', { class: 'two-col even' },
        il.labels.length > 1 ? matrixTable('Item labels', il, 'labels') : h('p', { class: 'empty' }, 'No item labels.'),
        ob.labels.length > 1 ? [matrixTable(`Objects matched at IoU ≥ ${r.iou}`, ob, 'objects'),
          h('p', { class: 'hint' }, `${ob.matched} matched, ${ob.a_only} only ${r.a.name}'s, ${ob.b_only} only ${r.b.name}'s.`)]
          : h('p', { class: 'empty' }, 'No objects to match.')));
  }

  async function loadAnnotators() {
    const r = await get(`/projects/${pid}/stats/annotators`);
    const rows = r.annotators;
    // Agreement with the consensus: label share and object F1@0.5, each
    // with the number of items it is over; error types from review and checks.
    const errs = (x) => (x.top_errors.length ? x.top_errors.map((e) => `${e.type} (${e.source}) ×${e.count}`).join(', ') : '—');
    clear(slots.annotators, rows.length ? h('table', { class: 'grid-table', 'data-table': 'annotators' },
      h('caption', { class: 'sr' }, 'Annotator performance'),
      h('thead', null, h('tr', null, ['Annotator', 'Items', 'Objects', 'Items/hour', 'Reviewed', 'Rejected', 'Gold tag accuracy', 'Gold box IoU',
        'Labels = consensus', 'Object F1 vs consensus', 'Most frequent errors']
        .map((x, i) => h('th', { scope: 'col', class: i && i < 10 ? 'num' : null }, x)))),
      h('tbody', null, rows.map((x) => h('tr', { 'data-user': x.user }, h('td', null, x.name), h('td', { class: 'num' }, fmtNum(x.items)), h('td', { class: 'num' }, fmtNum(x.objects)),
        h('td', { class: 'num' }, x.items_per_hour === null ? 'n/a' : x.items_per_hour.toFixed(1)), h('td', { class: 'num' }, fmtNum(x.reviewed)),
        h('td', { class: 'num' }, `${fmtNum(x.rejected)}${x.rejection_rate === null ? '' : ` (${pct(x.rejection_rate)})`}`),
        h('td', { class: 'num' }, pct(x.gold.tag_accuracy)), h('td', { class: 'num' }, fmt3(x.gold.mean_iou)),
        h('td', { class: 'num', 'data-col': 'cons-labels' }, x.consensus.tag_agreement === null ? 'n/a' : `${pct(x.consensus.tag_agreement)} of ${fmtNum(x.consensus.tag_items)}`),
        h('td', { class: 'num', 'data-col': 'cons-f1' }, x.consensus.f1_50 === null ? 'n/a' : `${fmt3(x.consensus.f1_50)} over ${fmtNum(x.consensus.object_items)}`),
        h('td', { 'data-col': 'errors' }, errs(x)))))) : h('p', { class: 'empty' }, 'No annotations yet.'));
  }

  // The whole project's checks as a background job: progress, then the
  // findings a page at a time (no cap), by the API's cursor.
  async function runCheckJob() {
    bgBtn.disabled = true;
    checkBtn.disabled = true;
    clear(slots.checks, 'Starting…');
    try {
      const r = await post(`${Q}/checks/jobs`, {});
      let page = await get(`${Q}/checks/jobs/${r.job.id}?limit=200`);
      while (['queued', 'running'].includes(page.job.state)) {
        clear(slots.checks, h('p', { role: 'status' }, `Check job ${r.job.id}: ${page.job.state}${page.job.progress.total ? ` (${fmtNum(page.job.progress.done)} of ${fmtNum(page.job.progress.total)} items)` : ''}…`));
        await new Promise((res) => setTimeout(res, 300));
        if (!ctx.alive()) return;
        page = await get(`${Q}/checks/jobs/${r.job.id}?limit=200`);
      }
      if (page.job.state !== 'done') throw new Error(page.job.error || `Check job ${r.job.id} ${page.job.state}.`);
      const sm = page.summary;
      const sev = (x) => h('span', { class: `status sev-${x}` }, x);
      const row = (f) => h('tr', null, h('td', null, sev(f.severity)), h('td', null, h('code', null, f.rule)),
        h('td', null, f.link ? h('a', { href: f.link }, `item ${f.item_id}${f.object ? `, object ${f.object}` : ''}`) : f.group),
        h('td', null, f.message));
      const body = h('tbody', null, page.findings.map(row));
      const shown = h('p', { 'data-stat': 'check-job-shown' });
      let count = page.findings.length;
      let next = page.next;
      const more = h('button', { type: 'button' }, 'More findings');
      const update = () => { shown.textContent = `${fmtNum(count)} of ${fmtNum(sm.total)} shown.`; more.hidden = next === null; };
      more.onclick = async () => {
        more.disabled = true;
        try {
          const p = await get(`${Q}/checks/jobs/${r.job.id}?limit=200&cursor=${next}`);
          p.findings.forEach((f) => body.append(row(f)));
          count += p.findings.length;
          next = p.next;
          update();
        } catch (e) { fail(shown, e); } finally { more.disabled = false; }
      };
      update();
      clear(slots.checks,
        h('p', { 'data-stat': 'checks' }, `${fmtNum(sm.counts.error)} errors, ${fmtNum(sm.counts.warning)} warnings, ${fmtNum(sm.counts.info)} info (check job ${r.job.id}, every item).`),
        sm.total ? h('table', { class: 'grid-table', 'data-table': 'findings' },
          h('caption', { class: 'sr' }, 'Findings'),
          h('thead', null, h('tr', null, ['Severity', 'Rule', 'Where', 'Message'].map((x) => h('th', { scope: 'col' }, x)))),
          body) : h('p', { class: 'empty' }, 'No findings.'),
        sm.total ? [shown, more] : null);
    } catch (e) { fail(slots.checks, e); } finally { bgBtn.disabled = false; checkBtn.disabled = false; }
  }

  async function loadChecks() {
    checkBtn.disabled = true;
    clear(slots.checks, 'Running checks…');
    try {
      const r = await get(`${Q}/checks?limit=500`);
      if (!ctx.alive()) return;
      const sev = (x) => h('span', { class: `status sev-${x}` }, x);
      clear(slots.checks,
        h('p', { 'data-stat': 'checks' }, `${fmtNum(r.counts.error)} errors, ${fmtNum(r.counts.warning)} warnings, ${fmtNum(r.counts.info)} info${r.truncated ? ` (first ${r.findings.length} of ${fmtNum(r.total)} listed)` : ''}.`),
        h('details', null, h('summary', null, 'Rules'),
          h('ul', { class: 'rules' }, r.rules.map((x) => h('li', null, sev(x.severity), ' ', h('code', null, x.name), `: ${x.summary} — ${x.findings}`)))),
        r.findings.length ? h('table', { class: 'grid-table', 'data-table': 'findings' },
          h('caption', { class: 'sr' }, 'Findings'),
          h('thead', null, h('tr', null, ['Severity', 'Rule', 'Where', 'Message'].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, r.findings.map((f) => h('tr', null, h('td', null, sev(f.severity)), h('td', null, h('code', null, f.rule)),
            h('td', null, f.link ? h('a', { href: f.link }, `item ${f.item_id}${f.object ? `, object ${f.object}` : ''}`) : f.group),
            h('td', null, f.message))))) : h('p', { class: 'empty' }, 'No findings.'));
    } catch (e) { fail(slots.checks, e); } finally { checkBtn.disabled = false; }
  }

  async function runConsensus() {
    const min = Number(cMin.value);
    if (!(min >= 0 && min <= 1)) { fail(cOut, new Error('Minimum agreement must be a number from 0 to 1.')); return; }
    clear(cOut, 'Starting…');
    try {
      const r = await post(`${Q}/consensus`, { method: cMethod.value, min_agreement: min, dry_run: cDry.checked });
      let job = r.job;
      while (['queued', 'running'].includes(job.state)) {
        await new Promise((res) => setTimeout(res, 300));
        if (!ctx.alive()) return;
        job = (await get(`/projects/${pid}/jobs/${job.id}`)).job;
        clear(cOut, `Job ${job.id}: ${job.state}${job.progress?.total ? ` (${job.progress.done} of ${job.progress.total})` : ''}…`);
      }
      if (job.state !== 'done') throw new Error(job.error || `Job ${job.id} ${job.state}.`);
      const x = job.result;
      clear(cOut, h('p', { class: 'msg ok', 'data-stat': 'consensus' },
        `${x.dry_run ? 'Dry run: ' : ''}${fmtNum(x.saved)} saved, ${fmtNum(x.needs_review_count)} for review, ${fmtNum(x.too_few_annotators)} with too few annotators.`),
      h('p', { 'data-stat': 'review-first' }, `${fmtNum(x.review_first_count)} ${x.review_first_count === 1 ? 'item goes' : 'items go'} first in review (object F1@0.5 under ${x.review_f1} or annotators disagreeing on the label)${x.dry_run ? ' once saved' : ''}.`),
      x.needs_review.length ? h('p', null, 'For review: ', x.needs_review.map((it, i) => [i ? ', ' : '',
        h('a', { href: `/label.html#project=${pid}&item=${it.item}` }, `item ${it.item}`)])) : null);
      loadClasses().catch((e) => fail(slots.classes, e));
      if (labeller) loadAnnotators().catch((e) => fail(slots.annotators, e));
    } catch (e) { fail(cOut, e); }
  }

  const jobs = [loadProgress().catch((e) => fail(slots.progress, e)), loadClasses().catch((e) => fail(slots.classes, e))];
  if (labeller) jobs.push(loadAnnotators().catch((e) => fail(slots.annotators, e)));
  if (review) jobs.push(loadAgreement());
  await Promise.all(jobs);
}
