// comments.js - review comments in the editor: each comment of the item is a
// numbered marker on the image, at its point or on the object it is pinned
// to, and a row in the "Comments" list of the sidebar. Markers live in their
// own DOM layer above the canvases (nothing is drawn by render.js) and
// follow the view. placePin() lets a reviewer click a point on the image; a
// click on an object pins the comment to that object too. Comment text is
// shown as text, never as HTML.
import * as api from '/common/api.js';
import * as G from './geom.js';

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export class Comments {
  // S: the editor state (main.js); ui: {select(ids), centreOn(o), hint(text), banner(node)}.
  constructor(S, ui) {
    this.S = S;
    this.ui = ui;
    this.list = [];     // the item's comments, as the API returns them
    this.drafts = [];   // pins placed but not sent: {x, y, object}
    this.layer = el('div', { class: 'comment-layer', 'aria-hidden': 'false' });
    $('stage').append(this.layer);
    this.panel = el('section', { id: 'comments-panel', hidden: true },
      el('h2', {}, 'Comments ', el('span', { id: 'comment-count' })),
      el('ul', { id: 'comment-list', class: 'list comment-list' }));
    const side = $('sidebar');
    side.insertBefore(this.panel, $('object-panel'));
    // Markers follow the view; chain whatever else listens.
    const r = S.renderer;
    const prev = r.onView;
    r.onView = () => { if (prev) prev(); this.place(); };
    new ResizeObserver(() => this.place()).observe($('stage'));
  }

  // Loads and shows the comments of the current item.
  async load() {
    const id = this.S.itemId;
    this.drafts = [];
    let list = [];
    try { list = (await api.get(`/items/${id}/comments`)).comments || []; } catch { list = []; }
    if (this.S.itemId !== id) return;
    this.list = list;
    this.render();
    // Back from review: say so above the image.
    const S = this.S;
    if ($('rejected-banner')) this.ui.banner(null);
    if (!S.review && S.item && S.item.status === 'rejected' && list.some((c) => !c.resolved)) {
      const n = list.filter((c) => !c.resolved && !c.parent).length;
      this.ui.banner(el('span', { id: 'rejected-banner' },
        `This item was rejected in review: ${n} comment${n === 1 ? '' : 's'} on the image and in the list say what to fix. Fix it, then Submit.`));
    }
  }

  // Where a comment sits on the image: its point, else its object's corner.
  anchor(c) {
    if (c.point) return c.point;
    if (c.object) {
      const o = this.S.model.objects.get(c.object);
      const b = o && G.bbox(o);
      if (b) return [b[0], b[1]];
    }
    return null;
  }

  render() {
    const open = this.list.filter((c) => !c.parent);
    $('comment-count').textContent = open.length ? `(${open.length})` : '';
    this.panel.hidden = !open.length && !this.drafts.length && !this.S.review;
    const ul = $('comment-list');
    ul.replaceChildren();
    this.layer.replaceChildren();
    open.forEach((c, i) => {
      const n = i + 1;
      const where = c.object ? `on object ${c.object}` : c.point ? `at ${Math.round(c.point[0])}, ${Math.round(c.point[1])}` : 'on the item';
      const row = el('li', { class: `comment${c.resolved ? ' resolved' : ''}`, 'data-comment': c.id },
        el('button', { type: 'button', class: 'obj comment-row', onclick: () => this.focus(c) },
          el('span', { class: 'comment-num', text: String(n) }),
          el('span', { class: 'comment-text' },
            el('strong', { text: c.user_name || `user ${c.user}` }), ' ',
            el('span', { class: 'comment-body', text: c.body }),
            el('span', { class: 'muted', text: ` (${where}${c.resolved ? ', resolved' : ''})` }))),
        this.S.review || c.resolved ? null : el('button', {
          type: 'button', class: 'small', title: 'Mark this comment resolved',
          onclick: () => this.resolve(c),
        }, 'Resolved'));
      ul.append(row);
      const at = this.anchor(c);
      if (at) {
        this.layer.append(el('button', {
          type: 'button', class: `comment-marker${c.resolved ? ' resolved' : ''}`, 'data-comment': c.id,
          'data-x': at[0], 'data-y': at[1], title: c.body, 'aria-label': `Comment ${n}: ${c.body}`,
          // The stage below must not take the pointer (it would capture it and eat the click).
          onpointerdown: (e) => e.stopPropagation(), onclick: () => this.focus(c),
        }, String(n)));
      }
    });
    this.drafts.forEach((d) => {
      this.layer.append(el('span', { class: 'comment-marker draft', 'data-x': d.x, 'data-y': d.y, title: 'New comment' }, '+'));
    });
    this.place();
  }

  // Moves every marker to its image point in the current view.
  place() {
    const r = this.S.renderer;
    for (const m of this.layer.children) {
      const [sx, sy] = r.toScreen(Number(m.dataset.x), Number(m.dataset.y));
      m.style.transform = `translate(${Math.round(sx)}px, ${Math.round(sy)}px)`;
    }
  }

  focus(c) {
    for (const li of $('comment-list').children) li.classList.toggle('selected', li.dataset.comment === String(c.id));
    for (const m of this.layer.children) m.classList.toggle('active', m.dataset.comment === String(c.id));
    const o = c.object && this.S.model.objects.get(c.object);
    if (o) { this.ui.select([o.id]); this.ui.centreOn(o); }
    this.ui.hint(c.body);
  }

  async resolve(c) {
    try {
      await api.post(`/items/${c.item}/comments/${c.id}/resolve`, { resolved: true });
      c.resolved = true;
      this.render();
    } catch (e) { this.ui.hint(`Could not mark it resolved: ${e.message}`); }
  }

  // Waits for one click on the image: {x, y, object} (object: the id of the
  // topmost object under the click, or null). Escape cancels (null).
  placePin() {
    const S = this.S;
    return new Promise((resolve) => {
      const cover = el('div', { class: 'pin-cover', title: 'Click where the comment belongs' });
      const done = (v) => { cover.remove(); document.removeEventListener('keydown', onKey, true); resolve(v); };
      const onKey = (e) => { if (e.key === 'Escape') { e.stopPropagation(); done(null); } };
      cover.addEventListener('pointerdown', (e) => {
        e.preventDefault(); e.stopPropagation();
        const b = $('stage').getBoundingClientRect();
        const [x, y] = S.renderer.toImage(e.clientX - b.left, e.clientY - b.top);
        const tol = 6 / S.renderer.view.s;
        let object = null;
        for (const o of S.model.objects.values()) if (!S.hidden.has(o.id) && G.hit(o, x, y, tol)) object = o.id;
        const pin = { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100, object };
        this.drafts = [pin];
        this.render();
        done(pin);
      });
      document.addEventListener('keydown', onKey, true);
      $('stage').append(cover);
      this.ui.hint('Click on the image where the comment belongs (on an object to pin it there); Esc cancels');
    });
  }

  clearDrafts() { this.drafts = []; this.render(); }
}
