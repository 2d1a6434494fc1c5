// main.js - the app's entry point: sign-in at start, the header, hash
// routing (#/projects/3/data?status=new) and the project's tab bar. Each
// page module exports a render(ctx) that fills ctx.main and may return a
// cleanup function (timers, listeners), called when the route changes.
import { h, clear } from './dom.js';
import { parseHash } from './nav.js';
import { session, loadMe, requireSignIn, onSignIn, signOut, get, canManage } from './session.js';
import * as projects from './page_projects.js';
import * as project from './page_project.js';
import * as schema from './page_schema.js';
import * as data from './page_data.js';
import * as jobs from './page_jobs.js';
import * as account from './page_account.js';
import * as quality from './page_quality.js';

const header = document.getElementById('top');
const main = document.getElementById('main');

// Route table: pattern -> page. :id is a number.
const routes = [
  [/^\/?$|^\/projects$/, projects.list, null],
  [/^\/projects\/new$/, projects.create, null],
  [/^\/projects\/(\d+)$/, project.overview, 'overview'],
  [/^\/projects\/(\d+)\/queue$/, project.queue, 'queue'],
  [/^\/projects\/(\d+)\/data$/, data.render, 'data'],
  [/^\/projects\/(\d+)\/schema$/, schema.editor, 'schema'],
  [/^\/projects\/(\d+)\/guidelines$/, schema.guidelines, 'guidelines'],
  [/^\/projects\/(\d+)\/members$/, project.members, 'members'],
  [/^\/projects\/(\d+)\/jobs$/, jobs.render, 'jobs'],
  [/^\/projects\/(\d+)\/batches$/, project.batches, 'batches'],
  [/^\/projects\/(\d+)\/quality$/, quality.render, 'quality'],
  [/^\/account$/, account.render, null],
];

// Which optional endpoints this server has (from its OpenAPI document).
let apiPaths = null;
async function loadApiPaths() {
  if (apiPaths) return apiPaths;
  try {
    const r = await fetch('/api/v1/openapi.json');
    apiPaths = new Set(Object.keys((await r.json()).paths || {}));
  } catch {
    apiPaths = new Set();
  }
  return apiPaths;
}
const hasBatches = () => apiPaths && [...apiPaths].some((p) => /\/projects\/\{project\}\/batches$/.test(p));
const hasQuality = () => apiPaths && [...apiPaths].some((p) => /\/projects\/\{project\}\/quality\/progress$/.test(p));


function renderHeader() {
  const u = session.user;
  const nav = h('nav', { 'aria-label': 'Main' },
    h('a', { href: '#/projects', class: 'brand' }, 'Cairn'),
    u ? h('a', { href: '#/projects', 'data-nav': 'projects' }, 'Projects') : null,
    h('span', { class: 'spacer' }),
    u ? h('a', { href: '#/account', 'data-nav': 'account' }, 'Account') : null,
    u ? h('span', { class: 'who' }, u.name, u.admin ? ' (admin)' : '') : null,
    u ? h('button', { type: 'button', class: 'link', onclick: doSignOut }, 'Sign out') : null);
  clear(header, h('a', { href: '#main', class: 'skip' }, 'Skip to content'), nav);
}

async function doSignOut() {
  await signOut();
  renderHeader();
  clear(main);
  location.hash = '#/projects';
  await requireSignIn();
}

// The project's cached header data for the tab bar: {project, role, counts}.
const projectCache = new Map();
export async function loadProject(id, { fresh = false } = {}) {
  if (!fresh && projectCache.has(id)) return projectCache.get(id);
  const r = await get(`/projects/${id}`);
  projectCache.set(id, r);
  return r;
}

function projectTabs(id, info, active) {
  const manage = canManage(info.role);
  const tabs = [
    ['overview', 'Overview', ''],
    ['queue', 'My queue', '/queue'],
    ['data', 'Data', '/data'],
    ['schema', 'Schema', '/schema'],
    ['guidelines', 'Guidelines', '/guidelines'],
    ['members', 'Members', '/members'],
    manage ? ['jobs', 'Import & export', '/jobs'] : null,
    hasBatches() ? ['batches', 'Batches', '/batches'] : null,
    hasQuality() ? ['quality', 'Quality', '/quality'] : null,
  ].filter(Boolean);
  return h('nav', { class: 'tabs', 'aria-label': 'Project' },
    h('span', { class: 'crumb' }, h('a', { href: '#/projects' }, 'Projects'), ' / ',
      h('strong', null, info.project.name),
      h('span', { class: 'role' }, session.user?.admin && info.role !== 'manager' ? 'admin' : info.role)),
    tabs.map(([k, text, sub]) => h('a', {
      href: `#/projects/${id}${sub}`, 'aria-current': k === active ? 'page' : null,
    }, text)));
}

let cleanup = null;
let seq = 0;

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const token = ++seq;
  const { path, params } = parseHash();
  for (const a of header.querySelectorAll('[data-nav]')) {
    const on = (a.dataset.nav === 'account') === path.startsWith('/account');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const hit = routes.find(([re]) => re.test(path));
  const page = h('div', { class: 'page' });
  clear(main, page);
  if (!hit) {
    page.append(h('h1', { tabindex: -1 }, 'Not found'), h('p', null, 'No page here. ', h('a', { href: '#/projects' }, 'Go to projects.')));
    return;
  }
  const [re, render, tab] = hit;
  const m = path.match(re);
  const ctx = {
    main: page, params, token, alive: () => token === seq,
    onCleanup: (fn) => { const prev = cleanup; cleanup = () => { if (prev) prev(); fn(); }; },
  };
  try {
    if (tab) {
      const id = Number(m[1]);
      await loadApiPaths();
      const info = await loadProject(id, { fresh: tab === 'overview' });
      if (!ctx.alive()) return;
      ctx.projectId = id;
      ctx.info = info;
      ctx.role = info.role;
      ctx.manage = canManage(info.role);
      ctx.setInfo = (x) => projectCache.set(id, x);
      const body = h('div', { class: 'page-body' });
      clear(page, projectTabs(id, info, tab), body);
      ctx.main = body;
      document.title = `${info.project.name} - Cairn`;
    } else {
      const body = h('div', { class: 'page-body' });
      page.append(body);
      ctx.main = body;
      document.title = 'Cairn';
    }
    const done = await render(ctx);
    if (typeof done === 'function') {
      if (ctx.alive()) ctx.onCleanup(done); else done();
    }
  } catch (e) {
    if (!ctx.alive()) return;
    clear(ctx.main, h('h1', { tabindex: -1 }, e.status === 404 ? 'Not found' : 'Something went wrong'),
      h('p', { class: 'msg error', role: 'alert' }, e.message || String(e)),
      h('p', null, h('a', { href: '#/projects' }, 'Back to projects')));
  }
  // Move focus to the new page's heading unless the user is already
  // somewhere inside it (keyboard users land at the top of the content).
  if (ctx.alive() && !main.contains(document.activeElement)) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
}

async function start() {
  renderHeader();
  const signed = await loadMe().catch(() => false);
  if (!signed) await requireSignIn();
  renderHeader();
  // Later sign-ins (after an expired session): same user, the page goes on;
  // another user, the page is drawn again for them.
  onSignIn(({ changed }) => {
    renderHeader();
    if (changed) { projectCache.clear(); route(); }
  });
  window.addEventListener('hashchange', route);
  await route();
}

start();
