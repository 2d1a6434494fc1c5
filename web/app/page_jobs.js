// page_jobs.js - import and export as background jobs: start one, follow
// its progress bar, cancel it, download the result. Managers only (the job
// endpoints are theirs).
import { h, clear, field, select, progressBar, statusLine, showError, showOk, fmtTime, fmtBytes } from './dom.js';
import { get, post, upload } from './session.js';

// The formats this build reads and writes (`cairn formats`); more appear as
// they are added to the server.
const FORMATS = [['cairn', 'Cairn (JSON lines)'], ['coco', 'COCO'], ['yolo', 'YOLO']];
const KINDS = ['manual', 'gold', 'prediction', 'consensus'];
const ACTIVE = new Set(['queued', 'running']);

export async function render(ctx) {
  const pid = ctx.projectId;
  if (!ctx.manage) {
    clear(ctx.main, h('h1', null, 'Import & export'), h('p', { class: 'msg error' }, 'Only managers import and export.'));
    return;
  }
  const msg = statusLine();
  const tbody = h('tbody');
  let timer = null;

  // ---- export ----
  const fmt = select(FORMATS, 'cairn', { name: 'format' });
  const split = h('input', { name: 'split', placeholder: 'train=80,val=20', size: 18 });
  const include = KINDS.map((k) => h('input', { type: 'checkbox', name: 'include', value: k, checked: k === 'manual' || k === 'gold' }));
  const exportForm = h('form', { class: 'card', 'aria-labelledby': 'exp-h', onsubmit: async (e) => {
    e.preventDefault();
    const params = { format: fmt.value };
    if (split.value.trim()) params.split = split.value.trim();
    const inc = include.filter((c) => c.checked).map((c) => c.value);
    if (fmt.value !== 'cairn') params.include = inc;
    try {
      const r = await post(`/projects/${pid}/exports`, params);
      showOk(msg, `Export job ${r.job.id} started.`);
      await refresh();
    } catch (err) { showError(msg, err); }
  } },
  h('h2', { id: 'exp-h' }, 'Export'),
  h('div', { class: 'row' }, field('Format', fmt, 'Cairn JSON lines are downloaded here; dataset formats are written to the exports/ folder of the data directory.'),
    field('Split', split, 'Optional: percentages per split, by source group.')),
  h('fieldset', null, h('legend', null, 'Include annotations'),
    include.map((c) => h('label', { class: 'check' }, c, ` ${c.value}`))),
  h('button', { type: 'submit', class: 'primary' }, 'Start export'));

  // ---- import ----
  const file = h('input', { type: 'file', name: 'dataset', accept: '.zip,.tar,.gz,.tgz,.json,.txt,.xml,.jsonl' });
  const ifmt = select([['auto', 'Detect'], ...FORMATS.filter(([k]) => k !== 'cairn')], 'auto', { name: 'format' });
  const as = select([['manual', 'my annotations'], ['gold', 'gold (ground truth)'], ['prediction', 'predictions']], 'manual', { name: 'as' });
  const skip = h('input', { type: 'checkbox', name: 'skip_invalid' });
  const ibar = progressBar(0, 0, 'Import upload progress');
  ibar.hidden = true;
  const importForm = h('form', { class: 'card', 'aria-labelledby': 'imp-h', onsubmit: async (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { showError(msg, new Error('Choose a dataset file (an archive of its folder, or one annotation file).')); return; }
    // The server recognises a format from an archive's layout; one bare
    // annotation file needs its format named.
    if (ifmt.value === 'auto' && !/\.(zip|tar|tgz|tar\.gz)$/i.test(f.name)) {
      showError(msg, new Error(`Choose the format of ${f.name}: it is one annotation file, not an archive of a dataset folder.`));
      ifmt.focus();
      return;
    }
    ibar.hidden = false;
    try {
      const q = new URLSearchParams({ format: ifmt.value, as: as.value, skip_invalid: String(skip.checked) });
      const r = await upload(`/projects/${pid}/imports?${q}`, f, (done, total) => {
        ibar.setAttribute('aria-valuenow', done); ibar.setAttribute('aria-valuemax', total);
        ibar.firstChild.style.width = `${total ? (100 * done) / total : 0}%`;
      });
      if (r.status !== 202) throw new Error(r.json?.error?.message || `HTTP ${r.status}`);
      showOk(msg, `Import job ${r.json.job.id} started (${fmtBytes(f.size)} sent).`);
      file.value = '';
      await refresh();
    } catch (err) { showError(msg, err); } finally { ibar.hidden = true; }
  } },
  h('h2', { id: 'imp-h' }, 'Import'),
  field('Dataset', file, 'A zip or tar of the dataset folder (COCO: annotations/ and images/), or one annotation file.'),
  h('div', { class: 'row' }, field('Format', ifmt), field('Import as', as)),
  h('p', { class: 'hint' }, 'Detect works for archives; name the format of a single annotation file.'),
  h('label', { class: 'check' }, skip, ' Skip invalid records (report them instead of refusing the whole file)'),
  ibar, h('button', { type: 'submit', class: 'primary' }, 'Start import'));

  const row = (j) => {
    const done = j.progress?.done || 0;
    const total = j.progress?.total || 0;
    const active = ACTIVE.has(j.state);
    const label = `${j.kind} ${j.id}`;
    return h('tr', { 'data-job': j.id },
      h('td', { class: 'num' }, String(j.id)), h('td', null, j.kind, j.params?.format ? ` (${j.params.format})` : ''),
      h('td', null, h('span', { class: `status j-${j.state}` }, j.cancel_requested && active ? 'cancelling' : j.state)),
      h('td', { class: 'w-progress' }, h('div', { class: 'bar-row' },
        progressBar(j.state === 'done' ? Math.max(total, 1) : done, j.state === 'done' ? Math.max(total, 1) : total, `Progress of ${label}`),
        h('span', { class: 'num' }, total ? `${done}/${total}` : ''))),
      h('td', null, fmtTime(j.created_at)),
      h('td', { class: 'detail' }, j.error ? h('span', { class: 'error' }, j.error) : summary(j.result)),
      h('td', { class: 'actions' },
        active && !j.cancel_requested ? h('button', { type: 'button', class: 'small', 'aria-label': `Cancel ${label}`, onclick: async () => {
          try { await post(`/projects/${pid}/jobs/${j.id}/cancel`, {}); await refresh(); } catch (err) { showError(msg, err); }
        } }, 'Cancel') : null,
        j.state === 'done' && j.result?.file
          ? h('a', { class: 'btn small', href: `/api/v1/projects/${pid}/jobs/${j.id}/download`, download: '', 'aria-label': `Download ${label}` }, 'Download') : null));
  };

  const refresh = async () => {
    clearTimeout(timer);
    const r = await get(`/projects/${pid}/jobs`);
    if (!ctx.alive()) return;
    const jobs = [...r.jobs].sort((a, b) => b.id - a.id);
    // The table is redrawn every 700 ms while a job runs: the focus stays on
    // the same control of the same job (a keyboard user's Cancel or Download
    // would otherwise be lost under them); when that control is gone (the
    // job was cancelled or ended), on its row's state.
    const act = document.activeElement;
    const was = act && tbody.contains(act) ? { job: act.closest('tr')?.dataset.job, label: act.getAttribute('aria-label') } : null;
    clear(tbody, jobs.length ? jobs.map(row) : h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No jobs yet.')));
    if (was && was.job) {
      const tr = tbody.querySelector(`tr[data-job="${was.job}"]`);
      const same = tr && [...tr.querySelectorAll('[aria-label]')].find((e) => e.getAttribute('aria-label') === was.label);
      const state = tr && tr.querySelector('.status');
      if (same) same.focus();
      else if (state) { state.tabIndex = -1; state.focus(); }
    }
    if (jobs.some((j) => ACTIVE.has(j.state))) timer = setTimeout(() => refresh().catch(() => {}), 700);
  };

  clear(ctx.main, h('h1', null, 'Import & export'),
    h('div', { class: 'two-col even' }, exportForm, importForm), msg,
    h('table', { class: 'grid-table jobs' }, h('caption', null, 'Jobs'),
      h('thead', null, h('tr', null, ['Job', 'Kind', 'State', 'Progress', 'Started', 'Result', ''].map((t) => h('th', { class: t === 'Job' ? 'num' : null }, t || h('span', { class: 'sr' }, 'Actions'))))),
      tbody));
  await refresh();
  return () => clearTimeout(timer);
}

function summary(result) {
  if (!result || typeof result !== 'object') return '';
  const parts = [];
  if (result.folder) return `written to exports/${result.folder} on the server`;
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number' || typeof v === 'string') parts.push(`${k.replace(/_/g, ' ')}: ${typeof v === 'number' && /bytes/.test(k) ? fmtBytes(v) : v}`);
    if (parts.length >= 4) break;
  }
  return parts.join(', ');
}
