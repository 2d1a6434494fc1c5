// page_schema.js - a project's label schema (live validation as the user
// types, save as a new version, version history) and its guidelines
// (Markdown rendered safely; managers edit them with a preview).
import { h, clear, field, statusLine, showError, showOk, fmtTime, debounce } from './dom.js';
import { get, post, put } from './session.js';
import { schemaEditor, pretty } from './schema_edit.js';
import { renderMarkdown } from './markdown.js';

const validator = (pid) => async (text) => (await post(`/projects/${pid}/schema/validate`, text)).errors || [];

export async function editor(ctx) {
  const pid = ctx.projectId;
  const [cur, hist] = await Promise.all([get(`/projects/${pid}/schema`), get(`/projects/${pid}/schema/versions`)]);
  let current = cur.current;
  const ed = schemaEditor({ label: `Schema (JSON), version ${cur.version}`, value: pretty(cur.schema), readonly: !ctx.manage, validate: validator(pid) });
  const msg = statusLine();
  const message = h('input', { name: 'message', placeholder: 'what changed', maxlength: 200 });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, 'Save as new version');
  const histBox = h('div', { class: 'versions' });
  const viewer = h('div', { class: 'version-view' });

  const save = async (e) => {
    e.preventDefault();
    const ok = await ed.check();
    if (!ok) { showError(msg, new Error('Fix the errors above before saving.')); return; }
    saveBtn.disabled = true;
    try {
      const q = message.value.trim() ? `?message=${encodeURIComponent(message.value.trim())}` : '';
      const r = await put(`/projects/${pid}/schema${q}`, ed.value, { headers: { 'If-Match': `"${current}"` } });
      current = r.current;
      ed.value = pretty(r.schema);
      ed.el.querySelector('label').textContent = `Schema (JSON), version ${r.version}`;
      message.value = '';
      showOk(msg, `Saved as version ${r.version}.`);
      ctx.info.project.schema_version = r.version;
      await drawHistory();
    } catch (err) {
      if (err.body?.error?.errors) ed.setErrors(err.body.error.errors);
      showError(msg, err.code === 'conflict'
        ? new Error(`${err.message}. Your text is kept: copy it, reload, and apply it again.`) : err);
    } finally {
      saveBtn.disabled = false;
    }
  };

  const show = async (v) => {
    const r = await get(`/projects/${pid}/schema?version=${v}`);
    clear(viewer,
      h('div', { class: 'row' }, h('h3', null, `Version ${v}`),
        ctx.manage ? h('button', { type: 'button', onclick: () => { ed.value = pretty(r.schema); ed.check(); ed.textarea.focus(); } }, `Copy version ${v} into the editor`) : null),
      h('pre', { class: 'code small', tabindex: 0, 'aria-label': `Schema version ${v}` }, pretty(r.schema)));
  };

  async function drawHistory(list) {
    const versions = list || (await get(`/projects/${pid}/schema/versions`)).versions;
    clear(histBox, h('table', { class: 'grid-table' },
      h('caption', null, 'Version history'),
      h('thead', null, h('tr', null, h('th', null, 'Version'), h('th', null, 'Message'), h('th', null, 'By'), h('th', null, 'When'), h('th', null, h('span', { class: 'sr' }, 'Actions')))),
      h('tbody', null, versions.map((v) => h('tr', { class: v.version === current ? 'current' : null },
        h('td', null, String(v.version), v.version === current ? h('span', { class: 'badge' }, 'current') : null),
        h('td', null, v.message || ''), h('td', null, v.user_name || 'command line'),
        h('td', null, fmtTime(v.created_at)),
        h('td', null, h('button', { type: 'button', class: 'small', onclick: () => show(v.version) }, `View ${v.version}`)))))));
  }

  clear(ctx.main,
    h('div', { class: 'two-col' },
      h('section', { class: 'col-main' },
        h('h1', null, 'Schema'),
        h('p', { class: 'hint' }, 'Labels, their shapes and attributes, item attributes and relations (see docs/schema.md). ',
          ctx.manage ? 'Errors show as you type; saving makes a new version, and annotations keep the version they were made under.' : ''),
        h('form', { onsubmit: save }, ed.el,
          ctx.manage ? h('div', { class: 'row' }, field('Message', message), saveBtn) : null, msg)),
      h('section', { class: 'col-side', 'aria-label': 'Versions' }, histBox, viewer)));
  await drawHistory(hist.versions);
  ed.check();
}

export async function guidelines(ctx) {
  const pid = ctx.projectId;
  const cur = await get(`/projects/${pid}/schema`);
  let schema = cur.schema;
  let current = cur.current;
  const view = h('article', { class: 'markdown', 'aria-label': 'Guidelines' });
  const draw = () => {
    clear(view);
    if (schema.guidelines) view.append(renderMarkdown(schema.guidelines));
    else view.append(h('p', { class: 'hint' }, 'No guidelines yet.'));
  };
  draw();
  const msg = statusLine();
  const box = h('div', { class: 'guidelines-edit' });
  const close = () => { view.hidden = false; clear(box, editBtn); editBtn.focus(); };
  const edit = () => {
    view.hidden = true; // the preview beside the text shows the same
    const ta = h('textarea', { class: 'code', rows: 18, spellcheck: 'true' });
    ta.value = schema.guidelines || '';
    const preview = h('div', { class: 'markdown preview', 'aria-label': 'Preview' });
    const upd = () => clear(preview, renderMarkdown(ta.value));
    ta.addEventListener('input', debounce(upd, 150));
    upd();
    const save = async (e) => {
      e.preventDefault();
      try {
        const next = { ...schema, guidelines: ta.value };
        const r = await put(`/projects/${pid}/schema?message=guidelines`, next, { headers: { 'If-Match': `"${current}"` } });
        schema = r.schema;
        current = r.current;
        draw();
        close();
        showOk(msg, `Saved as schema version ${r.version}.`);
      } catch (err) { showError(msg, err); }
    };
    clear(box, h('form', { onsubmit: save, class: 'md-form' },
      h('div', { class: 'md-split' }, field('Guidelines (Markdown)', ta, 'Headings (#), lists, **bold**, *italic*, `code`, [links](https://…).'),
        h('div', null, h('div', { class: 'label' }, 'Preview'), preview)),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save guidelines'),
        h('button', { type: 'button', onclick: close }, 'Cancel'))));
    ta.focus();
  };
  const editBtn = h('button', { type: 'button', onclick: edit }, 'Edit guidelines');
  clear(ctx.main, h('h1', null, 'Guidelines'), view, ctx.manage ? box : null, msg);
  if (ctx.manage) box.append(editBtn);
}
