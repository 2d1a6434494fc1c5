// page_projects.js - the list of projects (with progress) and the form that
// creates one (name, description, schema JSON from a template).
import { h, clear, field, select, progressBar, statusLine, showError, fmtNum } from './dom.js';
import { get, post, session } from './session.js';
import { schemaEditor, templates, pretty } from './schema_edit.js';

// Items counted as labelled: past annotation.
const DONE = ['annotated', 'reviewed', 'done'];
export const labelled = (c) => DONE.reduce((n, k) => n + (c.by_status?.[k] || 0), 0);

export async function list(ctx) {
  const r = await get('/projects');
  const tbody = h('tbody');
  const admin = session.user?.admin;
  clear(ctx.main,
    h('div', { class: 'row head' }, h('h1', null, 'Projects'),
      admin ? h('a', { href: '#/projects/new', class: 'btn primary' }, 'New project') : null),
    r.projects.length
      ? h('table', { class: 'grid-table projects' },
        h('thead', null, h('tr', null, h('th', null, 'Project'), h('th', null, 'Items'), h('th', { class: 'w-progress' }, 'Labelled'), h('th', null, 'Schema'), h('th', null, 'Your role'))),
        tbody)
      : h('p', { class: 'empty' }, admin ? 'No projects yet. Create the first one.' : 'You are not a member of any project yet. Ask an administrator to add you.'));
  const rows = new Map();
  for (const p of r.projects) {
    const cells = { items: h('td', { class: 'num' }, '…'), progress: h('td'), role: h('td') };
    const tr = h('tr', null,
      h('td', null, h('a', { href: `#/projects/${p.id}` }, p.name), p.description ? h('div', { class: 'hint' }, p.description) : null),
      cells.items, cells.progress, h('td', null, `v${p.schema_version}`), cells.role);
    rows.set(p.id, cells);
    tbody.append(tr);
  }
  // Counts per project, a few at a time.
  const queue = [...r.projects];
  const worker = async () => {
    while (queue.length && ctx.alive()) {
      const p = queue.shift();
      try {
        const d = await get(`/projects/${p.id}`);
        const c = rows.get(p.id);
        const n = labelled(d.counts);
        c.items.textContent = fmtNum(d.counts.items);
        clear(c.progress, h('div', { class: 'bar-row' }, progressBar(n, d.counts.items, `${p.name}: labelled items`),
          h('span', { class: 'num' }, d.counts.items ? `${Math.round((100 * n) / d.counts.items)}%` : '–')));
        c.role.textContent = d.role;
      } catch { /* the row keeps its placeholder */ }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export async function create(ctx) {
  if (!session.user?.admin) {
    clear(ctx.main, h('h1', null, 'New project'), h('p', { class: 'msg error' }, 'Only administrators create projects.'));
    return;
  }
  const name = h('input', { name: 'name', required: true, maxlength: 64, autocomplete: 'off' });
  const desc = h('input', { name: 'description', maxlength: 1000 });
  const tpl = select(Object.entries(templates).map(([k, t]) => [k, t.title]), 'boxes');
  const ed = schemaEditor({ label: 'Schema (JSON)', value: pretty(templates.boxes.schema) });
  const msg = statusLine();
  tpl.addEventListener('change', () => {
    ed.value = pretty(templates[tpl.value].schema);
    ed.check();
  });
  const btn = h('button', { type: 'submit', class: 'primary' }, 'Create project');
  const submit = async (e) => {
    e.preventDefault();
    showError(msg, null);
    if (!(await ed.check())) { showError(msg, new Error('The schema is not valid JSON: see the error above.')); return; }
    btn.disabled = true;
    try {
      const r = await post('/projects', { name: name.value.trim(), description: desc.value, schema: JSON.parse(ed.value) });
      location.hash = `#/projects/${r.project.id}`;
    } catch (err) {
      const errs = err.body?.error?.errors;
      if (errs) {
        // Server paths are relative to the schema document itself.
        ed.setErrors(errs.map((m) => m.replace(/^\$\.schema(?=[.[]|:)/, '$')));
        showError(msg, new Error('The schema has errors: see the list above.'));
        ed.textarea.focus();
      } else {
        showError(msg, err);
        if (err.field === 'name') name.focus();
      }
    } finally {
      btn.disabled = false;
    }
  };
  clear(ctx.main, h('h1', null, 'New project'),
    h('form', { class: 'narrow-form', onsubmit: submit, novalidate: true },
      h('div', { class: 'row' }, field('Name', name, 'Letters, digits, - and _; unique.'), field('Description', desc)),
      field('Start from a template', tpl),
      ed.el, msg, h('div', { class: 'row' }, btn, h('a', { href: '#/projects', class: 'btn' }, 'Cancel'))));
  ed.check();
  name.focus();
}
