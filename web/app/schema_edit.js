// schema_edit.js - the label-schema text editor used on the schema page and
// when creating a project: a JSON text area, a line-number gutter, and an
// error list where each error names its JSON path and line and selects the
// offending value when activated. Syntax errors are found here; schema
// errors come from the server (live through validate, or from a save).
import { h, nextId, debounce, clear } from './dom.js';
import { locate, splitError } from './jsonpos.js';

export const templates = {
  boxes: {
    title: 'Objects: boxes and polygons',
    schema: {
      cairn_schema: 1,
      labels: [
        { name: 'car', color: '#4363d8', shapes: ['box', 'polygon'], hotkey: '1',
          attributes: [{ name: 'occluded', type: 'checkbox', default: false }] },
        { name: 'person', color: '#e6194b', shapes: ['box', 'polygon'], hotkey: '2' },
      ],
      guidelines: '# Guidelines\n\nDraw a **tight** box around every object.\n',
    },
  },
  segmentation: {
    title: 'Segmentation: polygons and masks',
    schema: {
      cairn_schema: 1,
      labels: [
        { name: 'road', color: '#808080', shapes: ['polygon', 'mask'] },
        { name: 'building', color: '#f58231', shapes: ['polygon', 'mask'] },
        { name: 'vegetation', color: '#3cb44b', shapes: ['polygon', 'mask'] },
      ],
    },
  },
  keypoints: {
    title: 'Pose: person keypoints',
    schema: {
      cairn_schema: 1,
      labels: [{ name: 'person', shapes: ['box', 'keypoints'],
        skeleton: { points: ['head', 'left_hand', 'right_hand', 'hip'],
          edges: [['head', 'hip'], ['head', 'left_hand'], ['head', 'right_hand']] } }],
    },
  },
  classify: {
    title: 'Classification: one tag per image',
    schema: {
      cairn_schema: 1,
      labels: [{ name: 'cat', shapes: ['tag'] }, { name: 'dog', shapes: ['tag'] }],
      item_attributes: [{ name: 'quality', type: 'select', values: ['good', 'blurry', 'dark'] }],
    },
  },
};

export const pretty = (obj) => JSON.stringify(obj, null, 2);

// Syntax error of JSON text as {message, offset} or null.
function syntaxError(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    const m = String(e.message).match(/position (\d+)/);
    return { message: String(e.message).replace(/^JSON\.parse: /, ''), offset: m ? Number(m[1]) : null };
  }
}

// opts: {label, value, readonly, validate(text) -> Promise<[messages]> | null,
// onChange(text)}. Returns {el, textarea, get value, set value, setErrors,
// errors (the last list), check() -> Promise<bool>}.
export function schemaEditor(opts) {
  const id = nextId('schema');
  const ta = h('textarea', {
    id, class: 'code', spellcheck: 'false', rows: 24, wrap: 'off',
    'aria-describedby': `${id}-status`, readonly: !!opts.readonly, autocomplete: 'off',
  });
  ta.value = opts.value || '';
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const status = h('div', { id: `${id}-status`, class: 'schema-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'errors', 'aria-label': 'Schema errors' });
  const api = { errors: [] };

  const lines = () => {
    const n = ta.value.split('\n').length;
    if (gutter.childElementCount !== n) {
      const frag = document.createDocumentFragment();
      for (let i = 1; i <= n; i++) frag.append(h('div', { 'data-line': i }, String(i)));
      gutter.replaceChildren(frag);
    }
    gutter.scrollTop = ta.scrollTop;
  };
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });

  const jump = (start, end) => {
    ta.focus();
    ta.setSelectionRange(start, Math.max(start, end));
    // Scroll the selection into view: place the caret line near the top.
    const line = ta.value.slice(0, start).split('\n').length;
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (line - 3) * lh);
  };

  api.setErrors = (messages, note) => {
    api.errors = messages;
    for (const d of gutter.querySelectorAll('.bad')) d.classList.remove('bad');
    clear(list);
    if (!messages.length) {
      status.className = 'schema-status ok';
      status.textContent = note || 'Valid schema.';
      return;
    }
    status.className = 'schema-status bad';
    status.textContent = messages.length === 1 ? '1 error' : `${messages.length} errors`;
    for (const m of messages) {
      const { path, message, offset } = typeof m === 'string' ? { ...splitError(m), offset: null } : m;
      let where = null;
      if (offset !== null && offset !== undefined) {
        where = { start: offset, end: offset + 1, line: ta.value.slice(0, offset).split('\n').length };
      } else if (path) {
        where = locate(ta.value, path);
        // "unknown key 'colour'" names a key of the object at the path:
        // point at the key itself.
        const k = where && message.match(/^(?:unknown|duplicate) key '([^']+)'/);
        if (k) {
          const key = JSON.stringify(k[1]);
          const at = message.startsWith('duplicate')
            ? ta.value.slice(0, where.end).lastIndexOf(key) : ta.value.indexOf(key, where.start);
          if (at >= 0 && at < where.end) {
            where = { start: at, end: at + key.length, line: ta.value.slice(0, at).split('\n').length };
          }
        }
      }
      if (where) gutter.querySelector(`[data-line="${where.line}"]`)?.classList.add('bad');
      const text = [where ? h('span', { class: 'line' }, `line ${where.line}`) : null,
        path ? h('code', { class: 'path' }, path) : null, h('span', null, message)];
      list.append(h('li', null, where
        ? h('button', { type: 'button', class: 'error-link', onclick: () => jump(where.start, where.end) }, text)
        : h('span', { class: 'error-link' }, text)));
    }
  };

  let seq = 0;
  api.check = async () => {
    live.cancel(); // a check now makes the pending one pointless
    const my = ++seq;
    const text = ta.value;
    const se = syntaxError(text);
    if (se) {
      api.setErrors([{ path: null, message: `JSON syntax: ${se.message}`, offset: se.offset }]);
      return false;
    }
    if (!opts.validate) { api.setErrors([], 'The JSON is well formed; the server checks the schema when you save.'); return true; }
    status.className = 'schema-status';
    status.textContent = 'Checking…';
    try {
      const errs = await opts.validate(text);
      if (my !== seq) return null;
      api.setErrors(errs);
      return errs.length === 0;
    } catch (e) {
      if (my !== seq) return null;
      status.className = 'schema-status bad';
      status.textContent = `Could not check: ${e.message}`;
      return false;
    }
  };
  const live = debounce(api.check, 250);
  ta.addEventListener('input', () => { lines(); live(); if (opts.onChange) opts.onChange(ta.value); });
  // Enter keeps the current line's indentation (Tab is left to move focus).
  ta.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || ta.readOnly) return;
    const start = ta.selectionStart;
    const lineStart = ta.value.lastIndexOf('\n', start - 1) + 1;
    const indent = ta.value.slice(lineStart, start).match(/^[ \t]*/)[0];
    const extra = /[{[]\s*$/.test(ta.value.slice(lineStart, start)) ? '  ' : '';
    e.preventDefault();
    ta.setRangeText(`\n${indent}${extra}`, start, ta.selectionEnd, 'end');
    ta.dispatchEvent(new Event('input'));
  });

  api.el = h('div', { class: 'schema-editor' },
    h('label', { for: id }, opts.label || 'Schema (JSON)'),
    ta.readOnly ? h('div', { class: 'hint' }, 'Read only: your role cannot change the schema.') : null,
    status, list,
    h('div', { class: 'code-wrap' }, gutter, ta));
  api.textarea = ta;
  Object.defineProperty(api, 'value', {
    get: () => ta.value,
    set: (v) => { ta.value = v; lines(); },
  });
  lines();
  return api;
}
