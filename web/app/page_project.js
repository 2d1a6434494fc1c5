// page_project.js - one project's overview (progress, counts per status and
// per label), "my queue" (start labelling in the editor page), members and
// roles, and batches (when the server has them).
import { h, clear, field, select, progressBar, statusLine, showError, showOk, fmtNum, fmtBytes, statusText } from './dom.js';
import { get, put, post, del, getRaw, session } from './session.js';
import { labelled } from './page_projects.js';

export const STATUSES = ['new', 'in_progress', 'annotated', 'reviewed', 'rejected', 'done', 'skipped'];
export const ROLES = ['manager', 'reviewer', 'annotator', 'viewer'];

const editorUrl = (pid, item) => `/label.html#project=${pid}${item ? `&item=${item}` : ''}`;
const reviewUrl = (pid) => `/label.html#project=${pid}&review=1`;
const canReview = (role) => session.user?.admin || role === 'manager' || role === 'reviewer';

function stat(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
}

export async function overview(ctx) {
  const pid = ctx.projectId;
  const { project, counts } = ctx.info;
  const sc = await get(`/projects/${pid}/schema`);
  const colours = new Map(sc.schema.labels.map((l) => [l.name, l.color]));
  const n = labelled(counts);
  const statusBody = h('tbody');
  const labelBody = h('tbody');
  clear(ctx.main,
    h('div', { class: 'row head' }, h('h1', null, project.name),
      ctx.role !== 'viewer' ? h('a', { href: editorUrl(pid), class: 'btn primary' }, 'Start labelling') : null),
    project.description ? h('p', null, project.description) : null,
    h('div', { class: 'stats' },
      stat('Items', fmtNum(counts.items)), stat('Labelled', fmtNum(n)), stat('Annotations', fmtNum(counts.annotations)),
      stat('Objects', fmtNum(counts.objects)), stat('Media', fmtBytes(counts.bytes)), stat('Schema', `v${project.schema_version}`)),
    h('div', { class: 'bar-row wide' }, progressBar(n, counts.items, 'Labelled items'),
      h('span', { class: 'num' }, counts.items ? `${Math.round((100 * n) / counts.items)}% labelled` : 'no items yet')),
    h('div', { class: 'two-col even' },
      h('section', null, h('table', { class: 'grid-table' }, h('caption', null, 'Items per status'),
        h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', { class: 'num' }, 'Items'), h('th', { class: 'w-progress' }, h('span', { class: 'sr' }, 'Share')))),
        statusBody)),
      h('section', null, h('table', { class: 'grid-table' }, h('caption', null, 'Per label'),
        h('thead', null, h('tr', null, h('th', null, 'Label'), h('th', { class: 'num' }, 'Items'), h('th', { class: 'num' }, 'Objects'))),
        labelBody))));
  // Exact counts from the items/count endpoint, each a link to the items.
  const count = async (q) => (await get(`/projects/${pid}/items/count?${q}`)).count;
  const statusCounts = await Promise.all(STATUSES.map((s) => count(`status=${s}`)));
  if (!ctx.alive()) return;
  STATUSES.forEach((s, i) => statusBody.append(h('tr', null,
    h('td', null, h('span', { class: `status s-${s}` }, statusText(s))),
    h('td', { class: 'num' }, h('a', { href: `#/projects/${pid}/data?status=${s}` }, fmtNum(statusCounts[i]))),
    h('td', null, progressBar(statusCounts[i], counts.items, `${statusText(s)} share`)))));
  const labels = counts.labels.filter((l) => colours.has(l.name) || l.objects);
  const labelCounts = await Promise.all(labels.map((l) => count(`label=${encodeURIComponent(l.name)}`)));
  if (!ctx.alive()) return;
  labels.forEach((l, i) => {
    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = colours.get(l.name) || '#888';
    labelBody.append(h('tr', null, h('td', null, sw, l.name),
      h('td', { class: 'num' }, h('a', { href: `#/projects/${pid}/data?label=${encodeURIComponent(l.name)}` }, fmtNum(labelCounts[i]))),
      h('td', { class: 'num' }, fmtNum(l.objects))));
  });
}

export async function queue(ctx) {
  const pid = ctx.projectId;
  const mine = ctx.role === 'annotator';
  const tbody = h('tbody');
  clear(ctx.main,
    h('div', { class: 'row head' }, h('h1', null, 'My queue')),
    h('p', null, mine ? 'The items assigned to you that still need work. ' : 'Items that still need work. ',
      'The editor opens the next one by itself.'),
    ctx.role === 'viewer'
      ? h('p', { class: 'hint' }, 'Viewers read the items but do not label them.')
      : h('p', null, h('a', { href: editorUrl(pid), class: 'btn primary big' }, 'Start labelling'), ' ',
        canReview(ctx.role) ? h('a', { href: reviewUrl(pid), class: 'btn big', id: 'start-review' }, 'Start reviewing') : null),
    h('table', { class: 'grid-table narrow' }, h('caption', null, 'To do'),
      h('thead', null, h('tr', null, h('th', null, 'Item'), h('th', null, 'Status'), h('th', null, h('span', { class: 'sr' }, 'Open')))),
      tbody));
  const pages = await Promise.all(['rejected', 'in_progress', 'new'].map((s) => get(`/projects/${pid}/items?status=${s}&limit=50`)));
  const items = pages.flatMap((p) => p.items).slice(0, 100);
  if (!items.length) tbody.append(h('tr', null, h('td', { colspan: 3, class: 'empty' }, 'Nothing to do. Well done.')));
  for (const it of items) {
    tbody.append(h('tr', null, h('td', null, it.name), h('td', null, h('span', { class: `status s-${it.status}` }, statusText(it.status))),
      h('td', null, h('a', { href: editorUrl(pid, it.id), 'aria-label': `Open ${it.name}` }, 'Open'))));
  }
}

export async function members(ctx) {
  const pid = ctx.projectId;
  const msg = statusLine();
  const tbody = h('tbody');
  const addBox = h('div');
  const draw = async () => {
    const r = await get(`/projects/${pid}/members`);
    clear(tbody);
    for (const m of r.members) {
      const role = select(ROLES, m.role, { 'aria-label': `Role of ${m.name}`, disabled: !ctx.manage });
      role.addEventListener('change', async () => {
        try {
          await put(`/projects/${pid}/members/${m.user}`, { role: role.value });
          showOk(msg, `${m.name} is now ${role.value}.`);
        } catch (e) { showError(msg, e); role.value = m.role; }
      });
      tbody.append(h('tr', null, h('td', null, m.name), h('td', null, ctx.manage ? role : m.role),
        ctx.manage ? h('td', null, h('button', {
          type: 'button', class: 'small danger', 'aria-label': `Remove ${m.name}`,
          onclick: async () => {
            if (!confirm(`Remove ${m.name} from this project?`)) return;
            try { await del(`/projects/${pid}/members/${m.user}`); showOk(msg, `${m.name} removed.`); await draw(); } catch (e) { showError(msg, e); }
          },
        }, 'Remove')) : null));
    }
    if (ctx.manage) await drawAdd(r.members);
  };
  const drawAdd = async (current) => {
    // Administrators pick from all users; other managers type a user id.
    let who;
    if (session.user?.admin) {
      const users = (await get('/users')).users.filter((u) => u.active && !current.some((m) => m.user === u.id));
      if (!users.length) { clear(addBox, h('p', { class: 'hint' }, 'Every active user is a member already.')); return; }
      who = select(users.map((u) => [u.id, u.name]), users[0].id, { name: 'user' });
    } else {
      who = h('input', { name: 'user', type: 'number', min: 1, required: true });
    }
    const role = select(ROLES, 'annotator', { name: 'role' });
    const add = async (e) => {
      e.preventDefault();
      try {
        const r = await put(`/projects/${pid}/members/${who.value}`, { role: role.value });
        showOk(msg, `Added ${who.selectedOptions ? who.selectedOptions[0].textContent : `user ${r.user}`} as ${r.role}.`);
        await draw();
      } catch (err) { showError(msg, err); }
    };
    clear(addBox, h('form', { class: 'row inline-form', onsubmit: add, 'aria-label': 'Add a member' },
      field(session.user?.admin ? 'User' : 'User id', who), field('Role', role),
      h('button', { type: 'submit', class: 'primary' }, 'Add member')));
  };
  clear(ctx.main, h('h1', null, 'Members'),
    h('p', { class: 'hint' }, 'Managers change the schema, members and exports; reviewers also see gold; annotators see only the items assigned to them; viewers read everything but gold.'),
    h('table', { class: 'grid-table narrow' }, h('caption', null, 'Members and roles'),
      h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Role'), ctx.manage ? h('th', null, h('span', { class: 'sr' }, 'Actions')) : null)),
      tbody),
    ctx.manage ? h('h2', null, 'Add a member') : null, addBox, msg);
  await draw();
}

// Batches: stage, progress and where each review sample stands; reviewers
// start reviewing from here, managers sign a batch off (the server refuses
// until the sample passes, and the page shows why).
function sampleText(b) {
  const sm = b.sample;
  if (!sm) return '';
  const parts = [`${sm.accepted} of ${sm.size} accepted`];
  if (sm.pending) parts.push(`${sm.pending} to review`);
  if (sm.rejected) parts.push(`${sm.rejected} rejected`);
  if (sm.missing) parts.push(`${sm.missing} not submitted`);
  return parts.join(', ');
}

export async function batches(ctx) {
  const pid = ctx.projectId;
  const r = await getRaw(`/projects/${pid}/batches`);
  if (r.status !== 200) {
    clear(ctx.main, h('h1', null, 'Batches'), h('p', { class: 'hint' }, 'This server has no batches.'));
    return;
  }
  const msg = statusLine();
  const tbody = h('tbody');
  const draw = async () => {
    const list = (await get(`/projects/${pid}/batches`)).batches || [];
    const full = await Promise.all(list.map((b) => get(`/batches/${b.id}`).then((x) => x.batch).catch(() => b)));
    if (!ctx.alive()) return;
    clear(tbody);
    if (!full.length) tbody.append(h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No batches yet.')));
    for (const b of full) {
      const why = h('div', { class: 'hint signoff-why', id: `signoff-why-${b.id}` });
      const sign = ctx.manage && b.stage !== 'done' ? h('button', {
        type: 'button', class: b.sample?.ready ? 'small primary' : 'small', id: `signoff-${b.id}`,
        'aria-label': `Sign off ${b.name}`,
        onclick: async () => {
          try {
            await post(`/batches/${b.id}/signoff`, {});
            showOk(msg, `Batch ${b.name} is signed off.`);
            await draw();
          } catch (e) { why.textContent = e.message; why.className = 'msg error signoff-why'; showError(msg, null); msg.className = 'msg'; }
        },
      }, 'Sign off') : null;
      tbody.append(h('tr', { 'data-batch': b.id },
        h('td', null, b.name),
        h('td', null, h('span', { class: `status s-${b.stage}` }, b.stage)),
        h('td', { class: 'num' }, h('a', { href: `#/projects/${pid}/data?batch=${b.id}` }, fmtNum(b.items ?? 0))),
        h('td', { class: 'num' }, String(b.overlap ?? '')),
        h('td', { class: 'sample', id: `sample-${b.id}` }, sampleText(b),
          b.sample && !b.sample.ready && b.stage !== 'done' ? h('div', { class: 'hint' }, 'Not ready to sign off yet.') : null),
        h('td', null, b.stage === 'done'
          ? `signed off ${b.signed_off_at ? new Date(b.signed_off_at).toLocaleString() : ''}`
          : h('span', null, canReview(ctx.role) ? h('a', { href: reviewUrl(pid), class: 'btn small' }, 'Review') : null, ' ', sign), why)));
    }
  };
  clear(ctx.main, h('h1', null, 'Batches'),
    h('p', { class: 'hint' }, 'A reviewer checks a random sample of each batch; a manager signs the batch off once every sampled item is accepted.'),
    h('table', { class: 'grid-table' },
      h('thead', null, h('tr', null, ['Name', 'Stage', 'Items', 'Overlap', 'Review sample', 'Actions'].map((c) => h('th', null, c)))),
      tbody), msg);
  await draw();
}
