// review.js - the editor in review mode (/label.html#project=P&review=1):
// asks the server for the next sampled annotation (POST review/next, which
// reserves the item for this reviewer), shows the annotator's objects
// read-only, and gives the reviewer Accept and Reject with a comment pinned
// to a point or an object (comments.js draws the pins). After a verdict the
// next item comes by itself. Outside review mode this module does nothing.
import * as api from '/common/api.js';

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

const wanted = () => new URLSearchParams(location.hash.slice(1)).get('review') === '1';

export class Review {
  // ui: {loadItem(project, id), setStatus(kind, text), banner(node), hint(text), comments}
  constructor(S, ui) {
    this.S = S;
    this.ui = ui;
    this.commit = S.model.commit;
    this.busy = false;
    this.panel = el('section', { id: 'review-panel', hidden: true });
    $('sidebar').prepend(this.panel);
  }

  // Called first by main.js's route(): true when review mode took over.
  async route() {
    const S = this.S;
    if (!wanted()) { this.leave(); return false; }
    const p = new URLSearchParams(location.hash.slice(1));
    const project = p.get('project');
    const item = Number(p.get('item'));
    // Reloading the page of the item I hold: ask again (it renews the hold).
    if (S.review && S.review.item === item && S.itemId === item) return true;
    this.ui.banner(null);
    let r;
    try {
      r = await api.request('POST', `/projects/${project}/review/next`, { body: {}, raw: true });
    } catch (e) {
      this.ui.setStatus('error', `Could not ask for the next review: ${e.message}`);
      return true;
    }
    if (r.status === 204) {
      S.review = null;
      // Nothing on screen from the last item: it is judged and gone.
      document.body.classList.add('review-mode', 'review-empty');
      S.model.commit = () => {};
      $('item-name').textContent = '';
      this.ui.setStatus('saved', 'Nothing waits for review');
      this.ui.banner(el('span', { id: 'review-empty', text: 'Nothing waits for your review in this project. ' },
        el('a', { href: `/#/projects/${project}/batches` }, 'Back to the batches')));
      this.show();
      return true;
    }
    if (r.status !== 200) {
      this.ui.setStatus('error', r.json?.error?.message || `review/next answered ${r.status}`);
      return true;
    }
    document.body.classList.remove('review-empty');
    const j = r.json;
    S.review = { item: j.item.id, batch: j.batch, annotation: j.annotation.id, user: j.annotation.user, version: j.annotation.version, expires: j.expires_at, low: !!j.low_agreement };
    history.replaceState(null, '', `#project=${project}&item=${j.item.id}&review=1`);
    S.itemId = null;
    await this.ui.loadItem(project, j.item.id);
    return true;
  }

  // What main.js loads as the document: in review mode, the annotation under
  // review (as version 0 of nothing of mine: nothing is ever saved).
  async document(id) {
    const S = this.S;
    if (!S.review || S.review.item !== id) return null;
    const [r, m] = await Promise.all([api.get(`/items/${id}/annotations/${S.review.annotation}`),
      api.get(`/projects/${S.project}/members`).catch(() => null)]);
    S.review.name = m?.members?.find((x) => x.user === S.review.user)?.name || null;
    return { version: 0, document: r.document };
  }

  // After an item is loaded: read-only in review mode, the panel shown.
  afterLoad() {
    const S = this.S;
    if (!S.review || S.review.item !== S.itemId) { this.leave(); return; }
    document.body.classList.add('review-mode');
    S.model.commit = () => { this.ui.hint('Review mode: the annotation is read-only. Pin a comment and reject it to have it fixed.'); };
    S.tool = 'select';
    $('stage').dataset.tool = 'select';
    this.ui.setStatus('saved', `Reviewing annotation ${S.review.annotation} (version ${S.review.version})`);
    this.show();
  }

  leave() {
    this.S.review = null;
    this.S.model.commit = this.commit;
    document.body.classList.remove('review-mode', 'review-empty');
    this.panel.hidden = true;
  }

  show() {
    const S = this.S;
    this.panel.hidden = false;
    if (!S.review) { this.panel.replaceChildren(el('h2', {}, 'Review'), el('p', { class: 'muted', text: 'Nothing waits for review.' })); return; }
    const rv = S.review;
    const msg = el('p', { id: 'review-msg', class: 'error', role: 'alert' });
    const text = el('textarea', { id: 'review-comment', rows: 3, placeholder: 'What should be fixed?', oninput: () => { msg.textContent = ''; } });
    const reason = el('input', { id: 'review-reason', maxlength: 100, placeholder: 'e.g. loose box' });
    const pinOut = el('p', { id: 'review-pin', class: 'muted', text: 'Not pinned: the comment is on the whole item.' });
    const pinBtn = el('button', {
      type: 'button', id: 'btn-review-pin', onclick: async () => {
        const pin = await this.ui.comments.placePin();
        this.ui.hint('');
        if (pin) pinOut.textContent = pin.object ? `Pinned to object ${pin.object} at ${Math.round(pin.x)}, ${Math.round(pin.y)}.` : `Pinned at ${Math.round(pin.x)}, ${Math.round(pin.y)}.`;
      },
    }, 'Pin to the image');
    const verdict = (v) => async () => {
      if (this.busy) return;
      msg.textContent = '';
      const body = { verdict: v, annotation: rv.annotation };
      const comment = text.value.trim();
      if (v === 'reject' && !comment) { msg.textContent = 'A rejection needs a comment that says what to fix.'; text.focus(); return; }
      if (comment) body.comment = comment;
      if (reason.value.trim()) body.reason = reason.value.trim();
      const pin = this.ui.comments.drafts[0];
      if (comment && pin) { body.point = [pin.x, pin.y]; if (pin.object) body.object = pin.object; }
      this.busy = true;
      try {
        const r = await api.request('POST', `/items/${rv.item}/review`, { body, raw: true });
        if (r.status !== 201) { msg.textContent = r.json?.error?.message || `The server answered ${r.status}`; return; }
        this.ui.comments.clearDrafts();
        this.ui.setStatus('saved', v === 'accept' ? `Accepted item ${rv.item}` : `Rejected item ${rv.item}: back to its annotator`);
        this.S.review = null;
        await this.route();
      } finally { this.busy = false; }
    };
    this.panel.replaceChildren(
      el('h2', {}, 'Review'),
      ...(rv.low ? [el('p', { id: 'review-low', class: 'msg warn', text: 'Low agreement: its annotators disagree (consensus), so it comes before the random sample.' })] : []),
      el('p', { id: 'review-what' }, `Annotation by ${rv.name || `user ${rv.user}`}, version ${rv.version}, batch ${rv.batch}. `,
        el('span', { class: 'muted', text: 'Read-only: accept it, or reject it with a comment saying what to fix.' })),
      el('label', { class: 'stack' }, 'Comment', text),
      el('label', { class: 'stack' }, 'Reason tag (optional)', reason),
      el('div', { class: 'row' }, pinBtn), pinOut,
      el('div', { class: 'row' },
        el('button', { type: 'button', id: 'btn-review-accept', class: 'primary', onclick: verdict('accept') }, 'Accept'),
        el('button', { type: 'button', id: 'btn-review-reject', class: 'danger', onclick: verdict('reject') }, 'Reject')),
      msg,
      el('p', {}, el('button', {
        type: 'button', id: 'btn-review-stop', title: 'Give this item back to the other reviewers and leave',
        onclick: async () => {
          // Give the hold back, so nobody waits for the timeout.
          await api.post(`/projects/${S.project}/review/${rv.item}/release`, {}).catch(() => null);
          S.review = null;
          location.href = `/#/projects/${S.project}/batches`;
        },
      }, 'Stop reviewing')));
  }
}
